"""The live stage: operator steps with a version, stale clicks refused, the screen hides the winner until its reveal,
the delay against the plan, and backstage's check-in state of the next recipient."""
import json
import re
from datetime import timedelta
from html import unescape

import pytest
from sqlalchemy import func, select

from eventsys.attendance.models import CheckIn, CheckInSource, Direction
from eventsys.awards import stage
from eventsys.awards.models import AwardCategory, Cue, CueKind, Nomination, NominationSource, NominationState, StageState, Winner
from eventsys.core.rules import RuleViolation
from eventsys.events.models import EventKind
from eventsys.extensions import db
from tests.conftest import utc
from tests.helpers import fresh, sign_in, text, tr

T0 = utc(2021, 12, 14, 11, 30)  # 18:30 WIB


@pytest.fixture
def night(make_user, make_event, make_organization, make_registration):
    """(organizer, event, {name: cue}, winner, recipient registration): opening, then one award's four cues, then closing."""
    event = make_event(name="Malam Penganugerahan Smart City 2021", kind=EventKind.AWARD_NIGHT, starts_at=T0, ends_at=T0 + timedelta(hours=3))
    user = make_user(email="operator@kominfo.go.id", event=event, role="organizer")
    cirebon = make_organization(name="Kab. Cirebon", province="Jawa Barat")
    others = [make_organization(name=n, province=p) for n, p in (("Kota Semarang", "Jawa Tengah"), ("Kab. Badung", "Bali"))]
    category = AwardCategory(event_id=event.id, name="Smart Governance Terbaik", position=0)
    db.session.add(category)
    db.session.flush()
    nominations = [Nomination(category_id=category.id, organization_id=o.id, source=NominationSource.ORGANIZER,
                              state=NominationState.ACCEPTED, title="PSC 119") for o in [cirebon, *others]]
    db.session.add_all(nominations)
    db.session.flush()
    recipient, _secret = make_registration(event, name="Drs. Dadang Suhendra", position="Kepala Diskominfo Kab. Cirebon",
                                           organization=cirebon)
    winner = Winner(category_id=category.id, nomination_id=nominations[0].id, rank=1, citation="Layanan PSC 119 terpadu.",
                    awardee_name="H. Imron, M.Ag.", awardee_title="Bupati Cirebon", recipient_name="Drs. Dadang Suhendra",
                    recipient_position="Kepala Diskominfo Kab. Cirebon", on_behalf_of="atas nama Bupati Cirebon",
                    recipient_registration_id=recipient.id)
    db.session.add(winner)
    db.session.flush()
    specs = [
        ("opening", CueKind.OPENING, "Pembukaan", 300, None, None),
        ("nominees", CueKind.NOMINEES, "Nominasi Smart Governance", 120, category.id, None),
        ("reveal", CueKind.REVEAL, "Pemenang Smart Governance: Kab. Cirebon", 60, category.id, winner.id),
        ("to_stage", CueKind.TO_STAGE, "Penerima naik ke panggung", 120, category.id, winner.id),
        ("closing", CueKind.CLOSING, "Penutupan", 300, None, None),
    ]
    cues = {}
    for position, (key, kind, title, seconds, category_id, winner_id) in enumerate(specs):
        cues[key] = Cue(event_id=event.id, position=position, kind=kind, title=title, planned_seconds=seconds,
                        category_id=category_id, winner_id=winner_id)
        db.session.add(cues[key])
    db.session.commit()
    return user, event, cues, winner, recipient


def version_of(event) -> int:
    state = fresh().get(StageState, event.id)
    return state.version if state else 0


def run(call, *args, **kwargs):
    result = call(db.session, *args, **kwargs)
    db.session.commit()
    return result


# The rules, clock given


def test_steps_move_through_the_cues_and_record_their_times(night):
    _user, event, cues, _winner, _recipient = night
    s = run(stage.start_show, night[1], 0, now=T0 + timedelta(minutes=2))
    assert s.current.id == cues["opening"].id and s.version == 1 and s.started_at == T0 + timedelta(minutes=2)
    s = run(stage.next_cue, event, 1, now=T0 + timedelta(minutes=9))
    assert s.current.id == cues["nominees"].id
    opening = fresh().get(Cue, cues["opening"].id)
    assert opening.started_at == T0 + timedelta(minutes=2) and opening.ended_at == T0 + timedelta(minutes=9)
    s = run(stage.previous_cue, event, 2, now=T0 + timedelta(minutes=10))
    assert s.current.id == cues["opening"].id
    assert fresh().get(Cue, cues["nominees"].id).started_at is None  # it had not really happened
    assert fresh().get(Cue, cues["opening"].id).started_at == T0 + timedelta(minutes=2)  # runs on from its real start
    s = run(stage.jump_to, event, 3, cues["closing"].id, now=T0 + timedelta(minutes=11))
    assert s.current.id == cues["closing"].id and s.version == 4
    s = run(stage.next_cue, event, 4, now=T0 + timedelta(minutes=15))
    assert s.finished and s.current is None
    with pytest.raises(RuleViolation):
        stage.next_cue(db.session, event, 5)
    db.session.rollback()
    with pytest.raises(RuleViolation):
        stage.start_show(db.session, event, 5)
    db.session.rollback()


def test_a_stale_version_is_refused_and_nothing_moves(night):
    _user, event, cues, _winner, _recipient = night
    run(stage.start_show, event, 0, now=T0)
    run(stage.next_cue, event, 1, now=T0 + timedelta(minutes=5))
    with pytest.raises(RuleViolation) as refused:
        stage.next_cue(db.session, event, 1, now=T0 + timedelta(minutes=6))  # a second tab that still saw version 1
    db.session.rollback()
    assert refused.value.message
    state = fresh().get(StageState, event.id)
    assert state.version == 2 and state.current_cue_id == cues["nominees"].id
    assert fresh().get(Cue, cues["reveal"].id).started_at is None


def test_delay_is_the_current_cues_start_against_its_planned_start(night, app):
    _user, event, cues, _winner, _recipient = night
    run(stage.start_show, event, 0, now=T0)
    # The opening runs 9 minutes instead of 5: the nominees start 4 minutes late.
    s = run(stage.next_cue, event, 1, now=T0 + timedelta(minutes=9))
    assert s.planned_start(s.current) == T0 + timedelta(minutes=5)
    assert s.delay_seconds() == 240
    with app.test_request_context():
        assert stage.delay_text(s.delay_seconds()) == ("late", tr(app, "+%(minutes)d min late", minutes=4))
        assert stage.delay_text(-125) == ("ahead", tr(app, "%(minutes)d min ahead", minutes=2))
        assert stage.delay_text(20)[0] == "on_time"
    # Jump back to time: the reveal (planned at +7 min) reached at +5 is 2 minutes ahead.
    s = run(stage.jump_to, event, 2, cues["reveal"].id, now=T0 + timedelta(minutes=5))
    assert s.delay_seconds() == -120


# The pages


def screen_json(web, event, key=None):
    response = web.get(f"/stage/{event.slug}/screen.json" + (f"?key={key}" if key else ""))
    assert response.status_code == 200, text(response)[:500]
    return response


def test_the_screen_shows_the_winner_only_from_the_reveal_on(night, organizer_web_for_night, make_app):
    user, event, cues, _winner, _recipient = night
    web = organizer_web_for_night
    operator = text(web.get(f"/manage/{event.slug}/awards/stage"))
    key = unescape(re.search(r'/stage/[^/]+/screen\?key=([^"&]+)', operator).group(1))
    screen = make_app().test_client()  # the venue PC: nobody signed in
    assert screen.get(f"/stage/{event.slug}/screen").status_code == 404
    assert screen.get(f"/stage/{event.slug}/screen.json?key=forged{key[6:]}").status_code == 404
    before = json.loads(text(screen_json(screen, event, key)))
    assert before["started"] is False and before["winners"] == []

    def step(action, **extra):
        response = web.post(f"/manage/{event.slug}/awards/stage/{action}", data={"version": version_of(event), **extra})
        assert response.status_code == 302

    step("start")
    step("next")  # nominees
    at_nominees = screen_json(screen, event, key)
    data = json.loads(text(at_nominees))
    assert data["kind"] == "nominees" and data["category"] == "Smart Governance Terbaik"
    assert sorted(data["nominees"]) == ["Kab. Badung", "Kab. Cirebon", "Kota Semarang"]
    assert data["winners"] == [] and "Bupati Cirebon" not in text(at_nominees) and "PSC 119 terpadu" not in text(at_nominees)
    assert "Pemenang" not in text(at_nominees)  # the reveal cue's own title never reaches the screen early
    # Unchanged state: 304 by its ETag.
    assert screen.get(f"/stage/{event.slug}/screen.json?key={key}", headers={"If-None-Match": at_nominees.headers["ETag"]}).status_code == 304
    step("next")  # reveal
    after = screen_json(screen, event, key)
    assert after.headers["ETag"] != at_nominees.headers["ETag"]
    revealed = json.loads(text(after))
    assert revealed["winners"][0]["organization"] == "Kab. Cirebon"
    assert revealed["winners"][0]["on_behalf_of"] == "atas nama Bupati Cirebon"
    step("next")  # to the stage: still shown
    assert json.loads(text(screen_json(screen, event, key)))["winners"][0]["awardee_title"] == "Bupati Cirebon"
    step("next")  # closing: the cue's title
    closing = json.loads(text(screen_json(screen, event, key)))
    assert closing["title"] == "Penutupan" and closing["winners"] == []
    page = text(screen.get(f"/stage/{event.slug}/screen?key={key}"))
    assert "Penutupan" in page and "awards-stage.js" in page


STALE = ("Someone else moved the show on a moment ago (from another screen). "
         "The page now shows where the show is; check it and press again if still needed.")


def test_a_stale_click_over_http_is_refused_with_a_message(night, organizer_web_for_night, app):
    user, event, cues, _winner, _recipient = night
    web = organizer_web_for_night
    web.post(f"/manage/{event.slug}/awards/stage/start", data={"version": 0})
    web.post(f"/manage/{event.slug}/awards/stage/next", data={"version": 1})
    second = web.post(f"/manage/{event.slug}/awards/stage/next", data={"version": 1}, follow_redirects=True)
    assert second.status_code == 200
    assert tr(app, STALE) in unescape(text(second))
    state = fresh().get(StageState, event.id)
    assert state.version == 2 and state.current_cue_id == cues["nominees"].id


def test_backstage_shows_the_next_recipient_and_their_check_in(night, organizer_web_for_night, make_checkpoint, app):
    user, event, cues, _winner, recipient = night
    web = organizer_web_for_night
    run(stage.start_show, event, 0, now=T0)
    data = json.loads(text(web.get(f"/stage/{event.slug}/backstage.json")))
    nxt = data["next_recipient"]
    assert nxt["recipient_name"] == "Drs. Dadang Suhendra" and nxt["on_behalf_of"] == "atas nama Bupati Cirebon"
    assert nxt["category"] == "Smart Governance Terbaik" and nxt["checked_in"] is False
    page = text(web.get(f"/stage/{event.slug}/backstage"))
    assert tr(app, "not checked in yet") in unescape(page)

    gate = make_checkpoint(event, name="Pintu Hall A")
    db.session.add(CheckIn(event_id=event.id, checkpoint_id=gate.id, ticket_id=recipient.ticket.id, registration_id=recipient.id,
                           direction=Direction.IN, slot="once", source=CheckInSource.SCAN, at=utc(2021, 12, 14, 12, 5)))
    db.session.commit()
    data = json.loads(text(web.get(f"/stage/{event.slug}/backstage.json")))
    assert data["next_recipient"]["checked_in"] is True and data["next_recipient"]["checked_in_at"] == "19:05 WIB"
    page = unescape(text(web.get(f"/stage/{event.slug}/backstage")))
    assert tr(app, "checked in %(time)s", time="19:05 WIB") in page
    # Once the recipient is on stage, nobody else comes up in this night.
    for _n in range(4):
        run(stage.next_cue, event, version_of(event))
    assert json.loads(text(web.get(f"/stage/{event.slug}/backstage.json")))["next_recipient"] is None


def test_who_may_open_the_stage_pages(night, make_user, make_app):
    _user, event, _cues, _winner, _recipient = night
    checkin = make_user(email="petugas@kominfo.go.id", event=event, role="checkin")
    web = sign_in(make_app().test_client(), checkin)
    assert web.get(f"/stage/{event.slug}/backstage").status_code == 200
    assert web.get(f"/manage/{event.slug}/awards/stage").status_code == 403
    assert web.post(f"/manage/{event.slug}/awards/stage/start", data={"version": 0}).status_code == 403
    assert web.get(f"/stage/{event.slug}/screen").status_code == 404  # no screen link, not an organizer
    anonymous = make_app().test_client()
    assert anonymous.get(f"/stage/{event.slug}/backstage.json", headers={"Accept": "application/json"}).status_code == 401
    assert fresh().scalar(select(func.count()).select_from(StageState)) == 0


def test_the_operator_page_shows_plan_and_delay(night, organizer_web_for_night, app):
    _user, event, cues, _winner, _recipient = night
    web = organizer_web_for_night
    page = text(web.get(f"/manage/{event.slug}/awards/stage"))
    assert 'data-testid="step-start"' in page and "Pembukaan" in page
    run(stage.start_show, event, 0, now=T0)
    run(stage.next_cue, event, 1, now=T0 + timedelta(minutes=9))
    page = unescape(text(web.get(f"/manage/{event.slug}/awards/stage")))
    assert tr(app, "+%(minutes)d min late", minutes=4) in page
    assert 'name="version" value="2"' in page


@pytest.fixture
def organizer_web_for_night(night, make_app):
    user, _event, _cues, _winner, _recipient = night
    return sign_in(make_app().test_client(), user)
