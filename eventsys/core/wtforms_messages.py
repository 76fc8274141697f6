"""WTForms' own messages, listed so they are extracted into our catalogs and shown translated.

Flask-WTF looks WTForms' built-in messages up in the app's catalog; without these entries a
delegate would read "Not a valid choice." in English on an Indonesian page.
"""
from flask_babel import lazy_gettext as _l

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
    _l("Field cannot be longer than %(max)d characters."),
    _l("Field must be at least %(min)d characters long."),
    _l("Number must be between %(min)s and %(max)s."),
    _l("Number must be at least %(min)s."),
    _l("Number must be at most %(max)s."),
    _l("Field must be equal to %(other_name)s."),
    _l("The CSRF token is missing."),
    _l("The CSRF token is invalid."),
    _l("The CSRF token has expired."),
    _l("The CSRF tokens do not match."),
    _l("The CSRF session token is missing."),
)
