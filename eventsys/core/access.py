"""Who may use a route, declared once per view and enforced for every request.

Each view carries an `access` attribute set by one of the decorators below. A request to a
view without one is refused (deny by default), and tests/test_access.py walks the URL map so
that an undeclared route fails the suite before it can ship.
"""
from functools import wraps

from flask import abort, current_app, g, redirect, request, url_for
from flask_login import current_user

PUBLIC = "public"
LOGIN = "login"
ADMIN = "admin"
EVENT_ROLE = "event_role"
API_TOKEN = "api_token"


def _declare(view, kind: str, roles: tuple[str, ...] = ()):
    view.access = kind
    view.access_roles = roles
    return view


def public(view):
    """Anyone, signed in or not."""
    return _declare(view, PUBLIC)


def _wants_json() -> bool:
    return request.path.startswith("/api/") or request.accept_mimetypes.best == "application/json"


def _refuse_anonymous():
    if _wants_json():
        abort(401)
    return redirect(url_for("accounts.login", next=request.full_path.rstrip("?")))


def login_required(view):
    """Any signed-in account."""

    @wraps(view)
    def wrapped(*args, **kwargs):
        if not current_user.is_authenticated:
            return _refuse_anonymous()
        return view(*args, **kwargs)

    return _declare(wrapped, LOGIN)


def admin_required(view):
    """Site administrators only."""

    @wraps(view)
    def wrapped(*args, **kwargs):
        if not current_user.is_authenticated:
            return _refuse_anonymous()
        if not current_user.is_admin:
            abort(403)
        return view(*args, **kwargs)

    return _declare(wrapped, ADMIN)


def event_role_required(*roles: str):
    """Holders of one of `roles` on the event named by the URL's `slug` (site admins always).

    The event is loaded once here and left in `g.event` for the view.
    """

    def decorator(view):
        @wraps(view)
        def wrapped(*args, **kwargs):
            if not current_user.is_authenticated:
                return _refuse_anonymous()
            # core knows no feature: the events package registers how an event is loaded.
            event = current_app.extensions["eventsys"]["load_event"](kwargs["slug"])
            if not current_user.has_event_role(event, roles):
                abort(403)
            g.event = event
            return view(*args, **kwargs)

        return _declare(wrapped, EVENT_ROLE, roles)

    return decorator


def api_access(view):
    """JSON API: the view itself checks the bearer token's scope (see eventsys.api.auth)."""
    return _declare(view, API_TOKEN)


def enforce_declared_access():
    """before_request hook: refuse any endpoint that declares no access rule."""
    if request.endpoint is None:
        return None  # 404/405 are answered by Flask itself
    if request.endpoint == "static":
        return None
    view = current_app.view_functions.get(request.endpoint)
    if getattr(view, "access", None) is None:
        current_app.logger.error("Route %s declares no access rule; refused", request.endpoint)
        abort(403)
    g.access = view.access
    return None


def permission_required(check, name: str):
    """Signed-in accounts for which `check(user)` holds, e.g. anyone who organizes events."""

    def decorator(view):
        @wraps(view)
        def wrapped(*args, **kwargs):
            if not current_user.is_authenticated:
                return _refuse_anonymous()
            if not check(current_user):
                abort(403)
            return view(*args, **kwargs)

        return _declare(wrapped, f"permission:{name}")

    return decorator
