"""One verdict per scan, the same on every path: camera, handheld scanner, search, kiosk, offline sync.

The order of the checks is what staff see: a forged or unknown code first, then a cancelled or
re-issued ticket, then the wrong checkpoint for the delegate's category, then the checkpoint's
window, and only then the admission itself. The admission is one INSERT … ON CONFLICT DO NOTHING
against the (ticket, checkpoint, slot) unique constraint, so any number of devices scanning one
ticket at the same instant get exactly one `ok` and the rest `already_checked_in`, on SQLite and
PostgreSQL alike, with no savepoint and no retry.

Every scan is stored, refused ones too; the client's nonce makes a retried request (a flaky
network, an offline queue uploaded twice) return the stored verdict instead of counting again.
"""
from __future__ import annotations

import base64
import binascii
import re
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask_babel import gettext as _
from sqlalchemy import bindparam, func, select
from sqlalchemy.orm import Session, joinedload, make_transient_to_detached
from sqlalchemy.orm.util import identity_key

from eventsys.attendance import admission, ticket_keys
from eventsys.attendance.admission import corrected_time, fixed_slot, insert_or_nothing, live_refusal, rule_refusal, scan_values
from eventsys.attendance.checkpoints import checkpoint_window
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
from eventsys.attendance.verdicts import CLOSED, LEFT, NO_ENTRY, NOT_OPEN, message_for, window_detail
from eventsys.core.db import utcnow
from eventsys.core.rules import RuleViolation
from eventsys.events.models import Event
from eventsys.registration import tickets
from eventsys.registration.models import EventKey, Registration, Ticket

UNDO_MINUTES = 5
MAX_CODE_LENGTH = 512  # a ticket token is 120 characters; anything this long is not one of ours
NONCE_RE = re.compile(r"[A-Za-z0-9_-]{8,64}")


@dataclass
class ScanOutcome:
    result: ScanResult
    message: str
    scan: Scan
    checkin: CheckIn | None = None  # the admission this scan made
    previous: CheckIn | None = None  # the earlier admission, for already_checked_in
    registration: Registration | None = None
    replayed: bool = False


@dataclass
class _Verdict:
    result: ScanResult
    detail: str = ""
    ticket: Ticket | None = None
    registration: Registration | None = None
    checkin: CheckIn | None = None
    previous: CheckIn | None = None


def valid_nonce(nonce: object) -> bool:
    return isinstance(nonce, str) and NONCE_RE.fullmatch(nonce) is not None


# Finding the ticket.


# The statements of every scan, built once (building one costs about as much as running it);
# their values are bound parameters.
_TICKET = (
    select(Ticket)
    .where(Ticket.id == bindparam("ticket_id"))
    .options(joinedload(Ticket.registration).joinedload(Registration.category), joinedload(Ticket.registration).joinedload(Registration.organization))
)
_SCAN_BY_NONCE = select(Scan.id).where(Scan.event_id == bindparam("event_id"), Scan.nonce == bindparam("nonce"))
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
_REFUSED_AFTER = select(Scan).where(  # a movement refused because an earlier one (an offline scan) was not yet known
    Scan.ticket_id == bindparam("ticket_id"), Scan.checkpoint_id == bindparam("checkpoint_id"), Scan.direction == bindparam("direction"),
    Scan.result == bindparam("result"), Scan.detail.in_(bindparam("details", expanding=True)), Scan.scanned_at > bindparam("at"),
).order_by(Scan.scanned_at, Scan.id).limit(1)


def _ticket(session: Session, ticket_id: int) -> Ticket | None:
    return session.scalar(_TICKET, {"ticket_id": ticket_id})


def _other_event(session: Session, token: str, event: Event) -> Event | None:
    """The event a validly signed token of another event belongs to (staff at the wrong venue door)."""
    try:
        event_id = int.from_bytes(base64.b32decode(token)[1:5], "big")
    except (binascii.Error, ValueError):
        return None
    if event_id == event.id:
        return None
    key = session.get(EventKey, event_id)
    if key is None:
        return None
    try:
        tickets.verify_token(token, bytes(key.public_key), event_id=event_id)
    except tickets.InvalidTicketToken:
        return None
    return session.get(Event, event_id)


def _identify(session: Session, event: Event, code: str) -> _Verdict:
    if len(code) > MAX_CODE_LENGTH:
        return _Verdict(ScanResult.UNKNOWN, "too long")
    token = code.upper()
    if len(token) == tickets.TOKEN_LENGTH and re.fullmatch(r"[A-Z2-7]+", token):
        try:
            claims = ticket_keys.verify(session, event, token)
        except tickets.InvalidTicketToken:
            other = _other_event(session, token, event)
            if other is not None:
                return _Verdict(ScanResult.NOT_ALLOWED_HERE, f"event:{other.name}"[:200])
            return _Verdict(ScanResult.INVALID_SIGNATURE)
        ticket = _ticket(session, claims.ticket_id)
        if ticket is None or ticket.event_id != event.id:
            return _Verdict(ScanResult.UNKNOWN, "no such ticket")
        if claims.serial != ticket.serial:
            return _Verdict(ScanResult.REVOKED, tickets.REISSUED, ticket, ticket.registration)
        return _live(ticket)
    desk_code = tickets.normalize_code(code)
    if desk_code:
        ticket_id = session.scalar(select(Ticket.id).where(Ticket.event_id == event.id, Ticket.code == desk_code))
        if ticket_id is not None:
            return _live(_ticket(session, ticket_id))
    return _Verdict(ScanResult.UNKNOWN)


def _live(ticket: Ticket) -> _Verdict:
    registration = ticket.registration
    refusal = live_refusal(registration.state, ticket.revoked_at, ticket.revoke_reason)
    if refusal is not None:
        return _Verdict(*refusal, ticket, registration)
    return _Verdict(ScanResult.OK, "", ticket, registration)


# The checkpoint's rules and the admission.


def _rules(checkpoint: Checkpoint, verdict: _Verdict, at: datetime) -> _Verdict:
    opens_at, closes_at = checkpoint_window(checkpoint)
    refusal = rule_refusal({c.id for c in checkpoint.categories}, verdict.registration.category_id, opens_at, closes_at, at)
    if refusal is not None:
        result, detail = refusal
        if detail in (NOT_OPEN, CLOSED):  # with the time, for the message and the log
            detail = window_detail(detail, opens_at if detail == NOT_OPEN else closes_at)
        return _Verdict(result, detail, verdict.ticket, verdict.registration)
    return verdict


def _movements(session: Session, ticket: Ticket, checkpoint: Checkpoint) -> tuple[dict[Direction, int], datetime | None]:
    """How many live entries and exits, and when the last one happened."""
    rows = session.execute(
        select(CheckIn.direction, func.count(CheckIn.id), func.max(CheckIn.at))
        .where(CheckIn.ticket_id == ticket.id, CheckIn.checkpoint_id == checkpoint.id, CheckIn.undone_at.is_(None))
        .group_by(CheckIn.direction)
    ).all()
    counts = {Direction.IN: 0, Direction.OUT: 0}
    counts.update({Direction(direction): n for direction, n, _last in rows})
    return counts, max((last for _direction, _n, last in rows), default=None)


def _slot(session: Session, event: Event, checkpoint: Checkpoint, ticket: Ticket, direction: Direction, at: datetime, nonce: str):
    """The slot this admission takes, or the refusal when none is free (entry-and-exit)."""
    slot = fixed_slot(checkpoint.policy, event.timezone, at, nonce)
    if slot is not None:
        return slot, None
    counts, last = _movements(session, ticket, checkpoint)
    return admission.in_out_slot(direction, counts[Direction.IN], counts[Direction.OUT], late=last is not None and last > at)


def _insert_or_nothing(session: Session, model, values: dict, unique: list[str]):
    """INSERT … ON CONFLICT DO NOTHING RETURNING id: the new object, or None when the unique key is taken.

    One statement on both databases: no savepoint, no exception, no retry when racing writers collide.
    `values` names every column but the id, so the object is made from them and the id, as if loaded.
    """
    statement = insert_or_nothing(session.get_bind().dialect.name, model.__table__, tuple(unique))
    new_id = session.execute(statement, values).scalar()
    if new_id is None:
        return None
    if session.identity_map.get(identity_key(model, new_id)) is not None:  # an id used again (SQLite) while this session holds the old row
        return session.get(model, new_id, populate_existing=True)
    row = model(id=new_id, **values)
    make_transient_to_detached(row)
    session.add(row)  # persistent and unchanged: no UPDATE at the commit
    return row


def _insert_checkin(session: Session, **values) -> CheckIn | None:
    """The admission (or exit) in its slot, or None when the slot is taken."""
    return _insert_or_nothing(session, CheckIn, values | {"undone_at": None}, ["ticket_id", "checkpoint_id", "slot"])


def _latest(session: Session, ticket: Ticket, checkpoint: Checkpoint, slot: str | None = None) -> CheckIn | None:
    params = {"ticket_id": ticket.id, "checkpoint_id": checkpoint.id}
    if slot is None:
        return session.scalar(_LATEST, params)
    return session.scalar(_LATEST_IN_SLOT, params | {"slot": slot})


def _admit(session, event, checkpoint, verdict, *, direction, at, nonce, source, device, user) -> _Verdict:
    ticket = verdict.ticket
    slot, refusal = _slot(session, event, checkpoint, ticket, direction, at, nonce)
    if refusal is not None:  # already inside since when, or not inside: left already (when and where) or never came in
        params = {"ticket_id": ticket.id, "checkpoint_id": checkpoint.id, "at": at}
        previous = admission.explaining(refusal, session.scalar(_BEFORE, params), session.scalar(_AFTER, params))
        detail = "inside" if refusal == ScanResult.ALREADY_CHECKED_IN else (LEFT if previous is not None else NO_ENTRY)
        return _Verdict(refusal, detail, ticket, verdict.registration, previous=previous)
    checkin = _insert_checkin(
        session, event_id=event.id, checkpoint_id=checkpoint.id, ticket_id=ticket.id, registration_id=verdict.registration.id,
        direction=direction, slot=slot, source=source, at=at, device_id=device.id if device else None, user_id=user.id if user else None,
    )
    if checkin is None:  # the slot was taken: by an earlier scan, or by one at this very instant
        return _Verdict(ScanResult.ALREADY_CHECKED_IN, slot, ticket, verdict.registration, previous=_latest(session, ticket, checkpoint, slot))
    if checkpoint.policy == EntryPolicy.IN_OUT:
        _record_refused_after(session, checkin)
    return _Verdict(ScanResult.OK, "", ticket, verdict.registration, checkin=checkin)


def _record_refused_after(session: Session, checkin: CheckIn) -> None:
    """Record what was refused only because this earlier movement had not yet arrived: an exit scanned at 19:30
    while the entry of 19:00 waited in a phone's offline queue is recorded at 19:30 once that entry is admitted;
    its scan stays as staff saw it (not inside), flagged for organizers and naming the exit it became."""
    while True:
        direction, refusal, details, slot = admission.following(checkin.direction, checkin.slot)
        scan = session.scalar(_REFUSED_AFTER, {"ticket_id": checkin.ticket_id, "checkpoint_id": checkin.checkpoint_id, "direction": direction,
                                               "result": refusal, "details": details, "at": checkin.at})
        if scan is None:
            return
        checkin = _insert_checkin(
            session, event_id=checkin.event_id, checkpoint_id=checkin.checkpoint_id, ticket_id=checkin.ticket_id,
            registration_id=checkin.registration_id, direction=direction, slot=slot, source=scan.source, at=scan.scanned_at,
            device_id=scan.device_id, user_id=None if scan.device_id else scan.user_id,
        )
        if checkin is None:  # recorded meanwhile by another request
            return
        scan.checkin_id, scan.sync_conflict = checkin.id, True


# Entry points.


def _replay(session: Session, event: Event, nonce: str) -> ScanOutcome | None:
    scan_id = session.scalar(_SCAN_BY_NONCE, {"event_id": event.id, "nonce": nonce})  # seldom found
    if scan_id is None:
        return None
    scan = session.get(Scan, scan_id)
    checkin = scan.checkin
    ok = scan.result == ScanResult.OK
    outcome = ScanOutcome(
        scan.result, "", scan, checkin if ok else None, None if ok else checkin, scan.registration, replayed=True
    )
    outcome.message = message_for(event, outcome, scan.detail)
    return outcome


def _decide(session, event, checkpoint, verdict, *, code, nonce, direction, source, device, user, device_time, clock_offset, local_result, now):
    now = now or utcnow()
    at = corrected_time(now, device_time, clock_offset)
    if verdict.result == ScanResult.OK:
        verdict = _rules(checkpoint, verdict, at)
    if verdict.result == ScanResult.OK:
        verdict = _admit(session, event, checkpoint, verdict, direction=direction, at=at, nonce=nonce, source=source, device=device, user=user)
    admitted = verdict.checkin or verdict.previous
    values = scan_values(
        event_id=event.id, nonce=nonce, checkpoint_id=checkpoint.id, device=device, user=user, direction=direction, source=source, code=code,
        ticket_id=verdict.ticket.id if verdict.ticket else None, registration_id=verdict.registration.id if verdict.registration else None,
        result=verdict.result, detail=verdict.detail, checkin_id=admitted.id if admitted else None, at=at, now=now,
        device_time=device_time, clock_offset=clock_offset, local_result=local_result,
    )
    scan = _insert_or_nothing(session, Scan, values, ["event_id", "nonce"])
    if scan is None:  # a concurrent request with the same nonce stored its verdict first: that one stands
        return _replay(session, event, nonce)
    outcome = ScanOutcome(verdict.result, "", scan, verdict.checkin, verdict.previous, verdict.registration)
    outcome.message = message_for(event, outcome, verdict.detail)
    return outcome


def scan_code(
    session: Session,
    event: Event,
    checkpoint: Checkpoint,
    code: str,
    *,
    nonce: str,
    direction: Direction = Direction.IN,
    device: ScannerDevice | None = None,
    user=None,
    source: CheckInSource = CheckInSource.SCAN,
    device_time: datetime | None = None,
    clock_offset: timedelta | None = None,
    local_result: str | None = None,
    now: datetime | None = None,
) -> ScanOutcome:
    """Scan a ticket token or desk code at `checkpoint`; the caller commits."""
    if not valid_nonce(nonce):
        raise ValueError("the nonce must be 8 to 64 characters of A-Z, a-z, 0-9, _ or -")
    if checkpoint.event_id != event.id:
        raise ValueError("the checkpoint belongs to another event")
    replay = _replay(session, event, nonce)
    if replay is not None:
        return replay
    code = (code or "").replace("\x00", "").strip()
    verdict = _identify(session, event, code)
    return _decide(
        session, event, checkpoint, verdict, code=code, nonce=nonce, direction=Direction(direction), source=CheckInSource(source),
        device=device, user=user, device_time=device_time, clock_offset=clock_offset, local_result=local_result, now=now,
    )


def check_in_registration(
    session: Session,
    event: Event,
    checkpoint: Checkpoint,
    registration: Registration,
    *,
    nonce: str,
    source: CheckInSource,
    user=None,
    device: ScannerDevice | None = None,
    direction: Direction = Direction.IN,
    now: datetime | None = None,
) -> ScanOutcome:
    """Check in someone found by name at a desk, or recorded by an organizer: the same rules as a scan."""
    if registration.event_id != event.id:
        raise ValueError("the registration belongs to another event")
    ticket = registration.ticket
    if ticket is None:
        return scan_code(session, event, checkpoint, "", nonce=nonce, source=source, user=user, device=device, now=now)
    return scan_code(session, event, checkpoint, ticket.code, nonce=nonce, direction=direction, source=source, user=user, device=device, now=now)


# Corrections.


def undo_checkin(session: Session, checkin: CheckIn, *, user=None, device: ScannerDevice | None = None, reason: str = "", now: datetime | None = None) -> None:
    """Take back a mistaken check-in. A device may undo only its own, within UNDO_MINUTES; organizers (user, no device) any."""
    now = now or utcnow()
    if checkin.undone_at is not None:
        raise RuleViolation(_("This check-in was already undone."))
    if device is not None:
        if checkin.device_id != device.id:
            raise RuleViolation(_("Only the device that recorded this check-in can undo it. Ask an organizer."))
        if now - checkin.at > timedelta(minutes=UNDO_MINUTES):
            raise RuleViolation(_("Too late to undo here (%(num)d minutes). Ask an organizer to correct it.", num=UNDO_MINUTES))
    if checkin.checkpoint.policy == EntryPolicy.IN_OUT:
        latest = _latest(session, checkin.ticket, checkin.checkpoint)
        if latest is not None and latest.id != checkin.id:
            raise RuleViolation(_("Undo the later entry or exit of this person first."))
    checkin.undone_at = now
    checkin.slot = f"undone:{checkin.id}"  # frees the slot: the person can be checked in again
    session.add(CheckInChange(event_id=checkin.event_id, checkin=checkin, action=ChangeAction.UNDO, reason=(reason or "").strip(),
                              user_id=user.id if user else None, device_id=device.id if device else None, at=now))
    session.flush()


def restore_checkin(session: Session, checkin: CheckIn, *, user, reason: str = "", now: datetime | None = None) -> None:
    """An organizer takes back an undo; refused when the person was admitted again meanwhile."""
    now = now or utcnow()
    if checkin.undone_at is None:
        raise RuleViolation(_("This check-in is not undone."))
    event = checkin.checkpoint.event
    slot, refusal = _slot(session, event, checkin.checkpoint, checkin.ticket, checkin.direction, checkin.at, f"restored-{checkin.id}")
    taken = refusal is not None or session.scalar(
        select(CheckIn.id).where(CheckIn.ticket_id == checkin.ticket_id, CheckIn.checkpoint_id == checkin.checkpoint_id, CheckIn.slot == slot)
    )
    if taken:
        raise RuleViolation(_("This person was checked in again since; the check-in cannot be restored."))
    checkin.undone_at = None
    checkin.slot = slot
    session.add(CheckInChange(event_id=checkin.event_id, checkin=checkin, action=ChangeAction.RESTORE, reason=(reason or "").strip(),
                              user_id=user.id if user else None, at=now))
    session.flush()
