"""API tokens (made, looked up, revoked) and what the API reads: visible events, agenda, organizations."""
from __future__ import annotations

import re
from datetime import datetime, timedelta

from flask_babel import gettext as _
from sqlalchemy import Select, bindparam, or_, select
from sqlalchemy.orm import Session, selectinload

from eventsys.accounts.models import EventRoleName
from eventsys.api.models import ApiToken
from eventsys.core.db import utcnow
from eventsys.core.rules import RuleViolation
from eventsys.core.tokens import hash_secret, new_secret
from eventsys.events.models import AgendaSession, Event, EventStatus, Organization

TOKEN_PREFIX = "evs_"
# What new_secret(32) gives after the prefix; anything else is refused without a database query.
TOKEN_SHAPE = re.compile(r"^evs_[A-Za-z0-9_-]{43}$")
PREFIX_LENGTH = 12  # "evs_" and 8 characters of the secret: enough to tell tokens apart in a list
MAX_NAME_LENGTH = 100
# last_used_at is written at most this often per token, so a busy client costs no write per request.
TOUCH_INTERVAL = timedelta(minutes=1)


def create_token(
    session: Session, event: Event, name: str, role: str, created_by_id: int | None
) -> tuple[ApiToken, str]:
    """A new token for `event` with `role`; returns it and its secret, which is never stored."""
    name = " ".join((name or "").replace("\x00", "").split())
    if not name:
        raise RuleViolation(_("Give the token a name, e.g. the system that will use it."), "name")
    if len(name) > MAX_NAME_LENGTH:
        raise RuleViolation(_("Use at most %(num)d characters.", num=MAX_NAME_LENGTH), "name")
    try:
        role_name = EventRoleName(role)
    except ValueError:
        raise RuleViolation(_("Choose one of the listed roles."), "role") from None
    secret = TOKEN_PREFIX + new_secret(32)
    token = ApiToken(
        name=name,
        prefix=secret[:PREFIX_LENGTH],
        token_hash=hash_secret(secret),
        event_id=event.id,
        role=role_name,
        created_by_id=created_by_id,
    )
    session.add(token)
    session.flush()
    return token, secret


def event_tokens(session: Session, event: Event) -> list[ApiToken]:
    """Active tokens first, newest first."""
    return list(
        session.scalars(
            select(ApiToken)
            .where(ApiToken.event_id == event.id)
            .options(selectinload(ApiToken.created_by))
            .order_by(ApiToken.revoked_at.is_not(None), ApiToken.created_at.desc(), ApiToken.id.desc())
        )
    )


def revoke_token(session: Session, event: Event, token_id: int, now: datetime | None = None) -> ApiToken | None:
    """Revoke one of `event`'s tokens (again is harmless); None when the event has no such token."""
    token = session.scalar(select(ApiToken).where(ApiToken.id == token_id, ApiToken.event_id == event.id))
    if token is None:
        return None
    if token.revoked_at is None:
        token.revoked_at = now or utcnow()
    return token


_ACTIVE_TOKEN = select(ApiToken).where(ApiToken.token_hash == bindparam("token_hash"), ApiToken.revoked_at.is_(None))  # every API call: built once


def active_token(session: Session, secret: str) -> ApiToken | None:
    """The unrevoked token whose secret this is; None for anything else."""
    if not TOKEN_SHAPE.match(secret):
        return None
    return session.scalar(_ACTIVE_TOKEN, {"token_hash": hash_secret(secret)})


def record_use(token: ApiToken, now: datetime | None = None) -> bool:
    """Note when the token was last used; True when that changed and needs committing."""
    now = now or utcnow()
    if token.last_used_at is not None and now - token.last_used_at < TOUCH_INTERVAL:
        return False
    token.last_used_at = now
    return True


# Reading


def event_visible(event: Event, token: ApiToken | None) -> bool:
    """Published and archived events are public; a draft only to a token of that event."""
    return event.is_public or (token is not None and token.event_id == event.id)


def visible_events(token: ApiToken | None) -> Select:
    condition = Event.status != EventStatus.DRAFT
    if token is not None:
        condition = or_(condition, Event.id == token.event_id)
    return (
        select(Event)
        .where(condition)
        .options(selectinload(Event.venue), selectinload(Event.parent))
        .order_by(Event.starts_at, Event.id)
    )


def event_by_slug(session: Session, slug: str) -> Event | None:
    return session.scalar(
        select(Event).where(Event.slug == slug).options(selectinload(Event.venue), selectinload(Event.parent))
    )


def agenda(session: Session, event: Event) -> list[AgendaSession]:
    return list(
        session.scalars(
            select(AgendaSession)
            .where(AgendaSession.event_id == event.id)
            .options(selectinload(AgendaSession.speakers), selectinload(AgendaSession.room))
            .order_by(AgendaSession.starts_at, AgendaSession.id)
        )
    )


def organizations() -> Select:
    return select(Organization).order_by(Organization.name, Organization.id)
