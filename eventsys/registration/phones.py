"""Mobile phone numbers as delegates type them (0812…, 62812…, +62 812-…), stored in E.164."""
from __future__ import annotations

import phonenumbers
from flask_babel import gettext as _

from eventsys.core.rules import RuleViolation

DEFAULT_REGION = "ID"
MOBILE_TYPES = (phonenumbers.PhoneNumberType.MOBILE, phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE)


def normalize_mobile(text: str, field: str | None = "phone", region: str = DEFAULT_REGION) -> str:
    """'0812-3456-7890' -> '+6281234567890'; RuleViolation for anything that is not a valid mobile number."""
    text = (text or "").strip()
    if not text:
        raise RuleViolation(_("Enter your mobile phone number, e.g. 0812 3456 7890."), field)
    if len(text) > 40:
        raise RuleViolation(_("This is not a phone number. Enter your mobile number, e.g. 0812 3456 7890."), field)
    try:
        number = phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException:
        raise RuleViolation(_("This is not a phone number. Enter your mobile number, e.g. 0812 3456 7890."), field) from None
    if not phonenumbers.is_valid_number(number):
        raise RuleViolation(
            _("This phone number is not valid: check the digits. Enter your mobile number, e.g. 0812 3456 7890."), field
        )
    if phonenumbers.number_type(number) not in MOBILE_TYPES:
        raise RuleViolation(
            _("This is not a mobile number. Enter a mobile number (for WhatsApp and text messages), e.g. 0812 3456 7890."),
            field,
        )
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def display_phone(e164: str | None) -> str:
    """'+6281234567890' -> '+62 812-3456-7890' for pages and exports."""
    if not e164:
        return ""
    try:
        return phonenumbers.format_number(phonenumbers.parse(e164, None), phonenumbers.PhoneNumberFormat.INTERNATIONAL)
    except phonenumbers.NumberParseException:
        return e164
