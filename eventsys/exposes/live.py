"""Live timekeeping on the night: per room, who presents now and who is next, start and stop, overruns, delay, no-shows.

The plan is the latest published version; what happened is kept apart in Performance rows, so the
published version never changes. A presenter marked as a no-show comes back as waiting once a version
published after the mark gives them another slot than the one they missed (the organizer re-slotted them).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from eventsys.attendance import services as attendance
from eventsys.core.db import utcnow
from eventsys.core.i18n import local_time
from eventsys.core.rules import RuleViolation
from eventsys.events.models import Event, Room
from eventsys.events.services import rooms_for_event
from eventsys.exposes import publishing, services
from eventsys.exposes.models import ExposeProgramme, Performance, PerformanceState, Presenter, ScheduleVersion, VersionSlot

WAITING, PRESENTING, DONE, NO_SHOW = (PerformanceState.WAITING, PerformanceState.PRESENTING, PerformanceState.DONE,
                                      PerformanceState.NO_SHOW)
ON_TIME_SECONDS = 60  # a room within a minute of its plan is on time


def format_seconds(seconds: float, signed: bool = False) -> str:
    """133 -> '02:13' ('+02:13' signed); an hour or more as '1:02:13'."""
    whole = int(round(seconds))
    sign = ("+" if whole > 0 else "-" if whole < 0 else "") if signed else ("-" if whole < 0 else "")
    hours, rest = divmod(abs(whole), 3600)
    minutes, secs = divmod(rest, 60)
    return sign + (f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes:02d}:{secs:02d}")


@dataclass
class LiveItem:
    presenter: Presenter
    slot: VersionSlot
    state: PerformanceState
    started_at: datetime | None
    ended_at: datetime | None
    talk: timedelta
    qa: timedelta
    arrived_at: datetime | None = None

    @property
    def planned_length(self) -> timedelta:
        return self.slot.ends_at - self.slot.starts_at

    def clock(self, now: datetime) -> dict:
        """Where a talk stands: phase (talk, qa, overrun), seconds left in it, overrun; for a finished one, its length."""
        length = self.planned_length.total_seconds()
        if self.state == PRESENTING and self.started_at:
            elapsed = max(0.0, (now - self.started_at).total_seconds())
            talk = self.talk.total_seconds()
            if elapsed < talk:
                phase, remaining = "talk", talk - elapsed
            elif elapsed < length:
                phase, remaining = "qa", length - elapsed
            else:
                phase, remaining = "overrun", 0.0
            overrun = max(0.0, elapsed - length)
            return {"phase": phase, "elapsed_seconds": int(elapsed), "remaining_seconds": int(round(remaining)),
                    "remaining_text": format_seconds(remaining), "overrun_seconds": int(overrun),
                    "overrun_text": format_seconds(overrun, signed=True) if overrun >= 1 else ""}
        if self.state == DONE and self.started_at and self.ended_at:
            actual = (self.ended_at - self.started_at).total_seconds()
            overrun = actual - length
            return {"phase": "done", "length_seconds": int(actual), "length_text": format_seconds(actual),
                    "overrun_seconds": int(overrun), "overrun_text": format_seconds(overrun, signed=True)}
        return {"phase": self.state.value}


@dataclass
class RoomLive:
    room: Room
    version: ScheduleVersion | None
    items: list[LiveItem]
    buffer: timedelta
    arrivals_known: bool = False
    _index: dict[int, int] = field(default_factory=dict)

    def __post_init__(self):
        self._index = {item.presenter.id: i for i, item in enumerate(self.items)}

    def item(self, presenter_id: int) -> LiveItem | None:
        index = self._index.get(presenter_id)
        return self.items[index] if index is not None else None

    @property
    def current(self) -> LiveItem | None:
        return next((i for i in self.items if i.state == PRESENTING), None)

    @property
    def next(self) -> LiveItem | None:
        """The first waiting presenter after the one on stage (or the last one started), by the plan; else any waiting."""
        started = [n for n, i in enumerate(self.items) if i.state in (PRESENTING, DONE) and i.started_at]
        anchor = -1
        if started:
            anchor = max(started, key=lambda n: (self.items[n].state == PRESENTING, self.items[n].started_at))
        waiting = [n for n, i in enumerate(self.items) if i.state == WAITING]
        after = [n for n in waiting if n > anchor]
        chosen = after[0] if after else (waiting[0] if waiting else None)
        return self.items[chosen] if chosen is not None else None

    @property
    def no_shows(self) -> list[LiveItem]:
        return [i for i in self.items if i.state == NO_SHOW]

    def delay(self, now: datetime) -> timedelta:
        """How far the room runs behind its plan (negative: ahead), judged by when the next presenter can start."""
        current, upcoming = self.current, self.next
        done = [i for i in self.items if i.state == DONE and i.ended_at]
        last = max(done, key=lambda i: i.ended_at) if done else None
        if current is not None:
            expected_end = max(now, current.started_at + current.planned_length)
            if upcoming is None:
                return expected_end - current.slot.ends_at
            ready = expected_end + self.buffer
        elif last is not None:
            if upcoming is None:
                return last.ended_at - last.slot.ends_at
            ready = max(now, last.ended_at + self.buffer)
        else:
            if upcoming is None:
                return timedelta(0)
            return max(timedelta(0), now - upcoming.slot.starts_at)  # nobody started yet: late, never ahead
        return ready - upcoming.slot.starts_at


# Reading the plan


def _rooms_of_slots(session: Session, event: Event, version: ScheduleVersion | None) -> dict[int, Room]:
    """VersionSlot id -> room: by the block's room, else by the room name the snapshot kept."""
    if version is None:
        return {}
    blocks = {b.id: b for b in services.blocks_for(session, event)}
    by_name = {r.name: r for r in rooms_for_event(session, event)}
    found = {}
    for slot in version.slots:
        block = blocks.get(slot.block_id) if slot.block_id else None
        room = block.room if block is not None and block.room is not None else by_name.get(slot.room_name)
        if room is not None and slot.presenter_id is not None:
            found[slot.id] = room
    return found


def live_rooms(session: Session, event: Event) -> list[tuple[Room, int]]:
    """The rooms of the latest published version, with how many present in each, by name."""
    version = publishing.latest_version(session, event)
    counts: dict[int, list] = {}
    for room in _rooms_of_slots(session, event, version).values():
        counts.setdefault(room.id, [room, 0])[1] += 1
    return sorted(((room, n) for room, n in counts.values()), key=lambda pair: pair[0].name)


def _programme(session: Session, event: Event) -> ExposeProgramme:
    """The settings without writing (pages polled every few seconds must not take a write lock)."""
    return session.get(ExposeProgramme, event.id) or services.default_programme(event)


def _reslotted(session: Session, event: Event, performance: Performance, slot: VersionSlot, version: ScheduleVersion) -> bool:
    """A no-show given another slot in a version published after the mark (than in the one they were marked on)."""
    marked = performance.updated_at
    if marked is None or version.published_at <= marked:
        return False
    before = session.scalar(
        select(VersionSlot)
        .join(ScheduleVersion, ScheduleVersion.id == VersionSlot.version_id)
        .where(ScheduleVersion.event_id == event.id, ScheduleVersion.published_at <= marked,
               VersionSlot.presenter_id == performance.presenter_id)
        .order_by(ScheduleVersion.number.desc())
        .limit(1)
    )
    return before is None or (before.starts_at, before.ends_at, before.room_name, before.block_id) != (
        slot.starts_at, slot.ends_at, slot.room_name, slot.block_id)


def _effective_state(session: Session, event: Event, performance: Performance | None, slot: VersionSlot,
                     version: ScheduleVersion) -> PerformanceState:
    if performance is None:
        return WAITING
    state = PerformanceState(performance.state)
    if state == NO_SHOW and _reslotted(session, event, performance, slot, version):
        return WAITING  # the organizer re-slotted them and published again
    return state


def room_live(session: Session, event: Event, room_id: int, *, with_arrivals: bool = True) -> RoomLive | None:
    """The room's running order from the latest version with what happened so far; None when it is not this event's room."""
    room = next((r for r in rooms_for_event(session, event) if r.id == room_id), None)
    if room is None:
        return None
    programme = _programme(session, event)
    version = publishing.latest_version(session, event)
    rooms = _rooms_of_slots(session, event, version)
    slots = sorted((s for s in (version.slots if version else []) if s.id in rooms and rooms[s.id].id == room.id),
                   key=lambda s: (s.starts_at, s.id))
    presenters = {
        p.id: p
        for p in session.scalars(
            select(Presenter)
            .where(Presenter.id.in_([s.presenter_id for s in slots]))
            .options(selectinload(Presenter.organization), selectinload(Presenter.performance), selectinload(Presenter.slot))
        )
    }
    arrived = {}
    if with_arrivals and presenters:
        arrived = attendance.organizations_arrived(session, event, {p.organization_id for p in presenters.values()})
    items = []
    for slot in slots:
        presenter = presenters.get(slot.presenter_id)
        if presenter is None:
            continue
        performance = presenter.performance
        length = slot.ends_at - slot.starts_at
        talk = min(timedelta(minutes=services.talk_of(presenter, programme)), length)
        state = _effective_state(session, event, performance, slot, version)
        current_times = performance is not None and state == PerformanceState(performance.state)
        items.append(LiveItem(
            presenter=presenter, slot=slot, state=state,
            started_at=performance.started_at if current_times else None,
            ended_at=performance.ended_at if current_times else None,
            talk=talk, qa=length - talk, arrived_at=arrived.get(presenter.organization_id),
        ))
    return RoomLive(room, version, items, timedelta(minutes=programme.buffer_minutes), arrivals_known=with_arrivals)


# Recording what happens


def _locate(session: Session, event: Event, presenter: Presenter) -> tuple[RoomLive, LiveItem]:
    if presenter.event_id != event.id:
        raise RuleViolation(_("That presenter is not part of this event."))
    version = publishing.latest_version(session, event)
    slot = publishing.slot_of(version, presenter.id)
    room = _rooms_of_slots(session, event, version).get(slot.id) if slot is not None else None
    live = room_live(session, event, room.id, with_arrivals=False) if room is not None else None
    item = live.item(presenter.id) if live is not None else None
    if item is None:
        raise RuleViolation(_("%(name)s has no slot in a room of the published schedule.", name=presenter.organization.name))
    return live, item


def _record(session: Session, presenter: Presenter, state: PerformanceState, now: datetime,
            started_at: datetime | None, ended_at: datetime | None) -> Performance:
    performance = presenter.performance
    if performance is None:
        performance = Performance(presenter_id=presenter.id)
        presenter.performance = performance
        session.add(performance)
    performance.state = state
    performance.started_at, performance.ended_at = started_at, ended_at
    performance.updated_at = now
    return performance


def start(session: Session, event: Event, presenter: Presenter, now: datetime | None = None) -> list[str]:
    """Start the presenter's talk now; whoever was still on stage in that room is stopped. Returns their names."""
    now = now or utcnow()
    live, item = _locate(session, event, presenter)
    name = presenter.organization.name
    if item.state == PRESENTING:
        raise RuleViolation(_("%(name)s is already presenting (since %(time)s).", name=name,
                              time=local_time(item.started_at, event.timezone)))
    if item.state == DONE:
        raise RuleViolation(_("%(name)s has already presented. Reset the entry first to record the talk again.", name=name))
    stopped = []
    for other in live.items:
        if other.state == PRESENTING:
            _record(session, other.presenter, DONE, now, other.started_at, now)
            stopped.append(other.presenter.organization.name)
    _record(session, presenter, PRESENTING, now, now, None)
    session.flush()
    return stopped


def stop(session: Session, event: Event, presenter: Presenter, now: datetime | None = None) -> LiveItem:
    now = now or utcnow()
    _live, item = _locate(session, event, presenter)
    if item.state != PRESENTING:
        raise RuleViolation(_("%(name)s is not presenting, so there is nothing to stop.", name=presenter.organization.name))
    _record(session, presenter, DONE, now, item.started_at, now)
    session.flush()
    item.state, item.ended_at = DONE, now
    return item


def mark_no_show(session: Session, event: Event, presenter: Presenter, now: datetime | None = None) -> None:
    now = now or utcnow()
    _live, item = _locate(session, event, presenter)
    name = presenter.organization.name
    if item.state == NO_SHOW:
        raise RuleViolation(_("%(name)s is already marked as a no-show.", name=name))
    if item.state != WAITING:
        raise RuleViolation(_("%(name)s has already started, so cannot be a no-show. Reset the entry first if that was a mistake.",
                              name=name))
    _record(session, presenter, NO_SHOW, now, None, None)
    session.flush()


def reset(session: Session, event: Event, presenter: Presenter, now: datetime | None = None) -> None:
    """Undo a mistaken start, stop or no-show: the presenter waits again, with no times recorded."""
    _locate(session, event, presenter)
    _record(session, presenter, WAITING, now or utcnow(), None, None)
    session.flush()


def release_for_reslot(session: Session, event: Event, presenter: Presenter) -> None:
    """A no-show's pin and draft slot are cleared, so the organizer can place them again and publish a new version."""
    _live, item = _locate(session, event, presenter)
    if item.state != NO_SHOW:
        raise RuleViolation(_("Only a presenter marked as a no-show can be freed for a new slot."))
    presenter.pinned_block_id, presenter.pinned_start = None, None
    session.flush()
    services.unschedule(session, event, presenter)
