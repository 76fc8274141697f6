"""The events' public keys, kept per process, to check ticket signatures without a query a scan.

A key is made once and never changes. Keyed by the event's id and creation time, so that an id used
again after a deletion (SQLite may reuse one) never finds the old key; a signature that fails with
a kept key is checked again with the stored one, so a kept key can never turn a valid ticket away.
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from eventsys.events.models import Event
from eventsys.registration import tickets

_PUBLIC_KEYS: dict[tuple[int, datetime], bytes] = {}
_PUBLIC_KEYS_KEPT = 256


def _public_key(session: Session, event: Event, *, stored: bool = False) -> bytes:
    cache_key = (event.id, event.created_at)
    key = None if stored else _PUBLIC_KEYS.get(cache_key)
    if key is None:
        key = tickets.public_key_for(session, event)
        if len(_PUBLIC_KEYS) >= _PUBLIC_KEYS_KEPT:
            _PUBLIC_KEYS.clear()
        _PUBLIC_KEYS[cache_key] = key
    return key


def kept(event_id: int, created_at: datetime) -> bytes | None:
    """The event's public key if this process keeps it already (scan_lane asks; `verify` keeps it)."""
    return _PUBLIC_KEYS.get((event_id, created_at))


def verify(session: Session, event: Event, token: str) -> tickets.TicketClaims:
    """The claims of `event`'s ticket token; raises tickets.InvalidTicketToken."""
    try:
        return tickets.verify_token(token, _public_key(session, event), event_id=event.id)
    except tickets.InvalidTicketToken as error:
        if error.reason != "signature":
            raise
        return tickets.verify_token(token, _public_key(session, event, stored=True), event_id=event.id)
