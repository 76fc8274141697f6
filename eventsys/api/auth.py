"""Bearer tokens for the JSON API: `Authorization: Bearer evs_…`.

Routes declare `@api_access` (eventsys.core.access) and call these helpers themselves:
`caller_token()` where a token is optional (public data, drafts only with a token),
`require_token()` where one is needed, and `require_event_scope()` before touching an event.
A token that is sent is always checked: a bad one is refused even where none is needed.
Call these before changing anything: noting when a token was last used commits the session.
"""
from __future__ import annotations

from flask import request
from flask_babel import gettext as _

from eventsys.api import services
from eventsys.api.models import ApiToken
from eventsys.api.responses import api_error
from eventsys.events.models import Event
from eventsys.extensions import db

_UNSET = object()
# Kept on the request, not on `g`: `g` lives as long as the app context, which tests share across requests.
_CACHE_KEY = "eventsys.api_token"


def _invalid_token():
    api_error(
        401,
        "invalid_token",
        _("This API token is unknown, revoked or malformed. Ask the event's organizer for a new token."),
    )


def _presented_secret() -> str | None:
    header = request.headers.get("Authorization")
    if header is None:
        return None
    scheme, _sep, secret = header.strip().partition(" ")
    if scheme.lower() != "bearer" or not secret.strip():
        _invalid_token()
    return secret.strip()


def caller_token() -> ApiToken | None:
    """The request's token, checked once per request; None when none was sent."""
    cached = request.environ.get(_CACHE_KEY, _UNSET)
    if cached is not _UNSET:
        return cached
    secret = _presented_secret()
    token = None
    if secret is not None:
        token = services.active_token(db.session, secret)
        if token is None:
            _invalid_token()
        if services.record_use(token):
            db.session.commit()
    request.environ[_CACHE_KEY] = token
    return token


def require_token(*roles: str) -> ApiToken:
    """A valid token, of one of `roles` when given; 401 without one, 403 for another role."""
    token = caller_token()
    if token is None:
        api_error(401, "unauthorized", _("Send an API token in the Authorization header: Bearer <token>."))
    if roles and token.role not in roles:
        api_error(403, "forbidden", _("This API token's role may not do this. Ask the organizer for a token with the right role."))
    return token


def require_event_scope(token: ApiToken | None, event: Event) -> None:
    """A token works only on its own event: another event's token gets 403."""
    if token is not None and token.event_id != event.id:
        api_error(403, "forbidden", _("This API token belongs to another event. Use a token made for this event."))
