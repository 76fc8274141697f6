"""`flask seed-demo` leaves the 2021 award night judged, published, locked and ready to run on stage, with a poll."""
import json
from collections import Counter

from sqlalchemy import func, select

from eventsys.awards import judging
from eventsys.awards import winners as winners_module
from eventsys.awards.models import (
    AwardAudit,
    AwardCategory,
    AwardProgramme,
    Conflict,
    Cue,
    CueKind,
    JudgingState,
    Juror,
    Nomination,
    PollAnswer,
    Score,
    StageState,
    Winner,
)
from eventsys.events.models import Event
from tests.helpers import fresh, sign_in, text

SLUG = "malam-penganugerahan-smart-city-2021"


def test_seed_demo_makes_the_award_night_ready_to_run(runner, app, tmp_path, make_user, make_app):
    app.config["DEMO_LOGINS_FILE"] = str(tmp_path / "demo-logins.txt")
    result = runner.invoke(args=["seed-demo"])
    assert result.exit_code == 0, result.output
    session = fresh()
    event = session.scalar(select(Event).where(Event.slug == SLUG))
    programme = session.get(AwardProgramme, event.id)
    assert programme.state == JudgingState.LOCKED and programme.locked_at and programme.published_at
    categories = list(session.scalars(select(AwardCategory).where(AwardCategory.event_id == event.id)))
    assert len(categories) == 7 and "Masterplan Terbaik" in {c.name for c in categories}
    assert all(sorted((c.name, c.weight) for c in cat.criteria) == [("Dampak", 40), ("Inovasi", 30), ("Keberlanjutan", 30)]
               for cat in categories)
    jurors = list(session.scalars(select(Juror).where(Juror.event_id == event.id)))
    assert len(jurors) == 3 and "juri@demo.eventsys.id" in {j.user.email for j in jurors}
    # Recusal held: no juror scored a nomination of their own organization or province, nor a declared conflict.
    scored = session.execute(select(Score.juror_id, Score.nomination_id).distinct()).all()
    nominations = {n.id: n for n in session.scalars(select(Nomination))}
    by_id = {j.id: j for j in jurors}
    recusals = 0
    for juror in jurors:
        for nomination in nominations.values():
            own = nomination.organization_id == juror.organization_id or (juror.province and juror.province == nomination.organization.province)
            if own:
                recusals += 1
                assert (juror.id, nomination.id) not in scored
    assert recusals > 0
    conflict = session.scalar(select(Conflict))
    assert (conflict.juror_id, conflict.nomination_id) not in scored and by_id[conflict.juror_id]
    winners = list(session.scalars(select(Winner)))
    assert len(winners) == 7 and all(w.certificate_code for w in winners)
    regions = Counter(w.nomination.organization_id for w in winners)
    assert max(regions.values()) == 1  # one award per region
    # The winners came through the organizer's path: judging opened and closed through the state machine, and each
    # category's winner is the best of its ranking (declared tie-break) among regions not already awarded.
    actions = [(a.action, a.detail) for a in session.scalars(select(AwardAudit).where(AwardAudit.event_id == event.id).order_by(AwardAudit.id))]
    states = [json.loads(d)["after"] for a, d in actions if a == "state"]
    assert states == ["judging", "closed"] and [a for a, _d in actions].count("publish") == 1
    assert any(a == "winner" and json.loads(d).get("source") == "ranking" for a, d in actions)
    awarded = set()
    for category in winners_module.categories_of(session, event):
        ranked = [r.nomination_id for r in judging.category_ranking(session, event, category).rows if r.rank is not None]
        region_of = {n.id: n.organization_id for n in category.nominations}
        expected = next(n for n in ranked if region_of[n] not in awarded)
        won = [w for w in winners if w.category_id == category.id]
        assert [w.nomination_id for w in won] == [expected] and won[0].citation and won[0].awardee_title
        awarded.add(region_of[expected])
    delegated = [w for w in winners if w.on_behalf_of]
    assert delegated and delegated[0].on_behalf_of.startswith("atas nama Bupati") and delegated[0].recipient_registration_id
    cues = list(session.scalars(select(Cue).where(Cue.event_id == event.id).order_by(Cue.position)))
    assert cues and sum(c.kind == CueKind.REVEAL for c in cues) == 7
    state = session.get(StageState, event.id)
    assert state is not None and state.version == 0 and state.current_cue_id is None
    assert session.scalar(select(func.count()).select_from(PollAnswer).where(PollAnswer.event_id == event.id)) >= 40

    admin = make_user(email="admin.demo.test@kominfo.go.id", is_admin=True)
    web = sign_in(make_app().test_client(), admin)
    page = web.get(f"/manage/{SLUG}/awards/stage")
    assert page.status_code == 200 and 'data-testid="step-start"' in text(page)
    assert web.get(f"/stage/{SLUG}/backstage").status_code == 200
    results = web.get(f"/manage/{SLUG}/poll")
    assert results.status_code == 200 and "<svg" in text(results)
