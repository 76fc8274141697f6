"""Counting booth and item views without knowing who looked.

A visitor is a random first-party cookie (`exh_v`); only a keyed hash of it is stored, so the
analytics count unique visitors while a leaked table names nobody. The day is the event's own date.
"""
from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from datetime import datetime

from sqlalchemy import Connection, insert
from sqlalchemy.orm import Session

from eventsys.core.db import utcnow
from eventsys.core.timezones import to_local
from eventsys.exhibition.models import Visit

COOKIE = "exh_v"
COOKIE_MAX_AGE = 400 * 24 * 3600  # the longest browsers keep a cookie
_COOKIE_SHAPE = re.compile(r"^[A-Za-z0-9_-]{20,64}$")
_BOTS = re.compile(r"bot|spider|crawl|slurp|facebookexternalhit", re.I)


def visitor_cookie(raw: str | None) -> tuple[str, bool]:
    """(the cookie value to keep, whether it is new): a missing or malformed cookie gets a fresh one."""
    if raw and _COOKIE_SHAPE.match(raw):
        return raw, False
    return secrets.token_urlsafe(24), True


def visitor_key(secret: str, cookie: str) -> str:
    """The keyed hash stored for a cookie: the same browser gives the same key, the key gives no cookie back."""
    return hmac.new(secret.encode(), b"exhibition-visitor:" + cookie.encode(), hashlib.sha256).hexdigest()


def is_bot(user_agent: str | None) -> bool:
    """Crawlers announce themselves; their page loads are not visits."""
    return bool(user_agent) and bool(_BOTS.search(user_agent))


def record_view(connection: Connection | Session, event_id: int, zone: str, visitor: str, *, booth_id: int | None, media_id: int | None = None,
                now: datetime | None = None) -> dict:
    """Store one view of a booth page (media_id None) or of one of its items, on the event's calendar day.

    Pages call it on a connection of its own (`with db.engine.begin() as conn`): the INSERT is then
    the first statement of its transaction, so on SQLite it waits for the write lock instead of
    failing to upgrade the page's read transaction, and a lost view never costs the visitor the page.
    """
    now = now or utcnow()
    values = {"event_id": event_id, "booth_id": booth_id, "media_id": media_id, "item_view": media_id is not None, "visitor": visitor,
              "day": to_local(now, zone).date().isoformat(), "created_at": now}
    connection.execute(insert(Visit).values(**values))
    return values
