"""JSON API under /api/v1: bearer tokens, scopes, read endpoints, and the OpenAPI document they must match."""
import hashlib
import re

import pytest
from jsonschema import Draft202012Validator
from openapi_spec_validator import validate as validate_openapi
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012
from sqlalchemy import select

from eventsys import create_app
from eventsys.api import services
from eventsys.api.auth import require_token
from eventsys.api.models import ApiToken
from eventsys.core.access import api_access
from eventsys.core.rules import RuleViolation
from eventsys.events.models import EventKind, EventStatus, OrganizationKind, SessionType
from eventsys.extensions import db
from tests.conftest import PASSWORD, utc
from tests.helpers import recorded_statements, selects

DOC_URI = "urn:eventsys-api"
SECRET_SHAPE = re.compile(r"evs_[A-Za-z0-9_-]{43}")


# The document, and checking responses against it


@pytest.fixture(scope="module")
def bare_app(tmp_path_factory):
    return create_app({"TESTING": True, "DATABASE_URL": "sqlite://", "SECRET_KEY": "x", "UPLOAD_DIR": str(tmp_path_factory.mktemp("u"))})


@pytest.fixture(scope="module")
def document(bare_app):
    response = bare_app.test_client().get("/api/v1/openapi.json")
    assert response.status_code == 200
    assert response.mimetype == "application/json"
    return response.json


def _pointer(*parts: str) -> str:
    return "/".join(p.replace("~", "~0").replace("/", "~1") for p in parts)


def assert_documented(document, method: str, path: str, response) -> None:
    """The response's status is documented for this operation and its body matches the schema given there."""
    operation = document["paths"][path][method]
    status = str(response.status_code)
    assert status in operation["responses"], f"{method.upper()} {path} answered {status}, which the document does not list"
    entry = operation["responses"][status]
    if "$ref" in entry:
        entry = document["components"]["responses"][entry["$ref"].rsplit("/", 1)[1]]
    assert response.mimetype == "application/json"
    registry = Registry().with_resource(DOC_URI, Resource.from_contents(document, default_specification=DRAFT202012))
    if "$ref" in operation["responses"][status]:
        name = operation["responses"][status]["$ref"].rsplit("/", 1)[1]
        target = _pointer("components", "responses", name, "content", "application/json", "schema")
    else:
        target = _pointer("paths", path, method, "responses", status, "content", "application/json", "schema")
    validator = Draft202012Validator({"$ref": f"{DOC_URI}#/{target}"}, registry=registry)
    problems = [f"{list(e.absolute_path)}: {e.message}" for e in validator.iter_errors(response.json)]
    assert problems == [], f"{method.upper()} {path} {status} does not match its schema: {problems}"


def test_document_is_valid_openapi(document):
    validate_openapi(document)
    assert document["openapi"].startswith("3.1")
    assert document["components"]["securitySchemes"]["bearerAuth"] == document["components"]["securitySchemes"]["bearerAuth"] | {
        "type": "http",
        "scheme": "bearer",
    }
    for name in ("Event", "Session", "Organization", "Error", "Room", "Speaker"):
        assert name in document["components"]["schemas"]
    for name in ("BadRequest", "Unauthorized", "Forbidden", "NotFound"):
        schema = document["components"]["responses"][name]["content"]["application/json"]["schema"]
        assert schema == {"$ref": "#/components/schemas/Error"}


def _openapi_path(rule: str) -> str:
    return re.sub(r"<(?:[^:>]+:)?([^>]+)>", r"{\1}", rule.removeprefix("/api/v1"))


def test_every_api_route_is_in_the_document_and_nothing_else(bare_app, document):
    served = set()
    for rule in bare_app.url_map.iter_rules():
        if rule.rule.startswith("/api/v1/") or rule.rule == "/api/v1":
            for method in rule.methods - {"HEAD", "OPTIONS"}:
                served.add((method.lower(), _openapi_path(rule.rule)))
    documented = {(method, path) for path, item in document["paths"].items() for method in item if method != "parameters"}
    assert len(served) >= 6
    assert served - documented == set(), "routes missing from the OpenAPI document"
    assert documented - served == set(), "the OpenAPI document describes routes nobody serves"


def test_every_operation_declares_its_path_parameters_and_errors(document):
    for path, item in document["paths"].items():
        names = set(re.findall(r"{([^}]+)}", path))
        for method, operation in item.items():
            declared = {p["name"] for p in operation.get("parameters", []) if p.get("in") == "path"}
            assert declared == names, f"{method} {path}"
            assert "security" in operation, f"{method} {path} says nothing about tokens"
            if operation["security"]:
                assert "401" in operation["responses"], f"{method} {path} takes a token but documents no 401"


# Builders


@pytest.fixture
def make_token(app):
    def build(event, role="organizer", name="Pemindai gerbang A"):
        token, secret = services.create_token(db.session, event=event, name=name, role=role, created_by_id=None)
        db.session.commit()
        return token, secret

    return build


def bearer(secret: str) -> dict:
    return {"Authorization": f"Bearer {secret}"}


def count_selects(client, path, **kwargs) -> int:
    db.session.expire_all()  # the test shares the request's session: make the request load everything itself
    with recorded_statements() as statements:
        response = client.get(path, **kwargs)
    assert response.status_code == 200, response.json
    return selects(statements)


# Token page


def test_organizer_makes_token_whose_secret_is_shown_once_and_stored_only_as_hash(client, organizer, login, document):
    user, event = organizer
    login(user)
    response = client.post(f"/manage/{event.slug}/api-tokens", data={"name": "Layar informasi lobi", "role": "checkin"})
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    html = response.get_data(as_text=True)
    secret = SECRET_SHAPE.search(html).group(0)

    token = db.session.scalars(select(ApiToken)).one()
    assert token.token_hash == hashlib.sha256(secret.encode()).hexdigest()
    assert token.prefix == secret[:12]
    assert (token.name, token.role, token.event_id, token.created_by_id) == ("Layar informasi lobi", "checkin", event.id, user.id)
    row = db.session.execute(select(ApiToken.__table__)).one()
    assert not any(secret in str(value) for value in row)

    again = client.get(f"/manage/{event.slug}/api-tokens").get_data(as_text=True)
    assert secret not in again and SECRET_SHAPE.search(again) is None
    assert token.prefix in again and "Layar informasi lobi" in again

    assert token.last_used_at is None
    api = client.get(f"/api/v1/events/{event.slug}", headers=bearer(secret))
    assert api.status_code == 200
    assert_documented(document, "get", "/events/{slug}", api)
    db.session.refresh(token)
    assert token.last_used_at is not None


def test_token_needs_a_name_and_a_listed_role(client, organizer, login):
    user, event = organizer
    login(user)
    response = client.post(f"/manage/{event.slug}/api-tokens", data={"name": "   ", "role": "checkin"})
    assert response.status_code == 200
    assert "field-error" in response.get_data(as_text=True)
    response = client.post(f"/manage/{event.slug}/api-tokens", data={"name": "Portal", "role": "superuser"})
    assert "field-error" in response.get_data(as_text=True)
    assert db.session.scalars(select(ApiToken)).all() == []
    with pytest.raises(RuleViolation) as refused:
        services.create_token(db.session, event=event, name="x" * 101, role="juror", created_by_id=None)
    assert refused.value.field == "name"


def test_revoked_token_is_refused_with_401(client, organizer, login, make_token, document):
    user, event = organizer
    token, secret = make_token(event)
    assert client.get("/api/v1/organizations", headers=bearer(secret)).status_code == 200
    login(user)
    response = client.post(f"/manage/{event.slug}/api-tokens/{token.id}/revoke")
    assert response.status_code == 302
    db.session.refresh(token)
    assert token.revoked_at is not None
    page = client.get(f"/manage/{event.slug}/api-tokens").get_data(as_text=True)
    assert f"/api-tokens/{token.id}/revoke" not in page

    refused = client.get("/api/v1/organizations", headers=bearer(secret))
    assert refused.status_code == 401
    assert refused.json["error"]["code"] == "invalid_token"
    assert 'error="invalid_token"' in refused.headers["WWW-Authenticate"]
    assert_documented(document, "get", "/organizations", refused)


def test_organizer_cannot_revoke_another_events_token(client, organizer, login, make_event, make_token):
    user, event = organizer
    other_token, secret = make_token(make_event(name="Malam Penganugerahan"))
    login(user)
    assert client.post(f"/manage/{event.slug}/api-tokens/{other_token.id}/revoke").status_code == 404
    db.session.refresh(other_token)
    assert other_token.revoked_at is None


def test_token_page_is_for_the_events_organizers_only(client, organizer, make_user, make_token, login):
    _, event = organizer
    token, _secret = make_token(event)
    for path, method in ((f"/manage/{event.slug}/api-tokens", "get"), (f"/manage/{event.slug}/api-tokens/{token.id}/revoke", "post")):
        response = getattr(client, method)(path)
        assert response.status_code == 302 and "/login?next=" in response.headers["Location"], path
    staff = make_user(email="petugas@kominfo.go.id", event=event, role="checkin")
    login(staff)
    assert client.get(f"/manage/{event.slug}/api-tokens").status_code == 403
    assert client.post(f"/manage/{event.slug}/api-tokens", data={"name": "Saya", "role": "organizer"}).status_code == 403
    assert client.post(f"/manage/{event.slug}/api-tokens/{token.id}/revoke").status_code == 403
    db.session.refresh(token)
    assert token.revoked_at is None
    assert db.session.scalars(select(ApiToken)).all() == [token]


def _csrf(html: str) -> str:
    return re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html).group(1)


def test_token_page_forms_need_the_csrf_token(make_app, make_user, make_event):
    app = make_app(WTF_CSRF_ENABLED=True)
    client = app.test_client()
    with app.app_context():
        event = make_event()
        user = make_user(email="panitia@kominfo.go.id", event=event, role="organizer")
        token, _secret = make_token_in(event)
        slug, email, token_id = event.slug, user.email, token.id
    login_page = client.get("/login").get_data(as_text=True)
    assert client.post("/login", data={"email": email, "password": PASSWORD, "csrf_token": _csrf(login_page)}).status_code == 302
    page = client.get(f"/manage/{slug}/api-tokens").get_data(as_text=True)

    assert client.post(f"/manage/{slug}/api-tokens", data={"name": "Tanpa CSRF", "role": "organizer"}).status_code == 400
    assert client.post(f"/manage/{slug}/api-tokens/{token_id}/revoke").status_code == 400
    with app.app_context():
        assert db.session.scalars(select(ApiToken.name)).all() == ["Pemindai"]
        assert db.session.get(ApiToken, token_id).revoked_at is None

    assert client.post(f"/manage/{slug}/api-tokens/{token_id}/revoke", data={"csrf_token": _csrf(page)}).status_code == 302
    with app.app_context():
        assert db.session.get(ApiToken, token_id).revoked_at is not None


def make_token_in(event):
    token, secret = services.create_token(db.session, event=event, name="Pemindai", role="checkin", created_by_id=None)
    db.session.commit()
    return token, secret


# Bearer tokens


@pytest.mark.parametrize(
    "header",
    [
        "Bearer evs_" + "A" * 43,  # well formed, unknown
        "Bearer evs_pendek",  # malformed
        "Bearer ",
        "Basic dXNlcjpwYXNz",
        "evs_" + "A" * 43,  # no scheme
    ],
)
def test_unknown_or_malformed_tokens_get_401_json(client, header, document):
    response = client.get("/api/v1/organizations", headers={"Authorization": header})
    assert response.status_code == 401
    assert response.json["error"]["code"] == "invalid_token"
    assert response.json["error"]["message"]
    assert_documented(document, "get", "/organizations", response)
    # A token sent to a public endpoint is checked too, not silently ignored.
    assert client.get("/api/v1/events", headers={"Authorization": header}).status_code == 401


def test_organizations_need_a_token(client, document, make_organization):
    make_organization()
    response = client.get("/api/v1/organizations")
    assert response.status_code == 401
    assert response.json["error"]["code"] == "unauthorized"
    assert response.headers["WWW-Authenticate"].startswith("Bearer")
    assert_documented(document, "get", "/organizations", response)


def test_token_of_one_event_is_forbidden_on_another(client, make_event, make_token, make_session, document):
    event_a = make_event(name="Ekspos Cirebon")
    event_b = make_event(name="Ekspos Makassar")
    make_session(event_b)
    _, secret = make_token(event_a, role="checkin")
    for template in ("/events/{slug}", "/events/{slug}/sessions"):
        response = client.get("/api/v1" + template.format(slug=event_b.slug), headers=bearer(secret))
        assert response.status_code == 403, template
        assert response.json["error"]["code"] == "forbidden"
        assert_documented(document, "get", template, response)
        assert client.get("/api/v1" + template.format(slug=event_a.slug), headers=bearer(secret)).status_code == 200


def test_role_restricted_routes_refuse_other_roles(make_app, make_event):
    app = make_app()
    from flask import Blueprint, jsonify

    extra = Blueprint("scanner_api", __name__, url_prefix="/api/v1")

    @extra.get("/scan-test")
    @api_access
    def scan_test():
        return jsonify(role=require_token("checkin").role)

    app.register_blueprint(extra)
    with app.app_context():
        event = make_event()
        _, checkin = make_token_in(event)
        _, juror = services.create_token(db.session, event=event, name="Juri", role="juror", created_by_id=None)
        db.session.commit()
    client = app.test_client()
    assert client.get("/api/v1/scan-test", headers=bearer(checkin)).json == {"role": "checkin"}
    refused = client.get("/api/v1/scan-test", headers=bearer(juror))
    assert refused.status_code == 403 and refused.json["error"]["code"] == "forbidden"


# Events and agenda


def test_draft_event_is_invisible_without_its_token(client, make_event, make_session, make_token, document):
    published = make_event(name="Forum Smart City")
    draft = make_event(name="Ekspos belum terbit", status=EventStatus.DRAFT)
    make_session(draft)
    other_published = make_event(name="Bimtek")
    _, other_secret = make_token(other_published)

    listed = client.get("/api/v1/events")
    assert_documented(document, "get", "/events", listed)
    assert {e["slug"] for e in listed.json["items"]} == {published.slug, other_published.slug}
    assert listed.json["total"] == 2
    for template in ("/events/{slug}", "/events/{slug}/sessions"):
        for headers in ({}, bearer(other_secret)):
            hidden = client.get("/api/v1" + template.format(slug=draft.slug), headers=headers)
            assert hidden.status_code == 404 and hidden.json["error"]["code"] == "not_found"
            assert_documented(document, "get", template, hidden)

    _, secret = make_token(draft, role="organizer")
    listed = client.get("/api/v1/events", headers=bearer(secret))
    assert {e["slug"] for e in listed.json["items"]} == {published.slug, other_published.slug, draft.slug}
    shown = client.get(f"/api/v1/events/{draft.slug}", headers=bearer(secret))
    assert shown.status_code == 200 and shown.json["status"] == "draft"
    sessions = client.get(f"/api/v1/events/{draft.slug}/sessions", headers=bearer(secret))
    assert sessions.status_code == 200 and len(sessions.json["items"]) == 1
    # The other event's token still lists only what is public.
    assert draft.slug not in {e["slug"] for e in client.get("/api/v1/events", headers=bearer(other_secret)).json["items"]}


def test_event_detail(client, make_event, make_venue, document):
    programme = make_event(name="Gerakan Menuju 100 Smart City 2017", kind=EventKind.PROGRAMME)
    event = make_event(
        name="Ekspos Kota Makassar",
        venue=make_venue(name="Hotel Clarion Makassar"),
        timezone="Asia/Makassar",
        parent=programme,
        starts_at=utc(2017, 11, 15, 1, 0),
        ends_at=utc(2017, 11, 15, 9, 30),
    )
    response = client.get(f"/api/v1/events/{event.slug}")
    assert_documented(document, "get", "/events/{slug}", response)
    body = response.json
    assert body["starts_at"] == "2017-11-15T01:00:00Z" and body["ends_at"] == "2017-11-15T09:30:00Z"
    assert body["timezone"] == "Asia/Makassar"
    assert body["parent"] == programme.slug
    assert body["venue"]["name"] == "Hotel Clarion Makassar"
    assert body["url"].endswith(f"/e/{event.slug}")
    missing = client.get("/api/v1/events/tidak-ada")
    assert missing.status_code == 404 and missing.json["error"]["code"] == "not_found"


def test_agenda_in_utc_with_rooms_speakers_and_zone(client, make_event, make_venue, make_session, document):
    venue = make_venue()
    ballroom = next(r for r in venue.rooms if r.name == "Ballroom")
    event = make_event(venue=venue, timezone="Asia/Jayapura", starts_at=utc(2018, 5, 2, 0, 0), ends_at=utc(2018, 5, 2, 9, 0))
    later = make_session(event, title="Ekspos Kab. Jayapura", session_type=SessionType.EXPOSE_BLOCK, starts_at=utc(2018, 5, 2, 3, 0), ends_at=utc(2018, 5, 2, 4, 0))
    first = make_session(
        event,
        title="Pembukaan",
        starts_at=utc(2018, 5, 2, 0, 30),
        ends_at=utc(2018, 5, 2, 1, 0),
        room=ballroom,
        speakers=[("Semuel A. Pangerapan", "Dirjen Aptika", "Kementerian Kominfo"), ("Mathius Awoitauw", "Bupati", "Kab. Jayapura")],
    )
    response = client.get(f"/api/v1/events/{event.slug}/sessions")
    assert_documented(document, "get", "/events/{slug}/sessions", response)
    items = response.json["items"]
    assert [i["id"] for i in items] == [first.id, later.id]
    opening = items[0]
    assert (opening["starts_at"], opening["ends_at"], opening["timezone"]) == ("2018-05-02T00:30:00Z", "2018-05-02T01:00:00Z", "Asia/Jayapura")
    assert opening["type"] == "opening" and items[1]["type"] == "expose_block"
    assert opening["room"] == {"id": ballroom.id, "name": "Ballroom", "capacity": 500}
    assert items[1]["room"] is None
    assert opening["speakers"] == [
        {"name": "Semuel A. Pangerapan", "position": "Dirjen Aptika", "organization": "Kementerian Kominfo"},
        {"name": "Mathius Awoitauw", "position": "Bupati", "organization": "Kab. Jayapura"},
    ]


def test_query_count_does_not_grow_with_rows(client, make_event, make_venue, make_session, make_organization, make_token):
    venue = make_venue()
    event = make_event(venue=venue)
    _, secret = make_token(event)

    def add_sessions(n):
        for i in range(n):
            make_session(event, title=f"Sesi {i}", room=venue.rooms[i % 2], speakers=[(f"Pembicara {i}", "Kadis", "Diskominfo")])

    def add_events_and_orgs(n, start):
        for i in range(start, start + n):
            make_event(name=f"Forum {i}", venue=make_venue(name=f"Gedung Sate {i}", rooms=()))
            make_organization(name=f"Kabupaten Contoh {i}", kind=OrganizationKind.KABUPATEN)

    paths = [f"/api/v1/events/{event.slug}/sessions", "/api/v1/events", "/api/v1/organizations"]
    add_sessions(2)
    add_events_and_orgs(2, 0)
    client.get("/api/v1/organizations", headers=bearer(secret))  # notes last use, once
    few = [count_selects(client, p, headers=bearer(secret)) for p in paths]
    add_sessions(6)
    add_events_and_orgs(6, 2)
    many = [count_selects(client, p, headers=bearer(secret)) for p in paths]
    assert few == many


# Organizations and pagination


def test_organizations_are_paginated(client, make_event, make_organization, make_token, document):
    _, secret = make_token(make_event())
    for name in ("Kota Cirebon", "Kab. Cirebon", "Kota Bandung"):
        make_organization(name=name)
    first = client.get("/api/v1/organizations?per_page=2", headers=bearer(secret))
    assert_documented(document, "get", "/organizations", first)
    assert (first.json["page"], first.json["per_page"], first.json["total"]) == (1, 2, 3)
    assert [o["name"] for o in first.json["items"]] == ["Kab. Cirebon", "Kota Bandung"]
    second = client.get("/api/v1/organizations?per_page=2&page=2", headers=bearer(secret))
    assert [o["name"] for o in second.json["items"]] == ["Kota Cirebon"]
    beyond = client.get("/api/v1/organizations?page=9", headers=bearer(secret))
    assert beyond.status_code == 200 and beyond.json["items"] == [] and beyond.json["total"] == 3
    default = client.get("/api/v1/organizations", headers=bearer(secret))
    assert (default.json["page"], default.json["per_page"]) == (1, 50)

    one = client.get(f"/api/v1/organizations/{first.json['items'][0]['id']}", headers=bearer(secret))
    assert_documented(document, "get", "/organizations/{organization_id}", one)
    assert one.json == first.json["items"][0]
    missing = client.get("/api/v1/organizations/999999", headers=bearer(secret))
    assert missing.status_code == 404 and missing.json["error"]["code"] == "not_found"
    assert_documented(document, "get", "/organizations/{organization_id}", missing)
    assert client.get(f"/api/v1/organizations/{first.json['items'][0]['id']}").status_code == 401


@pytest.mark.parametrize("query", ["page=0", "page=abc", "page=-1", "page=1.5", "page=", "per_page=0", "per_page=101", "per_page=²", "page=99999999999999"])
def test_bad_pagination_parameters_get_400_json(client, make_event, make_token, document, query):
    _, secret = make_token(make_event())
    for path in ("/organizations", "/events"):
        response = client.get(f"/api/v1{path}?{query}", headers=bearer(secret))
        assert response.status_code == 400, (path, query)
        assert response.json["error"]["code"] == "bad_request"
        assert_documented(document, "get", path, response)


# Errors


def test_unknown_api_route_and_wrong_method_answer_json(client):
    missing = client.get("/api/v1/tidak-ada")
    assert missing.status_code == 404 and missing.mimetype == "application/json"
    assert missing.json["error"]["code"] == "not_found"
    wrong = client.post("/api/v1/events")
    assert wrong.status_code == 405 and wrong.json["error"]["code"] == "method_not_allowed"
    assert set(wrong.headers["Allow"].split(", ")) >= {"GET", "HEAD"}  # HTTP requires it on a 405
