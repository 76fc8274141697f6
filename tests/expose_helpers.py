"""Builders shared by the exposé tests: blocks in the agenda, presenting organizations, placed slots.

Times are written as the organizer types them, in the event's zone (WIB for the default event).
"""
from datetime import datetime, timedelta

from sqlalchemy import select

from eventsys.core.timezones import local_to_utc
from eventsys.events.models import AgendaSession, Organization, OrganizationKind, SessionType
from eventsys.exposes import ordering, presenters, services
from eventsys.exposes.models import Presenter, Slot
from eventsys.extensions import db


def wib(hhmm: str, day: int = 15) -> datetime:
    hours, minutes = map(int, hhmm.split(":"))
    return local_to_utc(datetime(2017, 11, day, hours, minutes), "Asia/Jakarta")


def room(event, name: str):
    return next(r for r in event.venue.rooms if r.name == name)


def block(event, title="Ekspos Masterplan Sesi 1", room_name="Ballroom", start="10:00", end="12:00", day=15) -> AgendaSession:
    item = AgendaSession(
        event_id=event.id, title=title, session_type=SessionType.EXPOSE_BLOCK, room=room(event, room_name) if room_name else None,
        starts_at=wib(start, day), ends_at=wib(end, day), description="",
    )
    db.session.add(item)
    db.session.commit()
    return item


def organization(name: str, province: str = "Jawa Barat", kind=OrganizationKind.KOTA) -> Organization:
    found = db.session.scalar(select(Organization).where(Organization.name_key == Organization.key_for(name)))
    if found is not None:
        return found
    org = Organization(name=name, name_key=Organization.key_for(name), kind=kind, province=province, timezone="Asia/Jakarta")
    db.session.add(org)
    db.session.commit()
    return org


def presenter(event, name="Kota Cirebon", province="Jawa Barat", *, email=None, locale="id", person="", title="", **fields) -> Presenter:
    org = organization(name, province)
    data = presenters.PresenterData(
        organization_id=org.id, person_name=person, person_title=title, locale=locale,
        email=email if email is not None else f"{ordering.sort_name(name).replace(' ', '')}@daerah.go.id", **fields,
    )
    made = presenters.save_presenter(db.session, event, data)
    db.session.commit()
    return made


def place(event, who: Presenter, where: AgendaSession, start: str, day: int = 15) -> Slot:
    slot = services.move_slot(db.session, event, who, where.id, wib(start, day))
    db.session.commit()
    return slot


def minutes(n: int) -> timedelta:
    return timedelta(minutes=n)
