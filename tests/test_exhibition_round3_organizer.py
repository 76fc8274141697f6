"""Exhibition, organizer side (round 3): the organizers' booth editor refuses a save its page no longer shows,
nobody is mailed about their own moderation decision, and the hall's short cache never outlives a change under a booth."""
# ruff: noqa: F811  (open_hall is the fixture of test_exhibition_hall.py, imported for these tests)
import re
from html import unescape

import pytest
from sqlalchemy import select
from sqlalchemy import text as sql

from eventsys.accounts import services as accounts
from eventsys.accounts.models import EventRoleName
from eventsys.core.models import OutboxMessage
from eventsys.events.dimensions import Dimension
from eventsys.exhibition import hall_cache
from eventsys.exhibition.models import Booth, MediaItem, MediaState, QuickWin
from eventsys.extensions import db
from tests.conftest import IsolatedClient
from tests.exhibition_helpers import make_booth, make_exhibition, make_exhibitor, make_media, make_pavilion
from tests.helpers import fresh, sign_in, text, tr, trn
from tests.test_exhibition_hall import booth_url, hall_url, names_on, open_hall  # noqa: F401

BOOTH_CONFLICT = ("Someone else saved this booth after you opened the page. Their version is shown below; "
                  "your text is kept in the form, so compare the two and save again to keep yours.")


def manage_url(booth, path=""):
    return f"/manage/{booth.event.slug}/exhibition/booths/{booth.id}{path}"


def version_on(response) -> str:
    match = re.search(r'name="version"[^>]*value="([^"]*)"|value="([^"]*)"[^>]*name="version"', text(response))
    assert match, "no version field in the page"
    return match.group(1) or match.group(2)


def conflict_panel(response) -> str:
    match = re.search(r'data-testid="edit-conflict">(.*?)</section>', text(response), re.S)
    assert match, "no conflict panel"
    return unescape(match.group(1))


def signed_in(app, user):
    """A client of its own (own cookies, own app context per request) signed in as `user`."""
    app.test_client_class = IsolatedClient
    return sign_in(app.test_client(), user)


# 1. The organizers' booth editor: a save its page no longer shows is refused


@pytest.fixture
def stand(app, make_event, make_organization, make_user):
    """Kota Cirebon's booth in the regions' pavilion, two organizers and the booth's exhibitor."""
    event = make_exhibition(app, make_event, slug="pameran-round3")
    regions, startups = make_pavilion(event, "Kabupaten/Kota"), make_pavilion(event, "Startup", position=1)
    org = make_organization(name="Kota Cirebon")
    booth = make_booth(event, org, regions, dimensions=("living",), tagline="Cirebon Katon")
    return {
        "event": event, "booth": booth, "regions": regions, "startups": startups,
        "first": make_user(email="panitia1@kominfo.go.id", name="Panitia Satu", event=event, role="organizer"),
        "second": make_user(email="panitia2@kominfo.go.id", name="Panitia Dua", event=event, role="organizer"),
        "exhibitor": make_exhibitor(make_user, event, org, email="diskominfo@cirebonkota.go.id"),
    }


def organizer_form(stand, **values):
    return {"name": "Kota Cirebon", "pavilion_id": str(stand["regions"].id), "dimensions": ["living"]} | values


def test_an_organizers_save_from_a_page_another_organizer_overtook_is_refused_and_kept(app, stand):
    first, second = signed_in(app, stand["first"]), signed_in(app, stand["second"])
    url = manage_url(stand["booth"])
    seen_first, seen_second = version_on(first.get(url)), version_on(second.get(url))

    assert first.post(url, data=organizer_form(stand, name="Pemkot Cirebon", version=seen_first)).status_code == 302
    refused = second.post(url, data=organizer_form(stand, name="Kota Cirebon Katon", pavilion_id=str(stand["startups"].id),
                                                   version=seen_second))

    assert refused.status_code == 400
    assert tr(app, BOOTH_CONFLICT) in unescape(text(refused))
    assert "Pemkot Cirebon" in conflict_panel(refused) and "Kabupaten/Kota" in conflict_panel(refused)  # their version
    assert 'value="Kota Cirebon Katon"' in text(refused)  # what this organizer typed stays in the form
    booth = fresh().get(Booth, stand["booth"].id)
    assert (booth.name, booth.pavilion_id) == ("Pemkot Cirebon", stand["regions"].id)  # nothing of the refused save

    # Having seen their version, the same form saved again replaces it on purpose.
    again = second.post(url, data=organizer_form(stand, name="Kota Cirebon Katon", pavilion_id=str(stand["startups"].id),
                                                 version=version_on(refused)))
    assert again.status_code == 302, text(again)
    booth = fresh().get(Booth, stand["booth"].id)
    assert (booth.name, booth.pavilion_id) == ("Kota Cirebon Katon", stand["startups"].id)


def test_the_exhibitors_portal_save_overtakes_the_organizers_page_but_only_for_what_that_page_writes(app, stand):
    organizer, exhibitor = signed_in(app, stand["first"]), signed_in(app, stand["exhibitor"])
    url, portal = manage_url(stand["booth"]), f"/exhibit/{stand['event'].slug}/booth/{stand['booth'].id}"
    seen = version_on(organizer.get(url))

    # The exhibitor changes the tagline only: the organizer's form does not write it, so its save goes through.
    portal_form = {"name": "Kota Cirebon", "tagline": "Kota Wali", "dimensions": ["living"]}
    assert exhibitor.post(portal, data=portal_form).status_code == 302
    assert organizer.post(url, data=organizer_form(stand, name="Pemkot Cirebon", version=seen)).status_code == 302

    # The exhibitor changes the dimensions: the organizer's page opened before that is overtaken.
    seen = version_on(organizer.get(url))
    assert exhibitor.post(portal, data=portal_form | {"name": "Pemkot Cirebon", "dimensions": ["economy"]}).status_code == 302
    refused = organizer.post(url, data=organizer_form(stand, name="Pemkot Cirebon", dimensions=["living", "society"], version=seen))
    assert refused.status_code == 400 and tr(app, BOOTH_CONFLICT) in unescape(text(refused))
    booth = fresh().get(Booth, stand["booth"].id)
    assert booth.dimension_values == [Dimension.ECONOMY] and booth.tagline == "Kota Wali"


def test_the_same_organizer_save_sent_twice_is_not_refused(app, stand):
    organizer = signed_in(app, stand["first"])
    url = manage_url(stand["booth"])
    data = organizer_form(stand, name="Pemkot Cirebon", dimensions=["economy", "living"], version=version_on(organizer.get(url)))
    assert organizer.post(url, data=data).status_code == 302
    assert organizer.post(url, data=data).status_code == 302  # a double click
    booth = fresh().get(Booth, stand["booth"].id)
    assert booth.name == "Pemkot Cirebon" and booth.dimension_values == [Dimension.ECONOMY, Dimension.LIVING]


# 2. Nobody is mailed about their own moderation decision


def mails():
    return list(fresh().scalars(select(OutboxMessage).order_by(OutboxMessage.to_email)))


def test_an_organizer_deciding_on_its_own_stage_video_is_not_mailed(app, stand):
    event, organizer = stand["event"], stand["first"]
    item = make_media(None, "video", "pending", event=event, on_stage=True, title="Tari Topeng", uploaded_by=organizer)
    web = signed_in(app, organizer)
    moderation = f"/manage/{event.slug}/exhibition/moderation/{item.id}"

    approved = web.post(f"{moderation}/approve", follow_redirects=True)
    assert fresh().get(MediaItem, item.id).state == MediaState.APPROVED and mails() == []
    assert tr(app, "Approved: %(title)s. No email was sent: there is no one to tell.", title="Tari Topeng") in unescape(text(approved))

    rejected = web.post(f"{moderation}/reject", data={f"r{item.id}-reason": "Suaranya terpotong."}, follow_redirects=True)
    assert fresh().get(MediaItem, item.id).state == MediaState.REJECTED and mails() == []
    assert tr(app, "Rejected: %(title)s. No email was sent: there is no one to tell.", title="Tari Topeng") in unescape(text(rejected))

    # Another organizer's decision on it still reaches the uploader.
    signed_in(app, stand["second"]).post(f"{moderation}/approve")
    assert [m.to_email for m in mails()] == ["panitia1@kominfo.go.id"]


def test_an_organizer_who_also_exhibits_is_not_mailed_about_its_decision_but_the_colleagues_are(app, stand):
    event, booth, organizer = stand["event"], stand["booth"], stand["first"]
    accounts.grant_role(db.session, organizer, event, EventRoleName.EXHIBITOR, booth.organization_id)
    db.session.commit()
    item = make_media(booth, "poster", "pending", title="Poster PSC 119", uploaded_by=organizer)
    response = signed_in(app, organizer).post(f"/manage/{event.slug}/exhibition/moderation/{item.id}/approve", follow_redirects=True)
    assert [m.to_email for m in mails()] == ["diskominfo@cirebonkota.go.id"]
    assert tr(app, "Approved: %(title)s. The exhibitor is told by email.", title="Poster PSC 119") in unescape(text(response))


# 3. The hall's cache never outlives a change under a booth


def posters_on(app, response, name) -> bool:
    """Whether the booth's card in the hall counts one poster."""
    cards = re.findall(r'<article class="exh-card".*?</article>', text(response), re.S)
    card = next(c for c in cards if f'data-testid="booth-name">{name}<' in c)
    return trn(app, "%(num)d poster", "%(num)d posters", 1) in card


def test_an_approved_item_the_exhibitor_sends_back_to_review_leaves_the_cached_pages_at_once(app, client, open_hall, make_user):
    event, b = open_hall
    booth = b["cirebon"]
    item = make_media(booth, "poster", "approved", title="Poster Cirebon Katon")
    exhibitor = signed_in(app, make_exhibitor(make_user, event, booth.organization))
    assert posters_on(app, client.get(hall_url(event)), "Kota Cirebon")
    assert "Poster Cirebon Katon" in text(client.get(booth_url(booth)))

    edit = exhibitor.post(f"/exhibit/{event.slug}/booth/{booth.id}/media/{item.id}", data={"title": "Poster Cirebon Katon 2026"})
    assert edit.status_code == 302 and fresh().get(MediaItem, item.id).state == MediaState.PENDING
    assert not posters_on(app, client.get(hall_url(event)), "Kota Cirebon")  # the next request, not after the TTL
    page = text(client.get(booth_url(booth)))
    assert "Poster Cirebon Katon" not in page


def test_booth_edits_that_leave_the_booths_own_row_alone_show_at_once(app, client, open_hall, make_user):
    """Dimensions changed by the organizer or the exhibitor, programmes added and deleted in the portal."""
    event, b = open_hall
    booth = b["ambon"]
    organizer = signed_in(app, make_user(event=event, role="organizer"))
    exhibitor = signed_in(app, make_exhibitor(make_user, event, booth.organization))
    assert names_on(client.get(hall_url(event, dimension="economy"))) == []

    saved = organizer.post(manage_url(booth), data={"name": "Kota Ambon", "pavilion_id": str(b["regions"].id),
                                                    "dimensions": ["society", "economy"]})
    assert saved.status_code == 302
    assert names_on(client.get(hall_url(event, dimension="economy"))) == ["Kota Ambon"]

    portal = f"/exhibit/{event.slug}/booth/{booth.id}"
    assert names_on(client.get(hall_url(event, dimension="governance"))) == ["Qlue"]
    saved = exhibitor.post(portal, data={"name": "Kota Ambon", "description": "Kota musik dunia.", "dimensions": ["governance"]})
    assert saved.status_code == 302
    assert names_on(client.get(hall_url(event, dimension="governance"))) == ["Kota Ambon", "Qlue"]

    assert "Ambon Music Office" in text(client.get(booth_url(booth)))
    added = exhibitor.post(f"{portal}/programmes", data={"title": "Festival Musik Amboina", "dimension": "branding"})
    assert added.status_code == 302
    assert "Festival Musik Amboina" in text(client.get(booth_url(booth)))
    office = fresh().scalar(select(QuickWin.id).where(QuickWin.title == "Ambon Music Office"))
    assert exhibitor.post(f"{portal}/programmes/{office}/delete", data={"confirm": "y"}).status_code == 302
    assert "Ambon Music Office" not in text(client.get(booth_url(booth)))


def test_deletions_show_at_once(app, client, open_hall, make_user):
    event, b = open_hall
    organizer = signed_in(app, make_user(event=event, role="organizer"))
    startups = b["startups"].id
    assert names_on(client.get(hall_url(event, pavilion=startups))) == ["Qlue"]
    deleted = organizer.post(f"/manage/{event.slug}/exhibition/pavilions/{startups}/delete", data={"confirm": "y"})
    assert deleted.status_code == 302  # Qlue stays in the hall, without a pavilion
    stale_link = client.get(hall_url(event, pavilion=startups))  # not the cached "Qlue only": the whole hall, and why
    assert names_on(stale_link) == ["Kota Ambon", "Kota Cirebon", "Qlue"] and 'data-testid="filter-dropped"' in text(stale_link)

    assert organizer.post(manage_url(b["qlue"], "/delete"), data={"confirm": "y"}).status_code == 302
    assert names_on(client.get(hall_url(event))) == ["Kota Ambon", "Kota Cirebon"]


def test_the_change_stamp_sees_an_item_leave_the_hall_whatever_the_clocks_say(app, open_hall):
    """Approved items' ids are in the stamp: an item back in review changes it even with no timestamp moved
    (here written past the ORM, as a commit landing after a later-stamped one would look)."""
    event, b = open_hall
    item = make_media(b["cirebon"], "poster", "approved")
    before = hall_cache.change_stamp(db.session, event)
    db.session.execute(sql("UPDATE exhibition_media SET state = 'pending' WHERE id = :id"), {"id": item.id})
    db.session.commit()
    assert hall_cache.change_stamp(db.session, event) != before
