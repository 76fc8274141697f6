"""The scan endpoint's rules: reason codes, idempotency, entry policies, offline sync, devices, and the race."""
import base64
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from eventsys.attendance import devices, scanning
from eventsys.attendance.models import CheckIn, CheckInChange, EntryPolicy, Scan, ScanResult
from eventsys.core.i18n import local_time
from eventsys.extensions import db
from eventsys.registration import services as registration_services
from eventsys.registration import tickets
from eventsys.registration.models import DelegateCategory, RegistrationState
from tests.helpers import bearer, fresh, post_at_once, tr

PARALLEL = 50


def nonce() -> str:
    return uuid.uuid4().hex


def post_scan(client, event, secret, checkpoint, code, **extra):
    body = {"checkpoint_id": checkpoint.id, "code": code, "nonce": extra.pop("nonce", None) or nonce(), **extra}
    return client.post(f"/api/v1/events/{event.slug}/scans", json=body, headers={"Authorization": f"Bearer {secret}"})


def checkins(registration) -> int:
    return fresh().scalar(select(func.count(CheckIn.id)).where(CheckIn.registration_id == registration.id, CheckIn.undone_at.is_(None)))


def test_a_valid_ticket_is_admitted_once_then_amber_with_when_and_where(client, gate):
    event, checkpoint, secret, registration, token = gate
    first = post_scan(client, event, secret, checkpoint, token)
    assert first.status_code == 200
    body = first.get_json()
    assert body["result"] == "ok"
    assert body["attendee"]["name"] == "Nashrudin Azis"
    assert body["attendee"]["organization"] == "Kota Cirebon"
    assert body["attendee"]["category"]["name"] == "Kepala Daerah"
    again = post_scan(client, event, secret, checkpoint, token).get_json()
    assert again["result"] == "already_checked_in"
    assert again["previous"]["checkpoint_name"] == "Pintu masuk"
    assert again["previous"]["device_name"] == "Pintu utama 1"
    assert "Pintu masuk" in again["message"]
    assert checkins(registration) == 1
    scans = fresh().scalars(select(Scan).order_by(Scan.id)).all()
    assert [s.result for s in scans] == [ScanResult.OK, ScanResult.ALREADY_CHECKED_IN]
    assert scans[0].staff_name == "Rina (LO)" and scans[0].device_id is not None and scans[0].raw_code == token


def test_the_desk_code_works_like_the_qr_in_any_spelling(client, gate):
    event, checkpoint, secret, registration, _token = gate
    typed = registration.ticket.code.lower().replace("-", " ")
    assert post_scan(client, event, secret, checkpoint, typed).get_json()["result"] == "ok"


@pytest.mark.parametrize(
    "code",
    ["", "hello", "x" * 10_000, "A" * 120, "\x00\x01", "https://evil.example/<script>", "K7P-4QX"],
    ids=["empty", "junk", "oversized", "unsigned-shape", "control", "url", "unknown-desk-code"],
)
def test_junk_is_refused_with_a_reason_and_logged(client, gate, code):
    event, checkpoint, secret, registration, _token = gate
    body = post_scan(client, event, secret, checkpoint, code).get_json()
    assert body["result"] in {"unknown", "invalid_signature"}
    assert body["message"]
    assert body["attendee"] is None
    scan = fresh().scalars(select(Scan)).one()
    assert len(scan.raw_code) <= 300
    assert checkins(registration) == 0


def test_a_truncated_or_altered_token_is_forged(client, gate):
    event, checkpoint, secret, _registration, token = gate
    assert post_scan(client, event, secret, checkpoint, token[:-10]).get_json()["result"] == "unknown"
    altered = token[:20] + ("A" if token[20] != "A" else "B") + token[21:]
    body = post_scan(client, event, secret, checkpoint, altered).get_json()
    assert body["result"] == "invalid_signature"
    assert body["message"] == tr(client.application, "Forged or damaged ticket: the signature does not match this event.")


def test_a_ticket_of_another_event_is_named_and_refused(client, gate, make_event, make_registration):
    event, checkpoint, secret, _registration, _token = gate
    other = make_event(name="Seminar Smart City 2022", slug="seminar-2022")
    stranger, _ = make_registration(other, name="Tamu Lain")
    body = post_scan(client, event, secret, checkpoint, tickets.token_for(stranger.ticket)).get_json()
    assert body["result"] == "not_allowed_here"
    assert "Seminar Smart City 2022" in body["message"]


def test_cancelled_and_reissued_tickets_are_revoked(client, gate, make_registration):
    event, checkpoint, secret, registration, old_token = gate
    tickets.reissue_ticket(db.session, registration.ticket)
    db.session.commit()
    assert post_scan(client, event, secret, checkpoint, old_token).get_json()["result"] == "revoked"
    other, _ = make_registration(event, name="Dibatalkan")
    token = tickets.token_for(other.ticket)
    registration_services.cancel(db.session, other, "Tidak jadi hadir")
    db.session.commit()
    body = post_scan(client, event, secret, checkpoint, token).get_json()
    assert body["result"] == "revoked"
    assert fresh().get(type(other), other.id).state == RegistrationState.CANCELLED


def test_categories_and_the_window_are_enforced(client, organizer, make_checkpoint, make_scanner, make_registration):
    _user, event = organizer
    vip = DelegateCategory(event_id=event.id, name="Menteri", color="#000000")
    db.session.add(vip)
    db.session.commit()
    now = datetime.now(UTC)
    vip_room = make_checkpoint(event, name="Ruang VIP", categories=[vip])
    later = make_checkpoint(event, name="Malam anugerah", opens_at=now + timedelta(hours=2), closes_at=now + timedelta(hours=5))
    closed = make_checkpoint(event, name="FGD hari 1", opens_at=now - timedelta(hours=5), closes_at=now - timedelta(hours=1))
    _device, secret = make_scanner(event)
    registration, _ = make_registration(event)
    token = tickets.token_for(registration.ticket)
    body = post_scan(client, event, secret, vip_room, token).get_json()
    assert body["result"] == "not_allowed_here" and body["attendee"]["name"] == "Nashrudin Azis"
    body = post_scan(client, event, secret, later, token).get_json()
    assert body["result"] == "outside_window" and local_time(later.opens_at, event.timezone) in body["message"]
    assert post_scan(client, event, secret, closed, token).get_json()["result"] == "outside_window"
    assert checkins(registration) == 0


def test_a_replayed_nonce_returns_the_stored_verdict_and_counts_nothing(client, gate):
    event, checkpoint, secret, registration, token = gate
    key = nonce()
    first = post_scan(client, event, secret, checkpoint, token, nonce=key).get_json()
    second = post_scan(client, event, secret, checkpoint, token, nonce=key).get_json()
    assert first["result"] == second["result"] == "ok"
    assert second["replayed"] is True and second["scan_id"] == first["scan_id"]
    assert checkins(registration) == 1
    assert fresh().scalar(select(func.count(Scan.id))) == 1


def test_entry_policies(app, organizer, make_checkpoint, make_registration):
    _user, event = organizer
    registration, _ = make_registration(event)
    token = tickets.token_for(registration.ticket)
    day1 = datetime(2018, 3, 5, 2, 0, tzinfo=UTC)  # 09:00 WIB
    daily = make_checkpoint(event, name="FGD", policy=EntryPolicy.ONCE_PER_DAY)
    hall = make_checkpoint(event, name="Aula", policy=EntryPolicy.UNLIMITED)
    door = make_checkpoint(event, name="Ballroom", policy=EntryPolicy.IN_OUT)

    def scan(checkpoint, at, direction="in"):
        outcome = scanning.scan_code(db.session, event, checkpoint, token, nonce=nonce(), direction=direction, now=at)
        db.session.commit()
        return outcome.result

    # Once per day: days are the event's (WIB): 16:59 UTC is still 23:59 of the 5th, 17:00 is the 6th.
    assert scan(daily, day1) == ScanResult.OK
    assert scan(daily, day1.replace(hour=16, minute=59)) == ScanResult.ALREADY_CHECKED_IN
    assert scan(daily, day1.replace(hour=17)) == ScanResult.OK
    assert [scan(hall, day1) for _ in range(3)] == [ScanResult.OK] * 3
    assert scan(door, day1, "out") == ScanResult.NOT_INSIDE
    assert scan(door, day1) == ScanResult.OK
    assert scan(door, day1) == ScanResult.ALREADY_CHECKED_IN
    assert scan(door, day1, "out") == ScanResult.OK
    assert scan(door, day1, "out") == ScanResult.NOT_INSIDE
    assert scan(door, day1) == ScanResult.OK
    from eventsys.attendance.checkpoints import inside_now

    assert [r.id for r in inside_now(db.session, door)] == [registration.id]


def test_undo_frees_the_slot_and_is_logged(client, gate, make_scanner):
    event, checkpoint, secret, registration, token = gate
    body = post_scan(client, event, secret, checkpoint, token).get_json()
    checkin_id = body["checkin"]["id"]
    _other_device, other_secret = make_scanner(event, name="Pintu 2")
    refused = client.post(f"/api/v1/events/{event.slug}/checkins/{checkin_id}/undo", headers={"Authorization": f"Bearer {other_secret}"})
    assert refused.status_code == 409
    undone = client.post(f"/api/v1/events/{event.slug}/checkins/{checkin_id}/undo", headers={"Authorization": f"Bearer {secret}"})
    assert undone.status_code == 200 and undone.get_json() == {"undone": True, "checkin_id": checkin_id}
    assert checkins(registration) == 0
    assert fresh().scalars(select(CheckInChange)).one().action == "undo"
    assert post_scan(client, event, secret, checkpoint, token).get_json()["result"] == "ok"
    again = client.post(f"/api/v1/events/{event.slug}/checkins/{checkin_id}/undo", headers={"Authorization": f"Bearer {secret}"})
    assert again.status_code == 409


def test_staff_cannot_undo_after_the_window_but_an_organizer_can(app, organizer, gate):
    user, _event = organizer
    event, checkpoint, _secret, registration, token = gate
    device = db.session.scalars(select(devices.ScannerDevice)).first()
    long_ago = datetime.now(UTC) - timedelta(minutes=scanning.UNDO_MINUTES + 1)
    outcome = scanning.scan_code(db.session, event, checkpoint, token, nonce=nonce(), device=device, now=long_ago)
    db.session.commit()
    with pytest.raises(scanning.RuleViolation):
        scanning.undo_checkin(db.session, outcome.checkin, device=device)
    scanning.undo_checkin(db.session, outcome.checkin, user=user, reason="Salah orang")
    db.session.commit()
    assert checkins(registration) == 0
    scanning.restore_checkin(db.session, outcome.checkin, user=user, reason="Ternyata benar")
    db.session.commit()
    assert checkins(registration) == 1
    assert [c.action for c in fresh().scalars(select(CheckInChange).order_by(CheckInChange.id))] == ["undo", "restore"]


def test_offline_sync_corrects_a_skewed_clock_and_shows_conflicts(client, gate, make_scanner):
    event, checkpoint, secret, registration, token = gate
    # Another door admitted the delegate online while this phone was offline and believed it admitted them too.
    _other, other_secret = make_scanner(event, name="Pintu 2")
    assert post_scan(client, event, other_secret, checkpoint, token).get_json()["result"] == "ok"
    skew = timedelta(hours=3)  # the phone's clock runs 3 hours fast
    device_now = datetime.now(UTC) + skew
    scans = [
        {"nonce": nonce(), "code": token, "checkpoint_id": checkpoint.id, "scanned_at": (device_now - timedelta(minutes=10)).isoformat(), "local_result": "ok"},
        {"nonce": nonce(), "code": "garbage", "checkpoint_id": checkpoint.id, "scanned_at": (device_now - timedelta(minutes=9)).isoformat(), "local_result": "unknown"},
    ]
    body = {"sent_at": device_now.isoformat(), "scans": scans}
    headers = {"Authorization": f"Bearer {secret}"}
    response = client.post(f"/api/v1/events/{event.slug}/scans/sync", json=body, headers=headers)
    assert response.status_code == 200
    results = response.get_json()["results"]
    assert [r["result"] for r in results] == ["already_checked_in", "unknown"]
    assert [r["nonce"] for r in results] == [s["nonce"] for s in scans]
    stored = fresh().scalars(select(Scan).where(Scan.offline.is_(True)).order_by(Scan.id)).all()
    assert [s.sync_conflict for s in stored] == [True, False]
    offset = abs(stored[0].clock_offset_seconds + skew.total_seconds())
    assert offset < 60  # measured as about -3 hours
    assert abs((stored[0].scanned_at - (datetime.now(UTC) - timedelta(minutes=10))).total_seconds()) < 60
    # The same upload again (the phone did not hear the answer): nothing counted twice.
    again = client.post(f"/api/v1/events/{event.slug}/scans/sync", json=body, headers=headers).get_json()["results"]
    assert all(r["replayed"] for r in again)
    assert fresh().scalar(select(func.count(Scan.id))) == 3
    assert checkins(registration) == 1


def test_a_malformed_batch_stores_nothing(client, gate):
    event, checkpoint, secret, _registration, token = gate
    good = {"nonce": nonce(), "code": token, "checkpoint_id": checkpoint.id, "scanned_at": datetime.now(UTC).isoformat()}
    bad = {"nonce": "x", "code": token, "checkpoint_id": checkpoint.id, "scanned_at": datetime.now(UTC).isoformat()}
    headers = {"Authorization": f"Bearer {secret}"}
    for body in (
        {"sent_at": datetime.now(UTC).isoformat(), "scans": [good, bad]},
        {"sent_at": "yesterday", "scans": [good]},
        {"sent_at": datetime.now(UTC).replace(tzinfo=None).isoformat(), "scans": [good]},
        {"sent_at": datetime.now(UTC).isoformat(), "scans": [good] * 501},
        [1, 2],
    ):
        response = client.post(f"/api/v1/events/{event.slug}/scans/sync", json=body, headers=headers)
        assert response.status_code == 400, body
        assert response.get_json()["error"]["message"]
    assert fresh().scalar(select(func.count(Scan.id))) == 0


@pytest.mark.parametrize(
    "body",
    [None, [], {"code": "x"}, {"checkpoint_id": "1", "code": "x", "nonce": "abcdefgh"}, {"checkpoint_id": 1, "code": 5, "nonce": "abcdefgh"},
     {"checkpoint_id": 1, "code": "x", "nonce": "abcdefgh", "direction": "sideways"}],
)
def test_malformed_scans_get_400_with_a_message(client, gate, body):
    event, checkpoint, secret, _registration, _token = gate
    if isinstance(body, dict) and body.get("checkpoint_id") == 1:
        body = body | {"checkpoint_id": checkpoint.id}
    response = client.post(f"/api/v1/events/{event.slug}/scans", json=body, headers={"Authorization": f"Bearer {secret}"})
    assert response.status_code == 400
    assert response.get_json()["error"]["code"] == "bad_request"


def test_devices_pair_once_and_a_revoked_device_is_refused_at_once(client, gate, organizer):
    event, checkpoint, secret, _registration, token = gate
    device = db.session.scalars(select(devices.ScannerDevice)).one()
    devices.revoke_device(db.session, device)
    db.session.commit()
    response = post_scan(client, event, secret, checkpoint, token)
    assert response.status_code == 401
    assert response.get_json()["error"]["code"] == "invalid_token"
    _device, pairing = devices.create_device(db.session, event, name="Tablet kios", kiosk=True)
    devices.pair_device(db.session, pairing, staff_name="Budi")
    db.session.commit()
    with pytest.raises(scanning.RuleViolation):
        devices.pair_device(db.session, pairing)


def test_other_tokens_and_other_events_are_refused(client, gate, organizer, make_event, make_scanner):
    user, event = organizer
    event, checkpoint, _secret, _registration, token = gate
    from eventsys.api.services import create_token

    _api_token, plain_secret = create_token(db.session, event, "Sistem lain", "checkin", user.id)
    other_event = make_event(name="Lain", slug="lain")
    _device, other_secret = make_scanner(other_event)
    db.session.commit()
    assert post_scan(client, event, plain_secret, checkpoint, token).status_code == 403
    assert post_scan(client, event, other_secret, checkpoint, token).status_code == 403
    assert client.post(f"/api/v1/events/{event.slug}/scans", json={}).status_code == 401


def test_bootstrap_holds_what_an_offline_scanner_needs(client, gate, make_registration):
    event, checkpoint, secret, registration, token = gate
    cancelled, _ = make_registration(event, name="Batal")
    tickets.revoke_ticket(db.session, cancelled.ticket, "cancelled")
    db.session.commit()
    post_scan(client, event, secret, checkpoint, token)
    body = client.get(f"/api/v1/events/{event.slug}/scanner", headers={"Authorization": f"Bearer {secret}"}).get_json()
    key = base64.urlsafe_b64decode(body["public_key"] + "=" * (-len(body["public_key"]) % 4))
    assert tickets.verify_token(token, key).ticket_id == registration.ticket.id
    roster = {r["name"]: r for r in body["roster"]}
    assert roster["Nashrudin Azis"]["live"] is True and roster["Batal"]["live"] is False
    assert {"ticket_id": cancelled.ticket.id, "serial": 1} in body["revoked"]
    assert [c["ticket_id"] for c in body["checkins"]] == [registration.ticket.id]
    assert body["checkpoints"][0]["name"] == "Pintu masuk"
    found = client.get(f"/api/v1/events/{event.slug}/attendees?q=nashr", headers={"Authorization": f"Bearer {secret}"}).get_json()
    assert [r["name"] for r in found["results"]] == ["Nashrudin Azis"]
    assert found["results"][0]["checkins"][0]["checkpoint_name"] == "Pintu masuk"
    by_code = client.get(f"/api/v1/events/{event.slug}/attendees?q={registration.ticket.code}", headers={"Authorization": f"Bearer {secret}"})
    assert [r["name"] for r in by_code.get_json()["results"]] == ["Nashrudin Azis"]
    wild = client.get(f"/api/v1/events/{event.slug}/attendees?q=%25%25", headers={"Authorization": f"Bearer {secret}"}).get_json()
    assert wild["results"] == []


@pytest.fixture
def crowd_app(make_app):
    return make_app(SQLALCHEMY_ENGINE_OPTIONS={"pool_size": PARALLEL + 5, "max_overflow": 0, "pool_timeout": 60})


def scan_at_once(app, slug: str, checkpoint_id: int, token: str, secrets: list[str]) -> list[str | None]:
    """Each device in `secrets` scans `token` in a thread of its own, all released at the same instant: their results."""
    requests = [{"json": {"checkpoint_id": checkpoint_id, "code": token, "nonce": nonce()}, "headers": bearer(secret)} for secret in secrets]
    return [response.get_json().get("result") for response in post_at_once(app, f"/api/v1/events/{slug}/scans", requests)]


def test_fifty_devices_scanning_one_ticket_at_once_admit_it_exactly_once(crowd_app, gate, make_scanner):
    event, checkpoint, _secret, registration, token = gate
    secrets = [make_scanner(event, name=f"Pintu {i}")[1] for i in range(PARALLEL)]
    # read here: the threads have no app context to load them in
    results = scan_at_once(crowd_app, event.slug, checkpoint.id, token, secrets)
    assert sorted(results).count("ok") == 1
    assert results.count("already_checked_in") == PARALLEL - 1
    assert checkins(registration) == 1
    assert fresh().scalar(select(func.count(Scan.id))) == PARALLEL


def test_other_features_ask_who_has_arrived(app, gate, make_organization, make_registration):
    from eventsys.attendance import services

    event, checkpoint, _secret, registration, token = gate
    absent_region = make_organization(name="Kab. Mimika", province="Papua Tengah")
    absent, _ = make_registration(event, name="Bupati Mimika", organization=absent_region)
    outcome = scanning.scan_code(db.session, event, checkpoint, token, nonce=nonce())
    db.session.commit()
    arrived = services.organizations_arrived(db.session, event, [registration.organization_id, absent_region.id])
    assert arrived == {registration.organization_id: outcome.checkin.at}
    assert services.registrations_arrived(db.session, event, [registration.id, absent.id]) == {registration.id: outcome.checkin.at}
    scanning.undo_checkin(db.session, outcome.checkin, user=None, reason="salah")
    db.session.commit()
    assert services.organizations_arrived(db.session, event, [registration.organization_id]) == {}
