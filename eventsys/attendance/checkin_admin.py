"""What organizers read and correct after the fact: the scan log, sync conflicts, and one person's
check-ins with the changes made to them (undo, restore, a check-in recorded by hand).

The rules of admission stay in `scanning`; this module only filters what was recorded and
applies organizers' corrections through it, logging each one with who, when and why.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from flask_babel import gettext as _
from sqlalchemy import Select, and_, case, func, select
from sqlalchemy.orm import Session, selectinload

from eventsys.attendance import movements, scanning
from eventsys.attendance.models import (
    ChangeAction,
    CheckIn,
    CheckInChange,
    CheckInSource,
    Checkpoint,
    Direction,
    EntryPolicy,
    Scan,
    ScannerDevice,
    ScanResult,
)
from eventsys.core.db import utcnow
from eventsys.core.rules import RuleViolation
from eventsys.events.models import Event
from eventsys.registration.models import Registration
from eventsys.registration.organizer_services import REGISTRANT_LOADS

RAW_CODE_SHOWN = 40  # characters of a scanned code shown in the log; the rest is cut off
MAX_REASON_LENGTH = 2000


# The scan log.


@dataclass
class ScanFilters:
    result: ScanResult | None = None
    checkpoint_id: int | None = None
    device_id: int | None = None
    conflicts: bool = False  # only offline scans the server found already admitted

    @property
    def active(self) -> bool:
        return bool(self.result or self.checkpoint_id or self.device_id or self.conflicts)


def scans_query(event: Event, filters: ScanFilters) -> Select:
    """The event's scans matching `filters`, newest first, with what the log shows loaded alongside."""
    query = (
        select(Scan)
        .where(Scan.event_id == event.id)
        .options(
            selectinload(Scan.checkpoint), selectinload(Scan.device), selectinload(Scan.registration),
            selectinload(Scan.checkin).selectinload(CheckIn.checkpoint),  # the earlier admission a refusal names
        )
    )
    if filters.result:
        query = query.where(Scan.result == filters.result)
    if filters.checkpoint_id:
        query = query.where(Scan.checkpoint_id == filters.checkpoint_id)
    if filters.device_id:
        query = query.where(Scan.device_id == filters.device_id)
    if filters.conflicts:
        query = query.where(Scan.sync_conflict.is_(True))
    return query.order_by(Scan.scanned_at.desc(), Scan.id.desc())


@dataclass
class SyncConflicts:
    """The flagged scans by what happened to them, each said in its own words (manage_index.html, manage_scans.html)."""

    elsewhere: int = 0  # shown as admitted offline, but already admitted elsewhere
    duplicates: int = 0  # admitted, then set aside: an earlier scan of the same movement synced later (movements.py)
    later: int = 0  # refused or set aside, then recorded after all once an earlier scan synced

    def __bool__(self) -> bool:
        return bool(self.elsewhere or self.duplicates or self.later)


def sync_conflict_count(session: Session, event: Event) -> SyncConflicts:
    recorded = and_(CheckIn.at == Scan.scanned_at, CheckIn.direction == Scan.direction)  # it names the movement it became
    total, later, duplicates = session.execute(
        select(func.count(Scan.id), func.sum(case((recorded, 1), else_=0)), func.sum(case((recorded, 0), (Scan.result == ScanResult.OK, 1), else_=0)))
        .outerjoin(CheckIn, CheckIn.id == Scan.checkin_id).where(Scan.event_id == event.id, Scan.sync_conflict.is_(True))
    ).one()
    later, duplicates = later or 0, duplicates or 0
    return SyncConflicts(elsewhere=total - later - duplicates, duplicates=duplicates, later=later)


def set_aside(session: Session, checkins: list[CheckIn]) -> dict[int, CheckIn | None]:
    """The person's movements set aside by a late-synced earlier scan: id → the later movement its scan was recorded
    again as, or None while the earlier scan counts instead. Neither is offered a Restore: it would count twice."""
    aside: dict[int, CheckIn | None] = {}
    for checkin in (c for c in checkins if c.undone_at is not None):
        became = movements.recorded_again(session, checkin)
        if became is not None or movements.last_change(session, checkin) == ChangeAction.DUPLICATE:
            aside[checkin.id] = became
    return aside


def scan_count(session: Session, event: Event) -> int:
    return session.scalar(select(func.count(Scan.id)).where(Scan.event_id == event.id))


def shown_code(raw: str) -> str:
    """The start of a scanned code for the log: enough to recognise it, never a page-wide string."""
    return raw if len(raw) <= RAW_CODE_SHOWN else raw[:RAW_CODE_SHOWN] + "…"


def event_devices_by_name(session: Session, event: Event) -> list[ScannerDevice]:
    return list(session.scalars(select(ScannerDevice).where(ScannerDevice.event_id == event.id).order_by(ScannerDevice.name, ScannerDevice.id)))


# One person's check-ins.


def registration_of(session: Session, event: Event, registration_id: int) -> Registration | None:
    registration = session.get(Registration, registration_id, options=REGISTRANT_LOADS)
    return registration if registration is not None and registration.event_id == event.id else None


def registration_checkins(session: Session, registration: Registration) -> list[CheckIn]:
    """Every check-in and exit of the person, undone ones too, oldest first."""
    return list(
        session.scalars(
            select(CheckIn)
            .where(CheckIn.registration_id == registration.id)
            .options(selectinload(CheckIn.checkpoint), selectinload(CheckIn.device), selectinload(CheckIn.user))
            .order_by(CheckIn.at, CheckIn.id)
        )
    )


def registration_changes(session: Session, registration: Registration) -> list[CheckInChange]:
    """The log of changes to the person's check-ins, newest first."""
    return list(
        session.scalars(
            select(CheckInChange)
            .join(CheckInChange.checkin)
            .where(CheckIn.registration_id == registration.id)
            .options(
                selectinload(CheckInChange.checkin).selectinload(CheckIn.checkpoint),
                selectinload(CheckInChange.user),
                selectinload(CheckInChange.device),
            )
            .order_by(CheckInChange.at.desc(), CheckInChange.id.desc())
        )
    )


def checkin_of(session: Session, registration: Registration, checkin_id: int) -> CheckIn | None:
    checkin = session.get(CheckIn, checkin_id)
    return checkin if checkin is not None and checkin.registration_id == registration.id else None


def _reason(reason: str, *, required: bool) -> str:
    reason = (reason or "").strip()
    if required and not reason:
        raise RuleViolation(_("Say why, e.g. scanned at the wrong door; the reason is kept in the log."), "reason")
    if len(reason) > MAX_REASON_LENGTH:
        raise RuleViolation(_("Use at most %(num)d characters.", num=MAX_REASON_LENGTH), "reason")
    return reason


def undo(session: Session, checkin: CheckIn, *, user, reason: str) -> None:
    """An organizer takes back any check-in; the reason is required and logged."""
    scanning.undo_checkin(session, checkin, user=user, reason=_reason(reason, required=True))


def restore(session: Session, checkin: CheckIn, *, user, reason: str) -> None:
    scanning.restore_checkin(session, checkin, user=user, reason=_reason(reason, required=False))


def record_manual(
    session: Session,
    event: Event,
    checkpoint: Checkpoint,
    registration: Registration,
    *,
    user,
    nonce: str,
    reason: str = "",
    direction: Direction = Direction.IN,
    at: datetime | None = None,
) -> scanning.ScanOutcome:
    """A check-in an organizer records by hand (the scanner was down, the person had no ticket with them).

    The same rules as a scan; `at` (in the past) records when the person really came, so a check-in
    can be added after the checkpoint has closed. An admission made this way is logged as a change.
    """
    reason = _reason(reason, required=False)
    now = utcnow()
    if at is not None and at > now:
        raise RuleViolation(_("The time of arrival cannot be in the future."), "at")
    if checkpoint.event_id != event.id:
        raise RuleViolation(_("Choose one of the listed checkpoints."), "checkpoint_id")
    if direction == Direction.OUT and checkpoint.policy != EntryPolicy.IN_OUT:
        raise RuleViolation(_("This checkpoint does not record exits. Choose Entry, or a checkpoint that tracks entry and exit."), "direction")
    if registration.ticket is None:
        raise RuleViolation(_("Only a confirmed registration with a ticket can be checked in. Approve the registration first."))
    if not scanning.valid_nonce(nonce):
        raise RuleViolation(_("The form has expired. Reload the page and send it again."))
    outcome = scanning.check_in_registration(
        session, event, checkpoint, registration, nonce=nonce, source=CheckInSource.ORGANIZER, user=user,
        direction=direction, now=at or now,
    )
    if outcome.result == ScanResult.OK and not outcome.replayed:
        session.add(
            CheckInChange(event_id=event.id, checkin=outcome.checkin, action=ChangeAction.MANUAL, reason=reason, user_id=user.id, at=now)
        )
        session.flush()
    return outcome
