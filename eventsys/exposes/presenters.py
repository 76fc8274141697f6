"""Presenting organizations of an exposé event: who presents, for how long, when they can, where they are pinned.

`save_presenter` checks everything before it changes anything, so a refused form stores nothing.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import Session

from eventsys.config import LANGUAGES
from eventsys.core.i18n import local_datetime, local_time
from eventsys.core.rules import RuleViolation
from eventsys.events.models import Event, Organization
from eventsys.events.services import rooms_for_event
from eventsys.exposes import scheduler, services
from eventsys.exposes.models import Presenter, Slot

RANK_MAX = 100_000


@dataclass
class PresenterData:
    organization_id: int | None
    person_name: str = ""
    person_title: str = ""
    email: str = ""
    locale: str = "id"
    talk_minutes: int | None = None
    qa_minutes: int | None = None
    protocol_rank: int | None = None
    available_from: datetime | None = None
    available_until: datetime | None = None
    room_id: int | None = None
    pinned_block_id: int | None = None
    pinned_start: datetime | None = None


def presenter_of(session: Session, event: Event, presenter_id: int | None) -> Presenter:
    presenter = session.get(Presenter, presenter_id) if presenter_id else None
    if presenter is None or presenter.event_id != event.id:
        raise RuleViolation(_("That presenter is not part of this event."), "presenter_id")
    return presenter


def _check_lengths(data: PresenterData) -> None:
    if data.talk_minutes is not None and not services.TALK_RANGE[0] <= data.talk_minutes <= services.TALK_RANGE[1]:
        raise RuleViolation(_("Enter a talk length from %(min)d to %(max)d minutes, or leave it empty for the default.",
                              min=services.TALK_RANGE[0], max=services.TALK_RANGE[1]), "talk_minutes")
    if data.qa_minutes is not None and not services.QA_RANGE[0] <= data.qa_minutes <= services.QA_RANGE[1]:
        raise RuleViolation(_("Enter a Q&A length from %(min)d to %(max)d minutes, or leave it empty for the default.",
                              min=services.QA_RANGE[0], max=services.QA_RANGE[1]), "qa_minutes")
    if data.protocol_rank is not None and not 1 <= data.protocol_rank <= RANK_MAX:
        raise RuleViolation(_("Enter a protocol rank from 1 to %(max)d; 1 presents first.", max=RANK_MAX), "protocol_rank")


def _check_availability(data: PresenterData, zone: str) -> None:
    if data.available_from and data.available_until and data.available_until <= data.available_from:
        raise RuleViolation(
            _("“Available until” (%(until)s) must be later than “available from” (%(since)s).",
              until=local_datetime(data.available_until, zone), since=local_datetime(data.available_from, zone)),
            "available_until",
        )


def _check_pin(session: Session, event: Event, data: PresenterData, presenter: Presenter | None, minutes) -> None:
    zone = event.timezone
    if (data.pinned_block_id is None) != (data.pinned_start is None):
        raise RuleViolation(_("To pin a slot, choose both its block and its start time; to unpin, clear both."), "pinned_start")
    if data.pinned_block_id is None:
        return
    block = services.block_of(session, event, data.pinned_block_id)
    start, end = data.pinned_start, data.pinned_start + minutes
    if not (block.starts_at <= start and end <= block.ends_at):
        raise RuleViolation(
            _("The pinned slot (%(start)s–%(end)s) does not fit in the block “%(block)s”, which runs %(block_start)s–%(block_end)s.",
              start=local_time(start, zone, False), end=local_time(end, zone), block=block.title,
              block_start=local_time(block.starts_at, zone, False), block_end=local_time(block.ends_at, zone)),
            "pinned_start",
        )
    if data.room_id is not None and block.room_id != data.room_id:
        raise RuleViolation(
            _("The block “%(block)s” is in %(room)s, but this presenter must present in another room.",
              block=block.title, room=block.room.name if block.room else _("no room")),
            "pinned_block_id",
        )
    if (data.available_from and start < data.available_from) or (data.available_until and end > data.available_until):
        window = "{} – {}".format(
            local_datetime(data.available_from, zone) if data.available_from else "…",
            local_datetime(data.available_until, zone) if data.available_until else "…",
        )
        raise RuleViolation(
            _("The pinned slot (%(start)s–%(end)s) is outside the presenter's availability (%(window)s).",
              start=local_time(start, zone, False), end=local_time(end, zone), window=window),
            "pinned_start",
        )
    programme = services.programme_for(session, event)
    others = session.scalars(
        select(Presenter).where(Presenter.event_id == event.id, Presenter.pinned_block_id == block.id)
    ).all()
    for other in others:
        if presenter is not None and other.id == presenter.id:
            continue
        other_end = other.pinned_start + services.duration_of(other, programme)
        if other.pinned_start < end and start < other_end:
            raise RuleViolation(
                _("The pinned slot overlaps the slot pinned for %(other)s in “%(block)s” (%(start)s–%(end)s). Choose another time.",
                  other=other.organization.name, block=block.title,
                  start=local_time(other.pinned_start, zone, False), end=local_time(other_end, zone)),
                "pinned_start",
            )


def _check(session: Session, event: Event, data: PresenterData, presenter: Presenter | None) -> Organization:
    organization = session.get(Organization, data.organization_id) if data.organization_id else None
    if organization is None:
        raise RuleViolation(_("Choose the presenting organization from the list."), "organization_id")
    taken = session.scalar(
        select(Presenter).where(Presenter.event_id == event.id, Presenter.organization_id == organization.id)
    )
    if taken is not None and (presenter is None or taken.id != presenter.id):
        raise RuleViolation(_("%(name)s already presents at this event; edit its entry instead.", name=organization.name),
                            "organization_id")
    if data.locale not in LANGUAGES:
        raise RuleViolation(_("Choose the language of the presenter's emails."), "locale")
    if data.room_id is not None and data.room_id not in {r.id for r in rooms_for_event(session, event)}:
        raise RuleViolation(_("Choose one of the rooms of this event's venue."), "room_id")
    _check_lengths(data)
    _check_availability(data, event.timezone)
    programme = services.programme_for(session, event)
    minutes = services.duration_of(Presenter(talk_minutes=data.talk_minutes, qa_minutes=data.qa_minutes), programme)
    _check_pin(session, event, data, presenter, minutes)
    _check_with_the_others(session, event, data, presenter, organization)
    return organization


def _check_with_the_others(session: Session, event: Event, data: PresenterData, presenter: Presenter | None,
                           organization: Organization) -> None:
    """What the scheduler would refuse once this entry joins the others (pins closer than the changeover,
    one person pinned twice at once, a slot longer than every block): refused now, with its message."""
    programme = services.programme_for(session, event)
    blocks, specs = services.scheduler_inputs(session, event)
    proposed = Presenter(
        id=presenter.id if presenter is not None else 0, organization=organization, person_name=data.person_name,
        talk_minutes=data.talk_minutes, qa_minutes=data.qa_minutes, protocol_rank=data.protocol_rank,
        available_from=data.available_from, available_until=data.available_until, room_id=data.room_id,
        pinned_block_id=data.pinned_block_id, pinned_start=data.pinned_start,
    )
    spec = services.presenter_spec(proposed, programme)
    others = [s for s in specs if presenter is None or s.id != presenter.id]
    before = set(scheduler.validate_inputs(blocks, others, zone=event.timezone))
    new = [m for m in scheduler.validate_inputs(blocks, [*others, spec], zone=event.timezone) if m not in before]
    if new:
        raise RuleViolation(new[0], "pinned_start" if data.pinned_block_id else None)


def save_presenter(session: Session, event: Event, data: PresenterData, presenter: Presenter | None = None) -> Presenter:
    organization = _check(session, event, data, presenter)
    if presenter is None:
        presenter = Presenter(event_id=event.id)
        session.add(presenter)
    presenter.organization_id, presenter.organization = organization.id, organization
    presenter.person_name = " ".join((data.person_name or "").split())
    presenter.person_title = " ".join((data.person_title or "").split())
    presenter.email = (data.email or "").strip().lower()
    presenter.locale = data.locale
    presenter.talk_minutes, presenter.qa_minutes = data.talk_minutes, data.qa_minutes
    presenter.protocol_rank = data.protocol_rank
    presenter.available_from, presenter.available_until = data.available_from, data.available_until
    presenter.room_id = data.room_id
    presenter.pinned_block_id, presenter.pinned_start = data.pinned_block_id, data.pinned_start
    session.flush()
    programme = services.programme_for(session, event)
    if presenter.pinned_block_id is not None:  # the draft shows the pin at once
        slot = presenter.slot or Slot(presenter_id=presenter.id)
        slot.block_id = presenter.pinned_block_id
        slot.starts_at = presenter.pinned_start
        presenter.slot = slot
        session.add(slot)
    if presenter.slot is not None:
        presenter.slot.ends_at = presenter.slot.starts_at + services.duration_of(presenter, programme)
    session.flush()
    return presenter


def delete_presenter(session: Session, event: Event, presenter: Presenter) -> None:
    """Gone from the draft and from the next version; published versions keep their snapshot."""
    if presenter.event_id != event.id:
        raise RuleViolation(_("That presenter is not part of this event."))
    session.delete(presenter)
    session.flush()


def organization_choices(session: Session) -> list[tuple[int, str]]:
    rows = session.execute(select(Organization.id, Organization.name, Organization.province).order_by(Organization.name_key))
    return [(oid, f"{name} ({province})" if province else name) for oid, name, province in rows]
