"""The scan lane: a paired phone's usual scan in four statements, with the verdicts of the full path.

A device's first request, and any after a minute of silence, goes the full way (it notes when the
device and its token were last used); from the second request on, a valid ticket at an open gate
is decided by `scan_lane`. These tests warm a device up first, so the scans they look at take the
lane, and check that it answers exactly as the full path does and hands every other case over.
"""
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

import pytest
from sqlalchemy import func, select, update

from eventsys.attendance import devices
from eventsys.attendance.models import CheckIn, EntryPolicy, Scan, ScannerDevice
from eventsys.extensions import db
from eventsys.registration import services as registration_services
from eventsys.registration import tickets
from eventsys.registration.models import DelegateCategory, RegistrationState
from tests.helpers import fresh, recorded_statements
from tests.test_checkin_scan import checkins, nonce, post_scan, scan_at_once


@pytest.fixture
def door(client, organizer, make_checkpoint, make_scanner, make_registration):
    """(event, checkpoint, a warmed-up device's token, a registration, its token, a scanner that has not spoken yet)."""
    _user, event = organizer
    checkpoint = make_checkpoint(event)
    _device, secret = make_scanner(event)
    other, _ = make_registration(event, name="Warm Up")
    assert post_scan(client, event, secret, checkpoint, tickets.token_for(other.ticket)).get_json()["result"] == "ok"
    registration, _ = make_registration(event)
    return event, checkpoint, secret, registration, tickets.token_for(registration.ticket)


def data_statements(statements: list[str]) -> int:
    """SELECT / INSERT / UPDATE / DELETE among `statements` (not BEGIN or COMMIT)."""
    return sum(1 for s in statements if s.lstrip().split(None, 1)[0].upper() in {"SELECT", "INSERT", "UPDATE", "DELETE", "WITH"})


def test_the_usual_scan_takes_four_statements_and_says_what_the_full_path_says(app, client, door, make_scanner):
    event, checkpoint, secret, registration, token = door
    where, gate = SimpleNamespace(slug=event.slug), SimpleNamespace(id=checkpoint.id)  # read now: only the scans' statements count
    with recorded_statements() as first:
        admitted = post_scan(client, where, secret, gate, token).get_json()
    with recorded_statements() as second:
        refused = post_scan(client, where, secret, gate, token).get_json()
    lane_ok, lane_again = data_statements(first), data_statements(second)
    assert (lane_ok, lane_again) == (4, 5)  # the full path: 7 and 8 (token, device, checkpoint, nonce, ticket, 2 INSERTs)
    assert admitted["result"] == "ok" and admitted["attendee"]["name"] == "Nashrudin Azis"
    assert admitted["attendee"]["organization"] == "Kota Cirebon" and admitted["checkin"]["checkpoint_name"] == "Pintu masuk"
    # A device that has not spoken yet goes the full way: the same ticket, the same answer.
    _new_device, new_secret = make_scanner(event, name="Pintu utama 2")
    full = post_scan(client, event, new_secret, checkpoint, token).get_json()
    assert refused["result"] == full["result"] == "already_checked_in"
    for body in (refused, full):
        body.pop("scan_id")
    assert refused == full
    assert refused["previous"]["device_name"] == "Pintu utama 1" and refused["previous"]["at"] == admitted["checkin"]["at"]
    assert checkins(registration) == 1
    stored = fresh().scalars(select(Scan).where(Scan.registration_id == registration.id).order_by(Scan.id)).all()
    assert [s.staff_name for s in stored] == ["Rina (LO)", "Rina (LO)", "Rina (LO)"]
    assert stored[0].checkin_id == stored[1].checkin_id == stored[2].checkin_id is not None
    assert stored[0].raw_code == token and stored[0].device_id is not None and stored[0].offline is False


def test_a_nonce_used_before_returns_its_verdict_and_keeps_nothing_of_the_second_ticket(client, door, make_registration):
    event, checkpoint, secret, registration, token = door
    key = nonce()
    first = post_scan(client, event, secret, checkpoint, token, nonce=key).get_json()
    another, _ = make_registration(event, name="Dadang Suhendra")
    second = post_scan(client, event, secret, checkpoint, tickets.token_for(another.ticket), nonce=key).get_json()
    assert first["result"] == second["result"] == "ok"
    assert second["replayed"] is True and second["scan_id"] == first["scan_id"]
    assert second["attendee"]["name"] == "Nashrudin Azis"
    assert checkins(registration) == 1 and checkins(another) == 0


def test_a_device_revoked_after_it_scanned_is_refused_at_once(client, door):
    event, checkpoint, secret, _registration, token = door
    device = db.session.scalar(select(ScannerDevice).where(ScannerDevice.event_id == event.id))
    devices.revoke_device(db.session, device)
    db.session.commit()
    response = post_scan(client, event, secret, checkpoint, token)
    assert response.status_code == 401
    assert fresh().scalar(select(func.count(Scan.id)).where(Scan.raw_code == token)) == 0


def test_a_device_silent_for_a_minute_is_noted_as_seen_again(client, door):
    event, checkpoint, secret, _registration, token = door
    long_ago = datetime.now(UTC) - devices.SEEN_INTERVAL - timedelta(seconds=5)
    db.session.execute(update(ScannerDevice).where(ScannerDevice.event_id == event.id).values(last_seen_at=long_ago))
    db.session.commit()
    assert post_scan(client, event, secret, checkpoint, token).get_json()["result"] == "ok"
    seen = fresh().scalar(select(ScannerDevice.last_seen_at).where(ScannerDevice.event_id == event.id))
    assert seen > long_ago + timedelta(seconds=4)


def test_every_other_case_is_handed_to_the_full_path_with_its_reason(app, client, door, make_checkpoint, make_registration):
    event, checkpoint, secret, registration, token = door
    cancelled, _ = make_registration(event, name="Batal")
    cancelled_token = tickets.token_for(cancelled.ticket)
    registration_services.cancel(db.session, cancelled, "Tidak jadi hadir")
    reissued, _ = make_registration(event, name="Tiket Baru")
    old_token = tickets.token_for(reissued.ticket)
    tickets.reissue_ticket(db.session, reissued.ticket)
    media = DelegateCategory(event_id=event.id, name="Media", color="#15803d")
    db.session.add(media)
    db.session.commit()
    media_only = make_checkpoint(event, name="Ruang pers", categories=[media])
    closed = make_checkpoint(event, name="Hari pertama", closes_at=datetime.now(UTC) - timedelta(hours=1))
    in_out = make_checkpoint(event, name="Ruang FGD", policy=EntryPolicy.IN_OUT)
    cases = [
        (checkpoint, cancelled_token, "revoked"),
        (checkpoint, old_token, "revoked"),
        (media_only, token, "not_allowed_here"),
        (closed, token, "outside_window"),
        (in_out, token, "ok"),
        (in_out, token, "already_checked_in"),
        (checkpoint, token[:-4] + ("AAAA" if not token.endswith("AAAA") else "BBBB"), "invalid_signature"),
        (checkpoint, registration.ticket.code.lower(), "ok"),
        (checkpoint, "BUKAN-TIKET", "unknown"),
    ]
    assert [post_scan(client, event, secret, gate, code).get_json()["result"] for gate, code, _ in cases] == [r for *_, r in cases]
    assert registration.state == RegistrationState.CONFIRMED


PARALLEL = 50


@pytest.fixture
def crowd_app(make_app):
    return make_app(SQLALCHEMY_ENGINE_OPTIONS={"pool_size": PARALLEL + 5, "max_overflow": 0, "pool_timeout": 60})


def test_fifty_warm_devices_scanning_one_ticket_at_once_admit_it_exactly_once(crowd_app, client, door, make_scanner, make_registration):
    """The race of tests/test_checkin_scan.py, with devices that have scanned before: all fifty scans take the lane."""
    event, checkpoint, _secret, registration, token = door
    warm_up, _ = make_registration(event, name="Pemanasan")
    secrets = [make_scanner(event, name=f"Pintu {i}")[1] for i in range(PARALLEL)]
    for secret in secrets:
        post_scan(client, event, secret, checkpoint, tickets.token_for(warm_up.ticket))
    results = scan_at_once(crowd_app, event.slug, checkpoint.id, token, secrets)
    assert results.count("ok") == 1 and results.count("already_checked_in") == PARALLEL - 1
    assert checkins(registration) == 1
    assert fresh().scalar(select(func.count(Scan.id)).where(Scan.registration_id == registration.id)) == PARALLEL
    assert fresh().scalar(select(func.count(CheckIn.id)).where(CheckIn.registration_id == warm_up.id)) == 1

