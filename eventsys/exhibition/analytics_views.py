"""Exhibition analytics pages and CSV: organizers see every booth, an exhibitor only its own booth."""
from __future__ import annotations

from flask import Blueprint, Response, abort, g, render_template
from flask_login import current_user

from eventsys.accounts.models import EventRoleName
from eventsys.core.access import event_role_required
from eventsys.events.models import EVENT_STATUS_LABELS
from eventsys.exhibition import analytics, moderation, services, setup
from eventsys.extensions import db

bp = Blueprint("exhibition_analytics_views", __name__)
organizer_only = event_role_required(EventRoleName.ORGANIZER)
exhibitor_or_organizer = event_role_required(EventRoleName.ORGANIZER, EventRoleName.EXHIBITOR)


def _download(data: bytes, filename: str) -> Response:
    response = Response(data, mimetype="text/csv", headers={"Content-Disposition": f'attachment; filename="{filename}"'})
    response.headers["Cache-Control"] = "no-store"
    return response


def _render(template: str, **context):
    return render_template(f"exhibition/{template}", event=g.event, status_labels=EVENT_STATUS_LABELS,
                           kind_label=moderation.kind_label, **context)


@bp.get("/manage/<slug>/exhibition/analytics")
@organizer_only
def overview(slug: str):
    return _render("analytics_overview.html", report=analytics.report(db.session, g.event))


@bp.get("/manage/<slug>/exhibition/analytics/<any(booths, items):kind>.csv")
@organizer_only
def overview_csv(slug: str, kind: str):
    data = analytics.report(db.session, g.event)
    body = analytics.booths_csv(data, g.event) if kind == "booths" else analytics.items_csv(data, g.event)
    return _download(body, f"exhibition-{kind}-{g.event.slug}.csv")


def _own_booth_or_refuse(booth_id: int):
    """404 for a booth of another event; 403 for a booth of another organization."""
    booth = setup.booth_of(db.session, g.event, booth_id)
    if booth is None:
        abort(404)
    if not services.can_edit_booth(current_user, booth):
        abort(403)
    return booth


@bp.get("/exhibit/<slug>/booth/<int:booth_id>/analytics")
@exhibitor_or_organizer
def booth(slug: str, booth_id: int):
    booth = _own_booth_or_refuse(booth_id)
    return _render("analytics_booth.html", booth=booth, report=analytics.report(db.session, g.event, booth_id=booth.id))


@bp.get("/exhibit/<slug>/booth/<int:booth_id>/analytics/<any(booths, items):kind>.csv")
@exhibitor_or_organizer
def booth_csv(slug: str, booth_id: int, kind: str):
    booth = _own_booth_or_refuse(booth_id)
    data = analytics.report(db.session, g.event, booth_id=booth.id)
    body = analytics.booths_csv(data, g.event) if kind == "booths" else analytics.items_csv(data, g.event)
    return _download(body, f"exhibition-booth-{booth.id}-{kind}-{g.event.slug}.csv")
