"""What the exposé pages show, arranged: the draft as a rooms × time grid per day, a version by day and room, the rundown."""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from sqlalchemy.orm import Session

from eventsys.core.timezones import to_local
from eventsys.events.models import AgendaSession, Event
from eventsys.events.services import agenda_by_day
from eventsys.exposes import services
from eventsys.exposes.models import Presenter, RuleSeverity, ScheduleVersion, VersionSlot
from eventsys.exposes.ordering import order_key

SEVERITY_RANK = {RuleSeverity.BLOCK: 2, RuleSeverity.WARN: 1, RuleSeverity.IGNORE: 0}


def presenters_in_order(session: Session, event: Event) -> list[Presenter]:
    """Presenters in the order the programme's preference puts them."""
    preference = services.programme_for(session, event).order_preference
    return sorted(services.presenters_for(session, event), key=lambda p: order_key(p, preference))


def _minutes(later: datetime, earlier: datetime) -> int:
    return int((later - earlier).total_seconds() // 60)


@dataclass
class Problem:
    rule: str
    severity: RuleSeverity
    text: str


def problem_list(session: Session, event: Event, violations: list) -> list[Problem]:
    """Every conflict of the draft with its rule's severity, the blocking ones first."""
    problems = [Problem(v.rule, severity, services.violation_text(session, event, v)) for v, severity in violations]
    return sorted(problems, key=lambda p: -SEVERITY_RANK[p.severity])


def problems_by_presenter(session: Session, event: Event, violations: list) -> dict[int, list[Problem]]:
    """The conflicts each presenter's card shows."""
    found: dict[int, list[Problem]] = defaultdict(list)
    for violation, severity in violations:
        problem = Problem(violation.rule, severity, services.violation_text(session, event, violation))
        for presenter_id in services.violation_presenters(violation):
            found[presenter_id].append(problem)
    return found


@dataclass
class Card:
    presenter: Presenter
    starts_at: datetime
    ends_at: datetime
    top: int  # minutes from the start of the day's grid
    length: int
    problems: list[Problem] = field(default_factory=list)

    @property
    def severity(self) -> RuleSeverity | None:
        shown = [p.severity for p in self.problems if p.severity != RuleSeverity.IGNORE]
        return max(shown, key=SEVERITY_RANK.get) if shown else None


@dataclass
class BlockBox:
    block: AgendaSession
    top: int
    length: int


@dataclass
class Column:
    room_name: str
    blocks: list[BlockBox] = field(default_factory=list)
    cards: list[Card] = field(default_factory=list)


@dataclass
class GridDay:
    day: date
    starts_at: datetime
    length: int  # minutes the day's grid spans
    columns: list[Column]
    hours: list[tuple[int, datetime]]  # (minutes from the start, time) of each full hour


def draft_grid(session: Session, event: Event, problems: dict[int, list[Problem]]) -> list[GridDay]:
    """The exposé blocks per day as columns by room, with each placed presenter as a card at its time."""
    zone = event.timezone
    blocks = services.blocks_for(session, event)
    placed = [p for p in services.presenters_for(session, event) if p.slot is not None]
    by_day: dict[date, list[AgendaSession]] = defaultdict(list)
    for block in blocks:
        by_day[to_local(block.starts_at, zone).date()].append(block)
    cards_by_block: dict[int, list[Presenter]] = defaultdict(list)
    for presenter in placed:
        cards_by_block[presenter.slot.block_id].append(presenter)
    days = []
    for day, day_blocks in sorted(by_day.items()):
        ids = {b.id for b in day_blocks}
        day_cards = [p for bid in ids for p in cards_by_block.get(bid, [])]
        start = min([b.starts_at for b in day_blocks] + [p.slot.starts_at for p in day_cards])
        end = max([b.ends_at for b in day_blocks] + [p.slot.ends_at for p in day_cards])
        local_start = to_local(start, zone).replace(minute=0, second=0, microsecond=0)
        start = min(start, local_start)
        columns: dict[str, Column] = {}
        for block in day_blocks:
            name = block.room.name if block.room else ""
            column = columns.setdefault(name, Column(name))
            column.blocks.append(BlockBox(block, _minutes(block.starts_at, start), _minutes(block.ends_at, block.starts_at)))
            for presenter in sorted(cards_by_block.get(block.id, []), key=lambda p: (p.slot.starts_at, p.id)):
                slot = presenter.slot
                column.cards.append(Card(presenter, slot.starts_at, slot.ends_at, _minutes(slot.starts_at, start),
                                         _minutes(slot.ends_at, slot.starts_at), problems.get(presenter.id, [])))
        length = _minutes(end, start)
        hours = [(m, start + timedelta(minutes=m)) for m in range(0, length + 1, 60)]
        days.append(GridDay(day, start, length, sorted(columns.values(), key=lambda c: c.room_name), hours))
    return days


@dataclass
class VersionDay:
    day: date
    rooms: list[tuple[str, list[VersionSlot]]]


def version_days(version: ScheduleVersion | None, zone: str) -> list[VersionDay]:
    """A published version's slots by local day, then room, in time order (from its snapshots only)."""
    if version is None:
        return []
    days: dict[date, dict[str, list[VersionSlot]]] = defaultdict(lambda: defaultdict(list))
    for slot in sorted(version.slots, key=lambda s: (s.starts_at, s.room_name, s.id)):
        days[to_local(slot.starts_at, zone).date()][slot.room_name].append(slot)
    return [VersionDay(day, sorted(rooms.items())) for day, rooms in sorted(days.items())]


@dataclass
class RundownItem:
    session: AgendaSession
    slots: list[VersionSlot]
    moderator: str
    members: list[str]


@dataclass
class RundownDay:
    day: date
    items: list[RundownItem]


def rundown(session: Session, event: Event, version: ScheduleVersion | None) -> list[RundownDay]:
    """The agenda of each day with the published exposé slots inside their blocks, and each block's panel."""
    panels = services.panels_for(session, event)
    slots_by_block: dict[int, list[VersionSlot]] = defaultdict(list)
    for slot in version.slots if version else []:
        slots_by_block[slot.block_id].append(slot)
    days = []
    for agenda_day in agenda_by_day(session, event):
        items = []
        for item in agenda_day.sessions:
            panel = panels.get(item.id)
            items.append(RundownItem(item, sorted(slots_by_block.get(item.id, []), key=lambda s: s.starts_at),
                                     panel.moderator if panel else "", services.panel_members(panel)))
        days.append(RundownDay(agenda_day.day, items))
    return days
