"""QA round 4 of check-in: staff's Undo follows a scan set aside and recorded again after a late sync, and says what
happened when nothing of it is in force; the person page, change log, conflict banner and scan log tell the truth about
such scans; the registrations API hides a walk-in's placeholder address; the cancel form of a registration without email
says where its reason goes."""
import uuid
from datetime import UTC, datetime, timedelta
from html import unescape

import pytest
from flask_babel import force_locale
from sqlalchemy import select

from eventsys.attendance import checkin_admin, scanning
from eventsys.attendance.models import ChangeAction, CheckIn, CheckInChange, EntryPolicy, Scan, ScanResult
from eventsys.core.i18n import local_time
from eventsys.core.rules import RuleViolation
from eventsys.extensions import db
from eventsys.registration import tickets
from eventsys.registration.models import Registration
from tests.desk_helpers import category, desk, walk_in_form
from tests.helpers import bearer, fresh, text, tr, trn
from tests.test_api import assert_documented
from tests.test_attendance_inside_order import at, door_with_delegate, movements, scan
from tests.test_registration_api import document, token  # noqa: F401 - the OpenAPI document fixture

SET_ASIDE = "Set aside as a duplicate: an earlier scan synced later and counts instead"
RECORDED_LATER = "Recorded after all: an earlier scan synced later, so this scan counts after the earlier movements"
RE_RECORDED = ("Re-recorded after the earlier movements: an earlier scan synced later and took its place, and this scan still counts, "
               "as the later movement")


def nonce() -> str:
    return uuid.uuid4().hex


def iso(moment: datetime) -> str:
    return moment.isoformat()


def online(client, event, secret, door, token, direction) -> dict:
    body = {"checkpoint_id": door.id, "code": token, "nonce": nonce(), "direction": direction}
    return client.post(f"/api/v1/events/{event.slug}/scans", json=body, headers=bearer(secret)).get_json()


def sync(client, event, secret, door, token, moves: list[tuple[str, datetime]]) -> list[dict]:
    items = [{"nonce": nonce(), "code": token, "checkpoint_id": door.id, "direction": d, "scanned_at": iso(t), "local_result": "ok"}
             for d, t in moves]
    body = {"sent_at": iso(datetime.now(UTC)), "scans": items}
    return client.post(f"/api/v1/events/{event.slug}/scans/sync", json=body, headers=bearer(secret)).get_json()["results"]


def undo(client, event, secret, checkin_id: int):
    return client.post(f"/api/v1/events/{event.slug}/checkins/{checkin_id}/undo", headers=bearer(secret))


@pytest.fixture
def fransiska(organizer, make_checkpoint, make_registration, make_scanner):
    """Fransiska is inside (entered ten minutes ago); phone D is offline, phone B online."""
    event, door, registration, code = door_with_delegate(organizer, make_checkpoint, make_registration)
    now = datetime.now(UTC)
    scanning.scan_code(db.session, event, door, code, nonce=nonce(), direction="in", now=now - timedelta(minutes=10))
    db.session.commit()
    _d, d_secret = make_scanner(event, name="Pintu D")
    _b, b_secret = make_scanner(event, name="Pintu B")
    return event, door, registration, code, d_secret, b_secret, now


# 1. Staff's Undo after a late sync re-recorded their scan.


def test_undo_follows_a_scan_set_aside_and_recorded_again_to_the_exit_it_is_now(client, app, fransiska):
    event, door, registration, code, d_secret, b_secret, now = fransiska
    exit_b = online(client, event, b_secret, door, code, "out")
    assert exit_b["result"] == "ok" and exit_b["message"] == tr(app, "Exit recorded.")
    # D syncs its exit and entry from before B's exit: B's exit is set aside, then recorded again after them.
    assert [r["result"] for r in sync(client, event, d_secret, door, code, [("out", now - timedelta(minutes=3)),
                                                                           ("in", now - timedelta(minutes=2))])] == ["ok", "ok"]
    set_aside = fresh().get(CheckIn, exit_b["checkin"]["id"])
    assert set_aside.undone_at is not None
    [again] = [c for c in fresh().scalars(select(CheckIn).where(CheckIn.undone_at.is_(None), CheckIn.at == set_aside.at))]
    assert (again.direction.value, again.slot, again.device_id) == ("out", "out:2", set_aside.device_id)

    response = undo(client, event, b_secret, exit_b["checkin"]["id"])
    assert response.status_code == 200, response.get_json()
    assert response.get_json() == {"undone": True, "checkin_id": again.id}
    assert fresh().get(CheckIn, again.id).undone_at is not None
    assert [d for d, _slot, _at in movements(registration)] == ["in", "out", "in"]  # inside again, by D's entry
    # Undone already: said of the exit.
    twice = undo(client, event, b_secret, exit_b["checkin"]["id"])
    assert twice.status_code == 409
    assert twice.get_json()["error"]["message"] == tr(app, "This exit was already undone.")


def test_undo_of_a_scan_set_aside_says_the_earlier_scan_counts_instead(client, app, fransiska, make_registration):
    event, door, _registration, code, d_secret, b_secret, now = fransiska
    exit_b = online(client, event, b_secret, door, code, "out")
    assert [r["result"] for r in sync(client, event, d_secret, door, code, [("out", now - timedelta(minutes=3))])] == ["ok"]
    response = undo(client, event, b_secret, exit_b["checkin"]["id"])
    assert response.status_code == 409
    assert response.get_json()["error"]["message"] == tr(
        app, "Nothing to undo: an earlier scan of this exit synced later and counts instead. Ask an organizer to correct it.")
    other = tickets.token_for(make_registration(event, name="Yohanes Wanda")[0].ticket)
    entry_b = online(client, event, b_secret, door, other, "in")  # he comes in; B's entry is set aside by D's earlier one
    assert sync(client, event, d_secret, door, other, [("in", now - timedelta(minutes=1))])[0]["result"] == "ok"
    assert undo(client, event, b_secret, entry_b["checkin"]["id"]).get_json()["error"]["message"] == tr(
        app, "Nothing to undo: an earlier scan of this entry synced later and counts instead. Ask an organizer to correct it.")


# 2. The person page and the change log of such scans.


def test_the_person_page_shows_a_duplicate_set_aside_without_a_restore_that_would_count_it_twice(client, app, organizer_web, fransiska):
    event, door, registration, code, d_secret, b_secret, now = fransiska
    exit_b = online(client, event, b_secret, door, code, "out")
    sync(client, event, d_secret, door, code, [("out", now - timedelta(minutes=3))])  # D's earlier exit counts instead
    web, _event = organizer_web
    page = unescape(text(web.get(f"/manage/{event.slug}/checkin/people/{registration.id}")))
    row = page[page.index(f'data-checkin-id="{exit_b["checkin"]["id"]}"'):]
    row = row[:row.index("</tr>")]
    assert 'data-testid="set-aside-duplicate"' in row and tr(app, "an earlier scan synced later counts instead") in row
    assert 'data-testid="restore-form"' not in row and tr(app, "undone") not in row


def test_the_person_page_shows_a_scan_recorded_again_once_and_logs_what_happened(client, app, organizer, organizer_web, fransiska):
    event, door, registration, code, d_secret, b_secret, now = fransiska
    exit_b = online(client, event, b_secret, door, code, "out")
    sync(client, event, d_secret, door, code, [("out", now - timedelta(minutes=3)), ("in", now - timedelta(minutes=2))])
    web, _event = organizer_web
    page = unescape(text(web.get(f"/manage/{event.slug}/checkin/people/{registration.id}")))
    row = page[page.index(f'data-checkin-id="{exit_b["checkin"]["id"]}"'):]
    row = row[:row.index("</tr>")]
    assert 'data-testid="recorded-again"' in row and 'data-testid="restore-form"' not in row  # no Restore: it would count twice
    assert tr(app, RE_RECORDED) in page and tr(app, RECORDED_LATER) in page
    assert tr(app, SET_ASIDE) not in page  # its scan still counts
    # Restoring the set-aside row is refused even once the exit it became is undone: the scan would count twice.
    user, _event = organizer
    again = fresh().scalars(select(CheckIn).where(CheckIn.undone_at.is_(None), CheckIn.direction == "out", CheckIn.slot == "out:2")).one()
    scanning.undo_checkin(db.session, db.session.get(CheckIn, again.id), user=user, reason="salah")
    db.session.commit()
    with pytest.raises(RuleViolation) as refused:
        scanning.restore_checkin(db.session, db.session.get(CheckIn, exit_b["checkin"]["id"]), user=user)
    assert refused.value.message == tr(app, "This scan was recorded again after the earlier movements and counts there; "
                                            "restoring this one would count it twice.")  # outside a request: the default, Indonesian
    db.session.rollback()


def test_a_refused_scan_recorded_after_all_is_in_the_change_log(app, organizer, organizer_web, make_checkpoint, make_registration):
    event, door, registration, code = door_with_delegate(organizer, make_checkpoint, make_registration)
    assert scan(event, door, code, "out", scanned=at(30)) == ScanResult.NOT_INSIDE
    assert scan(event, door, code, "in", scanned=at(0), received=at(45)) == ScanResult.OK
    [change] = fresh().scalars(select(CheckInChange)).all()
    assert change.action == ChangeAction.RECORDED_LATER and change.checkin.slot == "out:1"
    web, _event = organizer_web
    page = unescape(text(web.get(f"/manage/{event.slug}/checkin/people/{registration.id}")))
    assert tr(app, RECORDED_LATER) in page and tr(app, "No changes.") not in page


# 3. The conflict banner counts each kind in its own words.


def test_the_conflict_banner_counts_each_kind_of_flagged_scan(app, organizer, organizer_web, make_checkpoint, make_registration):
    _user, event = organizer
    door = make_checkpoint(event, name="Ballroom", policy=EntryPolicy.IN_OUT)
    people = [make_registration(event, name=n)[0] for n in ("Ana", "Budi", "Citra")]
    ana, budi, citra = (tickets.token_for(r.ticket) for r in people)
    # Ana: an offline entry shown as admitted, but she was inside already (admitted elsewhere).
    assert scan(event, door, ana, "in", scanned=at(0)) == ScanResult.OK
    assert scan(event, door, ana, "in", scanned=at(5), received=at(20)) == ScanResult.ALREADY_CHECKED_IN
    # Budi: an online entry set aside by an earlier offline one.
    assert scan(event, door, budi, "in", scanned=at(10)) == ScanResult.OK
    assert scan(event, door, budi, "in", scanned=at(2), received=at(21)) == ScanResult.OK
    # Citra: an online exit refused, then recorded after all.
    assert scan(event, door, citra, "out", scanned=at(10)) == ScanResult.NOT_INSIDE
    assert scan(event, door, citra, "in", scanned=at(3), received=at(22)) == ScanResult.OK
    conflicts = checkin_admin.sync_conflict_count(fresh(), event)
    assert (conflicts.elsewhere, conflicts.duplicates, conflicts.later) == (1, 1, 1)
    web, _event = organizer_web
    for url in (f"/manage/{event.slug}/checkin", f"/manage/{event.slug}/checkin/scans"):
        page = unescape(text(web.get(url)))
        assert trn(app, "%(num)d admission was set aside as a duplicate: an earlier scan of the same movement synced later and counts instead.",
                   "%(num)d admissions were set aside as duplicates: earlier scans of the same movements synced later and count instead.", 1) in page
        assert trn(app, "%(num)d scan was recorded later: an earlier scan synced after it, so its movement counts after all.",
                   "%(num)d scans were recorded later: earlier scans synced after them, so their movements count after all.", 1) in page
        assert trn(app, "%(num)d offline scans were shown as admitted on their devices but had already been admitted elsewhere.",
                   "%(num)d offline scans were shown as admitted on their devices but had already been admitted elsewhere.", 3) not in page
    overview = unescape(text(web.get(f"/manage/{event.slug}/checkin")))
    assert trn(app, "%(num)d offline scan was shown as admitted on its device but had already been admitted elsewhere.",
               "%(num)d offline scans were shown as admitted on their devices but had already been admitted elsewhere.", 1) in overview


# 4. A re-decided scan's log line keeps what staff were told.


def test_a_refused_entry_recorded_after_all_still_names_the_entry_staff_were_told_of(app, organizer, organizer_web, make_checkpoint,
                                                                                     make_registration):
    event, door, registration, code = door_with_delegate(organizer, make_checkpoint, make_registration)
    assert scan(event, door, code, "in", scanned=at(0)) == ScanResult.OK
    refused_nonce = nonce()
    told = scanning.scan_code(db.session, event, door, code, nonce=refused_nonce, direction="in", now=at(10))
    db.session.commit()
    expected = tr(app, "Already checked in at %(time)s at %(gate)s.", locale="en", time=_time(app, at(0), event), gate="Ballroom")
    assert told.result == ScanResult.ALREADY_CHECKED_IN
    assert scan(event, door, code, "out", scanned=at(5), received=at(20)) == ScanResult.OK  # an exit in between syncs
    assert [s for _d, s, _at in movements(registration)] == ["in:1", "out:1", "in:2"]  # the refused entry counts after all
    web, _event = organizer_web
    web.post("/language/en", data={"next": "/"})
    log = unescape(text(web.get(f"/manage/{event.slug}/checkin/scans")))
    assert expected in log
    assert tr(app, "Already checked in at %(time)s at %(gate)s.", locale="en", time=_time(app, at(10), event), gate="Ballroom") not in log
    replay = scanning.scan_code(fresh(), event, door, code, nonce=refused_nonce, direction="in", now=at(30))
    assert replay.replayed and replay.previous.at == at(0)
    assert fresh().scalars(select(Scan).where(Scan.nonce == refused_nonce)).one().checkin.at == at(10)


def _time(app, moment, event) -> str:
    with app.test_request_context(), force_locale("en"):
        return local_time(moment, event.timezone)


# 5 and 6. A walk-in without email: no placeholder in the API, a fitting hint on the cancel form.


def test_the_registrations_api_gives_no_placeholder_email(client, app, organizer_web, document):  # noqa: F811
    web, event = organizer_web
    umum = category(event)
    assert web.post(f"{desk(event)}/walk-in", data=walk_in_form(umum)).status_code == 302
    assert web.post(f"{desk(event)}/walk-in", data=walk_in_form(umum, name="Rina", email="rina@siakkab.go.id")).status_code == 302
    fresh()  # after the web app's writes: a new snapshot, so this session may write too
    secret = token(event)
    listed = client.get(f"/api/v1/events/{event.slug}/registrations", headers=bearer(secret))
    assert_documented(document, "get", "/events/{slug}/registrations", listed)
    emails = sorted((i["email"] or "") for i in listed.get_json()["items"])
    assert emails == ["", "rina@siakkab.go.id"]
    walk_in = [i for i in listed.get_json()["items"] if i["email"] is None][0]
    one = client.get(f"/api/v1/events/{event.slug}/registrations/{walk_in['id']}", headers=bearer(secret))
    assert_documented(document, "get", "/events/{slug}/registrations/{registration_id}", one)
    assert one.get_json()["email"] is None and ".invalid" not in text(one)
    assert "null" in document["components"]["schemas"]["Registration"]["properties"]["email"]["type"]


def test_the_cancel_form_of_a_registration_without_email_says_the_reason_is_kept_only(app, organizer_web):
    web, event = organizer_web
    umum = category(event)
    assert web.post(f"{desk(event)}/walk-in", data=walk_in_form(umum)).status_code == 302
    walk_in = fresh().scalars(select(Registration).where(Registration.event_id == event.id)).one()
    page = unescape(text(web.get(f"/manage/{event.slug}/registrations/{walk_in.id}")))
    assert tr(app, "Kept in the registration record only: no mail is sent.") in page
    assert tr(app, "The registrant reads it in the cancellation mail.") not in page
    refused = unescape(text(web.post(f"/manage/{event.slug}/registrations/{walk_in.id}/cancel", data={"reason": ""})))
    assert tr(app, "Give the reason for the cancellation; it is kept in the record.") in refused
    assert tr(app, "Give the reason for the cancellation; the registrant will read it.") not in refused
