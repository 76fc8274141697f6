"""Forms of the API token page."""
from flask_babel import lazy_gettext as _l
from wtforms import SelectField, StringField
from wtforms.validators import DataRequired, Length

from eventsys.accounts.models import EventRoleName
from eventsys.api.services import MAX_NAME_LENGTH
from eventsys.core.form_base import BaseForm

# What a token of each role is for; the labels are the team page's role names.
TOKEN_ROLE_LABELS = {
    EventRoleName.ORGANIZER: _l("Organizer"),
    EventRoleName.CHECKIN: _l("Check-in staff"),
    EventRoleName.EXHIBITOR: _l("Exhibitor"),
    EventRoleName.JUROR: _l("Juror"),
}


class ApiTokenForm(BaseForm):
    name = StringField(
        _l("Name"),
        description=_l("Say which system or person uses it, e.g. “Gate scanners, hall A”."),
        validators=[
            DataRequired(message=_l("Give the token a name, e.g. the system that will use it.")),
            Length(max=MAX_NAME_LENGTH, message=_l("Use at most %(num)d characters.", num=MAX_NAME_LENGTH)),
        ],
    )
    role = SelectField(
        _l("Role"),
        choices=[(role.value, label) for role, label in TOKEN_ROLE_LABELS.items()],
        default=EventRoleName.CHECKIN.value,
        description=_l("The token may do what a team member with this role may do, on this event only."),
    )


class RevokeTokenForm(BaseForm):
    """Revoking a token: only the CSRF token."""
