"""What other features may ask of attendance (they read it through here, never through its views or models).

The exposé timekeeper asks whether the next region's delegation has arrived; the award night's
backstage asks whether a recipient is in the hall.
"""
from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from eventsys.attendance.models import CheckIn, Direction
from eventsys.events.models import Event
from eventsys.registration.models import Registration


def organizations_arrived(session: Session, event: Event, organization_ids: Iterable[int]) -> dict[int, datetime]:
    """For each organization with anyone checked in (not undone) at the event: when the first of them arrived."""
    ids = {i for i in organization_ids if i is not None}
    if not ids:
        return {}
    rows = session.execute(
        select(Registration.organization_id, func.min(CheckIn.at))
        .join(CheckIn, CheckIn.registration_id == Registration.id)
        .where(
            CheckIn.event_id == event.id,
            CheckIn.undone_at.is_(None),
            CheckIn.direction == Direction.IN,
            Registration.organization_id.in_(ids),
        )
        .group_by(Registration.organization_id)
    )
    return dict(rows.all())


def registrations_arrived(session: Session, event: Event, registration_ids: Iterable[int]) -> dict[int, datetime]:
    """For each of these registrations checked in (not undone) at the event: their first arrival."""
    ids = set(registration_ids)
    if not ids:
        return {}
    rows = session.execute(
        select(CheckIn.registration_id, func.min(CheckIn.at))
        .where(CheckIn.event_id == event.id, CheckIn.undone_at.is_(None), CheckIn.direction == Direction.IN, CheckIn.registration_id.in_(ids))
        .group_by(CheckIn.registration_id)
    )
    return dict(rows.all())
