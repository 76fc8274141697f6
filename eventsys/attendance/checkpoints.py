"""Reading checkpoints: the event's gates in order, their windows, and who is inside now."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session, selectinload

from eventsys.attendance.arrivals import expected_there
from eventsys.attendance.models import CheckIn, Checkpoint, Direction
from eventsys.events.models import Event
from eventsys.registration.models import Registration


def event_checkpoints(session: Session, event: Event) -> list[Checkpoint]:
    return list(
        session.scalars(
            select(Checkpoint)
            .where(Checkpoint.event_id == event.id)
            .options(selectinload(Checkpoint.categories), selectinload(Checkpoint.session))
            .order_by(Checkpoint.position, Checkpoint.id)
        )
    )


def checkpoint_window(checkpoint: Checkpoint) -> tuple[datetime | None, datetime | None]:
    """When the checkpoint admits people; None on a side means no limit there."""
    return checkpoint.opens_at, checkpoint.closes_at


def inside_counts(session: Session, checkpoint: Checkpoint):
    """Per registration expected there: entries minus exits at the checkpoint (undone movements left out), as a subquery.

    As the arrivals page and the reports count: someone cancelled after entering is not inside.
    """
    return (
        select(
            CheckIn.registration_id.label("registration_id"),
            func.sum(case((CheckIn.direction == Direction.IN, 1), else_=-1)).label("balance"),
        )
        .join(Registration, Registration.id == CheckIn.registration_id)
        .where(CheckIn.checkpoint_id == checkpoint.id, CheckIn.undone_at.is_(None), *expected_there())
        .group_by(CheckIn.registration_id)
        .subquery()
    )


def inside_now(session: Session, checkpoint: Checkpoint) -> list[Registration]:
    """Who has entered and not left (entry-and-exit checkpoints; for others, everyone admitted)."""
    balances = inside_counts(session, checkpoint)
    return list(
        session.scalars(
            select(Registration)
            .join(balances, balances.c.registration_id == Registration.id)
            .where(balances.c.balance > 0)
            .options(selectinload(Registration.organization), selectinload(Registration.category))
            .order_by(Registration.name, Registration.id)
        )
    )
