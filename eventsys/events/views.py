"""Event pages: the public home and event page, the organizer's dashboard, event and venue editing."""
from flask import Blueprint, Response, abort, current_app, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from eventsys.accounts.models import EventRole, EventRoleName
from eventsys.accounts.services import can_create_events, grant_role
from eventsys.core.access import event_role_required, login_required, permission_required, public
from eventsys.core.rules import RuleViolation, attach_to_form
from eventsys.core.timezones import local_to_utc, to_local, zone_choices
from eventsys.events import services
from eventsys.events.calendar import agenda_ics
from eventsys.events.forms import EventForm, RoomForm, VenueForm
from eventsys.events.models import EVENT_KIND_LABELS, EVENT_STATUS_LABELS, Event, EventKind, EventStatus, Room, Venue
from eventsys.extensions import db

bp = Blueprint("events", __name__)


@bp.get("/")
@public
def home():
    return render_template("events/home.html", events=services.public_events(db.session), kind_labels=EVENT_KIND_LABELS)


@bp.get("/dashboard")
@login_required
def dashboard():
    if current_user.is_admin:
        events = db.session.scalars(select(Event).order_by(Event.starts_at.desc())).all()
        roles = {}
    else:
        held = db.session.scalars(
            select(EventRole).where(EventRole.user_id == current_user.id).options(selectinload(EventRole.event))
        ).all()
        roles = {}
        for r in held:
            roles.setdefault(r.event_id, []).append(r.role)
        events = sorted({r.event for r in held}, key=lambda e: e.starts_at, reverse=True)
    return render_template(
        "events/dashboard.html",
        events=events,
        roles=roles,
        can_create=can_create_events(current_user),
        kind_labels=EVENT_KIND_LABELS,
        status_labels=EVENT_STATUS_LABELS,
    )


def _visible_or_404(slug: str) -> Event:
    """Drafts are seen only by the event's team."""
    event = services.event_by_slug_or_404(slug)
    if not event.is_public and not (current_user.is_authenticated and current_user.has_event_role(event, list(EventRoleName))):
        abort(404)
    return event


@bp.get("/e/<slug>")
@public
def event_page(slug: str):
    event = _visible_or_404(slug)
    gatherings = [e for e in event.gatherings if e.is_public]
    return render_template(
        "events/event_page.html",
        event=event,
        days=services.agenda_by_day(db.session, event),
        gatherings=gatherings,
        kind_labels=EVENT_KIND_LABELS,
        features=_feature_links(event),
    )


def _feature_links(event: Event) -> dict[str, bool]:
    """Which pages of the features beside this event to link (exhibition hall, award results, poll).

    The events package imports no feature: each feature registers a function in
    app.extensions["eventsys"]["event_page_links"] (see eventsys/__init__.py) that answers for its own pages.
    """
    links = {"hall": False, "results": False, "poll": False}
    for provider in current_app.extensions["eventsys"].get("event_page_links", ()):
        links.update(provider(db.session, event))
    return links


@bp.get("/e/<slug>/agenda.ics")
@public
def event_ics(slug: str):
    event = _visible_or_404(slug)
    sessions = [s for day in services.agenda_by_day(db.session, event) for s in day.sessions]
    body = agenda_ics(event, sessions, request.host.split(":")[0])
    return Response(
        body,
        mimetype="text/calendar",
        headers={"Content-Disposition": f'attachment; filename="{event.slug}.ics"'},
    )


def _event_form(event: Event | None) -> EventForm:
    form = EventForm(obj=event) if request.method == "GET" and event else EventForm()
    form.timezone.choices = zone_choices()
    form.venue_id.choices = [(0, _("— no venue yet —"))] + services.venue_choices(db.session)
    form.parent_id.choices = [(0, _("— none —"))] + services.programme_choices(db.session, event.id if event else None)
    if request.method == "GET":
        if event is not None:
            form.starts_at.data = to_local(event.starts_at, event.timezone).replace(tzinfo=None)
            form.ends_at.data = to_local(event.ends_at, event.timezone).replace(tzinfo=None)
            form.venue_id.data = event.venue_id or 0
            form.parent_id.data = event.parent_id or 0
        else:
            form.timezone.data = "Asia/Jakarta"
    return form


def _save_event_from(form: EventForm, event: Event | None) -> Event | None:
    zone = form.timezone.data
    data = services.EventData(
        name=form.name.data.strip(),
        slug=form.slug.data or "",
        kind=EventKind(form.kind.data),
        description=form.description.data or "",
        starts_at=local_to_utc(form.starts_at.data, zone),
        ends_at=local_to_utc(form.ends_at.data, zone),
        timezone=zone,
        venue_id=form.venue_id.data or None,
        parent_id=form.parent_id.data or None,
        status=EventStatus(form.status.data),
    )
    try:
        return services.save_event(db.session, data, event)
    except RuleViolation as violation:
        db.session.rollback()
        attach_to_form(form, violation)
        return None


@bp.route("/manage/events/new", methods=["GET", "POST"])
@permission_required(can_create_events, "create_events")
def new_event():
    form = _event_form(None)
    if form.validate_on_submit():
        event = _save_event_from(form, None)
        if event is not None:
            grant_role(db.session, current_user, event, EventRoleName.ORGANIZER)
            db.session.commit()
            flash(_("Event “%(name)s” created.", name=event.name), "success")
            return redirect(url_for("agenda.manage", slug=event.slug))
    return render_template("events/event_form.html", form=form, event=None)


@bp.route("/manage/<slug>/edit", methods=["GET", "POST"])
@event_role_required(EventRoleName.ORGANIZER)
def edit_event(slug: str):
    event = g.event
    form = _event_form(event)
    if form.validate_on_submit():
        if _save_event_from(form, event) is not None:
            db.session.commit()
            flash(_("Changes saved."), "success")
            return redirect(url_for("agenda.manage", slug=event.slug))
    return render_template("events/event_form.html", form=form, event=event)


@bp.route("/manage/venues", methods=["GET", "POST"])
@permission_required(can_create_events, "create_events")
def venues():
    form = VenueForm()
    if form.validate_on_submit():
        venue = Venue(name=form.name.data.strip(), address=form.address.data.strip() or None, city=form.city.data.strip() or None)
        db.session.add(venue)
        db.session.commit()
        flash(_("Venue “%(name)s” added. Now add its rooms.", name=venue.name), "success")
        return redirect(url_for("events.venue", venue_id=venue.id))
    all_venues = db.session.scalars(select(Venue).options(selectinload(Venue.rooms)).order_by(Venue.name)).all()
    return render_template("events/venues.html", form=form, venues=all_venues)


@bp.route("/manage/venues/<int:venue_id>", methods=["GET", "POST"])
@permission_required(can_create_events, "create_events")
def venue(venue_id: int):
    venue = db.get_or_404(Venue, venue_id)
    form = RoomForm()
    if form.validate_on_submit():
        name = form.name.data.strip()
        if any(r.name.casefold() == name.casefold() for r in venue.rooms):
            form.name.errors.append(_("This venue already has a room with that name."))
        else:
            db.session.add(Room(venue=venue, name=name, capacity=form.capacity.data))
            db.session.commit()
            flash(_("Room “%(name)s” added.", name=name), "success")
            return redirect(url_for("events.venue", venue_id=venue.id))
    return render_template("events/venue.html", venue=venue, form=form)


@bp.app_template_global()
def session_type_label(value) -> str:
    from eventsys.events.models import SESSION_TYPE_LABELS, SessionType

    return str(SESSION_TYPE_LABELS[SessionType(value)])
