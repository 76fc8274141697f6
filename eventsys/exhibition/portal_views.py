"""The exhibitor portal (/exhibit/<slug>): the account's booths, editing a booth and its quick-win programmes.

Every route admits organizers and exhibitors of the event, then asks `services.can_edit_booth`:
another organization's booth answers 404, as if it did not exist.
"""
from __future__ import annotations

from flask import Blueprint, abort, current_app, flash, g, make_response, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from eventsys.accounts.models import EventRoleName
from eventsys.core.access import event_role_required
from eventsys.core.form_base import TickToConfirmForm
from eventsys.core.images import human_size
from eventsys.core.rules import RuleViolation, attach_to_form, commit_or_attach
from eventsys.core.storage import get_storage
from eventsys.events.dimensions import DIMENSION_LABELS
from eventsys.exhibition import duplicates, portal, services
from eventsys.exhibition.models import Booth, QuickWin
from eventsys.exhibition.portal_forms import BoothForm, ButtonForm, ProgrammeForm
from eventsys.extensions import db

bp = Blueprint("exhibition_portal_views", __name__, url_prefix="/exhibit/<slug>")
exhibitor_or_organizer = event_role_required(EventRoleName.ORGANIZER, EventRoleName.EXHIBITOR)


def booth_or_404(booth_id: int) -> Booth:
    booth = portal.editable_booth(db.session, current_user, g.event, booth_id)
    if booth is None:
        abort(404)
    return booth


def _no_store(response):
    response.headers["Cache-Control"] = "no-store"
    return response


def _render(template: str, status: int = 200, **context):
    event = g.event
    exhibition = portal.settings_of(db.session, event)
    page = render_template(
        template, event=event, exhibition=exhibition, phase=services.phase(exhibition, event),
        closed=portal.edits_closed(current_user, event, exhibition), is_staff=services.is_staff(current_user, event),
        dimension_labels=DIMENSION_LABELS, state_labels=portal.MEDIA_STATE_LABELS, kind_labels=portal.MEDIA_KIND_LABELS,
        human_size=human_size, logo_max=portal.LOGO_MAX_BYTES, button=ButtonForm(formdata=None), **context,
    )
    return _no_store(make_response(page, status))


def overtaken(form, current_version: str) -> bool:
    """After a refused save: whether someone else saved since this page was opened.

    If so, the form (still holding what this user typed) takes the new fingerprint, so saving it again
    after comparing replaces their version on purpose.
    """
    seen = form.version.data
    if request.method != "POST" or not seen or seen == current_version:
        return False
    form.version.data = current_version
    return True


@bp.get("")
@exhibitor_or_organizer
def home(slug: str):
    event = g.event
    staff = services.is_staff(current_user, event)
    if staff:
        booths = list(db.session.scalars(select(Booth).where(Booth.event_id == event.id)
                                         .options(selectinload(Booth.dimensions)).order_by(Booth.name)))
    else:
        booths = services.booths_of(db.session, current_user, event)
    media = portal.media_of_booths(db.session, [b.id for b in booths])
    same = duplicates.same_files([item for items in media.values() for item in items])
    return _render("exhibition/portal_home.html", booths=booths, media=media, same=same)


# The booth


@bp.route("/booth/<int:booth_id>", methods=["GET", "POST"])
@exhibitor_or_organizer
def edit_booth(slug: str, booth_id: int):
    booth = booth_or_404(booth_id)
    form = BoothForm(obj=booth if request.method == "GET" else None)
    if request.method == "GET":
        form.dimensions.data = [d.value for d in booth.dimension_values]
        form.version.data = portal.booth_version(booth)
    if not form.validate_on_submit():
        return _render("exhibition/portal_booth.html", booth=booth, form=form, status=400 if request.method == "POST" else 200,
                       conflict=overtaken(form, portal.booth_version(booth)))
    details = portal.BoothDetails(
        name=form.name.data, tagline=form.tagline.data or "", description=form.description.data or "",
        contact_name=form.contact_name.data or "", contact_email=form.contact_email.data or "",
        contact_phone=form.contact_phone.data or "", website=form.website.data or "", dimensions=form.dimensions.data or [],
    )
    storage = get_storage(current_app)
    upload = form.logo.data
    new_key = old_key = None
    try:
        portal.update_booth(db.session, current_user, booth, details, version=form.version.data)
        if upload is not None and getattr(upload, "filename", ""):
            new_key, old_key = portal.save_logo(db.session, storage, current_user, booth,
                                                upload.read(portal.LOGO_MAX_BYTES + 1))
        elif form.remove_logo.data:
            old_key = portal.remove_logo(db.session, current_user, booth)
    except RuleViolation as violation:
        db.session.rollback()
        if new_key:
            storage.delete(new_key)
        attach_to_form(form, violation)
        return _render("exhibition/portal_booth.html", booth=booth, form=form, status=400,
                       conflict=overtaken(form, portal.booth_version(booth)))
    portal.finish_file_swap(db.session, storage, new_key, old_key)
    flash(_("The booth is saved."), "success")
    return redirect(url_for(".edit_booth", slug=slug, booth_id=booth.id))


# Quick-win programmes


def _programme_or_404(booth: Booth, programme_id: int) -> QuickWin:
    programme = db.session.get(QuickWin, programme_id)
    if programme is None or programme.booth_id != booth.id:
        abort(404)
    return programme


def _programme_values(form: ProgrammeForm) -> dict:
    return {"title": form.title.data, "dimension": form.dimension.data, "description": form.description.data or "",
            "responsible_opd": form.responsible_opd.data or ""}


@bp.route("/booth/<int:booth_id>/programmes", methods=["GET", "POST"])
@exhibitor_or_organizer
def programmes(slug: str, booth_id: int):
    booth = booth_or_404(booth_id)
    form = ProgrammeForm(formdata=None) if request.method == "GET" else ProgrammeForm()
    if request.method == "POST":
        if form.validate_on_submit() and commit_or_attach(
            form, lambda: portal.add_programme(db.session, current_user, booth, **_programme_values(form))
        ):
            flash(_("The programme “%(title)s” is added.", title=form.title.data.strip()), "success")
            return redirect(url_for(".programmes", slug=slug, booth_id=booth.id))
    return _render("exhibition/portal_programmes.html", booth=booth, form=form,
                   status=400 if request.method == "POST" else 200)


@bp.route("/booth/<int:booth_id>/programmes/<int:programme_id>", methods=["GET", "POST"])
@exhibitor_or_organizer
def edit_programme(slug: str, booth_id: int, programme_id: int):
    booth = booth_or_404(booth_id)
    programme = _programme_or_404(booth, programme_id)
    form = ProgrammeForm(obj=programme if request.method == "GET" else None)
    if request.method == "GET":
        form.dimension.data = programme.dimension.value
        form.version.data = portal.programme_version(programme)
    elif form.validate_on_submit() and commit_or_attach(form, lambda: portal.update_programme(
        db.session, current_user, programme, **_programme_values(form), version=form.version.data,
    )):
        flash(_("The programme is saved."), "success")
        return redirect(url_for(".programmes", slug=slug, booth_id=booth.id))
    return _render("exhibition/portal_programme.html", booth=booth, programme=programme, form=form,
                   status=400 if request.method == "POST" else 200,
                   conflict=overtaken(form, portal.programme_version(programme)))


def _button_action(booth: Booth, action, form=None) -> None:
    form = form or ButtonForm()
    if not form.validate_on_submit():
        flash(form.refusal() if isinstance(form, TickToConfirmForm) else
              _("Your form has expired or did not come from this site. Reload the page and send it again."), "error")
        return
    try:
        action()
    except RuleViolation as violation:
        db.session.rollback()
        flash(violation.message, "error")
        return
    db.session.commit()


@bp.post("/booth/<int:booth_id>/programmes/<int:programme_id>/delete")
@exhibitor_or_organizer
def delete_programme(slug: str, booth_id: int, programme_id: int):
    booth = booth_or_404(booth_id)
    programme = _programme_or_404(booth, programme_id)
    title = programme.title
    _button_action(booth, lambda: portal.delete_programme(db.session, current_user, programme), TickToConfirmForm())
    if db.session.get(QuickWin, programme_id) is None:
        flash(_("The programme “%(title)s” is deleted.", title=title), "success")
    return redirect(url_for(".programmes", slug=slug, booth_id=booth.id))


@bp.post("/booth/<int:booth_id>/programmes/<int:programme_id>/move")
@exhibitor_or_organizer
def move_programme(slug: str, booth_id: int, programme_id: int):
    booth = booth_or_404(booth_id)
    programme = _programme_or_404(booth, programme_id)
    direction = "up" if request.form.get("direction") == "up" else "down"
    _button_action(booth, lambda: portal.move_programme(db.session, current_user, programme, direction))
    return redirect(url_for(".programmes", slug=slug, booth_id=booth.id))
