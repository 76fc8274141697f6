"""The scanning screen in Chromium: a fake camera showing a real ticket, and a door that loses its network."""
import json
from datetime import timedelta

import pytest
from flask_babel import force_locale
from playwright.sync_api import expect
from sqlalchemy import select

from eventsys.attendance import devices, scanning
from eventsys.attendance.models import CheckIn, CheckInSource, EntryPolicy, Scan, ScanResult
from eventsys.core.db import utcnow
from eventsys.core.i18n import local_date, local_time
from eventsys.extensions import db
from eventsys.registration import services as registrations
from eventsys.registration import tickets
from tests.browser.fake_camera import ticket_frame, write_y4m
from tests.helpers import fresh, tr

WAIT = 20_000  # ms: the first decode or sync may take a while on a busy 2-core machine


@pytest.fixture
def door(organizer, make_checkpoint, make_registration):
    """(event, the entrance, two confirmed delegates)."""
    _user, event = organizer
    checkpoint = make_checkpoint(event)
    azis, _ = make_registration(event, name="Nashrudin Azis", position="Wali Kota Cirebon")
    ridwan, _ = make_registration(event, name="Ridwan Kamil", position="Wali Kota Bandung")
    return event, checkpoint, azis, ridwan


def test_the_camera_reads_a_real_ticket_and_the_attendee_is_checked_in(browser_type, browser_type_launch_args, live_server, door, tmp_path):
    event, checkpoint, azis, _ridwan = door
    video = write_y4m(tmp_path / "ticket.y4m", ticket_frame(tickets.qr_png(tickets.token_for(azis.ticket))))
    device, secret = devices.create_device(db.session, event, name="Pintu utama 1")
    db.session.commit()
    args = [*browser_type_launch_args["args"], "--use-fake-device-for-media-stream", "--use-fake-ui-for-media-stream",
            f"--use-file-for-fake-video-capture={video}"]
    browser = browser_type.launch(**{**browser_type_launch_args, "args": args})
    try:
        context = browser.new_context(permissions=["camera"])
        page = context.new_page()
        # The phone opens its pairing link and is sent on to the scanning page.
        page.goto(f"{live_server}/scan/pair/{secret}")
        page.fill("input[name=staff_name]", "Rina (LO)")
        page.click("[data-testid=pair-submit]")
        page.wait_for_url(f"{live_server}/scan/{event.slug}")
        expect(page.locator("[data-testid=net-status]")).to_have_attribute("data-state", "online", timeout=WAIT)
        expect(page.locator("[data-testid=checkpoint]")).to_have_value(str(checkpoint.id))  # the only one: chosen
        expect(page.locator("[data-testid=device-name]")).to_have_text("Pintu utama 1")

        page.click("[data-testid=camera-toggle]")
        result = page.locator("[data-testid=result]")
        expect(result).to_have_attribute("data-state", "green", timeout=WAIT)
        expect(page.locator("[data-testid=result-name]")).to_have_text("Nashrudin Azis")
        expect(page.locator("[data-testid=undo]")).to_be_visible()
        page.click("[data-testid=camera-toggle]")  # stop the camera
        expect(page.locator("#camera-video")).to_be_hidden()
        context.close()
    finally:
        browser.close()

    session = fresh()
    checkin = session.scalars(select(CheckIn)).one()
    assert (checkin.registration_id, checkin.checkpoint_id, checkin.device_id) == (azis.id, checkpoint.id, device.id)
    assert checkin.source == CheckInSource.SCAN
    # The QR stayed in front of the camera, read many times a second; the repeats within a moment are not
    # sent (no timing is asserted here: a scan that did go out again can only be amber).
    scans = session.scalars(select(Scan).order_by(Scan.id)).all()
    assert (scans[0].result, scans[0].offline, scans[0].staff_name, scans[0].device_id) == (ScanResult.OK, False, "Rina (LO)", device.id)
    assert all(s.result == ScanResult.ALREADY_CHECKED_IN for s in scans[1:])


def _open_paired(page, live_server, event, token):
    page.goto(f"{live_server}/scan/{event.slug}")
    page.evaluate("([key, token]) => localStorage.setItem(key, JSON.stringify({token}))", [f"eventsys.scanner.token.{event.slug}", token])
    page.reload()
    expect(page.locator("body")).to_have_attribute("data-ready", "1", timeout=WAIT)


def test_a_double_read_keeps_the_welcome_and_an_unpaired_phone_says_so(page, live_server, door, app, organizer):
    event, _checkpoint, azis, ridwan = door
    user, _event = organizer
    device, token = devices.pair_browser(db.session, event, user, name="Pintu utama 3")
    db.session.commit()
    page.set_viewport_size({"width": 390, "height": 844})
    _open_paired(page, live_server, event, token)
    # Every verdict the screen shows, in order.
    page.evaluate("""() => {
        window.verdicts = [];
        const result = document.getElementById("result");
        new MutationObserver(() => window.verdicts.push(result.dataset.result)).observe(result, {attributes: true, attributeFilter: ["data-result"]});
    }""")
    # A handheld scanner sends the same ticket twice in a moment, then the next person comes.
    page.evaluate("""(code) => {
        const field = document.getElementById("code");
        for (const _ of [1, 2]) {
            field.value = code;
            document.getElementById("code-form").requestSubmit();
        }
    }""", tickets.token_for(azis.ticket))
    field = page.locator("[data-testid=code-input]")
    field.fill(ridwan.ticket.code)
    field.press("Enter")
    expect(page.locator("[data-testid=result-name]")).to_have_text("Ridwan Kamil")
    assert page.evaluate("window.verdicts") == ["ok", "ok"]  # no amber for Azis in between
    assert len(fresh().scalars(select(Scan).where(Scan.registration_id == azis.id)).all()) == 1

    page.click("[data-testid=lang-en]")  # the language switch of every page, here too
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.locator("body")).to_have_attribute("data-ready", "1", timeout=WAIT)
    expect(page.locator("[data-testid=net-status]")).to_have_text(tr(app, "Online", "en"))

    devices.revoke_device(fresh(), device)
    db.session.commit()
    field.fill(azis.ticket.code)
    field.press("Enter")
    unpaired = tr(app, "The organizer unpaired this phone: it can no longer check people in. Ask the organizer for a new pairing link.", "en")
    for _ in range(2):  # as it happens, and after a reload without the token
        expect(page.locator("[data-testid=net-status]")).to_have_attribute("data-state", "revoked")
        expect(page.locator("[data-testid=net-status]")).to_have_text(tr(app, "Unpaired", "en"))
        expect(page.locator("[data-testid=scan-notice]")).to_have_text(unpaired)
        expect(page.locator("[data-testid=unpaired]")).to_be_visible()
        page.reload()


def test_search_marks_follow_the_checkpoint_policy_online_and_offline(page, live_server, organizer, make_checkpoint, make_registration, app):
    user, event = organizer
    checkpoint = make_checkpoint(event, policy=EntryPolicy.ONCE_PER_DAY)
    kamil, _ = make_registration(event, name="Ridwan Kamil")
    saidi, _ = make_registration(event, name="Ridwan Saidi")
    hisjam, _ = make_registration(event, name="Ridwan Hisjam")
    for number in range(21):
        make_registration(event, name=f"Delegasi {number:02}")
    registrations.cancel(db.session, hisjam)
    scanning.scan_code(db.session, event, checkpoint, kamil.ticket.code, nonce="yesterday-1", now=utcnow() - timedelta(days=1))
    today = scanning.scan_code(db.session, event, checkpoint, saidi.ticket.code, nonce="today-0001").checkin
    db.session.commit()
    _device, token = devices.pair_browser(db.session, event, user, name="Meja registrasi")
    db.session.commit()
    page.set_viewport_size({"width": 390, "height": 844})
    _open_paired(page, live_server, event, token)

    search = page.locator("[data-testid=search-input]")
    results = page.locator("[data-testid=search-result]")
    message = page.locator("#search-message")
    for offline in (False, True):
        page.context.set_offline(offline)
        search.fill("Ridwan")
        # Hisjam cancelled (not to be admitted), Kamil only yesterday (welcome today), Saidi today.
        expect(results).to_have_count(3)
        assert [results.nth(i).get_attribute("data-mark") for i in range(3)] == ["cancelled", "", "checked_in_today"]
        expect(results.nth(0)).to_be_disabled()
        expect(results.nth(0).locator("[data-testid=search-mark]")).to_have_text(tr(app, "ticket cancelled"))
        expect(results.nth(2).locator("[data-testid=search-mark]")).to_have_text(tr(app, "checked in today"))
        search.fill("Delegasi")
        expect(results).to_have_count(20)
        expect(message).to_contain_text(tr(app, "More people match than are shown: type more of the name."))

    # Offline, the amber for Saidi says when, as the server would: "07:08 WIB".
    field = page.locator("[data-testid=code-input]")
    field.fill(saidi.ticket.code)
    field.press("Enter")
    expect(page.locator("[data-testid=result]")).to_have_attribute("data-result", "already_checked_in")
    when = local_time(today.at, event.timezone)
    expect(page.locator("[data-testid=result-note]")).to_have_text(tr(app, "Checked in at %(time)s, %(gate)s", time=when, gate=checkpoint.name))


def _queued(page) -> list[dict]:
    return page.evaluate(
        """() => new Promise((resolve, reject) => {
            const open = indexedDB.open("eventsys-scanner");
            open.onsuccess = () => {
                const all = open.result.transaction("queue").objectStore("queue").getAll();
                all.onsuccess = () => resolve(all.result);
                all.onerror = () => reject(all.error);
            };
        })"""
    )


def test_offline_scans_survive_a_reload_and_arrive_once(page, live_server, door, app, organizer, make_scanner):
    event, checkpoint, azis, ridwan = door
    user, _event = organizer
    device, token = devices.pair_browser(db.session, event, user, name="Pintu utama 2")
    db.session.commit()
    other_gate, _secret = make_scanner(event, name="Pintu samping")

    page.goto(f"{live_server}/scan/{event.slug}")
    expect(page.locator("[data-testid=unpaired]")).to_be_visible()
    page.evaluate("([key, token]) => localStorage.setItem(key, JSON.stringify({token}))", [f"eventsys.scanner.token.{event.slug}", token])
    page.reload()
    status = page.locator("[data-testid=net-status]")
    expect(page.locator("body")).to_have_attribute("data-ready", "1", timeout=WAIT)  # the guest list is loaded
    expect(status).to_have_attribute("data-state", "online")
    expect(page.locator("[data-testid=checkpoint]")).to_have_value(str(checkpoint.id))
    expect(page.locator("body")).to_have_attribute("data-offline-ready", "1", timeout=WAIT)

    page.context.set_offline(True)
    expect(status).to_have_attribute("data-state", "offline")
    field = page.locator("[data-testid=code-input]")
    name = page.locator("[data-testid=result-name]")
    result = page.locator("[data-testid=result]")
    for registration in (azis, ridwan):
        field.fill(tickets.token_for(registration.ticket))
        field.press("Enter")
        expect(name).to_have_text(registration.name)
        expect(result).to_have_attribute("data-state", "green")
    waiting = page.locator("[data-testid=queue-count]")
    expect(waiting).to_have_attribute("data-count", "2")

    # A reload without network: the service worker serves the page; the queue and the local check-ins are still there.
    response = page.reload()
    assert response.from_service_worker
    expect(page.locator("body")).to_have_attribute("data-ready", "1", timeout=WAIT)
    expect(status).to_have_attribute("data-state", "offline")
    expect(waiting).to_have_text(tr(app, "%(num)s waiting", num=2), timeout=WAIT)
    field.fill(tickets.token_for(azis.ticket))
    field.press("Enter")
    expect(result).to_have_attribute("data-state", "amber")
    expect(name).to_have_text("Nashrudin Azis")
    expect(waiting).to_have_attribute("data-count", "3")
    queue = _queued(page)
    assert sorted(q["local_result"] for q in queue) == ["already_checked_in", "ok", "ok"]

    # Meanwhile another gate, online, admitted Ridwan Kamil: this device's green for him was wrong.
    ridwan_token = tickets.token_for(ridwan.ticket)
    session = fresh()  # a new transaction: the page's requests wrote since this test last read
    scanning.scan_code(session, event, checkpoint, ridwan_token, nonce="other-gate-1", device=other_gate)
    session.commit()

    page.context.set_offline(False)
    expect(status).to_have_attribute("data-state", "online", timeout=WAIT)
    expect(waiting).to_have_attribute("data-count", "0", timeout=WAIT)
    assert _queued(page) == []
    expect(page.locator("[data-testid=differences]")).to_be_visible()
    expect(page.locator("[data-testid=differences] li")).to_have_count(1)
    expect(page.locator("[data-testid=differences] li")).to_contain_text("Ridwan Kamil")
    expect(page.locator("[data-testid=differences] li")).to_contain_text("Pintu masuk")
    # The same batch again (an answer lost on the way back): nothing is counted twice.
    again = page.evaluate(
        """async ([url, token, scans]) => {
            const reply = await fetch(url, {method: "POST", headers: {"Authorization": `Bearer ${token}`, "Content-Type": "application/json"},
                                            body: JSON.stringify({sent_at: new Date().toISOString(), scans})});
            return reply.json();
        }""",
        [f"{live_server}/api/v1/events/{event.slug}/scans/sync", token,
         [{k: q[k] for k in ("nonce", "code", "checkpoint_id", "direction", "source", "scanned_at", "local_result")} for q in queue]],
    )
    assert [r["replayed"] for r in again["results"]] == [True, True, True], json.dumps(again)[:500]

    session = fresh()
    checkins = session.scalars(select(CheckIn).order_by(CheckIn.id)).all()
    assert sorted(c.registration_id for c in checkins) == sorted([azis.id, ridwan.id])
    assert {c.registration_id: c.device_id for c in checkins} == {azis.id: device.id, ridwan.id: other_gate.id}
    scans = session.scalars(select(Scan).where(Scan.device_id == device.id)).all()
    assert len(scans) == 3 and len({s.nonce for s in scans}) == 3
    assert all(s.offline and s.device_time is not None for s in scans)
    by_person = sorted((s.registration_id == ridwan.id, s.result, s.local_result, s.sync_conflict) for s in scans)
    assert by_person == [
        (False, ScanResult.ALREADY_CHECKED_IN, "already_checked_in", False),
        (False, ScanResult.OK, "ok", False),
        (True, ScanResult.ALREADY_CHECKED_IN, "ok", True),  # shown to organizers, not hidden
    ]


def test_an_unpaired_phone_keeps_its_offline_scans_uncounted_and_a_new_pairing_never_sends_them(page, live_server, door, app, organizer):
    event, checkpoint, azis, ridwan = door
    user, _event = organizer
    two_days_ago = scanning.scan_code(db.session, event, checkpoint, azis.ticket.code, nonce="two-days-ago", now=utcnow() - timedelta(days=2)).checkin
    old_device, old_token = devices.pair_browser(db.session, event, user, name="Pintu utama lama")
    db.session.commit()
    _open_paired(page, live_server, event, old_token)
    field = page.locator("[data-testid=code-input]")
    note = page.locator("[data-testid=result-note]")
    waiting = page.locator("[data-testid=queue-count]")

    page.context.set_offline(True)
    # Azis came two days ago: the amber names the day, as the server would.
    field.fill(azis.ticket.code)
    field.press("Enter")
    expect(page.locator("[data-testid=result]")).to_have_attribute("data-result", "already_checked_in")
    with app.test_request_context(), force_locale("id"):
        when = {"date": local_date(two_days_ago.at, event.timezone), "time": local_time(two_days_ago.at, event.timezone)}
    expect(note).to_have_text(tr(app, "Checked in on %(date)s at %(time)s, %(gate)s", gate=checkpoint.name, **when))
    field.fill(ridwan.ticket.code)
    field.press("Enter")
    expect(page.locator("[data-testid=result-name]")).to_have_text("Ridwan Kamil")
    expect(waiting).to_have_attribute("data-count", "2")

    # The organizer unpairs the phone before it is back online: its two scans were never taken.
    devices.revoke_device(fresh(), old_device)
    db.session.commit()
    page.context.set_offline(False)
    page.evaluate("window.dispatchEvent(new Event('online'))")
    not_sent = page.locator("[data-testid=not-sent]")
    expect(page.locator("[data-testid=net-status]")).to_have_attribute("data-state", "revoked", timeout=WAIT)
    expect(not_sent).to_be_visible()
    expect(page.locator("[data-testid=not-sent-title]")).to_have_text(tr(app, "Scans not counted: %(num)s", num=2))
    expect(not_sent.locator("li")).to_have_count(2)
    expect(not_sent.locator("li").nth(0)).to_contain_text("Nashrudin Azis")
    expect(not_sent.locator("li").nth(1)).to_contain_text("Ridwan Kamil")
    expect(waiting).to_be_hidden()

    # Paired again, as another device: the old scans stay listed and are never sent under its name;
    # its own offline scan is sent, and the green panel then says so.
    new_device, new_token = devices.pair_browser(db.session, event, user, name="Pintu utama baru")
    db.session.commit()
    _open_paired(page, live_server, event, new_token)
    expect(not_sent.locator("li")).to_have_count(2)
    page.context.set_offline(True)
    field.fill(ridwan.ticket.code)
    field.press("Enter")
    expect(page.locator("[data-testid=result]")).to_have_attribute("data-result", "ok")
    expect(note).to_have_text(tr(app, "Checked on this device (offline); it will be sent when the network is back."))
    expect(waiting).to_have_attribute("data-count", "1")
    page.context.set_offline(False)
    page.evaluate("window.dispatchEvent(new Event('online'))")
    expect(waiting).to_have_attribute("data-count", "0", timeout=WAIT)
    expect(note).to_have_text(tr(app, "Sent: the server recorded it."))
    expect(not_sent.locator("li")).to_have_count(2)
    scans = fresh().scalars(select(Scan).order_by(Scan.id)).all()
    assert [(s.nonce == "two-days-ago", s.device_id, s.registration_id) for s in scans] == [(True, None, azis.id), (False, new_device.id, ridwan.id)]

    page.click("[data-testid=not-sent-clear]")
    expect(not_sent).to_be_hidden()
    assert _queued(page) == []


def test_an_admission_made_offline_can_be_undone_on_the_phone_once_it_is_synced(page, live_server, door, organizer):
    event, _checkpoint, azis, _ridwan = door
    user, _event = organizer
    device, token = devices.pair_browser(db.session, event, user, name="Pintu utama 4")
    db.session.commit()
    _open_paired(page, live_server, event, token)
    undo = page.locator("[data-testid=undo]")
    page.context.set_offline(True)
    field = page.locator("[data-testid=code-input]")
    field.fill(tickets.token_for(azis.ticket))
    field.press("Enter")
    expect(page.locator("[data-testid=result]")).to_have_attribute("data-result", "ok")
    expect(undo).to_be_hidden()  # nothing to take back before the server has it
    page.context.set_offline(False)
    page.evaluate("window.dispatchEvent(new Event('online'))")
    expect(page.locator("[data-testid=queue-count]")).to_have_attribute("data-count", "0", timeout=WAIT)
    expect(undo).to_be_visible()  # synced well within the window counted from the scan
    undo.click()
    expect(page.locator("[data-testid=result]")).to_have_attribute("data-result", "undone")
    checkin = fresh().scalars(select(CheckIn)).one()
    assert (checkin.device_id, checkin.undone_at is not None) == (device.id, True)


def test_offline_another_events_ticket_and_a_desk_code_newer_than_the_list_are_said_so(page, live_server, door, app, organizer, make_event,
                                                                                        make_registration):
    (event, checkpoint, azis, _ridwan), (user, _event), session = door, organizer, fresh()
    session.get(type(checkpoint), checkpoint.id).policy = EntryPolicy.IN_OUT
    session.commit()
    elsewhere, _ = make_registration(make_event(name="Forum Kota Cerdas 2017"), name="Bima Arya")
    device, token = devices.pair_browser(db.session, event, user, name="Pintu utama 5")
    db.session.commit()
    _open_paired(page, live_server, event, token)
    result, title, note = (page.locator(f"[data-testid={t}]") for t in ("result", "result-title", "result-note"))
    field, undo = page.locator("[data-testid=code-input]"), page.locator("[data-testid=undo]")
    enter = lambda code: field.fill(code) or field.press("Enter")  # noqa: E731

    # Online, an exit's Undo says it undoes the exit.
    enter(tickets.token_for(azis.ticket))
    expect(undo).to_have_text(tr(app, "Undo this check-in"))
    page.click("[data-testid=direction-out]")
    enter(tickets.token_for(azis.ticket))
    expect(title).to_have_text(tr(app, "Exit recorded"))
    expect(undo).to_have_text(tr(app, "Undo this exit"))
    undo.click()
    expect(title).to_have_text(tr(app, "Exit undone."))  # not "Check-in undone."
    page.click("[data-testid=direction-in]")

    fresh()  # a new transaction: the page's requests wrote since this test last read
    late, _ = make_registration(event, name="Ridwan Saidi")  # registered after this phone loaded its list
    page.context.set_offline(True)
    enter(tickets.token_for(elsewhere.ticket))
    expect(result).to_have_attribute("data-result", "not_allowed_here")
    expect(note).to_have_text(tr(app, "This ticket is for another event."))
    enter(late.ticket.code)
    expect(result).to_have_attribute("data-state", "amber")
    expect(title).to_have_text(tr(app, "Not on this device's list yet"))
    expect(note).to_have_text(tr(app, "This code is not on this device's list yet, perhaps registered since its last update: "
                                      "the scan is sent and checked when the network is back."))
    assert sorted(q["local_result"] for q in _queued(page)) == ["not_allowed_here", "unverified"]

    page.context.set_offline(False)
    page.evaluate("window.dispatchEvent(new Event('online'))")
    expect(page.locator("[data-testid=queue-count]")).to_have_attribute("data-count", "0", timeout=WAIT)
    expect(note).to_contain_text(tr(app, "Welcome"))  # the server's verdict replaces "checked when the network is back"
    session = fresh()
    assert session.scalars(select(CheckIn.registration_id).where(CheckIn.registration_id == late.id)).all() == [late.id]
    offline = select(Scan.raw_code, Scan.result, Scan.sync_conflict).where(Scan.device_id == device.id, Scan.offline.is_(True))
    assert sorted(session.execute(offline).all()) == sorted(
        [(tickets.token_for(elsewhere.ticket), ScanResult.NOT_ALLOWED_HERE, False), (late.ticket.code, ScanResult.OK, False)]
    )
