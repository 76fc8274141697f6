"""The rules of a scan as plain functions of plain values, shared by both ways a scan is decided.

`scanning.scan_code` decides every scan with ORM objects (desk, kiosk, offline sync, organizers);
`scan_lane` decides the usual scan of a paired phone in a few Core statements. Both ask these
functions, so a rule changed here changes both, and both store the same rows with the same
INSERT … ON CONFLICT DO NOTHING statements.
"""
from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy.dialects import postgresql, sqlite

from eventsys.attendance.models import Direction, EntryPolicy, ScanResult
from eventsys.attendance.verdicts import LEFT, NO_ENTRY
from eventsys.core.timezones import to_local
from eventsys.registration.models import RegistrationState

RAW_CODE_STORED = 300


def live_refusal(state: RegistrationState, revoked_at: datetime | None, revoke_reason: str | None) -> tuple[ScanResult, str] | None:
    """Why a ticket that exists cannot be used (a registration not confirmed, a revoked ticket); None when it can."""
    if state != RegistrationState.CONFIRMED:
        return ScanResult.REVOKED, str(state)
    if revoked_at is not None:
        return ScanResult.REVOKED, revoke_reason or "revoked"
    return None


def rule_refusal(allowed: set[int], category_id: int, opens_at: datetime | None, closes_at: datetime | None,
                 at: datetime) -> tuple[ScanResult, str] | None:
    """The checkpoint's own refusal: the delegate's category (no categories: everyone), then its window."""
    if allowed and category_id not in allowed:
        return ScanResult.NOT_ALLOWED_HERE, "category"
    if opens_at is not None and at < opens_at:
        return ScanResult.OUTSIDE_WINDOW, "not open"
    if closes_at is not None and at > closes_at:
        return ScanResult.OUTSIDE_WINDOW, "closed"
    return None


def fixed_slot(policy: EntryPolicy, zone: str, at: datetime, nonce: str) -> str | None:
    """The admission's slot under a policy that needs no history; None for entry-and-exit (it counts movements)."""
    if policy == EntryPolicy.ONCE:
        return "once"
    if policy == EntryPolicy.ONCE_PER_DAY:
        return f"day:{to_local(at, zone).date().isoformat()}"
    if policy == EntryPolicy.UNLIMITED:
        return f"any:{nonce}"
    return None


def in_out_slot(direction: Direction, ins: int, outs: int, late: bool) -> tuple[str | None, ScanResult | None]:
    """The slot of an entry or exit at an entry-and-exit checkpoint (`ins`, `outs`: its live movements), or its refusal.

    Movements are judged by their times: a `late` one (a later movement is already recorded, as when
    an offline scan uploads after an online one) cannot come between two that alternate, so it is
    refused as things stood at its time; otherwise it takes the next slot.
    """
    if direction == Direction.IN:
        return (f"in:{outs + 1}", None) if not late and ins <= outs else (None, ScanResult.ALREADY_CHECKED_IN)
    return (f"out:{ins}", None) if not late and ins > outs else (None, ScanResult.NOT_INSIDE)


def refusal_direction(refusal: ScanResult) -> Direction:
    """The movement that explains an entry-and-exit refusal: an entry for already inside, an exit for not inside."""
    return Direction.IN if refusal == ScanResult.ALREADY_CHECKED_IN else Direction.OUT


def explaining(refusal: ScanResult, before, after):
    """The movement a refusal names (`before`/`after`: the movements recorded at or before the scan's time and after it):
    the entry it is inside since, or the exit it left by; a later one when the scan came too late to fit."""
    named = refusal_direction(refusal)
    if before is not None and before.direction == named:
        return before
    return after if after is not None and after.direction == named else None


def following(direction: Direction, slot: str) -> tuple[Direction, ScanResult, list[str], str]:
    """After the movement in `slot`: the opposite one, the refusal (with its details) it got while this one was not yet known, its slot."""
    number = int(slot.partition(":")[2])
    if direction == Direction.IN:
        return Direction.OUT, ScanResult.NOT_INSIDE, [LEFT, NO_ENTRY], f"out:{number}"
    return Direction.IN, ScanResult.ALREADY_CHECKED_IN, ["inside"], f"in:{number + 1}"


def corrected_time(now: datetime, device_time: datetime | None, clock_offset: timedelta | None) -> datetime:
    """When the scan happened by the server's clock: the device's time plus its measured offset, never in the future."""
    if device_time is None:
        return now
    at = device_time + (clock_offset or timedelta(0))
    return min(at, now)


_INSERTS: dict[tuple, object] = {}


def insert_or_nothing(dialect: str, table, unique: tuple[str, ...]):
    """INSERT … ON CONFLICT (unique) DO NOTHING RETURNING id for `table`, built once per database kind."""
    statement = _INSERTS.get((dialect, table.name, unique))
    if statement is None:
        insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
        statement = insert(table).on_conflict_do_nothing(index_elements=list(unique)).returning(table.c.id)
        _INSERTS[(dialect, table.name, unique)] = statement
    return statement


def scan_values(*, event_id: int, nonce: str, checkpoint_id: int, device, user, direction, source, code: str,
                ticket_id: int | None, registration_id: int | None, result: ScanResult, detail: str, checkin_id: int | None,
                at: datetime, now: datetime, device_time: datetime | None = None, clock_offset: timedelta | None = None,
                local_result: str | None = None) -> dict:
    """The stored scan's columns (all but the id). `device` needs id, user_id and staff_name; `user` id and name."""
    return dict(
        event_id=event_id,
        nonce=nonce,
        checkpoint_id=checkpoint_id,
        device_id=device.id if device else None,
        user_id=user.id if user else (device.user_id if device else None),
        staff_name=(device.staff_name if device else (user.name if user else ""))[:200],
        direction=direction,
        source=source,
        raw_code=code[:RAW_CODE_STORED],
        ticket_id=ticket_id,
        registration_id=registration_id,
        result=result,
        detail=detail[:200],
        checkin_id=checkin_id,
        device_time=device_time,
        scanned_at=at,
        received_at=now,
        offline=device_time is not None,
        clock_offset_seconds=int(clock_offset.total_seconds()) if clock_offset is not None else None,
        local_result=local_result,
        sync_conflict=local_result == ScanResult.OK and result != ScanResult.OK,
    )
