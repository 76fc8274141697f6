"""Live timekeeping: start and stop, overruns and delay, no-shows and re-slotting, the hall display, who may see what."""
import re
import uuid
from datetime import timedelta
from html import unescape

import pytest
from sqlalchemy import select

from eventsys.attendance import scanning
from eventsys.attendance.models import ScanResult
from eventsys.core.db import utcnow
from eventsys.core.rules import RuleViolation
from eventsys.events.models import EventStatus, Organization
from eventsys.exposes import live, live_json
from eventsys.exposes.models import ExposeProgramme, Performance, PerformanceState, Presenter, Slot
from eventsys.extensions import db
from eventsys.registration import tickets
from tests.conftest import utc
from tests.helpers import fresh, sign_in, text, tr
from tests.test_expose_portal import add_presenter, expose_block, publish_version

T0 = utc(2017, 11, 15, 7, 0)  # 14:00 WIB


def at(minutes: float):
    return T0 + timedelta(minutes=minutes)


@pytest.fixture
def room(organizer, make_session, make_organization):
    """(organizer, event, Ballroom, [Semarang, Banyuwangi, Badung]) with version 1: 10 min talk + 3 Q&A, every 15 minutes."""
    user, event = organizer
    ballroom = next(r for r in event.venue.rooms if r.name == "Ballroom")
    block = expose_block(make_session, event, ballroom, "Ekspos Masterplan Blok I", T0, at(90))
    db.session.add(ExposeProgramme(event_id=event.id, talk_minutes=10, qa_minutes=3, buffer_minutes=2))
    db.session.commit()
    presenters = [
        add_presenter(event, make_organization(name=name), title, title)
        for name, title in (("Kota Semarang", "Wali Kota Semarang"), ("Kab. Banyuwangi", "Bupati Banyuwangi"), ("Kab. Badung", "Bupati Badung"))
    ]
    for n, presenter in enumerate(presenters):
        db.session.add(Slot(presenter_id=presenter.id, block_id=block.id, starts_at=at(15 * n), ends_at=at(15 * n + 13)))
    db.session.commit()
    publish_version(event, [(p, block, at(15 * n), 13) for n, p in enumerate(presenters)], published_at=at(-60 * 24))
    return user, event, ballroom, presenters, block


def room_now(event, ballroom):
    return live.room_live(fresh(), event, ballroom.id)


def timekeeper_url(event, ballroom, suffix=""):
    return f"/manage/{event.slug}/expose/live/{ballroom.id}{suffix}"


# The rules, with the clock given


def test_overrun_and_delay_follow_the_recorded_times(room):
    _user, event, ballroom, (semarang, banyuwangi, _badung), _block = room
    live.start(db.session, event, semarang, now=at(1))
    db.session.commit()
    state = room_now(event, ballroom)
    assert state.current.presenter.id == semarang.id and state.next.presenter.id == banyuwangi.id
    on_time = live_json.timekeeper_json(state, event, at(6))
    assert on_time["current"]["phase"] == "talk" and on_time["current"]["remaining_text"] == "05:00"
    assert on_time["current"]["overrun_seconds"] == 0
    # Started a minute late, so Banyuwangi can start at 14:16, a minute after its plan.
    assert on_time["delay_text"] == "+01:00" and on_time["delay_status"] == "late"
    assert live_json.timekeeper_json(state, event, at(12))["current"]["phase"] == "qa"
    late = live_json.timekeeper_json(state, event, at(16) + timedelta(seconds=13))
    assert late["current"]["phase"] == "overrun"
    assert late["current"]["overrun_seconds"] == 133 and late["current"]["overrun_text"] == "+02:13"
    assert late["delay_seconds"] == 193 and late["delay_text"] == "+03:13"
    live.stop(db.session, event, semarang, now=at(16) + timedelta(seconds=13))
    db.session.commit()
    done = live_json.timekeeper_json(room_now(event, ballroom), event, at(17))
    first = done["items"][0]
    assert first["state"] == "done" and first["actual"] == "14:01–14:16"
    assert first["overrun_text"] == "+02:13" and first["length_text"] == "15:13"
    assert done["current"] is None and done["next"]["presenter_id"] == banyuwangi.id
    assert done["delay_text"] == "+03:13"  # ended 14:16:13, changeover 2 minutes, planned 14:15
    rows = live_json.report(room_now(event, ballroom))
    assert rows[0].start_difference == timedelta(minutes=1) and rows[0].length_difference == timedelta(seconds=133)


def test_nobody_started_yet_is_never_ahead_and_starting_the_next_stops_the_one_on_stage(room):
    _user, event, ballroom, (semarang, banyuwangi, badung), _block = room
    early = live_json.timekeeper_json(room_now(event, ballroom), event, at(-30))
    assert early["delay_status"] == "on_time" and early["current"] is None and early["next"]["presenter_id"] == semarang.id
    assert live_json.timekeeper_json(room_now(event, ballroom), event, at(4))["delay_text"] == "+04:00"
    live.start(db.session, event, semarang, now=at(0))
    stopped = live.start(db.session, event, banyuwangi, now=at(14))
    db.session.commit()
    assert stopped == ["Kota Semarang"]
    state = room_now(event, ballroom)
    assert [i.state for i in state.items] == [PerformanceState.DONE, PerformanceState.PRESENTING, PerformanceState.WAITING]
    assert state.items[0].ended_at == at(14)
    assert state.next.presenter.id == badung.id
    ahead = live_json.timekeeper_json(state, event, at(15))
    assert ahead["delay_text"] == "-01:00" and ahead["delay_status"] == "ahead"


def test_refusals_leave_the_record_as_it_was(room):
    _user, event, _ballroom, (semarang, banyuwangi, _badung), _block = room
    with pytest.raises(RuleViolation):
        live.stop(db.session, event, semarang, now=at(1))
    live.start(db.session, event, semarang, now=at(0))
    live.stop(db.session, event, semarang, now=at(13))
    db.session.commit()
    with pytest.raises(RuleViolation):
        live.start(db.session, event, semarang, now=at(20))
    with pytest.raises(RuleViolation):
        live.mark_no_show(db.session, event, semarang, now=at(20))
    db.session.rollback()
    performance = fresh().get(Performance, semarang.id)
    assert performance.state == PerformanceState.DONE and performance.ended_at == at(13)
    assert fresh().get(Performance, banyuwangi.id) is None


# Through the pages


def test_the_timekeeper_starts_and_stops_and_the_json_shows_the_recorded_times(client, room):
    user, event, ballroom, (semarang, banyuwangi, _badung), _block = room
    sign_in(client, user)
    before = utcnow()
    assert client.post(timekeeper_url(event, ballroom, "/start"), data={"presenter_id": semarang.id}).status_code == 302
    data = client.get(timekeeper_url(event, ballroom, ".json")).get_json()
    assert data["current"]["presenter_id"] == semarang.id and data["current"]["state"] == "presenting"
    assert data["next"]["presenter_id"] == banyuwangi.id
    performance = fresh().get(Performance, semarang.id)
    assert before <= performance.started_at <= utcnow()
    # Fifteen minutes and thirteen seconds later (moved back in the record instead of waiting):
    performance.started_at = performance.started_at - timedelta(minutes=15, seconds=13)
    db.session.commit()
    running = client.get(timekeeper_url(event, ballroom, ".json")).get_json()["current"]
    assert running["phase"] == "overrun" and running["overrun_seconds"] >= 133
    assert running["overrun_text"].startswith("+02:")
    assert client.post(timekeeper_url(event, ballroom, "/stop"), data={"presenter_id": semarang.id}).status_code == 302
    stored = fresh().get(Performance, semarang.id)
    assert stored.state == PerformanceState.DONE and stored.ended_at - stored.started_at >= timedelta(minutes=15, seconds=13)
    data = client.get(timekeeper_url(event, ballroom, ".json")).get_json()
    assert data["current"] is None and data["items"][0]["state"] == "done"
    assert data["items"][0]["overrun_seconds"] >= 133 and data["items"][0]["ended_at"] is not None
    page = text(client.get(timekeeper_url(event, ballroom)))
    assert re.search(rf'data-presenter="{semarang.id}" data-state="done">.*?data-testid="length-difference"><span class="overrun">\+02:',
                     page, re.S)


def test_a_no_show_is_listed_freed_for_a_new_slot_and_comes_back_when_re_slotted(client, room, make_user):
    user, event, ballroom, (semarang, banyuwangi, badung), block = room
    staff = make_user(email="petugas@kominfo.go.id", event=event, role="checkin")
    sign_in(client, staff)
    client.post(timekeeper_url(event, ballroom, "/no-show"), data={"presenter_id": semarang.id})
    data = client.get(timekeeper_url(event, ballroom, ".json")).get_json()
    assert [i["presenter_id"] for i in data["no_shows"]] == [semarang.id]
    assert data["next"]["presenter_id"] == banyuwangi.id
    page = text(client.get(timekeeper_url(event, ballroom)))
    assert f'data-testid="no-show" data-presenter="{semarang.id}"' in page and 'data-testid="release"' not in page
    assert client.post(timekeeper_url(event, ballroom, "/release"), data={"presenter_id": semarang.id}).status_code == 403
    client.post("/logout")
    sign_in(client, user)
    assert 'data-testid="release"' in text(client.get(timekeeper_url(event, ballroom)))
    client.post(timekeeper_url(event, ballroom, "/release"), data={"presenter_id": semarang.id})
    assert fresh().scalar(select(Slot).where(Slot.presenter_id == semarang.id)) is None
    assert fresh().get(Presenter, semarang.id).pinned_block_id is None
    # The organizer places Kota Semarang after Kab. Badung and publishes version 2.
    publish_version(event, [(banyuwangi, block, at(15), 13), (badung, block, at(30), 13), (semarang, block, at(45), 13)])
    data = client.get(timekeeper_url(event, ballroom, ".json")).get_json()
    assert data["no_shows"] == []
    assert [(i["presenter_id"], i["state"]) for i in data["items"]][-1] == (semarang.id, "waiting")


def test_the_next_presenters_check_in_shows_from_a_real_scan(client, room, make_checkpoint, make_registration):
    user, event, ballroom, (semarang, banyuwangi, _badung), _block = room
    organization = fresh().get(Organization, banyuwangi.organization_id)
    registration, _secret = make_registration(event, name="H. Abdullah Azwar Anas", position="Bupati Banyuwangi", organization=organization)
    checkpoint = make_checkpoint(event)
    sign_in(client, user)
    client.post(timekeeper_url(event, ballroom, "/start"), data={"presenter_id": semarang.id})
    before = client.get(timekeeper_url(event, ballroom, ".json")).get_json()["next"]
    assert before["presenter_id"] == banyuwangi.id and before["checked_in"] is False
    outcome = scanning.scan_code(db.session, event, checkpoint, tickets.token_for(registration.ticket), nonce=uuid.uuid4().hex)
    db.session.commit()
    assert outcome.result == ScanResult.OK
    after = client.get(timekeeper_url(event, ballroom, ".json")).get_json()["next"]
    assert after["checked_in"] is True and after["checked_in_at"]
    assert 'data-checked="1"' in text(client.get(timekeeper_url(event, ballroom)))
    hall = client.get(f"/e/{event.slug}/expose/hall/{ballroom.id}.json").get_json()
    assert "checked_in" not in hall["next"]  # attendance stays on the timekeeper's side


def test_the_hall_display_follows_the_recorded_state_with_the_logo(client, room):
    user, event, ballroom, (semarang, banyuwangi, _badung), _block = room
    organization = fresh().get(Organization, semarang.organization_id)
    organization.logo_key, organization.logo_content_type = "k" * 32 + ".png", "image/png"
    db.session.commit()
    url = f"/e/{event.slug}/expose/hall/{ballroom.id}.json"
    idle = client.get(url).get_json()
    assert idle["current"] is None and idle["next"]["organization"] == "Kota Semarang"
    assert idle["next"]["logo_url"] == f"/organizations/logo/{'k' * 32}.png"
    sign_in(client, user)
    client.post(timekeeper_url(event, ballroom, "/start"), data={"presenter_id": semarang.id})
    client.post("/logout")
    running = client.get(url).get_json()
    assert running["current"]["organization"] == "Kota Semarang" and running["current"]["planned"] == "14:00–14:13"
    assert running["current"]["block"] == "Ekspos Masterplan Blok I"
    assert running["next"]["organization"] == "Kab. Banyuwangi" and running["next"]["logo_url"] is None
    page = client.get(f"/e/{event.slug}/expose/hall/{ballroom.id}")
    assert page.status_code == 200
    assert re.search(r'data-slot="current".*?Kota Semarang.*?data-slot="next".*?Kab. Banyuwangi', text(page), re.S)
    scripts = re.findall(r"<script([^>]*)>", text(page))
    assert scripts and all("src=" in s or 'type="application/json"' in s for s in scripts)
    assert not re.search(r"<[^>]+\son[a-z]+=", text(page))  # no inline handlers
    sign_in(client, user)
    client.post(timekeeper_url(event, ballroom, "/stop"), data={"presenter_id": semarang.id})
    client.post("/logout")
    after = client.get(url).get_json()
    assert after["current"] is None and after["next"]["organization"] == "Kab. Banyuwangi"


def test_who_may_see_the_timekeeper_and_the_hall_display(client, room, make_user, make_event):
    user, event, ballroom, (semarang, *_rest), _block = room
    for path in (timekeeper_url(event, ballroom), timekeeper_url(event, ballroom, ".json"), f"/manage/{event.slug}/expose/live/"):
        assert client.get(path).status_code == 302
    assert client.post(timekeeper_url(event, ballroom, "/start"), data={"presenter_id": semarang.id}).status_code == 302
    assert fresh().get(Performance, semarang.id) is None
    juror = make_user(email="juri@kominfo.go.id", event=event, role="juror")
    sign_in(client, juror)
    assert client.get(timekeeper_url(event, ballroom)).status_code == 403
    assert client.post(timekeeper_url(event, ballroom, "/start"), data={"presenter_id": semarang.id}).status_code == 403
    client.post("/logout")
    staff = make_user(email="petugas@kominfo.go.id", event=event, role="checkin")
    sign_in(client, staff)
    assert client.get(timekeeper_url(event, ballroom)).status_code == 200
    assert client.get(f"/manage/{event.slug}/expose/live/").status_code == 200
    assert client.get(f"/manage/{event.slug}/expose/live/999999").status_code == 404
    client.post("/logout")
    assert client.get(f"/e/{event.slug}/expose/hall/{ballroom.id}").status_code == 200
    assert client.get(f"/e/{event.slug}/expose/hall/").status_code == 200
    # A draft event's hall display is for its team only.
    fresh().get(type(event), event.id).status = EventStatus.DRAFT
    db.session.commit()
    assert client.get(f"/e/{event.slug}/expose/hall/{ballroom.id}.json").status_code == 404
    sign_in(client, user)
    assert client.get(f"/e/{event.slug}/expose/hall/{ballroom.id}.json").status_code == 200


def test_a_presenter_of_another_event_cannot_be_recorded_here(app, client, room, make_event, make_organization):
    user, event, ballroom, _presenters, _block = room
    other_event = make_event(slug="ekspos-lain")
    stranger = add_presenter(other_event, make_organization(name="Kab. Siak"))
    sign_in(client, user)
    response = client.post(timekeeper_url(event, ballroom, "/start"), data={"presenter_id": stranger.id}, follow_redirects=True)
    assert tr(app, "That presenter is not part of this event.") in unescape(text(response))
    assert fresh().get(Performance, stranger.id) is None
