"""Live stage pages: the operator's console, the projector's stage screen and the backstage view.

Screen access: the stage screen runs on a venue PC that nobody signs in to, so the operator page
hands out a screen link carrying a token signed with the app's secret (itsdangerous, salted for
this use, holding the event's id) that expires after SCREEN_LINK_DAYS; a link for one event never
opens another's. Signed-in organizers open the screen without a link. The backstage view shows
who has checked in, so it stays with the organizer and check-in roles. Every page polls a JSON
endpoint (static/js/awards-stage.js) that answers 304 while its ETag, a digest of the payload with
the StageState version in it, is unchanged.
"""
from __future__ import annotations

import hashlib
import json

from flask import Blueprint, abort, current_app, flash, g, make_response, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from itsdangerous import BadSignature, URLSafeTimedSerializer
from sqlalchemy.exc import IntegrityError
from wtforms import HiddenField

from eventsys.accounts.models import EventRoleName
from eventsys.awards import stage as stage_service
from eventsys.core.access import event_role_required, public
from eventsys.core.form_base import BaseForm
from eventsys.core.rules import RuleViolation
from eventsys.core.timezones import zone_abbreviation
from eventsys.events.models import Event, Organization
from eventsys.events.services import event_by_slug_or_404
from eventsys.extensions import db

bp = Blueprint("awards_stage_views", __name__)
organizer_only = event_role_required(EventRoleName.ORGANIZER)
backstage_roles = event_role_required(EventRoleName.ORGANIZER, EventRoleName.CHECKIN)

POLL_SECONDS = 2
SCREEN_LINK_DAYS = 3
SCREEN_SALT = "awards-stage-screen"


class StepForm(BaseForm):
    version = HiddenField()
    cue_id = HiddenField()


def _logo_url(organization: Organization) -> str | None:
    if organization.logo_key and organization.logo_content_type:
        return url_for("organizations.logo", key=organization.logo_key)
    return None


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.secret_key, salt=SCREEN_SALT)


def screen_token(event: Event) -> str:
    return _serializer().dumps({"event": event.id})


def _screen_key_valid(event: Event, key: str | None) -> bool:
    if not key or len(key) > 300:
        return False
    try:
        data = _serializer().loads(key, max_age=SCREEN_LINK_DAYS * 86400)
    except BadSignature:  # also SignatureExpired
        return False
    return isinstance(data, dict) and data.get("event") == event.id


def _screen_event_or_404(slug: str) -> Event:
    """The screen opens with a valid screen link, or for a signed-in organizer of the event."""
    event = event_by_slug_or_404(slug)
    if _screen_key_valid(event, request.args.get("key")):
        return event
    if current_user.is_authenticated and current_user.has_event_role(event, [EventRoleName.ORGANIZER]):
        return event
    abort(404)


def _private(response):
    response.headers["Cache-Control"] = "no-store"
    response.headers["Referrer-Policy"] = "no-referrer"  # the screen link carries its key
    response.headers["X-Robots-Tag"] = "noindex"
    return response


def _json(payload: dict):
    """JSON with an ETag (digest of the payload); an unchanged state answers 304 Not Modified."""
    body = json.dumps(payload, ensure_ascii=False, sort_keys=True)
    response = current_app.response_class(body, mimetype="application/json")
    response.set_etag(hashlib.sha256(body.encode()).hexdigest()[:32])
    response.headers["Cache-Control"] = "no-cache, private"
    response.headers["Referrer-Policy"] = "no-referrer"
    return response.make_conditional(request)


def client_text() -> dict:
    """Words the script shows, in the page's language ("{x}" filled in by the script)."""
    return {
        "nominees": _("Nominees"),
        "winner": _("Winner"),
        "rank": _("Rank %(rank)s", rank="{rank}"),
        "received_by": _("Received by %(name)s", name="{name}"),
        "not_started": _("The show has not started yet."),
        "finished": _("Thank you. The award night has ended."),
        "checked_in": _("checked in %(time)s", time="{time}"),
        "not_checked_in": _("not checked in yet"),
        "nobody_next": _("Nobody else comes to the stage."),
        "offline": _("No connection. Retrying…"),
    }


# The operator


@bp.get("/manage/<slug>/awards/stage")
@organizer_only
def operator(slug: str):
    event = g.event
    stage = stage_service.load_stage(db.session, event)
    status, delay = stage_service.delay_text(stage.delay_seconds())
    page = render_template(
        "awards/stage_operator.html",
        event=event,
        stage=stage,
        form=StepForm(formdata=None),
        delay_status=status,
        delay=delay,
        screen_url=url_for(".screen", slug=slug, key=screen_token(event), _external=True),
        screen_link_days=SCREEN_LINK_DAYS,
        json_url=url_for(".backstage_data", slug=slug),
        poll_seconds=POLL_SECONDS,
        client_text=client_text(),
        zone=zone_abbreviation(event.timezone, event.starts_at),
        kind_labels=stage_service.KIND_LABELS,
    )
    return _private(make_response(page))


STEPS = {
    "start": lambda session, event, version, _cue: stage_service.start_show(session, event, version),
    "next": lambda session, event, version, _cue: stage_service.next_cue(session, event, version),
    "previous": lambda session, event, version, _cue: stage_service.previous_cue(session, event, version),
    "jump": lambda session, event, version, cue: stage_service.jump_to(session, event, version, cue),
}


def _int(value) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


@bp.post("/manage/<slug>/awards/stage/<any('start', 'next', 'previous', 'jump'):action>")
@organizer_only
def step(slug: str, action: str):
    back = redirect(url_for(".operator", slug=slug))
    form = StepForm()
    if not form.validate_on_submit():
        flash(_("Your form has expired or did not come from this site. Reload the page and send it again."), "error")
        return back
    version = _int(form.version.data)
    if version is None:
        flash(_("The page did not say which state of the show it saw. Reload the page and press again."), "error")
        return back
    try:
        stage = STEPS[action](db.session, g.event, version, _int(form.cue_id.data) or -1)
        db.session.commit()
    except RuleViolation as violation:
        db.session.rollback()
        flash(violation.message, "error")
        return back
    except IntegrityError:  # two first clicks at the same moment
        db.session.rollback()
        flash(stage_service._stale().message, "error")
        return back
    current = stage.current
    if current is None:
        flash(_("The show is over."), "success")
    else:
        flash(_("On stage now: %(title)s.", title=current.title), "success")
    return back


# The stage screen


@bp.get("/stage/<slug>/screen")
@public
def screen(slug: str):
    event = _screen_event_or_404(slug)
    stage = stage_service.load_stage(db.session, event)
    key = request.args.get("key")
    page = render_template(
        "awards/stage_screen.html",
        event=event,
        data=stage_service.screen_json(db.session, stage, _logo_url),
        json_url=url_for(".screen_data", slug=slug, key=key) if key else url_for(".screen_data", slug=slug),
        poll_seconds=POLL_SECONDS,
        client_text=client_text(),
    )
    return _private(make_response(page))


@bp.get("/stage/<slug>/screen.json")
@public
def screen_data(slug: str):
    event = _screen_event_or_404(slug)
    stage = stage_service.load_stage(db.session, event)
    return _json(stage_service.screen_json(db.session, stage, _logo_url))


# Backstage


@bp.get("/stage/<slug>/backstage")
@backstage_roles
def backstage(slug: str):
    event = g.event
    stage = stage_service.load_stage(db.session, event)
    page = render_template(
        "awards/stage_backstage.html",
        event=event,
        data=stage_service.backstage_json(db.session, stage),
        json_url=url_for(".backstage_data", slug=slug),
        poll_seconds=POLL_SECONDS,
        client_text=client_text(),
        is_organizer=current_user.has_event_role(event, [EventRoleName.ORGANIZER]),
    )
    return _private(make_response(page))


@bp.get("/stage/<slug>/backstage.json")
@backstage_roles
def backstage_data(slug: str):
    stage = stage_service.load_stage(db.session, g.event)
    return _json(stage_service.backstage_json(db.session, stage))
