"""Exhibition set-up found wanting in QA: invitations that moved exhibitors between booths, a tab that published an
empty hall, the booth page after an invitation, rate limits that shut out an office, CSV cells left in English."""
import csv
import io
import re
from datetime import timedelta

import pytest
from flask_babel import force_locale
from sqlalchemy import func, select

from eventsys.accounts import services as accounts
from eventsys.accounts.models import EventRole, EventRoleName, Invitation, User
from eventsys.core.i18n import local_date
from eventsys.core.models import OutboxMessage
from eventsys.core.rules import RuleViolation
from eventsys.exhibition import setup
from eventsys.exhibition.models import BoothMessage, Exhibition, Vote
from eventsys.extensions import db
from tests.exhibition_helpers import make_booth, make_exhibition, make_exhibitor, make_media, make_pavilion
from tests.helpers import PASSWORD, csrf_token_of, field_errors, fresh, sign_in, text, tr


@pytest.fixture
def fair(app, make_event, make_user, make_organization):
    """An exhibition with the booths of Kab. Cirebon and Kab. Sleman; its organizer signed in on `client`."""
    event = make_exhibition(app, make_event, slug="pameran-2021")
    organizer = make_user(email="panitia@kominfo.go.id", name="Panitia", event=event, role="organizer")
    cirebon = make_booth(event, make_organization(name="Kab. Cirebon"))
    sleman = make_booth(event, make_organization(name="Kab. Sleman", province="DI Yogyakarta"), name="Sleman Smart Regency")
    return {"event": event, "organizer": organizer, "cirebon": cirebon, "sleman": sleman}


@pytest.fixture
def staff(client, fair):
    return sign_in(client, fair["organizer"])


def booth_url(booth, path=""):
    return f"/manage/{booth.event.slug}/exhibition/booths/{booth.id}{path}"


def invite(web, booth, email, name="Rina", **kwargs):
    return web.post(booth_url(booth, "/exhibitors"), data={"invite-email": email, "invite-name": name}, **kwargs)


def count(model) -> int:
    return fresh().scalar(select(func.count()).select_from(model))


def mailed_link(email: str) -> str:
    mail = fresh().scalars(select(OutboxMessage).where(OutboxMessage.to_email == email).order_by(OutboxMessage.id.desc())).first()
    return re.search(r"https?://[^/\s]+(/invitation/\S+)", mail.body_text).group(1)


# 1. An account exhibits for one booth per event: an invitation never moves it


def test_inviting_another_booths_exhibitor_is_refused_naming_that_booth(app, staff, fair, make_user):
    cirebon_exhibitor = make_exhibitor(make_user, fair["event"], fair["cirebon"].organization, email="kominfo@cirebonkab.go.id")
    response = invite(staff, fair["sleman"], "Kominfo@CirebonKab.go.id")
    assert response.status_code == 400
    assert field_errors(response, "invite-email") == [tr(
        app, "%(email)s already represents the booth %(booth)s at this event, and an account exhibits for one booth only. "
             "Invite another address for this booth.", email=cirebon_exhibitor.email, booth="Kab. Cirebon")]
    assert count(Invitation) == 0 and count(OutboxMessage) == 0


def test_an_invitation_made_earlier_cannot_move_an_exhibitor_when_accepted(app, make_app, staff, fair, make_user):
    user = make_user(email="kominfo@cirebonkab.go.id", name="Kominfo Cirebon")
    assert invite(staff, fair["sleman"], user.email).status_code == 303  # not yet anyone's exhibitor
    link = mailed_link(user.email)
    accounts.grant_role(db.session, user, fair["event"], EventRoleName.EXHIBITOR, fair["cirebon"].organization_id)
    db.session.commit()  # meanwhile made Kab. Cirebon's exhibitor
    expected = tr(app, "%(email)s already exhibits for %(organization)s at %(event)s; an account exhibits for one organization "
                       "per event. Ask the organizer to invite another address.",
                  email=user.email, organization="Kab. Cirebon", event=fair["event"].name)
    browser = sign_in(make_app().test_client(), user)
    for response in (browser.get(link), browser.post(link)):
        assert response.status_code == 409 and expected in text(response)
    roles = fresh().scalars(select(EventRole).where(EventRole.user_id == user.id)).all()
    assert [(r.role, r.organization_id) for r in roles] == [(EventRoleName.EXHIBITOR, fair["cirebon"].organization_id)]
    assert fresh().scalar(select(Invitation)).accepted_at is None
    assert 'data-testid="exhibitor-list"' not in text(staff.get(booth_url(fair["sleman"])))
    with pytest.raises(RuleViolation):  # the service under every way in refuses the move as well
        accounts.grant_role(db.session, fresh().get(User, user.id), fair["event"], EventRoleName.EXHIBITOR,
                            fair["sleman"].organization_id)
    db.session.rollback()


def test_the_team_page_refuses_the_move_too(app, staff, fair, make_user):
    user = make_exhibitor(make_user, fair["event"], fair["cirebon"].organization, email="kominfo@cirebonkab.go.id")
    event = fair["event"]
    response = staff.post(f"/manage/{event.slug}/team", data={
        "name": "Kominfo", "email": user.email, "role": "exhibitor", "organization_id": str(fair["sleman"].organization_id)})
    assert tr(app, "%(email)s already exhibits for %(organization)s at %(event)s; an account exhibits for one organization per "
                   "event. Ask the organizer to invite another address.",
              email=user.email, organization="Kab. Cirebon", event=event.name) in field_errors(response, "email")
    assert count(Invitation) == 0


def test_an_existing_account_is_not_asked_to_set_a_password(app, make_app, staff, fair, make_user):
    user = make_user(email="kadis@slemankab.go.id", name="Kadis")
    invite(staff, fair["sleman"], user.email)
    invite(staff, fair["sleman"], "baru@slemankab.go.id")
    mails = {m.to_email: m for m in fresh().scalars(select(OutboxMessage).where(OutboxMessage.kind == "exhibitor_invitation"))}
    with app.test_request_context(), force_locale("id"):
        until = local_date(fresh().scalars(select(Invitation)).first().expires_at, fair["event"].timezone)
    set_password = tr(app, "Open this link to set your password; it works once, until %(date)s:", date=until)
    sign_in_to_accept = tr(app, "You already have an account with this address: open this link and sign in with it to accept; the "
                                "link works once, until %(date)s:", date=until)
    existing, new = mails[user.email], mails["baru@slemankab.go.id"]
    assert sign_in_to_accept in existing.body_html and sign_in_to_accept in " ".join(existing.body_text.split())
    assert set_password not in existing.body_html and set_password not in " ".join(existing.body_text.split())
    assert set_password in new.body_html and sign_in_to_accept not in new.body_html
    page = make_app().test_client().get(mailed_link(user.email))
    assert 'data-testid="sign-in-first"' in text(page) and 'name="password"' not in text(page)
    browser = sign_in(make_app().test_client(), user, PASSWORD)
    assert browser.post(mailed_link(user.email)).status_code == 302
    assert fresh().scalar(select(EventRole.organization_id).where(EventRole.user_id == user.id)) == fair["sleman"].organization_id


# 2. Opening the tab publishes nothing


def test_opening_the_exhibition_tab_of_another_event_publishes_no_hall(app, client, make_event, make_user, make_organization):
    seminar = make_event(name="Seminar Smart City", slug="seminar-smart-city")
    organizer = make_user(email="panitia@kominfo.go.id", event=seminar, role="organizer")
    sign_in(client, organizer)
    page = client.get(f"/manage/{seminar.slug}/exhibition")
    assert page.status_code == 200 and 'data-testid="hall-not-set-up"' in text(page)
    assert fresh().get(Exhibition, seminar.id) is None
    assert client.get(f"/exhibition/{seminar.slug}").status_code == 404
    assert 'data-testid="hall-link"' not in text(client.get(f"/e/{seminar.slug}"))
    organization = make_organization(name="Kota Cirebon")
    added = client.post(f"/manage/{seminar.slug}/exhibition/booths", data={"organization_id": str(organization.id)})
    assert added.status_code == 302  # the first booth sets the exhibition up
    assert client.get(f"/exhibition/{seminar.slug}").status_code == 200
    assert 'data-testid="hall-link"' in text(client.get(f"/e/{seminar.slug}"))


def test_saving_the_settings_sets_the_hall_up(app, client, make_event, make_user):
    seminar = make_event(name="Seminar Smart City", slug="seminar-smart-city")
    sign_in(client, make_user(email="panitia@kominfo.go.id", event=seminar, role="organizer"))
    saved = client.post(f"/manage/{seminar.slug}/exhibition", data={"intro": "", "max_video_mb": "500", "max_poster_mb": "20"})
    assert saved.status_code == 302 and fresh().get(Exhibition, seminar.id) is not None
    assert 'data-testid="hall-link"' in text(client.get(f"/e/{seminar.slug}"))


# 3. The booth page after an invitation


def test_after_an_invitation_the_booth_form_keeps_the_booths_values_and_a_reload_sends_nothing(app, staff, fair, make_organization):
    event = fair["event"]
    booth = make_booth(event, make_organization(name="Kota Ambon", province="Maluku"), make_pavilion(event, "Kabupaten/Kota"),
                       dimensions=("living", "governance"), name="Ambon Manise")
    sent = invite(staff, booth, "diskominfo@ambon.go.id")
    assert sent.status_code == 303 and sent.headers["Location"].endswith(booth_url(booth))
    for page in (text(staff.get(sent.headers["Location"])), text(invite(staff, booth, "salah", name="X"))):
        assert re.search(r'<input[^>]*id="name"[^>]*value="Ambon Manise"', page)
        assert re.search(rf'<option selected value="{booth.pavilion_id}">', page)
        assert len(re.findall(r'<input checked[^>]*name="dimensions"', page)) == 2
    assert 'data-testid="invitation-link"' not in text(staff.get(booth_url(booth)))  # the link is shown once
    assert count(Invitation) == 1 and count(OutboxMessage) == 1


def test_a_second_open_invitation_to_an_address_is_refused(app, staff, fair):
    assert invite(staff, fair["sleman"], "kadis@slemankab.go.id").status_code == 303
    again = invite(staff, fair["sleman"], "Kadis@SlemanKab.go.id")
    assert again.status_code == 400
    with app.test_request_context(), force_locale("id"):
        until = local_date(fresh().scalar(select(Invitation)).expires_at, fair["event"].timezone)
    assert field_errors(again, "invite-email") == [tr(
        app, "%(email)s has already been invited to this booth (valid until %(date)s). To send a new link, revoke that invitation "
             "first.", email="kadis@slemankab.go.id", date=until)]
    elsewhere = invite(staff, fair["cirebon"], "kadis@slemankab.go.id")
    assert field_errors(elsewhere, "invite-email") == [tr(
        app, "%(email)s has already been invited to exhibit for the booth %(booth)s, and an account exhibits for one booth only. "
             "Invite another address for this booth.", email="kadis@slemankab.go.id", booth="Sleman Smart Regency")]
    assert count(Invitation) == 1 and count(OutboxMessage) == 1


def test_an_organizer_revokes_an_open_invitation(app, make_app, staff, fair):
    sleman = fair["sleman"]
    invite(staff, sleman, "kadis@slemankab.go.id")
    link = mailed_link("kadis@slemankab.go.id")
    invitation = fresh().scalar(select(Invitation))
    assert staff.post(booth_url(fair["cirebon"], f"/invitations/{invitation.id}/revoke")).status_code == 404  # another booth's
    revoked = staff.post(booth_url(sleman, f"/invitations/{invitation.id}/revoke"), follow_redirects=True)
    assert tr(app, "The invitation for %(email)s is revoked; its link no longer works.", email="kadis@slemankab.go.id") in text(revoked)
    assert count(Invitation) == 0
    assert make_app().test_client().get(link).status_code == 410
    assert invite(staff, sleman, "kadis@slemankab.go.id").status_code == 303  # a new one may now be sent


def test_revoking_needs_the_forms_csrf_token(app, make_app, fair):
    invitation, _link = setup.invite_exhibitor(db.session, fair["sleman"], email="kadis@slemankab.go.id", name="Kadis",
                                               invited_by=fair["organizer"])
    db.session.commit()
    strict = make_app(WTF_CSRF_ENABLED=True).test_client()
    strict.post("/login", data={"email": fair["organizer"].email, "password": PASSWORD, "csrf_token": csrf_token_of(strict.get("/login"))})
    page = text(strict.get(booth_url(fair["sleman"])))
    assert 'data-testid="revoke-invitation"' in page
    assert strict.post(booth_url(fair["sleman"], f"/invitations/{invitation.id}/revoke")).status_code == 400
    assert count(Invitation) == 1
    form_token = re.search(r'data-testid="revoke-invitation">\s*<input[^>]*name="csrf_token"[^>]*value="([^"]+)"', page).group(1)
    strict.post(booth_url(fair["sleman"], f"/invitations/{invitation.id}/revoke"), data={"csrf_token": form_token})
    assert count(Invitation) == 0


# 4. Rate limits on the booth page


OPEN = {"opens_in": -timedelta(days=1)}


@pytest.fixture
def open_booth(app, make_event, make_organization):
    event = make_exhibition(app, make_event, **OPEN)
    return make_booth(event, make_organization(name="Kota Cirebon"))


def message_url(booth):
    return f"/exhibition/{booth.event.slug}/booths/{booth.id}/messages"


def vote_url(booth):
    return f"/exhibition/{booth.event.slug}/booths/{booth.id}/vote"


def test_an_office_sharing_one_address_signs_guestbooks_with_the_default_limits(open_booth, make_app):
    office = make_app(RATELIMIT_ENABLED=True).test_client()
    for n in range(8):
        response = office.post(message_url(open_booth), data={"msg-kind": "guestbook", "msg-name": f"Staf {n}", "msg-body": "Mantap"})
        assert response.status_code == 303, n
    assert count(BoothMessage) == 8


def test_refused_messages_do_not_count_and_a_limited_visitor_keeps_the_message(app, open_booth, make_app):
    office = make_app(RATELIMIT_ENABLED=True, EXHIBITION_MESSAGE_RATE_LIMIT="2 per hour").test_client()
    for _ in range(3):  # forgot the name: corrected, not a flood
        assert office.post(message_url(open_booth), data={"msg-kind": "guestbook", "msg-body": "Halo"}).status_code == 400
    form = {"msg-kind": "guestbook", "msg-name": "Rina", "msg-body": "Inovasi Cirebon Katon luar biasa"}
    assert [office.post(message_url(open_booth), data=form).status_code for _ in range(2)] == [303, 303]
    limited = office.post(message_url(open_booth), data=form)
    assert limited.status_code == 429 and int(limited.headers["Retry-After"]) > 60  # not "a minute"
    page = text(limited)
    assert tr(app, "Many messages were sent from your network in a short time. Try again in about %(wait)s; what you wrote is "
                   "still in the form below.", wait="60 menit") in page
    assert "Inovasi Cirebon Katon luar biasa</textarea>" in page and 'value="Rina"' in page
    assert count(BoothMessage) == 2


def test_a_limited_vote_keeps_the_address_and_says_how_long_the_longest_full_window_lasts(app, open_booth, make_app):
    office = make_app(RATELIMIT_ENABLED=True, EXHIBITION_VOTE_RATE_LIMIT="1 per minute;1 per day").test_client()
    assert office.post(vote_url(open_booth), data={"vote-email": "bukan-alamat"}).status_code == 400
    assert office.post(vote_url(open_booth), data={"vote-email": "warga1@example.org"}).status_code == 303
    limited = office.post(vote_url(open_booth), data={"vote-email": "warga2@example.org"})
    assert limited.status_code == 429
    assert tr(app, "Many votes were sent from your network in a short time. Try again in about %(wait)s.", wait="24 jam") in text(limited)
    assert 'value="warga2@example.org"' in text(limited)
    assert count(Vote) == 1


# 5. CSV cells in the page's language


def test_the_items_csv_names_kinds_and_states_in_the_pages_language(app, staff, fair):
    booth = fair["cirebon"]
    make_media(booth, "video", "approved", title="Cirebon Katon")
    make_media(booth, "document", "processing", title="Masterplan")
    for lang in ("id", "en"):
        staff.post(f"/language/{lang}")
        body = staff.get(f"/manage/{fair['event'].slug}/exhibition/analytics/items.csv").get_data(as_text=True)
        rows = {row[1]: row for row in csv.reader(io.StringIO(body.lstrip("\ufeff")))}
        assert rows["Cirebon Katon"][2:4] == [tr(app, "Video", lang), tr(app, "Approved", lang)]
        assert rows["Masterplan"][2:4] == [tr(app, "PDF document", lang), tr(app, "Processing", lang)]
        assert not {"video", "approved", "document", "processing"} & {cell for row in rows.values() for cell in row}
