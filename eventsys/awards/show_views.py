"""The organizer's run-of-show: cues with computed times, generating from the results, editing,
reordering, the booklet and the MC script PDFs. The piagam routes live in show_piagam_views
(registered on this blueprint)."""
from __future__ import annotations

from flask import Blueprint, Response, abort, flash, g, redirect, render_template, request, url_for
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_login import current_user

from eventsys.accounts.models import EventRoleName
from eventsys.awards import booklet, runofshow
from eventsys.awards.certificates import piagam_locale, winners_of
from eventsys.awards.models import AwardCategory, Cue, CueKind, JudgingState
from eventsys.awards.services import programme_for
from eventsys.awards.show_forms import ActionForm, CueForm, GenerateForm, ShowStartForm
from eventsys.core.access import event_role_required
from eventsys.core.rules import RuleViolation, attach_to_form
from eventsys.core.timezones import form_local, form_utc, zone_abbreviation
from eventsys.events.models import EVENT_STATUS_LABELS
from eventsys.extensions import db

bp = Blueprint("awards_show_views", __name__)
organizer_only = event_role_required(EventRoleName.ORGANIZER)

SHOW = "/manage/<slug>/awards/show"


def _private_pdf(data: bytes, filename: str) -> Response:
    response = Response(data, mimetype="application/pdf")
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.headers["Cache-Control"] = "no-store"
    return response


def _index_page(generate_form: GenerateForm | None = None, start_form: ShowStartForm | None = None, status: int = 200):
    event = g.event
    programme = programme_for(db.session, event)
    if start_form is None:
        start_form = ShowStartForm(formdata=None, data={"starts_at": form_local(programme.show_starts_at, event.timezone)})
    return render_template(
        "awards/show_index.html",
        event=event,
        status_labels=EVENT_STATUS_LABELS,
        programme=programme,
        locked=programme.state == JudgingState.LOCKED,
        rundown=runofshow.rundown(db.session, event),
        running=runofshow.show_running(db.session, event),
        generate_form=generate_form or GenerateForm(formdata=None),
        start_form=start_form,
        action_form=ActionForm(),
        zone=zone_abbreviation(event.timezone, event.starts_at),
        duration=runofshow.format_duration,
        kind_labels=runofshow.CUE_KIND_LABELS,
        recipient_of=runofshow.recipient_of,
    ), status


@bp.get(SHOW)
@organizer_only
def index(slug: str):
    return _index_page()


@bp.post(SHOW + "/generate")
@organizer_only
def generate(slug: str):
    form = GenerateForm()
    if form.validate_on_submit():
        try:
            made = runofshow.generate(db.session, g.event, replace=bool(form.confirm.data), performance_every=form.performance_every.data or 0,
                                      user=current_user)
        except RuleViolation as violation:
            db.session.rollback()
            attach_to_form(form, violation)
        else:
            db.session.commit()
            flash(_("The run-of-show is generated: %(num)d cues.", num=made), "success")
            return redirect(url_for(".index", slug=slug))
    return _index_page(generate_form=form, status=400)


@bp.post(SHOW + "/start")
@organizer_only
def show_start(slug: str):
    form = ShowStartForm()
    if not form.validate_on_submit():
        return _index_page(start_form=form, status=400)
    runofshow.set_show_start(db.session, g.event, form_utc(form.starts_at.data, g.event.timezone))
    db.session.commit()
    flash(_("The show's start is saved; the times are computed from it."), "success")
    return redirect(url_for(".index", slug=slug))


def _cue_or_404(cue_id: int) -> Cue:
    cue = db.session.get(Cue, cue_id)
    if cue is None or cue.event_id != g.event.id:
        abort(404)
    return cue


def _cue_form(cue: Cue | None) -> CueForm:
    event = g.event
    if request.method == "POST":
        form = CueForm()
    elif cue is None:
        form = CueForm(formdata=None)
    else:
        with force_locale(piagam_locale(None)):  # what the MC says: the default proposal, in the MC's language
            script = runofshow.script_of(db.session, event, cue)
        form = CueForm(formdata=None, data={
            "kind": cue.kind.value, "title": cue.title, "duration": runofshow.format_duration(cue.planned_seconds), "presenter": cue.presenter,
            "category_id": cue.category_id, "winner_id": cue.winner_id, "media_cue": cue.media_cue, "stage_notes": cue.stage_notes,
            "script": script,
        })
    categories = db.session.scalars(db.select(AwardCategory).where(AwardCategory.event_id == event.id)
                                    .order_by(AwardCategory.position, AwardCategory.id)).all()
    form.set_choices(categories, winners_of(db.session, event))
    return form


def _save(form: CueForm, cue: Cue | None) -> Cue:
    fields = {
        "kind": CueKind(form.kind.data), "title": form.title.data, "planned_seconds": form.seconds(), "presenter": form.presenter.data,
        "stage_notes": form.stage_notes.data, "media_cue": form.media_cue.data, "script": form.script.data,
        "category_id": form.category_id.data, "winner_id": form.winner_id.data,
    }
    if cue is None:
        return runofshow.add_cue(db.session, g.event, **fields)
    runofshow.update_cue(db.session, g.event, cue, **fields)
    with force_locale(piagam_locale(None)):
        proposed = runofshow.default_script(db.session, g.event, cue)
    if " ".join(cue.script.split()) == " ".join(proposed.split()):
        cue.script = ""  # left as proposed: keeps following the results
    return cue


@bp.route(SHOW + "/cues/new", methods=["GET", "POST"], defaults={"cue_id": None})
@bp.route(SHOW + "/cues/<int:cue_id>", methods=["GET", "POST"])
@organizer_only
def edit_cue(slug: str, cue_id: int | None):
    cue = _cue_or_404(cue_id) if cue_id is not None else None
    form = _cue_form(cue)
    if request.method == "POST" and form.validate_on_submit():
        try:
            _save(form, cue)
        except RuleViolation as violation:
            db.session.rollback()
            attach_to_form(form, violation)
        else:
            db.session.commit()
            flash(_("The cue is saved."), "success")
            return redirect(url_for(".index", slug=slug))
    return render_template("awards/show_cue.html", event=g.event, status_labels=EVENT_STATUS_LABELS, form=form, cue=cue), (
        400 if request.method == "POST" else 200)


@bp.post(SHOW + "/cues/<int:cue_id>/delete")
@organizer_only
def delete_cue(slug: str, cue_id: int):
    if ActionForm().validate_on_submit():
        try:
            runofshow.delete_cue(db.session, g.event, cue_id)
        except RuleViolation as violation:
            db.session.rollback()
            flash(violation.message, "error")
        else:
            db.session.commit()
            flash(_("The cue is deleted."), "success")
    return redirect(url_for(".index", slug=slug))


@bp.post(SHOW + "/cues/<int:cue_id>/<any(up, down):direction>")
@organizer_only
def move_cue(slug: str, cue_id: int, direction: str):
    if ActionForm().validate_on_submit():
        try:
            runofshow.move(db.session, g.event, cue_id, direction)
        except RuleViolation as violation:
            db.session.rollback()
            flash(violation.message, "error")
        else:
            db.session.commit()
    return redirect(url_for(".index", slug=slug, _anchor=f"cue-{cue_id}"))


@bp.get(SHOW + "/booklet.pdf")
@organizer_only
def booklet_pdf(slug: str):
    locale = piagam_locale(request.args.get("lang"), current_user)
    with_winners = request.args.get("winners", "1") != "0"
    return _private_pdf(booklet.booklet_pdf(db.session, g.event, locale, with_winners=with_winners), f"buku-acara-{g.event.slug}.pdf")


@bp.get(SHOW + "/script.pdf")
@organizer_only
def script_pdf(slug: str):
    locale = piagam_locale(request.args.get("lang"), current_user)
    return _private_pdf(booklet.script_pdf(db.session, g.event, locale), f"naskah-mc-{g.event.slug}.pdf")


from eventsys.awards import show_piagam_views  # noqa: E402,F401  (its routes join this blueprint)
