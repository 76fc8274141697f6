"""Exposé programmes: settings, panels, the blocks, the draft and what the auto-scheduler makes of it.

Plain functions over a session: they check, change and raise RuleViolation with a message for the
organizer; the caller commits. Presenters are kept in eventsys.exposes.presenters.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from eventsys.core.i18n import local_time
from eventsys.core.rules import RuleViolation
from eventsys.core.timezones import local_to_utc, to_local
from eventsys.events.models import AgendaSession, Event, SessionType
from eventsys.exposes import scheduler
from eventsys.exposes.models import BlockPanel, ExposeProgramme, OrderPreference, Presenter, RuleSeverity, Slot
from eventsys.exposes.ordering import order_key

ORDER_LABELS = {
    OrderPreference.PROTOCOL: _l("Protocol order (the rank given to each presenter)"),
    OrderPreference.PROVINCE: _l("By province, then name"),
    OrderPreference.ISLAND: _l("By island group (Sumatera to Papua), then province, then name"),
    OrderPreference.ALPHABETICAL: _l("Alphabetical"),
}
SEVERITY_LABELS = {
    RuleSeverity.BLOCK: _l("Blocks publication"),
    RuleSeverity.WARN: _l("Warns"),
    RuleSeverity.IGNORE: _l("Ignored"),
}
# The rules the organizer rates, by the name the scheduler and the programme's columns share.
RULE_LABELS = {
    "overlap": _l("Two presenters overlap in one room"),
    "outside_availability": _l("Slot outside the presenter's availability"),
    "outside_block": _l("Slot outside its exposé block"),
    "double_booked": _l("Presenter double-booked"),
    "short_buffer": _l("Changeover buffer too short"),
}
RULES = tuple(RULE_LABELS)

TALK_RANGE, QA_RANGE, BUFFER_RANGE, STEP_RANGE, DECK_MB_RANGE = (1, 240), (0, 120), (0, 60), (1, 60), (1, 200)


def programme_for(session: Session, event: Event) -> ExposeProgramme:
    """The event's exposé settings, made with the defaults on first use."""
    programme = session.get(ExposeProgramme, event.id)
    if programme is None:
        programme = default_programme(event)
        session.add(programme)
        session.flush()
    return programme


def default_programme(event: Event) -> ExposeProgramme:
    """Unsaved settings holding the model's defaults (column defaults apply only at INSERT), for reading without a write."""
    defaults = {column.key: column.default.arg for column in ExposeProgramme.__table__.columns if column.default is not None}
    return ExposeProgramme(event_id=event.id, **defaults)


def severity_of(programme: ExposeProgramme, rule: str) -> RuleSeverity:
    return RuleSeverity(getattr(programme, rule, RuleSeverity.BLOCK))


def blocks_for(session: Session, event: Event) -> list[AgendaSession]:
    """The agenda's exposé blocks, by start (then room)."""
    return list(
        session.scalars(
            select(AgendaSession)
            .where(AgendaSession.event_id == event.id, AgendaSession.session_type == SessionType.EXPOSE_BLOCK)
            .options(selectinload(AgendaSession.room))
            .order_by(AgendaSession.starts_at, AgendaSession.room_id, AgendaSession.id)
        )
    )


def block_of(session: Session, event: Event, block_id: int | None) -> AgendaSession:
    block = session.get(AgendaSession, block_id) if block_id else None
    if block is None or block.event_id != event.id or block.session_type != SessionType.EXPOSE_BLOCK:
        raise RuleViolation(_("Choose one of this event's exposé blocks."), "block_id")
    return block


def start_in_block(block: AgendaSession, clock: time | None, zone: str) -> datetime | None:
    """A wall-clock time typed for a block ("10:20", event zone) on the block's own day, as UTC."""
    if clock is None:
        return None
    local_start = to_local(block.starts_at, zone)
    moment = local_to_utc(datetime.combine(local_start.date(), clock.replace(second=0, microsecond=0)), zone)
    if moment < block.starts_at and to_local(block.ends_at, zone).date() != local_start.date():
        moment = local_to_utc(datetime.combine(local_start.date() + timedelta(days=1), clock), zone)  # past midnight
    return moment


def parse_clock(value) -> time | None:
    """'10:20' (or '10:20:00', as some browsers send) as a time; None when it is not one."""
    text = str(value or "").strip()
    for fmt in ("%H:%M", "%H:%M:%S"):
        try:
            return datetime.strptime(text, fmt).time()
        except ValueError:
            continue
    return None


def block_label(block: AgendaSession, zone: str) -> str:
    room = block.room.name if block.room else _("no room")
    return f"{block.title} · {room} · {local_time(block.starts_at, zone, False)}–{local_time(block.ends_at, zone)}"


# Settings


@dataclass
class ProgrammeData:
    order_preference: OrderPreference
    talk_minutes: int
    qa_minutes: int
    buffer_minutes: int
    step_minutes: int
    deck_deadline: datetime | None
    deck_max_mb: int
    severities: dict[str, RuleSeverity]


def _in_range(value: int | None, bounds: tuple[int, int], field: str, message: str) -> None:
    if value is None or not bounds[0] <= value <= bounds[1]:
        raise RuleViolation(message % {"min": bounds[0], "max": bounds[1]}, field)


def save_programme(session: Session, event: Event, data: ProgrammeData) -> ExposeProgramme:
    _in_range(data.talk_minutes, TALK_RANGE, "talk_minutes", _("Enter a talk length from %(min)d to %(max)d minutes."))
    _in_range(data.qa_minutes, QA_RANGE, "qa_minutes", _("Enter a Q&A length from %(min)d to %(max)d minutes."))
    _in_range(data.buffer_minutes, BUFFER_RANGE, "buffer_minutes", _("Enter a changeover buffer from %(min)d to %(max)d minutes."))
    _in_range(data.step_minutes, STEP_RANGE, "step_minutes", _("Enter a step from %(min)d to %(max)d minutes."))
    _in_range(data.deck_max_mb, DECK_MB_RANGE, "deck_max_mb", _("Enter a deck size limit from %(min)d to %(max)d MB."))
    programme = programme_for(session, event)
    programme.order_preference = OrderPreference(data.order_preference)
    programme.talk_minutes, programme.qa_minutes = data.talk_minutes, data.qa_minutes
    programme.buffer_minutes, programme.step_minutes = data.buffer_minutes, data.step_minutes
    programme.deck_deadline, programme.deck_max_mb = data.deck_deadline, data.deck_max_mb
    for rule in RULES:
        setattr(programme, rule, RuleSeverity(data.severities.get(rule, severity_of(programme, rule))))
    session.flush()
    refresh_slot_ends(session, event)
    return programme


def panels_for(session: Session, event: Event) -> dict[int, BlockPanel]:
    block_ids = [b.id for b in blocks_for(session, event)]
    if not block_ids:
        return {}
    return {p.session_id: p for p in session.scalars(select(BlockPanel).where(BlockPanel.session_id.in_(block_ids)))}


def panel_members(panel: BlockPanel | None) -> list[str]:
    return [line.strip() for line in (panel.members if panel else "").splitlines() if line.strip()]


def save_panel(session: Session, event: Event, block_id: int, moderator: str, members: str) -> BlockPanel:
    block = block_of(session, event, block_id)
    moderator = " ".join((moderator or "").split())
    lines = [" ".join(line.split()) for line in (members or "").splitlines() if line.strip()]
    if len(moderator) > 200:
        raise RuleViolation(_("Keep the moderator's name under %(max)d characters.", max=200), "moderator")
    if len(lines) > 20 or any(len(line) > 300 for line in lines):
        raise RuleViolation(_("List at most 20 panel members, one a line, each under 300 characters."), "members")
    panel = session.get(BlockPanel, block.id) or BlockPanel(session_id=block.id)
    panel.moderator, panel.members = moderator, "\n".join(lines)
    session.add(panel)
    session.flush()
    return panel


# Lengths and the draft


def talk_of(presenter: Presenter, programme: ExposeProgramme) -> int:
    return presenter.talk_minutes if presenter.talk_minutes is not None else programme.talk_minutes


def qa_of(presenter: Presenter, programme: ExposeProgramme) -> int:
    return presenter.qa_minutes if presenter.qa_minutes is not None else programme.qa_minutes


def duration_of(presenter: Presenter, programme: ExposeProgramme) -> timedelta:
    return timedelta(minutes=talk_of(presenter, programme) + qa_of(presenter, programme))


def presenters_for(session: Session, event: Event) -> list[Presenter]:
    return list(
        session.scalars(
            select(Presenter)
            .where(Presenter.event_id == event.id)
            .options(selectinload(Presenter.organization), selectinload(Presenter.slot))
            .order_by(Presenter.id)
        )
    )


def refresh_slot_ends(session: Session, event: Event) -> None:
    """A slot lasts its presenter's talk and Q&A: after a length changes, its end follows."""
    programme = programme_for(session, event)
    for presenter in presenters_for(session, event):
        if presenter.slot is not None:
            presenter.slot.ends_at = presenter.slot.starts_at + duration_of(presenter, programme)
    session.flush()


def _place(session: Session, presenter: Presenter, block: AgendaSession, starts_at: datetime, programme: ExposeProgramme) -> None:
    slot = presenter.slot or Slot(presenter_id=presenter.id)
    slot.block_id, slot.block = block.id, block
    slot.starts_at, slot.ends_at = starts_at, starts_at + duration_of(presenter, programme)
    presenter.slot = slot
    session.add(slot)


def _refuse_when_pinned(presenter: Presenter) -> None:
    if presenter.pinned_block_id is not None:
        raise RuleViolation(
            _("%(name)s is pinned to a fixed slot. Remove the pin in the presenter's details to move it.",
              name=presenter.organization.name)
        )


def move_slot(session: Session, event: Event, presenter: Presenter, block_id: int | None, starts_at: datetime | None) -> Slot:
    """Put a presenter in a block at a start time (hand editing); conflicts are left for the rules to report."""
    if presenter.event_id != event.id:
        raise RuleViolation(_("That presenter is not part of this event."))
    block = block_of(session, event, block_id)
    if starts_at is None:
        raise RuleViolation(_("Enter the start time, e.g. 10:20."), "start")
    if not block.starts_at <= starts_at < block.ends_at:
        zone = event.timezone
        raise RuleViolation(
            _("Choose a start between %(start)s and %(end)s, while “%(block)s” runs.",
              start=local_time(block.starts_at, zone, False), end=local_time(block.ends_at, zone), block=block.title),
            "start",
        )
    _refuse_when_pinned(presenter)
    _place(session, presenter, block, starts_at, programme_for(session, event))
    session.flush()
    return presenter.slot


def swap_slots(session: Session, event: Event, first: Presenter, second: Presenter) -> None:
    """Each takes the other's place; a presenter without a slot leaves the other unscheduled."""
    if first.event_id != event.id or second.event_id != event.id:
        raise RuleViolation(_("That presenter is not part of this event."))
    if first.id == second.id:
        raise RuleViolation(_("Choose another presenter to swap with."), "other_id")
    if first.slot is None and second.slot is None:
        raise RuleViolation(_("Neither presenter has a slot yet: there is nothing to swap."), "other_id")
    _refuse_when_pinned(first)
    _refuse_when_pinned(second)
    programme = programme_for(session, event)
    places = [(p.slot.block, p.slot.starts_at) if p.slot else None for p in (first, second)]
    for presenter, place in ((first, places[1]), (second, places[0])):
        if place is None:
            session.delete(presenter.slot)
            presenter.slot = None
        else:
            _place(session, presenter, place[0], place[1], programme)
    session.flush()


def unschedule(session: Session, event: Event, presenter: Presenter) -> None:
    if presenter.event_id != event.id:
        raise RuleViolation(_("That presenter is not part of this event."))
    _refuse_when_pinned(presenter)
    if presenter.slot is not None:
        session.delete(presenter.slot)
        presenter.slot = None
    session.flush()


# The auto-scheduler and the rules


def block_spec(block: AgendaSession) -> scheduler.Block:
    # A block without a room is a room of its own: nothing else runs in it.
    room_id = block.room_id if block.room_id is not None else -block.id
    return scheduler.Block(block.id, room_id, block.room.name if block.room else "", block.starts_at, block.ends_at)


def presenter_spec(presenter: Presenter, programme: ExposeProgramme) -> scheduler.PresenterSpec:
    return scheduler.PresenterSpec(
        id=presenter.id,
        name=presenter.organization.name,
        person=presenter.person_name or "",
        talk_minutes=talk_of(presenter, programme),
        qa_minutes=qa_of(presenter, programme),
        buffer_minutes=programme.buffer_minutes,
        available_from=presenter.available_from,
        available_until=presenter.available_until,
        pinned_block_id=presenter.pinned_block_id,
        pinned_start=presenter.pinned_start,
        order_key=order_key(presenter, programme.order_preference),
        room_ids=frozenset({presenter.room_id}) if presenter.room_id else frozenset(),
    )


def scheduler_inputs(session: Session, event: Event) -> tuple[list[scheduler.Block], list[scheduler.PresenterSpec]]:
    programme = programme_for(session, event)
    blocks = [block_spec(b) for b in blocks_for(session, event)]
    return blocks, [presenter_spec(p, programme) for p in presenters_for(session, event)]


def draft_placements(session: Session, event: Event) -> dict[int, scheduler.Placement]:
    return {
        p.id: scheduler.Placement(p.id, p.slot.block_id, p.slot.starts_at, p.slot.ends_at)
        for p in presenters_for(session, event) if p.slot is not None
    }


@dataclass
class AutoScheduleResult:
    plan: scheduler.Plan
    placed: int
    moved: int
    unplaced: list[tuple[str, str]]  # (organization, why)


def auto_schedule(session: Session, event: Event) -> scheduler.Plan:
    """Re-plan the draft: everyone placed who can be, as few earlier slots moved as possible, pins kept."""
    programme = programme_for(session, event)
    blocks, specs = scheduler_inputs(session, event)
    if not blocks:
        raise RuleViolation(_("There are no exposé blocks yet. Add sessions of the type “Exposé block” to the agenda first."))
    if not specs:
        raise RuleViolation(_("There are no presenters yet. Add the presenting organizations first."))
    plan = scheduler.schedule(blocks, specs, previous=draft_placements(session, event), zone=event.timezone,
                              step_minutes=programme.step_minutes)
    by_id = {b.id: b for b in blocks_for(session, event)}
    for presenter in presenters_for(session, event):
        placement = plan.placements.get(presenter.id)
        if placement is None:
            if presenter.slot is not None:
                session.delete(presenter.slot)
                presenter.slot = None
        elif presenter.slot is None or (presenter.slot.block_id, presenter.slot.starts_at) != (placement.block_id, placement.starts_at):
            _place(session, presenter, by_id[placement.block_id], placement.starts_at, programme)
    session.flush()
    return plan


def auto_schedule_result(session: Session, event: Event) -> AutoScheduleResult:
    """auto_schedule, with what the organizer is told: how many placed and moved, and who is left out and why."""
    plan = auto_schedule(session, event)
    names = {p.id: p.organization.name for p in presenters_for(session, event)}
    return AutoScheduleResult(plan, len(plan.placements), len(plan.moved),
                              [(names.get(u.presenter_id, "?"), u.message) for u in plan.unplaced])


def draft_violations(session: Session, event: Event) -> list[tuple[scheduler.Violation, RuleSeverity]]:
    """Every rule the draft breaks, with the severity the organizer gave that rule."""
    programme = programme_for(session, event)
    blocks, specs = scheduler_inputs(session, event)
    violations = scheduler.check(blocks, specs, draft_placements(session, event), zone=event.timezone)
    return [(v, severity_of(programme, v.rule)) for v in violations]


def violation_text(session: Session, event: Event, violation: scheduler.Violation) -> str:
    return violation.message


def violation_presenters(violation: scheduler.Violation) -> tuple[int, ...]:
    return violation.presenter_ids
