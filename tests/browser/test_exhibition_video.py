"""A visitor plays an approved booth video in Chromium and jumps to second 2: the player seeks through
HTTP Range requests (206 Partial Content) and the play is counted as a view of the item."""
import re
from datetime import timedelta

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import select

from eventsys.core.storage import get_storage
from eventsys.exhibition.models import Visit
from eventsys.extensions import db
from tests.exhibition_helpers import make_booth, make_exhibition, make_media
from tests.exhibition_media_helpers import make_test_video, png_bytes
from tests.helpers import fresh

WAIT = 20_000  # ms: a busy 2-core machine


@pytest.fixture
def booth_with_video(app, make_event, make_organization, tmp_path, request):
    """An open exhibition whose booth shows one approved video of a few seconds, stored like an upload."""
    fmt = request.param
    (tmp_path / "media").mkdir()
    path = make_test_video(tmp_path / "media" / f"psc119.{fmt}", seconds=6, size="320x180", fmt=fmt)
    size = path.stat().st_size
    key = get_storage(app).save_file(path, "." + fmt)
    event = make_exhibition(app, make_event, opens_in=-timedelta(days=1))
    booth = make_booth(event, make_organization(name="Kota Cirebon"), description="Cirebon Katon")
    item = make_media(booth, "video", "approved", title="PSC 119 Cirebon", file_key=key)
    item.content_type, item.size = f"video/{fmt}", size
    db.session.commit()
    return event, booth, item


def _codec_playable(page: Page, live_server: str, mime: str) -> bool:
    page.goto(f"{live_server}/")
    return page.evaluate("(m) => document.createElement('video').canPlayType(m)", mime) != ""


@pytest.mark.parametrize("booth_with_video", ["mp4"], indirect=True)
def test_a_booth_video_plays_and_seeks_through_range_requests(page: Page, live_server, booth_with_video):
    event, booth, item = booth_with_video
    if not _codec_playable(page, live_server, 'video/mp4; codecs="avc1.42E01E"'):
        pytest.skip("this Chromium build has no H.264 decoder")  # Debian's has one; the WebM case below always runs
    _play_and_seek(page, live_server, event, booth, item)


def _play_and_seek(page: Page, live_server, event, booth, item):
    problems, media_responses = [], []
    file_path = f"/exhibition/{event.slug}/media/{item.id}"  # read here: the handlers below run outside the app context
    page.on("pageerror", lambda error: problems.append(str(error)))
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" and "favicon" not in m.location.get("url", "") else None)
    page.on("response", lambda r: media_responses.append((r.status, r.request.headers.get("range"))) if r.url.endswith(file_path) else None)

    page.goto(f"{live_server}/exhibition/{event.slug}/booths/{booth.id}")
    video = page.locator("[data-testid=booth-video]")
    expect(video).to_have_attribute("preload", "metadata")
    page.wait_for_function("v => v.readyState >= 1 && v.duration > 0", arg=video.element_handle(), timeout=WAIT)
    duration = video.evaluate("v => v.duration")
    assert duration > 2.5

    video.evaluate("v => { v.muted = true; return v.play(); }")
    page.wait_for_function("v => v.currentTime > 0", arg=video.element_handle(), timeout=WAIT)
    video.evaluate("v => v.pause()")

    video.evaluate("""v => new Promise((resolve, reject) => {
        v.addEventListener('seeked', () => resolve(v.currentTime), {once: true});
        v.addEventListener('error', () => reject(new Error('media error ' + (v.error && v.error.code))), {once: true});
        v.currentTime = 2;
    })""")
    assert abs(video.evaluate("v => v.currentTime") - 2) < 0.25
    assert video.evaluate("v => v.error") is None

    assert any(status == 206 and (rng or "").startswith("bytes=") for status, rng in media_responses), media_responses
    assert all(status in (200, 206, 304) for status, _ in media_responses), media_responses
    # The play was counted (navigator.sendBeacon) as one view of the item.
    for _ in range(100):
        if fresh().scalars(select(Visit).where(Visit.media_id == item.id)).all():
            break
        page.wait_for_timeout(100)
    assert len(fresh().scalars(select(Visit).where(Visit.media_id == item.id)).all()) == 1
    assert problems == []


@pytest.mark.parametrize("booth_with_video", ["webm"], indirect=True)
def test_a_webm_video_seeks_too_and_a_poster_zooms(app, page: Page, live_server, booth_with_video):
    event, booth, item = booth_with_video
    poster = make_media(booth, "poster", "approved", title="Poster PSC 119", file_key=get_storage(app).save(png_bytes(400), ".png"))
    _play_and_seek(page, live_server, event, booth, item)

    page.get_by_role("button", name=re.compile("Poster PSC 119")).click()
    lightbox = page.locator("#exh-lightbox")
    expect(lightbox).to_be_visible()
    page.wait_for_function("() => document.querySelector('#exh-lightbox img').naturalWidth === 400", timeout=WAIT)
    lightbox.locator("[data-zoom=in]").click()
    lightbox.locator("[data-zoom=in]").click()
    expect(lightbox).to_have_attribute("data-scale", "2.25")
    lightbox.locator("[data-zoom=out]").click()
    expect(lightbox).to_have_attribute("data-scale", "1.5")
    page.keyboard.press("Escape")
    expect(lightbox).to_be_hidden()

    # Opened again: still one view of the poster, as playing a video twice is one view.
    page.get_by_role("button", name=re.compile("Poster PSC 119")).click()
    expect(lightbox).to_be_visible()
    page.keyboard.press("Escape")
    poster_views = select(Visit).where(Visit.media_id == poster.id)
    for _ in range(100):
        if fresh().scalars(poster_views).all():
            break
        page.wait_for_timeout(100)
    page.wait_for_timeout(500)  # time for a second beacon to arrive, were one sent
    assert len(fresh().scalars(poster_views).all()) == 1
