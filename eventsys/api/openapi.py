"""The OpenAPI document of /api/v1, assembled from what each feature's api module registers.

A feature describes its routes next to them, at import time:

    from eventsys.api.openapi import spec, ref, json_response, errors, SECURITY

    spec.add_schema("Booth", {...})
    spec.add_path("/events/{slug}/booths", get={"operationId": "listBooths", ..., "responses": {...}})

Paths are relative to the server URL `/api/v1`. tests/test_api.py fails when a route under
/api/v1 is missing from the document, or the document names a route nobody serves.
"""
from __future__ import annotations

import copy

from eventsys.api.responses import MAX_ID, MAX_PAGE

OPENAPI_VERSION = "3.1.0"
API_PREFIX = "/api/v1"
HTTP_METHODS = ("get", "put", "post", "delete", "patch")

# ISO 8601 in UTC with a `Z`, to the second: what every timestamp of the API looks like.
DATETIME = {
    "type": "string",
    "format": "date-time",
    "pattern": r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$",
    "examples": ["2017-11-15T01:00:00Z"],
}

# One operation may be called with or without a token ({} is "no security").
SECURITY = [{"bearerAuth": []}]
OPTIONAL_SECURITY = [{}, {"bearerAuth": []}]
NO_SECURITY: list = []


def ref(name: str) -> dict:
    return {"$ref": f"#/components/schemas/{name}"}


def nullable(schema: dict) -> dict:
    return {"oneOf": [schema, {"type": "null"}]}


def json_response(schema: dict, description: str) -> dict:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def errors(*statuses: int) -> dict:
    """The standard error responses an operation may give, e.g. errors(401, 404)."""
    return {str(status): {"$ref": f"#/components/responses/{STANDARD_RESPONSES[status][0]}"} for status in statuses}


def id_schema(minimum: int = 1) -> dict:
    """A row id: none is larger than MAX_ID."""
    return {"type": "integer", "minimum": minimum, "maximum": MAX_ID}


def path_parameter(name: str, description: str, schema: dict | None = None) -> dict:
    return {"name": name, "in": "path", "required": True, "description": description, "schema": schema or {"type": "string"}}


PAGE_PARAMETERS = [{"$ref": "#/components/parameters/Page"}, {"$ref": "#/components/parameters/PerPage"}]


def page_of(item_schema: str) -> dict:
    """The shape every paginated list shares: {"items": [...], "page": 1, "per_page": 50, "total": N}."""
    return {
        "type": "object",
        "additionalProperties": False,
        "required": ["items", "page", "per_page", "total"],
        "properties": {
            "items": {"type": "array", "items": ref(item_schema)},
            "page": {"type": "integer", "minimum": 1},
            "per_page": {"type": "integer", "minimum": 1},
            "total": {"type": "integer", "minimum": 0, "description": "Number of items on all pages."},
        },
    }


ERROR_SCHEMA = {
    "type": "object",
    "additionalProperties": False,
    "required": ["error"],
    "properties": {
        "error": {
            "type": "object",
            "additionalProperties": False,
            "required": ["code", "message"],
            "properties": {
                "code": {
                    "type": "string",
                    "description": (
                        "Stable machine-readable code: bad_request, unauthorized (no token sent), invalid_token "
                        "(unknown, revoked or malformed token), forbidden (token of another event or role), not_found, "
                        "method_not_allowed, too_large, rate_limited, server_error."
                    ),
                    "examples": ["invalid_token"],
                },
                "message": {"type": "string", "description": "For people, in the interface language."},
            },
        }
    },
}

# status -> (component name, description)
STANDARD_RESPONSES = {
    400: ("BadRequest", "The request is malformed, e.g. a query parameter out of range (code `bad_request`)."),
    401: ("Unauthorized", "No token was sent where one is needed (`unauthorized`), or it is unknown, revoked or malformed (`invalid_token`)."),
    403: ("Forbidden", "The token belongs to another event, or its role may not do this (code `forbidden`)."),
    404: ("NotFound", "Nothing here, or not visible to this caller (code `not_found`)."),
    409: ("Conflict", "The request clashes with the current state, e.g. undoing a check-in that is too old (code `conflict`)."),
    405: ("MethodNotAllowed", "The path exists but not with this method (code `method_not_allowed`)."),
    429: ("RateLimited", "Too many requests; wait and try again (code `rate_limited`)."),
}


class ApiSpec:
    """Paths and schemas registered by the features; `document()` assembles the OpenAPI document."""

    def __init__(self, title: str, version: str, description: str):
        self.info = {"title": title, "version": version, "description": description}
        self.paths: dict[str, dict] = {}
        self.schemas: dict[str, dict] = {"Error": ERROR_SCHEMA}
        self.tags: dict[str, str] = {}

    def add_schema(self, name: str, schema: dict) -> None:
        if name in self.schemas and self.schemas[name] != schema:
            raise ValueError(f"OpenAPI schema {name} is already registered differently")
        self.schemas[name] = schema

    def add_tag(self, name: str, description: str) -> None:
        self.tags[name] = description

    def add_path(self, path: str, **operations: dict) -> None:
        """Operations by lower-case HTTP method; `path` is relative to /api/v1, e.g. "/events/{slug}"."""
        if not path.startswith("/"):
            raise ValueError(f"OpenAPI path must start with /: {path}")
        item = self.paths.setdefault(path, {})
        for method, operation in operations.items():
            if method not in HTTP_METHODS:
                raise ValueError(f"Unknown HTTP method {method} for {path}")
            if method in item and item[method] != operation:
                raise ValueError(f"{method.upper()} {path} is already documented differently")
            item[method] = operation

    def document(self) -> dict:
        responses = {
            name: json_response(ref("Error"), description) for name, description in STANDARD_RESPONSES.values()
        }
        return copy.deepcopy(
            {
                "openapi": OPENAPI_VERSION,
                "info": self.info,
                "servers": [{"url": API_PREFIX}],
                "tags": [{"name": name, "description": text} for name, text in sorted(self.tags.items())],
                "paths": dict(sorted(self.paths.items())),
                "components": {
                    "securitySchemes": {
                        "bearerAuth": {
                            "type": "http",
                            "scheme": "bearer",
                            "bearerFormat": "evs_<random>",
                            "description": (
                                "An API token made by an event's organizer on the event's API tokens page. "
                                "It is scoped to that one event and one role, and can be revoked."
                            ),
                        }
                    },
                    "parameters": {
                        "Page": {
                            "name": "page",
                            "in": "query",
                            "required": False,
                            "description": "Page number, from 1; past the last page, the list is empty.",
                            "schema": {"type": "integer", "minimum": 1, "maximum": MAX_PAGE, "default": 1},
                        },
                        "PerPage": {
                            "name": "per_page",
                            "in": "query",
                            "required": False,
                            "description": "Items per page, 1 to 100.",
                            "schema": {"type": "integer", "minimum": 1, "maximum": 100, "default": 50},
                        },
                    },
                    "responses": responses,
                    "schemas": dict(sorted(self.schemas.items())),
                },
            }
        )


spec = ApiSpec(
    title="eventsys API",
    version="1.0.0",
    description=(
        "Read the events, agenda and organizations of the Gerakan Menuju 100 Smart City programme. "
        "Times are UTC (ISO 8601 with Z); each event carries its own time zone for display. "
        "Errors are JSON: {\"error\": {\"code\": ..., \"message\": ...}}."
    ),
)
