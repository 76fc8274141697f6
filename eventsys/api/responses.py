"""What every JSON endpoint shares: errors with stable codes, pagination, timestamps."""
from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import NoReturn

from flask import abort, make_response, request
from flask_babel import gettext as _

from eventsys.core.errors import error_response
from eventsys.core.security import MAX_ID  # ids are INTEGER columns (int4 in PostgreSQL)

DEFAULT_PER_PAGE = 50
MAX_PER_PAGE = 100
MAX_PAGE = 999_999_999


def storable_id(value) -> bool:
    """True for a whole number that some row could have as its id (JSON true/false are not numbers)."""
    return isinstance(value, int) and not isinstance(value, bool) and 1 <= value <= MAX_ID


def api_error(status: int, code: str, message: str) -> NoReturn:
    """Stop the request with {"error": {"code": code, "message": message}}."""
    response = make_response(error_response(status, code, message))
    if status == 401:
        # RFC 6750: tell the client which scheme to use, and whether the token it sent was bad.
        challenge = 'Bearer realm="eventsys"'
        if code == "invalid_token":
            challenge += ', error="invalid_token"'
        response.headers["WWW-Authenticate"] = challenge
    abort(response)


def iso_utc(value: datetime | None) -> str | None:
    if value is None:
        return None
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _positive_int(name: str, default: int, maximum: int) -> int:
    raw = request.args.get(name)
    if raw is None:
        return default
    # isdigit() alone accepts "²" and other digits int() refuses or reads differently.
    if not (raw.isascii() and raw.isdigit()):
        api_error(400, "bad_request", _("The parameter %(name)s must be a whole number.", name=name))
    value = int(raw) if len(raw) <= 10 else None  # int() of thousands of digits is slow, then refused
    if value is None or not 1 <= value <= maximum:
        api_error(400, "bad_request", _("The parameter %(name)s must be between 1 and %(max)d.", name=name, max=maximum))
    return value


def page_params() -> tuple[int, int]:
    """`page` and `per_page` from the query string; anything else than sensible numbers is a 400."""
    return _positive_int("page", 1, MAX_PAGE), _positive_int("per_page", DEFAULT_PER_PAGE, MAX_PER_PAGE)


def page_json(pagination, serialize: Callable) -> dict:
    """A Flask-SQLAlchemy Pagination as {"items": [...], "page": 1, "per_page": 50, "total": N}."""
    return {
        "items": [serialize(item) for item in pagination.items],
        "page": pagination.page,
        "per_page": pagination.per_page,
        "total": pagination.total,
    }
