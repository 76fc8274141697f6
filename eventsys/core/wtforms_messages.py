"""WTForms' own messages, listed so they are extracted into our catalogs and shown translated.

Flask-WTF looks WTForms' built-in messages up in the app's catalog; without these entries a
delegate would read "Not a valid choice." in English on an Indonesian page.
"""
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext

MESSAGES = (
    _l("Not a valid choice."),
    _l("Not a valid choice"),
    _l("This field is required."),
    _l("Invalid email address."),
    _l("Not a valid integer value."),
    _l("Not a valid datetime value."),
    _l("Not a valid date value."),
    _l("Not a valid decimal value."),
    _l("Not a valid float value."),
    _l("Invalid input."),
    _l("Field must be between %(min)d and %(max)d characters long."),
    _l("Number must be between %(min)s and %(max)s."),
    _l("Number must be at least %(min)s."),
    _l("Number must be at most %(max)s."),
    _l("Field must be equal to %(other_name)s."),
    _l("The CSRF token is missing."),
    _l("The CSRF token is invalid."),
    _l("The CSRF token has expired."),
    _l("The CSRF tokens do not match."),
    _l("The CSRF session token is missing."),
    _l("Invalid Choice: could not coerce."),
    _l("Invalid choice(s): one or more data inputs could not be coerced."),
    _l("Invalid value, must be one of: %(values)s."),
    _l("Invalid value, can't be any of: %(values)s."),
    _l("Invalid URL."),
    _l("This field cannot be edited."),
    _l("This field is disabled and cannot have a value."),
)


def _plural_messages(n: int) -> None:  # pragma: no cover - never called; read by `pybabel extract`
    ngettext("Field must be at least %(min)d character long.", "Field must be at least %(min)d characters long.", n)
    ngettext("Field cannot be longer than %(max)d character.", "Field cannot be longer than %(max)d characters.", n)
    ngettext("Field must be exactly %(max)d character long.", "Field must be exactly %(max)d characters long.", n)
    ngettext("'%(value)s' is not a valid choice for this field.", "'%(value)s' are not valid choices for this field.", n)
