"""What a scan's verdict says: the message staff read, and the JSON a scanner gets."""
from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from flask_babel import gettext as _

from eventsys.attendance.models import Direction, ScanResult
from eventsys.core.i18n import local_time
from eventsys.events.models import Event
from eventsys.registration import tickets
from eventsys.registration.models import Registration, RegistrationState

if TYPE_CHECKING:
    from eventsys.attendance.scanning import ScanOutcome


def message_for(event: Event, outcome: ScanOutcome, detail: str = "") -> str:
    result, previous = outcome.result, outcome.previous
    if result == ScanResult.OK:
        if outcome.checkin is not None and outcome.checkin.direction == Direction.OUT:
            return _("Exit recorded.")
        return _("Welcome! Checked in.")
    if result == ScanResult.ALREADY_CHECKED_IN:
        if previous is None:
            return _("Already checked in.")
        when = local_time(previous.at, event.timezone)
        gate = previous.checkpoint.name
        if previous.direction == Direction.OUT:
            return _("Already recorded leaving at %(time)s (%(gate)s).", time=when, gate=gate)
        return _("Already checked in at %(time)s at %(gate)s.", time=when, gate=gate)
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
        if detail == "not open":
            return _("This checkpoint is not open yet.")
        return _("This checkpoint is closed.")
    if result == ScanResult.NOT_INSIDE:
        return _("This person is not inside: no entry was recorded.")
    if result == ScanResult.INVALID_SIGNATURE:
        return _("Forged or damaged ticket: the signature does not match this event.")
    return _("Unknown code: no ticket of this event has it.")


def _organization(registration: Registration) -> tuple[str, str]:
    if registration.organization is not None:
        return registration.organization.name, registration.organization.province or ""
    return registration.proposed_organization or "", ""


def attendee_json(registration: Registration | None) -> dict | None:
    if registration is None:
        return None
    organization, province = _organization(registration)
    category = registration.category
    return {
        "registration_id": registration.id,
        "name": registration.name,
        "position": registration.position,
        "organization": organization,
        "province": province,
        "category": {"id": category.id, "name": category.name, "color": tickets.category_color(category.color)},
    }


def _iso(value: datetime | None) -> str | None:
    return value.strftime("%Y-%m-%dT%H:%M:%SZ") if value is not None else None


def outcome_json(outcome: ScanOutcome) -> dict:
    checkin, previous = outcome.checkin, outcome.previous
    return {
        "result": str(outcome.result),
        "message": outcome.message,
        "replayed": outcome.replayed,
        "scan_id": outcome.scan.id,
        "attendee": attendee_json(outcome.registration),
        "checkin": None if checkin is None else {
            "id": checkin.id, "at": _iso(checkin.at), "checkpoint_id": checkin.checkpoint_id,
            "checkpoint_name": checkin.checkpoint.name, "direction": str(checkin.direction),
        },
        "previous": None if previous is None else {
            "at": _iso(previous.at), "checkpoint_id": previous.checkpoint_id, "checkpoint_name": previous.checkpoint.name,
            "device_name": previous.device.name if previous.device else "",
        },
    }
