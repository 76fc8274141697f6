"""Publishing the draft as an immutable, numbered version, the changes between versions, and the mails they cause.

A version copies every draft slot into VersionSlot rows with the names, room and block as they are
now, so it reads the same forever (the models refuse any later change). Each presenter is mailed,
in their own language, the first time a version includes them, and afterwards only when their slot
changed, with just the change; a presenter dropped from the schedule is told so once.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from eventsys.accounts.models import User
from eventsys.config import LANGUAGES
from eventsys.core.db import utcnow
from eventsys.core.i18n import local_date, local_time
from eventsys.core.mail import public_url, queue_mail
from eventsys.core.rules import RuleViolation
from eventsys.events.models import Event
from eventsys.exposes import services
from eventsys.exposes.models import Presenter, RuleSeverity, ScheduleVersion, Slot, VersionSlot


class PublicationBlocked(RuleViolation):
    """Publishing refused because rules set to “block publication” are broken; `problems` lists them."""

    def __init__(self, message: str, problems: list[str]):
        super().__init__(message)
        self.problems = problems


def latest_version(session: Session, event: Event) -> ScheduleVersion | None:
    return session.scalar(
        select(ScheduleVersion)
        .where(ScheduleVersion.event_id == event.id)
        .options(selectinload(ScheduleVersion.slots))
        .order_by(ScheduleVersion.number.desc())
        .limit(1)
    )


def version_by_number(session: Session, event: Event, number: int) -> ScheduleVersion | None:
    return session.scalar(
        select(ScheduleVersion)
        .where(ScheduleVersion.event_id == event.id, ScheduleVersion.number == number)
        .options(selectinload(ScheduleVersion.slots))
    )


def versions_of(session: Session, event: Event) -> list[ScheduleVersion]:
    """Every version, newest first."""
    return list(
        session.scalars(
            select(ScheduleVersion)
            .where(ScheduleVersion.event_id == event.id)
            .options(selectinload(ScheduleVersion.slots))
            .order_by(ScheduleVersion.number.desc())
        )
    )


def slot_of(version: ScheduleVersion | None, presenter_id: int) -> VersionSlot | None:
    if version is None:
        return None
    return next((s for s in version.slots if s.presenter_id == presenter_id), None)


# Changes between versions


def _same_place(a: VersionSlot, b: VersionSlot) -> bool:
    return (a.starts_at, a.ends_at, a.room_name, a.block_id) == (b.starts_at, b.ends_at, b.room_name, b.block_id)


@dataclass
class Change:
    kind: str  # "added", "moved" or "removed"
    organization_name: str
    before: VersionSlot | None
    after: VersionSlot | None


def changes_between(previous: ScheduleVersion | None, current: ScheduleVersion) -> list[Change]:
    """What `current` changed against `previous` (None: everything is added), in the order of the new times."""
    before = {s.presenter_id: s for s in (previous.slots if previous else []) if s.presenter_id is not None}
    changes = []
    for slot in current.slots:
        old = before.pop(slot.presenter_id, None)
        if old is None:
            changes.append(Change("added", slot.organization_name, None, slot))
        elif not _same_place(old, slot):
            changes.append(Change("moved", slot.organization_name, old, slot))
    gone = [s for s in (previous.slots if previous else []) if s.presenter_id is None or s.presenter_id in before]
    changes += [Change("removed", s.organization_name, s, None) for s in gone]
    return changes


def _when(slot: VersionSlot, zone: str, with_day: bool) -> str:
    clock = local_time(slot.starts_at, zone, False)
    return f"{local_date(slot.starts_at, zone)} {clock}" if with_day else clock


def describe_change(change: Change, zone: str) -> str:
    """'Kota Cirebon 10:20 → 11:05, Ruang B' (times in the event's zone; the day only when it changed)."""
    if change.kind == "added":
        return _("%(name)s added: %(when)s, %(room)s", name=change.organization_name,
                 when=_when(change.after, zone, True), room=change.after.room_name)
    if change.kind == "removed":
        return _("%(name)s removed (was %(when)s, %(room)s)", name=change.organization_name,
                 when=_when(change.before, zone, True), room=change.before.room_name)
    old, new = change.before, change.after
    other_day = local_date(old.starts_at, zone) != local_date(new.starts_at, zone)
    was = _when(old, zone, other_day) + (f", {old.room_name}" if old.room_name != new.room_name else "")
    return f"{change.organization_name} {was} → {_when(new, zone, other_day)}, {new.room_name}"


# Publishing


def blocking_problems(session: Session, event: Event) -> list[str]:
    return [
        services.violation_text(session, event, violation)
        for violation, severity in services.draft_violations(session, event)
        if severity == RuleSeverity.BLOCK
    ]


def _snapshot(slot: Slot) -> VersionSlot:
    presenter, block = slot.presenter, slot.block
    return VersionSlot(
        presenter_id=presenter.id,
        organization_name=presenter.organization.name,
        person_name=presenter.person_name,
        person_title=presenter.person_title,
        block_id=block.id,
        block_title=block.title,
        room_name=block.room.name if block.room else "",
        starts_at=slot.starts_at,
        ends_at=slot.ends_at,
    )


def publish(session: Session, event: Event, user: User | None, note: str = "") -> ScheduleVersion:
    """Copy the draft into version N+1 and queue the presenters' mails; RuleViolation when it may not be published."""
    problems = blocking_problems(session, event)
    if problems:
        raise PublicationBlocked(
            _("Not published: %(count)d conflicts break rules set to block publication. Fix them, or set those rules to warn.",
              count=len(problems)),
            problems,
        )
    slots = session.scalars(
        select(Slot).join(Presenter).where(Presenter.event_id == event.id).order_by(Slot.starts_at, Slot.presenter_id)
    ).all()
    if not slots:
        raise RuleViolation(_("Nothing to publish yet: no presenter has a slot in the draft."))
    previous = latest_version(session, event)
    snapshots = [_snapshot(slot) for slot in slots]
    if previous is not None and _same_schedule(previous, snapshots):
        raise RuleViolation(_("The draft is the same as version %(number)d: nothing new to publish.", number=previous.number))
    number = (session.scalar(select(func.max(ScheduleVersion.number)).where(ScheduleVersion.event_id == event.id)) or 0) + 1
    version = ScheduleVersion(
        event_id=event.id, number=number, published_at=utcnow(), published_by_id=user.id if user else None,
        note=" ".join((note or "").split())[:2000],
    )
    version.slots = snapshots
    session.add(version)
    session.flush()
    _queue_mails(session, event, previous, version)
    return version


def _same_schedule(previous: ScheduleVersion, snapshots: list[VersionSlot]) -> bool:
    def key(s):
        return (s.presenter_id, s.organization_name, s.person_name, s.person_title, s.block_id, s.block_title, s.room_name,
                s.starts_at, s.ends_at)

    return sorted(map(key, previous.slots)) == sorted(map(key, snapshots))


# Mail


def _path(endpoint: str, **values) -> str:
    return current_app.url_map.bind("localhost").build(endpoint, values)


def _render(name: str, context: dict) -> str:
    # Straight from the environment: mail is also made outside a request.
    body = current_app.jinja_env.get_template(name).render(**context)
    if name.endswith(".txt"):  # sections left out leave no gaps behind
        body = re.sub(r"\n[ \t]*(?:\n[ \t]*){2,}", "\n\n", body).strip() + "\n"
    return body


def _slot_facts(slot: VersionSlot, zone: str) -> dict:
    return {
        "date": local_date(slot.starts_at, zone, "full"),
        "time": f"{local_time(slot.starts_at, zone, False)}–{local_time(slot.ends_at, zone)}",
        "room": slot.room_name,
        "block": slot.block_title,
    }


def _queue_mails(session: Session, event: Event, previous: ScheduleVersion | None, version: ScheduleVersion) -> None:
    presenters = {p.id: p for p in services.presenters_for(session, event)}
    for change in changes_between(previous, version):
        slot = change.after or change.before
        presenter = presenters.get(slot.presenter_id) if slot.presenter_id else None
        if presenter is None or not presenter.email:
            continue
        kind = {"added": "expose_slot", "moved": "expose_change", "removed": "expose_removed"}[change.kind]
        notify_presenter(session, event, presenter, kind, change, version)


def _subject(kind: str, event: Event) -> str:
    return {
        "expose_slot": lambda: _("Your exposé slot at %(event)s", event=event.name),
        "expose_change": lambda: _("Your exposé slot at %(event)s has changed", event=event.name),
        "expose_removed": lambda: _("Your exposé slot at %(event)s is cancelled", event=event.name),
    }[kind]()


def notify_presenter(session: Session, event: Event, presenter: Presenter, kind: str, change: Change, version: ScheduleVersion):
    zone = event.timezone
    locale = presenter.locale if presenter.locale in LANGUAGES else current_app.config.get("BABEL_DEFAULT_LOCALE", "id")
    with force_locale(locale):
        subject = _subject(kind, event)
        before = _slot_facts(change.before, zone) if change.before else None
        after = _slot_facts(change.after, zone) if change.after else None
        venue = event.venue
        context = {
            "lang": locale,
            "event": event,
            "subject": subject,
            "name": presenter.person_name or presenter.organization.name,
            "organization": presenter.organization.name,
            "when_date": local_date(event.starts_at, zone),
            "when_time": f"{local_time(event.starts_at, zone, False)}–{local_time(event.ends_at, zone)}",
            "place": ", ".join(p for p in (venue.name, venue.address, venue.city) if p) if venue else "",
            "before": before,
            "after": after,
            "changed": {k for k in ("date", "time", "room") if before and after and before[k] != after[k]},
            "version": version,
            "schedule_url": public_url(_path("exposes_public_views.schedule", slug=event.slug)),
            "calendar_url": public_url(_path("exposes_public_views.presenter_ics", slug=event.slug, presenter_id=presenter.id)),
        }
        text = _render(f"mail/{kind}.txt", context)
        html = _render(f"mail/{kind}.html", context)
    return queue_mail(
        session, to_email=presenter.email, to_name=presenter.person_name or presenter.organization.name, subject=subject,
        text=text, html=html, event_id=event.id, kind=kind,
    )
