"""Benchmark of the exposé auto-scheduler (issue 5): the 2017 night and a 500-presenter, 20-room, 3-day programme.

    .venv/bin/python bench/expose_scheduler.py [--seed 5] [--time-limit 8]

Prints, per instance: wall time of `schedule`, hard-rule violations found by `check` (goal 0), placed and
unplaced, order pairs met / total, and the same-run baselines: the greedy pass alone (what the solver
starts from) and input sorted by the order preference, each slot at the earliest free start.
No database, no app: the scheduler is pure.
"""
from __future__ import annotations

import argparse
import os
import random
import sys
import time
from dataclasses import replace
from datetime import datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from eventsys.core.timezones import local_to_utc  # noqa: E402
from eventsys.demo_data import EXPOSE_REGIONS  # noqa: E402
from eventsys.exposes import scheduler, scheduler_greedy  # noqa: E402
from eventsys.exposes.scheduler import Block, PresenterSpec, check, schedule  # noqa: E402
from eventsys.exposes.scheduler_explain import Clock  # noqa: E402

ZONE = "Asia/Jakarta"
PROVINCES = sorted({province for _name, _kind, province, _zone in EXPOSE_REGIONS}) + [
    "Aceh", "Sumatera Utara", "Sumatera Barat", "Lampung", "Bengkulu", "Kalimantan Selatan", "Gorontalo", "Maluku", "Papua",
]


def wib(day: int, hhmm: str) -> datetime:
    hours, minutes = map(int, hhmm.split(":"))
    return local_to_utc(datetime(2017, 11, day, hours, minutes), ZONE)


def spec(i: int, name: str, talk: int, qa: int, buffer: int, order_key: tuple, **fields) -> PresenterSpec:
    values = dict(person=f"Kepala Daerah {name}", available_from=None, available_until=None, pinned_block_id=None,
                  pinned_start=None)
    values.update(fields)
    return PresenterSpec(id=i, name=name, talk_minutes=talk, qa_minutes=qa, buffer_minutes=buffer, order_key=order_key, **values)


def night_2017(variant: str) -> tuple[list[Block], list[PresenterSpec]]:
    """The 25 regions in protocol order (seed 004), 10 min talk + 5 min Q&A.

    'one-block': one room, 14:00–17:45, 2 min changeover — as briefed; holds 11 slots, so 14 stay unplaced.
    'demo': the demo's agenda, Ballroom and Ruang Sidang 1, 14:00–15:30 and 16:00–17:45, no changeover.
    'one-room': one room, 2 min changeover, one block long enough for all 25 (13:00–21:15); Kota Semarang
    must leave by 15:00 and Kab. Mimika arrives after 17:00.
    """
    spans = {"one-block": [(1, "Ballroom", "14:00", "17:45")], "one-room": [(1, "Ballroom", "13:00", "21:15")],
             "demo": [(1, "Ballroom", "14:00", "15:30"), (2, "Ruang Sidang 1", "14:00", "15:30"),
                      (1, "Ballroom", "16:00", "17:45"), (2, "Ruang Sidang 1", "16:00", "17:45")]}[variant]
    blocks = [Block(k + 1, room, name, wib(15, start), wib(15, end)) for k, (room, name, start, end) in enumerate(spans)]
    buffer = 0 if variant == "demo" else 2
    presenters = [spec(k + 1, name, 10, 5, buffer, (k,)) for k, (name, *_rest) in enumerate(EXPOSE_REGIONS)]
    if variant == "one-room":
        presenters[0] = replace(presenters[0], available_until=wib(15, "15:00"))
        presenters[23] = replace(presenters[23], available_from=wib(15, "17:00"))
    return blocks, presenters


def big_programme(seed: int, n: int = 500, rooms: int = 20, days: int = 3) -> tuple[list[Block], list[PresenterSpec]]:
    """n presenters, `rooms` rooms × `days` days × (09:00–12:00, 13:00–17:00); about 10 % pinned, 40 % with an
    availability window, 10 % limited to three rooms, 5 % sharing their presenter with another organization."""
    rng = random.Random(seed)
    blocks = []
    for day in range(days):
        for room in range(1, rooms + 1):
            for start, end in (("09:00", "12:00"), ("13:00", "17:00")):
                blocks.append(Block(len(blocks) + 1, room, f"Ruang {room}", wib(14 + day, start), wib(14 + day, end)))
    presenters = []
    for i in range(1, n + 1):
        name = f"Kab. Daerah {i:03d}"
        fields = {}
        kind = rng.random()
        day = 14 + rng.randrange(days)
        if kind < 0.15:
            fields["available_from"] = wib(day, rng.choice(["10:00", "13:00", "14:30"]))
        elif kind < 0.30:
            fields["available_until"] = wib(day, rng.choice(["12:00", "15:00", "16:00"]))
        elif kind < 0.40:
            fields["available_from"], fields["available_until"] = wib(day, "09:00"), wib(day, "17:00")
        if rng.random() < 0.10:
            fields["room_ids"] = frozenset(rng.sample(range(1, rooms + 1), 3))
        presenters.append(spec(i, name, rng.choice([10, 15, 20]), rng.choice([5, 10]), rng.choice([2, 5]),
                               (rng.choice(PROVINCES), name), **fields))
    for i in range(0, n, 20):  # 5 %: one governor presents for two regions
        j = min(n - 1, i + rng.randrange(1, 20))
        presenters[j] = replace(presenters[j], person=presenters[i].person)
    return blocks, _pin_some(rng, blocks, presenters, n // 10)


def _pin_some(rng, blocks, presenters, count):
    """Pins `count` presenters at random grid starts, each kept only when the input stays valid."""
    pinned = 0
    for k in rng.sample(range(len(presenters)), len(presenters)):
        if pinned == count:
            break
        block = rng.choice(blocks)
        start = block.starts_at + timedelta(minutes=5 * rng.randrange(0, int((block.ends_at - block.starts_at).seconds) // 300))
        trial = replace(presenters[k], pinned_block_id=block.id, pinned_start=start, available_from=None, available_until=None,
                        room_ids=frozenset())
        candidate = presenters[:k] + [trial] + presenters[k + 1:]
        if not scheduler.validate_inputs(blocks, candidate):
            presenters, pinned = candidate, pinned + 1
    return presenters


def changed_programme(blocks, presenters, plan, seed):
    """What a re-plan meets: 5 presenters whose slot is now outside their availability (they arrive 30 minutes
    after it starts), 2 pinned onto slots someone else holds, 3 new presenters."""
    rng = random.Random(seed)
    placed = [p for p in presenters if p.id in plan.placements and p.pinned_start is None]
    changed = {}
    for p in rng.sample(placed, 5):
        changed[p.id] = replace(p, available_from=plan.placements[p.id].starts_at + timedelta(minutes=30), available_until=None)
    taken = [p for p in placed if p.id not in changed]
    while len(changed) < 7:
        who, where = rng.sample(taken, 2)
        slot = plan.placements[where.id]
        trial = replace(who, pinned_block_id=slot.block_id, pinned_start=slot.starts_at, available_from=None, available_until=None,
                        room_ids=frozenset())
        candidate = [changed.get(p.id, trial if p.id == who.id else p) for p in presenters]
        if who.id not in changed and not scheduler.validate_inputs(blocks, candidate):
            changed[who.id] = trial
    new = [spec(1000 + k, f"Kota Baru {k}", 15, 5, 2, ("Aceh", f"Kota Baru {k}")) for k in range(3)]
    return [changed.get(p.id, p) for p in presenters] + new


def flexible_pairs(presenters, plan):
    """Neighbours in the preferred order, among presenters with no window, pin or room limit, kept in order."""
    free = [p for p in sorted(presenters, key=lambda p: (p.order_key, p.id)) if p.id in plan.placements and not (
        p.available_from or p.available_until or p.pinned_start or p.room_ids)]
    starts = [plan.placements[p.id].starts_at for p in free]
    return sum(a <= b for a, b in zip(starts, starts[1:], strict=False)), max(0, len(starts) - 1)


def baselines(blocks, presenters):
    """The greedy pass (the best of its orders, what the solver starts from) and the input sorted by the order
    preference, each presenter at the earliest free start."""
    clock = Clock(ZONE, blocks)
    started = time.perf_counter()
    problem = scheduler.prepare(blocks, presenters, {}, clock, 5)
    greedy = scheduler_greedy.best_greedy(problem)
    greedy_s = time.perf_counter() - started
    sorted_plan = scheduler_greedy.greedy(problem, sorted(problem.cands))
    return [("greedy pass alone", greedy_s, scheduler._finish(problem, greedy, {}, clock)),
            ("sorted input", None, scheduler._finish(problem, sorted_plan, {}, clock))]


def report(title, blocks, presenters, time_limit, previous=None):
    started = time.perf_counter()
    plan = schedule(blocks, presenters, zone=ZONE, time_limit=time_limit, previous=previous)
    wall = time.perf_counter() - started
    again = schedule(list(reversed(blocks)), list(reversed(presenters)), zone=ZONE, time_limit=time_limit, previous=previous)
    violations = check(blocks, presenters, plan.placements, zone=ZONE)
    met, total = flexible_pairs(presenters, plan)
    print(f"\n{title}: {len(presenters)} presenters, {len(blocks)} blocks, "
          f"{sum(p.pinned_start is not None for p in presenters)} pinned, "
          f"{sum(bool(p.available_from or p.available_until) for p in presenters)} with a window")
    print(f"  schedule: {wall:.2f} s; violations {len(violations)}; placed {len(plan.placements)}, unplaced {len(plan.unplaced)}; "
          f"order pairs met {plan.order_pairs_met}/{plan.order_pairs_total} (without window, pin or room limit: {met}/{total}); "
          f"same plan from the input reversed: {again == plan}")
    if previous is not None:
        print(f"  moved {len(plan.moved)} of {len(previous)} placed before")
        return plan
    for name, seconds, base in baselines(blocks, presenters):
        took = f"{seconds:.2f} s; " if seconds is not None else ""
        met, total = flexible_pairs(presenters, base)
        print(f"  baseline, {name}: {took}placed {len(base.placements)}; order pairs met "
              f"{base.order_pairs_met}/{base.order_pairs_total} (without window, pin or room limit: {met}/{total})")
    for item in plan.unplaced[:2]:
        print(f"  unplaced: {item.code}: {item.message}")
    return plan


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=5)
    parser.add_argument("--time-limit", type=float, default=8.0)
    args = parser.parse_args()
    print(f"load average {os.getloadavg()[0]:.1f}, {os.cpu_count()} CPUs")
    for variant in ("one-block", "demo", "one-room"):
        report(f"2017 night ({variant})", *night_2017(variant), args.time_limit)
    blocks, presenters = big_programme(args.seed)
    plan = report(f"500 presenters, 20 rooms, 3 days (seed {args.seed})", blocks, presenters, args.time_limit)
    changed = changed_programme(blocks, presenters, plan, args.seed)
    report("re-plan of it: 5 windows changed, 2 new pins on taken slots, 3 new presenters", blocks, changed, args.time_limit,
           previous=plan.placements)
    report(f"over-full: 600 presenters, 20 rooms, 2 days (seed {args.seed})", *big_programme(args.seed, 600, 20, 2),
           args.time_limit)


if __name__ == "__main__":
    main()
