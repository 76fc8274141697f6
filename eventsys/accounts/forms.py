from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, EmailField, HiddenField, PasswordField, SelectField, StringField
from wtforms.validators import DataRequired, Email, EqualTo, Length, ValidationError

from eventsys.accounts.models import EventRoleName
from eventsys.accounts.services import MAX_PASSWORD_LENGTH, MIN_PASSWORD_LENGTH
from eventsys.core.form_base import BaseForm, choice_id

ROLE_LABELS = {
    EventRoleName.ORGANIZER: _l("Organizer"),
    EventRoleName.CHECKIN: _l("Check-in staff"),
    EventRoleName.EXHIBITOR: _l("Exhibitor"),
    EventRoleName.JUROR: _l("Juror"),
}


def _new_password_field(label):
    return PasswordField(
        label,
        validators=[
            DataRequired(message=_l("Choose a password.")),
            Length(min=MIN_PASSWORD_LENGTH, message=_l("Use at least %(num)d characters.", num=MIN_PASSWORD_LENGTH)),
            Length(max=MAX_PASSWORD_LENGTH, message=_l("Use at most %(num)d characters.", num=MAX_PASSWORD_LENGTH)),
        ],
    )


def _confirm_field():
    return PasswordField(
        _l("Repeat the new password"),
        validators=[DataRequired(message=_l("Type the password again.")), EqualTo("password", message=_l("The two passwords differ."))],
    )


class LoginForm(BaseForm):
    email = EmailField(_l("Email"), validators=[DataRequired(message=_l("Enter your email address.")), Email(message=_l("Enter a valid email address."))])
    password = PasswordField(_l("Password"), validators=[DataRequired(message=_l("Enter your password."))])
    remember = BooleanField(_l("Keep me signed in on this device"))
    next = HiddenField()


class ChangePasswordForm(BaseForm):
    current_password = PasswordField(_l("Current password"), validators=[DataRequired(message=_l("Enter your current password."))])
    password = _new_password_field(_l("New password"))
    confirm = _confirm_field()


class JoinEventForm(BaseForm):
    """Accepting an invitation with the account one is signed in with: only the CSRF token."""


class AcceptInvitationForm(BaseForm):
    name = StringField(_l("Full name"), validators=[DataRequired(message=_l("Enter your name.")), Length(max=200)])
    password = _new_password_field(_l("Password"))
    confirm = _confirm_field()


class InvitationForm(BaseForm):
    name = StringField(_l("Full name"), validators=[DataRequired(message=_l("Enter the person's name.")), Length(max=200)])
    email = EmailField(
        _l("Email"),
        validators=[
            DataRequired(message=_l("Enter an email address.")),
            Length(max=254, message=_l("Enter a valid email address.")),
            Email(message=_l("Enter a valid email address.")),
        ],
    )
    role = SelectField(_l("Role"), choices=[(r.value, label) for r, label in ROLE_LABELS.items()])
    # 0 stands for "none"; no Optional(): it would skip validate_organization_id when the field is left out.
    organization_id = SelectField(_l("Organization (for exhibitors)"), coerce=choice_id, default=0)

    def validate_organization_id(self, field):
        if self.role.data == EventRoleName.EXHIBITOR and not field.data:
            raise ValidationError(_l("An exhibitor account belongs to one organization: choose it."))
