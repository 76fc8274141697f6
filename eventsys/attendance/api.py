"""The scanner's JSON API: what a paired device needs to check people in, online and offline.

Every call carries the device's token (`Authorization: Bearer evs_…`, made when the device was
paired); a token that is not a paired, unrevoked device of this event is refused. Verdicts are
200 responses whatever they say (a red screen is a normal answer); 4xx means the request itself
was wrong.
"""
from __future__ import annotations

import base64
from datetime import UTC, datetime, timedelta

from flask import Blueprint, jsonify, request
from flask_babel import gettext as _
from sqlalchemy import bindparam, or_, select
from sqlalchemy.orm import joinedload

from eventsys.accounts.models import EventRoleName
from eventsys.api import services as api_services
from eventsys.api.auth import require_event_scope, require_token
from eventsys.api.openapi import SECURITY, errors, id_schema, json_response, path_parameter, spec
from eventsys.api.responses import api_error, iso_utc, storable_id
from eventsys.attendance import devices, scan_lane, scanning, verdicts
from eventsys.attendance.checkpoints import event_checkpoints
from eventsys.attendance.models import CheckIn, CheckInSource, Checkpoint, Direction, EntryPolicy, ScanResult
from eventsys.core.access import api_access
from eventsys.core.db import utcnow
from eventsys.core.rules import RuleViolation
from eventsys.events.models import Event, Organization
from eventsys.extensions import db
from eventsys.registration import tickets
from eventsys.registration.models import DelegateCategory, Registration, RegistrationState, RevokedToken, Ticket

bp = Blueprint("attendance_api", __name__, url_prefix="/api/v1/events/<slug>")
CSRF_EXEMPT = True  # bearer tokens only; no cookie can carry one across sites

MAX_BATCH = 500
SEARCH_LIMIT = 20
SOURCES = {str(CheckInSource.SCAN), str(CheckInSource.SEARCH), str(CheckInSource.KIOSK)}
# A device's clock may be far off (a reset one says 1970), but not further than scans.clock_offset_seconds holds.
MAX_CLOCK_SKEW = timedelta(seconds=2**31 - 1)

spec.add_tag("check-in", "Scanning tickets at checkpoints, for paired scanner devices.")


def _device(slug: str):
    token = require_token(EventRoleName.CHECKIN)
    device = devices.device_for_token(db.session, token)  # with its event: one query on the usual path
    if device is not None and device.event.slug == slug:
        event = device.event  # the token's own event (device_for_token checked), so in scope
    else:  # something is wrong: the same checks in the same order as ever, for the right refusal
        event = api_services.event_by_slug(db.session, slug)
        if event is None:
            api_error(404, "not_found", _("There is no event with this slug."))
        require_event_scope(token, event)
        if device is None:
            api_error(403, "forbidden", _("This token does not belong to a paired scanner of this event. Pair the device again."))
    if devices.record_seen(device) and request.method == "GET":
        db.session.commit()
    return event, device


def _bad(message: str):
    api_error(400, "bad_request", message)


# With the categories it admits (the rules need them): one query, built once.
_CHECKPOINT = select(Checkpoint).where(Checkpoint.id == bindparam("checkpoint_id")).options(joinedload(Checkpoint.categories))


def _checkpoint(event: Event, raw) -> Checkpoint:
    if not isinstance(raw, int) or isinstance(raw, bool):
        _bad(_("checkpoint_id must be a whole number."))
    checkpoint = db.session.scalars(_CHECKPOINT, {"checkpoint_id": raw}).unique().one_or_none() if storable_id(raw) else None
    if checkpoint is None or checkpoint.event_id != event.id:
        api_error(404, "not_found", _("This event has no checkpoint with this id."))
    return checkpoint


def _storable_text(text: str) -> bool:
    """False for JSON text with a lone surrogate ("\\ud800"), which no database can store."""
    try:
        text.encode()
    except UnicodeEncodeError:
        return False
    return True


def _scan_fields(event: Event, item) -> dict:
    """The checked fields of one scan; 400 naming what is wrong."""
    if not isinstance(item, dict):
        _bad(_("Send a JSON object."))
    code = item.get("code", "")
    if not isinstance(code, str) or not _storable_text(code):
        _bad(_("code must be text."))
    nonce = item.get("nonce")
    if not scanning.valid_nonce(nonce):
        _bad(_("nonce must be 8 to 64 characters of letters, digits, _ or -."))
    direction = item.get("direction", "in")
    if direction not in ("in", "out"):
        _bad(_("direction must be in or out."))
    source = item.get("source", "scan")
    if not isinstance(source, str) or source not in SOURCES:
        _bad(_("source must be one of: %(values)s.", values=", ".join(sorted(SOURCES))))
    checkpoint = _checkpoint(event, item.get("checkpoint_id"))
    if direction == "out" and checkpoint.policy != EntryPolicy.IN_OUT:
        _bad(_("This checkpoint does not record exits; send direction in."))
    return {
        "checkpoint": checkpoint,
        "code": code,
        "nonce": nonce,
        "direction": Direction(direction),
        "source": CheckInSource(source),
    }


def _time(raw, name: str, now: datetime) -> datetime:
    if not isinstance(raw, str) or len(raw) > 40:
        _bad(_("%(name)s must be a date and time like 2017-11-15T09:30:00Z.", name=name))
    try:
        value = datetime.fromisoformat(raw.replace("Z", "+00:00"))
    except ValueError:
        _bad(_("%(name)s must be a date and time like 2017-11-15T09:30:00Z.", name=name))
    if value.tzinfo is None:
        _bad(_("%(name)s must say its time zone, e.g. end in Z for UTC.", name=name))
    try:  # 0001-01-01T00:00:00+01:00 is a year before datetime's first
        value = value.astimezone(UTC)
    except OverflowError:
        value = None
    if value is None or abs(now - value) > MAX_CLOCK_SKEW:  # the offset and the corrected time must stay storable
        _bad(_("%(name)s is decades away from the server's time. Set the device's clock and send the scans again.", name=name))
    return value


@bp.post("/scans")
@api_access
def scan(slug: str):
    body = scan_lane.scan(db.session, slug, request.get_json(silent=True))  # the usual scan, in a few statements
    if body is not None:
        return jsonify(body)
    event, device = _device(slug)  # anything else, decided in full
    fields = _scan_fields(event, request.get_json(silent=True))
    checkpoint = fields.pop("checkpoint")  # held: the session keeps only rows something refers to, and the answer names it
    outcome = scanning.scan_code(db.session, event, checkpoint, fields.pop("code"), device=device, **fields)
    body = verdicts.outcome_json(outcome)  # before the commit, which expires every row it would read again
    db.session.commit()
    return jsonify(body)


@bp.post("/scans/sync")
@api_access
def sync(slug: str):
    """An offline device's queue: its scans with its own clock's times, corrected by the offset measured now."""
    event, device = _device(slug)
    now = utcnow()
    body = request.get_json(silent=True)
    if not isinstance(body, dict) or not isinstance(body.get("scans"), list):
        _bad(_("Send a JSON object with a list of scans."))
    if len(body["scans"]) > MAX_BATCH:
        _bad(_("Send at most %(num)d scans at once.", num=MAX_BATCH))
    offset = now - _time(body.get("sent_at"), "sent_at", now)
    items = []
    for item in body["scans"]:  # all checked before any is stored: a bad batch stores nothing
        fields = _scan_fields(event, item)
        fields["device_time"] = _time(item.get("scanned_at"), "scanned_at", now)
        local = item.get("local_result")
        fields["local_result"] = local if isinstance(local, str) and local in {str(r) for r in ScanResult} else None
        items.append(fields)
    results = []
    for fields in sorted(items, key=lambda f: f["device_time"]):  # in the order they happened
        checkpoint = fields.pop("checkpoint")  # held while the answer is made, as in scan()
        outcome = scanning.scan_code(db.session, event, checkpoint, fields.pop("code"), device=device, clock_offset=offset, now=now, **fields)
        results.append(verdicts.outcome_json(outcome) | {"nonce": outcome.scan.nonce})
    db.session.commit()
    order = {item.get("nonce"): i for i, item in enumerate(body["scans"])}
    results.sort(key=lambda r: order.get(r["nonce"], 0))
    return jsonify({"results": results, "clock_offset_seconds": int(offset.total_seconds())})


@bp.post("/checkins/<int:checkin_id>/undo")
@api_access
def undo(slug: str, checkin_id: int):
    event, device = _device(slug)
    checkin = db.session.get(CheckIn, checkin_id) if storable_id(checkin_id) else None
    if checkin is None or checkin.event_id != event.id:
        api_error(404, "not_found", _("This event has no check-in with this id."))
    try:
        undone = scanning.undo_checkin(db.session, checkin, device=device, user=device.user, reason=_("Undone at the door"))
    except RuleViolation as violation:
        db.session.rollback()
        api_error(409, "conflict", violation.message)
    db.session.commit()
    return jsonify({"undone": True, "checkin_id": undone.id})  # the scan's movement now: another id when it was recorded again


def _roster_rows(event: Event, *conditions, limit: int | None = None):
    query = (
        select(
            Ticket.id, Ticket.serial, Ticket.code, Ticket.revoked_at, Registration.id, Registration.name, Registration.position,
            Registration.category_id, Registration.state, Registration.proposed_organization, Organization.name, Organization.province,
        )
        .join(Registration, Ticket.registration_id == Registration.id)
        .outerjoin(Organization, Registration.organization_id == Organization.id)
        .where(Ticket.event_id == event.id, *conditions)
        .order_by(Registration.name, Registration.id)
    )
    if limit is not None:
        query = query.limit(limit + 1)
    return [
        {
            "ticket_id": ticket_id, "serial": serial, "code": code, "registration_id": registration_id, "name": name,
            "position": position or "", "organization": organization or proposed or "", "province": province or "",
            "category_id": category_id, "live": revoked_at is None and state == RegistrationState.CONFIRMED,
        }
        for (ticket_id, serial, code, revoked_at, registration_id, name, position, category_id, state, proposed, organization, province)
        in db.session.execute(query)
    ]


def _checkins(event: Event, *conditions) -> list[dict]:
    rows = db.session.execute(
        select(CheckIn.id, CheckIn.ticket_id, CheckIn.checkpoint_id, CheckIn.direction, CheckIn.slot, CheckIn.at, Checkpoint.name)
        .join(Checkpoint, CheckIn.checkpoint_id == Checkpoint.id)
        .where(CheckIn.event_id == event.id, CheckIn.undone_at.is_(None), *conditions)
        .order_by(CheckIn.at, CheckIn.id)
    )
    return [
        {"id": i, "ticket_id": t, "checkpoint_id": c, "direction": str(d), "slot": slot, "at": iso_utc(at), "checkpoint_name": name}
        for i, t, c, d, slot, at, name in rows
    ]


@bp.get("/scanner")
@api_access
def bootstrap(slug: str):
    """Everything a scanner keeps for working offline; fetched again every few minutes while online."""
    event, device = _device(slug)
    public_key = tickets.public_key_for(db.session, event)
    db.session.commit()  # the event's key, made on first use
    categories = db.session.scalars(select(DelegateCategory).where(DelegateCategory.event_id == event.id).order_by(DelegateCategory.position, DelegateCategory.id))
    return jsonify(
        {
            "event": {"id": event.id, "slug": event.slug, "name": event.name, "timezone": event.timezone},
            "device": {"id": device.id, "name": device.name, "kiosk": device.kiosk, "checkpoint_id": device.checkpoint_id, "staff_name": device.staff_name},
            "public_key": base64.urlsafe_b64encode(public_key).decode().rstrip("="),
            "server_time": iso_utc(utcnow()),
            "undo_minutes": scanning.UNDO_MINUTES,
            "checkpoints": [
                {
                    "id": c.id, "name": c.name, "policy": str(c.policy), "opens_at": iso_utc(c.opens_at), "closes_at": iso_utc(c.closes_at),
                    "category_ids": [category.id for category in c.categories],
                }
                for c in event_checkpoints(db.session, event)
            ],
            "categories": [{"id": c.id, "name": c.name, "color": tickets.category_color(c.color)} for c in categories],
            "roster": _roster_rows(event),
            "revoked": [
                {"ticket_id": t, "serial": s}
                for t, s in db.session.execute(select(RevokedToken.ticket_id, RevokedToken.serial).where(RevokedToken.event_id == event.id))
            ],
            "checkins": _checkins(event),
        }
    )


@bp.get("/attendees")
@api_access
def attendees(slug: str):
    """Find people by name or desk code, for the door's search field."""
    event, _device_row = _device(slug)
    q = " ".join((request.args.get("q") or "").replace("\x00", "").split())[:100]
    if len(q) < 2:
        _bad(_("Type at least 2 characters of a name or a ticket code."))
    code = tickets.normalize_code(q)
    pattern = "%" + q.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
    match = Registration.name.ilike(pattern, escape="\\")
    rows = _roster_rows(event, or_(match, Ticket.code == code) if code else match, limit=SEARCH_LIMIT)
    truncated = len(rows) > SEARCH_LIMIT
    rows = rows[:SEARCH_LIMIT]
    found = {row["ticket_id"] for row in rows}
    checkins = _checkins(event, CheckIn.ticket_id.in_(found)) if found else []
    for row in rows:
        row["checkins"] = [c for c in checkins if c["ticket_id"] == row["ticket_id"]]
    return jsonify({"results": rows, "truncated": truncated})


# The OpenAPI description.

SLUG = path_parameter("slug", "The event's slug.")
_ITEM = {"type": "object", "additionalProperties": True}
_NULLABLE_OBJECT = {"type": ["object", "null"], "additionalProperties": True}
spec.add_schema(
    "ScanRequest",
    {
        "type": "object",
        "required": ["checkpoint_id", "code", "nonce"],
        "properties": {
            "checkpoint_id": {"type": "integer"},
            "code": {"type": "string", "description": "The ticket's QR text (120 characters) or its desk code, e.g. K7P-4QX."},
            "nonce": {"type": "string", "pattern": "^[A-Za-z0-9_-]{8,64}$", "description": "Idempotency key: the same nonce again returns the stored verdict."},
            "direction": {"type": "string", "enum": ["in", "out"], "default": "in"},
            "source": {"type": "string", "enum": sorted(SOURCES), "default": "scan"},
        },
    },
)
spec.add_schema(
    "ScanVerdict",
    {
        "type": "object",
        "required": ["result", "message", "replayed", "scan_id", "attendee", "checkin", "previous"],
        "properties": {
            "result": {"type": "string", "enum": [str(r) for r in ScanResult], "description": "A stable reason code."},
            "message": {"type": "string", "description": "What to tell the staff, in the request's language."},
            "replayed": {"type": "boolean", "description": "True when this nonce was seen before: the stored verdict, nothing counted again."},
            "scan_id": {"type": "integer"},
            "nonce": {"type": "string"},
            "attendee": _NULLABLE_OBJECT,
            "checkin": _NULLABLE_OBJECT,
            "previous": _NULLABLE_OBJECT,
        },
    },
)
_VERDICT = {"$ref": "#/components/schemas/ScanVerdict"}
spec.add_path(
    "/events/{slug}/scans",
    post={
        "operationId": "scanTicket", "tags": ["check-in"], "security": SECURITY, "parameters": [SLUG],
        "summary": "Scan one ticket at a checkpoint. Needs a paired scanner device's token.",
        "requestBody": {"required": True, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ScanRequest"}}}},
        "responses": {"200": json_response(_VERDICT, "The verdict (refusals too).")} | errors(400, 401, 403, 404),
    },
)
spec.add_path(
    "/events/{slug}/scans/sync",
    post={
        "operationId": "syncScans", "tags": ["check-in"], "security": SECURITY, "parameters": [SLUG],
        "summary": "Upload scans made offline; times are the device's and are corrected by its clock offset.",
        "requestBody": {"required": True, "content": {"application/json": {"schema": {
            "type": "object", "required": ["sent_at", "scans"],
            "properties": {
                "sent_at": {"type": "string", "format": "date-time", "description": "The device's clock when sending; it and each scanned_at within 68 years of the server's time, else 400."},
                "scans": {"type": "array", "maxItems": MAX_BATCH, "items": {"allOf": [
                    {"$ref": "#/components/schemas/ScanRequest"},
                    {"type": "object", "required": ["scanned_at"], "properties": {
                        "scanned_at": {"type": "string", "format": "date-time"},
                        "local_result": {"type": "string", "description": "What the device showed offline."},
                    }},
                ]}},
            },
        }}}},
        "responses": {"200": json_response({"type": "object", "required": ["results"], "properties": {
            "results": {"type": "array", "items": _VERDICT}, "clock_offset_seconds": {"type": "integer"},
        }}, "One verdict per scan, in the order sent.")} | errors(400, 401, 403, 404),
    },
)
spec.add_path(
    "/events/{slug}/checkins/{checkin_id}/undo",
    post={
        "operationId": "undoCheckIn", "tags": ["check-in"], "security": SECURITY,
        "parameters": [SLUG, path_parameter("checkin_id", "The check-in's id.", id_schema())],
        "summary": f"Undo a check-in this device made, online or offline, within {scanning.UNDO_MINUTES} minutes of the scan (checkin.undo_until).",
        "responses": {"200": json_response({"type": "object", "properties": {
            "undone": {"type": "boolean"},
            "checkin_id": {"type": "integer", "description": "The check-in undone: another id than the one asked for when the scan's "
                           "movement was set aside and recorded again after earlier movements that synced later."},
        }}, "Undone.")} | errors(401, 403, 404, 409),
    },
)
spec.add_path(
    "/events/{slug}/scanner",
    get={
        "operationId": "scannerBootstrap", "tags": ["check-in"], "security": SECURITY, "parameters": [SLUG],
        "summary": "What a scanner keeps to work offline: the event's public key, checkpoints, roster, revocation list, check-ins.",
        "responses": {"200": json_response(_ITEM, "The scanner's data.")} | errors(401, 403, 404),
    },
)
spec.add_path(
    "/events/{slug}/attendees",
    get={
        "operationId": "findAttendees", "tags": ["check-in"], "security": SECURITY,
        "parameters": [SLUG, {"name": "q", "in": "query", "required": True, "schema": {"type": "string", "minLength": 2}, "description": "Part of a name, or a desk code."}],
        "summary": f"Find up to {SEARCH_LIMIT} ticket holders by name or desk code.",
        "responses": {"200": json_response(_ITEM, "Matches with their check-ins.")} | errors(400, 401, 403, 404),
    },
)
