"""Live timekeeping pages: the timekeeper's view per room (organizers and check-in staff) and the hall display.

The hall display is public for a published event, as the exposé schedule is: it runs on a screen in
the venue, usually a PC nobody signs in to, and shows only what the published schedule already says
(who presents now and next). Whether a delegation has checked in is attendance data and stays on the
timekeeper's side. Both pages poll a JSON endpoint every few seconds (static/js/expose_live.js).
"""
from __future__ import annotations

from flask import Blueprint, abort, flash, g, jsonify, make_response, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy.exc import IntegrityError
from wtforms import HiddenField

from eventsys.accounts.models import EventRoleName
from eventsys.core.access import event_role_required, public
from eventsys.core.db import utcnow
from eventsys.core.form_base import BaseForm
from eventsys.core.rules import RuleViolation
from eventsys.core.timezones import zone_abbreviation
from eventsys.events.models import EVENT_STATUS_LABELS, Event, Organization
from eventsys.events.services import event_by_slug_or_404
from eventsys.exposes import live, live_json
from eventsys.exposes.models import PerformanceState, Presenter
from eventsys.extensions import db

bp = Blueprint("exposes_live_views", __name__)
timekeepers = event_role_required(EventRoleName.ORGANIZER, EventRoleName.CHECKIN)
organizer_only = event_role_required(EventRoleName.ORGANIZER)

POLL_SECONDS = 5
ACTIONS = {
    "start": live.start,
    "stop": live.stop,
    "no-show": live.mark_no_show,
    "reset": live.reset,
}


STATE_LABELS = {
    PerformanceState.WAITING: _l("waiting"),
    PerformanceState.PRESENTING: _l("presenting"),
    PerformanceState.DONE: _l("done"),
    PerformanceState.NO_SHOW: _l("no-show"),
}


class ActionForm(BaseForm):
    presenter_id = HiddenField()


def _logo_url(organization: Organization) -> str | None:
    if organization.logo_key and organization.logo_content_type:
        return url_for("organizations.logo", key=organization.logo_key)
    return None


def _no_store(response):
    response.headers["Cache-Control"] = "no-store"
    return response


def _room_or_404(event: Event, room_id: int, *, with_arrivals: bool) -> live.RoomLive:
    room = live.room_live(db.session, event, room_id, with_arrivals=with_arrivals)
    if room is None:
        abort(404)
    return room


def _client_text() -> dict:
    """Words the script shows, in the page's language ("{time}" is filled in by the script)."""
    return {
        "talk": _("Talk"),
        "qa": _("Q&A"),
        "overrun": _("Over time"),
        "nobody": _("Nobody is presenting right now."),
        "no_next": _("Nobody else is waiting in this room."),
        "late": _("Running %(time)s behind the plan", time="{time}"),
        "ahead": _("%(time)s ahead of the plan", time="{time}"),
        "on_time": _("On schedule"),
        "checked_in": _("Delegation checked in at %(time)s", time="{time}"),
        "not_checked_in": _("Delegation not checked in yet"),
        "since": _("since %(time)s", time="{time}"),
        "updated": _("Updated %(time)s", time="{time}"),
        "offline": _("No connection: showing the state of %(time)s. Retrying…", time="{time}"),
        "finished": _("The exposé session in this room has ended."),
    }


# The timekeeper


@bp.get("/manage/<slug>/expose/live/")
@timekeepers
def rooms(slug: str):
    event = g.event
    return render_template(
        "exposes/live_rooms.html", event=event, rooms=live.live_rooms(db.session, event), status_labels=EVENT_STATUS_LABELS,
        is_organizer=current_user.has_event_role(event, [EventRoleName.ORGANIZER]),
    )


@bp.get("/manage/<slug>/expose/live/<int:room_id>")
@timekeepers
def timekeeper(slug: str, room_id: int):
    event = g.event
    room = _room_or_404(event, room_id, with_arrivals=True)
    now = utcnow()
    page = render_template(
        "exposes/live_timekeeper.html",
        event=event,
        room=room,
        data=live_json.timekeeper_json(room, event, now),
        report=live_json.report(room),
        other_rooms=live.live_rooms(db.session, event),
        form=ActionForm(formdata=None),
        is_organizer=current_user.has_event_role(event, [EventRoleName.ORGANIZER]),
        status_labels=EVENT_STATUS_LABELS,
        json_url=url_for(".timekeeper_data", slug=slug, room_id=room_id),
        poll_seconds=POLL_SECONDS,
        client_text=_client_text(),
        format_seconds=live.format_seconds,
        state_labels=STATE_LABELS,
        zone=zone_abbreviation(event.timezone, event.starts_at),
    )
    return _no_store(make_response(page))


@bp.get("/manage/<slug>/expose/live/<int:room_id>.json")
@timekeepers
def timekeeper_data(slug: str, room_id: int):
    event = g.event
    room = _room_or_404(event, room_id, with_arrivals=True)
    return _no_store(jsonify(live_json.timekeeper_json(room, event, utcnow())))


def _presenter_from_form(form: ActionForm) -> Presenter:
    try:
        presenter = db.session.get(Presenter, int(form.presenter_id.data))
    except (TypeError, ValueError):
        presenter = None
    if presenter is None or presenter.event_id != g.event.id:
        raise RuleViolation(_("That presenter is not part of this event."))
    return presenter


def _done_message(action: str, presenter: Presenter, result) -> str:
    name = presenter.organization.name
    if action == "start":
        message = _("%(name)s started.", name=name)
        if result:
            message += " " + _("Stopped: %(names)s.", names=", ".join(result))
        return message
    return {
        "stop": lambda: _("%(name)s stopped.", name=name),
        "no-show": lambda: _("%(name)s marked as a no-show.", name=name),
        "reset": lambda: _("%(name)s is waiting again; its times were cleared.", name=name),
        "release": lambda: _("%(name)s is out of the draft. Place it in the schedule and publish a new version.", name=name),
    }[action]()


def _act(slug: str, room_id: int, action: str, call):
    form = ActionForm()
    back = redirect(url_for(".timekeeper", slug=slug, room_id=room_id))
    if not form.validate_on_submit():
        flash(_("Your form has expired or did not come from this site. Reload the page and send it again."), "error")
        return back
    try:
        presenter = _presenter_from_form(form)
        result = call(db.session, g.event, presenter)
        db.session.commit()
    except RuleViolation as violation:
        db.session.rollback()
        flash(violation.message, "error")
        return back
    except IntegrityError:  # two timekeepers pressed at the same moment
        db.session.rollback()
        flash(_("Someone else recorded this a moment ago. Check the page and try again."), "error")
        return back
    flash(_done_message(action, presenter, result), "success")
    return back


@bp.post("/manage/<slug>/expose/live/<int:room_id>/<any('start', 'stop', 'no-show', 'reset'):action>")
@timekeepers
def record(slug: str, room_id: int, action: str):
    return _act(slug, room_id, action, ACTIONS[action])


@bp.post("/manage/<slug>/expose/live/<int:room_id>/release")
@organizer_only
def release(slug: str, room_id: int):
    """Free a no-show for a new slot: unpinned, out of the draft; the organizer places them and publishes."""
    return _act(slug, room_id, "release", live.release_for_reslot)


# The hall display


def _visible_or_404(slug: str) -> Event:
    """A published event's hall display is public; a draft's only for its team."""
    event = event_by_slug_or_404(slug)
    if not event.is_public and not (current_user.is_authenticated and current_user.has_event_role(event, list(EventRoleName))):
        abort(404)
    return event


@bp.get("/e/<slug>/expose/hall/")
@public
def hall_rooms(slug: str):
    event = _visible_or_404(slug)
    return render_template("exposes/live_hall_rooms.html", event=event, rooms=live.live_rooms(db.session, event))


@bp.get("/e/<slug>/expose/hall/<int:room_id>")
@public
def hall(slug: str, room_id: int):
    event = _visible_or_404(slug)
    room = _room_or_404(event, room_id, with_arrivals=False)
    page = render_template(
        "exposes/live_hall.html",
        event=event,
        room=room,
        data=live_json.hall_json(room, event, utcnow(), _logo_url),
        json_url=url_for(".hall_data", slug=slug, room_id=room_id),
        poll_seconds=POLL_SECONDS,
        client_text=_client_text(),
    )
    return _no_store(make_response(page))


@bp.get("/e/<slug>/expose/hall/<int:room_id>.json")
@public
def hall_data(slug: str, room_id: int):
    event = _visible_or_404(slug)
    room = _room_or_404(event, room_id, with_arrivals=False)
    return _no_store(jsonify(live_json.hall_json(room, event, utcnow(), _logo_url)))
