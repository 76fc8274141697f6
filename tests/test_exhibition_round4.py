"""Exhibition (QA round 4): a rejected item cannot be approved beside an approved copy of its file, the
moderation page marks copies, and a renamed pavilion shows in the cached hall at once."""
# ruff: noqa: F811  (fixtures imported from the modules that define them)
from html import unescape

from eventsys.exhibition.models import MediaItem, MediaState
from tests.exhibition_helpers import make_media
from tests.helpers import fresh, sign_in, text, tr
from tests.test_exhibition_hall import hall_url, open_hall  # noqa: F401
from tests.test_exhibition_moderation import desk, url  # noqa: F401

DIGEST = "ab" * 32


def test_a_rejected_item_is_not_approved_beside_an_approved_copy_of_its_file(app, client, desk):
    event, booth = desk["event"], desk["booth"]
    first = make_media(booth, "video", "rejected", title="Video QA satu", reject_reason="Buram", content_sha256=DIGEST)
    again = make_media(booth, "video", "pending", title="Video QA ulang", content_sha256=DIGEST)
    sign_in(client, desk["organizer"])
    queue = unescape(text(client.get(url(event, ""))))
    assert tr(app, "The same file as “%(title)s”.", title="Video QA satu") in queue  # the moderator sees it is a copy

    assert client.post(url(event, f"/{again.id}/approve")).status_code == 302
    refused = client.post(url(event, f"/{first.id}/approve"), follow_redirects=True)
    message = tr(app, "“%(other)s” holds the same file and is already approved, so “%(title)s” would show it twice. "
                      "Take “%(other)s” down first if this one should be shown instead.", other="Video QA ulang", title="Video QA satu")
    assert message in unescape(text(refused))
    assert fresh().get(MediaItem, first.id).state == MediaState.REJECTED  # nothing changed

    client.post(url(event, f"/{again.id}/reject"), data={f"r{again.id}-reason": "Cukup satu"})  # taken down: the first may go up
    assert client.post(url(event, f"/{first.id}/approve")).status_code == 302
    assert fresh().get(MediaItem, first.id).state == MediaState.APPROVED


def test_items_without_a_known_file_are_approved_as_before(client, desk):
    event, booth = desk["event"], desk["booth"]
    link = make_media(booth, "link", "pending")
    make_media(booth, "link", "approved")  # links hold no file: the same address twice is not this rule's business
    sign_in(client, desk["organizer"])
    client.post(url(event, f"/{link.id}/approve"))
    assert fresh().get(MediaItem, link.id).state == MediaState.APPROVED


def test_a_renamed_pavilion_shows_in_the_cached_hall_at_once(app, client, open_hall, make_user):
    event, b = open_hall
    assert "Startup" in text(client.get(hall_url(event)))  # the anonymous hall is now cached
    organizer = sign_in(app.test_client(), make_user(event=event, role="organizer"))
    renamed = organizer.post(f"/manage/{event.slug}/exhibition/pavilions/{b['startups'].id}", data={"name": "Startup Nasional", "position": "1"})
    assert renamed.status_code == 302
    assert "Startup Nasional" in text(client.get(hall_url(event)))
