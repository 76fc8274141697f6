"""The organizer's registrant screens: list, search and filters, decisions in bulk, edit, cancel,
resend a ticket, counts, exports, badges, the delegate list import and the organization links."""
from __future__ import annotations

from flask import Blueprint, Response, abort, current_app, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from sqlalchemy import func, select

from eventsys.accounts.models import EventRoleName
from eventsys.core.access import event_role_required
from eventsys.core.rules import RuleViolation, attach_to_form
from eventsys.core.tabular import TableError, read_table
from eventsys.events.models import EVENT_STATUS_LABELS, Organization
from eventsys.events.organization_services import organizations_query
from eventsys.extensions import db
from eventsys.registration import delegate_import, invitations, seats, services
from eventsys.registration import organizer_services as admin
from eventsys.registration.models import STATE_LABELS, DelegateInvitation, Registration, RegistrationSettings, RegistrationState
from eventsys.registration.organizer_forms import (
    ActionForm,
    BulkDecisionForm,
    CancelRegistrationForm,
    DelegateImportForm,
    EditRegistrationForm,
    OrganizationSearchForm,
    RegistrantFilterForm,
)
from eventsys.registration.phones import display_phone

bp = Blueprint("registration_admin", __name__, url_prefix="/manage/<slug>/registrations")
organizer_only = event_role_required(EventRoleName.ORGANIZER)

PER_PAGE = 50
MAX_PROBLEMS_SHOWN = 200
MAX_FLASHED_PROBLEMS = 20
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
FILTER_ARGS = ("q", "category", "organization", "state", "session")


def _page(template: str, **context):
    return render_template(f"registration/{template}", event=g.event, status_labels=EVENT_STATUS_LABELS, **context)


def _filter_args() -> dict[str, str]:
    """The list's filters from the query string, to carry into links, exports and redirects."""
    return {k: request.args[k] for k in FILTER_ARGS if request.args.get(k)}


def _filters() -> tuple[RegistrantFilterForm, admin.RegistrantFilters]:
    event = g.event
    form = RegistrantFilterForm(request.args)
    categories = seats.categories_of(db.session, event)
    organizations = admin.registered_organizations(db.session, event)
    options = seats.options_of(db.session, event)
    form.category.choices = [(0, _("All categories"))] + [(c.id, c.name) for c in categories]
    form.organization.choices = [("", _("All organizations")), (str(admin.PROPOSED_ORGANIZATION), _("Not in the list (proposed)"))] + [
        (str(o.id), o.name) for o in organizations
    ]
    form.state.choices = [("", _("All states"))] + [(s.value, label) for s, label in STATE_LABELS.items()]
    form.session.choices = [(0, _("All sessions"))] + [(o.id, o.session.title) for o in options]

    filters = admin.RegistrantFilters(q=" ".join((form.q.data or "").split())[: admin.SEARCH_MAX])
    if form.category.data in {c.id for c in categories}:
        filters.category_id = form.category.data
    organization = (form.organization.data or "").strip()
    if organization.isascii() and organization.isdigit() and len(organization) < 10:
        filters.organization_id = int(organization)
    if form.state.data in {s.value for s in RegistrationState}:
        filters.state = RegistrationState(form.state.data)
    if form.session.data in {o.id for o in options}:
        filters.option_id = form.session.data
    return form, filters


def _registration_or_404(registration_id: int):
    registration = admin.registration_of(db.session, g.event, registration_id)
    if registration is None:
        abort(404)
    return registration


@bp.get("")
@organizer_only
def index(slug: str):
    form, filters = _filters()
    page = db.paginate(admin.registrants_query(g.event, filters), per_page=PER_PAGE, error_out=False)
    return _page(
        "admin_list.html",
        page=page,
        filters=form,
        filtered=filters.active,
        filter_args=_filter_args(),
        bulk_form=BulkDecisionForm(formdata=None),
        state_labels=STATE_LABELS,
        display_phone=display_phone,
        total=db.session.scalar(select(func.count(Registration.id)).where(Registration.event_id == g.event.id)),
    )


@bp.post("/bulk")
@organizer_only
def bulk(slug: str):
    form = BulkDecisionForm()
    ids = [i for i in (form.ids.data or []) if i > 0]
    if request.form.get("return_to") == "detail" and len(ids) == 1:  # one decision from a registrant's page
        back = redirect(url_for(".detail", slug=slug, registration_id=ids[0]))
    else:
        back = redirect(url_for(".index", slug=slug, **_filter_args()))
    if not form.validate_on_submit():
        for error in form.reason.errors:
            flash(error, "error")
        return back
    try:
        outcome = admin.bulk_decide(db.session, g.event, ids, form.action.data or "", form.reason.data or "")
    except RuleViolation as violation:
        db.session.rollback()
        flash(violation.message, "error")
        return back
    db.session.commit()
    if outcome.done:
        message = (
            _("%(num)d registrations approved; each registrant gets an email.", num=outcome.done)
            if form.action.data == admin.APPROVE
            else _("%(num)d registrations rejected; each registrant gets an email with the reason.", num=outcome.done)
        )
        flash(message, "success")
    for name, why in outcome.problems[:MAX_FLASHED_PROBLEMS]:
        flash(_("Not changed: %(name)s. %(reason)s", name=name, reason=why), "error")
    if len(outcome.problems) > MAX_FLASHED_PROBLEMS:
        flash(_("… and %(num)d more registrations were not changed.", num=len(outcome.problems) - MAX_FLASHED_PROBLEMS), "error")
    return back


def _detail(registration, *, edit_form=None, cancel_form=None):
    return _page(
        "admin_detail.html",
        registration=registration,
        edit_form=edit_form
        or EditRegistrationForm(formdata=None, name=registration.name, position=registration.position, phone=display_phone(registration.phone)),
        cancel_form=cancel_form or CancelRegistrationForm(formdata=None),
        action_form=ActionForm(),
        answers=sorted(registration.answers, key=lambda a: (a.question.position, a.question.id)),
        state_labels=STATE_LABELS,
        display_phone=display_phone,
        waitlist_position=seats.waitlist_position(db.session, registration),
        RegistrationState=RegistrationState,
    )


@bp.route("/<int:registration_id>", methods=["GET", "POST"])
@organizer_only
def detail(slug: str, registration_id: int):
    registration = _registration_or_404(registration_id)
    if request.method == "GET":
        return _detail(registration)
    form = EditRegistrationForm()
    if form.validate_on_submit():
        try:
            admin.update_registration(db.session, registration, name=form.name.data, position=form.position.data or "", phone=form.phone.data or "")
        except RuleViolation as violation:
            db.session.rollback()
            attach_to_form(form, violation)
        else:
            db.session.commit()
            flash(_("Changes saved."), "success")
            return redirect(url_for(".detail", slug=slug, registration_id=registration.id))
    return _detail(registration, edit_form=form)


@bp.post("/<int:registration_id>/cancel")
@organizer_only
def cancel(slug: str, registration_id: int):
    registration = _registration_or_404(registration_id)
    form = CancelRegistrationForm()
    if form.validate_on_submit():
        try:
            services.cancel(db.session, registration, form.reason.data)
        except RuleViolation as violation:
            db.session.rollback()
            attach_to_form(form, violation)
        else:
            db.session.commit()
            if registration.has_email:
                flash(_("The registration is cancelled and the registrant is told. A freed seat goes to the waiting list."), "success")
            else:
                flash(_("The registration is cancelled; it has no email address, so nobody was told by mail. A freed seat goes to the waiting list."), "success")
            return redirect(url_for(".detail", slug=slug, registration_id=registration.id))
    return _detail(registration, cancel_form=form)


@bp.post("/<int:registration_id>/resend")
@organizer_only
def resend(slug: str, registration_id: int):
    registration = _registration_or_404(registration_id)
    if ActionForm().validate_on_submit():
        try:
            admin.resend_ticket(db.session, registration)
        except RuleViolation as violation:
            db.session.rollback()
            flash(violation.message, "error")
        else:
            db.session.commit()
            if registration.has_email:
                flash(_("A new ticket is on its way to %(email)s. The previous QR code no longer works.", email=registration.email), "success")
            else:
                flash(_("A new ticket is made; there is no email address to send it to: print it at the desk. The previous QR code no longer works."), "success")
    return redirect(url_for(".detail", slug=slug, registration_id=registration.id))


@bp.get("/counts")
@organizer_only
def counts(slug: str):
    event = g.event
    return _page(
        "admin_counts.html",
        categories=admin.category_counts(db.session, event),
        organizations=seats.counts_by_organization(db.session, event),
        settings=db.session.get(RegistrationSettings, event.id),
        states=list(RegistrationState),
        state_labels=STATE_LABELS,
    )


def _download(data: bytes, mimetype: str, filename: str) -> Response:
    response = Response(data, mimetype=mimetype, headers={"Content-Disposition": f'attachment; filename="{filename}"'})
    response.headers["Cache-Control"] = "no-store"  # personal data: not kept by browsers or proxies
    return response


@bp.get("/export.csv")
@organizer_only
def export_csv(slug: str):
    _form, filters = _filters()
    return _download(admin.export_csv(db.session, g.event, filters), "text/csv", f"registrations-{g.event.slug}.csv")


@bp.get("/export.xlsx")
@organizer_only
def export_xlsx(slug: str):
    _form, filters = _filters()
    return _download(admin.export_xlsx(db.session, g.event, filters), XLSX_TYPE, f"registrations-{g.event.slug}.xlsx")


@bp.get("/badges.pdf")
@organizer_only
def badges(slug: str):
    from eventsys.registration.badges import badges_pdf

    _form, filters = _filters()
    layout = request.args.get("layout", "a4")
    if layout not in ("a4", "single"):
        layout = "a4"
    registrations = admin.badge_registrations(db.session, g.event, filters)
    if not registrations:
        flash(_("No confirmed registrant matches these filters, so there are no badges to print."), "error")
        return redirect(url_for(".index", slug=slug, **_filter_args()))
    return _download(badges_pdf(registrations, layout=layout), "application/pdf", f"badges-{g.event.slug}-{layout}.pdf")


# The delegate list import


@bp.route("/import", methods=["GET", "POST"])
@organizer_only
def import_delegates(slug: str):
    event = g.event
    form = DelegateImportForm()
    problems, ignored = [], []
    if form.validate_on_submit():
        try:
            table = read_table(form.file.data.read(), delegate_import.IMPORT_COLUMNS, max_rows=current_app.config.get("IMPORT_MAX_ROWS", 20_000))
            ignored = table.ignored_columns
            result = delegate_import.import_delegates(db.session, event, table)
        except TableError as error:
            form.file.errors = list(form.file.errors) + [error.message]
        except RuleViolation as violation:
            db.session.rollback()
            attach_to_form(form, violation)
        else:
            if result.ok:
                db.session.commit()
                flash(
                    _("%(num)d delegates invited. Each gets an email with a personal registration link.", num=result.invited),
                    "success",
                )
                if ignored:
                    flash(_("These columns were left out: %(columns)s.", columns=", ".join(ignored)), "info")
                return redirect(url_for(".import_delegates", slug=slug))
            db.session.rollback()
            problems = result.problems
    invited, used = db.session.execute(
        select(func.count(DelegateInvitation.id), func.count(DelegateInvitation.registration_id)).where(DelegateInvitation.event_id == event.id)
    ).one()
    return _page(
        "admin_import.html",
        form=form,
        problems=problems[:MAX_PROBLEMS_SHOWN],
        more_problems=max(0, len(problems) - MAX_PROBLEMS_SHOWN),
        problem_rows=len({p.row for p in problems}),
        ignored_columns=ignored,
        categories=seats.categories_of(db.session, event),
        invited=invited,
        invitations_used=used,
        max_rows=current_app.config.get("IMPORT_MAX_ROWS", 20_000),
    )


@bp.get("/import/template.csv")
@organizer_only
def import_template_csv(slug: str):
    return _download(delegate_import.template_csv(), "text/csv", "delegates-template.csv")


@bp.get("/import/template.xlsx")
@organizer_only
def import_template_xlsx(slug: str):
    return _download(delegate_import.template_xlsx(), XLSX_TYPE, "delegates-template.xlsx")


# One registration link per organization


def _links_page(new_link: tuple[Organization, str] | None = None):
    event = g.event
    search = OrganizationSearchForm(request.args)
    page = db.paginate(organizations_query(search.q.data or ""), per_page=PER_PAGE, error_out=False)
    settings = db.session.get(RegistrationSettings, event.id)
    response = Response(
        _page(
            "admin_links.html",
            page=page,
            search=search,
            rows=admin.organization_link_rows(db.session, event, list(page.items)),
            quota=settings.organization_quota if settings else None,
            action_form=ActionForm(),
            new_link=new_link,
            search_args={"q": search.q.data} if search.q.data else {},
        )
    )
    response.headers["Cache-Control"] = "no-store"  # a new link is shown once; it must not stay in a cache
    return response


@bp.get("/links")
@organizer_only
def links(slug: str):
    return _links_page()


@bp.post("/links/<int:organization_id>")
@organizer_only
def make_link(slug: str, organization_id: int):
    organization = db.get_or_404(Organization, organization_id)
    if not ActionForm().validate_on_submit():
        return redirect(url_for(".links", slug=slug))
    token = invitations.organization_link(db.session, g.event, organization)
    db.session.commit()
    url = url_for("registration.organization_register", slug=slug, token=token, _external=True)
    return _links_page(new_link=(organization, url))


@bp.post("/links/<int:organization_id>/withdraw")
@organizer_only
def withdraw_link(slug: str, organization_id: int):
    organization = db.get_or_404(Organization, organization_id)
    link = admin.organization_link_of(db.session, g.event, organization)
    if ActionForm().validate_on_submit() and link is not None and link.revoked_at is None:
        invitations.revoke_organization_link(db.session, link)
        db.session.commit()
        flash(_("The registration link of %(name)s no longer works.", name=organization.name), "success")
    return redirect(url_for(".links", slug=slug, **{k: request.args[k] for k in ("q", "page") if request.args.get(k)}))
