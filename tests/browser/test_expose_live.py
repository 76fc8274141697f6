"""The timekeeper starts a talk; the hall display follows by itself and the countdown runs, then shows the overrun in red."""
import re
from datetime import timedelta

from playwright.sync_api import Page, expect

from eventsys.exposes.models import Performance
from eventsys.extensions import db
from tests.conftest import PASSWORD
from tests.helpers import fresh
from tests.test_expose_live import room  # noqa: F401  (the fixture)


def test_the_hall_display_and_the_countdown_update_by_themselves(page: Page, live_server, room):  # noqa: F811
    user, event, ballroom, (semarang, _banyuwangi, _badung), _block = room
    problems = []

    def watch(tab):  # script errors and CSP refusals (a missing favicon is not ours to judge here)
        tab.on("pageerror", lambda error: problems.append(str(error)))
        tab.on("console", lambda m: problems.append(m.text) if m.type == "error" and "favicon" not in m.location.get("url", "") else None)

    watch(page)

    hall = page.context.browser.new_context().new_page()
    watch(hall)
    hall.goto(f"{live_server}/e/{event.slug}/expose/hall/{ballroom.id}")
    current = hall.locator("[data-slot=current]")
    expect(current.locator("[data-role=card]")).to_be_hidden()
    expect(hall.locator("[data-slot=next] [data-role=organization]")).to_have_text("Kota Semarang")

    page.goto(f"{live_server}/login")
    page.fill("input[name=email]", user.email)
    page.fill("input[name=password]", PASSWORD)
    page.locator("form button[type=submit]").last.click()
    page.goto(f"{live_server}/manage/{event.slug}/expose/live/{ballroom.id}")
    page.locator("[data-slot=next] [data-testid=action-start]").click()
    expect(page.locator("[data-slot=current] [data-role=organization]")).to_have_text("Kota Semarang")
    countdown = page.locator("[data-testid=countdown]")
    expect(countdown).to_have_text(re.compile(r"^\d\d:\d\d$"))
    first = countdown.text_content()
    expect(countdown).not_to_have_text(first, timeout=5000)  # it ticks without a reload

    # The hall display, never reloaded, follows within a poll.
    expect(current.locator("[data-role=organization]")).to_have_text("Kota Semarang", timeout=15000)
    expect(hall.locator("[data-slot=next] [data-role=organization]")).to_have_text("Kab. Banyuwangi")

    # Twenty minutes in (moved back in the record): the timekeeper's page picks it up and shows the overrun in red.
    performance = fresh().get(Performance, semarang.id)
    performance.started_at = performance.started_at - timedelta(minutes=20)
    db.session.commit()
    expect(countdown).to_have_text(re.compile(r"^\+0[67]:\d\d$"), timeout=15000)
    expect(countdown).to_have_class(re.compile("overrun"))
    assert problems == []
