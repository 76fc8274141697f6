"""JSON API under /api/v1: events, their agenda, organizations, and the OpenAPI document.

Each route is described in the OpenAPI document right below it (eventsys.api.openapi.spec).
"""
from flask import Blueprint, jsonify
from flask_babel import gettext as _

from eventsys.api import services
from eventsys.api.auth import caller_token, require_event_scope, require_token
from eventsys.api.openapi import (
    API_PREFIX,
    NO_SECURITY,
    OPTIONAL_SECURITY,
    PAGE_PARAMETERS,
    SECURITY,
    errors,
    id_schema,
    json_response,
    page_of,
    path_parameter,
    ref,
    spec,
)
from eventsys.api.responses import api_error, page_json, page_params, storable_id
from eventsys.api.serializers import event_json, organization_json, session_json
from eventsys.core.access import api_access, public
from eventsys.events.models import Event, Organization
from eventsys.extensions import db

bp = Blueprint("api", __name__, url_prefix=API_PREFIX)

spec.add_tag("events", "Events and their agenda.")
spec.add_tag("organizations", "Participating regions and bodies.")
spec.add_tag("meta", "This document.")
spec.add_schema("EventPage", page_of("Event"))
spec.add_schema("OrganizationPage", page_of("Organization"))
spec.add_schema(
    "SessionList",
    {
        "type": "object",
        "additionalProperties": False,
        "required": ["items"],
        "properties": {"items": {"type": "array", "items": ref("Session")}},
    },
)
SLUG = path_parameter("slug", "The event's slug, as in its public page's URL.")


def _visible_event(slug: str) -> Event:
    """The event if this caller may read it: drafts only with the event's own token."""
    token = caller_token()
    event = services.event_by_slug(db.session, slug)
    # A draft looks the same as a missing event, whatever token is sent.
    if event is None or not services.event_visible(event, token):
        api_error(404, "not_found", _("There is no event with this slug."))
    require_event_scope(token, event)
    return event


@bp.get("/events")
@api_access
def events():
    token = caller_token()
    page, per_page = page_params()
    result = db.paginate(services.visible_events(token), page=page, per_page=per_page, error_out=False)
    return jsonify(page_json(result, event_json))


spec.add_path(
    "/events",
    get={
        "operationId": "listEvents",
        "tags": ["events"],
        "summary": "Published events; with a token, also that token's event while it is a draft.",
        "security": OPTIONAL_SECURITY,
        "parameters": PAGE_PARAMETERS,
        "responses": {"200": json_response(ref("EventPage"), "One page of events, earliest first.")} | errors(400, 401),
    },
)


@bp.get("/events/<slug>")
@api_access
def event(slug: str):
    return jsonify(event_json(_visible_event(slug)))


spec.add_path(
    "/events/{slug}",
    get={
        "operationId": "getEvent",
        "tags": ["events"],
        "summary": "One event. A draft is found only with a token of that event.",
        "security": OPTIONAL_SECURITY,
        "parameters": [SLUG],
        "responses": {"200": json_response(ref("Event"), "The event.")} | errors(401, 403, 404),
    },
)


@bp.get("/events/<slug>/sessions")
@api_access
def event_sessions(slug: str):
    found = _visible_event(slug)
    return jsonify(items=[session_json(s, found.timezone) for s in services.agenda(db.session, found)])


spec.add_path(
    "/events/{slug}/sessions",
    get={
        "operationId": "listEventSessions",
        "tags": ["events"],
        "summary": "The event's agenda, in order of start time.",
        "security": OPTIONAL_SECURITY,
        "parameters": [SLUG],
        "responses": {"200": json_response(ref("SessionList"), "Every session of the event.")} | errors(401, 403, 404),
    },
)


@bp.get("/organizations")
@api_access
def organizations():
    require_token()
    page, per_page = page_params()
    result = db.paginate(services.organizations(), page=page, per_page=per_page, error_out=False)
    return jsonify(page_json(result, organization_json))


spec.add_path(
    "/organizations",
    get={
        "operationId": "listOrganizations",
        "tags": ["organizations"],
        "summary": "Participating regions and bodies, by name. Needs a token of any event and role.",
        "security": SECURITY,
        "parameters": PAGE_PARAMETERS,
        "responses": {"200": json_response(ref("OrganizationPage"), "One page of organizations.")} | errors(400, 401),
    },
)


@bp.get("/organizations/<int:organization_id>")
@api_access
def organization(organization_id: int):
    require_token()
    found = db.session.get(Organization, organization_id) if storable_id(organization_id) else None
    if found is None:
        api_error(404, "not_found", _("There is no organization with this id."))
    return jsonify(organization_json(found))


spec.add_path(
    "/organizations/{organization_id}",
    get={
        "operationId": "getOrganization",
        "tags": ["organizations"],
        "summary": "One organization. Needs a token of any event and role.",
        "security": SECURITY,
        "parameters": [path_parameter("organization_id", "The organization's id.", id_schema())],
        "responses": {"200": json_response(ref("Organization"), "The organization.")} | errors(401, 404),
    },
)


@bp.get("/openapi.json")
@public
def openapi_document():
    return jsonify(spec.document())


spec.add_path(
    "/openapi.json",
    get={
        "operationId": "getOpenApiDocument",
        "tags": ["meta"],
        "summary": "This OpenAPI document.",
        "security": NO_SECURITY,
        "responses": {"200": json_response({"type": "object"}, "The OpenAPI 3.1 document of /api/v1.")},
    },
)
