"""The organizer's agenda screens: sessions with their rooms, times and speakers."""
from flask import Blueprint, abort, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _

from eventsys.accounts.models import EventRoleName
from eventsys.core.access import event_role_required
from eventsys.core.rules import RuleViolation, attach_to_form
from eventsys.core.timezones import local_to_utc, to_local
from eventsys.events import services
from eventsys.events.forms import SessionForm
from eventsys.events.models import EVENT_STATUS_LABELS, SESSION_TYPE_LABELS, AgendaSession, Event, SessionType
from eventsys.extensions import db

bp = Blueprint("agenda", __name__, url_prefix="/manage/<slug>/agenda")


def _session_form(event: Event, agenda_session: AgendaSession | None) -> SessionForm:
    form = SessionForm(obj=agenda_session) if request.method == "GET" and agenda_session else SessionForm()
    form.room_id.choices = [(0, _("— no room —"))] + [
        (r.id, f"{r.name} ({r.capacity})" if r.capacity else r.name) for r in services.rooms_for_event(db.session, event)
    ]
    if request.method == "GET":
        if agenda_session is not None:
            form.starts_at.data = to_local(agenda_session.starts_at, event.timezone).replace(tzinfo=None)
            form.ends_at.data = to_local(agenda_session.ends_at, event.timezone).replace(tzinfo=None)
            form.room_id.data = agenda_session.room_id or 0
            form.speakers.data = services.format_speakers(agenda_session)
        else:
            form.starts_at.data = to_local(event.starts_at, event.timezone).replace(tzinfo=None)
            form.ends_at.data = form.starts_at.data
    return form


def _save(form: SessionForm, event: Event, agenda_session: AgendaSession | None) -> bool:
    try:
        data = services.SessionData(
            title=form.title.data,
            session_type=SessionType(form.session_type.data),
            starts_at=local_to_utc(form.starts_at.data, event.timezone),
            ends_at=local_to_utc(form.ends_at.data, event.timezone),
            room_id=form.room_id.data or None,
            description=form.description.data or "",
            speakers=services.parse_speakers(form.speakers.data or ""),
        )
        services.save_session(db.session, event, data, agenda_session)
    except RuleViolation as violation:
        db.session.rollback()
        attach_to_form(form, violation)
        return False
    db.session.commit()
    return True


@bp.route("/", methods=["GET", "POST"])
@event_role_required(EventRoleName.ORGANIZER)
def manage(slug: str):
    event = g.event
    form = _session_form(event, None)
    if form.validate_on_submit() and _save(form, event, None):
        flash(_("Session “%(title)s” added.", title=form.title.data), "success")
        return redirect(url_for("agenda.manage", slug=slug))
    return render_template(
        "events/agenda_manage.html",
        event=event,
        form=form,
        days=services.agenda_by_day(db.session, event),
        type_labels=SESSION_TYPE_LABELS,
        status_labels=EVENT_STATUS_LABELS,
    )


def _session_of(event: Event, session_id: int) -> AgendaSession:
    agenda_session = db.get_or_404(AgendaSession, session_id)
    if agenda_session.event_id != event.id:
        # An id from another event in this event's URL: the same answer as a missing one.
        abort(404)
    return agenda_session


@bp.route("/<int:session_id>", methods=["GET", "POST"])
@event_role_required(EventRoleName.ORGANIZER)
def edit(slug: str, session_id: int):
    event = g.event
    agenda_session = _session_of(event, session_id)
    form = _session_form(event, agenda_session)
    if form.validate_on_submit() and _save(form, event, agenda_session):
        flash(_("Changes saved."), "success")
        return redirect(url_for("agenda.manage", slug=slug))
    return render_template("events/session_form.html", event=event, form=form, agenda_session=agenda_session)


@bp.post("/<int:session_id>/delete")
@event_role_required(EventRoleName.ORGANIZER)
def delete(slug: str, session_id: int):
    agenda_session = _session_of(g.event, session_id)
    db.session.delete(agenda_session)
    db.session.commit()
    flash(_("Session “%(title)s” deleted.", title=agenda_session.title), "info")
    return redirect(url_for("agenda.manage", slug=slug))
