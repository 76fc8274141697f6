"""Language choice and locale-aware formatting for pages (Indonesian first, English second)."""
from datetime import datetime
from urllib.parse import urlsplit

from flask import current_app, has_request_context, request, session
from flask_babel import format_date, format_datetime, format_time
from flask_login import current_user

from eventsys.config import LANGUAGES
from eventsys.core.timezones import to_local, zone_abbreviation


def select_locale() -> str:
    """The visitor's choice (kept in the session and on the account), else Indonesian.

    The browser's Accept-Language is deliberately not followed: the programme's audience
    uses phones set to English that expect the Indonesian interface.
    """
    if not has_request_context():  # mail jobs and the CLI choose their language explicitly
        return current_app.config["BABEL_DEFAULT_LOCALE"]
    chosen = session.get("lang")
    if chosen in LANGUAGES:
        return chosen
    if current_user and current_user.is_authenticated and current_user.locale in LANGUAGES:
        return current_user.locale
    return current_app.config["BABEL_DEFAULT_LOCALE"]


def local_date(value: datetime, zone: str, fmt: str = "long") -> str:
    """'15 November 2017' in Indonesian, 'November 15, 2017' in English, in the event's zone."""
    return format_date(to_local(value, zone).date(), fmt)


def local_time(value: datetime, zone: str, with_zone: bool = True) -> str:
    local = to_local(value, zone)
    text = local.strftime("%H:%M")
    return f"{text} {zone_abbreviation(zone, value)}" if with_zone else text


def local_datetime(value: datetime, zone: str) -> str:
    return f"{local_date(value, zone)} {local_time(value, zone)}"


def page_to_return_to() -> str:
    """Where a language switch comes back to: this page, or for a page answering a form (POST), the page the form was on.

    Going back to a POST-only address would be a 405; the referrer is used only when it is this site.
    """
    if request.method in ("GET", "HEAD"):
        return request.full_path.rstrip("?")
    referrer = urlsplit(request.referrer or "")
    if referrer.netloc == request.host and referrer.path.startswith("/"):
        return referrer.path + (f"?{referrer.query}" if referrer.query else "")
    return "/"


def register_template_helpers(app) -> None:
    app.jinja_env.globals.update(
        LANGUAGES=LANGUAGES,
        local_date=local_date,
        local_time=local_time,
        local_datetime=local_datetime,
        zone_abbreviation=zone_abbreviation,
        format_date=format_date,
        format_time=format_time,
        format_datetime=format_datetime,
        page_to_return_to=page_to_return_to,
    )

    @app.context_processor
    def _current_locale():
        from flask_babel import get_locale

        return {"current_locale": str(get_locale()), "request_path": request.path}
