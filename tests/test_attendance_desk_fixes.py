"""Fixes from the QA round of QR attendance: a kiosk always has its checkpoint and devices can be changed
later; one walk-in form makes one registration, even sent twice at once; destructive buttons ask
first; reloading the pairing page makes no second device; the walk-in form speaks to the staff."""
import re
import threading
from html import unescape
from urllib.parse import urlsplit

import pytest
from sqlalchemy import event as sa_event
from sqlalchemy import func, insert, select

from eventsys.attendance import devices, scanning, walk_in
from eventsys.attendance.models import Certificate, CertificateRule, CheckIn, CheckInSource, Checkpoint, ScannerDevice
from eventsys.core.models import OutboxMessage
from eventsys.core.tokens import hash_secret
from eventsys.extensions import db
from eventsys.registration.models import Registration, RegistrationState
from tests.desk_helpers import category, flashes, registrations
from tests.desk_helpers import walk_in_form as new_walk_in_form
from tests.helpers import PASSWORD, csrf_token_of, field_errors, fresh, sign_in, text, tr


def base(event) -> str:
    return f"/manage/{event.slug}/checkin"




def bootstrap(client, event, token):
    return client.get(f"/api/v1/events/{event.slug}/scanner", headers={"Authorization": f"Bearer {token}"})








def walk_in_form(category, **overrides):
    """The same walk-in form (one nonce) unless a test gives another."""
    return new_walk_in_form(category, **({"nonce": "walk-in-form-0001", "position": "Kepala Dinas"} | overrides))


# 1. A kiosk has its checkpoint; devices are changed later.

KIOSK_CHOOSE = "Choose the checkpoint of the kiosk: attendees cannot choose it on a kiosk."


def test_a_kiosk_paired_in_this_browser_must_name_its_checkpoint(app, staff_web, make_checkpoint):
    web, event = staff_web
    make_checkpoint(event, name="Pintu masuk")
    hall = make_checkpoint(event, name="Ballroom")
    url = f"/scan/{event.slug}/pair-this-browser"
    refused = web.post(url, data={"name": "Kios lobi", "checkpoint_id": "0", "kiosk": "y"})
    assert refused.status_code == 200 and "data-token" not in text(refused)
    assert field_errors(refused, "checkpoint_id") == [tr(app, KIOSK_CHOOSE)]
    assert fresh().scalars(select(ScannerDevice)).all() == []

    done = web.post(url, data={"name": "Kios lobi", "checkpoint_id": str(hall.id), "kiosk": "y"})
    token = re.search(r'data-token="([^"]+)"', text(done)).group(1)
    device = bootstrap(web, event, token).get_json()["device"]
    assert device["kiosk"] is True and device["checkpoint_id"] == hall.id
    # Not a kiosk: staff still choose on the scanner.
    web.post(url, data={"name": "Ponsel Rina", "checkpoint_id": "0"})
    assert fresh().scalar(select(ScannerDevice).where(ScannerDevice.name == "Ponsel Rina")).checkpoint_id is None


def test_the_organizers_kiosk_takes_the_only_checkpoint_or_must_name_one(app, organizer_web, make_checkpoint):
    web, event = organizer_web
    no_checkpoint = web.post(f"{base(event)}/devices", data={"name": "Kios 1", "checkpoint_id": "0", "kiosk": "y"})
    assert field_errors(no_checkpoint, "checkpoint_id") == [
        tr(app, "A kiosk needs a checkpoint and this event has none yet: an organizer adds it on the check-in page first.")
    ]
    entrance = make_checkpoint(event, name="Pintu masuk")
    assert web.post(f"{base(event)}/devices", data={"name": "Kios 1", "checkpoint_id": "0", "kiosk": "y"}).status_code == 302
    assert fresh().scalars(select(ScannerDevice)).one().checkpoint_id == entrance.id  # the only one, taken for it
    make_checkpoint(event, name="Ballroom")
    refused = web.post(f"{base(event)}/devices", data={"name": "Kios 2", "checkpoint_id": "0", "kiosk": "y"})
    assert field_errors(refused, "checkpoint_id") == [tr(app, KIOSK_CHOOSE)]
    assert len(fresh().scalars(select(ScannerDevice)).all()) == 1
    # A kiosk left without one (made before this rule, or its checkpoint deleted) is pointed out in the list.
    db.session.add(ScannerDevice(event_id=event.id, name="Kios lama", kiosk=True))
    db.session.commit()
    assert text(web.get(f"{base(event)}/devices")).count('data-testid="kiosk-without-checkpoint"') == 1


def test_the_organizer_moves_a_paired_device_and_makes_it_a_kiosk(app, organizer_web, make_checkpoint, make_scanner, make_app):
    web, event = organizer_web
    make_checkpoint(event, name="Pintu masuk")
    hall = make_checkpoint(event, name="Ballroom")
    device, token = make_scanner(event, name="Tablet 1")
    assert 'data-testid="edit-device-link"' in text(web.get(f"{base(event)}/devices"))
    page = f"{base(event)}/devices/{device.id}"
    assert 'value="Tablet 1"' in text(web.get(page))

    refused = web.post(page, data={"name": "Tablet 1", "checkpoint_id": "0", "kiosk": "y"})
    assert field_errors(refused, "checkpoint_id") == [tr(app, KIOSK_CHOOSE)]
    assert fresh().get(ScannerDevice, device.id).kiosk is False

    saved = web.post(page, data={"name": "Kios Ballroom", "checkpoint_id": str(hall.id), "kiosk": "y"}, follow_redirects=True)
    assert tr(app, "“%(name)s” is saved. A paired device takes the change at its next sync.", name="Kios Ballroom") in flashes(saved)
    seen = bootstrap(make_app().test_client(), event, token).get_json()["device"]  # the same token: still paired
    assert (seen["name"], seen["kiosk"], seen["checkpoint_id"]) == ("Kios Ballroom", True, hall.id)

    devices.revoke_device(db.session, fresh().get(ScannerDevice, device.id))
    db.session.commit()
    web.post(page, data={"name": "Lagi", "checkpoint_id": "0"})
    assert fresh().get(ScannerDevice, device.id).name == "Kios Ballroom"


# 2. One walk-in form, one registration.


def test_the_same_walk_in_form_sent_again_shows_the_first_registration(app, staff_web, make_checkpoint):
    web, event = staff_web
    entrance = make_checkpoint(event)
    umum = category(event)
    form = walk_in_form(umum, checkpoint_id=str(entrance.id))
    first = web.post(f"/manage/{event.slug}/desk/walk-in", data=form)
    again = web.post(f"/manage/{event.slug}/desk/walk-in", data=form)  # Back, then Send again
    assert first.status_code == again.status_code == 302
    assert again.headers["Location"] == first.headers["Location"]
    [registration] = registrations(event)
    assert fresh().scalar(select(func.count(CheckIn.id))) == 1
    shown = web.get(again.headers["Location"])
    assert tr(app, "This form was already sent: %(name)s is registered once. Here is that registration.", name=registration.name) in flashes(shown)
    assert f'data-testid="ticket-code">{registration.ticket.code}<' in text(shown)

    # With an email: the same form again is not "already registered", and one mail only.
    mailed = walk_in_form(umum, name="Rina Kusuma", email="rina@siakkab.go.id", nonce="walk-in-form-0002")
    assert web.post(f"/manage/{event.slug}/desk/walk-in", data=mailed).status_code == 302
    assert web.post(f"/manage/{event.slug}/desk/walk-in", data=mailed).status_code == 302
    assert [r.name for r in registrations(event)] == [registration.name, "Rina Kusuma"]
    assert len(fresh().scalars(select(OutboxMessage)).all()) == 1
    # A new form (a new nonce) is another person.
    assert web.post(f"/manage/{event.slug}/desk/walk-in", data=walk_in_form(umum, name="Budi", nonce="walk-in-form-0003")).status_code == 302
    assert len(registrations(event)) == 3


def test_the_same_walk_in_form_sent_twice_at_once_registers_once(organizer, make_app, make_user, make_checkpoint):
    _user, event = organizer
    entrance = make_checkpoint(event)
    umum = category(event)
    staff = make_user(email="petugas@kominfo.go.id", event=event, role="checkin")
    application = make_app(SQLALCHEMY_ENGINE_OPTIONS={"pool_size": 10, "max_overflow": 0, "pool_timeout": 60})
    clients = [sign_in(application.test_client(), staff) for _ in range(6)]
    url, form = f"/manage/{event.slug}/desk/walk-in", walk_in_form(umum, checkpoint_id=str(entrance.id))
    barrier, locations, errors = threading.Barrier(len(clients)), [], []

    def send(client):
        try:
            barrier.wait(timeout=30)
            response = client.post(url, data=form)
            locations.append((response.status_code, response.headers.get("Location")))
        except BaseException as error:  # reported below
            errors.append(error)

    threads = [threading.Thread(target=send, args=(c,)) for c in clients]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not errors, errors
    [registration] = registrations(event)
    assert set(locations) == {(302, f"/manage/{event.slug}/desk/registrations/{registration.id}")}
    assert fresh().scalar(select(func.count(CheckIn.id))) == 1


def test_a_registration_made_by_a_racing_request_is_caught_by_the_constraint(app, organizer, database_url):
    """What the event lock would serialize, forced: the other request commits between the lookup and the insert."""
    if not database_url.startswith("postgresql"):
        pytest.skip("SQLite lets one writer at a time: the other request cannot commit in between")
    _user, event = organizer
    umum = category(event)
    secret = walk_in.submission_secret("key", event, "walk-in-form-0001")
    racing = {"registered": False}

    def other_request_first(conn, _cursor, statement, *_args):
        if racing["registered"] or not statement.lstrip().upper().startswith("INSERT INTO REGISTRATIONS"):
            return
        racing["registered"] = True
        with db.engine.connect() as other:
            other.execute(insert(Registration).values(
                event_id=event.id, category_id=umum.id, name="Syamsuar", email="x@walk-in.invalid", proposed_organization="Dinas",
                state=RegistrationState.CONFIRMED, manage_token_hash=hash_secret(secret),
            ))
            other.commit()

    sa_event.listen(db.engine, "before_cursor_execute", other_request_first)
    try:
        data = walk_in.WalkInData(name="Syamsuar", category_id=umum.id, proposed_organization="Dinas", consent=True)
        made = walk_in.register_walk_in(db.session, event, data, organizer=False, secret=secret)
        db.session.commit()
    finally:
        sa_event.remove(db.engine, "before_cursor_execute", other_request_first)
    assert racing["registered"] and made.repeated
    assert [r.id for r in registrations(event)] == [made.registration.id]


# 3. Destructive buttons ask first.


def test_deleting_a_checkpoint_asks_first(app, organizer_web, make_checkpoint):
    web, event = organizer_web
    spare_id = make_checkpoint(event, name="Ruang B").id
    url = f"{base(event)}/checkpoints/{spare_id}/delete"
    for asked in (web.post(url), web.get(url)):  # the overview's one-click Delete only opens the question
        assert asked.status_code == 200 and 'data-testid="delete-checkpoint-form"' in text(asked)
    assert fresh().get(Checkpoint, spare_id) is not None
    deleted = web.post(url, data={"confirm": "y"}, follow_redirects=True)
    assert tr(app, "Checkpoint “%(name)s” deleted.", name="Ruang B") in flashes(deleted)
    assert fresh().get(Checkpoint, spare_id) is None


def test_a_new_pairing_link_asks_before_it_cuts_off_the_paired_phone(app, organizer_web, make_checkpoint, make_scanner, make_app):
    web, event = organizer_web
    make_checkpoint(event)
    device, token = make_scanner(event)
    phone = make_app().test_client()
    url = f"{base(event)}/devices/{device.id}/pairing"
    assert f'href="{url}"' in text(web.get(f"{base(event)}/devices"))  # a link to the question, not a button that acts
    for asked in (web.post(url), web.get(url)):
        assert asked.status_code == 200 and 'data-testid="new-pairing-form"' in text(asked)
    assert bootstrap(phone, event, token).status_code == 200
    assert fresh().get(ScannerDevice, device.id).paired_at is not None

    made = web.post(url, data={"confirm": "y"})
    assert made.status_code == 302 and made.headers["Location"].endswith(f"/devices/{device.id}/pairing-code")
    assert 'data-testid="pairing-qr"' in text(web.get(made.headers["Location"]))
    assert bootstrap(phone, event, token).status_code == 401


def test_revoking_a_certificate_needs_its_box_ticked(app, organizer_web, make_registration):
    web, event = organizer_web
    azis, _ = make_registration(event)
    certificate = Certificate(event_id=event.id, registration_id=azis.id, code="ACDEFGHJKMNPQRTUVWXY")
    db.session.add(certificate)
    db.session.commit()
    url = f"{base(event)}/certificates/{certificate.id}/revoke"
    refused = web.post(url, follow_redirects=True)
    assert tr(app, "Nothing was revoked: tick the box next to Revoke to confirm, then press Revoke.") in flashes(refused)
    assert fresh().get(Certificate, certificate.id).revoked_at is None
    web.post(url, data={"confirm": "y"})
    assert fresh().get(Certificate, certificate.id).revoked_at is not None


# 4. Reloading the pairing page.


def test_reloading_the_pairing_page_shows_the_same_code_and_makes_no_second_device(organizer_web, make_checkpoint, make_app):
    web, event = organizer_web
    entrance = make_checkpoint(event)
    added = web.post(f"{base(event)}/devices", data={"name": "Pintu utama 1", "checkpoint_id": str(entrance.id)})
    [device] = fresh().scalars(select(ScannerDevice)).all()
    assert added.status_code == 302 and added.headers["Location"].endswith(f"/devices/{device.id}/pairing-code")
    pages = [web.get(added.headers["Location"]) for _ in range(2)]  # F5
    links = [unescape(re.search(r'data-testid="pairing-link">(.*?)</p>', text(p)).group(1)) for p in pages]
    assert links[0] == links[1] and pages[0].headers["Cache-Control"] == "no-store"
    assert len(fresh().scalars(select(ScannerDevice)).all()) == 1

    make_app().test_client().post(urlsplit(links[0]).path, data={"staff_name": "Rina"})
    used = text(web.get(added.headers["Location"]))
    assert 'data-testid="pairing-gone"' in used and links[0] not in used


def test_the_pairing_link_uses_the_address_the_organizer_opened(web, organizer, make_checkpoint):
    user, event = organizer  # at the venue: the laptop serving eventsys is reached on the Wi-Fi's address
    entrance = make_checkpoint(event)
    venue = {"Host": "192.168.1.10:5000"}
    assert web.post("/login", data={"email": user.email, "password": PASSWORD}, headers=venue).status_code == 302
    added = web.post(f"{base(event)}/devices", data={"name": "Pintu utama 1", "checkpoint_id": str(entrance.id)}, headers=venue)
    page = text(web.get(added.headers["Location"], headers=venue))
    link = unescape(re.search(r'data-testid="pairing-link">(.*?)</p>', page).group(1))
    assert link.startswith("http://192.168.1.10:5000/scan/pair/")  # not PUBLIC_BASE_URL's 127.0.0.1, which no phone can open


# 5. The walk-in form speaks to the staff.


def test_the_walk_in_phone_error_speaks_to_the_staff(app, staff_web):
    web, event = staff_web
    response = web.post(f"/manage/{event.slug}/desk/walk-in", data=walk_in_form(category(event), phone="12345"))
    assert field_errors(response, "phone") == [
        tr(app, "This is not a valid mobile number. Check it, e.g. 0812 3456 7890, or leave the field empty.")
    ]
    assert "Anda" not in field_errors(response, "phone")[0]
    assert registrations(event) == []


def test_an_email_already_registered_is_said_once_with_a_link(app, staff_web, make_registration):
    web, event = staff_web
    existing, _ = make_registration(event, name="Nashrudin Azis")
    response = web.post(f"/manage/{event.slug}/desk/walk-in", data=walk_in_form(category(event), email=existing.email))
    message = tr(app, "%(name)s is already registered for this event with this email address. Open that registration instead.",
                 name="Nashrudin Azis")
    assert unescape(text(response)).count(message) == 1
    assert field_errors(response, "email") == [message]
    assert f'href="/manage/{event.slug}/desk/registrations/{existing.id}" data-testid="existing-registration"' in text(response)


def test_the_confirmations_and_the_device_form_carry_their_csrf_token(organizer, make_app, make_checkpoint, make_scanner, make_registration):
    user, event = organizer
    entrance, spare_id = make_checkpoint(event), make_checkpoint(event, name="Ruang B").id
    device, _token = make_scanner(event)
    azis, _ = make_registration(event)
    scanning.check_in_registration(db.session, event, entrance, azis, nonce="desk-nonce-0001", source=CheckInSource.SEARCH)
    db.session.add(CertificateRule(event_id=event.id, enabled=True, checkpoints=[entrance]))
    certificate = Certificate(event_id=event.id, registration_id=azis.id, code="ACDEFGHJKMNPQRTUVWXY")
    db.session.add(certificate)
    db.session.commit()
    web = make_app(WTF_CSRF_ENABLED=True).test_client()
    web.post("/login", data={"email": user.email, "password": PASSWORD, "csrf_token": csrf_token_of(web.get("/login"))})
    edit = f"{base(event)}/devices/{device.id}"
    web.post(edit, data={"name": "Kios", "checkpoint_id": str(entrance.id), "kiosk": "y", "csrf_token": csrf_token_of(web.get(edit))})
    assert fresh().get(ScannerDevice, device.id).kiosk is True
    pairing = f"{base(event)}/devices/{device.id}/pairing"
    assert web.post(pairing, data={"confirm": "y", "csrf_token": csrf_token_of(web.get(pairing))}).status_code == 302
    assert fresh().get(ScannerDevice, device.id).paired_at is None
    delete = f"{base(event)}/checkpoints/{spare_id}/delete"
    web.post(delete, data={"confirm": "y", "csrf_token": csrf_token_of(web.get(delete))})
    assert fresh().get(Checkpoint, spare_id) is None
    listing = web.get(f"{base(event)}/certificates")
    assert 'data-testid="revoke-confirm"' in text(listing)
    web.post(f"{base(event)}/certificates/{certificate.id}/revoke", data={"confirm": "y", "csrf_token": csrf_token_of(listing)})
    assert fresh().get(Certificate, certificate.id).revoked_at is not None
