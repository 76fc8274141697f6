"""Entry-and-exit checkpoints judge movements by their scan times, whatever order the scans arrive in."""
import uuid
from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from eventsys.attendance import arrivals, scanning
from eventsys.attendance.checkpoints import inside_now
from eventsys.attendance.models import CheckIn, EntryPolicy, Scan, ScanResult
from eventsys.extensions import db
from eventsys.registration import tickets
from tests.helpers import fresh, text, tr

EVENING = datetime(2018, 3, 5, 12, 0, tzinfo=UTC)  # 19:00 WIB


def nonce() -> str:
    return uuid.uuid4().hex


def at(minutes: int) -> datetime:
    return EVENING + timedelta(minutes=minutes)


def door_with_delegate(organizer, make_checkpoint, make_registration):
    _user, event = organizer
    door = make_checkpoint(event, name="Ballroom", policy=EntryPolicy.IN_OUT)
    registration, _ = make_registration(event)
    return event, door, registration, tickets.token_for(registration.ticket)


def scan(event, door, token, direction, *, scanned, received=None):
    """An online scan at `scanned`, or (with `received`) an offline one scanned then and uploaded later."""
    offline = received is not None
    outcome = scanning.scan_code(
        db.session, event, door, token, nonce=nonce(), direction=direction, device_time=scanned if offline else None,
        clock_offset=timedelta(0) if offline else None, local_result="ok" if offline else None, now=received or scanned,
    )
    db.session.commit()
    return outcome.result


def movements(registration) -> list[tuple[str, str, datetime]]:
    rows = fresh().scalars(select(CheckIn).where(CheckIn.registration_id == registration.id, CheckIn.undone_at.is_(None)).order_by(CheckIn.at))
    return [(c.direction.value, c.slot, c.at) for c in rows]


def inside(event, door) -> tuple[list[int], int]:
    return [r.id for r in inside_now(db.session, door)], arrivals.inside_counts(db.session, event, [door]).get(door.id, 0)


def test_an_exit_refused_before_the_offline_entry_synced_is_recorded_when_it_does(app, organizer, organizer_web, make_checkpoint,
                                                                                 make_registration):
    event, door, registration, token = door_with_delegate(organizer, make_checkpoint, make_registration)
    assert scan(event, door, token, "out", scanned=at(30)) == ScanResult.NOT_INSIDE  # no entry known yet
    assert scan(event, door, token, "in", scanned=at(0), received=at(45)) == ScanResult.OK  # the phone's queue syncs
    assert movements(registration) == [("in", "in:1", at(0)), ("out", "out:1", at(30))]
    assert inside(event, door) == ([], 0)
    exit_scan = fresh().scalars(select(Scan).where(Scan.direction == "out")).one()
    assert exit_scan.result == ScanResult.NOT_INSIDE  # what staff saw stays, flagged with the exit it became
    assert exit_scan.sync_conflict and exit_scan.checkin.slot == "out:1"
    web, _event = organizer_web  # the organizers' scan log says what happened, not "the device showed it as admitted"
    log = text(web.get(f"/manage/{event.slug}/checkin/scans"))
    assert tr(app, "recorded later: an earlier scan synced after it, so this movement counts after all") in log
    assert tr(app, "sync conflict: the device showed it as admitted") not in log
    # The entry's queue uploaded again changes nothing; the person can come back in.
    assert scan(event, door, token, "in", scanned=at(60)) == ScanResult.OK
    assert inside(event, door) == ([registration.id], 1)


def test_a_queued_exit_uploaded_before_the_queued_entry(organizer, make_checkpoint, make_registration):
    event, door, registration, token = door_with_delegate(organizer, make_checkpoint, make_registration)
    assert scan(event, door, token, "out", scanned=at(30), received=at(40)) == ScanResult.NOT_INSIDE
    assert scan(event, door, token, "in", scanned=at(0), received=at(41)) == ScanResult.OK
    assert movements(registration) == [("in", "in:1", at(0)), ("out", "out:1", at(30))]
    assert inside(event, door) == ([], 0)
    # A second copy of the entry (another phone's queue) is judged at its time: inside then, and left since.
    assert scan(event, door, token, "in", scanned=at(10), received=at(42)) == ScanResult.ALREADY_CHECKED_IN
    assert len(movements(registration)) == 2


def test_a_re_entry_refused_before_the_offline_exit_synced_is_recorded_when_it_does(organizer, make_checkpoint, make_registration):
    event, door, registration, token = door_with_delegate(organizer, make_checkpoint, make_registration)
    assert scan(event, door, token, "in", scanned=at(0)) == ScanResult.OK
    assert scan(event, door, token, "in", scanned=at(40)) == ScanResult.ALREADY_CHECKED_IN  # the exit of 19:30 waits offline
    assert scan(event, door, token, "out", scanned=at(30), received=at(50)) == ScanResult.OK
    assert movements(registration) == [("in", "in:1", at(0)), ("out", "out:1", at(30)), ("in", "in:2", at(40))]
    assert inside(event, door) == ([registration.id], 1)


def test_a_late_exit_before_a_recorded_entry_does_not_put_the_person_outside(organizer, make_checkpoint, make_registration):
    event, door, registration, token = door_with_delegate(organizer, make_checkpoint, make_registration)
    assert scan(event, door, token, "in", scanned=at(60)) == ScanResult.OK
    response = scanning.scan_code(db.session, event, door, token, nonce=nonce(), direction="out", device_time=at(30),
                                  clock_offset=timedelta(0), now=at(70))
    db.session.commit()
    assert (response.result, response.scan.detail) == (ScanResult.NOT_INSIDE, "no entry")  # nobody was inside at 19:30
    assert movements(registration) == [("in", "in:1", at(60))]
    assert inside(event, door) == ([registration.id], 1)
