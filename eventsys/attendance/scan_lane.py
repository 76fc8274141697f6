"""The usual scan of a paired phone, decided in three Core statements and two INSERTs.

At a ballroom door almost every scan is the same case: a paired device, a checkpoint of its event,
a validly signed ticket of a confirmed delegate who may enter now, admitted (`ok`) or already
admitted (`already_checked_in`). `scanning.scan_code` decides it with ORM objects in eight
statements and about 2.6 ms of CPU; this lane reads plain rows — the device with its token, event
and checkpoint in one statement, the ticket with its delegate in another — and asks the same rules
(`admission`) and stores the same rows with the same INSERT … ON CONFLICT DO NOTHING statements.

Anything else returns None before anything is written, and the endpoint decides the scan with
`scan_code`, the only place the unusual cases are handled: no or another token, a device or token
to be marked as seen, a desk code, a forged, re-issued, revoked or refused ticket, a checkpoint
outside its window or of entry-and-exit, a nonce used before (found when its INSERT conflicts,
which rolls this lane's admission back).

On SQLite the reads run without the write lock (`core.db.defer_write_lock`); the lock is taken
for the two INSERTs and the commit only, so workers no longer queue for the whole request. The
admission itself is still decided by the unique constraint under that lock.
"""
from __future__ import annotations

from datetime import datetime
from typing import NamedTuple

from flask import request
from sqlalchemy import and_, bindparam, select

from eventsys.accounts.models import EventRoleName
from eventsys.api import services as api_services
from eventsys.api.models import ApiToken
from eventsys.api.responses import storable_id
from eventsys.attendance import devices, scanning, ticket_keys
from eventsys.attendance.admission import fixed_slot, insert_or_nothing, live_refusal, rule_refusal, scan_values
from eventsys.attendance.models import (
    CheckIn,
    CheckInSource,
    Checkpoint,
    Direction,
    Scan,
    ScannerDevice,
    ScanResult,
    checkpoint_categories,
)
from eventsys.attendance.verdicts import Admission, attendee_fields, verdict_json, verdict_message
from eventsys.core.db import defer_write_lock, utcnow, write_lock_from_start, write_phase
from eventsys.core.tokens import hash_secret
from eventsys.events.models import Event, Organization
from eventsys.registration import tickets
from eventsys.registration.models import DelegateCategory, Registration, Ticket

_tokens, _devices, _events = ApiToken.__table__, ScannerDevice.__table__, Event.__table__
_checkpoints, _tickets, _registrations = Checkpoint.__table__, Ticket.__table__, Registration.__table__
_CALLER = (  # the device of the token, its event, the checkpoint asked for and the categories it admits (a row each)
    select(
        _tokens.c.last_used_at, _devices.c.id.label("device_id"), _devices.c.staff_name, _devices.c.user_id, _devices.c.last_seen_at,
        _events.c.id.label("event_id"), _events.c.timezone, _events.c.created_at.label("event_created_at"),
        _checkpoints.c.id.label("checkpoint_id"), _checkpoints.c.name.label("checkpoint_name"), _checkpoints.c.policy,
        _checkpoints.c.opens_at, _checkpoints.c.closes_at, checkpoint_categories.c.category_id,
    )
    .select_from(
        _tokens.join(_devices, and_(_devices.c.api_token_id == _tokens.c.id, _devices.c.event_id == _tokens.c.event_id))
        .join(_events, _events.c.id == _tokens.c.event_id)
        .outerjoin(_checkpoints, and_(_checkpoints.c.id == bindparam("checkpoint_id"), _checkpoints.c.event_id == _events.c.id))
        .outerjoin(checkpoint_categories, checkpoint_categories.c.checkpoint_id == _checkpoints.c.id)
    )
    .where(
        _tokens.c.token_hash == bindparam("token_hash"), _tokens.c.revoked_at.is_(None), _tokens.c.role == EventRoleName.CHECKIN,
        _devices.c.revoked_at.is_(None), _events.c.slug == bindparam("slug"),
    )
)
_organizations, _categories = Organization.__table__, DelegateCategory.__table__
_TICKET = (
    select(
        _tickets.c.event_id, _tickets.c.serial, _tickets.c.revoked_at, _tickets.c.revoke_reason, _registrations.c.id.label("registration_id"),
        _registrations.c.state, _registrations.c.name, _registrations.c.position, _registrations.c.category_id,
        _registrations.c.proposed_organization, _organizations.c.name.label("organization"), _organizations.c.province,
        _categories.c.name.label("category_name"), _categories.c.color.label("category_color"),
    )
    .select_from(
        _tickets.join(_registrations, _registrations.c.id == _tickets.c.registration_id)
        .join(_categories, _categories.c.id == _registrations.c.category_id)
        .outerjoin(_organizations, _organizations.c.id == _registrations.c.organization_id)
    )
    .where(_tickets.c.id == bindparam("ticket_id"))
)
_checkins = CheckIn.__table__
_PREVIOUS = (  # the admission that holds the slot, for "already checked in at 09:12 at Pintu utama"
    select(_checkins.c.id, _checkins.c.at, _checkins.c.checkpoint_id, _checkpoints.c.name, _checkins.c.direction, _devices.c.name.label("device_name"))
    .select_from(_checkins.join(_checkpoints, _checkpoints.c.id == _checkins.c.checkpoint_id).outerjoin(_devices, _devices.c.id == _checkins.c.device_id))
    .where(_checkins.c.ticket_id == bindparam("ticket_id"), _checkins.c.checkpoint_id == bindparam("checkpoint_id"),
           _checkins.c.slot == bindparam("slot"), _checkins.c.undone_at.is_(None))
)
_SOURCES = {str(CheckInSource.SCAN): CheckInSource.SCAN, str(CheckInSource.SEARCH): CheckInSource.SEARCH, str(CheckInSource.KIOSK): CheckInSource.KIOSK}
_DIRECTIONS = {"in": Direction.IN, "out": Direction.OUT}


class _Device(NamedTuple):  # what a stored scan names of its device
    id: int
    user_id: int | None
    staff_name: str


class _Scan(NamedTuple):  # what is stored of this scan
    ticket_id: int
    slot: str
    at: datetime
    code: str
    nonce: str
    direction: Direction
    source: CheckInSource


def scan(session, slug: str, item) -> dict | None:
    """The verdict's JSON for the usual scan, committed; None (nothing written) when `scan_code` must decide it."""
    defer_write_lock()
    body = _usual(session, slug, item)
    if body is None:
        write_lock_from_start(session)
    return body


def _fields(item):
    """code, nonce, direction, source and checkpoint id when all are well formed; None otherwise (the full path says what is wrong)."""
    if not isinstance(item, dict):
        return None
    code, nonce, checkpoint_id = item.get("code"), item.get("nonce"), item.get("checkpoint_id")
    direction, source = item.get("direction", "in"), item.get("source", "scan")
    if not isinstance(direction, str) or not isinstance(source, str):  # a list or an object is no key of the tables below
        return None
    direction, source = _DIRECTIONS.get(direction), _SOURCES.get(source)
    if not isinstance(code, str) or not scanning.valid_nonce(nonce) or direction is None or source is None:
        return None
    if not storable_id(checkpoint_id):  # also no number past what the database can bind
        return None
    return code.strip(), nonce, direction, source, checkpoint_id


def _caller(session, slug: str, checkpoint_id: int, now):
    header = request.headers.get("Authorization", "")
    scheme, _sep, secret = header.strip().partition(" ")
    secret = secret.strip()
    if scheme.lower() != "bearer" or not api_services.TOKEN_SHAPE.match(secret):
        return None
    rows = session.connection().execute(_CALLER, {"token_hash": hash_secret(secret), "slug": slug, "checkpoint_id": checkpoint_id}).all()
    if not rows or rows[0].checkpoint_id is None:  # no such device of this event, or no such checkpoint
        return None
    used, seen = rows[0].last_used_at, rows[0].last_seen_at
    if used is None or now - used >= api_services.TOUCH_INTERVAL or seen is None or now - seen >= devices.SEEN_INTERVAL:
        return None  # the full path notes when the token and the device were last used
    return rows[0], {row.category_id for row in rows if row.category_id is not None}


def _usual(session, slug: str, item) -> dict | None:
    fields = _fields(item)
    if fields is None:
        return None
    code, nonce, direction, source, checkpoint_id = fields
    now = utcnow()
    caller = _caller(session, slug, checkpoint_id, now)
    if caller is None:
        return None
    door, allowed = caller
    if direction == Direction.OUT:  # an exit: where exits are not recorded the full path refuses it
        return None
    event_id = door.event_id
    key = ticket_keys.kept(event_id, door.event_created_at)
    if key is None or len(code) != tickets.TOKEN_LENGTH:
        return None
    try:
        claims = tickets.verify_token(code.upper(), key, event_id=event_id)
    except tickets.InvalidTicketToken:
        return None
    ticket = session.connection().execute(_TICKET, {"ticket_id": claims.ticket_id}).first()
    if ticket is None or ticket.event_id != event_id or ticket.serial != claims.serial:
        return None
    if live_refusal(ticket.state, ticket.revoked_at, ticket.revoke_reason) is not None:
        return None
    if rule_refusal(allowed, ticket.category_id, door.opens_at, door.closes_at, now) is not None:
        return None
    slot = fixed_slot(door.policy, door.timezone, now, nonce)
    if slot is None:
        return None
    with write_phase(session):
        return _store(session, door, ticket, _Scan(claims.ticket_id, slot, now, code, nonce, direction, source))


def _store(session, door, ticket, scan: _Scan) -> dict | None:
    """The admission and the scan, committed; None (rolled back) when the nonce was used before."""
    ticket_id, registration_id, slot, now, direction = scan.ticket_id, ticket.registration_id, scan.slot, scan.at, scan.direction
    device = _Device(door.device_id, door.user_id, door.staff_name)
    connection = session.connection()
    dialect = connection.dialect.name
    checkin_id = connection.execute(insert_or_nothing(dialect, _checkins, ("ticket_id", "checkpoint_id", "slot")), {
        "event_id": door.event_id, "checkpoint_id": door.checkpoint_id, "ticket_id": ticket_id, "registration_id": registration_id,
        "direction": direction, "slot": slot, "source": scan.source, "at": now, "device_id": door.device_id, "user_id": None,
        "undone_at": None,
    }).scalar()
    checkin = previous = None
    if checkin_id is not None:
        result, detail = ScanResult.OK, ""
        checkin = Admission(checkin_id, now, door.checkpoint_id, door.checkpoint_name, direction)
    else:  # the slot is taken: by an earlier scan, or by one at this very instant
        result, detail = ScanResult.ALREADY_CHECKED_IN, slot
        row = connection.execute(_PREVIOUS, {"ticket_id": ticket_id, "checkpoint_id": door.checkpoint_id, "slot": slot}).first()
        previous = Admission(*row[:5], row.device_name or "") if row is not None else None
    admitted = checkin or previous
    scan_id = connection.execute(insert_or_nothing(dialect, Scan.__table__, ("event_id", "nonce")), scan_values(
        event_id=door.event_id, nonce=scan.nonce, checkpoint_id=door.checkpoint_id, device=device, user=None,
        direction=direction, source=scan.source, code=scan.code, ticket_id=ticket_id, registration_id=registration_id, result=result,
        detail=detail, checkin_id=admitted.id if admitted else None, at=now, now=now,
    )).scalar()
    if scan_id is None:  # this nonce was used before: the stored verdict stands, and nothing of this one is kept
        session.rollback()
        return None
    session.commit()  # the answer is made after it: every other writer waits while this block runs
    if ticket.organization is not None:  # a region of the list, with its province
        organization, province = ticket.organization, ticket.province or ""
    else:  # a body not yet in the list, as the delegate typed it
        organization, province = ticket.proposed_organization or "", ""
    attendee = attendee_fields(registration_id, ticket.name, ticket.position, organization, province, ticket.category_id,
                               ticket.category_name, ticket.category_color)
    message = verdict_message(result, detail, door.timezone, checkin=checkin, previous=previous)
    return verdict_json(result, message, scan_id, attendee, checkin, previous)
