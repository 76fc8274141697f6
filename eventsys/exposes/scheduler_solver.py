"""The exposé scheduling problem as OR-Tools CP-SAT models, started from the greedy plan.

Per free presenter: one start variable (the union of its candidate blocks' grid starts, plus the end of
the programme meaning "unplaced"), one literal per candidate block; per room one optional interval of
talk + Q&A + changeover (NoOverlap per room); per person presenting more than once one optional interval of
talk + Q&A (NoOverlap per person). Pins, and presenters left where the plan so far put them, are fixed
intervals.

Two uses:
* `repair` — place more presenters and keep more earlier placements (n_kept + 1 per unplaced presenter,
  1 per moved one). A programme of up to MAX_PAIRS (presenter, block) pairs is modelled whole; a larger one
  in rounds, each freeing GROUP troubled presenters (unplaced, or away from their earlier slot), the
  BLOCKS_EACH blocks nearest their window or earlier slot, whoever the plan put in those blocks and
  every unplaced presenter who could use one of them.
* `polish` — the order cost (Problem.order_cost) with the placement cost held, on programmes small
  enough to model whole.

CP-SAT runs on one worker with a fixed seed and a limit in deterministic time, so it answers the same
model the same way. Its deterministic clock runs 3–50× behind the wall clock on these interval models on
a busy 2-core machine (more on larger models), hence the small limits and the small neighbourhoods; the
wall-clock cap is a safety net far above them, reached only on an overloaded machine (and only then can
two runs differ).
"""
from __future__ import annotations

from collections import defaultdict
from typing import TYPE_CHECKING

from ortools.sat.python import cp_model
from ortools.util.python.sorted_interval_list import Domain

if TYPE_CHECKING:
    from eventsys.exposes.scheduler import Assignment, Problem

MAX_PAIRS = 800
GROUP, BLOCKS_EACH = 3, 4
SEED = 20171115
DETERMINISTIC_SHARE = 0.1  # deterministic seconds granted per second of `time_limit`
WALL_CAP = 30.0  # wall seconds per deterministic second before the safety net stops a solve


class Budget:
    """The deterministic seconds left for this call of `schedule`."""

    def __init__(self, time_limit: float):
        self.left = max(0.0, time_limit) * DETERMINISTIC_SHARE

    def grant(self, pairs: int) -> float:
        return min(self.left, 0.02 + 0.0002 * pairs)


def repair(p: Problem, hint: Assignment, budget: Budget) -> Assignment:
    """A plan at least as good as `hint` by Problem.cost: more placed, or fewer moved."""
    if budget.left <= 0:
        return hint
    if sum(len(c) for c in p.cands.values()) <= MAX_PAIRS:
        model = _Model(p, p.cands, hint)
        return _better(p, hint, model.solve(model.placement_cost, budget))
    plan = hint
    troubled = [i for i in sorted(p.cands) if i not in hint or (i in p.previous and hint[i] != p.previous[i])]
    for k in range(0, len(troubled), GROUP):
        group = [i for i in troubled[k:k + GROUP] if i not in plan or (i in p.previous and plan[i] != p.previous[i])]
        if budget.left <= 0:
            break
        if group:
            model = _Model(p, _neighbourhood(p, plan, group), plan)
            plan = _better(p, plan, model.solve(model.placement_cost, budget))
    return plan


def polish(p: Problem, hint: Assignment, budget: Budget) -> Assignment:
    """The same number placed and kept as `hint`, in a better order (on programmes small enough)."""
    if not p.cands or sum(len(c) for c in p.cands.values()) > MAX_PAIRS or budget.left <= 0:
        return hint
    model = _Model(p, p.cands, hint)
    model.model.add(model.placement_cost <= model.placement_value(hint))
    return _better(p, hint, model.solve(model.order_cost, budget))


def _better(p: Problem, plan: Assignment, found: Assignment | None) -> Assignment:
    return found if found is not None and p.cost(found) < p.cost(plan) else plan


def _neighbourhood(p: Problem, plan: Assignment, group: list[int]) -> dict[int, list[tuple[int, int, int]]]:
    blocks: set[int] = set()
    for i in group:
        target = p.lo[i]
        if i in p.previous:
            blocks.add(p.previous[i][0])
            target = p.previous[i][1]
        near = sorted(p.cands[i], key=lambda c: (abs(p.bs[c[0]] - target), c[0]))
        blocks.update(b for b, _first, _last in near[:BLOCKS_EACH])
    free = set(group) | {i for i, (b, _start) in plan.items() if b in blocks and i in p.cands}
    free |= {i for i, cands in p.cands.items() if i not in plan and any(c[0] in blocks for c in cands)}
    return {i: [c for c in p.cands[i] if c[0] in blocks or (i in plan and c[0] == plan[i][0])] for i in sorted(free)}


class _Model:
    def __init__(self, p: Problem, cands: dict[int, list[tuple[int, int, int]]], hint: Assignment):
        self.p = p
        self.model = model = cp_model.CpModel()
        self.pairs = sum(len(c) for c in cands.values())
        self.start: dict[int, cp_model.IntVar] = {}
        self.at: dict[int, dict[int, cp_model.IntVar]] = {}
        self.kept: dict[int, cp_model.IntVar] = {}
        self.unplaced: dict[int, cp_model.IntVar] = {}
        self.in_room: list[tuple[cp_model.IntVar, int, list[int]]] = []  # (literal, presenter, the room's blocks)
        self.fixed: Assignment = {i: at for i, at in hint.items() if i not in cands}
        rooms: dict[int, list] = defaultdict(list)
        persons: dict[int, list] = defaultdict(list)
        for i, (b, start) in self.fixed.items():
            rooms[p.room[b]].append(model.new_fixed_size_interval_var(start, p.pad[i], ""))
            if p.person[i] is not None:
                persons[p.person[i]].append(model.new_fixed_size_interval_var(start, p.dur[i], ""))
        for i in sorted(cands):
            self._presenter(i, cands[i], rooms, persons)
        for intervals in [*rooms.values(), *persons.values()]:
            if len(intervals) > 1:
                model.add_no_overlap(intervals)
        weight_unplaced = len(p.previous) + 1
        self.placement_cost = weight_unplaced * sum(self.unplaced.values()) + sum(1 - k for k in self.kept.values())
        self.order_cost = self._order_cost()
        self.hint(hint)

    def _presenter(self, i: int, cands: list[tuple[int, int, int]], rooms: dict, persons: dict) -> None:
        p, model = self.p, self.model
        earlier = p.previous.get(i)
        lits, by_room, domains = {}, defaultdict(list), []
        for b, first, last in cands:
            values = Domain.from_values(list(range(first, last + 1, p.step)))
            if earlier and earlier[0] == b:
                values = values.union_with(Domain(earlier[1], earlier[1]))
            lits[b] = model.new_bool_var("")
            domains.append((values, lits[b]))
            by_room[p.room[b]].append(b)
        union = Domain(p.horizon, p.horizon)
        for values, _lit in domains:
            union = union.union_with(values)
        self.start[i] = start = model.new_int_var_from_domain(union, "")
        for values, lit in domains:
            model.add_linear_expression_in_domain(start, values).only_enforce_if(lit)
        self.unplaced[i] = none = model.new_bool_var("")
        model.add_exactly_one([*lits.values(), none])
        model.add(start == p.horizon).only_enforce_if(none)
        for r, blocks in sorted(by_room.items()):
            present = model.new_bool_var("")
            model.add(sum(lits[b] for b in blocks) == present)
            self.in_room.append((present, i, blocks))
            rooms[r].append(model.new_optional_fixed_size_interval_var(start, p.pad[i], present, ""))
        if p.person[i] is not None:
            persons[p.person[i]].append(model.new_optional_fixed_size_interval_var(start, p.dur[i], ~none, ""))
        if earlier and earlier[0] in lits:
            self.kept[i] = kept = model.new_bool_var("")
            model.add_implication(kept, lits[earlier[0]])
            model.add(start == earlier[1]).only_enforce_if(kept)
        self.at[i] = lits

    def _order_cost(self):
        """Problem.order_cost over the free presenters: inversions among near ranks, then Σ weight·start."""
        p, model = self.p, self.model

        def start_of(i):
            return self.start[i] if i in self.start else self.fixed.get(i, (None, p.horizon))[1]

        inversions = []
        for a, b in p.near_pairs():
            if a in self.start or b in self.start:
                inverted = model.new_bool_var("")
                model.add(start_of(a) <= start_of(b)).only_enforce_if(~inverted)
                inversions.append(inverted)
        return p.inversion_weight * sum(inversions) + sum(p.weight(i) * s for i, s in self.start.items())

    def placement_value(self, plan: Assignment) -> int:
        weight_unplaced = len(self.p.previous) + 1
        return weight_unplaced * sum(i not in plan for i in self.start) + sum(plan.get(i) != self.p.previous[i] for i in self.kept)

    def hint(self, plan: Assignment) -> None:
        p, model = self.p, self.model
        for i, start in self.start.items():
            b, at = plan.get(i, (None, p.horizon))
            model.add_hint(start, at)
            model.add_hint(self.unplaced[i], i not in plan)
            for block, lit in self.at[i].items():
                model.add_hint(lit, block == b)
            if i in self.kept:
                model.add_hint(self.kept[i], plan.get(i) == p.previous[i])
        for present, i, blocks in self.in_room:
            model.add_hint(present, plan.get(i, (None,))[0] in blocks)

    def solve(self, objective, budget: Budget) -> Assignment | None:
        self.model.minimize(objective)
        limit = budget.grant(self.pairs)
        solver = cp_model.CpSolver()
        params = solver.parameters
        params.num_workers = 1
        params.random_seed = SEED
        params.cp_model_probing_level = 0  # probing's deterministic clock lags its wall clock by far on interval models
        params.max_deterministic_time = limit
        params.max_time_in_seconds = limit * WALL_CAP + 0.5
        status = solver.solve(self.model)
        budget.left -= max(limit, solver.response_proto.deterministic_time)
        if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
            return None
        plan = dict(self.fixed)
        for i, lits in self.at.items():
            for b, lit in lits.items():
                if solver.boolean_value(lit):
                    plan[i] = (b, solver.value(self.start[i]))
        return plan
