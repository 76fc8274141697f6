"""The exposé auto-scheduler: places presenters in the agenda's exposé blocks. Pure: no database, no request.

What it keeps (the hard rules; `check` reports a plan that breaks one, scheduler_explain has the details):
each slot (talk + Q&A) inside one block of an allowed room and inside its presenter's availability, starting
on the step grid counted from the block's start (pins and kept earlier placements may lie off it); no two
slots of a room overlapping, and each followed in its room by its changeover buffer — which is not needed
after the last slot before a pause or the block's end; one person never on stage twice at once; pins exact.

What it wants, in this order (each outweighs all of the next):
1. place as many presenters as it can;
2. when re-planning (`previous`), keep as many earlier placements exactly as they were ("minimum change");
3. follow the order preference (Problem.order_cost): few pairs of near ranks in the wrong order, then
   Σ weight·start with the weight falling with the rank — which sorts slots of equal length by rank, in one
   room or in several side by side, and packs them towards the start of their blocks (no needless gaps).
   A presenter who can only come late takes a late slot; the others keep their order instead of waiting.

How: greedy passes (pins, the earlier placements that still hold, then everyone by rank at the earliest free
start; and variants taking the most constrained first), then OR-Tools CP-SAT (scheduler_solver) to place
more and move fewer, a swap pass to mend the order, and CP-SAT again to polish the order of programmes
small enough. Every plan is checked with `check` before it replaces another. The solver runs on one worker
with a fixed seed and deterministic-time limits, and the input is sorted first, so the same programme (in
any order) gives the same plan.
"""
from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from eventsys.exposes import scheduler_solver
from eventsys.exposes.scheduler_explain import (
    RULES,
    Clock,
    Violation,
    availability_problem,
    check,
    length_problem,
    person_key,
    screen_pins,
    slot_minutes,
    unplaced_message,
    validate_inputs,
)
from eventsys.exposes.scheduler_greedy import REACH, best_greedy, reflow, tidy

__all__ = ["RULES", "Block", "Placement", "Plan", "PresenterSpec", "Unplaced", "Violation", "check", "schedule", "validate_inputs"]


@dataclass(frozen=True)
class Block:
    """An exposé block of the agenda: one room, one time span (aware UTC datetimes)."""

    id: int
    room_id: int
    room_name: str
    starts_at: datetime
    ends_at: datetime


@dataclass(frozen=True)
class PresenterSpec:
    id: int
    name: str  # the organization, as messages name it
    person: str  # who presents; "" when unknown
    talk_minutes: int
    qa_minutes: int
    buffer_minutes: int  # changeover after the slot
    available_from: datetime | None
    available_until: datetime | None
    pinned_block_id: int | None
    pinned_start: datetime | None
    order_key: tuple  # lower = earlier
    room_ids: frozenset[int] = frozenset()  # allowed rooms; empty = any


@dataclass(frozen=True)
class Placement:
    presenter_id: int
    block_id: int
    starts_at: datetime
    ends_at: datetime  # start + talk + Q&A


@dataclass(frozen=True)
class Unplaced:
    presenter_id: int
    code: str  # availability_invalid, bad_length, too_long, pin_invalid, no_block_in_availability, blocks_full
    message: str


@dataclass
class Plan:
    placements: dict[int, Placement]
    unplaced: list[Unplaced]
    moved: list[int]  # presenters of `previous` now in another block or at another start (or unplaced)
    order_pairs_met: int  # neighbours in the preferred order (among the placed) whose starts keep that order
    order_pairs_total: int


# Inside the scheduler presenters and blocks are indexes, starts whole units of `unit` seconds after the
# first block's start, and an assignment maps a presenter's index to (block index, start). The unit divides
# every start there can be (the step, block starts, pins, earlier placements), so a length rounded up to
# whole units keeps exactly the same starts apart; ends are compared in seconds.
Assignment = dict[int, tuple[int, int]]


@dataclass
class Problem:
    blocks: list[Block]  # by start, room, id
    specs: list[PresenterSpec]  # by order preference: the index is the rank
    origin: datetime
    unit: int
    step: int
    bs: list[int]
    be: list[int]  # in seconds, as are the availability bounds and the slot's length below
    room: list[int]  # the block's room, as 0..n_rooms-1
    n_rooms: int
    dur: list[int]  # talk + Q&A, in units rounded up
    pad: list[int]  # talk + Q&A + changeover, in units rounded up: what a slot takes from its room
    length: list[int]  # talk + Q&A in seconds
    lo: list[int]  # availability: the first start, in units
    hi: list[int]  # availability: the last end, in seconds
    person: list[int | None]  # a person presenting for two or more presenters, as 0..
    horizon: int  # the end of the last block; where an unplaced presenter counts for the order
    pins: Assignment
    previous: Assignment  # earlier placements that would still be valid on their own
    cands: dict[int, list[tuple[int, int, int]]]  # presenter → (block, first, last start on its grid)
    failed: dict[int, tuple[str, str]]  # presenter → (code, message): cannot be placed at all

    def weight(self, i: int) -> int:
        return len(self.specs) - i

    def grid_up(self, b: int, t: int) -> int:
        return self.bs[b] + -(-(t - self.bs[b]) // self.step) * self.step

    def grid_down(self, b: int, t: int) -> int:
        return self.bs[b] + (t - self.bs[b]) // self.step * self.step

    def fits(self, i: int, b: int, start: int) -> bool:
        """Whether presenter i may start there, leaving the others aside (off the grid allowed)."""
        spec, block = self.specs[i], self.blocks[b]
        return ((not spec.room_ids or block.room_id in spec.room_ids) and start >= max(self.bs[b], self.lo[i])
                and start * self.unit + self.length[i] <= min(self.be[b], self.hi[i]))

    def ranked(self) -> list[int]:
        return [i for i in range(len(self.specs)) if i not in self.failed]

    def near_pairs(self) -> list[tuple[int, int]]:
        """Presenters close in the preferred order (up to REACH apart), earlier one first."""
        ranked = self.ranked()
        return [(a, b) for k in range(1, REACH + 1) for a, b in zip(ranked, ranked[k:], strict=False)]

    @property
    def inversion_weight(self) -> int:
        return len(self.specs) * max(self.pad, default=1)

    def order_cost(self, plan: Assignment) -> int:
        """inversion_weight per pair of near ranks that starts in the wrong order, plus Σ weight·start.

        Σ weight·start alone would put short slots before long ones of the next rank (weights of
        neighbours are nearly equal, Smith's rule); an inversion costs more than any such gain, yet far
        less than delaying everyone after a presenter who can only come late.
        """
        def start(i: int) -> int:
            return plan.get(i, (0, self.horizon))[1]

        inverted = sum(start(a) > start(b) for a, b in self.near_pairs())
        return self.inversion_weight * inverted + sum(self.weight(i) * start(i) for i in self.ranked())

    def cost(self, plan: Assignment) -> tuple[int, int, int]:
        """(unplaced, moved, order) — what the scheduler minimizes, in that order."""
        unplaced = sum(i not in plan for i in self.ranked())
        moved = sum(plan.get(i) != at for i, at in self.previous.items())
        return unplaced, moved, self.order_cost(plan)


def schedule(blocks: list[Block], presenters: list[PresenterSpec], *, previous: dict[int, Placement] | None = None,
             zone: str = "Asia/Jakarta", step_minutes: int = 5, time_limit: float = 8.0) -> Plan:
    """Places every presenter it can; says for each one it cannot who and why.

    `time_limit` (seconds) sets the solver's budget in deterministic time (scheduler_solver.Budget): a
    tenth of it, which on a busy 2-core machine takes about that many wall seconds at worst.
    """
    previous = previous or {}
    clock = Clock(zone, blocks)
    problem = prepare(blocks, presenters, previous, clock, max(1, step_minutes))
    plan = best_greedy(problem)
    budget = scheduler_solver.Budget(time_limit)
    unplaced, moved, _order = problem.cost(plan)
    if unplaced or moved:
        repaired = scheduler_solver.repair(problem, plan, budget)
        if repaired is not plan:
            kept = {i: at for i, at in problem.previous.items() if repaired.get(i) == at}
            plan = _better(problem, plan, [repaired, reflow(problem, repaired, kept, keep_previous=False)], zone)
    plan = _better(problem, plan, [tidy(problem, plan)], zone)
    plan = _better(problem, plan, [scheduler_solver.polish(problem, plan, budget)], zone)
    return _finish(problem, plan, previous, clock)


def _better(p: Problem, plan: Assignment, others: list[Assignment], zone: str) -> Assignment:
    """The cheapest of the plans; a solver's plan is checked like a hand-made one before it replaces one."""
    for other in others:
        if p.cost(other) < p.cost(plan) and not check(p.blocks, p.specs, _placements(p, other), zone=zone):
            plan = other
    return plan


def prepare(blocks: list[Block], presenters: list[PresenterSpec], previous: dict[int, Placement], clock: Clock,
            step_minutes: int) -> Problem:
    blocks = sorted((b for b in blocks if b.ends_at > b.starts_at), key=lambda b: (b.starts_at, b.room_id, b.id))
    specs = sorted(presenters, key=lambda s: (s.order_key, s.id))
    origin = blocks[0].starts_at if blocks else datetime(2000, 1, 1, tzinfo=UTC)
    index = {b.id: k for k, b in enumerate(blocks)}
    failed: dict[int, tuple[str, str]] = {}
    for i, spec in enumerate(specs):
        if spec.talk_minutes < 1 or spec.qa_minutes < 0 or spec.buffer_minutes < 0:
            failed[i] = ("bad_length", length_problem(spec, blocks))
        elif message := availability_problem(spec, clock):
            failed[i] = ("availability_invalid", message)
        elif message := length_problem(spec, blocks):
            failed[i] = ("too_long", message)
    taken, refused = screen_pins({b.id: b for b in blocks}, [s for i, s in enumerate(specs) if i not in failed], clock)
    rank = {s.id: i for i, s in enumerate(specs)}
    failed.update({rank[pid]: ("pin_invalid", message) for pid, message in refused.items()})
    pinned = {rank[s.id] for s in taken}

    def seconds(value: datetime) -> int:
        return (value - origin) // timedelta(seconds=1)

    exact = [step_minutes * 60] + [seconds(b.starts_at) for b in blocks]
    exact += [seconds(specs[i].pinned_start) for i in pinned]
    exact += [seconds(p.starts_at) for pid, p in previous.items() if pid in rank and p.block_id in index]
    unit = math.gcd(*exact) or 60
    rooms = {room_id: r for r, room_id in enumerate(sorted({b.room_id for b in blocks}))}
    bs = [seconds(b.starts_at) // unit for b in blocks]
    be = [seconds(b.ends_at) for b in blocks]
    horizon = -(-max(be, default=0) // unit)
    far = horizon * unit + 1
    persons: dict[str, list[int]] = defaultdict(list)
    for i, spec in enumerate(specs):
        if i not in failed and (key := person_key(spec.person)):
            persons[key].append(i)
    shared = {i: p for p, members in enumerate(m for m in persons.values() if len(m) > 1) for i in members}
    problem = Problem(
        blocks=blocks, specs=specs, origin=origin, unit=unit, step=step_minutes * 60 // unit, bs=bs, be=be,
        room=[rooms[b.room_id] for b in blocks], n_rooms=len(rooms),
        dur=[-(-slot_minutes(s) * 60 // unit) for s in specs],
        pad=[-(-(slot_minutes(s) + max(0, s.buffer_minutes)) * 60 // unit) for s in specs],
        length=[slot_minutes(s) * 60 for s in specs],
        lo=[max(0, -(-seconds(s.available_from) // unit)) if s.available_from else 0 for s in specs],
        hi=[min(far, seconds(s.available_until)) if s.available_until else far for s in specs],
        person=[shared.get(i) for i in range(len(specs))], horizon=horizon,
        pins={i: (index[specs[i].pinned_block_id], seconds(specs[i].pinned_start) // unit) for i in pinned},
        previous={}, cands={}, failed=failed,
    )
    for i, spec in enumerate(specs):
        if i in failed or i in pinned:
            continue
        earlier = previous.get(spec.id)
        if earlier is not None and earlier.block_id in index:
            b, start = index[earlier.block_id], seconds(earlier.starts_at) // unit
            if problem.fits(i, b, start):
                problem.previous[i] = (b, start)
        cands = []
        for b, block in enumerate(blocks):
            if spec.room_ids and block.room_id not in spec.room_ids:
                continue
            first = problem.grid_up(b, max(bs[b], problem.lo[i]))
            last = problem.grid_down(b, (min(be[b], problem.hi[i]) - problem.length[i]) // unit)
            if first <= last or problem.previous.get(i, (None,))[0] == b:
                cands.append((b, first, last))
        if cands:
            problem.cands[i] = cands
        else:
            failed[i] = ("no_block_in_availability", unplaced_message("no_block_in_availability", spec, clock))
    return problem


def _placements(p: Problem, plan: Assignment) -> dict[int, Placement]:
    unit = timedelta(seconds=p.unit)
    found = {}
    for i, (b, start) in plan.items():
        begins = p.origin + start * unit
        found[p.specs[i].id] = Placement(p.specs[i].id, p.blocks[b].id, begins, begins + timedelta(seconds=p.length[i]))
    return found


def _finish(p: Problem, plan: Assignment, previous: dict[int, Placement], clock: Clock) -> Plan:
    placements = _placements(p, plan)
    unplaced = []
    for i, spec in enumerate(p.specs):
        if i in p.failed:
            unplaced.append(Unplaced(spec.id, *p.failed[i]))
        elif i not in plan:
            unplaced.append(Unplaced(spec.id, "blocks_full", unplaced_message("blocks_full", spec, clock, p.person[i] is not None)))
    moved = [
        s.id for s in p.specs if s.id in previous and (
            s.id not in placements
            or (placements[s.id].block_id, placements[s.id].starts_at) != (previous[s.id].block_id, previous[s.id].starts_at))
    ]
    ranked = [placements[s.id].starts_at for s in p.specs if s.id in placements]
    met = sum(a <= b for a, b in zip(ranked, ranked[1:], strict=False))
    return Plan(placements, unplaced, moved, met, max(0, len(ranked) - 1))
