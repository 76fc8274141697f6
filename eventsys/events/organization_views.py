"""Organizations (regions and bodies): list, edit, logo, import from CSV/XLSX."""
from flask import Blueprint, Response, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from eventsys.accounts.services import can_create_events
from eventsys.core.access import login_required, permission_required, public
from eventsys.core.images import human_size
from eventsys.core.rules import RuleViolation, attach_to_form
from eventsys.core.storage import InvalidKey, check_key, get_storage
from eventsys.core.tabular import TableError, read_table
from eventsys.core.timezones import zone_choices
from eventsys.events import organization_services as services
from eventsys.events.models import ORGANIZATION_KIND_LABELS, Organization, OrganizationKind
from eventsys.events.organization_forms import ImportForm, OrganizationFilterForm, OrganizationForm
from eventsys.extensions import db

bp = Blueprint("organizations", __name__, url_prefix="/organizations")

PER_PAGE = 50
# Shown at most; a file with thousands of bad rows needs the first ones fixed, not all listed.
MAX_PROBLEMS_SHOWN = 200


@bp.get("/")
@login_required
def index():
    filters = OrganizationFilterForm(request.args)
    filters.kind.choices = [("", _("All kinds"))] + [(k.value, label) for k, label in ORGANIZATION_KIND_LABELS.items()]
    filters.province.choices = [("", _("All provinces"))] + [(p, p) for p in services.province_choices(db.session)]
    query = services.organizations_query(filters.q.data or "", filters.kind.data or "", filters.province.data or "")
    page = db.paginate(query, per_page=PER_PAGE, error_out=False)
    return render_template(
        "organizations/index.html",
        page=page,
        filters=filters,
        filtered=bool(filters.q.data or filters.kind.data or filters.province.data),
        kind_labels=ORGANIZATION_KIND_LABELS,
        can_edit=can_create_events(current_user),
    )


def _organization_form(organization: Organization | None) -> OrganizationForm:
    form = OrganizationForm(obj=organization) if request.method == "GET" and organization else OrganizationForm()
    form.timezone.choices = zone_choices()
    form.logo.description = _(
        "PNG, JPEG or WebP, at most %(size)s. It is shown at most %(pixels)d pixels wide.",
        size=human_size(current_app.config["LOGO_MAX_BYTES"]),
        pixels=services.LOGO_MAX_SIDE,
    )
    if request.method == "GET" and organization is None:
        form.timezone.data = services.DEFAULT_ZONE
    return form


def _uploaded_bytes(file_storage, limit: int) -> bytes | None:
    """The upload's bytes, read no further than one byte past `limit`; None when no file was chosen."""
    if file_storage is None or not getattr(file_storage, "filename", ""):
        return None
    return file_storage.read(limit + 1)


def _save(form: OrganizationForm, organization: Organization | None) -> Organization | None:
    limit = current_app.config["LOGO_MAX_BYTES"]
    data = services.OrganizationData(
        name=form.name.data or "",
        kind=OrganizationKind(form.kind.data),
        province=form.province.data,
        timezone=form.timezone.data,
    )
    try:
        return services.save_organization(
            db.session,
            data,
            organization,
            storage=get_storage(current_app),
            logo=_uploaded_bytes(form.logo.data, limit),
            remove_logo=bool(organization and form.remove_logo.data),
            logo_max_bytes=limit,
        )
    except RuleViolation as violation:
        db.session.rollback()
        attach_to_form(form, violation)
        return None


@bp.route("/new", methods=["GET", "POST"])
@permission_required(can_create_events, "create_events")
def new():
    form = _organization_form(None)
    if form.validate_on_submit():
        organization = _save(form, None)
        if organization is not None:
            flash(_("Organization “%(name)s” added.", name=organization.name), "success")
            return redirect(url_for("organizations.index"))
    return render_template("organizations/form.html", form=form, organization=None, provinces=services.PROVINCES)


@bp.route("/<int:organization_id>/edit", methods=["GET", "POST"])
@permission_required(can_create_events, "create_events")
def edit(organization_id: int):
    organization = db.get_or_404(Organization, organization_id)
    form = _organization_form(organization)
    if form.validate_on_submit():
        if _save(form, organization) is not None:
            flash(_("Changes saved."), "success")
            return redirect(url_for("organizations.index"))
    return render_template("organizations/form.html", form=form, organization=organization, provinces=services.PROVINCES)


@bp.get("/logo/<key>")
@public
def logo(key: str):
    """A logo, by its storage key: the content never changes under a key, so caches may keep it."""
    try:
        check_key(key)
    except InvalidKey:
        abort(404)
    organization = db.session.scalar(select(Organization).where(Organization.logo_key == key))
    if organization is None or not organization.logo_content_type:
        abort(404)
    try:
        body = get_storage(current_app).read(key)
    except (OSError, ValueError):
        abort(404)
    response = Response(body, mimetype=organization.logo_content_type)
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response.headers["Content-Disposition"] = "inline"
    response.cache_control.public = True
    response.cache_control.max_age = 365 * 24 * 3600
    response.cache_control.immutable = True
    response.set_etag(key)
    return response.make_conditional(request)


@bp.route("/import", methods=["GET", "POST"])
@permission_required(can_create_events, "create_events")
def import_file():
    form = ImportForm()
    problems, table = [], None
    if form.validate_on_submit():
        data = form.file.data.read()
        try:
            table = read_table(data, services.IMPORT_COLUMNS, max_rows=current_app.config["IMPORT_MAX_ROWS"])
            result = services.import_organizations(db.session, table)
        except TableError as error:
            form.file.errors = list(form.file.errors) + [error.message]
        except RuleViolation as violation:
            db.session.rollback()
            attach_to_form(form, violation)
        else:
            if result.ok:
                db.session.commit()
                flash(
                    _(
                        "Import done: %(created)d organizations added, %(updated)d updated, %(unchanged)d already up to date.",
                        created=result.created,
                        updated=result.updated,
                        unchanged=result.unchanged,
                    ),
                    "success",
                )
                if table.ignored_columns:
                    flash(_("These columns were left out: %(columns)s.", columns=", ".join(table.ignored_columns)), "info")
                return redirect(url_for("organizations.index"))
            db.session.rollback()
            problems = result.problems
    return render_template(
        "organizations/import.html",
        form=form,
        problems=problems[:MAX_PROBLEMS_SHOWN],
        more_problems=max(0, len(problems) - MAX_PROBLEMS_SHOWN),
        problem_rows=len({p.row for p in problems}),
        ignored_columns=table.ignored_columns if table else [],
        columns=services.IMPORT_COLUMNS,
        kinds=services.KIND_EXAMPLES,
        max_rows=current_app.config["IMPORT_MAX_ROWS"],
    )


@bp.get("/import/template.csv")
@permission_required(can_create_events, "create_events")
def import_template_csv():
    return Response(
        services.template_csv(),
        mimetype="text/csv",
        headers={"Content-Disposition": 'attachment; filename="organizations-template.csv"'},
    )


@bp.get("/import/template.xlsx")
@permission_required(can_create_events, "create_events")
def import_template_xlsx():
    return Response(
        services.template_xlsx(),
        mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        headers={"Content-Disposition": 'attachment; filename="organizations-template.xlsx"'},
    )
