"""The organizer's exposé pages: settings and panels, the draft grid, auto-scheduling, publishing, versions (presenters: presenter_views)."""
from __future__ import annotations

from flask import Blueprint, flash, g, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy.exc import IntegrityError

from eventsys.accounts.models import EventRoleName
from eventsys.core.access import event_role_required
from eventsys.core.i18n import local_time
from eventsys.core.rules import RuleViolation, commit_or_attach
from eventsys.core.timezones import form_local, form_utc
from eventsys.events.models import EVENT_STATUS_LABELS
from eventsys.exposes import grid, presenters, publishing, services
from eventsys.exposes.forms import ConfirmForm, PanelForm, ProgrammeForm, PublishForm
from eventsys.exposes.models import OrderPreference, Presenter, RuleSeverity
from eventsys.extensions import db

bp = Blueprint("exposes_manage_views", __name__, url_prefix="/manage/<slug>/expose")
organizer_only = event_role_required(EventRoleName.ORGANIZER)


def manage_page(template: str, **context):
    """An organizer's exposé page (this module's and presenter_views')."""
    return render_template(f"exposes/{template}", event=g.event, status_labels=EVENT_STATUS_LABELS, **context)


# Settings and panels


@bp.route("/settings", methods=["GET", "POST"])
@organizer_only
def settings(slug: str):
    event = g.event
    programme = services.programme_for(db.session, event)
    form = _programme_form(programme) if request.method == "GET" else ProgrammeForm()
    if form.validate_on_submit():
        data = services.ProgrammeData(
            order_preference=OrderPreference(form.order_preference.data),
            talk_minutes=form.talk_minutes.data,
            qa_minutes=form.qa_minutes.data,
            buffer_minutes=form.buffer_minutes.data,
            step_minutes=form.step_minutes.data,
            deck_deadline=form_utc(form.deck_deadline.data, event.timezone),
            deck_max_mb=form.deck_max_mb.data,
            severities={rule: RuleSeverity(getattr(form, rule).data) for rule in services.RULES},
        )
        if commit_or_attach(form, lambda: services.save_programme(db.session, event, data)):
            flash(_("Exposé settings saved."), "success")
            return redirect(url_for("exposes_manage_views.settings", slug=slug))
    else:
        db.session.commit()  # the programme row made on first use
    return _panels_page(form)


def _programme_form(programme) -> ProgrammeForm:
    """The settings form showing what is stored (the deadline in the event's zone)."""
    form = ProgrammeForm(formdata=None)
    form.order_preference.data = programme.order_preference.value
    for name in ("talk_minutes", "qa_minutes", "buffer_minutes", "step_minutes", "deck_max_mb"):
        getattr(form, name).data = getattr(programme, name)
    form.deck_deadline.data = form_local(programme.deck_deadline, g.event.timezone)
    for rule in services.RULES:
        getattr(form, rule).data = services.severity_of(programme, rule).value
    return form


def _panels_page(form: ProgrammeForm, failed: tuple[int, PanelForm] | None = None):
    event = g.event
    panels = services.panels_for(db.session, event)
    panel_forms = []
    for block in services.blocks_for(db.session, event):
        if failed and failed[0] == block.id:
            panel_forms.append((block, failed[1]))
            continue
        panel = panels.get(block.id)
        panel_form = PanelForm(prefix=f"panel{block.id}", formdata=None)
        panel_form.moderator.data = panel.moderator if panel else ""
        panel_form.members.data = panel.members if panel else ""
        panel_forms.append((block, panel_form))
    return manage_page("manage_settings.html", form=form, panel_forms=panel_forms, rules=services.RULE_LABELS)


@bp.post("/panels/<int:block_id>")
@organizer_only
def save_panel(slug: str, block_id: int):
    form = PanelForm(prefix=f"panel{block_id}")
    if form.validate_on_submit() and commit_or_attach(
        form, lambda: services.save_panel(db.session, g.event, block_id, form.moderator.data, form.members.data)
    ):
        flash(_("Panel saved."), "success")
        return redirect(url_for("exposes_manage_views.settings", slug=slug) + f"#panel-{block_id}")
    return _panels_page(_programme_form(services.programme_for(db.session, g.event)), (block_id, form))


# The draft: grid, hand editing, auto-scheduling


def _schedule_page(**extra):
    event = g.event
    programme = services.programme_for(db.session, event)
    violations = services.draft_violations(db.session, event)
    problems = grid.problems_by_presenter(db.session, event, violations)
    ordered = grid.presenters_in_order(db.session, event)
    blocks = services.blocks_for(db.session, event)
    db.session.commit()
    return manage_page(
        "manage_grid.html",
        programme=programme,
        days=grid.draft_grid(db.session, event, problems),
        problems=grid.problem_list(db.session, event, violations),
        unscheduled=[p for p in ordered if p.slot is None],
        presenters=ordered,
        block_choices=[(b.id, services.block_label(b, event.timezone)) for b in blocks],
        latest=publishing.latest_version(db.session, event),
        severity_labels=services.SEVERITY_LABELS,
        publish_form=extra.pop("publish_form", None) or PublishForm(formdata=None),
        **extra,
    )


@bp.get("/")
@organizer_only
def index(slug: str):
    return _schedule_page()


@bp.post("/auto-schedule")
@organizer_only
def auto_schedule(slug: str):
    if not ConfirmForm().validate_on_submit():
        flash(_("Your form has expired or did not come from this site. Reload the page and send it again."), "error")
        return redirect(url_for("exposes_manage_views.index", slug=slug))
    try:
        result = services.auto_schedule_result(db.session, g.event)
    except RuleViolation as violation:
        db.session.rollback()
        flash(violation.message, "error")
        return redirect(url_for("exposes_manage_views.index", slug=slug))
    db.session.commit()
    return _schedule_page(auto_result=result)


def _presenter_for_edit(value) -> Presenter:
    try:
        presenter_id = int(value)
    except (TypeError, ValueError):
        presenter_id = None
    return presenters.presenter_of(db.session, g.event, presenter_id)


def _answer(ok_message: str | None, violation: RuleViolation | None, as_json: bool):
    slug = g.event.slug
    if as_json:
        if violation is not None:
            return jsonify({"error": {"code": "refused", "message": violation.message}}), 400
        return jsonify({"ok": True, "message": ok_message})
    flash(violation.message if violation else ok_message, "error" if violation else "success")
    return redirect(url_for("exposes_manage_views.index", slug=slug))


def _edit(call, as_json: bool):
    """Run a hand edit (`call` returns the message to show) and commit; refused edits store nothing."""
    try:
        message = call()
    except RuleViolation as violation:
        db.session.rollback()
        return _answer(None, violation, as_json)
    db.session.commit()
    return _answer(message, None, as_json)


@bp.post("/move")
@organizer_only
def move(slug: str):
    """Move a presenter to a block and start time: the grid's drag and drop (JSON) and the per-slot form."""
    event = g.event
    as_json = request.is_json
    if as_json:
        body = request.get_json(silent=True)
        body = body if isinstance(body, dict) else {}
        presenter_value, block_value = body.get("presenter_id"), body.get("block_id")
        clock = services.parse_clock(body.get("start"))
    else:
        presenter_value, block_value = request.form.get("presenter_id"), request.form.get("block_id")
        clock = services.parse_clock(request.form.get("start"))

    def call():
        presenter = _presenter_for_edit(presenter_value)
        try:
            block = services.block_of(db.session, event, int(block_value))
        except (TypeError, ValueError):
            block = services.block_of(db.session, event, None)
        slot = services.move_slot(db.session, event, presenter, block.id, services.start_in_block(block, clock, event.timezone))
        return _("%(name)s moved to %(time)s, %(room)s.", name=presenter.organization.name,
                 time=local_time(slot.starts_at, event.timezone), room=block.room.name if block.room else block.title)

    return _edit(call, as_json)


@bp.post("/swap")
@organizer_only
def swap(slug: str):
    as_json = request.is_json
    body = (request.get_json(silent=True) or {}) if as_json else request.form
    body = body if hasattr(body, "get") else {}

    def call():
        first = _presenter_for_edit(body.get("presenter_id"))
        try:
            second = presenters.presenter_of(db.session, g.event, int(body.get("other_id")))
        except (TypeError, ValueError):
            raise RuleViolation(_("Choose another presenter to swap with."), "other_id") from None
        services.swap_slots(db.session, g.event, first, second)
        return _("%(first)s and %(second)s swapped slots.", first=first.organization.name, second=second.organization.name)

    return _edit(call, as_json)


@bp.post("/unschedule")
@organizer_only
def unschedule(slug: str):
    def call():
        presenter = _presenter_for_edit(request.form.get("presenter_id"))
        services.unschedule(db.session, g.event, presenter)
        return _("%(name)s taken out of the draft.", name=presenter.organization.name)

    return _edit(call, False)


# Publishing


@bp.post("/publish")
@organizer_only
def publish(slug: str):
    form = PublishForm()
    if not form.validate_on_submit():
        return _schedule_page(publish_form=form)
    try:
        version = publishing.publish(db.session, g.event, current_user, form.note.data or "")
        db.session.commit()
    except publishing.PublicationBlocked as refusal:
        db.session.rollback()
        return _schedule_page(publish_form=form, publish_error=refusal.message, blocking=refusal.problems)
    except RuleViolation as violation:
        db.session.rollback()
        return _schedule_page(publish_form=form, publish_error=violation.message, blocking=[])
    except IntegrityError:  # another organizer published the same number a moment ago
        db.session.rollback()
        return _schedule_page(publish_form=form, blocking=[],
                              publish_error=_("Someone else published at the same moment. Check the versions and try again."))
    flash(_("Version %(number)d published.", number=version.number), "success")
    return redirect(url_for("exposes_manage_views.versions", slug=slug))


@bp.get("/versions")
@organizer_only
def versions(slug: str):
    event = g.event
    all_versions = publishing.versions_of(db.session, event)  # newest first
    rows = []
    for i, version in enumerate(all_versions):
        previous = all_versions[i + 1] if i + 1 < len(all_versions) else None
        changes = publishing.changes_between(previous, version)
        rows.append((version, previous, [(c, publishing.describe_change(c, event.timezone)) for c in changes]))
    return manage_page("manage_versions.html", rows=rows)
