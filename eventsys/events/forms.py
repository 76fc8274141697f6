from flask_babel import lazy_gettext as _l
from wtforms import DateTimeLocalField, IntegerField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, NumberRange, Optional, Regexp, ValidationError

from eventsys.core.form_base import DATETIME_FORMAT, DATETIME_FORMATS, FIRST_YEAR, LAST_YEAR, BaseForm, choice_id  # noqa: F401
from eventsys.events.models import EVENT_KIND_LABELS, EVENT_STATUS_LABELS, SESSION_TYPE_LABELS


def _plausible_year(form, field):
    # Year 1 or 9999 would overflow when moved to UTC; no event of the programme is that far off.
    if field.data is not None and not FIRST_YEAR <= field.data.year <= LAST_YEAR:
        raise ValidationError(_l("Enter a date between %(first)d and %(last)d.", first=FIRST_YEAR, last=LAST_YEAR))


def _when(label):
    return DateTimeLocalField(
        label,
        format=DATETIME_FORMATS,
        validators=[DataRequired(message=_l("Enter a date and time, e.g. 15/11/2017 19:00.")), _plausible_year],
    )


def _optional_id(label):
    """A choice of row by id, 0 meaning none."""
    return SelectField(label, coerce=choice_id, default=0, validators=[Optional()])


class EventForm(BaseForm):
    name = StringField(_l("Name"), validators=[DataRequired(message=_l("Give the event a name.")), Length(max=200)])
    slug = StringField(
        _l("Web address"),
        description=_l("Letters, digits and hyphens; left empty, it is made from the name."),
        validators=[
            Optional(),
            Length(max=80),
            Regexp(r"^[a-z0-9-]+$", message=_l("Use lower-case letters, digits and hyphens only.")),
        ],
    )
    kind = SelectField(_l("Kind"), choices=[(k.value, label) for k, label in EVENT_KIND_LABELS.items()])
    parent_id = _optional_id(_l("Part of programme"))
    status = SelectField(_l("Status"), choices=[(k.value, label) for k, label in EVENT_STATUS_LABELS.items()])
    starts_at = _when(_l("Starts"))
    ends_at = _when(_l("Ends"))
    timezone = SelectField(_l("Time zone"), description=_l("Times are entered and shown in this zone."))
    venue_id = _optional_id(_l("Venue"))
    description = TextAreaField(_l("Description"), validators=[Length(max=20000)])


class SessionForm(BaseForm):
    title = StringField(_l("Title"), validators=[DataRequired(message=_l("Give the session a title.")), Length(max=200)])
    session_type = SelectField(_l("Type"), choices=[(k.value, label) for k, label in SESSION_TYPE_LABELS.items()])
    room_id = _optional_id(_l("Room"))
    starts_at = _when(_l("Starts"))
    ends_at = _when(_l("Ends"))
    speakers = TextAreaField(
        _l("Speakers"),
        description=_l("One a line: name; position; organization."),
        validators=[Length(max=5000)],
    )
    description = TextAreaField(_l("Description"), validators=[Length(max=20000)])


class VenueForm(BaseForm):
    name = StringField(_l("Venue name"), validators=[DataRequired(message=_l("Give the venue a name.")), Length(max=200)])
    address = StringField(_l("Address"), validators=[Length(max=300)])
    city = StringField(_l("City"), validators=[Length(max=100)])


class RoomForm(BaseForm):
    name = StringField(_l("Room name"), validators=[DataRequired(message=_l("Give the room a name.")), Length(max=120)])
    capacity = IntegerField(
        _l("Capacity"),
        validators=[Optional(), NumberRange(min=1, max=100000, message=_l("Enter a number of seats from 1 to 100,000."))],
    )
