"""JSON API of registrations: list and read, for the event's organizer and check-in tokens.

Check-in tokens (gate scanners, desk devices) get what a desk needs to find and greet a delegate;
the phone number and NIP are left out for them (null).
"""
from flask import Blueprint, jsonify, request
from flask_babel import gettext as _

from eventsys.accounts.models import EventRoleName
from eventsys.api import services as api_services
from eventsys.api.auth import require_event_scope, require_token
from eventsys.api.openapi import (
    DATETIME,
    PAGE_PARAMETERS,
    SECURITY,
    errors,
    id_schema,
    json_response,
    nullable,
    page_of,
    path_parameter,
    ref,
    spec,
)
from eventsys.api.responses import MAX_ID, api_error, iso_utc, page_json, page_params, storable_id
from eventsys.core.access import api_access
from eventsys.events.models import Event
from eventsys.extensions import db
from eventsys.registration import organizer_services as admin
from eventsys.registration.models import Registration, RegistrationState

bp = Blueprint("registration_api", __name__, url_prefix="/api/v1")

READERS = (EventRoleName.ORGANIZER, EventRoleName.CHECKIN)
NOT_FOR_CHECKIN = "Null for check-in tokens."

spec.add_tag("registrations", "Delegates registered for an event, for its organizers and check-in devices.")
spec.add_schema(
    "Registration",
    {
        "type": "object",
        "description": "A delegate's registration for one event.",
        "additionalProperties": False,
        "required": [
            "id", "name", "position", "email", "phone", "nip", "locale", "organization", "category", "state",
            "state_reason", "sessions", "ticket", "created_at", "updated_at",
        ],
        "properties": {
            "id": {"type": "integer"},
            "name": {"type": "string", "examples": ["Drs. H. Nasrudin Azis, S.H."]},
            "position": {"type": "string", "description": "Position (jabatan), may be empty.", "examples": ["Wali Kota"]},
            "email": {"type": ["string", "null"], "description": "Null when the delegate gave no email address (a walk-in registered at the desk)."},
            "phone": {"type": ["string", "null"], "description": "Mobile number in E.164, e.g. +6281234567890. " + NOT_FOR_CHECKIN},
            "nip": {"type": ["string", "null"], "description": "Civil servant's 18-digit number. " + NOT_FOR_CHECKIN},
            "locale": {"type": "string", "description": "The delegate's language: id or en.", "examples": ["id"]},
            "organization": {
                "type": "object",
                "additionalProperties": False,
                "required": ["id", "name"],
                "properties": {
                    "id": {"type": ["integer", "null"], "description": "Null when the delegate proposed a body not in the list."},
                    "name": {"type": "string", "examples": ["Kota Cirebon"]},
                },
            },
            "category": {
                "type": "object",
                "additionalProperties": False,
                "required": ["id", "name", "color"],
                "properties": {
                    "id": {"type": "integer"},
                    "name": {"type": "string", "examples": ["Kepala Daerah"]},
                    "color": {"type": "string", "description": "The badge's colour band.", "pattern": "^#[0-9a-fA-F]{6}$"},
                },
            },
            "state": {
                "type": "string",
                "enum": [s.value for s in RegistrationState],
                "description": "pending awaits approval; waitlisted waits for a seat.",
            },
            "state_reason": {"type": "string", "description": "Why rejected or cancelled; may be empty."},
            "sessions": {
                "type": "array",
                "description": "Agenda sessions with their own sign-up that the delegate chose.",
                "items": {
                    "type": "object",
                    "additionalProperties": False,
                    "required": ["session_id", "title", "waitlisted"],
                    "properties": {
                        "session_id": {"type": "integer"},
                        "title": {"type": "string"},
                        "waitlisted": {"type": "boolean", "description": "On the session's waiting list."},
                    },
                },
            },
            "ticket": nullable(
                {
                    "type": "object",
                    "additionalProperties": False,
                    "required": ["code", "serial", "issued_at", "revoked_at"],
                    "properties": {
                        "code": {"type": "string", "description": "Short code typed at a desk.", "examples": ["K7P-4QX"]},
                        "serial": {"type": "integer", "minimum": 1, "description": "Grows each time the ticket is re-issued."},
                        "issued_at": DATETIME,
                        "revoked_at": nullable(DATETIME),
                    },
                }
            ),
            "created_at": DATETIME,
            "updated_at": DATETIME,
        },
    },
)
spec.add_schema("RegistrationPage", page_of("Registration"))
SLUG = path_parameter("slug", "The event's slug, as in its public page's URL.")
FILTER_PARAMETERS = [
    {
        "name": "state",
        "in": "query",
        "required": False,
        "description": "Only registrations in this state.",
        "schema": {"type": "string", "enum": [s.value for s in RegistrationState]},
    },
    {
        "name": "category",
        "in": "query",
        "required": False,
        "description": "Only this delegate category (its id).",
        "schema": id_schema(),
    },
    {
        "name": "organization",
        "in": "query",
        "required": False,
        "description": "Only this organization (its id); 0 for bodies proposed by name, not in the list.",
        "schema": id_schema(minimum=0),
    },
]


def registration_json(registration: Registration, *, private: bool) -> dict:
    ticket = registration.ticket
    choices = sorted(registration.session_choices, key=lambda c: (c.option.session.starts_at, c.option.session_id))
    return {
        "id": registration.id,
        "name": registration.name,
        "position": registration.position or "",
        "email": registration.email if registration.has_email else None,  # null for a walk-in's placeholder address
        "phone": registration.phone if private else None,
        "nip": registration.nip if private else None,
        "locale": registration.locale,
        "organization": {"id": registration.organization_id, "name": registration.organization_name},
        "category": {"id": registration.category.id, "name": registration.category.name, "color": registration.category.color},
        "state": registration.state.value,
        "state_reason": registration.state_reason or "",
        "sessions": [{"session_id": c.option.session_id, "title": c.option.session.title, "waitlisted": c.waitlisted} for c in choices],
        "ticket": None
        if ticket is None
        else {"code": ticket.code, "serial": ticket.serial, "issued_at": iso_utc(ticket.issued_at), "revoked_at": iso_utc(ticket.revoked_at)},
        "created_at": iso_utc(registration.created_at),
        "updated_at": iso_utc(registration.updated_at),
    }


def _event_for_reader(slug: str) -> tuple[Event, bool]:
    """The event, for an organizer or check-in token of that event; and whether contact details may be shown."""
    token = require_token(*READERS)
    event = api_services.event_by_slug(db.session, slug)
    if event is None:
        api_error(404, "not_found", _("There is no event with this slug."))
    require_event_scope(token, event)
    return event, token.role == EventRoleName.ORGANIZER


def _id_arg(name: str, minimum: int) -> int | None:
    raw = request.args.get(name)
    if raw is None or raw == "":
        return None
    if not (raw.isascii() and raw.isdigit()):
        api_error(400, "bad_request", _("The parameter %(name)s must be a whole number.", name=name))
    value = int(raw) if len(raw) <= 10 else None  # int() of thousands of digits is slow, then refused
    if value is None or not minimum <= value <= MAX_ID:
        api_error(
            400, "bad_request",
            _("The parameter %(name)s must be between %(min)d and %(max)d.", name=name, min=minimum, max=MAX_ID),
        )
    return value


@bp.get("/events/<slug>/registrations")
@api_access
def registrations(slug: str):
    event, private = _event_for_reader(slug)
    page, per_page = page_params()
    filters = admin.RegistrantFilters()
    state = request.args.get("state")
    if state:
        if state not in {s.value for s in RegistrationState}:
            api_error(
                400, "bad_request",
                _("The parameter state must be one of: %(values)s.", values=", ".join(s.value for s in RegistrationState)),
            )
        filters.state = RegistrationState(state)
    filters.category_id = _id_arg("category", 1)
    filters.organization_id = _id_arg("organization", 0)
    query = admin.registrants_query(event, filters, newest_first=False).order_by(None).order_by(Registration.id)
    result = db.paginate(query, page=page, per_page=per_page, error_out=False)
    return jsonify(page_json(result, lambda r: registration_json(r, private=private)))


spec.add_path(
    "/events/{slug}/registrations",
    get={
        "operationId": "listRegistrations",
        "tags": ["registrations"],
        "summary": "The event's registrations, oldest first. Needs an organizer or check-in token of the event.",
        "security": SECURITY,
        "parameters": [SLUG, *PAGE_PARAMETERS, *FILTER_PARAMETERS],
        "responses": {"200": json_response(ref("RegistrationPage"), "One page of registrations.")} | errors(400, 401, 403, 404),
    },
)


@bp.get("/events/<slug>/registrations/<int:registration_id>")
@api_access
def registration(slug: str, registration_id: int):
    event, private = _event_for_reader(slug)
    found = None
    if storable_id(registration_id):
        found = db.session.scalar(
            admin.registrants_query(event, admin.RegistrantFilters()).where(Registration.id == registration_id)
        )
    if found is None:
        api_error(404, "not_found", _("This event has no registration with this id."))
    return jsonify(registration_json(found, private=private))


spec.add_path(
    "/events/{slug}/registrations/{registration_id}",
    get={
        "operationId": "getRegistration",
        "tags": ["registrations"],
        "summary": "One registration. Needs an organizer or check-in token of the event.",
        "security": SECURITY,
        "parameters": [SLUG, path_parameter("registration_id", "The registration's id.", id_schema())],
        "responses": {"200": json_response(ref("Registration"), "The registration.")} | errors(401, 403, 404),
    },
)
