"""The scanner's headline for another event's ticket, online and offline (QA round 4 of check-in)."""
from playwright.sync_api import expect

from eventsys.attendance import devices
from eventsys.extensions import db
from eventsys.registration import tickets
from tests.browser.test_scanner import _open_paired, door  # noqa: F401 - the door fixture
from tests.helpers import tr


def test_another_events_ticket_is_headed_as_such_online_and_offline(page, live_server, door, app, organizer, make_event,  # noqa: F811
                                                                     make_registration):
    event, _checkpoint, _azis, _ridwan = door
    user, _event = organizer
    elsewhere, _ = make_registration(make_event(name="Forum Kota Cerdas 2017"), name="Bima Arya")
    _device, token = devices.pair_browser(db.session, event, user, name="Pintu utama 6")
    db.session.commit()
    _open_paired(page, live_server, event, token)
    result, title, note = (page.locator(f"[data-testid={t}]") for t in ("result", "result-title", "result-note"))
    field = page.locator("[data-testid=code-input]")
    code = tickets.token_for(elsewhere.ticket)

    field.fill(code)
    field.press("Enter")  # online: the server's line names the event; the reason code stays not_allowed_here
    expect(note).to_have_text(tr(app, "This ticket is for another event: %(name)s.", name="Forum Kota Cerdas 2017"))
    expect(result).to_have_attribute("data-result", "not_allowed_here")
    expect(title).to_have_text(tr(app, "Ticket for another event"))

    page.context.set_offline(True)
    page.wait_for_timeout(2100)  # past the double-read window: the same code again is a new scan
    field.fill(code)
    field.press("Enter")
    expect(note).to_have_text(tr(app, "This ticket is for another event."))
    expect(result).to_have_attribute("data-result", "not_allowed_here")
    expect(title).to_have_text(tr(app, "Ticket for another event"))
