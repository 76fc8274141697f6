"""Forms of the organizer's exposé pages; the domain checks live in services.py and presenters.py."""
from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField, FileRequired
from wtforms import (
    DateTimeLocalField,
    EmailField,
    IntegerField,
    SelectField,
    StringField,
    TextAreaField,
    TimeField,
)
from wtforms.validators import Email, InputRequired, Length, NumberRange, Optional, ValidationError

from eventsys.config import LANGUAGES
from eventsys.core.form_base import DATETIME_FORMATS, FIRST_YEAR, LAST_YEAR, BaseForm, choice_id
from eventsys.exposes.models import RuleSeverity
from eventsys.exposes.services import ORDER_LABELS, RULE_LABELS, SEVERITY_LABELS


def _plausible_year(form, field):
    if field.data is not None and not FIRST_YEAR <= field.data.year <= LAST_YEAR:
        raise ValidationError(_l("Enter a date between %(first)d and %(last)d.", first=FIRST_YEAR, last=LAST_YEAR))


def _optional_when(label, description=None):
    return DateTimeLocalField(label, format=DATETIME_FORMATS, description=description, validators=[Optional(), _plausible_year])


def _minutes(label, low, high, description=None, required=True):
    message = _l("Enter a number of minutes from %(min)d to %(max)d.", min=low, max=high)
    first = InputRequired(message=message) if required else Optional()
    return IntegerField(label, description=description, validators=[first, NumberRange(min=low, max=high, message=message)])


def _severity(label):
    return SelectField(label, choices=[(s.value, text) for s, text in SEVERITY_LABELS.items()], default=RuleSeverity.WARN.value)


def _optional_id(label, description=None):
    return SelectField(label, coerce=choice_id, default=0, description=description, validators=[Optional()])


class ProgrammeForm(BaseForm):
    order_preference = SelectField(_l("Order of presenters"), choices=[(k.value, v) for k, v in ORDER_LABELS.items()])
    talk_minutes = _minutes(_l("Talk (minutes)"), 1, 240)
    qa_minutes = _minutes(_l("Q&A (minutes)"), 0, 120)
    buffer_minutes = _minutes(_l("Changeover buffer (minutes)"), 0, 60, _l("Time between one presenter's Q&A and the next talk."))
    step_minutes = _minutes(_l("Step (minutes)"), 1, 60, _l("Slots start on this grid, e.g. every 5 minutes."))
    deck_deadline = _optional_when(_l("Deck deadline"), _l("Presenters upload their slides before this time (event's zone)."))
    deck_max_mb = IntegerField(
        _l("Largest deck (MB)"),
        validators=[InputRequired(message=_l("Enter a size from 1 to 200 MB.")),
                    NumberRange(min=1, max=200, message=_l("Enter a size from 1 to 200 MB."))],
    )
    overlap = _severity(RULE_LABELS["overlap"])
    outside_availability = _severity(RULE_LABELS["outside_availability"])
    outside_block = _severity(RULE_LABELS["outside_block"])
    double_booked = _severity(RULE_LABELS["double_booked"])
    short_buffer = _severity(RULE_LABELS["short_buffer"])


class PanelForm(BaseForm):
    moderator = StringField(_l("Moderator"), validators=[Length(max=200)])
    members = TextAreaField(_l("Panel members"), description=_l("One a line: name, position."), validators=[Length(max=6000)])


class PresenterForm(BaseForm):
    organization_id = SelectField(
        _l("Presenting organization"), coerce=choice_id,
        validators=[InputRequired(message=_l("Choose the presenting organization from the list."))],
    )
    person_name = StringField(_l("Presenter"), description=_l("e.g. Drs. Nasrudin Azis, SH"), validators=[Length(max=200)])
    person_title = StringField(_l("Title"), description=_l("e.g. Wali Kota Cirebon"), validators=[Length(max=200)])
    email = EmailField(
        _l("Email"),
        description=_l("The slot and its changes are emailed here."),
        filters=[lambda v: v.strip() if isinstance(v, str) else v],
        validators=[Optional(), Length(max=254),
                    Email(message=_l("Enter a valid email address, e.g. nama@kominfo.go.id."), check_deliverability=False)],
    )
    locale = SelectField(_l("Language of emails"), choices=list(LANGUAGES.items()), default="id")
    talk_minutes = _minutes(_l("Talk (minutes)"), 1, 240, _l("Empty: the programme's default."), required=False)
    qa_minutes = _minutes(_l("Q&A (minutes)"), 0, 120, _l("Empty: the programme's default."), required=False)
    protocol_rank = IntegerField(
        _l("Protocol rank"),
        description=_l("For the protocol order: 1 presents first."),
        validators=[Optional(), NumberRange(min=1, max=100000, message=_l("Enter a protocol rank from 1 to %(max)d; 1 presents first.", max=100000))],
    )
    available_from = _optional_when(_l("Available from"), _l("e.g. arrives after 13:00 (event's zone)."))
    available_until = _optional_when(_l("Available until"), _l("e.g. must leave by 16:00 (event's zone)."))
    room_id = _optional_id(_l("Must present in room"))
    pinned_block_id = _optional_id(_l("Pinned block"), _l("A fixed slot the auto-scheduler keeps."))
    pinned_start = TimeField(_l("Pinned start"), validators=[Optional()], description=_l("Time in the event's zone, e.g. 10:20."))


class PublishForm(BaseForm):
    note = TextAreaField(_l("Note for this version"), description=_l("Optional, e.g. why the schedule changed."), validators=[Length(max=2000)])


class ConfirmForm(BaseForm):
    """A button that changes something: CSRF and nothing else."""




class ImportForm(BaseForm):
    file = FileField(
        _l("CSV or Excel file"),
        render_kw={"accept": ".csv,.xlsx,text/csv,application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"},
        validators=[FileRequired(message=_l("Choose a CSV or Excel (.xlsx) file to import."))],
    )
