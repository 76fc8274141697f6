"""One verdict per scan, the same on every path: camera, handheld scanner, search, kiosk, offline sync.

The order of the checks is what staff see: a forged or unknown code first, then a cancelled or
re-issued ticket, then the wrong checkpoint for the delegate's category, then the checkpoint's
window, and only then the admission itself. The admission is one INSERT … ON CONFLICT DO NOTHING
against the (ticket, checkpoint, slot) unique constraint, so any number of devices scanning one
ticket at the same instant get exactly one `ok` and the rest `already_checked_in`, on SQLite and
PostgreSQL alike, with no savepoint and no retry. At an entry-and-exit checkpoint the movements are
ordered by their scan times, whatever order they arrive in (`movements`).

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
from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session, joinedload

from eventsys.attendance import movements, ticket_keys
from eventsys.attendance.admission import corrected_time, fixed_slot, live_refusal, rule_refusal, scan_values
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
from eventsys.attendance.movements import insert_checkin, insert_or_nothing, latest
from eventsys.attendance.verdicts import CLOSED, NOT_OPEN, UNDO_MINUTES, message_for, window_detail
from eventsys.core.db import utcnow
from eventsys.core.rules import RuleViolation
from eventsys.events.models import Event
from eventsys.registration import tickets
from eventsys.registration.models import EventKey, Registration, Ticket

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


def _admit(session, event, checkpoint, verdict, *, direction, at, nonce, source, device, user) -> _Verdict:
    ticket = verdict.ticket
    values = dict(event_id=event.id, checkpoint_id=checkpoint.id, ticket_id=ticket.id, registration_id=verdict.registration.id, direction=direction,
                  source=source, at=at, device_id=device.id if device else None, user_id=user.id if user else None)
    if checkpoint.policy == EntryPolicy.IN_OUT:  # ordered by the scans' times (movements)
        checkin, refusal, detail, previous = movements.admit(session, values, device=device)
        if checkin is None:
            return _Verdict(refusal, detail, ticket, verdict.registration, previous=previous)
        return _Verdict(ScanResult.OK, "", ticket, verdict.registration, checkin=checkin)
    slot = fixed_slot(checkpoint.policy, event.timezone, at, nonce)
    checkin = insert_checkin(session, slot=slot, **values)
    if checkin is None:  # the slot was taken: by an earlier scan, or by one at this very instant
        return _Verdict(ScanResult.ALREADY_CHECKED_IN, slot, ticket, verdict.registration, previous=latest(session, ticket.id, checkpoint.id, slot))
    return _Verdict(ScanResult.OK, "", ticket, verdict.registration, checkin=checkin)


def _slot(session: Session, event: Event, checkpoint: Checkpoint, ticket: Ticket, direction: Direction, at: datetime, nonce: str):
    """The slot an admission at `at` takes, or the refusal when none is free (entry-and-exit)."""
    slot = fixed_slot(checkpoint.policy, event.timezone, at, nonce)
    if slot is not None:
        return slot, None
    return movements.in_out_slot(session, ticket.id, checkpoint.id, direction, at)


# Entry points.


def _replay(session: Session, event: Event, nonce: str) -> ScanOutcome | None:
    scan_id = session.scalar(_SCAN_BY_NONCE, {"event_id": event.id, "nonce": nonce})  # seldom found
    if scan_id is None:
        return None
    scan = session.get(Scan, scan_id)
    checkin = scan.checkin
    ok = scan.result == ScanResult.OK
    outcome = ScanOutcome(  # a refusal names what it named then, even if recorded after all since
        scan.result, "", scan, checkin if ok else None, None if ok else movements.named_by(session, scan), scan.registration, replayed=True
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
    scan = insert_or_nothing(session, Scan, values, ["event_id", "nonce"])
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


def _undone_already(session: Session, checkin: CheckIn) -> RuleViolation:
    exit_ = checkin.direction == Direction.OUT
    if movements.last_change(session, checkin) == ChangeAction.DUPLICATE:
        if exit_:
            return RuleViolation(_("Nothing to undo: an earlier scan of this exit synced later and counts instead. Ask an organizer to correct it."))
        return RuleViolation(_("Nothing to undo: an earlier scan of this entry synced later and counts instead. Ask an organizer to correct it."))
    return RuleViolation(_("This exit was already undone.") if exit_ else _("This check-in was already undone."))


def undo_checkin(session: Session, checkin: CheckIn, *, user=None, device: ScannerDevice | None = None, reason: str = "",
                 now: datetime | None = None) -> CheckIn:
    """Take back a mistaken check-in. A device may undo only its own, within UNDO_MINUTES; organizers (user, no device) any.

    One set aside whose scan was recorded again as a later movement (movements.recorded_again) is that movement now:
    it is the one undone. Returns the check-in undone."""
    now = now or utcnow()
    if checkin.undone_at is not None:
        checkin = movements.recorded_again(session, checkin) or checkin
    if checkin.undone_at is not None:
        raise _undone_already(session, checkin)
    if device is not None:
        if checkin.device_id != device.id:
            raise RuleViolation(_("Only the device that recorded this check-in can undo it. Ask an organizer."))
        if now - checkin.at > timedelta(minutes=UNDO_MINUTES):
            raise RuleViolation(_("Too late to undo here (%(num)d minutes). Ask an organizer to correct it.", num=UNDO_MINUTES))
    if checkin.checkpoint.policy == EntryPolicy.IN_OUT:
        last = latest(session, checkin.ticket_id, checkin.checkpoint_id)
        if last is not None and last.id != checkin.id:
            raise RuleViolation(_("Undo the later entry or exit of this person first."))
    checkin.undone_at = now
    checkin.slot = f"undone:{checkin.id}"  # frees the slot: the person can be checked in again
    session.add(CheckInChange(event_id=checkin.event_id, checkin=checkin, action=ChangeAction.UNDO, reason=(reason or "").strip(),
                              user_id=user.id if user else None, device_id=device.id if device else None, at=now))
    session.flush()
    return checkin


def restore_checkin(session: Session, checkin: CheckIn, *, user, reason: str = "", now: datetime | None = None) -> None:
    """An organizer takes back an undo; refused when the person was admitted again meanwhile."""
    now = now or utcnow()
    if checkin.undone_at is None:
        raise RuleViolation(_("This check-in is not undone."))
    if movements.recorded_again(session, checkin) is not None:  # it counts as that movement: restoring this would count it twice
        raise RuleViolation(_("This scan was recorded again after the earlier movements and counts there; restoring this one would count it twice."))
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
