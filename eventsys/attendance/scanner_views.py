"""The scanning screen of check-in staff (and kiosks) and how a browser becomes a scanner.

The page at /scan/<slug> is a public shell: everything it shows about attendees comes from the
JSON API with the device's bearer token, which the browser keeps (localStorage, per event). A
phone gets that token by opening a pairing link (/scan/pair/<secret>) made by an organizer, or a
signed-in organizer or check-in user pairs the browser in hand. The service worker at
/scan/sw.js keeps the shell and its scripts so that a reload without network still scans.
"""
from __future__ import annotations

import hashlib
import json
import os

from flask import Blueprint, Response, current_app, g, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from wtforms import BooleanField, SelectField, StringField
from wtforms.validators import DataRequired, Length, Optional

from eventsys.attendance import checkpoint_admin, checkpoints, devices
from eventsys.attendance.forms import KIOSK_CHECKPOINT_HELP
from eventsys.core.access import event_role_required, public
from eventsys.core.form_base import BaseForm, choice_id
from eventsys.core.rules import RuleViolation, attach_to_form
from eventsys.events.models import EventStatus
from eventsys.events.services import event_by_slug_or_404
from eventsys.extensions import db

bp = Blueprint("attendance_scanner_views", __name__)

# Everything the scanning page may load, relative to static/: the service worker keeps these
# offline, and tests/test_scanner_pages.py holds their sum (with the page) under the size budget.
SCANNER_ASSETS = (
    "vendor/pico/pico.min.css",
    "css/scanner.css",
    "js/scanner/main.js",
    "js/scanner/ui.js",
    "js/scanner/store.js",
    "js/scanner/net.js",
    "js/scanner/sync.js",
    "js/scanner/offline.js",
    "js/scanner/verify.js",
    "js/scanner/verdict.js",
    "js/scanner/camera.js",
    "js/scanner/sound.js",
    "js/scanner/undo.js",
    "vendor/qr-scanner/qr-scanner-worker.js",
    "vendor/noble-ed25519/index.js",
)
SERVICE_WORKER = "js/scanner/sw.js"
PAIRING_NOT_VALID = _l("This pairing link is unknown, expired or already used. Ask the organizer for a new one.")


class PairDeviceForm(BaseForm):
    staff_name = StringField(
        _l("Your name"),
        validators=[DataRequired(message=_l("Enter your name: it is recorded with every scan of this device.")), Length(max=200)],
    )


class PairBrowserForm(BaseForm):
    name = StringField(
        _l("Name of this scanner"),
        validators=[DataRequired(message=_l("Give the device a name, e.g. the door it stands at.")), Length(max=devices.MAX_NAME_LENGTH)],
        description=_l("For example the door it stands at: “Main entrance 1”."),
    )
    checkpoint_id = SelectField(_l("Checkpoint"), description=KIOSK_CHECKPOINT_HELP, coerce=choice_id, default=0, validators=[Optional()])
    kiosk = BooleanField(_l("Kiosk: attendees scan their own QR code"))


def _no_store(response: Response) -> Response:
    """Pages holding a secret or a device token: never cached, never sent on as a referrer."""
    response.headers["Cache-Control"] = "no-store"
    response.headers["Referrer-Policy"] = "no-referrer"
    response.headers["X-Robots-Tag"] = "noindex"
    return response


def asset_urls() -> list[str]:
    return [url_for("static", filename=name) for name in SCANNER_ASSETS]


def _assets_version() -> str:
    """Changes whenever a cached file changes, so that browsers install the new service worker."""
    digest = hashlib.sha256()
    files = [os.path.join(current_app.static_folder, name) for name in (*SCANNER_ASSETS, SERVICE_WORKER)]
    files.append(os.path.join(current_app.root_path, current_app.template_folder, "attendance", "scan.html"))
    for name in files:
        stat = os.stat(name)
        digest.update(f"{name}:{stat.st_mtime_ns}:{stat.st_size};".encode())
    return digest.hexdigest()[:16]


def scanner_strings() -> dict[str, str]:
    """What the page's scripts show, in the page's language (the scripts hold no text of their own)."""
    return {
        "online": _("Online"),
        "offline": _("Offline"),
        "waiting": _("%(num)s waiting"),
        "syncing": _("Sending…"),
        "ok": _("Welcome"),
        "already_checked_in": _("Already checked in"),
        "revoked": _("Ticket cancelled or replaced"),
        "not_allowed_here": _("Not admitted at this checkpoint"),
        "outside_window": _("This checkpoint is not open now"),
        "unknown": _("Unknown code"),
        "invalid_signature": _("Forged or damaged code"),
        "not_inside": _("Not inside"),
        "error": _("Could not check this code"),
        "checked_in_at": _("Checked in at %(time)s, %(gate)s"),
        "exit_at": _("Left at %(time)s, %(gate)s"),
        "by_signature": _("Valid ticket, not yet in this device's list: checked by its signature."),
        "checked_offline": _("Checked on this device (offline); it will be sent when the network is back."),
        "undone": _("Check-in undone."),
        "exit_undone": _("Exit undone."),
        "undo_failed": _("Could not undo"),
        "device_revoked": _("This scanner was revoked by the organizer. Ask for a new pairing link."),
        "no_data": _("Connect to the network once so that this scanner can load the guest list."),
        "choose_checkpoint": _("Choose the checkpoint first."),
        "no_checkpoints": _("This event has no checkpoints yet. Ask the organizer to add one."),
        "camera_failed": _("The camera could not be started. Allow camera access, or use a handheld scanner."),
        "no_results": _("No one found."),
        "differs": _("%(name)s: this device showed “%(local)s”, the server recorded “%(server)s”."),
        "out": _("Exit recorded"),
        "search_offline": _("Offline: searching this device's list."),
        "checked_in": _("checked in"),
        "ticket": _("Ticket %(id)s"),
    }


@bp.get("/scan/sw.js")
@public
def service_worker():
    with open(os.path.join(current_app.static_folder, SERVICE_WORKER), encoding="utf-8") as handle:
        source = handle.read()
    source = source.replace('"__VERSION__"', json.dumps(_assets_version())).replace("__ASSETS__", json.dumps(asset_urls()))
    response = Response(source, mimetype="text/javascript")
    response.headers["Cache-Control"] = "no-cache"  # browsers check for a new worker on every visit
    response.headers["Service-Worker-Allowed"] = "/scan/"
    return response


@bp.get("/scan/<slug>")
@public
def scan_page(slug: str):
    event = event_by_slug_or_404(slug)
    body = render_template(
        "attendance/scan.html",
        event=event,
        event_name=event.name if event.status == EventStatus.PUBLISHED else "",
        kiosk=request.args.get("kiosk") == "1",
        strings=scanner_strings(),
        api_base=f"/api/v1/events/{event.slug}",
        worker_url=url_for("static", filename="vendor/qr-scanner/qr-scanner-worker.js"),
        ed25519_url=url_for("static", filename="vendor/noble-ed25519/index.js"),
    )
    response = current_app.make_response(body)
    response.headers["Cache-Control"] = "no-cache"  # the service worker keeps its own copy for offline
    return response


def _paired_page(device, token: str):
    target = url_for(".scan_page", slug=device.event.slug, kiosk="1" if device.kiosk else None)
    body = render_template("attendance/paired.html", device=device, event=device.event, token=token, target=target)
    return _no_store(current_app.make_response(body))


def _pairing_refused(message: str):
    body = render_template("attendance/pair_refused.html", message=message)
    return _no_store(current_app.make_response((body, 404)))


@bp.route("/scan/pair/<secret>", methods=["GET", "POST"])
@public
def pair(secret: str):
    device = devices.device_for_pairing(db.session, secret)
    if device is None:
        return _pairing_refused(str(PAIRING_NOT_VALID))
    form = PairDeviceForm()
    if form.validate_on_submit():
        try:
            device, token = devices.pair_device(
                db.session, secret, staff_name=form.staff_name.data, user=current_user if current_user.is_authenticated else None
            )
        except RuleViolation as violation:
            db.session.rollback()
            return _pairing_refused(violation.message)
        db.session.commit()
        return _paired_page(device, token)
    body = render_template("attendance/pair.html", device=device, event=device.event, form=form)
    return _no_store(current_app.make_response(body))


@bp.route("/scan/<slug>/pair-this-browser", methods=["GET", "POST"])
@event_role_required("organizer", "checkin")
def pair_this_browser(slug: str):
    event = g.event
    form = PairBrowserForm()
    form.checkpoint_id.choices = [(0, _("— choose on the scanner —"))] + [(c.id, c.name) for c in checkpoints.event_checkpoints(db.session, event)]
    if form.validate_on_submit():
        checkpoint = checkpoint_admin.checkpoint_of(db.session, event, form.checkpoint_id.data) if form.checkpoint_id.data else None
        try:
            device, token = devices.pair_browser(
                db.session, event, current_user, name=form.name.data, kiosk=form.kiosk.data, checkpoint=checkpoint
            )
        except RuleViolation as violation:
            db.session.rollback()
            attach_to_form(form, violation)
        else:
            db.session.commit()
            return _paired_page(device, token)
    elif request.method == "GET" and not form.name.data:
        form.name.data = _("Scanner of %(name)s", name=current_user.name)[: devices.MAX_NAME_LENGTH]
    body = render_template("attendance/pair_browser.html", event=event, form=form)
    return _no_store(current_app.make_response(body))
