"""The organizer's exhibition set-up: overview and settings, pavilions, booths per organization, exhibitor invitations, who may."""
import re
from datetime import timedelta

import pytest
from sqlalchemy import event as sa_event
from sqlalchemy import func, insert, select

from eventsys.accounts.models import EventRoleName, Invitation
from eventsys.core.db import utcnow
from eventsys.core.models import OutboxMessage
from eventsys.core.rules import RuleViolation
from eventsys.events.dimensions import Dimension
from eventsys.exhibition import services, setup
from eventsys.exhibition.models import Booth, Exhibition, MediaItem, MediaState, Pavilion
from eventsys.extensions import db
from tests.exhibition_helpers import make_booth, make_exhibition, make_exhibitor, make_media, make_pavilion
from tests.helpers import PASSWORD, csrf_token_of, field_errors, fresh, sign_in, text, tr, trn


@pytest.fixture
def show(app, make_event, make_user, make_organization):
    """An exhibition opening in 30 days (WITA), its organizer signed in on `client`, two regions without booths."""
    event = make_exhibition(app, make_event, slug="pameran-makassar", timezone="Asia/Makassar")
    organizer = make_user(email="panitia@kominfo.go.id", name="Panitia", event=event, role="organizer")
    return {
        "event": event, "organizer": organizer,
        "cirebon": make_organization(name="Kota Cirebon"), "makassar": make_organization(name="Kota Makassar", province="Sulawesi Selatan"),
    }


@pytest.fixture
def staff(client, show):
    return sign_in(client, show["organizer"])


def url(event, path=""):
    return f"/manage/{event.slug}/exhibition{path}"


# Overview and settings


def test_overview_shows_phase_counts_and_pending_moderation(app, staff, show):
    event = show["event"]
    booth = make_booth(event, show["cirebon"])
    make_media(booth, "poster", "pending")
    make_media(booth, "video", "approved")
    page = staff.get(url(event))
    assert page.status_code == 200
    body = text(page)
    assert 'data-phase="before"' in body
    assert re.search(r'data-testid="count-pending">1<', body) and re.search(r'data-testid="count-booths">1<', body)
    assert tr(app, "Not open yet: only exhibitors and organizers see the hall") in body


def test_settings_are_saved_in_the_events_zone(app, staff, show):
    event = show["event"]
    response = staff.post(url(event), data={
        "opens_at": "2030-12-14T08:00", "closes_at": "2030-12-28T17:00", "intro": "  Pameran quick win  ",
        "max_video_mb": "300", "max_poster_mb": "15", "voting_enabled": "",
    })
    assert response.status_code == 302
    exhibition = fresh().get(Exhibition, event.id)
    assert exhibition.opens_at.isoformat() == "2030-12-14T00:00:00+00:00"  # 08:00 WITA
    assert exhibition.closes_at.isoformat() == "2030-12-28T09:00:00+00:00"
    assert (exhibition.intro, exhibition.max_video_mb, exhibition.max_poster_mb, exhibition.voting_enabled) == ("Pameran quick win", 300, 15, False)
    page = text(staff.get(url(event)))
    assert 'value="2030-12-14T08:00"' in page


def test_default_video_limit_is_500_mb(app, show):
    assert services.exhibition_for(db.session, show["event"]).max_video_mb == 500


@pytest.mark.parametrize("data, field, message", [
    ({"opens_at": "2030-12-28T08:00", "closes_at": "2030-12-14T08:00"}, "closes_at",
     "The exhibition must close after it opens (without a time, the event's start and end count)."),
    ({"max_video_mb": "0"}, "max_video_mb", "Enter a size from 1 to %(max)d MB."),
    ({"max_video_mb": "lots"}, "max_video_mb", "Enter a size from 1 to %(max)d MB."),
    ({"max_poster_mb": "999"}, "max_poster_mb", "Enter a size from 1 to %(max)d MB."),
    ({"opens_at": "31-12-2030"}, "opens_at", "Not a valid datetime value."),
])
def test_bad_settings_are_refused_and_nothing_is_stored(app, staff, show, data, field, message):
    event = show["event"]
    form = {"max_video_mb": "500", "max_poster_mb": "20", "intro": "changed", **data}
    response = staff.post(url(event), data=form)
    assert response.status_code == 400
    limit = setup.MAX_POSTER_MB if field == "max_poster_mb" else setup.MAX_VIDEO_MB
    assert tr(app, message, max=limit) in field_errors(response, field)
    assert fresh().get(Exhibition, event.id).intro == ""


# Pavilions


def test_pavilions_are_added_in_order_renamed_and_kept_unique(app, staff, show):
    event = show["event"]
    for name in ("Kabupaten/Kota", "Direktorat LAIP", "Startup"):
        assert staff.post(url(event, "/pavilions"), data={"name": name}).status_code == 302
    assert [p.name for p, _n in setup.pavilions_for(fresh(), event)] == ["Kabupaten/Kota", "Direktorat LAIP", "Startup"]
    startup = fresh().scalar(select(Pavilion).where(Pavilion.name == "Startup"))
    assert staff.post(url(event, f"/pavilions/{startup.id}"), data={"name": "Startup", "position": "0"}).status_code == 302
    assert setup.pavilions_for(fresh(), event)[0][0].name == "Startup"

    duplicate = staff.post(url(event, "/pavilions"), data={"name": "  startup "})
    assert duplicate.status_code == 400
    assert field_errors(duplicate, "name") == [tr(app, "There is already a pavilion named %(name)s.", name="startup")]
    empty = staff.post(url(event, "/pavilions"), data={"name": "   "})
    assert field_errors(empty, "name") == [tr(app, "Enter the pavilion's name.")]
    assert fresh().scalar(select(func.count(Pavilion.id))) == 3


def test_deleting_a_pavilion_keeps_its_booths_without_one(app, staff, show):
    event = show["event"]
    pavilion = make_pavilion(event, "Kabupaten/Kota")
    pavilion_id, booth_id = pavilion.id, make_booth(event, show["cirebon"], pavilion).id
    unticked = staff.post(url(event, f"/pavilions/{pavilion_id}/delete"), follow_redirects=True)  # the box next to Delete not ticked
    assert tr(app, "Tick the box to confirm.") in text(unticked) and fresh().get(Pavilion, pavilion_id) is not None
    response = staff.post(url(event, f"/pavilions/{pavilion_id}/delete"), data={"confirm": "y"}, follow_redirects=True)
    assert trn(app, "Pavilion %(name)s deleted; its %(num)d booth stays in the hall without a pavilion.",
               "Pavilion %(name)s deleted; its %(num)d booths stay in the hall without a pavilion.", 1, name="Kabupaten/Kota") in text(response)
    session = fresh()
    assert session.get(Pavilion, pavilion_id) is None
    assert session.get(Booth, booth_id).pavilion_id is None


def test_a_pavilion_of_another_event_is_not_found(app, staff, show, make_event):
    other = make_exhibition(app, make_event)
    pavilion = make_pavilion(other, "Startup")
    assert staff.get(url(show["event"], f"/pavilions/{pavilion.id}")).status_code == 404
    assert staff.post(url(show["event"], f"/pavilions/{pavilion.id}/delete"), data={"confirm": "y"}).status_code == 404
    assert fresh().get(Pavilion, pavilion.id) is not None


# Booths


def test_a_booth_takes_the_organizations_name_its_pavilion_and_dimensions(app, staff, show):
    event, org = show["event"], show["cirebon"]
    pavilion = make_pavilion(event)
    response = staff.post(url(event, "/booths"), data={
        "organization_id": str(org.id), "name": "", "pavilion_id": str(pavilion.id), "dimensions": ["living", "governance"],
    })
    assert response.status_code == 302
    booth = fresh().scalar(select(Booth))
    assert (booth.name, booth.pavilion_id, booth.organization_id) == ("Kota Cirebon", pavilion.id, org.id)
    assert booth.dimension_values == [Dimension.GOVERNANCE, Dimension.LIVING]
    listing = text(staff.get(url(event, "/booths")))
    assert "Kota Cirebon" in listing and tr(app, "Smart Living") in listing


def test_a_second_booth_for_the_same_organization_gets_a_clear_message(app, staff, show):
    event, org = show["event"], show["cirebon"]
    make_booth(event, org)
    response = staff.post(url(event, "/booths"), data={"organization_id": str(org.id)})
    assert response.status_code == 400
    assert field_errors(response, "organization_id") == [tr(
        app, "%(organization)s already has a booth at this event; edit that one instead.", organization="Kota Cirebon")]
    assert fresh().scalar(select(func.count(Booth.id))) == 1


def test_the_unique_constraint_turns_into_a_message_when_two_requests_race(app, show):
    """A booth another request inserts between the check and the insert: the constraint answers with the message, not a 500."""
    event, org = show["event"], show["cirebon"]

    def competing_insert(session, flush_context, instances):  # the other request's row, after our check passed
        session.execute(insert(Booth.__table__).values(event_id=event.id, organization_id=org.id, name="Kota Cirebon",
                                                       tagline="", description="", contact_name="", contact_email="",
                                                       contact_phone="", website="", created_at=utcnow(), updated_at=utcnow()))

    session = db.session()
    sa_event.listen(session, "before_flush", competing_insert, once=True)
    with pytest.raises(RuleViolation) as refused:
        setup.create_booth(db.session, event, org.id)
    assert (refused.value.field, refused.value.message) == ("organization_id", tr(
        app, "%(organization)s already has a booth at this event; edit that one instead.", organization="Kota Cirebon"))
    db.session.rollback()
    assert fresh().scalar(select(func.count(Booth.id))) == 0


@pytest.mark.parametrize("data, field, message", [
    ({"organization_id": "0"}, "organization_id", "Choose the exhibiting organization from the list."),
    ({"organization_id": "abc"}, "organization_id", "Not a valid choice."),
    ({"pavilion_id": "999999"}, "pavilion_id", "Not a valid choice."),
    ({"dimensions": ["flying"]}, "dimensions", "'%(value)s' is not a valid choice for this field."),
    ({"name": "x" * 201}, "name", "Field cannot be longer than %(max)d character."),
])
def test_bad_booth_input_is_refused_and_nothing_is_stored(app, staff, show, data, field, message):
    event = show["event"]
    response = staff.post(url(event, "/booths"), data={"organization_id": str(show["cirebon"].id), **data})
    assert response.status_code == 400
    errors = field_errors(response, field)
    assert len(errors) == 1 and errors[0].startswith(tr(app, message, value="flying", max=200)[:20])
    assert fresh().scalar(select(func.count(Booth.id))) == 0


def test_a_booth_is_edited_but_keeps_its_organization(app, staff, show):
    event = show["event"]
    booth = make_booth(event, show["cirebon"], dimensions=("living",))
    startup = make_pavilion(event, "Startup")
    response = staff.post(url(event, f"/booths/{booth.id}"), data={
        "name": "Pemkot Cirebon", "pavilion_id": str(startup.id), "dimensions": ["economy"], "organization_id": str(show["makassar"].id),
    })
    assert response.status_code == 302
    stored = fresh().get(Booth, booth.id)
    assert (stored.name, stored.pavilion_id, stored.organization_id) == ("Pemkot Cirebon", startup.id, show["cirebon"].id)
    assert stored.dimension_values == [Dimension.ECONOMY]
    empty = staff.post(url(event, f"/booths/{booth.id}"), data={"name": " ", "pavilion_id": "0"})
    assert field_errors(empty, "name") == [tr(app, "Enter the booth's name.")]
    assert fresh().get(Booth, booth.id).name == "Pemkot Cirebon"


def test_a_booth_with_media_is_not_deleted_an_empty_one_is(app, staff, show):
    event = show["event"]
    full, empty = make_booth(event, show["cirebon"]), make_booth(event, show["makassar"])
    make_media(full, "poster", "approved")
    refused = staff.post(url(event, f"/booths/{full.id}/delete"), data={"confirm": "y"}, follow_redirects=True)
    assert trn(app, "This booth has %(num)d media item. Delete it (or ask the exhibitor to) before deleting the booth.",
               "This booth has %(num)d media items. Delete them (or ask the exhibitor to) before deleting the booth.", 1) in text(refused)
    assert fresh().get(Booth, full.id) is not None
    empty_id = empty.id
    assert staff.post(url(event, f"/booths/{empty_id}/delete")).status_code == 302  # not ticked: nothing happens
    assert fresh().get(Booth, empty_id) is not None
    assert staff.post(url(event, f"/booths/{empty_id}/delete"), data={"confirm": "y"}).status_code == 302
    assert fresh().get(Booth, empty_id) is None


# Exhibitor invitations


def test_inviting_an_exhibitor_mails_a_link_bound_to_the_booths_organization(app, staff, show, make_user):
    event, org = show["event"], show["cirebon"]
    booth = make_booth(event, org)
    response = staff.post(url(event, f"/booths/{booth.id}/exhibitors"), data={"invite-email": "Diskominfo@CirebonKota.go.id", "invite-name": "Rina"},
                          follow_redirects=True)
    assert response.status_code == 200
    invitation = fresh().scalar(select(Invitation))
    assert (invitation.email, invitation.role, invitation.organization_id) == ("diskominfo@cirebonkota.go.id", EventRoleName.EXHIBITOR, org.id)
    mail = fresh().scalar(select(OutboxMessage).where(OutboxMessage.kind == "exhibitor_invitation"))
    assert mail.to_email == "diskominfo@cirebonkota.go.id"
    assert mail.subject == tr(app, "You are invited to exhibit at %(event)s", event=event.name)
    link = re.search(r"(http\S+/invitation/\S+)", mail.body_text).group(1)
    assert link in text(response) and link in mail.body_html

    exhibitor = make_exhibitor(make_user, event, org, email="kadis@cirebonkota.go.id", name="Kadis Kominfo")
    page = text(staff.get(url(event, f"/booths/{booth.id}")))
    assert "kadis@cirebonkota.go.id" in page and "diskominfo@cirebonkota.go.id" in page
    again = staff.post(url(event, f"/booths/{booth.id}/exhibitors"), data={"invite-email": exhibitor.email, "invite-name": "Kadis"})
    assert again.status_code == 400
    assert field_errors(again, "invite-email") == [tr(app, "%(email)s already exhibits for %(organization)s.", email=exhibitor.email,
                                              organization="Kota Cirebon")]
    assert fresh().scalar(select(func.count(Invitation.id))) == 1


def test_a_bad_invitation_address_is_refused_and_nothing_is_queued(app, staff, show):
    booth = make_booth(show["event"], show["cirebon"])
    response = staff.post(url(show["event"], f"/booths/{booth.id}/exhibitors"), data={"invite-email": "not an address", "invite-name": "Rina"})
    assert response.status_code == 400
    assert field_errors(response, "invite-email") == [tr(app, "Enter a valid email address, e.g. nama@kominfo.go.id.")]
    assert fresh().scalar(select(func.count(OutboxMessage.id))) == 0
    assert fresh().scalar(select(func.count(Invitation.id))) == 0


# Who may


def test_exhibitors_jurors_and_visitors_are_refused_on_organizer_pages(app, client, show, make_user):
    event = show["event"]
    booth = make_booth(event, show["cirebon"])
    exhibitor = make_exhibitor(make_user, event, show["cirebon"])
    juror = make_user(email="juri@kominfo.go.id", event=event, role="juror")
    other_organizer = make_user(email="lain@kominfo.go.id")
    pages = [url(event), url(event, "/pavilions"), url(event, "/booths"), url(event, f"/booths/{booth.id}"), url(event, "/moderation"),
             url(event, "/analytics"), url(event, "/analytics/booths.csv")]
    for page in pages:
        assert client.get(page).status_code == 302, page  # anonymous: to the sign-in page
    for user in (exhibitor, juror, other_organizer):
        sign_in(client, user)
        for page in pages:
            assert client.get(page).status_code == 403, (user.email, page)
        assert client.post(url(event, "/booths"), data={"organization_id": str(show["makassar"].id)}).status_code == 403
        client.post("/logout")
    assert fresh().scalar(select(func.count(Booth.id))) == 1


def test_organizer_pages_render_in_both_languages(app, staff, show):
    event = show["event"]
    booth = make_booth(event, show["cirebon"], make_pavilion(event))
    for lang in ("en", "id"):
        staff.post(f"/language/{lang}")
        for page in (url(event), url(event, "/pavilions"), url(event, "/booths"), url(event, f"/booths/{booth.id}"),
                     url(event, "/moderation")):
            response = staff.get(page)
            assert response.status_code == 200, (page, text(response)[:500])


def test_the_phase_follows_the_opening_period(app, show):
    event = show["event"]
    exhibition = fresh().get(Exhibition, event.id)
    assert services.phase(exhibition, event) == services.Phase.BEFORE
    exhibition.opens_at, exhibition.closes_at = utcnow() - timedelta(days=1), utcnow() + timedelta(days=1)
    assert services.phase(exhibition, event) == services.Phase.OPEN


def test_every_organizer_form_carries_a_csrf_token_when_csrf_is_on(app, make_app, show):
    event = show["event"]
    booth = make_booth(event, show["cirebon"])
    item = make_media(booth, "poster", "pending")
    strict = make_app(WTF_CSRF_ENABLED=True).test_client()
    signed = strict.post("/login", data={"email": show["organizer"].email, "password": PASSWORD,
                                         "csrf_token": csrf_token_of(strict.get("/login"))})
    assert signed.status_code == 302
    for page in (url(event), url(event, "/pavilions"), url(event, "/booths"), url(event, f"/booths/{booth.id}"), url(event, "/moderation")):
        body = text(strict.get(page))
        assert body.count('<form method="post"') == len(re.findall(r'name="(?:\w+-)?csrf_token"', body)), page
    queue = text(strict.get(url(event, "/moderation")))
    token = re.search(rf'name="r{item.id}-csrf_token"[^>]*value="([^"]+)"', queue).group(1)
    rejected = strict.post(url(event, f"/moderation/{item.id}/reject"), data={f"r{item.id}-csrf_token": token, f"r{item.id}-reason": "Buram"})
    assert rejected.status_code == 302 and fresh().get(MediaItem, item.id).state == MediaState.REJECTED
    refused = strict.post(url(event, "/pavilions"), data={"name": "Startup"})
    assert refused.status_code == 400 and fresh().scalar(select(func.count(Pavilion.id))) == 0
