"""The rows of an admission, and the entry-and-exit checkpoint's movements ordered by their scan times.

At an entry-and-exit checkpoint the movements alternate, "in:1", "out:1", "in:2", …, whatever order the
scans arrive in (an offline phone's queue syncs late). The latest movement takes the next slot. One that
arrives late is judged as things stood at its time:

- inside then (an entry) or outside then (an exit): refused, naming the movement in force;
- otherwise it did happen, and the next movement recorded is of the same kind: Ana scanned in at 09:00 on
  an offline phone and at 09:10 on an online one. The earlier takes that one's slot, so her entry time is
  the earliest and who is inside now stays right; the later is set aside as a duplicate (undone, logged as
  such, its scan flagged for organizers, never hidden).

After a movement is recorded, what was refused or set aside only because it was not yet known is recorded
in turn (`record_following`), each scan at most once: an organizer's undo of what it became stands.

Race-safe on both databases: a slot is taken with INSERT … ON CONFLICT DO NOTHING, and a duplicate is set
aside with a conditional UPDATE only one writer can win; the other decides again from what is recorded.
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import and_, bindparam, func, or_, select, update
from sqlalchemy.orm import Session, joinedload, make_transient_to_detached
from sqlalchemy.orm.util import identity_key

from eventsys.attendance import admission
from eventsys.attendance.models import ChangeAction, CheckIn, CheckInChange, Direction, Scan, ScanResult
from eventsys.attendance.verdicts import LEFT, NO_ENTRY
from eventsys.core.db import utcnow

ATTEMPTS = 5  # decisions in a row lost to concurrent writers before the scan is refused as things then stand

_LATEST = (
    select(CheckIn)
    .where(CheckIn.ticket_id == bindparam("ticket_id"), CheckIn.checkpoint_id == bindparam("checkpoint_id"), CheckIn.undone_at.is_(None))
    .order_by(CheckIn.at.desc(), CheckIn.id.desc())
    .limit(1)
    .options(joinedload(CheckIn.device))
)
_LATEST_IN_SLOT = _LATEST.where(CheckIn.slot == bindparam("slot"))
_BEFORE = _LATEST.where(CheckIn.at <= bindparam("at"))  # the movement in force at a time, and the first one after it
_AFTER = _LATEST.where(CheckIn.at > bindparam("at")).order_by(None).order_by(CheckIn.at, CheckIn.id)
# A scan re-decided already: it names the movement it became (its own time and direction). Never again.
_REDECIDED = select(CheckIn.id).where(CheckIn.id == Scan.checkin_id, CheckIn.at == Scan.scanned_at, CheckIn.direction == Scan.direction).exists()
_WAITING_AFTER = select(Scan).where(  # a movement refused, or set aside, because an earlier one (an offline scan) was not yet known
    Scan.ticket_id == bindparam("ticket_id"), Scan.checkpoint_id == bindparam("checkpoint_id"), Scan.direction == bindparam("direction"),
    or_(and_(Scan.result == bindparam("result"), Scan.detail.in_(bindparam("details", expanding=True))),
        and_(Scan.result == ScanResult.OK, Scan.sync_conflict.is_(True))),  # admitted, then set aside as a duplicate
    Scan.scanned_at > bindparam("at"), ~_REDECIDED,
).order_by(Scan.scanned_at, Scan.id).limit(1)


def insert_or_nothing(session: Session, model, values: dict, unique: list[str]):
    """INSERT … ON CONFLICT DO NOTHING RETURNING id: the new object, or None when the unique key is taken.

    One statement on both databases: no savepoint, no exception, no retry when racing writers collide.
    `values` names every column but the id, so the object is made from them and the id, as if loaded.
    """
    statement = admission.insert_or_nothing(session.get_bind().dialect.name, model.__table__, tuple(unique))
    new_id = session.execute(statement, values).scalar()
    if new_id is None:
        return None
    if session.identity_map.get(identity_key(model, new_id)) is not None:  # an id used again (SQLite) while this session holds the old row
        return session.get(model, new_id, populate_existing=True)
    row = model(id=new_id, **values)
    make_transient_to_detached(row)
    session.add(row)  # persistent and unchanged: no UPDATE at the commit
    return row


def insert_checkin(session: Session, **values) -> CheckIn | None:
    """The admission (or exit) in its slot, or None when the slot is taken."""
    return insert_or_nothing(session, CheckIn, values | {"undone_at": None}, ["ticket_id", "checkpoint_id", "slot"])


def latest(session: Session, ticket_id: int, checkpoint_id: int, slot: str | None = None) -> CheckIn | None:
    params = {"ticket_id": ticket_id, "checkpoint_id": checkpoint_id}
    if slot is None:
        return session.scalar(_LATEST, params)
    return session.scalar(_LATEST_IN_SLOT, params | {"slot": slot})


def in_out_slot(session: Session, ticket_id: int, checkpoint_id: int, direction: Direction, at: datetime):
    """The slot an entry or exit at `at` takes as the latest movement, or its refusal (see admission.in_out_slot)."""
    rows = session.execute(
        select(CheckIn.direction, func.count(CheckIn.id), func.max(CheckIn.at))
        .where(CheckIn.ticket_id == ticket_id, CheckIn.checkpoint_id == checkpoint_id, CheckIn.undone_at.is_(None))
        .group_by(CheckIn.direction)
    ).all()
    counts = {Direction.IN: 0, Direction.OUT: 0}
    counts.update({Direction(d): n for d, n, _last in rows})
    last = max((moment for _d, _n, moment in rows), default=None)
    return admission.in_out_slot(direction, counts[Direction.IN], counts[Direction.OUT], late=last is not None and last > at)


def admit(session: Session, values: dict, *, device=None):
    """An entry or exit at an entry-and-exit checkpoint (`values`: the check-in's columns but the slot).

    (checkin, None, "", None) when recorded; (None, refusal, detail, previous) when refused."""
    ticket_id, checkpoint_id, direction, at = values["ticket_id"], values["checkpoint_id"], values["direction"], values["at"]
    params = {"ticket_id": ticket_id, "checkpoint_id": checkpoint_id, "at": at}
    for _attempt in range(ATTEMPTS):
        slot, refusal = in_out_slot(session, ticket_id, checkpoint_id, direction, at)
        if refusal is None:
            checkin = insert_checkin(session, slot=slot, **values)
            if checkin is None:  # the slot was taken at this very instant
                return None, ScanResult.ALREADY_CHECKED_IN, slot, latest(session, ticket_id, checkpoint_id, slot)
            record_following(session, checkin)
            return checkin, None, "", None
        before, after = session.scalar(_BEFORE, params), session.scalar(_AFTER, params)
        if not _comes_first(direction, before, after):  # already inside since when, or left already (when and where), or never came in
            previous = admission.explaining(refusal, before, after)
            detail = "inside" if refusal == ScanResult.ALREADY_CHECKED_IN else (LEFT if previous is not None else NO_ENTRY)
            return None, refusal, detail, previous
        checkin = _take_place_of(session, after, values, device)
        if checkin is not None:
            record_following(session, checkin)
            return checkin, None, "", None
    return None, refusal, "inside" if refusal == ScanResult.ALREADY_CHECKED_IN else NO_ENTRY, None  # pragma: no cover - a storm of writers


def _comes_first(direction: Direction, before: CheckIn | None, after: CheckIn | None) -> bool:
    """A late movement that did happen (not a repeat of the one in force at its time), before a recorded one of its kind."""
    return (before is None or before.direction != direction) and after is not None and after.direction == direction


def _take_place_of(session: Session, later: CheckIn, values: dict, device) -> CheckIn | None:
    """The earlier movement in the slot of `later`, set aside as its duplicate; None when another writer changed `later` first."""
    slot, now = later.slot, utcnow()
    won = session.execute(
        update(CheckIn).where(CheckIn.id == later.id, CheckIn.slot == slot, CheckIn.undone_at.is_(None))
        .values(undone_at=now, slot=f"undone:{later.id}").execution_options(synchronize_session=False)
    ).rowcount
    session.expire(later)
    if won != 1:
        return None
    checkin = insert_checkin(session, slot=slot, **values)
    if checkin is None:  # pragma: no cover - the slot was held by `later` until this transaction ends
        session.execute(update(CheckIn).where(CheckIn.id == later.id).values(undone_at=None, slot=slot).execution_options(synchronize_session=False))
        return None
    session.add(CheckInChange(event_id=later.event_id, checkin_id=later.id, action=ChangeAction.DUPLICATE, reason="",
                              device_id=device.id if device else None, at=now))
    session.execute(  # the scan that admitted it: flagged for organizers, naming the movement that counts instead
        update(Scan).where(Scan.checkin_id == later.id, Scan.result == ScanResult.OK)
        .values(checkin_id=checkin.id, sync_conflict=True).execution_options(synchronize_session="fetch")
    )
    return checkin


def record_following(session: Session, checkin: CheckIn) -> None:
    """Record what was refused (or set aside) only because this earlier movement had not yet arrived: an exit scanned at
    19:30 while the entry of 19:00 waited in a phone's offline queue is recorded at 19:30 once that entry is admitted;
    its scan stays as staff saw it, flagged for organizers and naming the exit it became, and the change is logged
    (by whoever brought the earlier movement) on the movement it became."""
    by = {"device_id": checkin.device_id, "user_id": None if checkin.device_id else checkin.user_id}
    while True:
        direction, refusal, details, slot = admission.following(checkin.direction, checkin.slot)
        scan = session.scalar(_WAITING_AFTER, {"ticket_id": checkin.ticket_id, "checkpoint_id": checkin.checkpoint_id, "direction": direction,
                                               "result": refusal, "details": details, "at": checkin.at})
        if scan is None:
            return
        checkin = insert_checkin(
            session, event_id=checkin.event_id, checkpoint_id=checkin.checkpoint_id, ticket_id=checkin.ticket_id,
            registration_id=checkin.registration_id, direction=direction, slot=slot, source=scan.source, at=scan.scanned_at,
            device_id=scan.device_id, user_id=None if scan.device_id else scan.user_id,
        )
        if checkin is None:  # the slot is held: recorded meanwhile by another request, or a later movement holds it
            return
        scan.checkin_id, scan.sync_conflict = checkin.id, True
        session.add(CheckInChange(event_id=checkin.event_id, checkin_id=checkin.id, action=ChangeAction.RECORDED_LATER, reason="", at=utcnow(), **by))


# What became of a scan, for corrections and the organizers' pages.


def scan_of(session: Session, checkin: CheckIn) -> Scan | None:
    """The scan that made `checkin`: of its ticket, checkpoint and direction, at its very time, on its device."""
    device = Scan.device_id.is_(None) if checkin.device_id is None else Scan.device_id == checkin.device_id
    return session.scalar(
        select(Scan).where(Scan.ticket_id == checkin.ticket_id, Scan.checkpoint_id == checkin.checkpoint_id, Scan.direction == checkin.direction,
                           Scan.scanned_at == checkin.at, device).order_by(Scan.id).limit(1)
    )


def recorded_again(session: Session, checkin: CheckIn) -> CheckIn | None:
    """For a movement set aside as a duplicate whose scan was then recorded again after the earlier movements
    (`record_following`): the movement its scan is now (undone since, perhaps). None for any other."""
    if checkin.undone_at is None:
        return None
    scan = scan_of(session, checkin)
    became = scan.checkin if scan is not None else None
    if became is None or became.id == checkin.id or not _made_by(scan, became):
        return None
    return became


def _made_by(scan: Scan, checkin: CheckIn) -> bool:
    """Whether `checkin` is the scan's own movement (its time and direction), not an earlier one it names (as `_REDECIDED`)."""
    return checkin.at == scan.scanned_at and checkin.direction == scan.direction


def last_change(session: Session, checkin: CheckIn) -> ChangeAction | None:
    return session.scalar(
        select(CheckInChange.action).where(CheckInChange.checkin_id == checkin.id).order_by(CheckInChange.at.desc(), CheckInChange.id.desc()).limit(1)
    )


def named_by(session: Session, scan: Scan) -> CheckIn | None:
    """The movement a refused scan named when it was decided (what staff were told). Its check-in names it, unless
    the scan was recorded after all since: then it names what it became, and the one named is the latest movement
    of that kind before the scan that was in force when it was decided."""
    checkin = scan.checkin
    if scan.result == ScanResult.OK or checkin is None or not _made_by(scan, checkin):
        return checkin
    return session.scalar(
        select(CheckIn).where(
            CheckIn.ticket_id == scan.ticket_id, CheckIn.checkpoint_id == scan.checkpoint_id, CheckIn.id != checkin.id,
            CheckIn.direction == admission.refusal_direction(scan.result), CheckIn.at <= scan.scanned_at,
            or_(CheckIn.undone_at.is_(None), CheckIn.undone_at > scan.received_at),
        ).order_by(CheckIn.at.desc(), CheckIn.id.desc()).limit(1).options(joinedload(CheckIn.checkpoint), joinedload(CheckIn.device))
    )
