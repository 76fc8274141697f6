"""The exposé auto-scheduler's greedy passes: quick plans the solver starts from, and a tidying pass.

Presenters are placed one at a time at the earliest free start on their blocks' grids (the earliest block
first); a room's slots, each followed by its changeover, never overlap, nor do one person's slots.
"""
from __future__ import annotations

from bisect import bisect_left
from collections import defaultdict
from typing import TYPE_CHECKING

REACH = 2  # how far apart in rank two presenters still count as neighbours for the order cost

if TYPE_CHECKING:
    from eventsys.exposes.scheduler import Assignment, Problem


class Board:
    """The rooms' and persons' busy times while the greedy pass fills them."""

    def __init__(self, p: Problem):
        self.p = p
        self.starts: list[list[int]] = [[] for _ in range(p.n_rooms)]
        self.ends: list[list[int]] = [[] for _ in range(p.n_rooms)]  # padded ends; a room's padded slots never overlap
        self.busy: dict[int, list[tuple[int, int]]] = defaultdict(list)
        self.at: Assignment = {}

    def clash(self, i: int, b: int, start: int) -> int | None:
        """None when the slot is free; else a time before which it cannot start."""
        p = self.p
        r = p.room[b]
        k = bisect_left(self.starts[r], start + p.pad[i])
        latest = self.ends[r][k - 1] if k and self.ends[r][k - 1] > start else None
        if p.person[i] is not None:
            for s, e in self.busy[p.person[i]]:
                if s < start + p.dur[i] and e > start:
                    latest = max(latest or e, e)
        return latest

    def put(self, i: int, b: int, start: int) -> None:
        p, r = self.p, self.p.room[b]
        k = bisect_left(self.starts[r], start)
        self.starts[r].insert(k, start)
        self.ends[r].insert(k, start + p.pad[i])
        if p.person[i] is not None:
            self.busy[p.person[i]].append((start, start + p.dur[i]))
        self.at[i] = (b, start)

    def earliest(self, i: int, b: int, first: int, last: int) -> int | None:
        start = first
        while start <= last:
            blocked = self.clash(i, b, start)
            if blocked is None:
                return start
            start = self.p.grid_up(b, blocked)
        return None

    def place(self, i: int) -> bool:
        best: tuple[int, int] | None = None
        for b, first, last in self.p.cands[i]:  # blocks by start: stop when none can start earlier
            if best is not None and self.p.bs[b] >= best[1]:
                break
            start = self.earliest(i, b, first, last)
            if start is not None and (best is None or start < best[1]):
                best = (b, start)
        if best is not None:
            self.put(i, *best)
        return best is not None


def greedy(p: Problem, order: list[int], held: Assignment | None = None, keep_previous: bool = True) -> Assignment:
    """Pins, then the earlier placements that still fit, then `held`, then `order` at the earliest free start."""
    board = Board(p)
    for i, (b, start) in sorted(p.pins.items()):
        board.put(i, b, start)
    kept = sorted(p.previous.items()) if keep_previous else []
    for i, (b, start) in [*kept, *sorted((held or {}).items())]:
        if i not in board.at and board.clash(i, b, start) is None:
            board.put(i, b, start)
    for i in order:
        if i not in board.at:
            board.place(i)
    return board.at


def reflow(p: Problem, base: Assignment, held: Assignment | None = None, keep_previous: bool = True) -> Assignment:
    """Everyone by rank again, holding for each one that would then stay out the place `base` gives it."""
    free = sorted(p.cands)
    held = dict(held or {})
    plan = greedy(p, free, held, keep_previous)
    for _round in range(6):
        missing = {i: base[i] for i in free if i not in plan and i in base and i not in held}
        if not missing:
            break
        held.update(missing)
        plan = greedy(p, free, held, keep_previous)
    return plan


def best_greedy(p: Problem) -> Assignment:
    """The cheaper by Problem.cost of: everyone by rank; the most constrained first (fewest possible
    starts); and by rank again, holding for those the first pass left out the place the second found."""
    free = sorted(p.cands)
    room = {i: sum((last - first) // p.step + 1 for _b, first, last in p.cands[i] if last >= first) for i in free}
    tight = greedy(p, sorted(free, key=lambda i: (room[i], i)))
    return min([greedy(p, free), tight, reflow(p, tight)], key=p.cost)


def tidy(p: Problem, plan: Assignment) -> Assignment:
    """Swaps two presenters of the same length who start against the preferred order, when each may take
    the other's place and fewer pairs of near ranks are then out of order. Pins and kept placements stay."""
    plan = dict(plan)
    position = {i: k for k, i in enumerate(p.ranked())}
    ranked = p.ranked()
    groups: dict[tuple[int, int], list[int]] = defaultdict(list)
    for i in sorted(plan):
        if i not in p.pins and plan[i] != p.previous.get(i):
            groups[(p.dur[i], p.pad[i])].append(i)

    def inversions(i: int) -> int:
        k = position[i]
        near = ranked[max(0, k - REACH):k] + ranked[k + 1:k + 1 + REACH]
        start = plan[i][1]
        return sum((plan.get(j, (0, p.horizon))[1] > start) if position[j] < k else (start > plan.get(j, (0, p.horizon))[1])
                   for j in near)

    for members in groups.values():
        for _round in range(len(members)):
            swapped = False
            for x, a in enumerate(members):
                for b in members[x + 1:]:
                    if plan[a][1] > plan[b][1] and _may_swap(p, plan, a, b):
                        before = inversions(a) + inversions(b)
                        plan[a], plan[b] = plan[b], plan[a]
                        if inversions(a) + inversions(b) >= before:
                            plan[a], plan[b] = plan[b], plan[a]
                        else:
                            swapped = True
            if not swapped:
                break
    return plan


def _may_swap(p: Problem, plan: Assignment, a: int, b: int) -> bool:
    (block_a, start_a), (block_b, start_b) = plan[a], plan[b]
    if not (p.fits(a, block_b, start_b) and p.fits(b, block_a, start_a)):
        return False
    for i, start in ((a, start_b), (b, start_a)):
        if p.person[i] is not None:
            for j, (_block, other) in plan.items():
                if j not in (a, b) and p.person[j] == p.person[i] and other < start + p.dur[i] and start < other + p.dur[j]:
                    return False
    return True
