"""Error pages in the visitor's language, and JSON errors with stable codes under /api/."""
import time
from datetime import timedelta

from flask import jsonify, render_template, request
from flask_babel import format_timedelta
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException, InternalServerError

# code -> (stable machine code, title, explanation); titles are shown to people.
MESSAGES = {
    400: ("bad_request", _l("Bad request"), _l("The request could not be understood. Go back and try again.")),
    401: ("unauthorized", _l("Sign-in required"), _l("Sign in to continue.")),
    403: ("forbidden", _l("Access denied"), _l("Your account may not open this page. Ask the event organizer if you need access.")),
    404: ("not_found", _l("Page not found"), _l("The page you asked for does not exist or was moved.")),
    405: ("method_not_allowed", _l("Not allowed"), _l("This action is not available here.")),
    413: ("too_large", _l("File too large"), _l("The file you sent is larger than allowed. Send a smaller file.")),
    429: ("rate_limited", _l("Too many attempts"), _l("Too many attempts in a short time. Wait a minute and try again.")),
    500: ("server_error", _l("Something went wrong"), _l("An unexpected error happened on our side. It has been logged; try again in a moment.")),
}


def is_api_request() -> bool:
    return request.path.startswith("/api/")


def error_response(status: int, code: str | None = None, message: str | None = None):
    stable, title, text = MESSAGES.get(status, MESSAGES[500] if status >= 500 else MESSAGES[400])
    message = message or str(text)
    if is_api_request():
        return jsonify(error={"code": code or stable, "message": message}), status
    return render_template("errors/error.html", status=status, title=title, message=message), status


def rate_limited():
    """429 saying how long to wait: until the broken limit's window resets (a minute for '10 per minute', up to an hour for '50 per hour')."""
    from eventsys.extensions import limiter

    breached = limiter.current_limit
    seconds = breached.reset_at - time.time() if breached is not None else 60
    waiting = timedelta(minutes=max(1, round(seconds / 60)))
    message = _("Too many attempts in a short time. Try again in about %(wait)s.",
                wait=format_timedelta(waiting, granularity="minute", threshold=1.5))
    body, status = error_response(429, message=message)
    return body, status, {"Retry-After": str(int(waiting.total_seconds()))}


def register_error_handlers(app) -> None:
    @app.errorhandler(CSRFError)
    def _csrf(error):
        return error_response(
            400, "csrf_failed", str(_l("Your form has expired or did not come from this site. Reload the page and send it again."))
        )

    @app.errorhandler(HTTPException)
    def _http(error: HTTPException):
        status = error.code or 500
        if status == 429:
            return rate_limited()
        # abort(404, description=...) from our own code carries a message meant for people.
        custom = error.description if error.description != type(error).description else None
        body, status = error_response(status, message=custom)
        # Werkzeug's own headers stay: Allow on a 405 (HTTP requires it), WWW-Authenticate on a 401 …
        headers = [(name, value) for name, value in error.get_headers() if name.lower() != "content-type"]
        return body, status, headers

    @app.errorhandler(Exception)
    def _unexpected(error: Exception):
        app.logger.exception("Unhandled error on %s", request.path)
        from eventsys.extensions import db

        db.session.rollback()
        return error_response(500)

    @app.errorhandler(InternalServerError)
    def _internal(error):
        return error_response(500)
