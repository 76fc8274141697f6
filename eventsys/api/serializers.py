"""JSON shapes of events, agenda sessions and organizations, each beside its OpenAPI schema.

Keeping the two together means a field added to one is seen missing from the other; the tests
validate real responses against these schemas (additionalProperties is false throughout).
"""
from __future__ import annotations

from flask import url_for

from eventsys.api.openapi import DATETIME, nullable, ref, spec
from eventsys.api.responses import iso_utc
from eventsys.events.models import AgendaSession, Event, EventKind, EventStatus, Organization, OrganizationKind, SessionType


def _object(properties: dict, description: str) -> dict:
    return {
        "type": "object",
        "description": description,
        "additionalProperties": False,
        "required": list(properties),
        "properties": properties,
    }


TIMEZONE = {"type": "string", "description": "IANA zone the event is shown in, e.g. Asia/Jakarta (WIB).", "examples": ["Asia/Jakarta"]}

spec.add_schema(
    "Venue",
    _object(
        {
            "id": {"type": "integer"},
            "name": {"type": "string"},
            "address": {"type": ["string", "null"]},
            "city": {"type": ["string", "null"]},
        },
        "Where an event takes place.",
    ),
)
spec.add_schema(
    "Event",
    _object(
        {
            "id": {"type": "integer"},
            "slug": {"type": "string", "description": "Identifies the event in URLs."},
            "name": {"type": "string"},
            "kind": {"type": "string", "enum": [k.value for k in EventKind]},
            "status": {"type": "string", "enum": [s.value for s in EventStatus]},
            "description": {"type": "string"},
            "starts_at": DATETIME,
            "ends_at": DATETIME,
            "timezone": TIMEZONE,
            "venue": nullable(ref("Venue")),
            "parent": {"type": ["string", "null"], "description": "Slug of the programme this gathering belongs to."},
            "url": {"type": "string", "description": "The event's public page."},
        },
        "One gathering (seminar, exposé, award night …) or a programme of several.",
    ),
)
spec.add_schema(
    "Room",
    _object(
        {"id": {"type": "integer"}, "name": {"type": "string"}, "capacity": {"type": ["integer", "null"], "minimum": 1}},
        "A room of the event's venue.",
    ),
)
spec.add_schema(
    "Speaker",
    _object(
        {
            "name": {"type": "string"},
            "position": {"type": "string", "description": "Position (jabatan), may be empty."},
            "organization": {"type": "string", "description": "May be empty."},
        },
        "A speaker of a session, in the order shown on the agenda.",
    ),
)
spec.add_schema(
    "Session",
    _object(
        {
            "id": {"type": "integer"},
            "title": {"type": "string"},
            "type": {"type": "string", "enum": [t.value for t in SessionType]},
            "description": {"type": "string"},
            "starts_at": DATETIME,
            "ends_at": DATETIME,
            "timezone": TIMEZONE,
            "room": nullable(ref("Room")),
            "speakers": {"type": "array", "items": ref("Speaker")},
            "updated_at": DATETIME,
        },
        "One item of an event's agenda.",
    ),
)
spec.add_schema(
    "Organization",
    _object(
        {
            "id": {"type": "integer"},
            "name": {"type": "string", "examples": ["Kota Cirebon"]},
            "kind": {"type": "string", "enum": [k.value for k in OrganizationKind]},
            "province": {"type": ["string", "null"]},
            "timezone": {"type": "string", "examples": ["Asia/Jakarta"]},
        },
        "A participating region (kabupaten, kota, provinsi) or body (ministry, company, startup).",
    ),
)


def event_json(event: Event) -> dict:
    venue = event.venue
    return {
        "id": event.id,
        "slug": event.slug,
        "name": event.name,
        "kind": event.kind.value,
        "status": event.status.value,
        "description": event.description or "",
        "starts_at": iso_utc(event.starts_at),
        "ends_at": iso_utc(event.ends_at),
        "timezone": event.timezone,
        "venue": None if venue is None else {"id": venue.id, "name": venue.name, "address": venue.address, "city": venue.city},
        "parent": event.parent.slug if event.parent is not None else None,
        "url": url_for("events.event_page", slug=event.slug, _external=True),
    }


def session_json(item: AgendaSession, timezone: str) -> dict:
    room = item.room
    return {
        "id": item.id,
        "title": item.title,
        "type": item.session_type.value,
        "description": item.description or "",
        "starts_at": iso_utc(item.starts_at),
        "ends_at": iso_utc(item.ends_at),
        "timezone": timezone,
        "room": None if room is None else {"id": room.id, "name": room.name, "capacity": room.capacity},
        "speakers": [{"name": s.name, "position": s.position or "", "organization": s.organization or ""} for s in item.speakers],
        "updated_at": iso_utc(item.updated_at),
    }


def organization_json(org: Organization) -> dict:
    return {"id": org.id, "name": org.name, "kind": org.kind.value, "province": org.province, "timezone": org.timezone}
