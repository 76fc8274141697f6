"""Ranking from juror scores: weighted totals on 0–100, normalization, and the declared tie-break chain on constructed ties."""
import random

from hypothesis import given, settings
from hypothesis import strategies as st

from eventsys.awards.ranking import FALLBACK, SCORE, CriterionSpec, default_winners, juror_total, parse_chain, rank

INOVASI, DAMPAK, KEBERLANJUTAN = 1, 2, 3
CRITERIA = [CriterionSpec(INOVASI, "Inovasi", 30, 1, 10), CriterionSpec(DAMPAK, "Dampak", 40, 1, 10),
            CriterionSpec(KEBERLANJUTAN, "Keberlanjutan", 30, 1, 10)]


def s(inovasi, dampak, keberlanjutan):
    return {INOVASI: inovasi, DAMPAK: dampak, KEBERLANJUTAN: keberlanjutan}


def order(ranking):
    return [r.nomination_id for r in ranking.rows]


def row(ranking, nomination_id):
    return next(r for r in ranking.rows if r.nomination_id == nomination_id)


def test_a_juror_total_is_weighted_and_scaled_to_0_100():
    assert juror_total(CRITERIA, s(1, 1, 1)) == 0
    assert juror_total(CRITERIA, s(10, 10, 10)) == 100
    assert abs(juror_total(CRITERIA, s(10, 1, 1)) - 30) < 1e-9  # only Inovasi (weight 30) at the top
    assert juror_total(CRITERIA, {INOVASI: 5}) is None  # incomplete scores do not count


def test_the_chain_is_parsed_in_order_and_unknown_rules_are_dropped():
    assert parse_chain("criterion:Dampak, first_places,bogus,first_places,lowest_spread") == [
        "criterion:Dampak", "first_places", "lowest_spread"]


def test_higher_mean_ranks_first_and_the_score_decides():
    ranking = rank(CRITERIA, {10: {1: s(5, 5, 5)}, 11: {1: s(9, 9, 9)}, 12: {}}, "first_places")
    assert order(ranking) == [11, 10, 12]
    assert row(ranking, 10).decided_by == SCORE and row(ranking, 12).rank is None
    assert default_winners(ranking, 3) == [11, 10]


# Two nominations with equal totals (65.0 each) but different Dampak means.
EQUAL_TOTALS = {
    20: {1: s(10, 1, 10)},  # Inovasi 30 + Keberlanjutan 30 = 60 … spread over criteria differently
    21: {1: s(1, 10, 7)},   # Dampak 40 + Keberlanjutan 20 = 60
}


def test_equal_totals_are_broken_by_the_criterion_mean():
    assert abs(row(rank(CRITERIA, EQUAL_TOTALS, ""), 20).score - row(rank(CRITERIA, EQUAL_TOTALS, ""), 21).score) < 1e-9
    ranking = rank(CRITERIA, EQUAL_TOTALS, "criterion:Dampak,first_places")
    assert order(ranking) == [21, 20]
    assert row(ranking, 20).decided_by == "criterion:Dampak" and not row(ranking, 20).tie_remains
    assert row(ranking, 21).tie_values["criterion:Dampak"] == 10 and row(ranking, 20).tie_values["criterion:Dampak"] == 1


def test_equal_on_the_criterion_too_is_broken_by_first_places():
    # Same mean total and same Dampak mean (7); juror 1 puts 30 first, jurors 2 and 3 put 31 first.
    scores = {
        30: {1: s(9, 9, 9), 2: s(6, 6, 6), 3: s(6, 6, 6)},
        31: {1: s(7, 7, 7), 2: s(7, 7, 7), 3: s(7, 7, 7)},
        32: {1: s(1, 1, 1), 2: s(1, 1, 1), 3: s(1, 1, 1)},
    }
    ranking = rank(CRITERIA, scores, "criterion:Dampak,first_places")
    a, b = row(ranking, 30), row(ranking, 31)
    assert abs(a.score - b.score) < 1e-9 and abs(a.tie_values["criterion:Dampak"] - b.tie_values["criterion:Dampak"]) < 1e-9
    assert (a.tie_values["first_places"], b.tie_values["first_places"]) == (1, 2)
    assert order(ranking) == [31, 30, 32]
    assert a.decided_by == "first_places" and row(ranking, 32).decided_by == SCORE


def test_fully_equal_nominations_fall_back_to_the_earlier_nomination_and_are_flagged():
    scores = {41: {1: s(6, 6, 6)}, 40: {1: s(6, 6, 6)}}
    ranking = rank(CRITERIA, scores, "criterion:Dampak,first_places,lowest_spread")
    assert order(ranking) == [40, 41]
    assert row(ranking, 41).decided_by == FALLBACK and row(ranking, 41).tie_remains and ranking.ties_remaining


def test_lowest_spread_prefers_the_jurors_who_agree():
    scores = {50: {1: s(9, 9, 9), 2: s(3, 3, 3)}, 51: {1: s(6, 6, 6), 2: s(6, 6, 6)}}
    ranking = rank(CRITERIA, scores, "lowest_spread")
    assert order(ranking) == [51, 50] and row(ranking, 50).decided_by == "lowest_spread"


def test_normalization_evens_out_a_harsh_juror():
    # Juror 1 is harsh and prefers 60 (3 vs 2); juror 2 prefers 61 with a wider range (8 vs 10).
    scores = {60: {1: s(3, 3, 3), 2: s(8, 8, 8)}, 61: {1: s(2, 2, 2), 2: s(10, 10, 10)}}
    raw = rank(CRITERIA, scores, "")
    assert order(raw) == [61, 60]  # raw: the wider range of juror 2 decides
    z = rank(CRITERIA, scores, "", normalize=True)
    assert abs(row(z, 60).score) < 1e-9 and abs(row(z, 61).score) < 1e-9  # one vote each way: a tie
    assert row(z, 61).tie_remains


def test_an_unknown_criterion_in_the_chain_decides_nothing():
    ranking = rank(CRITERIA, {70: {1: s(5, 5, 5)}, 71: {1: s(5, 5, 5)}}, "criterion:Tidak ada,first_places")
    assert row(ranking, 70).tie_values["criterion:Tidak ada"] is None
    assert row(ranking, 71).decided_by == FALLBACK


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.integers(1, 4), st.integers(1, 3), st.integers(1, 3), st.integers(1, 3)), min_size=1, max_size=12),
       st.randoms(use_true_random=False))
def test_input_order_never_changes_the_result(raw, rnd):
    scores = {}
    for i, (juror, a, b, c) in enumerate(raw):
        scores.setdefault(100 + i % 5, {})[juror] = s(a, b, c)  # small scales: many ties
    chain = "criterion:Dampak,first_places,lowest_spread"
    expected = [(r.nomination_id, r.rank, r.decided_by) for r in rank(CRITERIA, scores, chain).rows]
    items = list(scores.items())
    rnd.shuffle(items)
    shuffled = {k: dict(random.Random(k).sample(list(v.items()), len(v))) for k, v in items}
    criteria = list(reversed(CRITERIA))
    assert [(r.nomination_id, r.rank, r.decided_by) for r in rank(criteria, shuffled, chain).rows] == expected
