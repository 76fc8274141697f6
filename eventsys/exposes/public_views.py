"""The published exposé schedule for delegates: the page, its versions, .ics feeds and the printable rundown."""
from __future__ import annotations

from urllib.parse import urlparse

from flask import Blueprint, Response, abort, render_template
from flask_babel import gettext as _
from flask_login import current_user
from icalendar import Calendar
from icalendar import Event as CalendarEvent

from eventsys.accounts.models import EventRoleName
from eventsys.core.access import public
from eventsys.core.mail import setting
from eventsys.core.pdf import render_pdf
from eventsys.events.models import Event
from eventsys.events.services import event_by_slug_or_404
from eventsys.exposes import grid, publishing
from eventsys.exposes.models import Presenter, ScheduleVersion, VersionSlot
from eventsys.extensions import db

bp = Blueprint("exposes_public_views", __name__, url_prefix="/e/<slug>/expose")


def _visible_or_404(slug: str) -> Event:
    """The schedule of a published event; drafts only for the event's team."""
    event = event_by_slug_or_404(slug)
    if not event.is_public and not (current_user.is_authenticated and current_user.has_event_role(event, list(EventRoleName))):
        abort(404)
    return event


def _schedule_page(event: Event, version: ScheduleVersion | None, latest: ScheduleVersion | None, current: bool):
    """`current`: the page of the latest schedule (with feed links); a numbered version's page shows its snapshot only."""
    return render_template(
        "exposes/public_schedule.html",
        event=event,
        current=current,
        version=version,
        latest=latest,
        days=grid.version_days(version, event.timezone),
        versions=publishing.versions_of(db.session, event),
    )


@bp.get("/")
@public
def schedule(slug: str):
    event = _visible_or_404(slug)
    latest = publishing.latest_version(db.session, event)
    return _schedule_page(event, latest, latest, True)


@bp.get("/v/<int:number>")
@public
def version(slug: str, number: int):
    event = _visible_or_404(slug)
    shown = publishing.version_by_number(db.session, event, number)
    if shown is None:
        abort(404)
    return _schedule_page(event, shown, publishing.latest_version(db.session, event), False)


# Calendar feeds: one entry per presenter, its UID stable across versions and SEQUENCE the version
# number, so a subscribed calendar moves the entry instead of adding another.


def _host() -> str:
    return urlparse(str(setting("PUBLIC_BASE_URL"))).hostname or "eventsys"


def _entry(event: Event, slot: VersionSlot, version: ScheduleVersion, cancelled: bool = False) -> CalendarEvent:
    entry = CalendarEvent()
    entry.add("uid", f"expose-{event.id}-presenter-{slot.presenter_id}@{_host()}")
    entry.add("sequence", version.number)
    entry.add("dtstamp", version.published_at)
    entry.add("last-modified", version.published_at)
    entry.add("dtstart", slot.starts_at)
    entry.add("dtend", slot.ends_at)
    entry.add("summary", _("Exposé: %(name)s", name=slot.organization_name))
    person = ", ".join(p for p in (slot.person_name, slot.person_title) if p)
    entry.add("description", "\n".join(p for p in (person, slot.block_title, event.name) if p))
    venue = event.venue
    entry.add("location", ", ".join(p for p in (slot.room_name, venue.name if venue else "", venue.city if venue else "") if p))
    entry.add("status", "CANCELLED" if cancelled else "CONFIRMED")
    return entry


def _calendar(event: Event, name: str, presenter_id: int | None = None) -> Response:
    cal = Calendar()
    cal.add("prodid", "-//eventsys//expose//ID")
    cal.add("version", "2.0")
    cal.add("x-wr-calname", name)
    cal.add("x-wr-timezone", event.timezone)
    versions = publishing.versions_of(db.session, event)  # newest first
    if versions:
        latest = versions[0]
        current = {s.presenter_id for s in latest.slots}
        for slot in latest.slots:
            if presenter_id is None or slot.presenter_id == presenter_id:
                cal.add_component(_entry(event, slot, latest))
        # Presenters dropped since an earlier version: their entry is cancelled, not left behind.
        dropped = {}
        for older in versions[1:]:
            for slot in older.slots:
                if slot.presenter_id is not None and slot.presenter_id not in current:
                    dropped.setdefault(slot.presenter_id, slot)
        for pid, slot in sorted(dropped.items()):
            if presenter_id is None or pid == presenter_id:
                cal.add_component(_entry(event, slot, latest, cancelled=True))
    filename = f"{event.slug}-expose{'-' + str(presenter_id) if presenter_id else ''}.ics"
    return Response(cal.to_ical(), mimetype="text/calendar", headers={"Content-Disposition": f'attachment; filename="{filename}"'})


@bp.get("/schedule.ics")
@public
def event_ics(slug: str):
    event = _visible_or_404(slug)
    return _calendar(event, _("Exposé schedule — %(event)s", event=event.name))


@bp.get("/presenters/<int:presenter_id>.ics")
@public
def presenter_ics(slug: str, presenter_id: int):
    event = _visible_or_404(slug)
    presenter = db.session.get(Presenter, presenter_id)
    if presenter is None or presenter.event_id != event.id:
        abort(404)
    return _calendar(event, f"{presenter.organization.name} — {event.name}", presenter_id)


@bp.get("/rundown.pdf")
@public
def rundown_pdf(slug: str):
    event = _visible_or_404(slug)
    latest = publishing.latest_version(db.session, event)
    html = render_template(
        "exposes/rundown_pdf.html", event=event, version=latest, days=grid.rundown(db.session, event, latest)
    )
    pdf = render_pdf(html)
    return Response(pdf, mimetype="application/pdf", headers={"Content-Disposition": f'inline; filename="rundown-{event.slug}.pdf"'})
