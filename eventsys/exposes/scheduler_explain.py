"""What the exposé auto-scheduler tells people: the rules a plan can break, bad input, and why someone was not placed.

Pure functions over the scheduler's value objects (`eventsys.exposes.scheduler`), usable without an
app context. Times in messages are shown in the event's zone ("13:00–14:00 WIB"), with the day in front
when the blocks span more than one day. The rules, as the scheduler keeps them:

* a slot lies inside its block: start ≥ block start and start + talk + Q&A ≤ block end;
* the changeover buffer follows a slot only when another slot follows it in the same room
  (end + buffer ≤ next start); it is not needed after the last slot before a pause or the block's end;
* slots in one room never overlap; the same person is never on stage twice at once, in any room;
* a slot lies inside its presenter's availability and in one of its allowed rooms.
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from flask import has_app_context
from flask_babel import gettext as _

from eventsys.core.timezones import to_local, zone_abbreviation

if TYPE_CHECKING:
    from collections.abc import Iterable

    from eventsys.exposes.scheduler import Block, Placement, PresenterSpec

RULES = ("overlap", "outside_availability", "outside_block", "double_booked", "short_buffer")


@dataclass(frozen=True)
class Violation:
    rule: str
    presenter_ids: tuple[int, ...]
    message: str


def person_key(person: str) -> str | None:
    """One presenter in two organizations' slots is the same person whatever the spacing or case."""
    key = " ".join((person or "").split()).casefold()
    return key or None


def slot_minutes(spec: PresenterSpec) -> int:
    return spec.talk_minutes + spec.qa_minutes


class Clock:
    """Formats instants in the event's zone; adds the day when the programme spans several days."""

    def __init__(self, zone: str, blocks: Iterable[Block] = ()):
        self.zone = zone
        self.with_day = len({to_local(b.starts_at, zone).date() for b in blocks}) > 1

    def _day(self, value: datetime) -> str:
        local = to_local(value, self.zone)
        if has_app_context():
            from flask_babel import format_date

            return format_date(local.date(), "EEE d MMM")
        return local.strftime("%a %d %b")

    def hm(self, value: datetime) -> str:
        return to_local(value, self.zone).strftime("%H:%M")

    def time(self, value: datetime) -> str:
        text = f"{self.hm(value)} {zone_abbreviation(self.zone, value)}"
        return f"{self._day(value)} {text}" if self.with_day else text

    def span(self, start: datetime, end: datetime) -> str:
        text = f"{self.hm(start)}–{self.hm(end)} {zone_abbreviation(self.zone, start)}"
        return f"{self._day(start)} {text}" if self.with_day else text

    def window(self, spec: PresenterSpec) -> str:
        """'13:00–14:00 WIB', 'from 13:00 WIB', 'until 16:00 WIB', or '' when always available."""
        start, until = spec.available_from, spec.available_until
        if start and until:
            if to_local(start, self.zone).date() == to_local(until, self.zone).date():
                return self.span(start, until)
            return f"{self.time(start)} – {self.time(until)}"
        if start:
            return _("from %(time)s", time=self.time(start))
        if until:
            return _("until %(time)s", time=self.time(until))
        return ""


def _minutes(n: int) -> timedelta:
    return timedelta(minutes=n)


# --- pins ---------------------------------------------------------------------------------------


def pin_problem(spec: PresenterSpec, blocks_by_id: dict[int, Block], clock: Clock) -> str | None:
    """Why a presenter's own pin cannot be kept, whatever the others do (None when it can)."""
    if spec.pinned_block_id is None and spec.pinned_start is None:
        return None
    if spec.pinned_block_id is None or spec.pinned_start is None:
        return _("%(name)s: a pinned slot needs both a block and a start time.", name=spec.name)
    block = blocks_by_id.get(spec.pinned_block_id)
    if block is None:
        return _("%(name)s: pinned to a block that is not in the programme.", name=spec.name)
    start = spec.pinned_start
    end = start + _minutes(slot_minutes(spec))
    slot = clock.span(start, end)
    if start < block.starts_at or end > block.ends_at:
        return _("%(name)s: the pinned slot %(slot)s does not fit in its block (%(block)s, %(room)s).", name=spec.name,
                 slot=slot, block=clock.span(block.starts_at, block.ends_at), room=block.room_name)
    if (spec.available_from and start < spec.available_from) or (spec.available_until and end > spec.available_until):
        return _("%(name)s: the pinned slot %(slot)s is outside its availability (%(window)s).", name=spec.name, slot=slot,
                 window=clock.window(spec))
    if spec.room_ids and block.room_id not in spec.room_ids:
        return _("%(name)s: pinned in %(room)s, which is not one of its allowed rooms.", name=spec.name, room=block.room_name)
    return None


def screen_pins(blocks_by_id: dict[int, Block], specs: Iterable[PresenterSpec], clock: Clock) -> tuple[list[PresenterSpec], dict[int, str]]:
    """The pins that can all be kept together, and a message for each one that cannot.

    Pins are taken by start (then order preference): a pin that overlaps one taken before it, leaves
    it less than its changeover, or puts the same person on stage twice is refused.
    """
    taken: list[PresenterSpec] = []
    refused: dict[int, str] = {}
    pinned = [s for s in specs if s.pinned_block_id is not None or s.pinned_start is not None]
    for spec in sorted(pinned, key=lambda s: (s.pinned_start is None, s.pinned_start.timestamp() if s.pinned_start else 0,
                                              s.order_key, s.id)):
        problem = pin_problem(spec, blocks_by_id, clock)
        if problem is None:
            problem = _pin_clash(spec, taken, blocks_by_id, clock)
        if problem is None:
            taken.append(spec)
        else:
            refused[spec.id] = problem
    return taken, refused


def _pin_clash(spec: PresenterSpec, taken: list[PresenterSpec], blocks_by_id: dict[int, Block], clock: Clock) -> str | None:
    block = blocks_by_id[spec.pinned_block_id]
    start, end = spec.pinned_start, spec.pinned_start + _minutes(slot_minutes(spec))
    for other in taken:
        o_block = blocks_by_id[other.pinned_block_id]
        o_start, o_end = other.pinned_start, other.pinned_start + _minutes(slot_minutes(other))
        names = dict(name=spec.name, slot=clock.span(start, end), other=other.name, other_slot=clock.span(o_start, o_end))
        if o_block.room_id == block.room_id:
            if start < o_end and o_start < end:
                return _("%(name)s and %(other)s are pinned to overlapping slots in %(room)s (%(slot)s and %(other_slot)s).",
                         room=block.room_name, **names)
            first, second = (other, spec) if o_start <= start else (spec, other)
            gap = (second.pinned_start - first.pinned_start) - _minutes(slot_minutes(first))
            if gap < _minutes(first.buffer_minutes):
                return _("%(name)s (%(slot)s) and %(other)s (%(other_slot)s) are pinned in %(room)s with less than the "
                         "%(minutes)s-minute changeover between them.", room=block.room_name, minutes=first.buffer_minutes, **names)
        key = person_key(spec.person)
        if key and key == person_key(other.person) and start < o_end and o_start < end:
            return _("%(person)s is pinned for %(name)s (%(slot)s) and %(other)s (%(other_slot)s) at the same time.",
                     person=spec.person, **names)
    return None


# --- bad input ----------------------------------------------------------------------------------


def availability_problem(spec: PresenterSpec, clock: Clock) -> str | None:
    if spec.available_from and spec.available_until and spec.available_until <= spec.available_from:
        return _("%(name)s: availability ends (%(until)s) before it starts (%(start)s).", name=spec.name,
                 until=clock.time(spec.available_until), start=clock.time(spec.available_from))
    return None


def length_problem(spec: PresenterSpec, blocks: list[Block]) -> str | None:
    if spec.talk_minutes < 1 or spec.qa_minutes < 0 or spec.buffer_minutes < 0:
        return _("%(name)s: the talk needs at least a minute, and Q&A and changeover cannot be negative.", name=spec.name)
    usable = [b for b in blocks if not spec.room_ids or b.room_id in spec.room_ids]
    longest = max((int((b.ends_at - b.starts_at).total_seconds()) // 60 for b in usable), default=0)
    if usable and slot_minutes(spec) > longest:
        return _("%(name)s: the slot (talk and Q&A, %(minutes)s min) is longer than every exposé block it may use "
                 "(the longest is %(longest)s min).", name=spec.name, minutes=slot_minutes(spec), longest=longest)
    return None


def validate_inputs(blocks: list[Block], presenters: list[PresenterSpec], *, zone: str = "Asia/Jakarta") -> list[str]:
    """Every problem in the input itself, one message each, before any scheduling."""
    clock = Clock(zone, blocks)
    messages = [
        _("The block in %(room)s (%(span)s) ends before it starts.", room=b.room_name, span=clock.span(b.starts_at, b.ends_at))
        for b in blocks if b.ends_at <= b.starts_at
    ]
    good_blocks = [b for b in blocks if b.ends_at > b.starts_at]
    specs = sorted(presenters, key=lambda s: (s.order_key, s.id))
    for spec in specs:
        messages += [m for m in (availability_problem(spec, clock), length_problem(spec, good_blocks)) if m]
    _taken, refused = screen_pins({b.id: b for b in good_blocks}, specs, clock)
    messages += [refused[s.id] for s in specs if s.id in refused]
    return messages


# --- checking a plan ----------------------------------------------------------------------------


def check(blocks: list[Block], presenters: list[PresenterSpec], placements: dict[int, Placement], *,
          zone: str = "Asia/Jakarta") -> list[Violation]:
    """Every hard rule a plan breaks (a hand-edited one included), one Violation per break."""
    clock = Clock(zone, blocks)
    blocks_by_id = {b.id: b for b in blocks}
    specs = {s.id: s for s in presenters}
    found: list[Violation] = []
    by_room: dict[int, list[tuple[Placement, PresenterSpec, Block]]] = defaultdict(list)
    by_person: dict[str, list[tuple[Placement, PresenterSpec]]] = defaultdict(list)
    for pid in sorted(placements):
        placement, spec = placements[pid], specs.get(pid)
        if spec is None:
            continue
        found += _own_rules(placement, spec, blocks_by_id.get(placement.block_id), clock)
        block = blocks_by_id.get(placement.block_id)
        if block is not None:
            by_room[block.room_id].append((placement, spec, block))
        if key := person_key(spec.person):
            by_person[key].append((placement, spec))
    for room_id in sorted(by_room):
        found += _room_rules(by_room[room_id], clock)
    for key in sorted(by_person):
        rows = sorted(by_person[key], key=lambda r: (r[0].starts_at, r[1].id))
        for i, (a, a_spec) in enumerate(rows):
            for b, b_spec in rows[i + 1:]:
                if b.starts_at >= a.ends_at:
                    break
                found.append(Violation("double_booked", (a_spec.id, b_spec.id), _(
                    "%(person)s presents for %(a)s (%(a_slot)s) and %(b)s (%(b_slot)s) at the same time.", person=a_spec.person,
                    a=a_spec.name, a_slot=clock.span(a.starts_at, a.ends_at), b=b_spec.name, b_slot=clock.span(b.starts_at, b.ends_at))))
    return found


def _own_rules(placement: Placement, spec: PresenterSpec, block: Block | None, clock: Clock) -> list[Violation]:
    found = []
    slot = clock.span(placement.starts_at, placement.ends_at)
    if block is None:
        found.append(Violation("outside_block", (spec.id,), _(
            "%(name)s: the slot %(slot)s is in a block that is not in the programme.", name=spec.name, slot=slot)))
    elif placement.starts_at < block.starts_at or placement.ends_at > block.ends_at:
        found.append(Violation("outside_block", (spec.id,), _(
            "%(name)s: the slot %(slot)s is outside its block (%(block)s, %(room)s).", name=spec.name, slot=slot,
            block=clock.span(block.starts_at, block.ends_at), room=block.room_name)))
    elif spec.room_ids and block.room_id not in spec.room_ids:
        found.append(Violation("outside_block", (spec.id,), _(
            "%(name)s: %(room)s is not one of its allowed rooms.", name=spec.name, room=block.room_name)))
    if (spec.available_from and placement.starts_at < spec.available_from) or (
            spec.available_until and placement.ends_at > spec.available_until):
        found.append(Violation("outside_availability", (spec.id,), _(
            "%(name)s: the slot %(slot)s is outside its availability (%(window)s).", name=spec.name, slot=slot,
            window=clock.window(spec))))
    return found


def _room_rules(rows: list[tuple[Placement, PresenterSpec, Block]], clock: Clock) -> list[Violation]:
    """Overlaps between any two slots of a room; a short changeover between neighbours that do not overlap."""
    found = []
    rows = sorted(rows, key=lambda r: (r[0].starts_at, r[1].id))
    for i, (a, a_spec, block) in enumerate(rows):
        names = dict(a=a_spec.name, a_slot=clock.span(a.starts_at, a.ends_at), room=block.room_name)
        for b, b_spec, _block in rows[i + 1:]:
            if b.starts_at >= a.ends_at:
                break
            found.append(Violation("overlap", (a_spec.id, b_spec.id), _(
                "%(a)s (%(a_slot)s) and %(b)s (%(b_slot)s) overlap in %(room)s.", b=b_spec.name,
                b_slot=clock.span(b.starts_at, b.ends_at), **names)))
        later = [r for r in rows[i + 1:] if r[0].starts_at >= a.ends_at]
        if later:
            b, b_spec, _block = later[0]
            if b.starts_at - a.ends_at < _minutes(a_spec.buffer_minutes):
                found.append(Violation("short_buffer", (a_spec.id, b_spec.id), _(
                    "%(a)s ends at %(end)s and %(b)s starts at %(start)s in %(room)s: less than the %(minutes)s-minute "
                    "changeover.", end=clock.hm(a.ends_at), b=b_spec.name, start=clock.hm(b.starts_at),
                    minutes=a_spec.buffer_minutes, **names)))
    return found


# --- why someone was not placed ------------------------------------------------------------------


def unplaced_message(code: str, spec: PresenterSpec, clock: Clock, shared_person: bool = False) -> str:
    """The reason for the codes the scheduler finds itself (pins and bad input carry their own message)."""
    window = clock.window(spec)
    if code == "no_block_in_availability":
        if spec.room_ids and window:
            return _("%(name)s: available %(window)s, but no exposé block in its allowed rooms has room for a %(minutes)s-minute "
                     "slot then.", name=spec.name, window=window, minutes=slot_minutes(spec))
        if spec.room_ids:
            return _("%(name)s: no exposé block in its allowed rooms has room for a %(minutes)s-minute slot.", name=spec.name,
                     minutes=slot_minutes(spec))
        if window:
            return _("%(name)s: available %(window)s, but no exposé block has room for a %(minutes)s-minute slot then.",
                     name=spec.name, window=window, minutes=slot_minutes(spec))
        return _("%(name)s: no exposé block has room for a %(minutes)s-minute slot.", name=spec.name, minutes=slot_minutes(spec))
    if shared_person:
        if window:
            return _("%(name)s: available %(window)s, but the blocks are full then or %(person)s presents elsewhere at those "
                     "times.", name=spec.name, window=window, person=spec.person)
        return _("%(name)s: the blocks are full, or %(person)s presents elsewhere at the free times.", name=spec.name,
                 person=spec.person)
    if window:
        return _("%(name)s: available %(window)s, but the block is full then.", name=spec.name, window=window)
    return _("%(name)s: every exposé block it may use is full.", name=spec.name)
