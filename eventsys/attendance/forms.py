"""Forms of the organizer's check-in screens (checkpoints, devices, scan log, corrections) and the desk
(walk-in registration, search)."""
from __future__ import annotations

import secrets

from flask_babel import lazy_gettext as _l
from wtforms import (
    BooleanField,
    DateTimeLocalField,
    EmailField,
    HiddenField,
    IntegerField,
    RadioField,
    SelectField,
    StringField,
    TelField,
)
from wtforms.validators import DataRequired, Email, InputRequired, Length, Optional, ValidationError

from eventsys.attendance.checkpoint_admin import POLICY_LABELS
from eventsys.attendance.models import ChangeAction, CheckInSource, Direction, EntryPolicy, ScanResult
from eventsys.config import LANGUAGES
from eventsys.core.form_base import DATETIME_FORMATS, BaseForm, MultiCheckboxField, TickToConfirmForm, choice_id
from eventsys.core.rules import RuleViolation
from eventsys.registration.phones import normalize_mobile

FIRST_YEAR, LAST_YEAR = 2000, 2100
DIRECTION_LABELS = {Direction.IN: _l("Entry"), Direction.OUT: _l("Exit")}
SOURCE_LABELS = {
    CheckInSource.SCAN: _l("Scan"), CheckInSource.SEARCH: _l("Search"), CheckInSource.KIOSK: _l("Kiosk"),
    CheckInSource.WALK_IN: _l("Walk-in"), CheckInSource.ORGANIZER: _l("Organizer"),
}
RESULT_LABELS = {
    ScanResult.OK: _l("Admitted"), ScanResult.ALREADY_CHECKED_IN: _l("Already checked in"),
    ScanResult.REVOKED: _l("Cancelled or revoked ticket"), ScanResult.NOT_ALLOWED_HERE: _l("Not allowed here"),
    ScanResult.OUTSIDE_WINDOW: _l("Outside the opening hours"), ScanResult.UNKNOWN: _l("Unknown code"),
    ScanResult.INVALID_SIGNATURE: _l("Forged or damaged code"), ScanResult.NOT_INSIDE: _l("Not inside"),
}
CHANGE_LABELS = {ChangeAction.UNDO: _l("Undone"), ChangeAction.RESTORE: _l("Restored"), ChangeAction.MANUAL: _l("Recorded by hand"),
                 ChangeAction.DUPLICATE: _l("Set aside as a duplicate: an earlier scan synced later and counts instead"),
                 ChangeAction.RECORDED_LATER: _l("Recorded after all: an earlier scan synced later, so this scan counts after the earlier movements")}


KIOSK_CHECKPOINT_HELP = _l("A kiosk needs one: attendees cannot change it there.")


def new_nonce() -> str:
    """A form's idempotency key: the same form sent twice records one check-in."""
    return secrets.token_urlsafe(12)


def _plausible_year(form, field):
    if field.data is not None and not FIRST_YEAR <= field.data.year <= LAST_YEAR:
        raise ValidationError(_l("Enter a date between %(first)d and %(last)d.", first=FIRST_YEAR, last=LAST_YEAR))


def _optional_when(label, description=None):
    return DateTimeLocalField(label, description=description, format=DATETIME_FORMATS, validators=[Optional(), _plausible_year])


def _trimmed_lower(value):
    return value.strip().lower() if isinstance(value, str) else value


class ActionForm(BaseForm):
    """A button that only needs the CSRF token (revoke, delete, add the entrance)."""


ConfirmForm = TickToConfirmForm  # its confirmation page's button (or a ticked box) sends confirm


# Checkpoints and devices.


class CheckpointForm(BaseForm):
    name = StringField(
        _l("Name"),
        description=_l("As staff and reports show it, e.g. Pintu masuk, Ruang FGD hari 1."),
        validators=[DataRequired(message=_l("Give the checkpoint a name, e.g. Pintu masuk or Ruang FGD.")), Length(max=120)],
    )
    session_id = SelectField(
        _l("Agenda session"),
        description=_l("Optional. With a session and no times below, the door opens 30 minutes before the session and closes at its end."),
        coerce=choice_id,
        default=0,
        validators=[Optional()],
    )
    # Ids are checked by the service, which says what to do instead of WTForms' "not a valid choice".
    category_ids = MultiCheckboxField(
        _l("Categories allowed in"), description=_l("None ticked: every category may enter."), coerce=choice_id,
        validate_choice=False, validators=[Optional()],
    )
    opens_at = _optional_when(_l("Opens"))
    closes_at = _optional_when(_l("Closes"))
    policy = RadioField(
        _l("Entry policy"), choices=[(p.value, label) for p, label in POLICY_LABELS.items()], default=EntryPolicy.ONCE.value,
        validators=[InputRequired(message=_l("Choose one of the listed entry policies."))],
    )


class DeviceForm(BaseForm):
    name = StringField(
        _l("Device name"),
        description=_l("Where it is used, e.g. Pintu utama 1, Meja registrasi."),
        validators=[DataRequired(message=_l("Give the device a name, e.g. the door it stands at.")), Length(max=100)],
    )
    checkpoint_id = SelectField(
        _l("Checkpoint it starts at"), description=KIOSK_CHECKPOINT_HELP, coerce=choice_id, default=0, validators=[Optional()]
    )
    kiosk = BooleanField(_l("Kiosk: attendees scan their own QR code"))


class ScanFilterForm(BaseForm):
    """The scan log's filters, read from the query string."""

    class Meta:
        csrf = False

    result = SelectField(_l("Result"), validators=[Optional()])
    checkpoint = SelectField(_l("Checkpoint"), coerce=choice_id, validators=[Optional()])
    device = SelectField(_l("Device"), coerce=choice_id, validators=[Optional()])
    conflicts = BooleanField(_l("Only sync conflicts"))


# Corrections.


class UndoForm(BaseForm):
    checkin_id = IntegerField(validators=[InputRequired()])
    reason = StringField(
        _l("Reason"), description=_l("Kept in the log."),
        validators=[DataRequired(message=_l("Say why, e.g. scanned at the wrong door; the reason is kept in the log.")), Length(max=2000)],
    )


class RestoreForm(BaseForm):
    checkin_id = IntegerField(validators=[InputRequired()])
    reason = StringField(_l("Reason (optional)"), validators=[Optional(), Length(max=2000)])


class ManualCheckInForm(BaseForm):
    checkpoint_id = SelectField(_l("Checkpoint"), coerce=choice_id, validators=[InputRequired(message=_l("Choose a checkpoint."))])
    direction = SelectField(
        _l("Entry or exit"), description=_l("Only for checkpoints that track exits."),
        choices=[(d.value, label) for d, label in DIRECTION_LABELS.items()], default=Direction.IN.value,
    )
    at = _optional_when(_l("Arrived at"), _l("Empty: now. Enter the real time to record an arrival after the checkpoint has closed."))
    reason = StringField(_l("Reason (optional)"), description=_l("E.g. the scanner was down."), validators=[Optional(), Length(max=2000)])
    nonce = HiddenField(default=new_nonce)


# The desk.


class WalkInForm(BaseForm):
    name = StringField(
        _l("Full name"), description=_l("As it should appear on the badge."),
        validators=[DataRequired(message=_l("Enter the attendee's name.")), Length(max=200)],
    )
    position = StringField(_l("Position (jabatan)"), validators=[Optional(), Length(max=200)])
    organization_id = SelectField(_l("Organization"), coerce=choice_id, default=0)
    proposed_organization = StringField(
        _l("Not in the list? Its full name"), description=_l("E.g. Kab. Siak, Dinas Kominfo Kota Bogor."),
        validators=[Optional(), Length(max=200)],
    )
    category_id = SelectField(_l("Category"), coerce=choice_id, validators=[InputRequired(message=_l("Choose the attendee's category."))])
    email = EmailField(
        _l("Email (recommended)"), description=_l("The ticket is also sent here. Without one, print the ticket."),
        filters=[_trimmed_lower],
        validators=[Optional(), Length(max=254), Email(message=_l("Enter a valid email address, e.g. nama@kominfo.go.id."), check_deliverability=False)],
    )
    phone = TelField(_l("Mobile phone (optional)"), description=_l("E.g. 0812 3456 7890."), validators=[Optional(), Length(max=40)])
    # The attendee's language, not the staff's: Indonesian unless they ask for another (a form without it too).
    locale = SelectField(_l("Language of the ticket and email"), choices=list(LANGUAGES.items()), default="id")
    consent = BooleanField(validators=[DataRequired(message=_l("The attendee must agree to the processing of their data."))])
    checkpoint_id = SelectField(_l("Check in now at"), coerce=choice_id, default=0, validators=[Optional()])
    nonce = HiddenField(default=new_nonce)

    phone_e164: str | None = None

    def validate_phone(self, field):
        text = (field.data or "").strip()
        if not text:
            self.phone_e164 = None
            return
        try:
            self.phone_e164 = normalize_mobile(text, field=None)
        except RuleViolation:  # its messages speak to the owner of the number; here staff type someone's
            raise ValidationError(_l("This is not a valid mobile number. Check it, e.g. 0812 3456 7890, or leave the field empty.")) from None

    def validate_category_id(self, field):
        if not field.data:
            raise ValidationError(_l("Choose the attendee's category."))

    def validate_organization_id(self, field):
        if not field.data and not (self.proposed_organization.data or "").strip():
            raise ValidationError(_l("Choose the organization, or write its name below if it is not in the list."))


class DeskSearchForm(BaseForm):
    class Meta:
        csrf = False

    q = StringField(_l("Name or ticket code"), validators=[Optional(), Length(max=200)])


class DeskCheckInForm(BaseForm):
    checkpoint_id = SelectField(_l("Checkpoint"), coerce=choice_id, validators=[InputRequired(message=_l("Choose a checkpoint."))])
    nonce = HiddenField(default=new_nonce)
