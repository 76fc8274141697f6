"""A juror's page: the assigned categories, each nomination with its documents, a score form or "recused", conflicts."""
from __future__ import annotations

from flask import Blueprint, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy.exc import IntegrityError

from eventsys.accounts.models import EventRoleName
from eventsys.awards import judging
from eventsys.awards.judging_forms import ActionForm, ConflictForm
from eventsys.awards.models import JudgingState
from eventsys.awards.services import juror_for, programme_for, state_label
from eventsys.core.access import event_role_required
from eventsys.core.rules import RuleViolation
from eventsys.extensions import db

bp = Blueprint("awards_jury_views", __name__, url_prefix="/jury/<slug>")
jurors_only = event_role_required(EventRoleName.JUROR, EventRoleName.ORGANIZER)


def _page(juror, *, errors=None, typed=None, status=200):
    programme = programme_for(db.session, g.event)
    groups = judging.juror_cards(db.session, g.event, juror) if juror else []
    db.session.commit()
    return render_template("awards/jury_index.html", event=g.event, programme=programme, stage=state_label(programme.state),
                           juror=juror, groups=groups, errors=errors or {}, typed=typed or {}, form=ActionForm(),
                           conflict_form=ConflictForm(formdata=None), recusal_labels=judging.RECUSAL_LABELS,
                           scoring_open=programme.state == JudgingState.JUDGING,
                           conflicts_open=programme.state in (JudgingState.SETUP, JudgingState.JUDGING),
                           step=str(judging.STEP)), status


@bp.get("")
@jurors_only
def index(slug: str):
    return _page(juror_for(db.session, current_user, g.event))


def _refused(juror, nomination_id: int, message: str, typed=None):
    db.session.rollback()
    return _page(juror, errors={nomination_id: message}, typed={nomination_id: typed or {}}, status=400)


@bp.post("/nominations/<int:nomination_id>/scores")
@jurors_only
def score(slug: str, nomination_id: int):
    juror = juror_for(db.session, current_user, g.event)
    if juror is None:
        return _page(None, status=403)
    form = ActionForm()
    typed = {key: request.form.get(key, "")[:20] for key in request.form if key.startswith("criterion_")}
    if not form.validate_on_submit():
        return _refused(juror, nomination_id, _("Your form has expired or did not come from this site. Reload the page and send it again."), typed)
    raw = {}
    for key, value in typed.items():
        try:
            raw[int(key.removeprefix("criterion_"))] = value
        except ValueError:
            continue
    try:
        nomination = judging.save_scores(db.session, g.event, juror, nomination_id, raw, current_user)
        db.session.commit()
    except RuleViolation as violation:
        return _refused(juror, nomination_id, violation.message, typed)
    except IntegrityError:  # the same scores sent twice at once (double click): the first one is kept
        return _refused(juror, nomination_id, _("Your scores were sent twice at the same moment. Check them and save again."), typed)
    flash(_("Your scores for %(region)s are saved.", region=nomination.organization.name), "success")
    return redirect(url_for(".index", slug=slug, _anchor=f"nomination-{nomination_id}"))


@bp.post("/nominations/<int:nomination_id>/conflict")
@jurors_only
def conflict(slug: str, nomination_id: int):
    juror = juror_for(db.session, current_user, g.event)
    if juror is None:
        return _page(None, status=403)
    form = ConflictForm()
    if not form.validate_on_submit():
        message = next((e for errors in form.errors.values() for e in errors), _("Say briefly why you have a conflict of interest."))
        return _refused(juror, nomination_id, str(message))
    try:
        nomination = judging.declare_conflict(db.session, g.event, juror, nomination_id, form.reason.data, current_user)
    except RuleViolation as violation:
        return _refused(juror, nomination_id, violation.message)
    db.session.commit()
    flash(_("Conflict of interest declared: you will not score %(region)s.", region=nomination.organization.name), "success")
    return redirect(url_for(".index", slug=slug))
