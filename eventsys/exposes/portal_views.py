"""The presenter portal (/presenter/<secret>: the link's secret is the capability) and the organizer's overview of it."""
from __future__ import annotations

import io

from flask import Blueprint, abort, current_app, flash, g, make_response, redirect, render_template, request, send_file, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField
from sqlalchemy.exc import IntegrityError
from wtforms import HiddenField

from eventsys.accounts.models import EventRoleName
from eventsys.core.access import event_role_required, public
from eventsys.core.form_base import BaseForm
from eventsys.core.images import human_size
from eventsys.core.rules import RuleViolation, attach_to_form
from eventsys.core.storage import get_storage
from eventsys.events.models import EVENT_STATUS_LABELS
from eventsys.exposes import grid, publishing, services
from eventsys.exposes import portal as portal_svc
from eventsys.exposes.models import ExposeProgramme, Presenter
from eventsys.extensions import csrf, db

bp = Blueprint("exposes_portal_views", __name__)
organizer_only = event_role_required(EventRoleName.ORGANIZER)


class ConfirmSlotForm(BaseForm):
    version = HiddenField()


class DeckForm(BaseForm):
    deck = FileField(_l("Your deck (PDF or PPTX)"), render_kw={"accept": ".pdf,.pptx,application/pdf," + portal_svc.PPTX})


class LinkForm(BaseForm):
    """A button: make or replace a presenter's portal link."""


def _presenter_or_404(secret: str) -> Presenter:
    presenter = portal_svc.presenter_for_secret(db.session, secret)
    if presenter is None:
        abort(404, description=_("This presenter link is not valid. It may have been replaced by a newer one: "
                                 "ask the organizer for the current link."))
    return presenter


def _programme(event) -> ExposeProgramme:
    """The settings without writing (a page view must not take a write lock); defaults until an organizer saves them."""
    return db.session.get(ExposeProgramme, event.id) or ExposeProgramme(event_id=event.id, deck_max_mb=50, deck_deadline=None)


def _no_store(response):
    response.headers["Cache-Control"] = "no-store"
    response.headers["Referrer-Policy"] = "no-referrer"  # the address holds the secret
    return response


def _portal_page(secret: str, presenter: Presenter, *, confirm_form=None, deck_form=None, status: int = 200):
    event = presenter.event
    programme = _programme(event)
    published = portal_svc.published_slot(db.session, event, presenter)
    confirmation = portal_svc.confirmation_of(db.session, event, presenter, published.version)
    if confirm_form is None:
        confirm_form = ConfirmSlotForm(formdata=None)
    if published.version is not None:
        confirm_form.version.data = published.version.number
    page = render_template(
        "exposes/portal_page.html",
        event=event,
        presenter=presenter,
        secret=secret,
        published=published,
        confirmation=confirmation,
        confirm_form=confirm_form,
        deck_form=deck_form or DeckForm(formdata=None),
        deadline_problem=portal_svc.deadline_problem(event, programme),
        deadline=programme.deck_deadline,
        deck_limit=human_size(portal_svc.deck_limit_bytes(programme)),
        human_size=human_size,
    )
    return _no_store(make_response(page, status))


@bp.get("/presenter/<secret>")
@public
def portal(secret: str):
    return _portal_page(secret, _presenter_or_404(secret))


@bp.post("/presenter/<secret>/confirm")
@public
def confirm(secret: str):
    presenter = _presenter_or_404(secret)
    form = ConfirmSlotForm()
    if not form.validate_on_submit():
        return _portal_page(secret, presenter, confirm_form=form, status=400)
    try:
        number = int(form.version.data)
    except (TypeError, ValueError):
        number = None
    try:
        portal_svc.confirm_slot(db.session, presenter.event, presenter, number)
    except RuleViolation as violation:
        db.session.rollback()
        attach_to_form(form, violation)
        return _portal_page(secret, presenter, confirm_form=form, status=400)
    db.session.commit()
    flash(_("Thank you: your slot is confirmed."), "success")
    return redirect(url_for(".portal", secret=secret))


@bp.post("/presenter/<secret>/deck")
@csrf.exempt  # the form checks its own CSRF token, after the size limit below is raised for decks
@public
def upload_deck(secret: str):
    presenter = _presenter_or_404(secret)
    event = presenter.event
    programme = _programme(event)
    request.max_content_length = portal_svc.deck_limit_bytes(programme) + portal_svc.MB  # room for the form's other fields
    form = DeckForm()
    if not form.validate_on_submit():
        return _portal_page(secret, presenter, deck_form=form, status=400)
    upload = form.deck.data
    if upload is None or not getattr(upload, "filename", ""):
        form.deck.errors = [_("Choose the file of your deck (PDF or PPTX).")]
        return _portal_page(secret, presenter, deck_form=form, status=400)
    data = upload.read(portal_svc.deck_limit_bytes(programme) + 1)
    storage = get_storage(current_app)
    try:
        new_key, old_key = portal_svc.save_deck(db.session, storage, event, presenter, data, upload.filename)
    except RuleViolation as violation:
        db.session.rollback()
        attach_to_form(form, violation)
        return _portal_page(secret, presenter, deck_form=form, status=400)
    portal_svc.finish_deck_upload(db.session, storage, new_key, old_key)
    flash(_("Your deck “%(name)s” is received.", name=presenter.deck_name), "success")
    return redirect(url_for(".portal", secret=secret))


def _deck_response(presenter: Presenter):
    if not presenter.deck_key or presenter.deck_content_type not in portal_svc.DECK_TYPES:
        abort(404, description=_("No deck has been uploaded yet."))
    try:
        body = get_storage(current_app).read(presenter.deck_key)
    except (OSError, ValueError):
        abort(404, description=_("The deck file is missing. Ask the presenter to upload it again."))
    response = send_file(io.BytesIO(body), mimetype=presenter.deck_content_type, as_attachment=True,
                         download_name=presenter.deck_name or ("deck" + portal_svc.DECK_TYPES[presenter.deck_content_type]))
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response.headers["Cache-Control"] = "private, no-store"
    return response


@bp.get("/presenter/<secret>/deck")
@public
def presenter_deck(secret: str):
    return _deck_response(_presenter_or_404(secret))


# The organizer's side


def _presenter_of_event(presenter_id: int) -> Presenter:
    presenter = db.get_or_404(Presenter, presenter_id)
    if presenter.event_id != g.event.id:
        abort(404)
    return presenter


def _overview(new_link: tuple[int, str] | None = None):
    event = g.event
    presenters = grid.presenters_in_order(db.session, event)
    latest = publishing.latest_version(db.session, event)
    programme = services.programme_for(db.session, event)
    rows = [(p, publishing.slot_of(latest, p.id)) for p in presenters]
    confirmations = portal_svc.confirmations(db.session, event, presenters, latest)
    db.session.commit()  # the programme row made on first use
    response = make_response(render_template(
        "exposes/portal_overview.html",
        event=event,
        status_labels=EVENT_STATUS_LABELS,
        rows=rows,
        latest=latest,
        programme=programme,
        confirmations=confirmations,
        confirmed_count=sum(1 for c in confirmations.values() if c.counts),
        deck_count=sum(1 for p in presenters if p.deck_key),
        new_link=new_link,
        link_form=LinkForm(formdata=None),
        human_size=human_size,
    ))
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/manage/<slug>/expose/portal")
@organizer_only
def overview(slug: str):
    return _overview()


@bp.post("/manage/<slug>/expose/presenters/<int:presenter_id>/portal-link")
@organizer_only
def portal_link(slug: str, presenter_id: int):
    """Make a new portal link (the old one stops working) and show it once, on this response only."""
    presenter = _presenter_of_event(presenter_id)
    if not LinkForm().validate_on_submit():
        flash(_("Your form has expired or did not come from this site. Reload the page and send it again."), "error")
        return redirect(url_for(".overview", slug=slug))
    try:
        url = portal_svc.new_portal_link(db.session, presenter)
        db.session.commit()
    except IntegrityError:  # a hash collision is as good as impossible; say so rather than fail
        db.session.rollback()
        flash(_("The link could not be made. Try again."), "error")
        return redirect(url_for(".overview", slug=slug))
    return _overview(new_link=(presenter.id, url))


@bp.get("/manage/<slug>/expose/presenters/<int:presenter_id>/deck")
@organizer_only
def organizer_deck(slug: str, presenter_id: int):
    return _deck_response(_presenter_of_event(presenter_id))
