"""Who sees and edits what in an exhibition: the phase it is in, staff and exhibitors, the booths an account may edit.

Every exhibition view asks these functions; none decides visibility on its own.
"""
from __future__ import annotations

import enum
import hashlib
import json
from datetime import datetime

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import Session

from eventsys.accounts.models import EventRole, EventRoleName
from eventsys.core.db import utcnow
from eventsys.core.i18n import local_date, local_time
from eventsys.core.rules import RuleViolation
from eventsys.events.models import Event, EventKind
from eventsys.exhibition.models import Booth, Exhibition, MediaItem, MediaState


class Phase(enum.StrEnum):
    BEFORE = "before"  # only exhibitors and organizers see the hall
    OPEN = "open"  # visitors browse, vote and write in guestbooks
    ARCHIVE = "archive"  # read-only: browsing yes, votes, guestbook and uploads no


def exhibition_for(session: Session, event: Event) -> Exhibition:
    """The event's exhibition settings, created with the defaults the first time they are asked for."""
    exhibition = session.get(Exhibition, event.id)
    if exhibition is None:
        exhibition = Exhibition(event_id=event.id)
        session.add(exhibition)
        session.flush()
    return exhibition


def opening_period(exhibition: Exhibition, event: Event) -> tuple[datetime, datetime]:
    return exhibition.opens_at or event.starts_at, exhibition.closes_at or event.ends_at


def fingerprint(values) -> str:
    """A short hash of the values an edit form shows; no column needed, and it changes whenever they do."""
    text = json.dumps([None if v is None else str(v) for v in values], ensure_ascii=False)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


# Two people editing the same thing: each form carries a fingerprint of what its page showed


class EditConflict(RuleViolation):
    """Someone else saved this after the form was opened; nothing of this save is stored."""


def lock_for_edit(session: Session, row) -> None:
    """Re-read the row under a write lock, so two saves at the same moment take turns (SQLite writes one at a time)."""
    model = type(row)
    session.execute(select(model).where(model.id == row.id).with_for_update().execution_options(populate_existing=True))


def check_version(seen: str | None, stored: str, wanted: str, message: str) -> None:
    """Refuse a save from a page opened before someone else's save; repeating the same save (a double click) passes."""
    if seen and seen != stored and wanted != stored:
        raise EditConflict(message)


def opening_lines(exhibition: Exhibition, event: Event) -> dict:
    """The mail layout's date and time lines for the opening period, in the event's zone and the current language.

    One day: its date and "08:00–17:00 WIB". Several (14 to 28 December): both dates, and the hours
    as the first day's opening and the last day's closing, not as if it were open 08:00–17:00 daily.
    """
    opens, closes = opening_period(exhibition, event)
    zone = event.timezone
    first, last = local_date(opens, zone), local_date(closes, zone)
    if first == last:
        return {"when_date": first, "when_time": f"{local_time(opens, zone, False)}–{local_time(closes, zone)}"}
    return {"when_date": f"{first} – {last}",
            "when_time": _("from %(opens)s on the first day until %(closes)s on the last", opens=local_time(opens, zone),
                           closes=local_time(closes, zone))}


def phase(exhibition: Exhibition, event: Event, now: datetime | None = None) -> Phase:
    now = now or utcnow()
    opens, closes = opening_period(exhibition, event)
    if now < opens:
        return Phase.BEFORE
    if now > closes:
        return Phase.ARCHIVE
    return Phase.OPEN


def is_staff(user, event: Event) -> bool:
    """Organizers of the event and site admins."""
    return bool(getattr(user, "is_authenticated", False)) and user.has_event_role(event, (EventRoleName.ORGANIZER,))


def exhibitor_organization_ids(user, event: Event) -> set[int]:
    """The organizations this account exhibits for at this event (an exhibitor role is bound to one)."""
    if not getattr(user, "is_authenticated", False):
        return set()
    return {
        r.organization_id for r in user.roles
        if r.event_id == event.id and r.role == EventRoleName.EXHIBITOR and r.organization_id is not None
    }


def can_edit_booth(user, booth: Booth) -> bool:
    """Organizers edit every booth; an exhibitor only the booth of its own organization."""
    if is_staff(user, booth.event):
        return True
    return booth.organization_id in exhibitor_organization_ids(user, booth.event)


def booths_of(session: Session, user, event: Event) -> list[Booth]:
    ids = exhibitor_organization_ids(user, event)
    if not ids:
        return []
    return list(session.scalars(select(Booth).where(Booth.event_id == event.id, Booth.organization_id.in_(ids)).order_by(Booth.name)))


def hall_visible_to(user, event: Event, exhibition: Exhibition, now: datetime | None = None) -> bool:
    """Visitors see the hall from opening on (also as an archive); exhibitors and organizers always."""
    if phase(exhibition, event, now) != Phase.BEFORE:
        return True
    return is_staff(user, event) or bool(exhibitor_organization_ids(user, event))


def is_public(item: MediaItem) -> bool:
    """Only approved items are ever shown to visitors."""
    return item.state == MediaState.APPROVED


def exhibitor_roles(session: Session, event: Event, organization_id: int) -> list[EventRole]:
    """The accounts that exhibit for an organization at an event (whom to tell about moderation)."""
    return list(session.scalars(select(EventRole).where(
        EventRole.event_id == event.id, EventRole.role == EventRoleName.EXHIBITOR, EventRole.organization_id == organization_id,
    )))


def has_hall(session: Session, event: Event) -> bool:
    """An exhibition event always has its hall; another event once its organizer set one up beside it.

    Setting up is a deliberate act that stores the Exhibition row: saving its settings or adding a booth.
    Only opening the organizer's tab stores nothing (it shows the defaults).
    """
    return event.kind == EventKind.EXHIBITION or session.get(Exhibition, event.id) is not None


def event_page_links(session: Session, event: Event) -> dict[str, bool]:
    """For the event's public page: link the hall when the event is an exhibition or has one beside it."""
    return {"hall": has_hall(session, event)}
