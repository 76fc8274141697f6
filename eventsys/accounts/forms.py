from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, EmailField, HiddenField, PasswordField, SelectField, StringField
from wtforms.validators import DataRequired, Email, EqualTo, Length, Optional, ValidationError

from eventsys.accounts.models import EventRoleName
from eventsys.accounts.services import MIN_PASSWORD_LENGTH

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
            Length(min=MIN_PASSWORD_LENGTH, max=200, message=_l("Use at least %(num)d characters.", num=MIN_PASSWORD_LENGTH)),
        ],
    )


def _confirm_field():
    return PasswordField(
        _l("Repeat the new password"),
        validators=[DataRequired(message=_l("Type the password again.")), EqualTo("password", message=_l("The two passwords differ."))],
    )


class LoginForm(FlaskForm):
    email = EmailField(_l("Email"), validators=[DataRequired(message=_l("Enter your email address.")), Email(message=_l("Enter a valid email address."))])
    password = PasswordField(_l("Password"), validators=[DataRequired(message=_l("Enter your password."))])
    remember = BooleanField(_l("Keep me signed in on this device"))
    next = HiddenField()


class ChangePasswordForm(FlaskForm):
    current_password = PasswordField(_l("Current password"), validators=[DataRequired(message=_l("Enter your current password."))])
    password = _new_password_field(_l("New password"))
    confirm = _confirm_field()


class AcceptInvitationForm(FlaskForm):
    name = StringField(_l("Full name"), validators=[DataRequired(message=_l("Enter your name.")), Length(max=200)])
    password = _new_password_field(_l("Password"))
    confirm = _confirm_field()


class InvitationForm(FlaskForm):
    name = StringField(_l("Full name"), validators=[DataRequired(message=_l("Enter the person's name.")), Length(max=200)])
    email = EmailField(_l("Email"), validators=[DataRequired(message=_l("Enter an email address.")), Email(message=_l("Enter a valid email address."))])
    role = SelectField(_l("Role"), choices=[(r.value, label) for r, label in ROLE_LABELS.items()])
    organization_id = SelectField(_l("Organization (for exhibitors)"), coerce=int, validators=[Optional()])

    def validate_organization_id(self, field):
        if self.role.data == EventRoleName.EXHIBITOR and not field.data:
            raise ValidationError(_l("An exhibitor account belongs to one organization: choose it."))
