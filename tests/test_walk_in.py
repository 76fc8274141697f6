"""The registration desk: a walk-in gets a confirmed registration, a ticket on screen and a check-in at
once; people are found by name or desk code and checked in; only the event's staff use the desk."""
import base64
import re

import pytest
from sqlalchemy import func, select

from eventsys.attendance import walk_in
from eventsys.attendance.models import CheckIn, CheckInSource
from eventsys.core.models import OutboxMessage
from eventsys.core.qr import qr_svg
from eventsys.extensions import db
from eventsys.registration import services, tickets
from eventsys.registration.models import RegistrationState
from tests.desk_helpers import category, desk, flashes, registrations, walk_in_form
from tests.helpers import PASSWORD, csrf_token_of, field_errors, fresh, sign_in, text, tr


def mails() -> list[OutboxMessage]:
    return list(fresh().scalars(select(OutboxMessage)))


# Walk-ins


def test_a_walk_in_is_registered_checked_in_and_shown_the_ticket_at_once(app, staff_web, make_checkpoint, make_organization):
    web, event = staff_web
    entrance = make_checkpoint(event, name="Pintu masuk")
    umum = category(event)
    siak = make_organization(name="Kab. Siak", province="Riau")
    # Online registration is closed (as on the day itself): the desk still registers.
    assert not services.is_open(db.session, event)
    response = web.post(f"{desk(event)}/walk-in", data=walk_in_form(
        umum, siak, email=" Syamsuar@SiakKab.go.id ", phone="0812 3456 7890", checkpoint_id=str(entrance.id)))
    assert response.status_code == 302, text(response)[:3000]
    [registration] = registrations(event)
    assert response.headers["Location"].endswith(f"{desk(event)}/registrations/{registration.id}")
    assert registration.state == RegistrationState.CONFIRMED and registration.organization_id == siak.id
    assert registration.email == "syamsuar@siakkab.go.id" and registration.phone == "+6281234567890"
    assert registration.consent_at is not None
    ticket = registration.ticket
    assert ticket is not None and ticket.revoked_at is None
    [checkin] = fresh().scalars(select(CheckIn)).all()
    assert (checkin.checkpoint_id, checkin.source, checkin.registration_id) == (entrance.id, CheckInSource.WALK_IN, registration.id)
    assert [m.to_email for m in mails()] == ["syamsuar@siakkab.go.id"]  # the ticket by mail too

    page = web.get(response.headers["Location"])
    body = text(page)
    assert tr(app, "%(name)s is registered and has a ticket.", name="Dr. H. Syamsuar, M.Si.") in flashes(page)
    assert tr(app, "Welcome! Checked in.") in flashes(page)
    qr = re.search(r'<img src="data:image/svg\+xml;base64,([^"]+)"[^>]*data-testid="ticket-qr"', body).group(1)
    assert base64.b64decode(qr) == qr_svg(tickets.token_for(ticket))  # the QR scanners admit
    assert f'data-testid="ticket-code">{ticket.code}<' in body
    pdf = web.get(f"{desk(event)}/registrations/{registration.id}/ticket.pdf")
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf" and pdf.data.startswith(b"%PDF")
    assert f'href="{desk(event)}/registrations/{registration.id}/ticket.pdf"' in body


def test_a_walk_in_without_email_gets_no_mail_and_a_new_organization_is_proposed(app, staff_web):
    web, event = staff_web
    umum = category(event)
    response = web.post(f"{desk(event)}/walk-in", data=walk_in_form(umum))
    assert response.status_code == 302, text(response)[:3000]
    [registration] = registrations(event)
    assert registration.email.endswith("@" + walk_in.NO_EMAIL_DOMAIN) and not walk_in.has_email(registration)
    assert registration.organization_id is None and registration.proposed_organization == "Dinas Kominfo Kab. Siak"
    assert mails() == []
    assert fresh().scalars(select(CheckIn)).all() == []  # "do not check in yet"
    body = text(web.get(response.headers["Location"]))
    assert tr(app, "No email address was given: print the ticket or let the attendee photograph the QR code.") in body
    # A second walk-in without email is another person, not a duplicate.
    assert web.post(f"{desk(event)}/walk-in", data=walk_in_form(umum, name="Rina Kusuma")).status_code == 302
    assert len(registrations(event)) == 2


def test_an_email_already_registered_points_to_the_existing_registration(app, staff_web, make_registration):
    web, event = staff_web
    existing, _ = make_registration(event, name="Nashrudin Azis")
    umum = category(event)
    response = web.post(f"{desk(event)}/walk-in", data=walk_in_form(umum, name="N. Azis", email=existing.email.upper()))
    assert response.status_code == 200
    message = tr(app, "%(name)s is already registered for this event with this email address. Open that registration instead.",
                 name="Nashrudin Azis")
    assert field_errors(response, "email") == [message]
    assert f'href="{desk(event)}/registrations/{existing.id}" data-testid="existing-registration"' in text(response)
    assert [r.name for r in registrations(event)] == ["Nashrudin Azis"]
    assert mails() == []


@pytest.mark.parametrize(
    "overrides, field, message",
    [
        ({"name": "  "}, "name", "Enter the attendee's name."),
        ({"consent": ""}, "consent", "The attendee must agree to the processing of their data."),
        ({"phone": "12345"}, "phone", "This is not a valid mobile number. Check it, e.g. 0812 3456 7890, or leave the field empty."),
        ({"email": "bukan-email"}, "email", "Enter a valid email address, e.g. nama@kominfo.go.id."),
        ({"proposed_organization": ""}, "organization_id", "Choose the organization, or write its name below if it is not in the list."),
        ({"category_id": "999999"}, "category_id", "Not a valid choice."),
    ],
    ids=["no-name", "no-consent", "bad-phone", "bad-email", "no-organization", "unknown-category"],
)
def test_bad_walk_ins_are_refused_next_to_their_field(app, staff_web, overrides, field, message):
    web, event = staff_web
    umum = category(event)
    response = web.post(f"{desk(event)}/walk-in", data=walk_in_form(umum, **overrides))
    assert response.status_code == 200
    assert tr(app, message) in field_errors(response, field)
    assert registrations(event) == []


def test_checkin_staff_cannot_pick_a_category_that_needs_approval_but_organizers_can(app, staff_web, organizer_web):
    web, event = staff_web
    organizer_client, _ = organizer_web
    vip = category(event, "Kepala Daerah", needs_approval=True)
    category(event, "Umum")
    assert "Kepala Daerah" not in text(web.get(f"{desk(event)}/walk-in"))
    refused = web.post(f"{desk(event)}/walk-in", data=walk_in_form(vip))
    assert refused.status_code == 200 and registrations(event) == []
    assert "Kepala Daerah" in text(organizer_client.get(f"{desk(event)}/walk-in"))
    assert organizer_client.post(f"{desk(event)}/walk-in", data=walk_in_form(vip)).status_code == 302
    [registration] = registrations(event)
    assert registration.state == RegistrationState.CONFIRMED  # the desk is the approval


def test_a_full_category_and_a_regions_quota_hold_at_the_desk(app, staff_web, make_registration, make_organization):
    web, event = staff_web
    small = category(event, "Media", capacity=1)
    make_registration(event, name="Wartawan Pertama", category=small)
    full = web.post(f"{desk(event)}/walk-in", data=walk_in_form(small))
    message = tr(app, "“%(category)s” has no free seat. An organizer can raise the capacity in the registration settings.", category="Media")
    assert field_errors(full, "category_id") == [message]
    settings = services.settings_for(db.session, event)
    settings.organization_quota = 1
    db.session.commit()
    cirebon = make_organization(name="Kab. Cirebon")
    umum = category(event, "Umum")
    assert web.post(f"{desk(event)}/walk-in", data=walk_in_form(umum, cirebon)).status_code == 302
    over = web.post(f"{desk(event)}/walk-in", data=walk_in_form(umum, cirebon, name="Orang Kedua"))
    assert field_errors(over, "organization_id") == [tr(
        app, "%(organization)s has reached its quota of %(quota)d delegates for this event.", organization="Kab. Cirebon", quota=1)]
    assert len(registrations(event)) == 2


# Search and check-in at the desk


def test_the_desk_finds_people_by_name_or_code_and_checks_them_in_once(app, staff_web, make_checkpoint, make_registration):
    web, event = staff_web
    entrance = make_checkpoint(event, name="Pintu masuk")
    azis, _ = make_registration(event, name="Nashrudin Azis")
    make_registration(event, name="Rina Kusuma")
    gone, _ = make_registration(event, name="Azis Batal")
    services.cancel(db.session, gone, "Tidak jadi hadir")
    db.session.commit()

    by_name = text(web.get(f"{desk(event)}?q=AZIS"))
    assert "Nashrudin Azis" in by_name and "Azis Batal" not in by_name.split("Nashrudin Azis")[0]  # confirmed first
    assert "Rina Kusuma" not in by_name
    assert by_name.count('data-testid="desk-checkin-form"') == 1  # the cancelled one cannot be checked in
    code = azis.ticket.code
    by_code = text(web.get(f"{desk(event)}?q={code.lower().replace('-', ' ')}"))
    assert f'data-registration-id="{azis.id}"' in by_code and "Rina Kusuma" not in by_code

    form = {"checkpoint_id": str(entrance.id), "nonce": "desk-nonce-00001", "q": "azis"}
    first = web.post(f"{desk(event)}/registrations/{azis.id}/checkin", data=form)
    assert first.headers["Location"].endswith(f"{desk(event)}?q=azis")
    again = web.post(f"{desk(event)}/registrations/{azis.id}/checkin", data=form | {"nonce": "desk-nonce-00002"}, follow_redirects=True)
    assert any(m.startswith("Nashrudin Azis: ") and "Pintu masuk" in m for m in flashes(again))  # already in: when and where
    [checkin] = fresh().scalars(select(CheckIn)).all()
    assert checkin.source == CheckInSource.SEARCH and checkin.user_id is not None


def test_a_lost_ticket_is_shown_again_at_the_desk(staff_web, make_registration):
    web, event = staff_web
    azis, _ = make_registration(event)
    page = text(web.get(f"{desk(event)}/registrations/{azis.id}"))
    assert 'data-testid="ticket-qr"' in page and azis.ticket.code in page
    services.cancel(db.session, azis, "Diganti")
    db.session.commit()
    cancelled = web.get(f"{desk(event)}/registrations/{azis.id}")
    assert 'data-testid="ticket-qr"' not in text(cancelled)
    assert web.get(f"{desk(event)}/registrations/{azis.id}/ticket.pdf").status_code == 404


# Who may use the desk


def test_only_the_events_staff_use_the_desk(organizer, make_app, make_user, make_event, make_registration):
    _user, event = organizer
    umum = category(event)
    azis, _ = make_registration(event)
    paths = [desk(event), f"{desk(event)}/walk-in", f"{desk(event)}/registrations/{azis.id}", f"{desk(event)}/registrations/{azis.id}/ticket.pdf"]
    anonymous = make_app().test_client()
    for path in paths:
        assert "/login" in anonymous.get(path).headers["Location"], path
    juror = sign_in(make_app().test_client(), make_user(email="juri@kominfo.go.id", event=event, role="juror"))
    stranger = sign_in(make_app().test_client(), make_user(email="lain@kominfo.go.id", event=make_event(slug="lain"), role="organizer"))
    for web in (juror, stranger):
        for path in paths:
            assert web.get(path).status_code == 403, path
        assert web.post(f"{desk(event)}/walk-in", data=walk_in_form(umum)).status_code == 403
        assert web.post(f"{desk(event)}/registrations/{azis.id}/checkin", data={"checkpoint_id": "1"}).status_code == 403
    assert len(registrations(event)) == 1
    assert fresh().scalar(select(func.count(CheckIn.id))) == 0


def test_another_events_registration_is_not_found_at_the_desk(staff_web, make_event, make_registration):
    web, event = staff_web
    stranger, _ = make_registration(make_event(slug="lain"), name="Tamu Lain")
    assert web.get(f"{desk(event)}/registrations/{stranger.id}").status_code == 404
    assert web.get(f"{desk(event)}/registrations/{stranger.id}/ticket.pdf").status_code == 404
    assert "Tamu Lain" not in text(web.get(f"{desk(event)}?q=Tamu"))


def test_the_desk_forms_carry_their_csrf_token(organizer, make_app, make_user, make_checkpoint):
    _user, event = organizer
    entrance = make_checkpoint(event)
    umum = category(event)
    web = make_app(WTF_CSRF_ENABLED=True).test_client()
    staff = make_user(email="petugas@kominfo.go.id", event=event, role="checkin")
    web.post("/login", data={"email": staff.email, "password": PASSWORD, "csrf_token": csrf_token_of(web.get("/login"))})
    form = walk_in_form(umum, checkpoint_id=str(entrance.id))
    assert web.post(f"{desk(event)}/walk-in", data=form).status_code == 400  # no token: refused, nothing stored
    assert registrations(event) == []
    token = csrf_token_of(web.get(f"{desk(event)}/walk-in"))
    assert web.post(f"{desk(event)}/walk-in", data=form | {"csrf_token": token}).status_code == 302
    [registration] = registrations(event)
    search = web.get(f"{desk(event)}?q=Syamsuar")
    checked = web.post(f"{desk(event)}/registrations/{registration.id}/checkin",
                       data={"checkpoint_id": str(entrance.id), "nonce": "desk-nonce-00003", "csrf_token": csrf_token_of(search)})
    assert checked.status_code == 302
    assert len(fresh().scalars(select(CheckIn)).all()) == 1
