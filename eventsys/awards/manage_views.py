"""The organizer's award-night setup: overview, settings and tie-break, categories and criteria, eligibility, jurors."""
from __future__ import annotations

from flask import Blueprint, abort, current_app, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import func, select
from werkzeug.routing import BuildError

from eventsys.accounts.models import EventRoleName
from eventsys.awards import setup
from eventsys.awards.forms import CategoryForm, ConfirmForm, CriteriaForm, EligibleForm, JurorDetailsForm, JurorForm, SettingsForm
from eventsys.awards.models import AwardCategory, JudgingState, Juror, Nomination
from eventsys.awards.nominations import nominations_of
from eventsys.awards.services import programme_for, state_label
from eventsys.core.access import event_role_required
from eventsys.core.db import utcnow
from eventsys.core.mail import public_url
from eventsys.core.rules import commit_or_attach
from eventsys.core.timezones import form_local, form_utc
from eventsys.events.dimensions import DIMENSION_LABELS, Dimension
from eventsys.events.models import EVENT_STATUS_LABELS, ORGANIZATION_KIND_LABELS, Organization, OrganizationKind
from eventsys.events.services import organization_choices
from eventsys.extensions import db

bp = Blueprint("awards_manage_views", __name__, url_prefix="/manage/<slug>/awards")
organizer_only = event_role_required(EventRoleName.ORGANIZER)


# The award pages (some written by other parts of the award feature), in menu order.
MENU = (
    ("awards_manage_views.index", _l("Award night")),
    ("awards_manage_views.settings", _l("Rules")),
    ("awards_manage_views.categories", _l("Categories")),
    ("awards_manage_views.eligible", _l("Eligible organizations")),
    ("awards_manage_views.jurors", _l("Jurors")),
    ("awards_nomination_views.index", _l("Nominations")),
    ("awards_manage_views.links", _l("Nomination links")),
    ("awards_results_views.index", _l("Judging and results")),
    ("awards_show_views.index", _l("Run-of-show")),
    ("awards_stage_views.operator", _l("Live stage")),
    ("awards_poll_views.results", _l("Satisfaction poll")),
)


def award_menu(slug: str) -> list[tuple[str, str, str]]:
    """(endpoint, label, url) of each award page that exists in this app."""
    items = []
    for endpoint, label in MENU:
        try:
            items.append((endpoint, str(label), url_for(endpoint, slug=slug)))
        except BuildError:
            continue
    return items


def _page(template: str, **context):
    programme = programme_for(db.session, g.event)
    return render_template(f"awards/{template}", event=g.event, programme=programme, stage=state_label(programme.state),
                           status_labels=EVENT_STATUS_LABELS, award_menu=award_menu(g.event.slug), **context)


@bp.get("/")
@organizer_only
def index(slug: str):
    event = g.event
    programme = programme_for(db.session, event)
    setup.sync_jurors(db.session, event)
    db.session.commit()
    categories = db.session.scalar(select(func.count()).select_from(AwardCategory).where(AwardCategory.event_id == event.id))
    nominations = db.session.scalar(select(func.count()).select_from(Nomination).join(AwardCategory)
                                    .where(AwardCategory.event_id == event.id))
    jurors = db.session.scalar(select(func.count()).select_from(Juror).where(Juror.event_id == event.id))
    rules = [setup.tie_break_label(r) for r in setup.parse_tie_break(programme.tie_break)]
    return _page("manage_index.html", counts={"categories": categories, "nominations": nominations, "jurors": jurors},
                 tie_break=rules)


# Settings


def _settings_form() -> SettingsForm:
    event = g.event
    programme = programme_for(db.session, event)
    if request.method == "GET":
        form = SettingsForm(formdata=None, obj=programme)
        for name in ("nominations_open_at", "nominations_close_at", "judging_deadline"):
            getattr(form, name).data = form_local(getattr(programme, name), event.timezone)
        rules = setup.parse_tie_break(programme.tie_break)
        for i, name in enumerate(SettingsForm.TIE_BREAK_FIELDS):
            getattr(form, name).data = rules[i] if i < len(rules) else ""
    else:
        form = SettingsForm()
    choices = setup.tie_break_choices(db.session, event)
    stored = [(r, setup.tie_break_label(r)) for r in setup.parse_tie_break(programme.tie_break)]
    form.set_tie_break_choices(choices + [c for c in stored if c not in choices])
    return form


@bp.route("/settings", methods=["GET", "POST"])
@organizer_only
def settings(slug: str):
    event = g.event
    form = _settings_form()
    if form.validate_on_submit():
        zone = event.timezone
        data = setup.ProgrammeSettings(
            nominations_open_at=form_utc(form.nominations_open_at.data, zone),
            nominations_close_at=form_utc(form.nominations_close_at.data, zone),
            judging_deadline=form_utc(form.judging_deadline.data, zone),
            normalize_scores=form.normalize_scores.data, one_award_per_region=form.one_award_per_region.data,
            signatory_name=form.signatory_name.data or "", signatory_title=form.signatory_title.data or "",
            tie_break=[getattr(form, n).data or "" for n in SettingsForm.TIE_BREAK_FIELDS],
        )
        if commit_or_attach(form, lambda: setup.save_settings(db.session, event, data, current_user)):
            flash(_("Award settings saved."), "success")
            return redirect(url_for(".settings", slug=slug))
    db.session.commit()
    return _page("manage_settings.html", form=form), 400 if request.method == "POST" else 200


# Categories and criteria


@bp.get("/categories")
@organizer_only
def categories(slug: str):
    return _page("manage_categories.html", categories=setup.categories_of(db.session, g.event), confirm=ConfirmForm(),
                 dimension_labels=DIMENSION_LABELS)


@bp.post("/categories/dimensions")
@organizer_only
def create_dimensions(slug: str):
    form = ConfirmForm()
    made = []
    if form.validate_on_submit() and commit_or_attach(form, lambda: made.extend(setup.create_dimension_categories(db.session, g.event))):
        flash(_("%(count)d categories added.", count=len(made)) if made else _("The six dimension categories are already there."), "success")
    else:
        for error in form.form_errors:
            flash(error, "error")
    return redirect(url_for(".categories", slug=slug))


def _category_or_404(category_id: int) -> AwardCategory:
    category = db.get_or_404(AwardCategory, category_id)
    if category.event_id != g.event.id:
        abort(404)
    return category


def _category_forms(category: AwardCategory | None) -> tuple[CategoryForm, CriteriaForm]:
    if request.method != "GET":
        return CategoryForm(), CriteriaForm(request.form)
    form = CategoryForm(formdata=None, obj=category) if category else CategoryForm(formdata=None)
    if category is not None:
        form.dimension.data = category.dimension.value if category.dimension else ""
        rows = [{"name": c.name, "weight": c.weight, "scale_min": c.scale_min, "scale_max": c.scale_max} for c in category.criteria]
    else:
        rows = [{"name": n, "weight": w, "scale_min": 1, "scale_max": 10} for n, w in setup.DEFAULT_CRITERIA]
    rows += [{"name": "", "weight": None, "scale_min": 1, "scale_max": 10}] * max(2, 5 - len(rows))
    return form, CriteriaForm(data={"criteria": rows})


def _category_data(form: CategoryForm, criteria_form: CriteriaForm) -> setup.CategoryData:
    criteria = [
        setup.CriterionData(name=row.form.name.data, weight=row.form.weight.data or 0,
                            scale_min=row.form.scale_min.data if row.form.scale_min.data is not None else 1,
                            scale_max=row.form.scale_max.data if row.form.scale_max.data is not None else 10)
        for row in criteria_form.criteria if (row.form.name.data or "").strip()
    ]
    return setup.CategoryData(name=form.name.data, dimension=Dimension(form.dimension.data) if form.dimension.data else None,
                              description=form.description.data or "", winners_count=form.winners_count.data, criteria=criteria)


@bp.route("/categories/new", methods=["GET", "POST"], defaults={"category_id": None})
@bp.route("/categories/<int:category_id>", methods=["GET", "POST"])
@organizer_only
def category(slug: str, category_id: int | None):
    found = _category_or_404(category_id) if category_id else None
    form, criteria_form = _category_forms(found)
    if form.validate_on_submit() & criteria_form.validate():
        data = _category_data(form, criteria_form)
        if commit_or_attach(form, lambda: setup.save_category(db.session, g.event, data, found, current_user)):
            flash(_("Category “%(name)s” saved.", name=data.name.strip()), "success")
            return redirect(url_for(".categories", slug=slug))
    status = 400 if request.method == "POST" else 200
    return _page("manage_category.html", form=form, criteria_form=criteria_form, category=found), status


@bp.post("/categories/<int:category_id>/delete")
@organizer_only
def delete_category(slug: str, category_id: int):
    found = _category_or_404(category_id)
    form = ConfirmForm()
    name = found.name
    if form.validate_on_submit() and commit_or_attach(form, lambda: setup.delete_category(db.session, g.event, found, current_user)):
        flash(_("Category “%(name)s” deleted.", name=name), "success")
    else:
        for error in form.form_errors:
            flash(error, "error")
    return redirect(url_for(".categories", slug=slug))


# Eligible organizations


@bp.route("/eligible", methods=["GET", "POST"])
@organizer_only
def eligible(slug: str):
    event = g.event
    kind = request.args.get("kind", "")
    province = request.args.get("province", "").strip()
    query = select(Organization).order_by(Organization.name)
    if kind in {k.value for k in OrganizationKind}:
        query = query.where(Organization.kind == OrganizationKind(kind))
    if province:
        query = query.where(func.lower(Organization.province) == province.lower())
    shown = list(db.session.scalars(query))
    form = EligibleForm()
    form.organization_ids.choices = [(o.id, o.name) for o in shown]
    if request.method == "POST" and request.form.get("clear") and form.validate_on_submit():
        if commit_or_attach(form, lambda: setup.clear_eligible(db.session, event, current_user)):
            flash(_("Every organization may now be nominated."), "success")
            return redirect(url_for(".eligible", slug=slug))
    elif form.validate_on_submit():
        chosen = set(form.organization_ids.data or []) & {o.id for o in shown}
        if commit_or_attach(form, lambda: setup.set_eligible(db.session, event, {o.id for o in shown}, chosen, current_user)):
            flash(_("Eligible organizations saved."), "success")
            return redirect(url_for(".eligible", slug=slug, kind=kind or None, province=province or None))
    current = setup.eligible_ids(db.session, event)
    if request.method == "GET":
        form.organization_ids.data = [o.id for o in shown if o.id in current]
    provinces = sorted(p for p in db.session.scalars(select(Organization.province).distinct()) if p)
    return _page("manage_eligible.html", form=form, kind=kind, province=province, provinces=provinces,
                 kind_labels=ORGANIZATION_KIND_LABELS, eligible_count=len(current))


# Jurors


def _juror_choices(form):
    form.organization_id.choices = [(0, _("— none —"))] + organization_choices(db.session)
    form.category_ids.choices = [(c.id, c.name) for c in setup.categories_of(db.session, g.event)]
    return form


def _juror_or_404(juror_id: int) -> Juror:
    juror = db.get_or_404(Juror, juror_id)
    if juror.event_id != g.event.id:
        abort(404)
    return juror


@bp.route("/jurors", methods=["GET", "POST"])
@organizer_only
def jurors(slug: str):
    event = g.event
    form = _juror_choices(JurorForm())
    if form.validate_on_submit():
        data = setup.JurorData(form.organization_id.data or None, form.province.data, form.category_ids.data or [])
        result = []

        def call():
            juror, secret = setup.add_juror(db.session, event, email=form.email.data, name=form.name.data or "", data=data,
                                            invited_by=current_user, max_age_days=current_app.config["INVITATION_MAX_AGE_DAYS"])
            if secret:
                link = public_url(url_for("accounts.accept_invitation", token=secret))
                setup.mail_juror_invitation(db.session, event, email=form.email.data, name=form.name.data or "", link=link)
            result.append(juror)

        if commit_or_attach(form, call):
            if result[0] is not None:
                flash(_("%(email)s is now a juror of this award night.", email=form.email.data), "success")
            else:
                flash(_("An invitation was sent to %(email)s. The organization, province and categories given here apply as soon as they accept.",
                        email=form.email.data), "success")
            return redirect(url_for(".jurors", slug=slug))
    setup.sync_jurors(db.session, event)
    db.session.commit()
    categories = {c.id: c.name for c in setup.categories_of(db.session, event)}
    return _page("manage_jurors.html", form=form, jurors=setup.jurors_of(db.session, event), categories=categories,
                 invitations=setup.open_juror_invitations(db.session, event, utcnow()), confirm=ConfirmForm()), \
        400 if request.method == "POST" else 200


@bp.route("/jurors/<int:juror_id>", methods=["GET", "POST"])
@organizer_only
def juror(slug: str, juror_id: int):
    found = _juror_or_404(juror_id)
    if request.method == "GET":
        form = JurorDetailsForm(formdata=None)
        form.organization_id.data = found.organization_id or 0
        form.province.data = found.province or ""
        form.category_ids.data = [c.category_id for c in found.categories]
    else:
        form = JurorDetailsForm()
    _juror_choices(form)
    if form.validate_on_submit():
        data = setup.JurorData(form.organization_id.data or None, form.province.data, form.category_ids.data or [])
        if commit_or_attach(form, lambda: setup.save_juror(db.session, g.event, found, data, current_user)):
            flash(_("Juror %(name)s saved.", name=found.user.name), "success")
            return redirect(url_for(".jurors", slug=slug))
    return _page("manage_juror.html", form=form, juror=found, confirm=ConfirmForm()), 400 if request.method == "POST" else 200


@bp.post("/jurors/<int:juror_id>/remove")
@organizer_only
def remove_juror(slug: str, juror_id: int):
    found = _juror_or_404(juror_id)
    form = ConfirmForm()
    name = found.user.name
    if form.validate_on_submit() and commit_or_attach(form, lambda: setup.remove_juror(db.session, g.event, found, current_user)):
        flash(_("%(name)s is no longer a juror.", name=name), "success")
    else:
        for error in form.form_errors:
            flash(error, "error")
    return redirect(url_for(".jurors", slug=slug))


# Nomination links for regions (the organizer sends each its own)


@bp.get("/links")
@organizer_only
def links(slug: str):
    from eventsys.awards.nominations import nomination_token, window_problem

    event = g.event
    listed = setup.eligible_ids(db.session, event)
    query = select(Organization).order_by(Organization.name)
    if listed:
        query = query.where(Organization.id.in_(listed))
    rows = [(o, public_url(url_for("awards_nomination_views.nominate", slug=slug, token=nomination_token(event, o))))
            for o in db.session.scalars(query)]
    nominated = {n.organization_id for n in nominations_of(db.session, event)}
    programme = programme_for(db.session, event)
    return _page("manage_links.html", rows=rows, nominated=nominated, window_problem=window_problem(programme, event),
                 setup_state=programme.state == JudgingState.SETUP)
