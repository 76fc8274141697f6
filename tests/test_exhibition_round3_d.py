"""QA round 3 (d): deleting a booth says what goes with it and its old vote links say so; hall cards count video
links; hall search finds what the cards show; links to deleted filters; stale moderation tabs; plural flashes."""
import re
from datetime import timedelta

import pytest
from flask_babel import force_locale
from markupsafe import escape
from sqlalchemy import func, select

from eventsys.core.i18n import local_datetime
from eventsys.core.models import OutboxMessage
from eventsys.exhibition import moderation
from eventsys.exhibition.models import Booth, BoothMessage, MediaItem, MediaState, MessageKind, MessageState, Pavilion, Vote
from eventsys.extensions import db
from tests.exhibition_helpers import make_booth, make_exhibition, make_media, make_pavilion, make_vote
from tests.helpers import fresh, sign_in, text, tr, trn
from tests.test_exhibition_hall import _bulk_booths, _count_queries

OPEN = {"opens_in": -timedelta(days=2)}


@pytest.fixture
def fair(app, make_event, make_organization, make_user):
    """An open exhibition: Kota Semarang (Jawa Tengah, Smart Living, pavilion Kabupaten/Kota) and Qlue (DKI Jakarta, Startup)."""
    event = make_exhibition(app, make_event, **OPEN)
    regions, startups = make_pavilion(event, "Kabupaten/Kota", position=0), make_pavilion(event, "Startup", position=1)
    semarang = make_booth(event, make_organization(name="Kota Semarang", province="Jawa Tengah"), regions, dimensions=("living",))
    qlue = make_booth(event, make_organization(name="Qlue", province="DKI Jakarta"), startups, dimensions=("governance",))
    organizer = make_user(email="panitia@kominfo.go.id", name="Panitia Pusat", event=event, role="organizer")
    return {"event": event, "semarang": semarang, "qlue": qlue, "regions": regions, "startups": startups, "organizer": organizer}


def hall(client, event, **args):
    return client.get(f"/exhibition/{event.slug}", query_string=args)


def names_on(response) -> list[str]:
    return re.findall(r'data-testid="booth-name">(.*?)</strong>', text(response))


def shown(app, singular, plural, n, **values) -> str:
    """A plural message as the (Indonesian) page's HTML has it."""
    return str(escape(trn(app, singular, plural, n, **values)))


def manage(event, path):
    return f"/manage/{event.slug}/exhibition{path}"


# 1. Deleting a booth: what goes with it, and its old vote links


def _message(booth, kind=MessageKind.GUESTBOOK):
    db.session.add(BoothMessage(booth_id=booth.id, kind=kind, state=MessageState.PENDING, name="Warga", body="Keren!"))
    db.session.commit()


def test_the_booth_delete_box_states_the_votes_and_messages_that_go_with_it(app, client, fair):
    event, booth = fair["event"], fair["semarang"]
    booth_id = booth.id
    make_vote(booth), make_vote(booth), make_vote(booth, confirmed=False)
    _message(booth), _message(booth, MessageKind.CONTACT), _message(booth)
    sign_in(client, fair["organizer"])
    votes_line = shown(app, "Its %(num)d confirmed vote in the people's choice is deleted with it.",
                     "Its %(num)d confirmed votes in the people's choice are deleted with it.", 2)
    messages_line = shown(app, "Its %(num)d guestbook entry or contact request is deleted with it.",
                        "Its %(num)d guestbook entries and contact requests are deleted with it.", 3)
    page = text(client.get(manage(event, f"/booths/{booth_id}")))
    assert 'data-testid="delete-losses"' in page and votes_line in page and messages_line in page
    assert 'name="losses" value="2:3"' in page

    make_vote(booth)  # a vote confirmed after the page was opened: not deleted unannounced
    refused = client.post(manage(event, f"/booths/{booth_id}/delete"), data={"confirm": "y", "losses": "2:3"}, follow_redirects=True)
    assert tr(app, "Votes or messages for this booth arrived after you opened the page. Look at what the delete box says now "
                   "before you delete it.") in text(refused)
    assert fresh().get(Booth, booth_id) is not None

    done = client.post(manage(event, f"/booths/{booth_id}/delete"), data={"confirm": "y", "losses": "3:3"}, follow_redirects=True)
    assert shown(app, "Its %(num)d confirmed vote in the people's choice is deleted with it.",
               "Its %(num)d confirmed votes in the people's choice are deleted with it.", 3) in text(done)
    session = fresh()
    assert session.get(Booth, booth_id) is None
    assert session.scalar(select(func.count(Vote.id)).where(Vote.booth_id == booth_id)) == 0


def test_an_empty_booth_page_says_nothing_about_votes(client, fair):
    sign_in(client, fair["organizer"])
    page = text(client.get(manage(fair["event"], f"/booths/{fair['qlue'].id}")))
    assert 'data-testid="delete-losses"' not in page and 'name="losses" value="0:0"' in page


def _vote_link(client, booth) -> str:
    assert client.post(f"/exhibition/{booth.event.slug}/booths/{booth.id}/vote", data={"vote-email": "warga@example.org"}).status_code == 303
    mail = fresh().scalars(select(OutboxMessage).where(OutboxMessage.kind == "exhibition_vote").order_by(OutboxMessage.id.desc())).first()
    return re.search(rf"https?://[^/\s]+(/exhibition/{booth.event.slug}/vote/confirm/\S+)", mail.body_text).group(1)


@pytest.mark.parametrize("confirmed_first", [False, True])
def test_a_vote_link_of_a_deleted_booth_says_the_booth_was_removed(app, client, fair, confirmed_first):
    booth = fair["semarang"]
    link = _vote_link(client, booth)
    if confirmed_first:
        assert client.post(link).status_code == 303
    db.session.delete(db.session.get(Booth, booth.id))
    db.session.commit()
    removed = tr(app, "The booth this link votes for has been removed from the exhibition, so this vote cannot count. "
                      "You can vote for another booth in the hall.")
    invalid = tr(app, "This confirmation link is not valid. Copy the whole link from the email.")
    page = client.get(link)
    assert page.status_code == 200 and removed in text(page) and invalid not in text(page)
    posted = client.post(link)
    assert posted.status_code == 400 and removed in text(posted) and invalid not in text(posted)
    assert 'data-testid="confirm-vote"' not in text(posted)
    broken = client.get(link[:-3] + "xyz")  # a damaged link is still called invalid
    assert invalid in text(broken) and removed not in text(broken)


# 2. Hall cards count external video links as videos, like the booth page


def test_a_hall_card_counts_an_approved_video_link(app, client, fair):
    event, booth = fair["event"], fair["semarang"]
    make_media(booth, "link", "approved")
    make_media(booth, "video", "approved")
    make_media(booth, "document", "approved")
    make_media(fair["qlue"], "link", "approved")
    make_media(fair["qlue"], "link", "pending")
    page = text(hall(client, event))
    counts = re.findall(r'data-testid="booth-counts">(.*?)</p>', page, re.S)
    semarang, qlue = (" ".join(c.split()) for c in counts)
    assert trn(app, "%(num)d video", "%(num)d videos", 2) in semarang and trn(app, "%(num)d poster", "%(num)d posters", 1) in semarang
    assert trn(app, "%(num)d video", "%(num)d videos", 1) == qlue


# 3. Search finds dimension labels, the province and the pavilion


@pytest.mark.parametrize("q, found", [
    ("Smart Living", ["Kota Semarang"]), ("living", ["Kota Semarang"]), ("LIVING", ["Kota Semarang"]),
    ("Jawa Tengah", ["Kota Semarang"]), ("jakarta", ["Qlue"]), ("startup", ["Qlue"]), ("kabupaten/kota", ["Kota Semarang"]),
    ("smart governance", ["Qlue"]), ("smart environment", []), ("living jakarta", []),
])
def test_search_finds_what_the_cards_show(client, fair, q, found):
    assert names_on(hall(client, fair["event"], q=q)) == found


def test_searching_dimensions_takes_the_same_number_of_queries_with_10_or_500_booths(app, client, fair):
    app.config["EXHIBITION_HALL_CACHE_SECONDS"] = 0
    event = fair["event"]
    _bulk_booths(event, 8)

    def pages():
        assert hall(client, event, q="Smart Living Provinsi").status_code == 200
        assert hall(client, event, q="startup jawa").status_code == 200

    few = _count_queries(pages)
    _bulk_booths(event, 490, start=100)
    db.session.expire_all()
    assert _count_queries(pages) == few


# 4. A link to a deleted pavilion (or a province no booth has) shows the whole hall and says why


def test_a_link_to_a_deleted_pavilion_shows_all_booths_and_says_so(app, client, fair):
    event, startups = fair["event"], fair["startups"]
    gone = startups.id
    db.session.delete(db.session.get(Pavilion, gone))
    db.session.commit()
    response = hall(client, event, pavilion=gone)
    page = text(response)
    assert response.status_code == 200 and names_on(response) == ["Kota Semarang", "Qlue"]
    assert tr(app, "The pavilion in this link no longer exists; booths of all pavilions are shown.") in page
    assert "selected" not in re.search(r'<select name="pavilion".*?</select>', page, re.S).group(0)
    assert 'data-testid="filter-dropped"' not in text(hall(client, event, pavilion=fair["regions"].id))


def test_a_link_to_a_province_without_booths_shows_all_booths_and_says_so(app, client, fair):
    response = hall(client, fair["event"], province="Papua Pegunungan")
    assert names_on(response) == ["Kota Semarang", "Qlue"]
    assert tr(app, "No booth in this hall comes from the province in this link; booths of all provinces are shown.") in text(response)
    assert names_on(hall(client, fair["event"], province="jawa tengah")) == ["Kota Semarang"]


# 5. Stale moderation tabs


def _moderation(event):
    return f"/manage/{event.slug}/exhibition/moderation"


def said(app, msgid, item_id, **values) -> str:
    """A moderation note as the (Indonesian) page shows it, with the time of the item's stored decision."""
    stored = fresh().get(MediaItem, item_id)
    with app.test_request_context(), force_locale("id"):
        when = local_datetime(stored.reviewed_at, "Asia/Jakarta")
    return str(escape(tr(app, msgid, when=when, **values)))


def test_a_second_approval_from_a_stale_tab_says_who_approved_it(app, client, fair):
    event = fair["event"]
    item = make_media(fair["semarang"], "poster", "pending", title="Poster PSC 119")
    sign_in(client, fair["organizer"])
    base = _moderation(event)
    client.post(f"{base}/{item.id}/approve", data={"shown_state": "pending"})
    again = text(client.post(f"{base}/{item.id}/approve", data={"shown_state": "pending"}, follow_redirects=True))
    assert said(app, "“%(title)s” was already approved by %(name)s (%(when)s); nothing changed.", item.id,
                title="Poster PSC 119", name="Panitia Pusat") in again
    assert fresh().get(MediaItem, item.id).state == MediaState.APPROVED


def test_a_second_rejection_from_a_stale_tab_changes_nothing_and_mails_nothing(app, client, fair):
    event = fair["event"]
    item = make_media(fair["semarang"], "poster", "pending", title="Poster buram")
    sign_in(client, fair["organizer"])
    base = _moderation(event)
    client.post(f"{base}/{item.id}/reject", data={f"r{item.id}-reason": "Gambar buram", "shown_state": "pending"})
    mails = fresh().scalar(select(func.count(OutboxMessage.id)))
    again = text(client.post(f"{base}/{item.id}/reject", data={f"r{item.id}-reason": "Resolusi rendah", "shown_state": "pending"},
                             follow_redirects=True))
    assert said(app, "“%(title)s” was already rejected by %(name)s (%(when)s); nothing changed and the exhibitor got no second email.",
                item.id, title="Poster buram", name="Panitia Pusat") in again
    stored = fresh().get(MediaItem, item.id)
    assert (stored.state, stored.reject_reason) == (MediaState.REJECTED, "Gambar buram")
    assert fresh().scalar(select(func.count(OutboxMessage.id))) == mails


def test_an_approval_from_a_stale_tab_after_a_rejection_is_a_change_of_mind_with_a_message(app, client, fair, make_user):
    event = fair["event"]
    item = make_media(fair["semarang"], "poster", "pending", title="Poster PSC 119")
    colleague = make_user(email="rekan@kominfo.go.id", name="Rekan Panitia", event=event, role="organizer")
    moderation.reject(db.session, db.session.get(MediaItem, item.id), colleague, "Kurang jelas")
    db.session.commit()
    note = said(app, "%(name)s had rejected it (%(when)s) after your page was loaded; your approval replaces that decision.", item.id,
                name="Rekan Panitia")
    sign_in(client, fair["organizer"])
    page = text(client.post(f"{_moderation(event)}/{item.id}/approve", data={"shown_state": "pending"}, follow_redirects=True))
    assert note in page
    assert fresh().get(MediaItem, item.id).state == MediaState.APPROVED


def test_the_moderation_forms_carry_the_state_they_show(client, fair):
    item = make_media(fair["semarang"], "poster", "pending")
    sign_in(client, fair["organizer"])
    page = text(client.get(_moderation(fair["event"])))
    article = re.search(rf'data-media-id="{item.id}".*?</article>', page, re.S).group(0)
    assert article.count('name="shown_state" value="pending"') == 2


# 6. Singular flashes


def test_a_pavilion_deleted_with_one_booth_says_booth_in_the_singular(app, client, fair):
    event, startups = fair["event"], fair["startups"]
    sign_in(client, fair["organizer"])
    page = text(client.post(manage(event, f"/pavilions/{startups.id}/delete"), data={"confirm": "y"}, follow_redirects=True))
    assert trn(app, "Pavilion %(name)s deleted; its %(num)d booth stays in the hall without a pavilion.",
               "Pavilion %(name)s deleted; its %(num)d booths stay in the hall without a pavilion.", 1, name="Startup") in page
    assert "1 booths" not in page


def test_a_booth_with_one_media_item_says_item_in_the_singular(app, client, fair):
    event, booth = fair["event"], fair["qlue"]
    make_media(booth, "poster", "approved")
    sign_in(client, fair["organizer"])
    singular = trn(app, "This booth has %(num)d media item. Delete it (or ask the exhibitor to) before deleting the booth.",
                   "This booth has %(num)d media items. Delete them (or ask the exhibitor to) before deleting the booth.", 1)
    assert singular in text(client.get(manage(event, f"/booths/{booth.id}")))
    refused = text(client.post(manage(event, f"/booths/{booth.id}/delete"), data={"confirm": "y"}, follow_redirects=True))
    assert singular in refused and "1 media items" not in refused
