"""Event and agenda rules: slugs, time windows in the event's zone, room conflicts, the agenda grid."""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime

from flask import abort
from flask_babel import gettext as _
from slugify import slugify
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, selectinload

from eventsys.core.i18n import local_time
from eventsys.core.rules import RuleViolation
from eventsys.core.timezones import is_valid_zone, to_local
from eventsys.events.models import (
    AgendaSession,
    Event,
    EventKind,
    EventStatus,
    Organization,
    Room,
    SessionType,
    Speaker,
    Venue,
)
from eventsys.extensions import db


def event_by_slug_or_404(slug: str) -> Event:
    event = db.session.scalar(select(Event).where(Event.slug == slug))
    if event is None:
        abort(404)
    return event


def public_events(session: Session) -> list[Event]:
    """Published events for the home page, programmes with their gatherings."""
    return list(
        session.scalars(
            select(Event)
            .where(Event.status == EventStatus.PUBLISHED, Event.parent_id.is_(None))
            .options(selectinload(Event.gatherings), selectinload(Event.venue))
            .order_by(Event.starts_at.desc())
        )
    )


def organization_choices(session: Session) -> list[tuple[int, str]]:
    return [(o.id, o.name) for o in session.scalars(select(Organization).order_by(Organization.name))]


def venue_choices(session: Session) -> list[tuple[int, str]]:
    return [(v.id, v.name) for v in session.scalars(select(Venue).order_by(Venue.name))]


def programme_choices(session: Session, exclude_id: int | None = None) -> list[tuple[int, str]]:
    query = select(Event).where(Event.kind == EventKind.PROGRAMME).order_by(Event.starts_at.desc())
    return [(e.id, e.name) for e in session.scalars(query) if e.id != exclude_id]


@dataclass
class EventData:
    name: str
    slug: str
    kind: EventKind
    description: str
    starts_at: datetime  # UTC
    ends_at: datetime  # UTC
    timezone: str
    venue_id: int | None = None
    parent_id: int | None = None
    status: EventStatus = EventStatus.DRAFT


def _check_event(session: Session, data: EventData, event: Event | None) -> None:
    if not is_valid_zone(data.timezone):
        raise RuleViolation(_("Unknown time zone. Choose one from the list, e.g. Asia/Jakarta (WIB)."), "timezone")
    if data.ends_at <= data.starts_at:
        raise RuleViolation(_("The end must be after the start."), "ends_at")
    taken = session.scalar(select(Event.id).where(Event.slug == data.slug))
    if taken is not None and (event is None or taken != event.id):
        raise RuleViolation(_("The address “%(slug)s” is already used by another event. Choose another.", slug=data.slug), "slug")
    if data.venue_id is not None and session.get(Venue, data.venue_id) is None:
        raise RuleViolation(_("Choose a venue from the list."), "venue_id")
    if data.parent_id is not None:
        parent = session.get(Event, data.parent_id)
        if parent is None or parent.kind != EventKind.PROGRAMME or (event and parent.id == event.id):
            raise RuleViolation(_("Choose a programme as the parent event."), "parent_id")
        if data.kind == EventKind.PROGRAMME:
            raise RuleViolation(_("A programme cannot be part of another programme."), "parent_id")
    if event is not None:
        if event.kind == EventKind.PROGRAMME and data.kind != EventKind.PROGRAMME and event.gatherings:
            raise RuleViolation(_("This programme has gatherings; it must stay a programme."), "kind")
        outside = [s for s in event.sessions if s.starts_at < data.starts_at or s.ends_at > data.ends_at]
        if outside:
            raise RuleViolation(
                _("%(count)d agenda sessions fall outside these dates; move them first.", count=len(outside)), "starts_at"
            )
        if data.venue_id != event.venue_id:
            in_rooms = [s for s in event.sessions if s.room_id is not None]
            if in_rooms:
                raise RuleViolation(
                    _("%(count)d agenda sessions are in rooms of the current venue; change their rooms first.", count=len(in_rooms)),
                    "venue_id",
                )


SLUG_MAX_LENGTH = 80


def make_slug(name: str) -> str:
    return slugify(name, max_length=SLUG_MAX_LENGTH, word_boundary=True) or "acara"


def _free_slug(session: Session, base: str, event: Event | None) -> str:
    """The slug made from a name, with -2, -3 … when another event already has it."""
    own_id = event.id if event is not None else None
    candidate, number = base, 1
    while True:
        taken = session.scalar(select(Event.id).where(Event.slug == candidate))
        if taken is None or taken == own_id:
            return candidate
        number += 1
        suffix = f"-{number}"
        candidate = base[: SLUG_MAX_LENGTH - len(suffix)].rstrip("-") + suffix


def save_event(session: Session, data: EventData, event: Event | None = None) -> Event:
    """Create or update an event; nothing is stored when a rule is broken.

    A slug typed by the organizer must be free; one made from the name gets a number when it is not.
    """
    if data.slug:
        data.slug = make_slug(data.slug)
    else:
        data.slug = _free_slug(session, make_slug(data.name), event)
    _check_event(session, data, event)
    if event is None:
        event = Event()
        session.add(event)
    for field in ("name", "slug", "kind", "description", "starts_at", "ends_at", "timezone", "venue_id", "parent_id", "status"):
        setattr(event, field, getattr(data, field))
    try:
        # A savepoint: a lost race undoes this event only, not the caller's other work.
        with session.begin_nested():
            session.flush()
    except IntegrityError:
        # Two organizers took the same address at the same moment: the constraint decides.
        raise RuleViolation(
            _("The address “%(slug)s” is already used by another event. Choose another.", slug=data.slug), "slug"
        ) from None
    return event


def rooms_for_event(session: Session, event: Event) -> list[Room]:
    if event.venue_id is None:
        return []
    return list(session.scalars(select(Room).where(Room.venue_id == event.venue_id).order_by(Room.name)))


@dataclass
class SpeakerData:
    name: str
    position: str = ""
    organization: str = ""


@dataclass
class SessionData:
    title: str
    session_type: SessionType
    starts_at: datetime  # UTC
    ends_at: datetime  # UTC
    room_id: int | None = None
    description: str = ""
    speakers: list[SpeakerData] | None = None


def room_conflict(session: Session, room_id: int, starts_at: datetime, ends_at: datetime, exclude_id: int | None) -> AgendaSession | None:
    """A session already in this room that overlaps [starts_at, ends_at); touching ends are fine."""
    query = select(AgendaSession).where(
        AgendaSession.room_id == room_id,
        AgendaSession.starts_at < ends_at,
        AgendaSession.ends_at > starts_at,
    )
    if exclude_id is not None:
        query = query.where(AgendaSession.id != exclude_id)
    return session.scalars(query.order_by(AgendaSession.starts_at)).first()


def save_session(session: Session, event: Event, data: SessionData, agenda_session: AgendaSession | None = None) -> AgendaSession:
    if data.ends_at <= data.starts_at:
        raise RuleViolation(_("The end must be after the start."), "ends_at")
    if data.starts_at < event.starts_at or data.ends_at > event.ends_at:
        raise RuleViolation(_("The session must fall within the event's dates."), "starts_at")
    if data.room_id is not None:
        room = session.get(Room, data.room_id)
        if room is None or room.venue_id != event.venue_id:
            raise RuleViolation(_("Choose a room of the event's venue."), "room_id")
        clash = room_conflict(session, data.room_id, data.starts_at, data.ends_at, agenda_session.id if agenda_session else None)
        if clash is not None:
            raise RuleViolation(
                _(
                    "%(room)s is already taken by “%(title)s” from %(start)s to %(end)s.",
                    room=room.name,
                    title=clash.title,
                    start=local_time(clash.starts_at, event.timezone),
                    end=local_time(clash.ends_at, event.timezone),
                ),
                "room_id",
            )
    if agenda_session is None:
        agenda_session = AgendaSession(event=event)
        session.add(agenda_session)
    agenda_session.title = data.title.strip()
    agenda_session.session_type = data.session_type
    agenda_session.starts_at = data.starts_at
    agenda_session.ends_at = data.ends_at
    agenda_session.room_id = data.room_id
    agenda_session.description = data.description
    if data.speakers is not None:
        agenda_session.speakers = [
            Speaker(name=s.name, position=s.position, organization=s.organization, position_in_list=i)
            for i, s in enumerate(data.speakers)
        ]
    session.flush()
    return agenda_session


def parse_speakers(text: str) -> list[SpeakerData]:
    """One speaker a line: “Name; position; organization” (the last two optional)."""
    speakers = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        parts = [p.strip() for p in line.split(";")]
        if len(parts) > 3 or not parts[0]:
            raise RuleViolation(
                _("Line %(number)d: write “Name; position; organization”, one speaker a line.", number=number), "speakers"
            )
        parts += [""] * (3 - len(parts))
        speakers.append(SpeakerData(name=parts[0][:200], position=parts[1][:200], organization=parts[2][:200]))
    return speakers


def format_speakers(agenda_session: AgendaSession) -> str:
    return "\n".join("; ".join(filter(None, [s.name, s.position, s.organization])) for s in agenda_session.speakers)


@dataclass
class AgendaDay:
    day: date
    rooms: list[str]
    sessions: list[AgendaSession]

    @property
    def slots(self) -> list[list[AgendaSession]]:
        """Sessions that run at the same time, grouped, so parallel rooms show side by side."""
        groups: list[list[AgendaSession]] = []
        group_end = None
        for item in self.sessions:  # sorted by start
            if group_end is None or item.starts_at >= group_end:
                groups.append([item])
                group_end = item.ends_at
            else:
                groups[-1].append(item)
                group_end = max(group_end, item.ends_at)
        return groups


def agenda_by_day(session: Session, event: Event) -> list[AgendaDay]:
    """The agenda grouped by local day (in the event's zone), with the rooms used that day."""
    sessions = session.scalars(
        select(AgendaSession)
        .where(AgendaSession.event_id == event.id)
        .options(selectinload(AgendaSession.speakers), selectinload(AgendaSession.room))
        .order_by(AgendaSession.starts_at, AgendaSession.id)
    ).all()
    days: dict[date, list[AgendaSession]] = defaultdict(list)
    for s in sessions:
        days[to_local(s.starts_at, event.timezone).date()].append(s)
    result = []
    for day, items in sorted(days.items()):
        rooms = sorted({s.room.name for s in items if s.room is not None})
        result.append(AgendaDay(day=day, rooms=rooms, sessions=items))
    return result
