"""An exhibitor uploads a poster through the chunked widget, with its dimension and programme; the first chunk's
connection drops and the upload resumes."""
import io
import re

from PIL import Image
from playwright.sync_api import Page, expect
from sqlalchemy import select

from eventsys.events.dimensions import Dimension
from eventsys.exhibition.models import MediaItem, MediaKind, QuickWin, Upload
from eventsys.extensions import db
from tests.conftest import PASSWORD
from tests.exhibition_helpers import make_booth, make_exhibition, make_exhibitor
from tests.helpers import fresh


def test_an_upload_survives_a_dropped_connection(page: Page, live_server, app, make_event, make_organization, make_user, tmp_path):
    event = make_exhibition(app, make_event, slug="pameran")
    organization = make_organization(name="Kota Cirebon")
    booth = make_booth(event, organization)
    programme = QuickWin(booth_id=booth.id, title="PSC 119", dimension=Dimension.LIVING, position=1)
    db.session.add(programme)
    db.session.commit()
    user = make_exhibitor(make_user, event, organization, email="diskominfo@cirebonkota.go.id")
    poster = tmp_path / "poster-psc-119.png"
    buffer = io.BytesIO()
    Image.new("RGB", (400, 300), (20, 120, 200)).save(buffer, "PNG")
    poster.write_bytes(buffer.getvalue())

    page.goto(f"{live_server}/login")
    page.fill("input[name=email]", user.email)
    page.fill("input[name=password]", PASSWORD)
    page.locator("form button[type=submit]").last.click()
    expect(page).to_have_url(re.compile(r"/dashboard$"))
    page.goto(f"{live_server}/exhibit/pameran/booth/{booth.id}/media")

    dropped = []

    def drop_first_chunk(route):
        if route.request.method == "POST" and not dropped:
            dropped.append(route.request.url)
            route.abort("connectionreset")
        else:
            route.continue_()

    page.route(re.compile(r".*/exhibit/pameran/uploads/[A-Za-z0-9_-]+\?offset=\d+$"), drop_first_chunk)
    form = page.locator("[data-testid=upload-form]")
    form.locator("select[name=kind]").select_option("poster")
    form.locator("input[name=title]").fill("Poster PSC 119")
    form.locator("select[name=dimension]").select_option("living")
    form.locator("select[name=quick_win]").select_option(str(programme.id))
    form.locator("input[type=file]").set_input_files(str(poster))
    form.locator("[data-testid=upload-start]").click()
    expect(form.locator("[data-testid=upload-message]")).to_have_attribute("data-kind", "done", timeout=20_000)
    assert dropped, "the first chunk was not intercepted"
    assert form.locator("progress").evaluate("p => p.value === p.max")

    item = fresh().scalar(select(MediaItem))
    assert item.title == "Poster PSC 119" and item.kind == MediaKind.POSTER and item.booth_id == booth.id
    assert (item.dimension, item.quick_win_id) == (Dimension.LIVING, programme.id)
    assert fresh().scalar(select(Upload)) is None
    expect(page.locator("[data-testid=media-item]")).to_have_count(1, timeout=10_000)  # the page lists it by itself
