"""The agenda as an iCalendar file, so delegates can put it in their phone's calendar."""
from icalendar import Calendar
from icalendar import Event as CalendarEvent

from eventsys.events.models import AgendaSession, Event


def _location(event: Event, agenda_session: AgendaSession | None) -> str:
    parts = []
    if agenda_session is not None and agenda_session.room is not None:
        parts.append(agenda_session.room.name)
    if event.venue is not None:
        parts += [p for p in (event.venue.name, event.venue.address, event.venue.city) if p]
    return ", ".join(parts)


def agenda_ics(event: Event, sessions: list[AgendaSession], host: str) -> bytes:
    cal = Calendar()
    cal.add("prodid", "-//eventsys//agenda//ID")
    cal.add("version", "2.0")
    cal.add("x-wr-calname", event.name)
    cal.add("x-wr-timezone", event.timezone)
    items = sessions or [None]
    for agenda_session in items:
        entry = CalendarEvent()
        if agenda_session is None:  # an event without an agenda yet is still one calendar entry
            entry.add("uid", f"event-{event.id}@{host}")
            entry.add("summary", event.name)
            entry.add("dtstart", event.starts_at)
            entry.add("dtend", event.ends_at)
            entry.add("description", event.description)
        else:
            entry.add("uid", f"session-{agenda_session.id}@{host}")
            entry.add("summary", f"{agenda_session.title} — {event.name}")
            entry.add("dtstart", agenda_session.starts_at)
            entry.add("dtend", agenda_session.ends_at)
            speakers = "\n".join(
                ", ".join(p for p in (s.name, s.position, s.organization) if p) for s in agenda_session.speakers
            )
            entry.add("description", "\n\n".join(p for p in (agenda_session.description, speakers) if p))
            entry.add("last-modified", agenda_session.updated_at)
        entry.add("dtstamp", event.created_at)
        location = _location(event, agenda_session)
        if location:
            entry.add("location", location)
        cal.add_component(entry)
    return cal.to_ical()
