"""Nominations: the organizer's list and forms, documents for organizers and jurors, and a region's own nomination page."""
from __future__ import annotations

from flask import Blueprint, abort, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from eventsys.accounts.models import EventRoleName
from eventsys.awards import documents as docs
from eventsys.awards import nominations as noms
from eventsys.awards import setup
from eventsys.awards.forms import ConfirmForm, NominationEditForm, NominationForm, SelfNominationForm
from eventsys.awards.manage_views import award_menu
from eventsys.awards.models import JudgingState, JurorCategory, Nomination, NominationDocument
from eventsys.awards.services import juror_for, programme_for, state_label
from eventsys.core.access import event_role_required, public
from eventsys.core.rules import RuleViolation, attach_to_form
from eventsys.events.models import EVENT_STATUS_LABELS, Event, Organization
from eventsys.extensions import db

bp = Blueprint("awards_nomination_views", __name__)
organizer_only = event_role_required(EventRoleName.ORGANIZER)
PREFIX = "/manage/<slug>/awards/nominations"


def _page(template: str, **context):
    programme = programme_for(db.session, g.event)
    return render_template(f"awards/{template}", event=g.event, programme=programme, stage=state_label(programme.state),
                           status_labels=EVENT_STATUS_LABELS, state_labels=noms.STATE_LABELS,
                           source_labels=noms.SOURCE_LABELS, award_menu=award_menu(g.event.slug), **context)


def _store(form, change) -> bool:
    """Check the uploads, run `change(documents, saved_keys)`, commit; on a refusal nothing stays (rows nor files)."""
    saved_keys: list[str] = []
    try:
        checked = docs.read_uploads(request.files.getlist("documents"))
        change(checked, saved_keys)
        db.session.commit()
    except RuleViolation as violation:
        db.session.rollback()
        docs.discard(saved_keys)
        attach_to_form(form, violation)
        return False
    except Exception:
        db.session.rollback()
        docs.discard(saved_keys)
        raise
    return True


def _nomination_or_404(nomination_id: int) -> Nomination:
    nomination = noms.nomination_of_event(db.session, g.event, nomination_id)
    if nomination is None:
        abort(404)
    return nomination


@bp.get(PREFIX)
@organizer_only
def index(slug: str):
    return _page("nominate_list.html", nominations=noms.nominations_of(db.session, g.event), confirm=ConfirmForm(),
                 actions=noms.ACTIONS)


@bp.route(PREFIX + "/new", methods=["GET", "POST"])
@organizer_only
def new(slug: str):
    event = g.event
    form = NominationForm()
    form.category_id.choices = [(0, _("— choose —"))] + [(c.id, c.name) for c in setup.categories_of(db.session, event)]
    listed = setup.eligible_ids(db.session, event)
    form.organization_id.choices = [(0, _("— choose —"))] + [
        (o.id, o.name) for o in db.session.scalars(select(Organization).order_by(Organization.name)) if not listed or o.id in listed
    ]
    if form.validate_on_submit():
        data = noms.NominationData(form.category_id.data, form.organization_id.data, form.title.data or "", form.statement.data or "")
        made = []

        def change(checked, saved_keys):
            made.append(noms.create_nomination(db.session, event, data, source=noms.NominationSource.ORGANIZER, documents=checked,
                                               saved_keys=saved_keys, user=current_user))

        if _store(form, change):
            flash(_("Nomination of %(organization)s saved.", organization=made[0].organization.name), "success")
            return redirect(url_for(".index", slug=slug))
    return _page("nominate_form.html", form=form), 400 if request.method == "POST" else 200


@bp.route(PREFIX + "/<int:nomination_id>", methods=["GET", "POST"])
@organizer_only
def detail(slug: str, nomination_id: int):
    nomination = _nomination_or_404(nomination_id)
    form = NominationEditForm(formdata=None, obj=nomination) if request.method == "GET" else NominationEditForm()
    if form.validate_on_submit():
        def change(checked, saved_keys):
            noms.update_nomination(db.session, g.event, nomination, form.title.data or "", form.statement.data or "",
                                   documents=checked, saved_keys=saved_keys, user=current_user)

        if _store(form, change):
            flash(_("Nomination saved."), "success")
            return redirect(url_for(".detail", slug=slug, nomination_id=nomination_id))
    return _page("nominate_detail.html", form=form, nomination=nomination, confirm=ConfirmForm(), actions=noms.ACTIONS), \
        400 if request.method == "POST" else 200


@bp.post(PREFIX + "/<int:nomination_id>/<action>")
@organizer_only
def change_state(slug: str, nomination_id: int, action: str):
    nomination = _nomination_or_404(nomination_id)
    if action not in noms.ACTIONS:
        abort(404)
    form = ConfirmForm()
    if form.validate_on_submit():
        try:
            noms.change_state(db.session, g.event, nomination, action, current_user)
            db.session.commit()
            flash(_("%(organization)s: the nomination is now %(state)s.", organization=nomination.organization.name,
                    state=noms.STATE_LABELS[nomination.state]), "success")
        except RuleViolation as violation:
            db.session.rollback()
            flash(violation.message, "error")
    return redirect(request.form.get("back") == "detail" and url_for(".detail", slug=slug, nomination_id=nomination_id)
                    or url_for(".index", slug=slug))


@bp.post(PREFIX + "/<int:nomination_id>/documents/<int:document_id>/remove")
@organizer_only
def remove_document(slug: str, nomination_id: int, document_id: int):
    nomination = _nomination_or_404(nomination_id)
    form = ConfirmForm()
    if form.validate_on_submit():
        try:
            key = noms.remove_document(db.session, g.event, nomination, document_id, current_user)
            db.session.commit()
            docs.discard([key])
            flash(_("Document removed."), "success")
        except RuleViolation as violation:
            db.session.rollback()
            flash(violation.message, "error")
    return redirect(url_for(".detail", slug=slug, nomination_id=nomination_id))


@bp.get("/awards/<slug>/documents/<int:document_id>")
@event_role_required(EventRoleName.ORGANIZER, EventRoleName.JUROR)
def document(slug: str, document_id: int):
    """A supporting document, for the organizers and for jurors of the nomination's category."""
    event: Event = g.event
    found = db.get_or_404(NominationDocument, document_id)
    nomination = noms.nomination_of_event(db.session, event, found.nomination_id)
    if nomination is None:
        abort(404)
    if not current_user.has_event_role(event, (EventRoleName.ORGANIZER,)):
        juror = juror_for(db.session, current_user, event)
        if juror is None or db.session.get(JurorCategory, (juror.id, nomination.category_id)) is None:
            abort(403)
    response = docs.download_response(found)
    if response is None:
        abort(404)
    return response


# A region's own nomination page


@bp.route("/nominate/<slug>/<token>", methods=["GET", "POST"])
@public
def nominate(slug: str, token: str):
    event = db.session.scalar(select(Event).where(Event.slug == slug))
    if event is None:
        abort(404)
    g.event = event
    try:
        organization = noms.organization_from_token(db.session, event, token)
    except RuleViolation as violation:
        return render_template("awards/nominate_refused.html", event=event, message=violation.message), 400
    programme = programme_for(db.session, event)
    db.session.commit()
    problem = noms.window_problem(programme, event)
    mine = noms.nominations_of(db.session, event, organization.id)
    taken = {n.category_id for n in mine}
    form = SelfNominationForm()
    form.category_ids.choices = [(c.id, c.name) for c in setup.categories_of(db.session, event) if c.id not in taken]
    status = 200
    if problem is None and request.method == "POST":
        if form.validate_on_submit():
            made = []

            def change(checked, saved_keys):
                made.extend(noms.self_nominate(db.session, event, organization, form.category_ids.data or [], form.title.data or "",
                                               form.statement.data or "", checked, saved_keys))

            if _store(form, change):
                flash(_("Thank you: your nomination has been received. The organizer will review it."), "success")
                return redirect(url_for(".nominate", slug=slug, token=token))
        status = 400
    elif problem is not None:
        status = 403 if request.method == "POST" else 200
    return render_template("awards/nominate_self.html", event=event, organization=organization, form=form, problem=problem,
                           nominations=mine, state_labels=noms.STATE_LABELS, setup_state=programme.state == JudgingState.SETUP), status
