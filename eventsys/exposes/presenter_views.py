"""The organizer's list of exposé presenters: add, edit, remove, and import them from a spreadsheet."""
from __future__ import annotations

from datetime import datetime

from flask import Blueprint, Response, abort, current_app, flash, g, redirect, request, url_for
from flask_babel import gettext as _
from sqlalchemy.exc import IntegrityError

from eventsys.accounts.models import EventRoleName
from eventsys.core.access import event_role_required
from eventsys.core.rules import commit_or_attach
from eventsys.core.tabular import TableError, read_table
from eventsys.core.timezones import form_local, form_utc, local_to_utc, to_local
from eventsys.events.services import rooms_for_event
from eventsys.exposes import grid, presenter_import, presenters, services
from eventsys.exposes.forms import ConfirmForm, ImportForm, PresenterForm
from eventsys.exposes.manage_views import manage_page
from eventsys.exposes.models import Presenter
from eventsys.extensions import db

bp = Blueprint("exposes_presenter_views", __name__, url_prefix="/manage/<slug>/expose")
organizer_only = event_role_required(EventRoleName.ORGANIZER)


def _presenter_or_404(presenter_id: int) -> Presenter:
    presenter = db.get_or_404(Presenter, presenter_id)
    if presenter.event_id != g.event.id:
        abort(404)
    return presenter


def _presenter_form(presenter: Presenter | None) -> PresenterForm:
    event = g.event
    form = PresenterForm(obj=presenter) if request.method == "GET" and presenter else PresenterForm()
    form.organization_id.choices = [(0, _("— choose —"))] + presenters.organization_choices(db.session)
    form.room_id.choices = [(0, _("— any room —"))] + [(r.id, r.name) for r in rooms_for_event(db.session, event)]
    form.pinned_block_id.choices = [(0, _("— not pinned —"))] + [
        (b.id, services.block_label(b, event.timezone)) for b in services.blocks_for(db.session, event)
    ]
    if request.method == "GET" and presenter is not None:
        form.available_from.data = form_local(presenter.available_from, event.timezone)
        form.available_until.data = form_local(presenter.available_until, event.timezone)
        form.room_id.data = presenter.room_id or 0
        form.pinned_block_id.data = presenter.pinned_block_id or 0
        form.pinned_start.data = form_local(presenter.pinned_start, event.timezone).time() if presenter.pinned_start else None
    return form


def _save_presenter(form: PresenterForm, presenter: Presenter | None) -> Presenter | None:
    event = g.event
    result = []

    def call():
        pinned_start = None
        if form.pinned_start.data is not None:  # a time without a block is refused by the service
            day = to_local(event.starts_at, event.timezone).date()
            if form.pinned_block_id.data:
                block = services.block_of(db.session, event, form.pinned_block_id.data)
                pinned_start = services.start_in_block(block, form.pinned_start.data, event.timezone)
            else:
                pinned_start = local_to_utc(datetime.combine(day, form.pinned_start.data), event.timezone)
        data = presenters.PresenterData(
            organization_id=form.organization_id.data or None,
            person_name=form.person_name.data or "",
            person_title=form.person_title.data or "",
            email=form.email.data or "",
            locale=form.locale.data,
            talk_minutes=form.talk_minutes.data,
            qa_minutes=form.qa_minutes.data,
            protocol_rank=form.protocol_rank.data,
            available_from=form_utc(form.available_from.data, event.timezone),
            available_until=form_utc(form.available_until.data, event.timezone),
            room_id=form.room_id.data or None,
            pinned_block_id=form.pinned_block_id.data or None,
            pinned_start=pinned_start,
        )
        result.append(presenters.save_presenter(db.session, event, data, presenter))

    try:
        ok = commit_or_attach(form, call)
    except IntegrityError:  # the same organization added twice at the same moment
        db.session.rollback()
        form.organization_id.errors = [_("This organization already presents at this event; edit its entry instead.")]
        return None
    return result[0] if ok else None


@bp.route("/presenters", methods=["GET", "POST"])
@organizer_only
def presenter_list(slug: str):
    form = _presenter_form(None)
    if form.validate_on_submit():
        presenter = _save_presenter(form, None)
        if presenter is not None:
            flash(_("%(name)s added as a presenter.", name=presenter.organization.name), "success")
            return redirect(url_for("exposes_presenter_views.presenter_list", slug=slug))
    event = g.event
    programme = services.programme_for(db.session, event)
    db.session.commit()
    return manage_page(
        "manage_presenters.html", form=form, presenter=None, presenters=grid.presenters_in_order(db.session, event),
        programme=programme, delete_form=ConfirmForm(),
    )


@bp.route("/presenters/<int:presenter_id>", methods=["GET", "POST"])
@organizer_only
def edit_presenter(slug: str, presenter_id: int):
    presenter = _presenter_or_404(presenter_id)
    form = _presenter_form(presenter)
    if form.validate_on_submit() and _save_presenter(form, presenter) is not None:
        flash(_("Changes saved."), "success")
        return redirect(url_for("exposes_presenter_views.presenter_list", slug=slug))
    return manage_page("manage_presenter.html", form=form, presenter=presenter, delete_form=ConfirmForm())


@bp.post("/presenters/<int:presenter_id>/delete")
@organizer_only
def delete_presenter(slug: str, presenter_id: int):
    presenter = _presenter_or_404(presenter_id)
    if ConfirmForm().validate_on_submit():
        name = presenter.organization.name
        presenters.delete_presenter(db.session, g.event, presenter)
        db.session.commit()
        flash(_("%(name)s removed from the presenters.", name=name), "info")
    return redirect(url_for("exposes_presenter_views.presenter_list", slug=slug))


@bp.route("/presenters/import", methods=["GET", "POST"])
@organizer_only
def import_presenters(slug: str):
    form = ImportForm()
    problems = []
    if form.validate_on_submit():
        try:
            table = read_table(form.file.data.read(), presenter_import.COLUMNS, max_rows=min(current_app.config["IMPORT_MAX_ROWS"], 2000))
        except TableError as error:
            form.file.errors = list(form.file.errors) + [error.message]
        else:
            result = presenter_import.import_presenters(db.session, g.event, table)
            if result.ok:
                db.session.commit()
                flash(_("Import done: %(created)d presenters added, %(updated)d updated.", created=result.created,
                        updated=result.updated), "success")
                return redirect(url_for("exposes_presenter_views.presenter_list", slug=slug))
            db.session.rollback()
            problems = result.problems
    return manage_page("manage_import.html", form=form, problems=problems[:100], more_problems=max(0, len(problems) - 100),
                 problem_rows=len({p.row for p in problems}))


@bp.get("/presenters/import/template.csv")
@organizer_only
def import_template(slug: str):
    return Response(presenter_import.template_csv(), mimetype="text/csv",
                    headers={"Content-Disposition": 'attachment; filename="presenters-template.csv"'})
