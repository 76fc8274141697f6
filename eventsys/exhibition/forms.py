"""Forms of the organizer's exhibition pages; the domain checks live in setup.py and moderation.py."""
from flask_babel import lazy_gettext as _l
from wtforms import (
    BooleanField,
    DateTimeLocalField,
    EmailField,
    HiddenField,
    IntegerField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import Email, InputRequired, Length, NumberRange, Optional, ValidationError

from eventsys.core.form_base import DATETIME_FORMATS, FIRST_YEAR, LAST_YEAR, BaseForm, MultiCheckboxField, choice_id
from eventsys.events.dimensions import dimension_choices
from eventsys.exhibition.setup import MAX_POSTER_MB, MAX_VIDEO_MB


def _strip(value):
    return value.strip() if isinstance(value, str) else value


def _plausible_year(form, field):
    if field.data is not None and not FIRST_YEAR <= field.data.year <= LAST_YEAR:
        raise ValidationError(_l("Enter a date between %(first)d and %(last)d.", first=FIRST_YEAR, last=LAST_YEAR))


def _when(label, description):
    return DateTimeLocalField(label, format=DATETIME_FORMATS, description=description, validators=[Optional(), _plausible_year])


def _megabytes(label, high, description=None):
    message = _l("Enter a size from 1 to %(max)d MB.", max=high)
    return IntegerField(label, description=description,
                        validators=[InputRequired(message=message), NumberRange(min=1, max=high, message=message)])


class SettingsForm(BaseForm):
    opens_at = _when(_l("Opens"), _l("Visitors see the hall from this time (event's zone). Empty: the event's start."))
    closes_at = _when(_l("Closes"), _l("After this the hall stays as a read-only archive. Empty: the event's end."))
    intro = TextAreaField(_l("Introduction"), description=_l("Shown above the hall."), filters=[_strip],
                          validators=[Length(max=5000)])
    max_video_mb = _megabytes(_l("Largest video (MB)"), MAX_VIDEO_MB, _l("MP4 or WebM; 500 MB unless changed."))
    max_poster_mb = _megabytes(_l("Largest poster (MB)"), MAX_POSTER_MB, _l("JPEG, PNG or PDF."))
    voting_enabled = BooleanField(_l("People's choice vote is on"))


class PavilionForm(BaseForm):
    name = StringField(_l("Name"), description=_l("e.g. Kabupaten/Kota, Direktorat LAIP, Startup"), filters=[_strip],
                       validators=[InputRequired(message=_l("Enter the pavilion's name.")), Length(max=120)])
    description = TextAreaField(_l("Description"), filters=[_strip], validators=[Length(max=2000)])
    position = IntegerField(
        _l("Order"), description=_l("Pavilions are shown from the lowest number up. Empty: after the others."),
        validators=[Optional(), NumberRange(min=0, max=999, message=_l("Enter a number from 0 to 999."))],
    )


class BoothForm(BaseForm):
    organization_id = SelectField(_l("Organization"), coerce=choice_id,
                                  validators=[InputRequired(message=_l("Choose the exhibiting organization from the list."))])
    name = StringField(_l("Booth name"), description=_l("Empty: the organization's name."), filters=[_strip],
                       validators=[Length(max=200)])
    pavilion_id = SelectField(_l("Pavilion"), coerce=choice_id, default=0)
    dimensions = MultiCheckboxField(_l("Smart City dimensions"), choices=dimension_choices())

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.dimensions.choices = dimension_choices()  # labels in the page's language


class BoothEditForm(BoothForm):
    """Editing keeps the organization: a booth belongs to the organization it was made for."""

    organization_id = None
    name = StringField(_l("Booth name"), filters=[_strip],
                       validators=[InputRequired(message=_l("Enter the booth's name.")), Length(max=200)])
    version = HiddenField()  # the fingerprint of what the page showed (setup.booth_version)


class ExhibitorInvitationForm(BaseForm):
    email = EmailField(
        _l("Email"), filters=[_strip],
        validators=[InputRequired(message=_l("Enter the exhibitor's email address.")), Length(max=254),
                    Email(message=_l("Enter a valid email address, e.g. nama@kominfo.go.id."), check_deliverability=False)],
    )
    name = StringField(_l("Name"), filters=[_strip],
                       validators=[InputRequired(message=_l("Enter the exhibitor's name.")), Length(max=200)])


class RejectForm(BaseForm):
    reason = TextAreaField(
        _l("Reason"), description=_l("The exhibitor reads this in the email, so say what to change."), filters=[_strip],
        validators=[InputRequired(message=_l("Give a reason: the exhibitor needs to know what to change.")), Length(max=2000)],
    )


class ConfirmForm(BaseForm):
    """A button that only carries the CSRF token (approve, delete)."""
