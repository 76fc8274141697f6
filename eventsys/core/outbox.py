"""The organizer's view of the outbox: what is stuck, and putting it back in the queue."""
from __future__ import annotations

from datetime import datetime

from flask_babel import gettext as _
from sqlalchemy import func, or_, select, update
from sqlalchemy.orm import Session

from eventsys.core.db import utcnow
from eventsys.core.mail import OVERDUE_AFTER, QUEUED_FLAG
from eventsys.core.models import OutboxMessage, OutboxStatus
from eventsys.core.rules import RuleViolation


def retry_message(session: Session, message: OutboxMessage, *, now: datetime | None = None) -> None:
    """Put a message back in the queue now: a FAILED one with a fresh set of attempts, a waiting one at once."""
    if message.status == OutboxStatus.SENT:
        raise RuleViolation(_("This message has already been sent."))
    if message.status == OutboxStatus.FAILED:
        message.attempts = 0
        message.locked_until = None
    message.status = OutboxStatus.QUEUED
    message.next_attempt_at = now or utcnow()
    session.info[QUEUED_FLAG] = True


def make_due_now(session: Session, *, event_id: int, now: datetime | None = None) -> int:
    """Skip the backoff of the event's queued messages (the organizer fixed something); how many."""
    now = now or utcnow()
    result = session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.event_id == event_id, OutboxMessage.status == OutboxStatus.QUEUED,
               OutboxMessage.next_attempt_at > now)
        .values(next_attempt_at=now)
        .execution_options(synchronize_session=False)
    )
    return result.rowcount


def status_counts(session: Session, *, event_id: int) -> dict[OutboxStatus, int]:
    counts = {status: 0 for status in OutboxStatus}
    rows = session.execute(
        select(OutboxMessage.status, func.count(OutboxMessage.id))
        .where(OutboxMessage.event_id == event_id).group_by(OutboxMessage.status)
    ).all()
    for status, n in rows:
        counts[OutboxStatus(status)] = n
    return counts


def troubled_messages(session: Session, *, event_id: int, now: datetime | None = None, limit: int = 200) -> list[OutboxMessage]:
    """What an organizer should look at: given up, failing and being retried, or waiting far too long."""
    now = now or utcnow()
    return list(session.scalars(
        select(OutboxMessage)
        .where(
            OutboxMessage.event_id == event_id,
            or_(
                OutboxMessage.status == OutboxStatus.FAILED,
                (OutboxMessage.status == OutboxStatus.QUEUED)
                & (or_(OutboxMessage.attempts > 0, OutboxMessage.next_attempt_at < now - OVERDUE_AFTER)),
            ),
        )
        .order_by(OutboxMessage.created_at.desc(), OutboxMessage.id.desc())
        .limit(limit)
    ))


def overdue_count(session: Session, *, event_id: int, now: datetime | None = None) -> int:
    """Queued messages never tried though due for a while: a sign that no sender is running."""
    now = now or utcnow()
    return session.scalar(
        select(func.count(OutboxMessage.id)).where(
            OutboxMessage.event_id == event_id,
            OutboxMessage.status == OutboxStatus.QUEUED,
            OutboxMessage.attempts == 0,
            OutboxMessage.next_attempt_at < now - OVERDUE_AFTER,
        )
    )
