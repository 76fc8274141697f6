"""QA round 3 of check-in: at an entry-and-exit checkpoint a late scan of a movement already recorded later takes its
place (the earliest time counts, the later one is set aside and shown to organizers); a scan re-decided once is never
re-decided again after an undo; an admission made offline can be undone by its device after the sync, within the
window counted from the scan."""
import uuid
from datetime import UTC, datetime, timedelta
from html import unescape

import pytest
from flask_babel import force_locale
from sqlalchemy import select

from eventsys.attendance import scanning
from eventsys.attendance.models import ChangeAction, CheckIn, CheckInChange, EntryPolicy, Scan, ScanResult
from eventsys.core.i18n import local_datetime
from eventsys.core.rules import RuleViolation
from eventsys.extensions import db
from eventsys.registration import tickets
from tests.helpers import bearer, fresh, post_at_once, text, tr
from tests.test_attendance_inside_order import at, door_with_delegate, inside, movements, scan

SET_ASIDE = "Set aside as a duplicate: an earlier scan synced later and counts instead"
DUPLICATE = "duplicate: an earlier scan synced after it and counts instead (%(when)s)"


def nonce() -> str:
    return uuid.uuid4().hex


def scans_of(registration) -> list[Scan]:
    return fresh().scalars(select(Scan).where(Scan.registration_id == registration.id).order_by(Scan.scanned_at)).all()


# 1. A late entry that lands before an entry already recorded.


def test_an_earlier_entry_synced_late_counts_and_the_later_one_is_shown_as_its_duplicate(app, organizer, organizer_web, make_checkpoint,
                                                                                      make_registration):
    event, door, registration, token = door_with_delegate(organizer, make_checkpoint, make_registration)
    assert scan(event, door, token, "in", scanned=at(10)) == ScanResult.OK  # the online phone, 19:10
    assert scan(event, door, token, "in", scanned=at(0), received=at(30)) == ScanResult.OK  # the offline phone's 19:00 syncs
    assert movements(registration) == [("in", "in:1", at(0))]  # the entry time is the earliest
    assert inside(event, door) == ([registration.id], 1)
    online, offline = scans_of(registration)[::-1]
    assert (offline.result, offline.sync_conflict) == (ScanResult.OK, False)  # what its phone showed, and what counts
    assert (online.result, online.sync_conflict) == (ScanResult.OK, True)  # what staff saw stays, flagged
    assert online.checkin_id == offline.checkin_id  # naming the entry that counts instead
    set_aside = fresh().scalars(select(CheckIn).where(CheckIn.undone_at.is_not(None))).one()
    assert set_aside.at == at(10)
    assert fresh().scalars(select(CheckInChange)).one().action == ChangeAction.DUPLICATE
    web, _event = organizer_web
    log = unescape(text(web.get(f"/manage/{event.slug}/checkin/scans")))
    with app.test_request_context(), force_locale("id"):
        when = local_datetime(at(0), event.timezone)
    assert tr(app, DUPLICATE, when=when) in log
    assert tr(app, "sync conflict: the device showed it as admitted") not in log
    assert tr(app, SET_ASIDE) in unescape(text(web.get(f"/manage/{event.slug}/checkin/people/{registration.id}")))
    # She leaves and comes back as usual; the set-aside entry cannot be restored over the one that counts.
    assert scan(event, door, token, "out", scanned=at(40)) == ScanResult.OK
    assert movements(registration)[-1] == ("out", "out:1", at(40))
    with pytest.raises(RuleViolation):
        scanning.restore_checkin(fresh(), db.session.get(CheckIn, set_aside.id), user=organizer[0])
    db.session.rollback()


def test_an_exit_synced_between_the_two_entries_brings_the_later_one_back(organizer, make_checkpoint, make_registration):
    event, door, registration, token = door_with_delegate(organizer, make_checkpoint, make_registration)
    assert scan(event, door, token, "in", scanned=at(10)) == ScanResult.OK
    assert scan(event, door, token, "in", scanned=at(0), received=at(30)) == ScanResult.OK
    assert scan(event, door, token, "out", scanned=at(5), received=at(31)) == ScanResult.OK  # a third phone's queue
    assert movements(registration) == [("in", "in:1", at(0)), ("out", "out:1", at(5)), ("in", "in:2", at(10))]
    assert inside(event, door) == ([registration.id], 1)
    online = [s for s in scans_of(registration) if s.scanned_at == at(10)][0]
    assert online.checkin.at == at(10) and online.checkin.undone_at is None  # recorded after all


def test_an_earlier_exit_synced_late_counts_instead_of_the_later_one(organizer, make_checkpoint, make_registration):
    event, door, registration, token = door_with_delegate(organizer, make_checkpoint, make_registration)
    assert scan(event, door, token, "in", scanned=at(0)) == ScanResult.OK
    assert scan(event, door, token, "out", scanned=at(30)) == ScanResult.OK
    assert scan(event, door, token, "out", scanned=at(20), received=at(40)) == ScanResult.OK
    assert movements(registration) == [("in", "in:1", at(0)), ("out", "out:1", at(20))]
    assert inside(event, door) == ([], 0)
    # A copy of the entry, or an exit from before she came in, is still refused as things stood at its time.
    assert scan(event, door, token, "in", scanned=at(5), received=at(41)) == ScanResult.ALREADY_CHECKED_IN
    assert scan(event, door, token, "out", scanned=at(-5), received=at(42)) == ScanResult.NOT_INSIDE
    assert len(movements(registration)) == 2


def test_a_refused_scan_is_re_decided_once_and_an_organizers_undo_of_what_it_became_stands(organizer, make_checkpoint, make_registration):
    user, _event = organizer
    event, door, registration, token = door_with_delegate(organizer, make_checkpoint, make_registration)
    assert scan(event, door, token, "out", scanned=at(30)) == ScanResult.NOT_INSIDE
    assert scan(event, door, token, "in", scanned=at(0), received=at(45)) == ScanResult.OK
    assert movements(registration) == [("in", "in:1", at(0)), ("out", "out:1", at(30))]
    # The organizer finds the exit wrong and undoes it, then the entry too (latest first).
    for checkin in fresh().scalars(select(CheckIn).order_by(CheckIn.at.desc())).all():
        scanning.undo_checkin(db.session, checkin, user=user, reason="salah")
        db.session.commit()
    assert movements(registration) == []
    # Another phone's queue brings an entry from before the refused exit: the exit is not recorded again.
    assert scan(event, door, token, "in", scanned=at(10), received=at(50)) == ScanResult.OK
    assert movements(registration) == [("in", "in:1", at(10))]
    assert inside(event, door) == ([registration.id], 1)


@pytest.fixture
def busy_app(make_app):
    return make_app(SQLALCHEMY_ENGINE_OPTIONS={"pool_size": 12, "max_overflow": 0, "pool_timeout": 60})


def sync_at_once(app, slug: str, secrets: list[str], batches: list[list[dict]]) -> list[list[str]]:
    """As tests.test_checkin_scan.scan_at_once, for offline queues: device i uploads batches[i], all at the same instant."""
    requests = [{"json": {"sent_at": datetime.now(UTC).isoformat(), "scans": batch}, "headers": bearer(secret)}
                for batch, secret in zip(batches, secrets, strict=True)]
    responses = post_at_once(app, f"/api/v1/events/{slug}/scans/sync", requests)
    return [[r["result"] for r in response.get_json()["results"]] for response in responses]


def test_phones_syncing_earlier_entries_at_once_leave_one_entry_at_the_earliest_time(busy_app, organizer, make_checkpoint,
                                                                                     make_registration, make_scanner):
    event, door, registration, token = door_with_delegate(organizer, make_checkpoint, make_registration)
    now = datetime.now(UTC)
    scanning.scan_code(db.session, event, door, token, nonce=nonce(), direction="in")  # an online phone, just now
    db.session.commit()
    phones = 8
    secrets = [make_scanner(event, name=f"Pintu {i}")[1] for i in range(phones)]
    times = [now - timedelta(minutes=20 - i) for i in range(phones)]  # each phone's entry, all before the online one
    batches = [[{"nonce": nonce(), "code": token, "checkpoint_id": door.id, "direction": "in", "scanned_at": t.isoformat(),
                 "local_result": "ok"}] for t in times]
    results = sync_at_once(busy_app, event.slug, secrets, batches)
    assert {r for [r] in results} <= {"ok", "already_checked_in"}
    [(direction, slot, when)] = movements(registration)
    assert (direction, slot) == ("in", "in:1") and abs((when - times[0]).total_seconds()) < 5
    assert results[0] == ["ok"]
    # Every admission set aside is shown to organizers: each ok scan but the one that counts is flagged.
    ok_scans = [s for s in scans_of(registration) if s.result == ScanResult.OK]
    assert sum(not s.sync_conflict for s in ok_scans) == 1
    assert all(s.sync_conflict for s in ok_scans if s.checkin.at != s.scanned_at)


# 2. An admission made offline can be undone by its device after the sync.


def sync(client, event, secret, door, token, scanned_at: datetime) -> dict:
    item = {"nonce": nonce(), "code": token, "checkpoint_id": door.id, "scanned_at": scanned_at.isoformat(), "local_result": "ok"}
    body = {"sent_at": datetime.now(UTC).isoformat(), "scans": [item]}
    response = client.post(f"/api/v1/events/{event.slug}/scans/sync", json=body, headers={"Authorization": f"Bearer {secret}"})
    return response.get_json()["results"][0]


def undo(client, event, secret, checkin_id: int):
    return client.post(f"/api/v1/events/{event.slug}/checkins/{checkin_id}/undo", headers={"Authorization": f"Bearer {secret}"})


@pytest.mark.parametrize("policy", [EntryPolicy.ONCE, EntryPolicy.IN_OUT])
def test_a_synced_offline_admission_says_until_when_its_device_may_undo_it(client, organizer, make_checkpoint, make_registration,
                                                                          make_scanner, policy):
    _user, event = organizer
    door = make_checkpoint(event, policy=policy)
    _phone, secret = make_scanner(event, name="Pintu 1")
    _other, other_secret = make_scanner(event, name="Pintu 2")
    first, _ = make_registration(event, name="Scanned two minutes ago")
    second, _ = make_registration(event, name="Scanned ten minutes ago")
    recent = sync(client, event, secret, door, tickets.token_for(first.ticket), datetime.now(UTC) - timedelta(minutes=2))
    assert recent["result"] == "ok"
    until = datetime.fromisoformat(recent["checkin"]["undo_until"].replace("Z", "+00:00"))
    scanned = datetime.fromisoformat(recent["checkin"]["at"].replace("Z", "+00:00"))
    assert until - scanned == timedelta(minutes=scanning.UNDO_MINUTES)  # counted from the scan, on the server's clock
    assert undo(client, event, other_secret, recent["checkin"]["id"]).status_code == 409  # only the device that made it
    assert undo(client, event, secret, recent["checkin"]["id"]).get_json() == {"undone": True, "checkin_id": recent["checkin"]["id"]}
    old = sync(client, event, secret, door, tickets.token_for(second.ticket), datetime.now(UTC) - timedelta(minutes=10))
    assert old["result"] == "ok" and old["checkin"]["undo_until"] < recent["checkin"]["undo_until"]
    refused = undo(client, event, secret, old["checkin"]["id"])
    assert refused.status_code == 409
    assert refused.get_json()["error"]["message"] == tr(client.application, "Too late to undo here (%(num)d minutes). Ask an organizer to correct it.",
                                                        num=scanning.UNDO_MINUTES)
    assert fresh().get(CheckIn, recent["checkin"]["id"]).undone_at is not None
    assert fresh().get(CheckIn, old["checkin"]["id"]).undone_at is None
