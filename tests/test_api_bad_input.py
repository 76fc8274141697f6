"""Inputs schemathesis found that answered 500: each now gets a 4xx with a message, and nothing is stored."""
import uuid
from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select

from eventsys.api import services
from eventsys.attendance.models import CheckIn, CheckInChange, Scan
from eventsys.extensions import db
from tests.helpers import fresh, sign_in, tr

BEYOND_SQLITE = 2**64  # past what SQLite can bind: the lookup itself used to raise OverflowError


def bearer(secret: str) -> dict:
    return {"Authorization": f"Bearer {secret}"}


def api_token(event, role="organizer") -> str:
    _token, secret = services.create_token(db.session, event=event, name="Sistem", role=role, created_by_id=None)
    db.session.commit()
    return secret


def stored_scans() -> int:
    return fresh().scalar(select(func.count(Scan.id)))


def test_ids_no_row_can_have_are_404_not_500(client, gate):
    event, checkpoint, secret, _registration, token = gate
    organizer_secret = api_token(event)
    for path, headers, message in (  # past any id: no route takes them (the converter's maximum), so the site's 404
        (f"/api/v1/organizations/{BEYOND_SQLITE}", bearer(organizer_secret), "The page you asked for does not exist or was moved."),
        (f"/api/v1/events/{event.slug}/registrations/{BEYOND_SQLITE}", bearer(organizer_secret), "The page you asked for does not exist or was moved."),
        (f"/api/v1/organizations/{2**31 - 1}", bearer(organizer_secret), "There is no organization with this id."),
    ):
        response = client.get(path, headers=headers)
        assert response.status_code == 404, path
        assert response.json["error"] == {"code": "not_found", "message": tr(client.application, message)}
    client.post(f"/api/v1/events/{event.slug}/scans", json={"checkpoint_id": checkpoint.id, "code": token, "nonce": uuid.uuid4().hex}, headers=bearer(secret))
    undo = client.post(f"/api/v1/events/{event.slug}/checkins/{BEYOND_SQLITE}/undo", headers=bearer(secret))
    assert undo.status_code == 404 and undo.json["error"]["code"] == "not_found"
    assert fresh().scalar(select(func.count(CheckIn.id)).where(CheckIn.undone_at.is_(None))) == 1
    assert fresh().scalar(select(func.count(CheckInChange.id))) == 0


def test_numbers_past_the_documented_maximum_say_the_range(client, organizer):
    _user, event = organizer
    secret = api_token(event)
    page = client.get("/api/v1/events?page=8729635479", headers=bearer(secret))
    assert page.status_code == 400
    assert page.json["error"]["message"] == tr(client.application, "The parameter %(name)s must be between 1 and %(max)d.", name="page", max=999_999_999)
    for value in ("132317768697780857324175360", "2147483648", "0"):
        response = client.get(f"/api/v1/events/{event.slug}/registrations?category={value}", headers=bearer(secret))
        assert response.status_code == 400, value
        assert response.json["error"]["message"] == tr(
            client.application, "The parameter %(name)s must be between %(min)d and %(max)d.", name="category", min=1, max=2**31 - 1
        )
    assert client.get(f"/api/v1/events/{event.slug}/registrations?organization=2147483647", headers=bearer(secret)).status_code == 200
    document = client.get("/api/v1/openapi.json").json
    assert document["components"]["parameters"]["Page"]["schema"]["maximum"] == 999_999_999


@pytest.mark.parametrize(
    "extra",
    [
        {"checkpoint_id": BEYOND_SQLITE},
        {"checkpoint_id": -(2**70)},
        {"direction": []},
        {"source": {}},
        {"code": "\ud800"},  # a lone surrogate: JSON allows it, no database stores it
        {"code": "A" * 119 + "\ud800"},
    ],
)
def test_scans_that_used_to_500_get_4xx_and_store_nothing(client, gate, extra):
    event, checkpoint, secret, _registration, token = gate
    body = {"checkpoint_id": checkpoint.id, "code": token, "nonce": uuid.uuid4().hex} | extra
    response = client.post(f"/api/v1/events/{event.slug}/scans", json=body, headers=bearer(secret))
    assert response.status_code == (404 if "checkpoint_id" in extra else 400)
    assert response.json["error"]["message"]
    sync = {"sent_at": datetime.now(UTC).isoformat(), "scans": [body | {"scanned_at": datetime.now(UTC).isoformat()}]}
    response = client.post(f"/api/v1/events/{event.slug}/scans/sync", json=sync, headers=bearer(secret))
    assert response.status_code == (404 if "checkpoint_id" in extra else 400)
    assert stored_scans() == 0


@pytest.mark.parametrize("when", ["0001-01-01T00:00:00+01:00", "9999-12-31T23:59:59-01:00", "9999-12-31T23:59:59Z", "2200-01-01T00:00:00Z"])
@pytest.mark.parametrize("field", ["sent_at", "scanned_at"])
def test_sync_times_no_clock_offset_can_hold_are_400(client, gate, when, field):
    event, checkpoint, secret, _registration, token = gate
    now = datetime.now(UTC).isoformat()
    item = {"checkpoint_id": checkpoint.id, "code": token, "nonce": uuid.uuid4().hex, "scanned_at": now}
    body = {"sent_at": now, "scans": [item]}
    (body if field == "sent_at" else item)[field] = when
    response = client.post(f"/api/v1/events/{event.slug}/scans/sync", json=body, headers=bearer(secret))
    assert response.status_code == 400
    assert response.json["error"]["message"] == tr(
        client.application, "%(name)s is decades away from the server's time. Set the device's clock and send the scans again.", name=field
    )
    assert stored_scans() == 0


def test_a_local_result_that_is_not_text_is_ignored(client, gate):
    event, checkpoint, secret, _registration, token = gate
    now = datetime.now(UTC).isoformat()
    item = {"checkpoint_id": checkpoint.id, "code": token, "nonce": uuid.uuid4().hex, "scanned_at": now, "local_result": {"ok": 1}}
    response = client.post(f"/api/v1/events/{event.slug}/scans/sync", json={"sent_at": now, "scans": [item]}, headers=bearer(secret))
    assert response.status_code == 200 and response.json["results"][0]["result"] == "ok"
    assert fresh().scalars(select(Scan.local_result)).all() == [None]


def test_an_exit_at_a_checkpoint_that_records_no_exits_is_refused(client, gate):
    event, checkpoint, secret, _registration, token = gate  # the gate admits once: no exits
    message = tr(client.application, "This checkpoint does not record exits; send direction in.")
    scan = {"checkpoint_id": checkpoint.id, "code": token, "nonce": uuid.uuid4().hex, "direction": "out"}
    response = client.post(f"/api/v1/events/{event.slug}/scans", json=scan, headers=bearer(secret))
    assert response.status_code == 400 and response.json["error"]["message"] == message
    queued = {"sent_at": datetime.now(UTC).isoformat(), "scans": [scan | {"scanned_at": datetime.now(UTC).isoformat()}]}
    response = client.post(f"/api/v1/events/{event.slug}/scans/sync", json=queued, headers=bearer(secret))
    assert response.status_code == 400 and message in response.json["error"]["message"]
    assert stored_scans() == 0 and fresh().scalar(select(func.count(CheckIn.id))) == 0


def test_page_ids_past_any_row_are_404_on_every_route_not_500(client, organizer, make_user):
    _user, event = organizer  # QA found OverflowError 500s on booth, media, logo, pavilion and portal pages
    sign_in(client, make_user(is_admin=True))
    for path in (f"/exhibition/{event.slug}/booths/{BEYOND_SQLITE}", f"/exhibition/{event.slug}/media/{BEYOND_SQLITE}/thumb",
                 f"/exhibition/{event.slug}/booths/{BEYOND_SQLITE}/logo", f"/manage/{event.slug}/exhibition/pavilions/{BEYOND_SQLITE}",
                 f"/exhibit/{event.slug}/booth/{BEYOND_SQLITE}", f"/manage/{event.slug}/checkin/devices/{BEYOND_SQLITE}",
                 f"/exhibition/{event.slug}/booths/{2**31}"):
        assert client.get(path).status_code == 404, path
