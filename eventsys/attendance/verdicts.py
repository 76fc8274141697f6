"""What a scan's verdict says: the message staff read, and the JSON a scanner gets."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, NamedTuple

from flask_babel import gettext as _

from eventsys.attendance.models import Direction, ScanResult
from eventsys.core.db import utcnow
from eventsys.core.i18n import local_date, local_time
from eventsys.core.timezones import to_local
from eventsys.events.models import Event
from eventsys.registration import tickets
from eventsys.registration.models import Registration, RegistrationState

if TYPE_CHECKING:
    from eventsys.attendance.models import Scan
    from eventsys.attendance.scanning import ScanOutcome

# The detail codes a refusal is stored with (Scan.detail), besides a registration's state, a ticket's
# revoke reason, "category", "event:<name>" and an admission's slot. Only this module turns them into words.
NOT_OPEN, CLOSED = "not open", "closed"  # outside the window, stored as "closed:2026-11-24T10:00:00Z" with its time
LEFT, NO_ENTRY = "left", "no entry"  # an exit scan of someone not inside: left already, or never came in
_ISO = "%Y-%m-%dT%H:%M:%SZ"
# The device that made an admission may undo it for this long after the scan's time (on the server's clock), online
# or offline alike: staff take back the mistake on the screen at the door; older ones an organizer corrects.
UNDO_MINUTES = 5


class Admission(NamedTuple):
    """A check-in as a verdict shows it: the one a scan made, or the earlier one that refused it."""

    id: int
    at: datetime
    checkpoint_id: int
    checkpoint_name: str
    direction: Direction
    device_name: str = ""


def admission_of(checkin) -> Admission | None:
    if checkin is None:
        return None
    device_name = checkin.device.name if checkin.device else ""
    return Admission(checkin.id, checkin.at, checkin.checkpoint_id, checkin.checkpoint.name, checkin.direction, device_name)


def message_for(event: Event, outcome: ScanOutcome, detail: str = "") -> str:
    return verdict_message(outcome.result, detail, event.timezone, checkin=admission_of(outcome.checkin),
                           previous=admission_of(outcome.previous), now=outcome.scan.scanned_at)


def window_detail(code: str, moment: datetime | None) -> str:
    """An outside-window refusal's detail: NOT_OPEN or CLOSED with the moment it opens or closed."""
    return f"{code}:{_iso(moment)}" if moment is not None else code


def _window(detail: str) -> tuple[str, datetime | None]:
    code, _sep, moment = detail.partition(":")
    try:
        return code, datetime.strptime(moment, _ISO).replace(tzinfo=UTC)
    except ValueError:  # stored before the time was added
        return code, None


def _when(at: datetime, zone: str, now: datetime) -> tuple[str, str | None]:
    """'10:00 WIB', and the date when it was not on the day of `now` (on the event's clock); None when it was."""
    same_day = to_local(at, zone).date() == to_local(now, zone).date()
    return local_time(at, zone), None if same_day else local_date(at, zone)


def verdict_message(result: ScanResult, detail: str, zone: str, *, checkin: Admission | None = None, previous: Admission | None = None,
                    now: datetime | None = None) -> str:
    """What staff read for a verdict; `now` is when the scan happened (an earlier day is named with its date)."""
    now = now or utcnow()
    if result == ScanResult.OK:
        if checkin is not None and checkin.direction == Direction.OUT:
            return _("Exit recorded.")
        return _("Welcome! Checked in.")
    if result == ScanResult.ALREADY_CHECKED_IN:
        if previous is None:
            return _("Already checked in.")
        time, date = _when(previous.at, zone, now)
        gate = previous.checkpoint_name
        if previous.direction == Direction.OUT:
            if date:
                return _("Already recorded leaving on %(date)s at %(time)s (%(gate)s).", date=date, time=time, gate=gate)
            return _("Already recorded leaving at %(time)s (%(gate)s).", time=time, gate=gate)
        if date:
            return _("Already checked in on %(date)s at %(time)s at %(gate)s.", date=date, time=time, gate=gate)
        return _("Already checked in at %(time)s at %(gate)s.", time=time, gate=gate)
    if result == ScanResult.REVOKED:
        if detail == str(RegistrationState.CANCELLED):
            return _("This registration was cancelled.")
        if detail == tickets.REISSUED:
            return _("This is an old ticket: a new one was issued. Ask for the newest ticket.")
        if detail in {str(s) for s in RegistrationState}:
            return _("This registration is not confirmed.")
        return _("This ticket was revoked.")
    if result == ScanResult.NOT_ALLOWED_HERE:
        if detail.startswith("event:"):
            return _("This ticket is for another event: %(name)s.", name=detail[len("event:"):])
        return _("This delegate's category may not enter here.")
    if result == ScanResult.OUTSIDE_WINDOW:
        return _window_message(detail, zone, now)
    if result == ScanResult.NOT_INSIDE:
        return _not_inside_message(detail, zone, previous, now)
    if result == ScanResult.INVALID_SIGNATURE:
        return _("Forged or damaged ticket: the signature does not match this event.")
    return _("Unknown code: no ticket of this event has it.")


def _window_message(detail: str, zone: str, now: datetime) -> str:
    code, moment = _window(detail)
    if code == NOT_OPEN:
        if moment is None:
            return _("This checkpoint is not open yet.")
        time, date = _when(moment, zone, now)
        if date:
            return _("This checkpoint is not open yet: it opens on %(date)s at %(time)s.", date=date, time=time)
        return _("This checkpoint is not open yet: it opens at %(time)s.", time=time)
    if moment is None:
        return _("This checkpoint is closed.")
    time, date = _when(moment, zone, now)
    if date:
        return _("This checkpoint is closed: it closed on %(date)s at %(time)s.", date=date, time=time)
    return _("This checkpoint is closed: it closed at %(time)s.", time=time)


def _not_inside_message(detail: str, zone: str, previous: Admission | None, now: datetime) -> str:
    if detail != LEFT:
        return _("This person is not inside: no entry was recorded.")
    if previous is None:
        return _("Not inside: already left, and has not entered since.")
    time, date = _when(previous.at, zone, now)
    if date:
        return _("Not inside: left on %(date)s at %(time)s (%(gate)s), and has not entered since.",
                 date=date, time=time, gate=previous.checkpoint_name)
    return _("Not inside: left at %(time)s (%(gate)s), and has not entered since.", time=time, gate=previous.checkpoint_name)


def scan_note(scan: Scan, zone: str, checkin=None) -> str:
    """The scan log's line under a refused scan: its stored detail as the message staff saw, in the reader's language.
    `checkin`: the admission the refusal named (movements.named_by: not the scan's check-in once it was recorded after all)."""
    if scan.result == ScanResult.OK or not scan.detail:
        return ""
    previous = None if checkin is None else Admission(checkin.id, checkin.at, checkin.checkpoint_id, checkin.checkpoint.name, checkin.direction)
    return verdict_message(scan.result, scan.detail, zone, previous=previous, now=scan.scanned_at)


def _organization(registration: Registration) -> tuple[str, str]:
    if registration.organization is not None:
        return registration.organization.name, registration.organization.province or ""
    return registration.proposed_organization or "", ""


def attendee_json(registration: Registration | None) -> dict | None:
    if registration is None:
        return None
    organization, province = _organization(registration)
    category = registration.category
    return attendee_fields(registration.id, registration.name, registration.position, organization, province,
                           category.id, category.name, category.color)


def attendee_fields(registration_id: int, name: str, position: str, organization: str, province: str,
                    category_id: int, category_name: str, category_color: str | None) -> dict:
    return {
        "registration_id": registration_id,
        "name": name,
        "position": position,
        "organization": organization,
        "province": province,
        "category": {"id": category_id, "name": category_name, "color": tickets.category_color(category_color)},
    }


def _iso(value: datetime | None) -> str | None:
    return value.strftime("%Y-%m-%dT%H:%M:%SZ") if value is not None else None


def outcome_json(outcome: ScanOutcome) -> dict:
    return verdict_json(outcome.result, outcome.message, outcome.scan.id, attendee_json(outcome.registration),
                        admission_of(outcome.checkin), admission_of(outcome.previous), replayed=outcome.replayed)


def verdict_json(result: ScanResult, message: str, scan_id: int, attendee: dict | None, checkin: Admission | None,
                 previous: Admission | None, *, replayed: bool = False) -> dict:
    """What a scanner gets for a scan, whichever way it was decided."""
    return {
        "result": str(result),
        "message": message,
        "replayed": replayed,
        "scan_id": scan_id,
        "attendee": attendee,
        "checkin": None if checkin is None else {
            "id": checkin.id, "at": _iso(checkin.at), "checkpoint_id": checkin.checkpoint_id,
            "checkpoint_name": checkin.checkpoint_name, "direction": str(checkin.direction),
            "undo_until": _iso(checkin.at + timedelta(minutes=UNDO_MINUTES)),  # for the device that made it (scanning.undo_checkin)
        },
        "previous": None if previous is None else {
            "at": _iso(previous.at), "checkpoint_id": previous.checkpoint_id, "checkpoint_name": previous.checkpoint_name,
            "device_name": previous.device_name,
        },
    }
