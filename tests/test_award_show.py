"""The run-of-show: generated from the locked results, computed times, editing and reordering, the PDFs."""
import re
from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from eventsys.awards import runofshow
from eventsys.awards.models import Cue, CueKind, JudgingState, StageState
from eventsys.extensions import db
from tests.award_show_helpers import build_night, flat, lock
from tests.helpers import field_errors, fresh, sign_in, text, tr
from tests.test_tickets import pdf_pages

K = CueKind
TWO_AWARDS = [K.OPENING, K.ANTHEM, K.WELCOME, K.SPEECH, K.NOMINEES, K.REVEAL, K.TO_STAGE, K.PHOTO, K.PERFORMANCE,
              K.NOMINEES, K.REVEAL, K.TO_STAGE, K.PHOTO, K.CLOSING]


@pytest.fixture
def night(make_app, make_event, make_user, make_venue):
    return build_night(make_app, make_event, make_user, make_venue)


def url(event, path="") -> str:
    return f"/manage/{event.slug}/awards/show{path}"


def cues(event) -> list[Cue]:
    return list(fresh().scalars(select(Cue).where(Cue.event_id == event.id).order_by(Cue.position, Cue.id)))


def starts(response) -> list[str]:
    return re.findall(r'data-testid="cue-start">([^<]*)<', text(response))


def generate(night, **data):
    return night.web.post(url(night.event, "/generate"), data={"performance_every": "1", **data})


def test_the_rundown_is_generated_from_the_results_in_order(night):
    assert generate(night).status_code == 302
    made = cues(night.event)
    assert [c.kind for c in made] == TWO_AWARDS
    assert [c.position for c in made] == list(range(1, 15))
    governance, economy = made[4:8], made[9:13]
    assert {c.category_id for c in governance} == {night.governance.id} and {c.category_id for c in economy} == {night.economy.id}
    assert [c.winner_id for c in governance] == [None, night.cirebon.id, night.cirebon.id, night.cirebon.id]
    assert [c.winner_id for c in economy] == [None, night.bandung.id, night.bandung.id, night.bandung.id]
    assert made[3].presenter == "Johnny G. Plate"
    # Without performances there is none between the awards.
    assert generate(night, performance_every="0", confirm="y").status_code == 302
    assert [c.kind for c in cues(night.event)] == [k for k in TWO_AWARDS if k != K.PERFORMANCE]


def test_start_times_are_computed_in_the_events_zone(night):
    generate(night)
    page = night.web.get(url(night.event))
    # The night starts at 11:30 UTC: 18:30 WIB; opening 3:00, anthem 3:00, welcome 5:00, speech 10:00, nominees 2:00 …
    assert starts(page)[:6] == ["18:30", "18:33", "18:36", "18:41", "18:51", "18:53"]
    assert 'data-testid="show-total">39:30<' in text(page) and 'data-testid="show-end">19:09 WIB<' in text(page)
    # An editable start of the show (its wall clock in the event's zone) moves every cue.
    assert night.web.post(url(night.event, "/start"), data={"starts_at": "2021-12-14T19:00"}).status_code == 302
    rundown = runofshow.rundown(fresh(), night.event)
    assert rundown.starts_at == datetime(2021, 12, 14, 12, 0, tzinfo=UTC)
    assert starts(night.web.get(url(night.event)))[:3] == ["19:00", "19:03", "19:06"]
    # In WITA the same instants read an hour later.
    night.event.timezone = "Asia/Makassar"
    db.session.commit()
    page = night.web.get(url(night.event))
    assert starts(page)[:2] == ["20:00", "20:03"] and 'data-testid="show-end">20:39 WITA<' in text(page)


def test_the_rundown_is_refused_before_the_results_are_locked(app, night):
    lock(night.event, JudgingState.CLOSED)
    response = generate(night)
    assert response.status_code == 400
    assert tr(app, "The run-of-show is generated from the results: lock the results first.") in text(response)
    assert cues(night.event) == []


def test_generating_again_asks_for_confirmation_and_replaces_every_cue(app, night):
    generate(night)
    night.web.post(url(night.event, "/cues/new"), data={"kind": "other", "title": "Doorprize", "duration": "5:00"})
    before = [c.id for c in cues(night.event)]
    refused = generate(night)
    assert refused.status_code == 400
    assert field_errors(refused, "confirm") == [tr(app, "The run-of-show already has %(num)d cues. Confirm that they are to be replaced.", num=15)]
    assert [c.id for c in cues(night.event)] == before
    assert generate(night, confirm="y").status_code == 302
    after = cues(night.event)
    assert len(after) == 14 and "Doorprize" not in [c.title for c in after]


def test_reordering_adding_and_deleting_keep_positions_dense(night):
    generate(night)
    made = [c.id for c in cues(night.event)]
    welcome, speech = made[2], made[3]
    assert night.web.post(url(night.event, f"/cues/{speech}/up")).status_code == 302
    assert [c.id for c in cues(night.event)][2:4] == [speech, welcome]
    night.web.post(url(night.event, f"/cues/{made[0]}/up"))  # the first cannot go higher
    night.web.post(url(night.event, f"/cues/{made[-1]}/down"))  # nor the last lower
    assert cues(night.event)[0].id == made[0] and cues(night.event)[-1].id == made[-1]
    night.web.post(url(night.event, f"/cues/{made[5]}/delete"))
    night.web.post(url(night.event, "/cues/new"), data={"kind": "break", "title": "Rehat", "duration": "10"})
    night.web.post(url(night.event, f"/cues/{made[8]}/down"))
    now = cues(night.event)
    assert [c.position for c in now] == list(range(1, 15))
    assert made[5] not in [c.id for c in now] and now[-1].title == "Rehat" and now[-1].planned_seconds == 600


def test_a_cue_is_edited_and_bad_input_is_explained(app, night):
    generate(night)
    reveal = cues(night.event)[5]
    page = text(night.web.get(url(night.event, f"/cues/{reveal.id}")))
    assert "atas nama Bupati Cirebon" in page  # the proposed MC text names who receives
    bad = night.web.post(url(night.event, f"/cues/{reveal.id}"), data={"kind": "reveal", "title": "Reveal", "duration": "2:75"})
    assert bad.status_code == 400
    assert field_errors(bad, "duration") == [tr(app, "Enter the length as minutes:seconds, e.g. 2:30 (at most 6 hours).")]
    wrong = night.web.post(url(night.event, f"/cues/{reveal.id}"), data={
        "kind": "reveal", "title": "Reveal", "duration": "1:00", "category_id": night.economy.id, "winner_id": night.cirebon.id})
    assert field_errors(wrong, "winner_id") == [tr(app, "The winner must be one of the chosen category's winners.")]
    saved = night.web.post(url(night.event, f"/cues/{reveal.id}"), data={
        "kind": "reveal", "title": "Pengumuman Smart Governance", "duration": "2:30", "presenter": "MC Cantika",
        "media_cue": "Fanfare", "stage_notes": "Lampu sorot", "script": "Inilah dia!", "winner_id": night.cirebon.id})
    assert saved.status_code == 302
    cue = fresh().get(Cue, reveal.id)
    assert (cue.title, cue.planned_seconds, cue.presenter, cue.script, cue.category_id) == (
        "Pengumuman Smart Governance", 150, "MC Cantika", "Inilah dia!", night.governance.id)


def test_cues_may_be_edited_while_the_show_runs_but_not_generated_again(app, night):
    generate(night)
    made = cues(night.event)
    db.session.add(StageState(event_id=night.event.id, current_cue_id=made[1].id, show_started_at=datetime.now(UTC), version=1))
    db.session.commit()
    assert night.web.post(url(night.event, f"/cues/{made[2].id}"), data={"kind": "welcome", "title": "Sambutan", "duration": "4:00"}).status_code == 302
    assert fresh().get(Cue, made[2].id).planned_seconds == 240
    refused = generate(night, confirm="y")
    assert refused.status_code == 400 and len(cues(night.event)) == 14
    deleting = night.web.post(url(night.event, f"/cues/{made[1].id}/delete"), follow_redirects=True)
    assert tr(app, "This cue is on stage now. Move the show on before deleting it.") in text(deleting)
    assert len(cues(night.event)) == 14


def test_the_booklet_and_the_mc_script_render(app, night):
    generate(night)
    booklet = night.web.get(url(night.event, "/booklet.pdf"))
    assert booklet.status_code == 200 and booklet.mimetype == "application/pdf"
    pages = flat(" ".join(t for _i, t in pdf_pages(booklet.data, scale=1)))
    assert "Malam Penganugerahan Gerakan Menuju 100 Smart City 2021" in pages and "Hotel Bidakara" in pages
    assert "18:30" in pages and "Cirebon" in pages and "atas nama Bupati Cirebon" in pages
    assert "Tata kelola pemerintahan berbasis data yang terpadu." in pages
    script = night.web.get(url(night.event, "/script.pdf"))
    assert script.status_code == 200
    said = flat(" ".join(t for _i, t in pdf_pages(script.data, scale=1)))
    assert "Cirebon" in said and "atas nama Bupati Cirebon" in said and "18:53" in said
    assert tr(app, "Ladies and gentlemen, please rise as we sing our national anthem, Indonesia Raya.") in said
    without = flat(" ".join(t for _i, t in pdf_pages(night.web.get(url(night.event, "/booklet.pdf?winners=0")).data, scale=1)))
    assert "Tata kelola pemerintahan" not in without


def test_only_organizers_see_the_run_of_show(night, make_app, make_user):
    generate(night)
    fresh()
    staff = make_app().test_client()
    sign_in(staff, make_user(email="petugas@kominfo.go.id", event=night.event, role="checkin"))
    for path in ("", "/booklet.pdf", "/script.pdf", f"/cues/{cues(night.event)[0].id}"):
        assert staff.get(url(night.event, path)).status_code == 403, path
    assert staff.post(url(night.event, "/generate"), data={"confirm": "y"}).status_code == 403
