"""The organizer's judging and results: state, juror progress and reminders, rankings, winners, recipients, publishing, audit."""
from __future__ import annotations

import io
import json

from flask import Blueprint, Response, abort, current_app, flash, g, redirect, render_template, request, send_file, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from eventsys.accounts.models import EventRoleName, User
from eventsys.awards import documents as docs
from eventsys.awards import judging, winners
from eventsys.awards.judging_forms import ActionForm, RecipientForm
from eventsys.awards.manage_views import award_menu
from eventsys.awards.models import AwardAudit, AwardCategory, JudgingState, Winner
from eventsys.awards.ranking import FALLBACK, SCORE
from eventsys.awards.services import programme_for, state_label
from eventsys.awards.setup import tie_break_label
from eventsys.core.access import event_role_required
from eventsys.core.mail import public_url
from eventsys.core.rules import RuleViolation, attach_to_form, commit_or_attach
from eventsys.core.storage import get_storage
from eventsys.events.models import EVENT_STATUS_LABELS
from eventsys.extensions import db

bp = Blueprint("awards_results_views", __name__, url_prefix="/manage/<slug>/awards/results")
organizer_only = event_role_required(EventRoleName.ORGANIZER)


def _page(template: str, status: int = 200, **context):
    programme = programme_for(db.session, g.event)
    body = render_template(f"awards/{template}", event=g.event, programme=programme, stage=state_label(programme.state),
                           status_labels=EVENT_STATUS_LABELS, award_menu=award_menu(g.event.slug), States=JudgingState,
                           action_form=ActionForm(), **context)
    db.session.commit()
    return body, status


def _flash_form(form) -> None:
    for error in form.form_errors:
        flash(error, "error")
    if getattr(form, "csrf_token", None) is not None and form.csrf_token.errors:
        flash(_("Your form has expired or did not come from this site. Reload the page and send it again."), "error")


@bp.get("/")
@organizer_only
def index(slug: str):
    event = g.event
    programme = programme_for(db.session, event)
    categories = winners.categories_of(db.session, event)
    return _page("results_index.html", categories=categories, progress=judging.progress(db.session, event),
                 opening_problems=judging.opening_problems(db.session, event) if programme.state == JudgingState.SETUP else [],
                 publishing_problems=winners.publishing_problems(db.session, event) if programme.state == JudgingState.CLOSED else [],
                 winners={c.id: winners.winners_of(db.session, c) for c in categories},
                 tie_break=[tie_break_label(r) for r in judging.ranking_rules.parse_chain(programme.tie_break)])


def _state_action(slug: str, call, done) -> Response:
    """One button on the results page: run the service, commit, and say what happened (or why not)."""
    form = ActionForm()
    if form.validate_on_submit() and commit_or_attach(form, call):
        flash(done(), "success")
    _flash_form(form)
    return redirect(url_for(".index", slug=slug))


@bp.post("/open")
@organizer_only
def open_judging(slug: str):
    return _state_action(slug, lambda: judging.advance(db.session, g.event, JudgingState.SETUP, current_user),
                         lambda: _("Judging is open: jurors can now score."))


@bp.post("/close")
@organizer_only
def close_judging(slug: str):
    return _state_action(slug, lambda: winners.close_judging(db.session, g.event, current_user),
                         lambda: _("Judging is closed. The top of each ranking is proposed as winners; check them and publish."))


@bp.post("/publish")
@organizer_only
def publish(slug: str):
    return _state_action(slug, lambda: winners.publish(db.session, g.event, current_user),
                         lambda: _("The results are published and locked."))


@bp.post("/remind")
@organizer_only
def remind(slug: str):
    sent = []
    link = public_url(url_for("awards_jury_views.index", slug=slug))
    return _state_action(slug, lambda: sent.append(judging.send_reminders(db.session, g.event, link, current_user)),
                         lambda: _("Reminders sent to %(count)d jurors.", count=sent[0]) if sent[0] else _("No juror is behind: no reminder sent."))


# One category: ranking beside the tie-break, and its winners


def _category_or_404(category_id: int) -> AwardCategory:
    category = db.get_or_404(AwardCategory, category_id)
    if category.event_id != g.event.id:
        abort(404)
    return category


def _entries(category: AwardCategory) -> list[winners.WinnerEntry]:
    entries = []
    for rank in range(1, category.winners_count + 1):
        raw = request.form.get(f"place-{rank}-nomination", "")
        entries.append(winners.WinnerEntry(
            nomination_id=int(raw) if raw.isdigit() else None,
            citation=request.form.get(f"place-{rank}-citation", "")[:5000],
            awardee_name=request.form.get(f"place-{rank}-awardee_name", ""),
            awardee_title=request.form.get(f"place-{rank}-awardee_title", "")))
    return entries


@bp.route("/categories/<int:category_id>", methods=["GET", "POST"])
@organizer_only
def category(slug: str, category_id: int):
    event = g.event
    found = _category_or_404(category_id)
    form = ActionForm()
    if request.method == "POST":
        entries = _entries(found)
        if form.validate_on_submit() and commit_or_attach(form, lambda: winners.save_winners(db.session, event, found, entries, current_user)):
            flash(_("Winners of “%(category)s” saved.", category=found.name), "success")
            return redirect(url_for(".category", slug=slug, category_id=category_id))
    ranking = judging.category_ranking(db.session, event, found)
    nominations = {n.id: n for n in found.nominations}
    current = winners.winners_of(db.session, found)
    places = []
    for rank in range(1, found.winners_count + 1):
        w = next((w for w in current if w.rank == rank), None)
        places.append({"rank": rank, "winner": w})
    return _page("results_category.html", 400 if request.method == "POST" else 200, category=found, ranking=ranking,
                 nominations=nominations, places=places, form=form, rule_labels={r: tie_break_label(r) for r in ranking.rules},
                 SCORE=SCORE, FALLBACK=FALLBACK)


# Who receives


def _winner_or_404(winner_id: int) -> Winner:
    found = db.get_or_404(Winner, winner_id)
    if found.category.event_id != g.event.id:
        abort(404)
    return found


@bp.route("/winners/<int:winner_id>", methods=["GET", "POST"])
@organizer_only
def recipient(slug: str, winner_id: int):
    event = g.event
    found = _winner_or_404(winner_id)
    form = RecipientForm(formdata=None, obj=found) if request.method == "GET" else RecipientForm()
    choices = winners.registration_choices(db.session, event, found)
    form.registration_id.choices = [(0, _("— none —"))] + [(r.id, f"{r.name} · {r.position}" if r.position else r.name) for r in choices]
    if request.method == "GET":
        form.registration_id.data = found.recipient_registration_id or 0
    if form.validate_on_submit():
        upload = request.files.get("mandate")
        mandate = (upload.read(docs.MAX_DOCUMENT_BYTES + 1), upload.filename) if upload and upload.filename else None
        data = winners.RecipientData(form.recipient_name.data or "", form.recipient_position.data or "", form.on_behalf_of.data or "",
                                     form.registration_id.data or None, mandate, form.remove_mandate.data)
        saved: list[str] = []
        try:
            winners.save_recipient(db.session, event, found, data, saved, current_user)
            db.session.commit()
        except RuleViolation as violation:
            db.session.rollback()
            docs.discard(saved)
            attach_to_form(form, violation)
        else:
            flash(_("Recipient of “%(category)s” saved.", category=found.category.name), "success")
            return redirect(url_for(".category", slug=slug, category_id=found.category_id))
    return _page("results_recipient.html", 400 if request.method == "POST" else 200, winner=found, form=form)


@bp.get("/winners/<int:winner_id>/mandate")
@organizer_only
def mandate(slug: str, winner_id: int):
    found = _winner_or_404(winner_id)
    if not found.mandate_key or found.mandate_content_type not in docs.SUFFIXES:
        abort(404)
    try:
        body = get_storage(current_app).read(found.mandate_key)
    except (OSError, ValueError):
        abort(404)
    response = send_file(io.BytesIO(body), mimetype=found.mandate_content_type, as_attachment=True,
                         download_name="surat-kuasa" + docs.SUFFIXES[found.mandate_content_type])
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response


# Audit log


@bp.get("/audit")
@organizer_only
def audit_log(slug: str):
    event = g.event
    rows = db.session.scalars(select(AwardAudit).where(AwardAudit.event_id == event.id)
                              .order_by(AwardAudit.created_at.desc(), AwardAudit.id.desc()).limit(1000)).all()
    users = {u.id: u for u in db.session.scalars(select(User).where(User.id.in_({r.user_id for r in rows if r.user_id} or {0})))}
    entries = []
    for row in rows:
        try:
            detail = json.loads(row.detail or "{}")
        except ValueError:
            detail = {"detail": row.detail}
        entries.append((row, users.get(row.user_id), detail))
    return _page("results_audit.html", entries=entries)
