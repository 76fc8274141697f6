"""The operator moves through the cues on one page; the stage screen (opened with its link, nobody signed in)
follows by itself, shows the nominees and then, from the reveal on, the winner, without ever reloading."""
from playwright.sync_api import Page, expect

from eventsys.awards.stage_views import screen_token
from tests.conftest import PASSWORD
from tests.test_award_stage import night  # noqa: F401  (the fixture)


def test_the_stage_screen_follows_the_operator_without_a_reload(page: Page, live_server, night, app):  # noqa: F811
    user, event, _cues, _winner, _recipient = night
    with app.test_request_context():
        key = screen_token(event)
    problems = []

    def watch(tab):
        tab.on("pageerror", lambda error: problems.append(str(error)))
        tab.on("console", lambda m: problems.append(m.text) if m.type == "error" and "favicon" not in m.location.get("url", "") else None)

    screen = page.context.browser.new_context().new_page()
    watch(screen)
    watch(page)
    screen.goto(f"{live_server}/stage/{event.slug}/screen?key={key}")
    title = screen.locator("[data-testid=stage-title]")
    expect(title).to_have_text(event.name)
    screen.evaluate("window.__stageMarker = 'still here'")

    page.goto(f"{live_server}/login")
    page.fill("input[name=email]", user.email)
    page.fill("input[name=password]", PASSWORD)
    page.locator("form button[type=submit]").last.click()
    page.goto(f"{live_server}/manage/{event.slug}/awards/stage")
    page.locator("[data-testid=step-start]").click()
    expect(title).to_have_text("Pembukaan", timeout=15000)

    page.locator("[data-testid=step-next]").click()  # the nominees
    expect(title).to_have_text("Smart Governance Terbaik", timeout=15000)
    expect(screen.locator("[data-testid=stage-nominees] li")).to_have_count(3)
    expect(screen.locator("[data-testid=stage-winner]")).to_have_count(0)

    page.locator("[data-testid=step-next]").click()  # the reveal
    winner = screen.locator("[data-testid=stage-winner] [data-role=winner-name]")
    expect(winner).to_have_text("Kab. Cirebon", timeout=15000)
    expect(screen.locator("[data-testid=stage-nominees]")).to_be_hidden()
    assert screen.evaluate("window.__stageMarker") == "still here"  # no navigation happened
    assert problems == []
