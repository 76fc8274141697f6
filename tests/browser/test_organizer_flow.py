"""An organizer signs in, creates an event with two agenda sessions, and sees them in public."""
import re

from playwright.sync_api import Page, expect

from tests.conftest import PASSWORD


def test_organizer_creates_event_and_visitor_switches_to_english(page: Page, live_server, make_user, make_venue, make_event):
    make_venue(name="Hotel Santika Premiere Jakarta", rooms=(("Ballroom", 500), ("Ruang B", 80)))
    # An organizer of an earlier event may create new ones.
    earlier = make_event(name="Bimtek Masterplan 2017", slug="bimtek-2017")
    make_user(email="panitia@kominfo.go.id", name="Panitia Kominfo", event=earlier, role="organizer")

    page.goto(f"{live_server}/login")
    page.fill("input[name=email]", "panitia@kominfo.go.id")
    page.fill("input[name=password]", PASSWORD)
    page.locator("form button[type=submit]").last.click()
    expect(page).to_have_url(re.compile(r"/dashboard$"))

    page.click("[data-testid=new-event]")
    page.fill("input[name=name]", "Ekspos Masterplan Smart City 2017")
    page.select_option("select[name=kind]", "expose")
    page.select_option("select[name=status]", "published")
    page.select_option("select[name=timezone]", "Asia/Jakarta")
    page.fill("input[name=starts_at]", "2017-11-15T08:00")
    page.fill("input[name=ends_at]", "2017-11-15T22:00")
    page.select_option("select[name=venue_id]", label="Hotel Santika Premiere Jakarta")
    page.locator("[data-testid=event-form] button[type=submit]").click()
    expect(page).to_have_url(re.compile(r"/manage/ekspos-masterplan-smart-city-2017/agenda/$"))

    sessions = [
        ("Pembukaan dan sambutan Menteri Kominfo", "opening", "Ballroom (500)", "2017-11-15T19:00", "2017-11-15T19:30", "Rudiantara; Menteri Komunikasi dan Informatika; Kominfo"),
        ("Ekspos Kota Cirebon", "expose_block", "Ballroom (500)", "2017-11-15T19:30", "2017-11-15T19:45", "Drs. Nasrudin Azis, SH; Wali Kota Cirebon; Kota Cirebon"),
    ]
    for title, kind, room, start, end, speaker in sessions:
        form = page.locator("[data-testid=session-form]")
        form.locator("input[name=title]").fill(title)
        form.locator("select[name=session_type]").select_option(kind)
        form.locator("select[name=room_id]").select_option(label=room)
        form.locator("input[name=starts_at]").fill(start)
        form.locator("input[name=ends_at]").fill(end)
        form.locator("textarea[name=speakers]").fill(speaker)
        form.locator("button[type=submit]").click()
        expect(page.locator("[data-testid=manage-session]").filter(has_text=title)).to_be_visible()

    # A third session in the same room at the same time is refused beside its field.
    form = page.locator("[data-testid=session-form]")
    form.locator("input[name=title]").fill("Bentrok")
    form.locator("select[name=room_id]").select_option(label="Ballroom (500)")
    form.locator("input[name=starts_at]").fill("2017-11-15T19:40")
    form.locator("input[name=ends_at]").fill("2017-11-15T20:00")
    form.locator("button[type=submit]").click()
    expect(page.locator(".field-error")).to_contain_text("Ballroom")
    expect(page.locator("[data-testid=manage-session]")).to_have_count(2)

    # Visitors (a fresh browser context: not signed in) see the agenda in Indonesian first.
    visitor = page.context.browser.new_context()
    public = visitor.new_page()
    public.goto(f"{live_server}/e/ekspos-masterplan-smart-city-2017")
    items = public.locator("[data-testid=agenda-item]")
    expect(items).to_have_count(2)
    expect(items.nth(0)).to_contain_text("19:00–19:30")
    expect(items.nth(1)).to_contain_text("Nasrudin Azis")
    expect(public.locator("[data-testid=agenda-day] h3")).to_have_text("Rabu, 15 November 2017")

    public.click("[data-testid=lang-en]")
    expect(public.locator("[data-testid=agenda-day] h3")).to_have_text("Wednesday, November 15, 2017")
    expect(public.locator("html")).to_have_attribute("lang", "en")
    # The choice is remembered on the next page.
    public.goto(f"{live_server}/")
    expect(public.locator("html")).to_have_attribute("lang", "en")
    visitor.close()
