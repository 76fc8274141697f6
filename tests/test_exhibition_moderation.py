"""Moderation: the queue (pending, failed apart), approve / reject with a reason, decisions changed later, mail to exhibitors."""
import re

import pytest
from sqlalchemy import func, select

from eventsys.core.i18n import local_time
from eventsys.core.models import OutboxMessage
from eventsys.core.rules import RuleViolation
from eventsys.core.storage import get_storage
from eventsys.exhibition import moderation
from eventsys.exhibition.models import MediaItem, MediaState
from eventsys.extensions import db
from tests.exhibition_helpers import make_booth, make_exhibition, make_exhibitor, make_media
from tests.helpers import field_errors, fresh, sign_in, text, tr


@pytest.fixture
def desk(app, make_event, make_user, make_organization):
    """An exhibition with Kota Cirebon's booth (two exhibitors: one reads English, one Indonesian) and its organizer."""
    event = make_exhibition(app, make_event, slug="pameran-cirebon")
    org = make_organization(name="Kota Cirebon")
    booth = make_booth(event, org)
    english = make_exhibitor(make_user, event, org, email="rina@cirebonkota.go.id", name="Rina")
    english.locale = "en"
    indonesian = make_exhibitor(make_user, event, org, email="agus@cirebonkota.go.id", name="Agus")
    indonesian.locale = "id"
    db.session.commit()
    organizer = make_user(email="panitia@kominfo.go.id", name="Panitia", event=event, role="organizer")
    return {"event": event, "org": org, "booth": booth, "english": english, "indonesian": indonesian, "organizer": organizer}


def url(event, path=""):
    return f"/manage/{event.slug}/exhibition/moderation{path}"


def mails(kind=None):
    query = select(OutboxMessage).order_by(OutboxMessage.to_email)
    if kind:
        query = query.where(OutboxMessage.kind == kind)
    return list(fresh().scalars(query))


def test_the_queue_shows_pending_booth_and_stage_items_and_failed_ones_apart(app, client, desk):
    event, booth = desk["event"], desk["booth"]
    pending = make_media(booth, "poster", "pending", title="Poster PSC 119", thumb_key="thumbs/abc.jpg")
    stage = make_media(None, "video", "pending", event=event, on_stage=True, title="Tari Topeng Cirebon")
    failed = make_media(booth, "video", "failed", title="Video terpotong", problem="The video ends early.")
    make_media(booth, "poster", "processing", title="Masih diproses")
    approved = make_media(booth, "poster", "approved", title="Sudah disetujui")
    sign_in(client, desk["organizer"])
    body = text(client.get(url(event)))
    pending_part, rest = body.split('data-testid="failed"')
    failed_part, decided_part = rest.split('data-testid="decided"')
    assert "Poster PSC 119" in pending_part and "Tari Topeng Cirebon" in pending_part
    assert f"/exhibition/{event.slug}/media/{pending.id}/thumb" in pending_part  # the thumbnail
    assert tr(app, "No preview") in pending_part  # the stage video has no thumbnail yet
    assert "Video terpotong" in failed_part and "The video ends early." in failed_part
    assert "Sudah disetujui" in decided_part and "Masih diproses" not in body
    assert {stage.id, pending.id} == {i.id for i in moderation.queue(fresh(), event)}
    assert [i.id for i in moderation.failed(fresh(), event)] == [failed.id]
    assert approved.id in {i.id for i in moderation.decided(fresh(), event)}


def test_the_moderator_watches_the_video_and_opens_the_poster_before_deciding(app, client, desk):
    event, booth = desk["event"], desk["booth"]
    storage = get_storage(app)
    video = make_media(booth, "video", "pending", title="Video PSC 119", file_key=storage.save(b"\x00\x00\x00\x18ftypmp42", ".mp4"))
    poster = make_media(booth, "poster", "pending", title="Poster PSC 119", file_key=storage.save(b"\xff\xd8\xff poster", ".jpg"))
    sign_in(client, desk["organizer"])
    page = text(client.get(url(event)))
    video_url, poster_url = f"/exhibition/{event.slug}/media/{video.id}", f"/exhibition/{event.slug}/media/{poster.id}"
    watch = re.search(r'data-testid="moderation-watch">.*?</details>', page, re.S).group(0)
    assert f'src="{video_url}"' in watch and tr(app, "Watch the video") in watch
    assert f'href="{poster_url}"' in page and tr(app, "Open the whole file") in page
    assert client.get(video_url).data == b"\x00\x00\x00\x18ftypmp42"  # the organizer may fetch a pending file
    assert client.get(poster_url).data == b"\xff\xd8\xff poster"
    assert app.test_client().get(video_url).status_code == 404  # nobody else may


def test_an_item_the_exhibitor_changed_after_the_page_opened_is_not_approved_unseen(app, client, desk, make_app):
    event, booth = desk["event"], desk["booth"]
    item = make_media(booth, "poster", "pending", title="Poster PSC 119", description="Layanan darurat")
    sign_in(client, desk["organizer"])
    seen = re.search(r'name="seen" value="([0-9a-f]+)"', text(client.get(url(event)))).group(1)
    changed = fresh().get(MediaItem, item.id)  # meanwhile the exhibitor rewrites it
    changed.title, changed.description = "Poster PSC 119 — versi baru", "Teks yang belum ditinjau"
    db.session.commit()
    refused = client.post(url(event, f"/{item.id}/approve"), data={"seen": seen}, follow_redirects=True)
    message = "The exhibitor changed “%(title)s” after you opened this page. Look at it again before you approve it."
    assert tr(app, message, title="Poster PSC 119 — versi baru") in text(refused)
    assert fresh().get(MediaItem, item.id).state == MediaState.PENDING and not mails()
    seen = re.search(r'name="seen" value="([0-9a-f]+)"', text(client.get(url(event)))).group(1)  # looked at again
    assert client.post(url(event, f"/{item.id}/approve"), data={"seen": seen}).status_code == 302
    assert fresh().get(MediaItem, item.id).state == MediaState.APPROVED


def test_approving_records_who_and_when_and_mails_each_exhibitor_in_their_language(app, client, desk):
    event, booth = desk["event"], desk["booth"]
    item = make_media(booth, "poster", "pending", title="Poster PSC 119")
    sign_in(client, desk["organizer"])
    response = client.post(url(event, f"/{item.id}/approve"))
    assert response.status_code == 302
    stored = fresh().get(MediaItem, item.id)
    assert stored.state == MediaState.APPROVED and stored.reviewed_by_id == desk["organizer"].id and stored.reviewed_at is not None
    agus, rina = mails("exhibition_approved")
    assert (agus.to_email, rina.to_email) == ("agus@cirebonkota.go.id", "rina@cirebonkota.go.id")
    assert agus.subject == tr(app, "Approved: %(title)s", title="Poster PSC 119", locale="id")
    assert rina.subject == tr(app, "Approved: %(title)s", title="Poster PSC 119", locale="en")
    assert f"/exhibit/{event.slug}/booth/{booth.id}/media" in rina.body_text
    # A two-week opening period: its first opening and last closing hour, not "08:00–17:00" as if daily.
    opens, closes = local_time(event.starts_at, event.timezone), local_time(event.ends_at, event.timezone)
    period = "from %(opens)s on the first day until %(closes)s on the last"
    assert tr(app, period, locale="en", opens=opens, closes=closes) in rina.body_text
    assert tr(app, period, locale="id", opens=opens, closes=closes) in agus.body_text
    # Approving again changes nothing and mails nobody.
    client.post(url(event, f"/{item.id}/approve"))
    assert len(mails()) == 2


def test_rejecting_needs_a_reason_that_reaches_the_exhibitor(app, client, desk):
    event, booth = desk["event"], desk["booth"]
    item = make_media(booth, "video", "pending", title="Video Bus Wisata")
    sign_in(client, desk["organizer"])
    empty = client.post(url(event, f"/{item.id}/reject"), data={f"r{item.id}-reason": "   "})
    assert empty.status_code == 400
    assert field_errors(empty, f"r{item.id}-reason") == [tr(app, "Give a reason: the exhibitor needs to know what to change.")]
    assert fresh().get(MediaItem, item.id).state == MediaState.PENDING and not mails()

    reason = "Suara tidak terdengar; unggah ulang dengan audio."
    assert client.post(url(event, f"/{item.id}/reject"), data={f"r{item.id}-reason": reason}).status_code == 302
    stored = fresh().get(MediaItem, item.id)
    assert (stored.state, stored.reject_reason, stored.reviewed_by_id) == (MediaState.REJECTED, reason, desk["organizer"].id)
    agus, rina = mails("exhibition_rejected")
    assert reason in agus.body_text and reason in rina.body_html
    assert rina.subject == tr(app, "Not approved: %(title)s", title="Video Bus Wisata", locale="en")
    assert tr(app, "Reason:", locale="id") in agus.body_text


def test_a_rejected_item_can_be_approved_later_and_an_approved_one_taken_down(app, client, desk):
    event, booth = desk["event"], desk["booth"]
    item = make_media(booth, "poster", "rejected", reject_reason="Buram")
    sign_in(client, desk["organizer"])
    client.post(url(event, f"/{item.id}/approve"))
    stored = fresh().get(MediaItem, item.id)
    assert (stored.state, stored.reject_reason) == (MediaState.APPROVED, "")
    client.post(url(event, f"/{item.id}/reject"), data={f"r{item.id}-reason": "Hak cipta musik"})
    stored = fresh().get(MediaItem, item.id)
    assert (stored.state, stored.reject_reason) == (MediaState.REJECTED, "Hak cipta musik")
    assert len(mails()) == 4  # two decisions, two exhibitors each


@pytest.mark.parametrize("state, message", [
    ("processing", "This item is still being processed. Try again in a minute."),
    ("failed", "This item could not be processed, so there is nothing to approve; the exhibitor has to upload it again."),
])
def test_items_without_a_result_cannot_be_decided(app, client, desk, state, message):
    event = desk["event"]
    item = make_media(desk["booth"], "video", state)
    sign_in(client, desk["organizer"])
    for action, data in (("approve", {}), ("reject", {f"r{item.id}-reason": "Tidak jelas"})):
        response = client.post(url(event, f"/{item.id}/{action}"), data=data, follow_redirects=True)
        assert tr(app, message) in text(response)
    assert fresh().get(MediaItem, item.id).state == MediaState(state) and not mails()


def test_a_stage_item_is_moderated_and_its_uploader_told(app, client, desk, make_user):
    event = desk["event"]
    uploader = make_user(email="stage@kominfo.go.id", name="Tim Panggung", event=event, role="organizer")
    item = make_media(None, "video", "pending", event=event, on_stage=True, title="Tari Topeng", uploaded_by=uploader)
    sign_in(client, desk["organizer"])
    client.post(url(event, f"/{item.id}/approve"))
    assert fresh().get(MediaItem, item.id).state == MediaState.APPROVED
    (mail,) = mails()
    assert mail.to_email == "stage@kominfo.go.id" and f"/exhibit/{event.slug}/stage" in mail.body_text


def test_items_of_another_event_are_not_found(app, client, desk, make_event, make_organization):
    other = make_exhibition(app, make_event)
    item = make_media(make_booth(other, make_organization(name="Kab. Cirebon")), "poster", "pending")
    sign_in(client, desk["organizer"])
    assert client.post(url(desk["event"], f"/{item.id}/approve")).status_code == 404
    assert client.post(url(desk["event"], f"/{item.id}/reject"), data={f"r{item.id}-reason": "x"}).status_code == 404
    assert fresh().get(MediaItem, item.id).state == MediaState.PENDING


def test_exhibitors_jurors_and_visitors_cannot_moderate(app, client, desk, make_user):
    event = desk["event"]
    item = make_media(desk["booth"], "poster", "pending")
    juror = make_user(email="juri@kominfo.go.id", event=event, role="juror")
    assert client.post(url(event, f"/{item.id}/approve")).status_code == 302  # anonymous: to sign in
    for user in (desk["english"], juror):
        sign_in(client, user)
        assert client.get(url(event)).status_code == 403
        assert client.post(url(event, f"/{item.id}/approve")).status_code == 403
        client.post("/logout")
    assert fresh().get(MediaItem, item.id).state == MediaState.PENDING


def test_the_service_refuses_an_overlong_reason_and_stores_nothing(app, desk):
    item = make_media(desk["booth"], "poster", "pending")
    with pytest.raises(RuleViolation) as refused:
        moderation.reject(db.session, item, desk["organizer"], "x" * (moderation.MAX_REASON + 1))
    assert refused.value.field == "reason"
    db.session.rollback()
    assert fresh().get(MediaItem, item.id).state == MediaState.PENDING
    assert fresh().scalar(select(func.count(OutboxMessage.id))) == 0
