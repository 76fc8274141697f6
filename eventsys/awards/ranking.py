"""Ranking one category's nominations from the jurors' scores: pure functions over plain values, no database.

A juror's total for a nomination is Σ weight · (score − min) / (max − min), scaled so that the bottom
of every scale is 0 and the top is 100. With normalization each juror's totals become z-scores over
the nominations that juror scored in the category (a juror with a single total or no spread gives 0).
The final score is the mean over the jurors who scored the nomination.

Ties (finals within EPSILON) are broken by the declared chain, in order:
  `criterion:<name>`  highest mean raw score on that criterion,
  `first_places`      most jurors whose own highest total is this nomination (a juror's tied top totals all count),
  `lowest_spread`     lowest population standard deviation of the juror totals.
If the chain still leaves two nominations equal, the lower nomination id (the earlier nomination) goes
first and the pair is marked `FALLBACK`, so the organizer sees that the rule did not decide it.
The input order never matters: rows are sorted by id first and every mean is a sum in juror-id order.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from functools import cmp_to_key

EPSILON = 1e-9
SCORE = "score"  # the final score decided the pair
FALLBACK = "fallback"  # nothing in the chain did: the earlier nomination (lower id) goes first
FIRST_PLACES, LOWEST_SPREAD, CRITERION_PREFIX = "first_places", "lowest_spread", "criterion:"


@dataclass(frozen=True)
class CriterionSpec:
    id: int
    name: str
    weight: float
    scale_min: float
    scale_max: float


@dataclass
class RankedRow:
    nomination_id: int
    score: float | None  # final (mean raw total 0–100, or mean z-score when normalized); None: nobody scored it
    raw_mean: float | None  # mean raw total 0–100, also shown when normalized
    juror_totals: dict[int, float]  # juror id -> weighted total 0–100
    tie_values: dict[str, float | None] = field(default_factory=dict)  # rule -> this row's value
    rank: int | None = None
    decided_by: str | None = None  # versus the row above: SCORE, a rule of the chain, or FALLBACK
    tie_remains: bool = False  # equal to the row above after the whole chain


@dataclass
class Ranking:
    rows: list[RankedRow]  # ranked first, then the nominations nobody scored (rank None)
    rules: list[str]  # the chain as applied
    normalized: bool

    @property
    def ties_remaining(self) -> bool:
        return any(r.tie_remains for r in self.rows)


def parse_chain(value: str) -> list[str]:
    """The stored tie-break ("criterion:Dampak,first_places") as a list of known rules, in order."""
    rules = []
    for part in (value or "").split(","):
        rule = part.strip()
        known = rule in (FIRST_PLACES, LOWEST_SPREAD) or (rule.startswith(CRITERION_PREFIX) and len(rule) > len(CRITERION_PREFIX))
        if known and rule not in rules:
            rules.append(rule)
    return rules


def juror_total(criteria: list[CriterionSpec], scores: dict[int, float]) -> float | None:
    """Weighted total on 0–100 of one juror's scores for one nomination; None unless every criterion is scored."""
    if not criteria or any(c.id not in scores for c in criteria):
        return None
    weights = math.fsum(c.weight for c in criteria)
    if weights <= 0:
        return None
    parts = []
    for c in criteria:
        span = c.scale_max - c.scale_min
        parts.append(c.weight * ((scores[c.id] - c.scale_min) / span if span > 0 else 1.0))
    return 100.0 * math.fsum(parts) / weights


def _mean(values: list[float]) -> float | None:
    return math.fsum(values) / len(values) if values else None


def _pstdev(values: list[float]) -> float:
    mean = _mean(values) or 0.0
    return math.sqrt(math.fsum((v - mean) ** 2 for v in values) / len(values)) if values else 0.0


def _z_scores(totals: dict[int, dict[int, float]]) -> dict[int, dict[int, float]]:
    """juror -> nomination -> z-score of that juror's total among the nominations they scored."""
    out = {}
    for juror_id, by_nomination in totals.items():
        ids = sorted(by_nomination)
        values = [by_nomination[i] for i in ids]
        mean, sd = _mean(values), _pstdev(values)
        out[juror_id] = {i: ((by_nomination[i] - mean) / sd if sd > EPSILON else 0.0) for i in ids}
    return out


def _better(rule: str, a: float | None, b: float | None) -> int:
    """-1 when `a` wins the rule, 1 when `b` does, 0 when equal or not applicable."""
    if a is None or b is None or abs(a - b) <= EPSILON:
        return 0
    if rule == LOWEST_SPREAD:
        return -1 if a < b else 1
    return -1 if a > b else 1


def _decide(a: RankedRow, b: RankedRow, rules: list[str]) -> tuple[int, str]:
    order = _better(SCORE, a.score, b.score)
    if order:
        return order, SCORE
    for rule in rules:
        order = _better(rule, a.tie_values.get(rule), b.tie_values.get(rule))
        if order:
            return order, rule
    return (-1 if a.nomination_id < b.nomination_id else 1 if a.nomination_id > b.nomination_id else 0), FALLBACK


def rank(criteria: list[CriterionSpec], scores: dict[int, dict[int, dict[int, float]]], tie_break: list[str] | str,
         *, normalize: bool = False) -> Ranking:
    """Rank nominations. `scores`: nomination id -> juror id -> criterion id -> score (a nomination nobody scored maps to {})."""
    rules = parse_chain(tie_break) if isinstance(tie_break, str) else parse_chain(",".join(tie_break))
    criteria = sorted(criteria, key=lambda c: c.id)
    by_name = {c.name: c for c in criteria}

    totals: dict[int, dict[int, float]] = {}  # nomination -> juror -> total
    for nomination_id in sorted(scores):
        totals[nomination_id] = {}
        for juror_id in sorted(scores[nomination_id]):
            total = juror_total(criteria, scores[nomination_id][juror_id])
            if total is not None:
                totals[nomination_id][juror_id] = total

    per_juror: dict[int, dict[int, float]] = {}
    for nomination_id, by_juror in totals.items():
        for juror_id, total in by_juror.items():
            per_juror.setdefault(juror_id, {})[nomination_id] = total
    z = _z_scores(per_juror) if normalize else {}
    firsts: dict[int, int] = {}
    for by_nomination in per_juror.values():
        top = max(by_nomination.values())
        for nomination_id, total in by_nomination.items():
            if abs(total - top) <= EPSILON:
                firsts[nomination_id] = firsts.get(nomination_id, 0) + 1

    rows = []
    for nomination_id in sorted(scores):
        by_juror = totals[nomination_id]
        jurors = sorted(by_juror)
        raw_mean = _mean([by_juror[j] for j in jurors])
        final = _mean([z[j][nomination_id] for j in jurors]) if normalize else raw_mean
        row = RankedRow(nomination_id=nomination_id, score=final, raw_mean=raw_mean, juror_totals=dict(by_juror))
        for rule in rules:
            if not jurors:
                row.tie_values[rule] = None
            elif rule == FIRST_PLACES:
                row.tie_values[rule] = float(firsts.get(nomination_id, 0))
            elif rule == LOWEST_SPREAD:
                row.tie_values[rule] = _pstdev([by_juror[j] for j in jurors])
            else:
                criterion = by_name.get(rule[len(CRITERION_PREFIX):])
                row.tie_values[rule] = None if criterion is None else _mean([scores[nomination_id][j][criterion.id] for j in jurors])
        rows.append(row)

    scored = sorted((r for r in rows if r.score is not None), key=cmp_to_key(lambda a, b: _decide(a, b, rules)[0]))
    for i, row in enumerate(scored):
        row.rank = i + 1
        if i:
            row.decided_by = _decide(scored[i - 1], row, rules)[1]
            row.tie_remains = row.decided_by == FALLBACK
    unscored = [r for r in rows if r.score is None]
    return Ranking(rows=scored + unscored, rules=rules, normalized=normalize)


def default_winners(ranking: Ranking, count: int) -> list[int]:
    """Nomination ids of the top `count` ranked rows, in rank order."""
    return [r.nomination_id for r in ranking.rows if r.rank is not None][:max(count, 0)]
