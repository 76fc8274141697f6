"""The organizer's check-in screens: devices paired by QR or link and revoked at once, the scan log
with its filters and sync conflicts, and corrections to a person's check-ins, each one logged."""
import base64
import re
import uuid
from datetime import timedelta
from html import unescape
from urllib.parse import urlsplit

import pytest
from flask_babel import force_locale
from sqlalchemy import select

from eventsys.attendance import scanning
from eventsys.attendance.models import (
    ChangeAction,
    CheckIn,
    CheckInChange,
    CheckInSource,
    Direction,
    EntryPolicy,
    Scan,
    ScannerDevice,
    ScanResult,
)
from eventsys.core.db import utcnow
from eventsys.core.i18n import local_datetime, local_time
from eventsys.core.qr import qr_svg
from eventsys.extensions import db
from eventsys.registration import tickets
from eventsys.registration.models import RegistrationState
from tests.helpers import PASSWORD, csrf_token_of, error_message, field_errors, fresh, sign_in, text, tr


def base(event) -> str:
    return f"/manage/{event.slug}/checkin"


def flashes(response) -> list[str]:
    return [unescape(m) for m in re.findall(r'<p class="flash flash-\w+" role="(?:status|alert)"[^>]*>(.*?)</p>', text(response), re.S)]


def nonce() -> str:
    return uuid.uuid4().hex


def post_scan(client, event, token, checkpoint, code):
    body = {"checkpoint_id": checkpoint.id, "code": code, "nonce": nonce()}
    return client.post(f"/api/v1/events/{event.slug}/scans", json=body, headers={"Authorization": f"Bearer {token}"})


def scan(event, checkpoint, code, **kwargs):
    fresh()  # a new snapshot after the web app's writes
    outcome = scanning.scan_code(db.session, event, checkpoint, code, nonce=nonce(), **kwargs)
    db.session.commit()
    return outcome


def wib(moment) -> str:
    """A UTC moment as typed in a datetime-local field in Jakarta."""
    return (moment + timedelta(hours=7)).strftime("%Y-%m-%dT%H:%M")


# Devices


def test_a_device_is_created_paired_by_its_qr_link_and_revoked_at_once(app, organizer_web, make_app, make_checkpoint, make_registration):
    web, event = organizer_web
    entrance = make_checkpoint(event, name="Pintu masuk")
    registration, _ = make_registration(event)
    created = web.post(f"{base(event)}/devices", data={"name": "Pintu utama 1", "checkpoint_id": str(entrance.id)}, follow_redirects=True)
    assert created.status_code == 200 and created.headers["Cache-Control"] == "no-store"
    page = text(created)
    link = unescape(re.search(r'data-testid="pairing-link">(.*?)</p>', page).group(1))
    assert re.fullmatch(r"https?://[^/]+/scan/pair/[A-Za-z0-9_-]+", link)
    qr = re.search(r'<img src="data:image/svg\+xml;base64,([^"]+)"[^>]*data-testid="pairing-qr"', page).group(1)
    assert base64.b64decode(qr) == qr_svg(link)  # the QR holds exactly the link
    [device] = fresh().scalars(select(ScannerDevice)).all()
    assert device.checkpoint_id == entrance.id and device.paired_at is None and device.created_by_id is not None
    assert tr(app, "Waiting to be paired") in text(web.get(f"{base(event)}/devices"))

    phone = make_app().test_client()
    paired = phone.post(urlsplit(link).path, data={"staff_name": "Rina (LO)"})
    assert paired.status_code == 200, text(paired)[:500]
    token = re.search(r"evs_[A-Za-z0-9_-]{43}", text(paired)).group(0)
    assert post_scan(phone, event, token, entrance, tickets.token_for(registration.ticket)).get_json()["result"] == "ok"
    listing = text(web.get(f"{base(event)}/devices"))
    assert "Rina (LO)" in listing and tr(app, "Active") in listing

    confirm = web.get(f"{base(event)}/devices/{device.id}/revoke")
    assert confirm.status_code == 200 and 'data-testid="revoke-form"' in text(confirm)
    assert fresh().get(ScannerDevice, device.id).revoked_at is None  # looking at the question revokes nothing
    revoked = web.post(f"{base(event)}/devices/{device.id}/revoke", follow_redirects=True)
    assert tr(app, "“%(name)s” is revoked: it can no longer scan or sync.", name="Pintu utama 1") in flashes(revoked)
    assert post_scan(phone, event, token, entrance, tickets.token_for(registration.ticket)).status_code == 401
    assert tr(app, "Revoked") in text(web.get(f"{base(event)}/devices"))


def test_a_pairing_link_works_once_and_not_after_its_device_is_revoked(organizer_web, make_app, make_checkpoint):
    web, event = organizer_web
    make_checkpoint(event)  # the kiosk's, taken as the only one
    first = text(web.post(f"{base(event)}/devices", data={"name": "Meja registrasi", "checkpoint_id": "0", "kiosk": "y"}, follow_redirects=True))
    second = text(web.post(f"{base(event)}/devices", data={"name": "Pintu samping", "checkpoint_id": "0"}, follow_redirects=True))
    path_of = lambda page: "/scan/pair/" + re.search(r"/scan/pair/([A-Za-z0-9_-]+)", page).group(1)  # noqa: E731
    phone = make_app().test_client()
    assert phone.post(path_of(first), data={"staff_name": "Budi"}).status_code == 200
    assert phone.post(path_of(first), data={"staff_name": "Budi"}).status_code == 404  # used
    unpaired = fresh().scalar(select(ScannerDevice).where(ScannerDevice.name == "Pintu samping"))
    web.post(f"{base(event)}/devices/{unpaired.id}/revoke")
    assert phone.post(path_of(second), data={"staff_name": "Budi"}).status_code == 404
    kiosk = fresh().scalar(select(ScannerDevice).where(ScannerDevice.name == "Meja registrasi"))
    assert kiosk.kiosk and kiosk.staff_name == "Budi"


def test_a_new_pairing_link_replaces_the_lost_phone(organizer_web, make_scanner, make_checkpoint, make_app):
    web, event = organizer_web
    entrance = make_checkpoint(event)
    device, token = make_scanner(event)
    phone = make_app().test_client()
    assert post_scan(phone, event, token, entrance, "junk").status_code == 200
    page = web.post(f"{base(event)}/devices/{device.id}/pairing", data={"confirm": "y"}, follow_redirects=True)
    assert page.status_code == 200 and 'data-testid="pairing-qr"' in text(page)
    assert post_scan(phone, event, token, entrance, "junk").status_code == 401


def test_a_bad_device_name_is_refused_next_to_its_field(app, organizer_web):
    web, event = organizer_web
    response = web.post(f"{base(event)}/devices", data={"name": "   ", "checkpoint_id": "0"})
    assert field_errors(response, "name") == [tr(app, "Give the device a name, e.g. the door it stands at.")]
    assert fresh().scalars(select(ScannerDevice)).all() == []


# The scan log


@pytest.fixture
def scanned(organizer, make_checkpoint, make_scanner, make_registration):
    """A morning at two doors: an admission, a second scan, junk, a forged code, and an offline sync conflict."""
    _user, event = organizer
    entrance = make_checkpoint(event, name="Pintu masuk")
    hall = make_checkpoint(event, name="Ballroom")
    front, _token = make_scanner(event, name="Pintu utama 1", staff_name="Rina (LO)")
    side, _token = make_scanner(event, name="Pintu samping", staff_name="Budi")
    azis, _ = make_registration(event, name="Nashrudin Azis")
    token = tickets.token_for(azis.ticket)
    scan(event, entrance, token, device=front)
    scan(event, entrance, token, device=side)
    scan(event, hall, "<script>alert(1)</script>" + "X" * 200, device=side)
    # The side door was offline: it admitted Azis at 09:00 by its own clock; the server had him already.
    scan(event, entrance, token, device=side, device_time=utcnow() - timedelta(minutes=30), clock_offset=timedelta(seconds=-90),
         local_result="ok")
    return event, entrance, hall, front, side


def rows(response) -> list[str]:
    return re.findall(r'<tr data-testid="scan-row" data-result="(\w+)"', text(response))


def test_the_scan_log_lists_every_scan_newest_first_with_device_staff_and_clocks(app, organizer_web, scanned):
    web, _event = organizer_web
    event, entrance, hall, front, side = scanned
    page = web.get(f"{base(event)}/scans")
    assert rows(page) == ["unknown", "already_checked_in", "ok", "already_checked_in"]
    body = text(page)
    assert "Pintu utama 1" in body and "Rina (LO)" in body and "Budi" in body and "Nashrudin Azis" in body
    assert "<script>alert(1)" not in body
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" + "X" * 15 + "…" in body  # the first 40 characters, escaped
    assert "X" * 41 not in body
    assert 'data-testid="offline"' in body


@pytest.mark.parametrize(
    "query, expected",
    [
        ("result=unknown", ["unknown"]),
        ("result=already_checked_in", ["already_checked_in", "already_checked_in"]),
        ("checkpoint={hall}", ["unknown"]),
        ("device={front}", ["ok"]),
        ("conflicts=y", ["already_checked_in"]),
        ("result=ok&device={side}", []),
        ("result=nonsense&checkpoint=abc", ["unknown", "already_checked_in", "ok", "already_checked_in"]),
    ],
)
def test_the_scan_log_filters_by_result_checkpoint_device_and_conflict(organizer_web, scanned, query, expected):
    web, _event = organizer_web
    event, _entrance, hall, front, side = scanned
    response = web.get(f"{base(event)}/scans?" + query.format(hall=hall.id, front=front.id, side=side.id))
    assert response.status_code == 200
    assert sorted(rows(response)) == sorted(expected)


def test_sync_conflicts_are_counted_on_the_overview_and_marked_in_the_log(app, organizer_web, scanned):
    web, _event = organizer_web
    event, *_ = scanned
    conflict = fresh().scalar(select(Scan).where(Scan.sync_conflict.is_(True)))
    assert conflict.local_result == "ok" and conflict.result == ScanResult.ALREADY_CHECKED_IN and conflict.offline
    overview = text(web.get(base(event)))
    assert 'data-testid="sync-conflicts"' in overview
    assert f"{base(event)}/scans?conflicts=y" in overview
    only = web.get(f"{base(event)}/scans?conflicts=y")
    assert text(only).count('data-testid="conflict"') == 1 and "Pintu samping" in text(only)


def test_the_scan_log_is_paged(organizer_web, make_checkpoint):
    web, event = organizer_web
    entrance = make_checkpoint(event)
    for i in range(53):
        scan(event, entrance, f"junk-{i}")
    first = web.get(f"{base(event)}/scans")
    assert len(rows(first)) == 50 and 'data-testid="next-page"' in text(first)
    assert "junk-52" in text(first) and "junk-0<" not in text(first)
    second = web.get(f"{base(event)}/scans?page=2")
    assert len(rows(second)) == 3 and "junk-0<" in text(second)


# Corrections


@pytest.fixture
def admitted(organizer, make_checkpoint, make_registration, make_scanner):
    """Azis, admitted at the entrance by a scanner an hour ago (too late for the door staff to undo)."""
    _user, event = organizer
    entrance = make_checkpoint(event, name="Pintu masuk")
    device, _ = make_scanner(event)
    azis, _ = make_registration(event, name="Nashrudin Azis")
    outcome = scan(event, entrance, azis.ticket.code, device=device, now=utcnow() - timedelta(hours=1))
    assert outcome.result == ScanResult.OK
    return event, entrance, azis, outcome.checkin


def changes(registration) -> list[CheckInChange]:
    return list(fresh().scalars(select(CheckInChange).join(CheckInChange.checkin).where(CheckIn.registration_id == registration.id).order_by(CheckInChange.id)))


def test_an_organizer_undoes_any_checkin_with_a_reason_and_restores_it(app, organizer, organizer_web, admitted):
    user, _event = organizer
    web, _ = organizer_web
    event, entrance, azis, checkin = admitted
    page = f"{base(event)}/people/{azis.id}"
    assert f'data-checkin-id="{checkin.id}" data-undone="0"' in text(web.get(page))

    no_reason = web.post(f"{page}/undo", data={"checkin_id": str(checkin.id), "reason": "  "})
    assert no_reason.status_code == 400
    assert error_message(no_reason) == tr(app, "Say why, e.g. scanned at the wrong door; the reason is kept in the log.")
    assert fresh().get(CheckIn, checkin.id).undone_at is None

    web.post(f"{page}/undo", data={"checkin_id": str(checkin.id), "reason": "Salah pindai: itu ajudannya"})
    assert fresh().get(CheckIn, checkin.id).undone_at is not None
    web.post(f"{page}/restore", data={"checkin_id": str(checkin.id), "reason": "Ternyata benar beliau"})
    assert fresh().get(CheckIn, checkin.id).undone_at is None
    log = changes(azis)
    assert [(c.action, c.reason, c.user_id, c.device_id) for c in log] == [
        (ChangeAction.UNDO, "Salah pindai: itu ajudannya", user.id, None),
        (ChangeAction.RESTORE, "Ternyata benar beliau", user.id, None),
    ]
    shown = text(web.get(page))
    assert "Salah pindai: itu ajudannya" in shown and "Ternyata benar beliau" in shown and "Panitia Kominfo" in shown
    assert shown.count('data-testid="change-row"') == 2
    with app.test_request_context(), force_locale("id"):
        when = local_datetime(checkin.at, event.timezone)
    assert f"Pintu masuk · {when}" in shown  # the changed check-in with its date: events run over several days


def test_undoing_an_exit_says_exit_undone(app, organizer, organizer_web, make_checkpoint, make_registration, make_scanner):
    web, event = organizer_web
    hall = make_checkpoint(event, name="Malam Penghargaan", policy=EntryPolicy.IN_OUT)
    device, _ = make_scanner(event)
    azis, _ = make_registration(event, name="Nashrudin Azis")
    scan(event, hall, azis.ticket.code, device=device, now=utcnow() - timedelta(hours=2))
    left = scan(event, hall, azis.ticket.code, device=device, direction=Direction.OUT, now=utcnow() - timedelta(hours=1))
    undone = web.post(f"{base(event)}/people/{azis.id}/undo", data={"checkin_id": str(left.checkin.id), "reason": "Keliru"},
                      follow_redirects=True)
    assert tr(app, "Exit undone.") in text(undone) and tr(app, "Check-in undone.") not in text(undone)


def test_an_organizer_records_a_checkin_by_hand_once_even_when_sent_twice(organizer, organizer_web, admitted, make_checkpoint):
    user, _event = organizer
    web, _ = organizer_web
    event, _entrance, azis, _checkin = admitted
    hall = make_checkpoint(event, name="Ballroom", policy=EntryPolicy.IN_OUT)
    form = {"checkpoint_id": str(hall.id), "direction": "in", "reason": "Pemindai mati", "nonce": "manual-form-nonce-1"}
    first = web.post(f"{base(event)}/people/{azis.id}/manual", data=form)
    again = web.post(f"{base(event)}/people/{azis.id}/manual", data=form)
    assert first.status_code == again.status_code == 302
    [made] = fresh().scalars(select(CheckIn).where(CheckIn.checkpoint_id == hall.id)).all()
    assert made.source == CheckInSource.ORGANIZER and made.user_id == user.id
    [logged] = [c for c in changes(azis) if c.action == ChangeAction.MANUAL]
    assert logged.checkin_id == made.id and logged.reason == "Pemindai mati"


def test_a_late_correction_gives_the_time_the_person_came(app, organizer_web, make_checkpoint, make_registration):
    web, event = organizer_web
    now = utcnow()
    fgd = make_checkpoint(event, name="Ruang FGD", opens_at=now - timedelta(hours=3), closes_at=now - timedelta(hours=1))
    azis, _ = make_registration(event)
    page = f"{base(event)}/people/{azis.id}"
    closed = web.post(f"{page}/manual", data={"checkpoint_id": str(fgd.id), "direction": "in", "nonce": nonce()}, follow_redirects=True)
    assert [local_time(fgd.closes_at, event.timezone) in f for f in flashes(closed)] == [True]
    future = web.post(f"{page}/manual", data={"checkpoint_id": str(fgd.id), "direction": "in", "nonce": nonce(), "at": wib(now + timedelta(hours=2))})
    assert field_errors(future, "at") == [tr(app, "The time of arrival cannot be in the future.")]
    came = now - timedelta(hours=2)
    web.post(f"{page}/manual", data={"checkpoint_id": str(fgd.id), "direction": "in", "nonce": nonce(), "at": wib(came)})
    [made] = fresh().scalars(select(CheckIn).where(CheckIn.checkpoint_id == fgd.id)).all()
    assert made.at == came.replace(second=0, microsecond=0)
    refused = fresh().scalar(select(Scan).where(Scan.result == ScanResult.OUTSIDE_WINDOW))
    assert refused is not None and refused.source == CheckInSource.ORGANIZER  # the refused attempt is in the log too


def test_a_registration_without_a_ticket_is_not_checked_in_by_hand(app, organizer_web, make_checkpoint, make_registration):
    web, event = organizer_web
    entrance = make_checkpoint(event)
    waiting, _ = make_registration(event, state=RegistrationState.PENDING)
    response = web.post(f"{base(event)}/people/{waiting.id}/manual", data={"checkpoint_id": str(entrance.id), "direction": "in", "nonce": nonce()})
    assert response.status_code == 400
    assert tr(app, "Only a confirmed registration with a ticket can be checked in. Approve the registration first.") in text(response)
    assert fresh().scalars(select(CheckIn)).all() == []


def test_an_organizer_finds_the_person_from_the_overview(organizer_web, make_registration):
    web, event = organizer_web
    azis, _ = make_registration(event, name="Nashrudin Azis")
    make_registration(event, name="Rina Kusuma")
    by_name = text(web.get(f"{base(event)}?q=azis"))
    assert f"{base(event)}/people/{azis.id}" in by_name and "Rina Kusuma" not in by_name
    by_code = text(web.get(f"{base(event)}?q={azis.ticket.code.lower()}"))
    assert f"{base(event)}/people/{azis.id}" in by_code


# Who may use these screens


def test_checkin_staff_and_other_organizers_cannot_manage_devices_scans_or_corrections(
    organizer, make_app, make_user, make_event, make_registration, make_checkpoint, make_scanner
):
    _user, event = organizer
    device, _ = make_scanner(event)
    azis, _ = make_registration(event)
    make_checkpoint(event)
    paths = [f"{base(event)}/devices", f"{base(event)}/scans", f"{base(event)}/people/{azis.id}", f"{base(event)}/devices/{device.id}/revoke"]
    posts = [f"{base(event)}/devices", f"{base(event)}/devices/{device.id}/revoke", f"{base(event)}/devices/{device.id}/pairing",
             f"{base(event)}/people/{azis.id}/undo", f"{base(event)}/people/{azis.id}/manual", f"{base(event)}/people/{azis.id}/restore"]
    anonymous = make_app().test_client()
    for path in paths:
        assert "/login" in anonymous.get(path).headers["Location"]
    staff = sign_in(make_app().test_client(), make_user(email="petugas@kominfo.go.id", event=event, role="checkin"))
    stranger = sign_in(make_app().test_client(), make_user(email="lain@kominfo.go.id", event=make_event(slug="lain"), role="organizer"))
    for web in (staff, stranger):
        for path in paths:
            assert web.get(path).status_code == 403, path
        for path in posts:
            assert web.post(path, data={"name": "X", "checkin_id": "1", "reason": "x"}).status_code == 403, path
    assert fresh().get(ScannerDevice, device.id).revoked_at is None
    assert len(fresh().scalars(select(ScannerDevice)).all()) == 1


def test_another_events_people_and_devices_are_not_found(organizer_web, make_event, make_registration, make_scanner):
    web, event = organizer_web
    other = make_event(slug="lain")
    stranger, _ = make_registration(other, name="Tamu Lain")
    device, _ = make_scanner(other)
    assert web.get(f"{base(event)}/people/{stranger.id}").status_code == 404
    assert web.post(f"{base(event)}/devices/{device.id}/revoke").status_code == 404
    assert fresh().get(ScannerDevice, device.id).revoked_at is None


def test_the_organizer_forms_carry_their_csrf_token(organizer, make_app, admitted):
    user, _ = organizer
    event, _entrance, azis, checkin = admitted
    web = make_app(WTF_CSRF_ENABLED=True).test_client()
    web.post("/login", data={"email": user.email, "password": PASSWORD, "csrf_token": csrf_token_of(web.get("/login"))})
    page = f"{base(event)}/people/{azis.id}"
    web.post(f"{page}/undo", data={"checkin_id": str(checkin.id), "reason": "Salah orang"})
    assert fresh().get(CheckIn, checkin.id).undone_at is None
    web.post(f"{page}/undo", data={"checkin_id": str(checkin.id), "reason": "Salah orang", "csrf_token": csrf_token_of(web.get(page))})
    assert fresh().get(CheckIn, checkin.id).undone_at is not None
    device = fresh().scalars(select(ScannerDevice)).one()
    confirm = web.get(f"{base(event)}/devices/{device.id}/revoke")
    web.post(f"{base(event)}/devices/{device.id}/revoke", data={"csrf_token": csrf_token_of(confirm)})
    assert fresh().get(ScannerDevice, device.id).revoked_at is not None
