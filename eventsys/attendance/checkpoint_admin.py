"""The organizer's checkpoints: create, change and delete them, with the rules that keep them sensible.

A checkpoint given an agenda session with both times empty takes the session's window (half an hour
before it starts until it ends) once, when the session is chosen; times cleared later mean no
limit. A checkpoint with check-ins is never deleted (its
check-ins are the attendance record); closing its window stops it instead.

Nor does its entry policy change: which entries a person has used is kept per policy (once, that
day's, in or out), so a changed policy would not see the entries made under the old one and would
let the same person in again. A new checkpoint with the other policy is the way.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from eventsys.attendance.arrivals import checked_in_counts
from eventsys.attendance.models import CheckIn, Checkpoint, EntryPolicy
from eventsys.core.rules import RuleViolation
from eventsys.events.models import AgendaSession, Event
from eventsys.registration.models import DelegateCategory

POLICY_LABELS = {
    EntryPolicy.ONCE: _l("Once only"),
    EntryPolicy.ONCE_PER_DAY: _l("Once per day"),
    EntryPolicy.UNLIMITED: _l("Unlimited re-entry"),
    EntryPolicy.IN_OUT: _l("Entry and exit tracked (who is inside)"),
}
# A session's door opens this long before the session starts, unless the organizer sets a window.
SESSION_DOOR_OPENS_BEFORE = timedelta(minutes=30)
MAX_NAME_LENGTH = 120


@dataclass
class CheckpointData:
    name: str
    policy: str = EntryPolicy.ONCE
    session_id: int | None = None
    category_ids: list[int] = field(default_factory=list)  # empty: every category may enter
    opens_at: datetime | None = None  # UTC
    closes_at: datetime | None = None  # UTC


def checkpoint_of(session: Session, event: Event, checkpoint_id: int) -> Checkpoint | None:
    checkpoint = session.get(Checkpoint, checkpoint_id)
    return checkpoint if checkpoint is not None and checkpoint.event_id == event.id else None


def _clean_name(name: str) -> str:
    name = " ".join((name or "").split())
    if not name:
        raise RuleViolation(_("Give the checkpoint a name, e.g. Pintu masuk or Ruang FGD."), "name")
    if len(name) > MAX_NAME_LENGTH:
        raise RuleViolation(_("Use at most %(num)d characters.", num=MAX_NAME_LENGTH), "name")
    return name


def _name_taken(session: Session, event: Event, name: str, checkpoint: Checkpoint | None) -> Checkpoint | None:
    return session.scalar(
        select(Checkpoint).where(
            Checkpoint.event_id == event.id,
            func.lower(Checkpoint.name) == name.lower(),
            Checkpoint.id != (checkpoint.id if checkpoint else -1),
        )
    )


def _duplicate_name(name: str) -> RuleViolation:
    return RuleViolation(_("This event already has a checkpoint named “%(name)s”.", name=name), "name")


def _agenda_session(session: Session, event: Event, session_id: int | None) -> AgendaSession | None:
    if not session_id:
        return None
    agenda_session = session.get(AgendaSession, session_id)
    if agenda_session is None or agenda_session.event_id != event.id:
        raise RuleViolation(_("Choose one of the event's agenda sessions."), "session_id")
    return agenda_session


def _categories(session: Session, event: Event, category_ids: list[int]) -> list[DelegateCategory]:
    wanted = set(category_ids)
    if not wanted:
        return []
    found = list(
        session.scalars(select(DelegateCategory).where(DelegateCategory.id.in_(wanted), DelegateCategory.event_id == event.id))
    )
    if len(found) != len(wanted):
        raise RuleViolation(_("Choose categories from the list; leave all unticked to let every category in."), "category_ids")
    return found


def _policy(value: str) -> EntryPolicy:
    try:
        return EntryPolicy(value)
    except ValueError:
        raise RuleViolation(_("Choose one of the listed entry policies."), "policy") from None


def default_window(agenda_session: AgendaSession) -> tuple[datetime, datetime]:
    """A session's door: from half an hour before it starts until it ends."""
    return agenda_session.starts_at - SESSION_DOOR_OPENS_BEFORE, agenda_session.ends_at


def save_checkpoint(session: Session, event: Event, data: CheckpointData, checkpoint: Checkpoint | None = None) -> Checkpoint:
    """Create (checkpoint None) or change a checkpoint; nothing is stored when a rule is broken.

    Both times empty mean no limit, except when the session is first chosen (a new checkpoint, or
    another session): then the door gets the session's window, which the organizer may clear again.
    """
    name = _clean_name(data.name)
    if _name_taken(session, event, name, checkpoint) is not None:
        raise _duplicate_name(name)
    agenda_session = _agenda_session(session, event, data.session_id)
    categories = _categories(session, event, data.category_ids)
    policy = _policy(data.policy)
    if checkpoint is not None and policy != checkpoint.policy and policy_locked(session, checkpoint):
        raise RuleViolation(policy_locked_message(), "policy")
    opens_at, closes_at = data.opens_at, data.closes_at
    session_chosen = agenda_session is not None and (checkpoint is None or checkpoint.session_id != agenda_session.id)
    if session_chosen and opens_at is None and closes_at is None:
        opens_at, closes_at = default_window(agenda_session)
    if opens_at is not None and closes_at is not None and closes_at <= opens_at:
        raise RuleViolation(_("The checkpoint must close after it opens."), "closes_at")
    if checkpoint is None:
        last = session.scalar(select(func.max(Checkpoint.position)).where(Checkpoint.event_id == event.id))
        checkpoint = Checkpoint(event_id=event.id, position=(last + 1) if last is not None else 0)
        session.add(checkpoint)
    checkpoint.name = name
    checkpoint.session = agenda_session
    checkpoint.categories = categories
    checkpoint.policy = policy
    checkpoint.opens_at = opens_at
    checkpoint.closes_at = closes_at
    try:
        with session.begin_nested():
            session.flush()
    except IntegrityError:  # the same name saved by a concurrent request a moment ago
        raise _duplicate_name(name) from None
    return checkpoint


def checkin_count(session: Session, checkpoint: Checkpoint) -> tuple[int, int]:
    """Check-ins recorded at the checkpoint: (live ones, all with the undone ones, which are part of the log too)."""
    live, recorded = session.execute(
        select(func.count(CheckIn.id).filter(CheckIn.undone_at.is_(None)), func.count(CheckIn.id)).where(CheckIn.checkpoint_id == checkpoint.id)
    ).one()
    return live or 0, recorded or 0


def policy_locked(session: Session, checkpoint: Checkpoint | None) -> bool:
    """Whether anyone was ever checked in here (undone entries too: restoring one brings its entry back)."""
    return checkpoint is not None and checkpoint.id is not None and checkin_count(session, checkpoint)[1] > 0


def policy_locked_message() -> str:
    return _(
        "People have already been checked in here, so the entry policy cannot change: entries made under the old policy "
        "would not count under the new one, and the same person could enter twice. To use another policy, add a new checkpoint."
    )


def deletion_refusal(session: Session, checkpoint: Checkpoint) -> str | None:
    """Why the checkpoint cannot be deleted (the live check-ins counted), or None when it can."""
    live, recorded = checkin_count(session, checkpoint)
    if live:
        return ngettext(
            "“%(name)s” has %(num)d check-in and cannot be deleted: it is the attendance record. "
            "To stop admitting people here, set its closing time instead.",
            "“%(name)s” has %(num)d check-ins and cannot be deleted: they are the attendance record. "
            "To stop admitting people here, set its closing time instead.",
            live,
            name=checkpoint.name,
        )
    if recorded:
        return _(
            "“%(name)s” has only undone check-ins, but they are in the scan log and cannot be deleted with it. "
            "To stop admitting people here, set its closing time instead.",
            name=checkpoint.name,
        )
    return None


def delete_checkpoint(session: Session, checkpoint: Checkpoint) -> None:
    refusal = deletion_refusal(session, checkpoint)
    if refusal:
        raise RuleViolation(refusal)
    session.delete(checkpoint)
    session.flush()


def add_entrance(session: Session, event: Event) -> Checkpoint | None:
    """The event's entrance (all categories, once only), made when it has no checkpoint yet; None otherwise."""
    if session.scalar(select(Checkpoint.id).where(Checkpoint.event_id == event.id).limit(1)) is not None:
        return None
    try:
        return save_checkpoint(session, event, CheckpointData(name=_("Entrance"), policy=EntryPolicy.ONCE))
    except RuleViolation:  # made by a concurrent request a moment ago
        return None


def people_checked_in(session: Session, event: Event) -> dict[int, int]:
    """Per checkpoint id: how many of the expected have a live entry there, counted as arrivals and reports count."""
    return checked_in_counts(session, event)
