"""The organizer's check-in screens: checkpoints, paired devices, the scan log with its sync
conflicts, and corrections to one person's check-ins."""
from __future__ import annotations

from flask import Blueprint, abort, flash, g, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user

from eventsys.accounts.models import EventRoleName
from eventsys.attendance import checkin_admin, checkpoint_admin, checkpoints, devices, walk_in
from eventsys.attendance.forms import (
    CHANGE_LABELS,
    DIRECTION_LABELS,
    RESULT_LABELS,
    SOURCE_LABELS,
    ActionForm,
    CheckpointForm,
    ConfirmForm,
    DeviceForm,
    ManualCheckInForm,
    RestoreForm,
    ScanFilterForm,
    UndoForm,
)
from eventsys.attendance.models import Direction, EntryPolicy, ScannerDevice, ScanResult
from eventsys.core.access import event_role_required
from eventsys.core.db import utcnow
from eventsys.core.pdf import data_uri
from eventsys.core.qr import qr_svg
from eventsys.core.rules import RuleViolation, attach_to_form, commit_or_attach
from eventsys.core.timezones import form_local, form_utc, to_local
from eventsys.events.models import EVENT_STATUS_LABELS, AgendaSession
from eventsys.extensions import db
from eventsys.registration import seats
from eventsys.registration.models import STATE_LABELS

bp = Blueprint("attendance_manage_views", __name__, url_prefix="/manage/<slug>/checkin")
organizer_only = event_role_required(EventRoleName.ORGANIZER)

PER_PAGE = 50


def _page(template: str, **context):
    return render_template(
        f"attendance/{template}", event=g.event, status_labels=EVENT_STATUS_LABELS, action_form=ActionForm(),
        policy_labels=checkpoint_admin.POLICY_LABELS, direction_labels=DIRECTION_LABELS, source_labels=SOURCE_LABELS,
        change_labels=CHANGE_LABELS, result_labels=RESULT_LABELS, state_labels=STATE_LABELS, **context,
    )


def _commit_flashing(call, done: str) -> None:
    """Run a service call and commit with `done` flashed, or roll back with the refusal flashed."""
    try:
        call()
    except RuleViolation as violation:
        db.session.rollback()
        flash(violation.message, "error")
    else:
        db.session.commit()
        flash(done, "success")


# The overview and checkpoints.


@bp.get("")
@organizer_only
def index(slug: str):
    event = g.event
    found = walk_in.desk_search(db.session, event, request.args.get("q", ""))
    listed = checkpoints.event_checkpoints(db.session, event)
    return _page(
        "manage_index.html",
        checkpoints=listed,
        people=checkpoint_admin.people_checked_in(db.session, event),
        inside={c.id: len(checkpoints.inside_now(db.session, c)) for c in listed if c.policy == EntryPolicy.IN_OUT},
        conflicts=checkin_admin.sync_conflict_count(db.session, event),
        scans=checkin_admin.scan_count(db.session, event),
        devices=devices.event_devices(db.session, event),
        q=request.args.get("q", ""),
        found=found[: walk_in.SEARCH_LIMIT],
        more_found=len(found) > walk_in.SEARCH_LIMIT,
    )


@bp.post("/entrance")
@organizer_only
def add_entrance(slug: str):
    if ActionForm().validate_on_submit():
        checkpoint = checkpoint_admin.add_entrance(db.session, g.event)
        db.session.commit()
        if checkpoint is not None:
            flash(_("Checkpoint “%(name)s” added.", name=checkpoint.name), "success")
    return redirect(url_for(".index", slug=slug))


def _checkpoint_form(checkpoint=None) -> CheckpointForm:
    event = g.event
    form = CheckpointForm()
    sessions = db.session.scalars(
        db.select(AgendaSession).where(AgendaSession.event_id == event.id).order_by(AgendaSession.starts_at, AgendaSession.title)
    ).all()
    form.session_id.choices = [(0, _("— none —"))] + [
        (s.id, f"{to_local(s.starts_at, event.timezone):%d/%m %H:%M} {s.title}") for s in sessions
    ]
    form.category_ids.choices = [(c.id, c.name) for c in seats.categories_of(db.session, event)]
    if request.method == "GET" and checkpoint is not None:
        form.name.data = checkpoint.name
        form.session_id.data = checkpoint.session_id or 0
        form.category_ids.data = [c.id for c in checkpoint.categories]
        form.opens_at.data = form_local(checkpoint.opens_at, g.event.timezone)
        form.closes_at.data = form_local(checkpoint.closes_at, g.event.timezone)
        form.policy.data = checkpoint.policy.value
    return form


def _save_checkpoint(checkpoint=None):
    form = _checkpoint_form(checkpoint)
    if form.validate_on_submit():
        data = checkpoint_admin.CheckpointData(
            name=form.name.data or "",
            policy=form.policy.data or "",
            session_id=form.session_id.data or None,
            category_ids=[i for i in (form.category_ids.data or [])],
            opens_at=form_utc(form.opens_at.data, g.event.timezone),
            closes_at=form_utc(form.closes_at.data, g.event.timezone),
        )
        try:
            saved = checkpoint_admin.save_checkpoint(db.session, g.event, data, checkpoint)
        except RuleViolation as violation:
            db.session.rollback()
            attach_to_form(form, violation)
        else:
            db.session.commit()
            flash(_("Checkpoint “%(name)s” saved.", name=saved.name), "success")
            return redirect(url_for(".index", slug=g.event.slug))
    return _page("manage_checkpoint.html", form=form, checkpoint=checkpoint, policy_locked=checkpoint_admin.policy_locked(db.session, checkpoint))


def _checkpoint_or_404(checkpoint_id: int):
    checkpoint = checkpoint_admin.checkpoint_of(db.session, g.event, checkpoint_id)
    if checkpoint is None:
        abort(404)
    return checkpoint


@bp.route("/checkpoints/new", methods=["GET", "POST"])
@organizer_only
def new_checkpoint(slug: str):
    return _save_checkpoint()


@bp.route("/checkpoints/<int:checkpoint_id>", methods=["GET", "POST"])
@organizer_only
def edit_checkpoint(slug: str, checkpoint_id: int):
    return _save_checkpoint(_checkpoint_or_404(checkpoint_id))


@bp.route("/checkpoints/<int:checkpoint_id>/delete", methods=["GET", "POST"])
@organizer_only
def delete_checkpoint(slug: str, checkpoint_id: int):
    """Asks first: a POST without the confirmation page's button (the overview's Delete) only shows the question."""
    checkpoint = _checkpoint_or_404(checkpoint_id)
    form = ConfirmForm()
    if form.validate_on_submit():
        name = checkpoint.name
        _commit_flashing(lambda: checkpoint_admin.delete_checkpoint(db.session, checkpoint), _("Checkpoint “%(name)s” deleted.", name=name))
        return redirect(url_for(".index", slug=slug))
    return _page("manage_checkpoint.html", checkpoint=checkpoint, deleting=form, refusal=checkpoint_admin.deletion_refusal(db.session, checkpoint))


@bp.get("/checkpoints/<int:checkpoint_id>/inside")
@organizer_only
def inside(slug: str, checkpoint_id: int):
    checkpoint = _checkpoint_or_404(checkpoint_id)
    return _page("manage_inside.html", checkpoint=checkpoint, people=checkpoints.inside_now(db.session, checkpoint))


# Devices.


def _device_form() -> DeviceForm:
    form = DeviceForm()
    form.checkpoint_id.choices = [(0, _("— choose on the device —"))] + [
        (c.id, c.name) for c in checkpoints.event_checkpoints(db.session, g.event)
    ]
    return form


@bp.route("/devices", methods=["GET", "POST"])
@organizer_only
def devices_page(slug: str):
    form = _device_form()
    if form.validate_on_submit():
        try:
            device, secret = devices.create_device(
                db.session, g.event, name=form.name.data, kiosk=form.kiosk.data, checkpoint=_chosen_checkpoint(form), created_by=current_user
            )
        except RuleViolation as violation:
            db.session.rollback()
            attach_to_form(form, violation)
        else:
            db.session.commit()
            return _show_pairing(device, secret)
    listed, now = devices.event_devices(db.session, g.event), utcnow()
    return _page("manage_devices.html", form=form, devices=listed, states={d.id: devices.state_label(d, now) for d in listed})


def _chosen_checkpoint(form: DeviceForm):
    return checkpoint_admin.checkpoint_of(db.session, g.event, form.checkpoint_id.data) if form.checkpoint_id.data else None


def _show_pairing(device: ScannerDevice, secret: str):
    """POST/redirect/GET: reloading the page that shows the code shows it again instead of making another device."""
    devices.keep_shown_secret(session, device, secret)
    return redirect(url_for(".pairing", slug=g.event.slug, device_id=device.id))


@bp.get("/devices/<int:device_id>/pairing-code")
@organizer_only
def pairing(slug: str, device_id: int):
    device = _device_or_404(device_id)
    secret = devices.shown_secret(db.session, session, device)
    link = devices.pairing_url(secret) if secret else None
    response = _page("manage_device_pairing.html", device=device, link=link, qr=data_uri("image/svg+xml", qr_svg(link)) if link else None)
    return response, 200, {"Cache-Control": "no-store", "Referrer-Policy": "no-referrer"}


def _device_or_404(device_id: int) -> ScannerDevice:
    device = db.session.get(ScannerDevice, device_id)
    if device is None or device.event_id != g.event.id:
        abort(404)
    return device


@bp.route("/devices/<int:device_id>", methods=["GET", "POST"])
@organizer_only
def edit_device(slug: str, device_id: int):
    device = _device_or_404(device_id)
    form = _device_form()
    if request.method == "GET":
        form.name.data, form.checkpoint_id.data, form.kiosk.data = device.name, device.checkpoint_id or 0, device.kiosk
    elif form.validate_on_submit() and commit_or_attach(
        form, lambda: devices.change_device(db.session, device, name=form.name.data, kiosk=form.kiosk.data, checkpoint=_chosen_checkpoint(form))
    ):
        flash(_("“%(name)s” is saved. A paired device takes the change at its next sync.", name=device.name), "success")
        return redirect(url_for(".devices_page", slug=slug))
    return _page("manage_device_edit.html", device=device, form=form)


@bp.route("/devices/<int:device_id>/pairing", methods=["GET", "POST"])
@organizer_only
def new_pairing(slug: str, device_id: int):
    """Asks first: a new link cuts off the phone paired now, mid-door perhaps."""
    device = _device_or_404(device_id)
    form = ConfirmForm()
    if form.validate_on_submit():
        try:
            secret = devices.new_pairing(db.session, device)
        except RuleViolation as violation:
            db.session.rollback()
            flash(violation.message, "error")
            return redirect(url_for(".devices_page", slug=slug))
        db.session.commit()
        return _show_pairing(device, secret)
    return _page("manage_device_new_pairing.html", device=device, form=form)


@bp.route("/devices/<int:device_id>/revoke", methods=["GET", "POST"])
@organizer_only
def revoke_device(slug: str, device_id: int):
    device = _device_or_404(device_id)
    form = ActionForm()
    if form.validate_on_submit():
        devices.revoke_device(db.session, device)
        db.session.commit()
        flash(_("“%(name)s” is revoked: it can no longer scan or sync.", name=device.name), "success")
        return redirect(url_for(".devices_page", slug=slug))
    return _page("manage_device_revoke.html", device=device, form=form)


# The scan log.


@bp.get("/scans")
@organizer_only
def scans(slug: str):
    event = g.event
    form = ScanFilterForm(request.args)
    listed_checkpoints = checkpoints.event_checkpoints(db.session, event)
    listed_devices = checkin_admin.event_devices_by_name(db.session, event)
    form.result.choices = [("", _("All results"))] + [(r.value, label) for r, label in RESULT_LABELS.items()]
    form.checkpoint.choices = [(0, _("All checkpoints"))] + [(c.id, c.name) for c in listed_checkpoints]
    form.device.choices = [(0, _("All devices"))] + [(d.id, d.name) for d in listed_devices]
    filters = checkin_admin.ScanFilters(conflicts=bool(form.conflicts.data))
    if form.result.data in {r.value for r in ScanResult}:
        filters.result = ScanResult(form.result.data)
    if form.checkpoint.data in {c.id for c in listed_checkpoints}:
        filters.checkpoint_id = form.checkpoint.data
    if form.device.data in {d.id for d in listed_devices}:
        filters.device_id = form.device.data
    page = db.paginate(checkin_admin.scans_query(event, filters), per_page=PER_PAGE, error_out=False)
    args = {k: v for k, v in request.args.items() if k in ("result", "checkpoint", "device", "conflicts") and v}
    return _page(
        "manage_scans.html", page=page, filters=form, filtered=filters.active, args=args, shown_code=checkin_admin.shown_code,
        conflicts=checkin_admin.sync_conflict_count(db.session, event),
    )


# One person's check-ins and their corrections.


def _registration_or_404(registration_id: int):
    registration = checkin_admin.registration_of(db.session, g.event, registration_id)
    if registration is None:
        abort(404)
    return registration


def _manual_form(formdata=None) -> ManualCheckInForm:
    form = ManualCheckInForm(formdata=formdata)
    form.checkpoint_id.choices = [(c.id, c.name) for c in checkpoints.event_checkpoints(db.session, g.event)]
    return form


def _person_page(registration, *, manual_form=None, undo_form=None):
    checkins = checkin_admin.registration_checkins(db.session, registration)
    return _page(
        "manage_person.html",
        registration=registration,
        checkins=checkins,
        checkpoints=checkpoints.event_checkpoints(db.session, g.event),
        changes=checkin_admin.registration_changes(db.session, registration),
        manual_form=manual_form or _manual_form(),
        undo_form=undo_form or UndoForm(formdata=None),
        restore_form=RestoreForm(formdata=None),
        moved=checkin_admin.set_aside(db.session, checkins),
    )


@bp.get("/people/<int:registration_id>")
@organizer_only
def person(slug: str, registration_id: int):
    return _person_page(_registration_or_404(registration_id))


def _back_to_person(registration):
    return redirect(url_for(".person", slug=g.event.slug, registration_id=registration.id))


@bp.post("/people/<int:registration_id>/undo")
@organizer_only
def undo(slug: str, registration_id: int):
    registration = _registration_or_404(registration_id)
    form = UndoForm()
    if not form.validate_on_submit():
        return _person_page(registration, undo_form=form), 400
    checkin = checkin_admin.checkin_of(db.session, registration, form.checkin_id.data)
    if checkin is None:
        abort(404)
    done = _("Exit undone.") if checkin.direction == Direction.OUT else _("Check-in undone.")
    _commit_flashing(lambda: checkin_admin.undo(db.session, checkin, user=current_user, reason=form.reason.data), done)
    return _back_to_person(registration)


@bp.post("/people/<int:registration_id>/restore")
@organizer_only
def restore(slug: str, registration_id: int):
    registration = _registration_or_404(registration_id)
    form = RestoreForm()
    if form.validate_on_submit():
        checkin = checkin_admin.checkin_of(db.session, registration, form.checkin_id.data)
        if checkin is None:
            abort(404)
        _commit_flashing(
            lambda: checkin_admin.restore(db.session, checkin, user=current_user, reason=form.reason.data or ""), _("Check-in restored.")
        )
    return _back_to_person(registration)


@bp.post("/people/<int:registration_id>/manual")
@organizer_only
def manual(slug: str, registration_id: int):
    registration = _registration_or_404(registration_id)
    form = _manual_form(request.form)
    if not form.validate_on_submit():
        return _person_page(registration, manual_form=form), 400
    checkpoint = checkpoint_admin.checkpoint_of(db.session, g.event, form.checkpoint_id.data)
    try:
        outcome = checkin_admin.record_manual(
            db.session, g.event, checkpoint, registration, user=current_user, nonce=form.nonce.data or "",
            reason=form.reason.data or "", direction=Direction(form.direction.data), at=form_utc(form.at.data, g.event.timezone),
        )
    except RuleViolation as violation:
        db.session.rollback()
        attach_to_form(form, violation)
        return _person_page(registration, manual_form=form), 400
    db.session.commit()  # a refused attempt is stored in the scan log too
    flash(outcome.message, "success" if outcome.result == ScanResult.OK else "error")
    return _back_to_person(registration)
