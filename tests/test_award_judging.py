"""Judging: recusal by organization, province and declared conflict; the scale; the judging state; progress, reminders, audit."""
import json

import pytest
from sqlalchemy import func, select

from eventsys.awards.models import AwardAudit, Conflict, JudgingState, NominationDocument, Score
from eventsys.core.models import OutboxMessage
from eventsys.extensions import db
from tests.award_helpers import make_award_night, make_category, make_juror, make_nomination, programme_of, region, set_state
from tests.helpers import PASSWORD, csrf_token_of, error_message, fresh, sign_in, text, tr


@pytest.fixture
def night(make_event, make_user):
    """A judging award night: one category, a juror from Kab. Cirebon (Jawa Barat), four nominated regions."""
    event = make_award_night(make_event, state=JudgingState.JUDGING)
    organizer = make_user(email="panitia@kominfo.go.id", name="Panitia Kominfo", event=event, role="organizer")
    category = make_category(event, "Smart Governance")
    cirebon = region("Kab. Cirebon", "Jawa Barat")
    nominations = {
        "own": make_nomination(category, cirebon),
        "province": make_nomination(category, region("Kota Bandung", "Jawa Barat")),
        "other": make_nomination(category, region("Kota Surabaya", "Jawa Timur")),
        "free": make_nomination(category, region("Kab. Sleman", "DI Yogyakarta")),
    }
    juror = make_juror(make_user, event, cirebon, categories=[category], email="juri@univ.ac.id")
    return {"event": event, "organizer": organizer, "category": category, "juror": juror, "nominations": nominations}


@pytest.fixture
def juror_web(night, web):
    sign_in(web, night["juror"].user)
    return web


def scores_for(category, *values):
    return {f"criterion_{c.id}": v for c, v in zip(category.criteria, values, strict=True)}


def score_count(nomination=None):
    query = select(func.count()).select_from(Score)
    if nomination is not None:
        query = query.where(Score.nomination_id == nomination.id)
    return fresh().scalar(query)


def recusal_message(app, nomination, reason):
    return tr(app, "You may not score %(region)s: %(reason)s", region=nomination.organization.name, reason=tr(app, reason))


def test_own_organization_and_own_province_are_recused_on_the_page_and_refused_on_post(app, night, juror_web):
    event, n = night["event"], night["nominations"]
    page = text(juror_web.get(f"/jury/{event.slug}"))
    assert f'data-testid="recused-{n["own"].id}"' in page and f'data-testid="recused-{n["province"].id}"' in page
    assert f'data-testid="score-form-{n["own"].id}"' not in page and f'data-testid="score-form-{n["province"].id}"' not in page
    assert f'data-testid="score-form-{n["free"].id}"' in page and f'data-testid="score-form-{n["other"].id}"' in page
    for key, reason in (("own", "Recused: this is your own organization."), ("province", "Recused: this region is in your province.")):
        response = juror_web.post(f"/jury/{event.slug}/nominations/{n[key].id}/scores", data=scores_for(night["category"], 8, 8, 8))
        assert response.status_code == 400
        assert error_message(response) == recusal_message(app, n[key], reason)
    assert score_count() == 0


def test_a_declared_conflict_counts_as_recusal(app, night, juror_web):
    event, n, category = night["event"], night["nominations"], night["category"]
    juror_web.post(f"/jury/{event.slug}/nominations/{n['other'].id}/scores", data=scores_for(category, 7, 7, 7))
    assert score_count(n["other"]) == 3
    response = juror_web.post(f"/jury/{event.slug}/nominations/{n['other'].id}/conflict", data={"reason": "Saya pernah menjadi konsultan mereka."})
    assert response.status_code == 302
    assert fresh().get(Conflict, (night["juror"].id, n["other"].id)).reason == "Saya pernah menjadi konsultan mereka."
    assert score_count(n["other"]) == 0  # the scores given before the declaration are gone
    assert f'data-testid="recused-{n["other"].id}"' in text(juror_web.get(f"/jury/{event.slug}"))
    response = juror_web.post(f"/jury/{event.slug}/nominations/{n['other'].id}/scores", data=scores_for(category, 9, 9, 9))
    assert response.status_code == 400
    assert error_message(response) == recusal_message(app, n["other"], "Recused: you declared a conflict of interest.")
    assert score_count(n["other"]) == 0
    audit = fresh().scalar(select(AwardAudit).where(AwardAudit.action == "conflict"))
    assert json.loads(audit.detail)["scores_removed"] and audit.user_id == night["juror"].user_id


def test_the_page_lists_statements_and_documents(app, night, juror_web):
    nomination = night["nominations"]["free"]
    db.session.add(NominationDocument(nomination_id=nomination.id, file_key="abc.pdf", content_type="application/pdf",
                                      name="profil-sleman.pdf", size=10))
    db.session.commit()
    page = text(juror_web.get(f"/jury/{night['event'].slug}"))
    document = fresh().scalar(select(NominationDocument))
    assert f'/awards/{night["event"].slug}/documents/{document.id}' in page and "profil-sleman.pdf" in page
    assert "Program unggulan daerah." in page


def test_a_conflict_needs_a_reason(app, night, juror_web):
    event, n = night["event"], night["nominations"]
    response = juror_web.post(f"/jury/{event.slug}/nominations/{n['free'].id}/conflict", data={"reason": "  "})
    assert response.status_code == 400
    assert error_message(response) == tr(app, "Say briefly why you have a conflict of interest.")
    assert fresh().scalar(select(func.count()).select_from(Conflict)) == 0


def test_scores_are_saved_and_every_save_is_audited_with_before_and_after(app, night, juror_web):
    event, n, category = night["event"], night["nominations"], night["category"]
    assert juror_web.post(f"/jury/{event.slug}/nominations/{n['free'].id}/scores", data=scores_for(category, 8, "7,5", 9)).status_code == 302
    assert juror_web.post(f"/jury/{event.slug}/nominations/{n['free'].id}/scores", data=scores_for(category, 6, 7, 9)).status_code == 302
    values = {s.criterion_id: float(s.value) for s in fresh().scalars(select(Score).where(Score.nomination_id == n["free"].id))}
    assert values == {category.criteria[0].id: 6.0, category.criteria[1].id: 7.0, category.criteria[2].id: 9.0}
    rows = fresh().scalars(select(AwardAudit).where(AwardAudit.action == "score").order_by(AwardAudit.id)).all()
    assert len(rows) == 2
    first, second = (json.loads(r.detail) for r in rows)
    assert first["before"] == {} and first["after"]["Dampak"] == "7.50"
    assert second["before"]["Inovasi"] == "8.00" and second["after"]["Inovasi"] == "6.00"
    assert 'value="6"' in text(juror_web.get(f"/jury/{event.slug}"))


@pytest.mark.parametrize("bad", ["11", "0", "7.3", "tujuh", ""])
def test_a_score_outside_the_scale_is_refused_and_nothing_is_stored(app, night, juror_web, bad):
    event, n, category = night["event"], night["nominations"], night["category"]
    response = juror_web.post(f"/jury/{event.slug}/nominations/{n['free'].id}/scores", data=scores_for(category, 8, bad, 8))
    assert response.status_code == 400
    bounds = {"criterion": "Dampak", "min": 1, "max": 10}
    expected = {
        "11": tr(app, "The score for “%(criterion)s” must be from %(min)d to %(max)d.", **bounds),
        "0": tr(app, "The score for “%(criterion)s” must be from %(min)d to %(max)d.", **bounds),
        "7.3": tr(app, "Scores are whole or half points (e.g. 7 or 7.5); check “%(criterion)s”.", **bounds),
        "tujuh": tr(app, "“%(value)s” is not a number: give a score for “%(criterion)s” from %(min)d to %(max)d.", value="tujuh", **bounds),
        "": tr(app, "Give a score for “%(criterion)s” (%(min)d–%(max)d).", **bounds),
    }[bad]
    assert error_message(response) == expected
    assert score_count() == 0 and fresh().scalar(select(func.count()).select_from(AwardAudit)) == 0


@pytest.mark.parametrize("state", [JudgingState.SETUP, JudgingState.CLOSED, JudgingState.LOCKED])
def test_scores_are_refused_outside_judging(app, night, juror_web, state):
    event, n = night["event"], night["nominations"]
    set_state(event, state)
    page = text(juror_web.get(f"/jury/{event.slug}"))
    assert f'data-testid="score-form-{n["free"].id}"' not in page
    response = juror_web.post(f"/jury/{event.slug}/nominations/{n['free'].id}/scores", data=scores_for(night["category"], 8, 8, 8))
    assert response.status_code == 400
    if state == JudgingState.LOCKED:
        expected = tr(app, "The results are locked; nothing can change any more.")
    else:
        label = {JudgingState.SETUP: "setup", JudgingState.CLOSED: "judging closed"}[state]
        expected = tr(app, "This cannot be done while the award programme is in the “%(state)s” stage.", state=tr(app, label))
    assert error_message(response) == expected
    assert score_count() == 0


def test_an_organizer_without_a_juror_row_sees_nothing_to_score(app, night, web):
    sign_in(web, night["organizer"])
    event = night["event"]
    page = text(web.get(f"/jury/{event.slug}"))
    assert 'data-testid="not-a-juror"' in page and "score-form" not in page
    assert web.post(f"/jury/{event.slug}/nominations/{night['nominations']['free'].id}/scores").status_code == 403


def test_progress_and_reminders_for_jurors_who_are_behind(app, night, juror_web, client):
    event, n, category = night["event"], night["nominations"], night["category"]
    web = client  # the organizer's own client
    juror_web.post(f"/jury/{event.slug}/nominations/{n['free'].id}/scores", data=scores_for(category, 8, 8, 8))
    sign_in(web, night["organizer"])
    page = text(web.get(f"/manage/{event.slug}/awards/results/"))
    assert tr(app, "%(scored)d of %(total)d", scored=1, total=2) in page  # own and province recused: 2 to score
    assert web.post(f"/manage/{event.slug}/awards/results/remind").status_code == 302
    mail = fresh().scalar(select(OutboxMessage).where(OutboxMessage.kind == "award_juror_reminder"))
    assert mail.to_email == "juri@univ.ac.id"
    assert mail.subject == tr(app, "Reminder: scores for %(event)s", event=event.name)
    assert f"/jury/{event.slug}" in mail.body_text
    assert fresh().get(type(night["juror"]), night["juror"].id).last_reminded_at is not None
    juror_web.post(f"/jury/{event.slug}/nominations/{n['other'].id}/scores", data=scores_for(category, 5, 5, 5))
    web.post(f"/manage/{event.slug}/awards/results/remind")  # nobody is behind now
    assert fresh().scalar(select(func.count()).select_from(OutboxMessage).where(OutboxMessage.kind == "award_juror_reminder")) == 1


def test_opening_judging_needs_a_ready_category_and_is_audited(app, make_event, make_user, web):
    event = make_award_night(make_event, slug="malam-2")
    organizer = make_user(email="panitia2@kominfo.go.id", event=event, role="organizer")
    sign_in(web, organizer)
    web.post(f"/manage/{event.slug}/awards/results/open")
    assert programme_of(event).state == JudgingState.SETUP
    page = text(web.get(f"/manage/{event.slug}/awards/results/"))
    assert tr(app, "Judging needs at least one category with criteria, accepted nominations and jurors assigned to it.") in page
    category = make_category(event, "Smart Society")
    make_nomination(category, region("Kota Malang", "Jawa Timur"))
    make_juror(make_user, event, categories=[category])
    assert web.post(f"/manage/{event.slug}/awards/results/open").status_code == 302
    assert fresh().get(type(programme_of(event)), event.id).state == JudgingState.JUDGING
    audit = fresh().scalar(select(AwardAudit).where(AwardAudit.action == "state"))
    assert json.loads(audit.detail) == {"before": "setup", "after": "judging"}
    assert web.post(f"/manage/{event.slug}/awards/results/close").status_code == 302
    assert fresh().get(type(programme_of(event)), event.id).state == JudgingState.CLOSED


def test_with_csrf_on_the_page_form_saves_and_a_forged_post_is_refused(app, night, make_app):
    web = make_app(WTF_CSRF_ENABLED=True).test_client()
    event, nomination, category = night["event"], night["nominations"]["free"], night["category"]
    page = web.get("/login")
    web.post("/login", data={"email": "juri@univ.ac.id", "password": PASSWORD, "csrf_token": csrf_token_of(page)})
    token = csrf_token_of(web.get(f"/jury/{event.slug}"))
    url = f"/jury/{event.slug}/nominations/{nomination.id}/scores"
    assert web.post(url, data=scores_for(category, 8, 8, 8)).status_code == 400
    assert score_count() == 0
    assert web.post(url, data={**scores_for(category, 8, 8, 8), "csrf_token": token}).status_code == 302
    assert score_count(nomination) == 3
