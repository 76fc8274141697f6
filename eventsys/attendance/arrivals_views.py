"""Live arrivals for organizers and check-in staff: the page and the JSON it polls every few seconds."""
from __future__ import annotations

from datetime import date

from flask import Blueprint, g, jsonify, make_response, render_template, request, url_for
from flask_babel import format_date, get_locale
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from eventsys.accounts.models import EventRoleName
from eventsys.attendance import arrivals
from eventsys.core.access import event_role_required
from eventsys.core.db import utcnow
from eventsys.core.timezones import to_local
from eventsys.events.models import EVENT_STATUS_LABELS
from eventsys.extensions import db
from eventsys.registration.models import DelegateCategory

bp = Blueprint("attendance_arrivals_views", __name__, url_prefix="/manage/<slug>/checkin")
staff_or_organizer = event_role_required(EventRoleName.ORGANIZER, EventRoleName.CHECKIN)

POLL_SECONDS = 5
UPDATED_HEADER = "X-Arrivals-Updated"


def _categories() -> list[DelegateCategory]:
    return list(
        db.session.scalars(
            select(DelegateCategory).where(DelegateCategory.event_id == g.event.id).order_by(DelegateCategory.position, DelegateCategory.name)
        )
    )


def _category_id(categories: list[DelegateCategory]) -> int | None:
    """The not-arrived list's filter; anything that is not one of the event's categories means all."""
    wanted = request.args.get("category", type=int)
    return wanted if wanted in {c.id for c in categories} else None


ALL_DAYS = "all"


def _day(event, now) -> date | None:
    """The day the figures count (None: every day). Unasked, today if the event runs today; "all", a
    day outside the event or anything that is not a date means every day, as an unknown category does."""
    days = arrivals.event_days(event)
    if len(days) < 2:  # a one-day event has no selector
        return None
    wanted = request.args.get("day")
    if wanted is None:
        today = to_local(now, event.timezone).date()
        return today if today in days else None
    try:
        chosen = date.fromisoformat(wanted)
    except ValueError:
        return None
    return chosen if chosen in days else None


def _day_choices(event) -> list[tuple[str, str]]:
    """The selector's options: every day, then each day of the event ("Rabu, 15 Nov 2017")."""
    return [(ALL_DAYS, _("All days"))] + [(d.isoformat(), format_date(d, "EEEE, d MMM y")) for d in arrivals.event_days(event)]


def _client_text() -> dict:
    """Words the script shows, in the page's language ("{time}" is filled in by the script)."""
    return {
        "updated": _("Updated %(time)s", time="{time}"),
        "offline": _("No connection: showing the figures of %(time)s. Retrying…", time="{time}"),
        "nobody": _("Nobody."),
        "proposed": _("Not in the list (proposed)"),
        "chart_empty": _("No arrivals yet."),
        "chart_label": _("Arrivals per %(minutes)d minutes", minutes=arrivals.BUCKET_MINUTES),
        "more": _("… and %(num)s more.", num="{num}"),
        "all_arrived": _("Everyone in this selection has arrived."),
        "show_names": _("Show names"),
    }


@bp.get("/arrivals")
@staff_or_organizer
def page(slug: str):
    event = g.event
    categories = _categories()
    category_id = _category_id(categories)
    now = utcnow()
    day = _day(event, now)
    data = arrivals.snapshot(db.session, event, category_id=category_id, day=day, now=now)
    response = make_response(
        render_template(
            "attendance/arrivals.html",
            event=event,
            data=data,
            categories=categories,
            category_id=category_id,
            day_choices=_day_choices(event),
            day=day.isoformat() if day else ALL_DAYS,
            status_labels=EVENT_STATUS_LABELS,
            is_organizer=current_user.has_event_role(event, [EventRoleName.ORGANIZER]),
            json_url=url_for(".data", slug=slug),
            poll_seconds=POLL_SECONDS,
            client_text=_client_text(),
        )
    )
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/arrivals.json")
@staff_or_organizer
def data(slug: str):
    """The page's figures; 304 when nothing changed since the ETag the script sent."""
    event = g.event
    category_id = _category_id(_categories())
    now = utcnow()
    day = _day(event, now)
    # The minute is part of the tag so that renamed checkpoints or categories show within a minute.
    etag = arrivals.fingerprint(db.session, event, category_id, day, str(get_locale()), now.strftime("%Y-%m-%d %H:%M"))
    if request.if_none_match.contains(etag):
        response = make_response("", 304)
    else:
        response = jsonify(arrivals.snapshot(db.session, event, category_id=category_id, day=day, now=now))
    response.set_etag(etag)
    response.headers[UPDATED_HEADER] = to_local(now, event.timezone).strftime("%H:%M:%S")
    response.headers["Cache-Control"] = "no-store"  # names of people: not kept by browsers or proxies
    return response
