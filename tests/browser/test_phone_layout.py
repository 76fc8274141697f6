"""On a 390 px phone an organizer's pages fit the screen (menus wrap, wide tables scroll in their wrapper)
and a booth's poster opens in the lightbox at a visible size."""
import io
import re
from datetime import timedelta

from PIL import Image
from playwright.sync_api import Page, expect

from eventsys.core.storage import get_storage
from eventsys.events.dimensions import Dimension
from eventsys.exhibition.models import QuickWin
from eventsys.extensions import db
from tests.conftest import PASSWORD
from tests.exhibition_helpers import make_booth, make_exhibition, make_media

PHONE = {"width": 390, "height": 844}


def tall_png(width=300, height=1200) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (width, height), (200, 80, 20)).save(out, "PNG")
    return out.getvalue()


def test_organizer_pages_fit_a_phone_and_a_poster_opens_visibly(app, page: Page, live_server, make_event, make_user,
                                                                make_organization):
    event = make_exhibition(app, make_event, name="Pameran Virtual Smart City Kabupaten dan Kota 2021", opens_in=-timedelta(days=1))
    booth = make_booth(event, make_organization(name="Kota Cirebon"), dimensions=("living",))
    booth.programmes = [QuickWin(title="Public Safety Center 119 Kabupaten Cirebon", dimension=Dimension.LIVING,
                                 responsible_opd="Dinas Kesehatan Kabupaten Cirebon")]
    db.session.commit()
    # A poster taller than the phone's screen.
    key = get_storage(app).save(tall_png(), ".png")
    make_media(booth, "poster", "approved", title="Poster PSC 119", file_key=key, thumb_key=key, width=300, height=1200)
    make_user(email="panitia@kominfo.go.id", name="Panitia Direktorat Layanan Aplikasi", event=event, role="organizer")
    slug, booth_id = event.slug, booth.id

    page.set_viewport_size(PHONE)
    page.goto(f"{live_server}/login")
    page.fill("input[name=email]", "panitia@kominfo.go.id")
    page.fill("input[name=password]", PASSWORD)
    page.locator("form button[type=submit]").last.click()
    expect(page).to_have_url(re.compile(r"/dashboard$"))

    for path in (f"/manage/{slug}/desk",  # the signed-in header, the event, check-in and desk menus
                 f"/manage/{slug}/exhibition/booths",  # the exhibition menu
                 f"/exhibit/{slug}/booth/{booth_id}/programmes",  # the exhibitor's programmes table
                 f"/exhibit/{slug}/booth/{booth_id}/media"):  # the media list with its thumbnails
        page.goto(live_server + path)
        widths = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
        assert widths[0] <= widths[1], f"{path} is {widths[0]} px wide on a {widths[1]} px phone"
    assert page.locator("img.media-thumb").bounding_box()["width"] >= 60  # Pico's max-width squeezed it to 0 px

    page.goto(f"{live_server}/exhibition/{slug}/booths/{booth_id}")
    page.get_by_role("button", name=re.compile("Poster PSC 119")).click()
    image = page.locator("#exh-lightbox img")
    expect(image).to_be_visible()
    page.wait_for_function("() => document.querySelector('#exh-lightbox img').naturalWidth === 300")
    box = image.bounding_box()
    # The poster is shown whole ("Fit"): visible, within the screen's width and height.
    assert 0 < box["width"] <= PHONE["width"] and box["x"] >= 0
    assert box["y"] + box["height"] <= PHONE["height"]
