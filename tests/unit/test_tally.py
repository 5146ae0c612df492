"""Tally tests with expected values worked out by hand (the arithmetic is in the comments).

Most tests call the pure `edp.voting.tally.tally` on small DataFrames; the last few go through the
database (SQLite and PostgreSQL) to check that merging and unmerging after a close moves votes
and restores the original result exactly.

The hand-sized examples have helix groups of one or two ballots, which the application never
shows on their own (see "small helix groups" below). To check the arithmetic per group on them,
they are tallied with `min_group_ballots=1` (GROUP_ARITHMETIC); the rule itself is tested with the
default in its own section.
"""

from __future__ import annotations

import math

import pandas as pd
import pytest

from edp import voting
from edp import workshop as ops
from edp.access import SYSTEM
from edp.voting.ballots import submit_ballot
from edp.voting.results import (
    CriterionInfo,
    HelixBreakdown,
    RoundResultDict,
    ThemeResult,
    Turnout,
    TurnoutFigures,
)
from edp.voting.tally import ENTRY_COLUMNS, MIN_GROUP_BALLOTS, RoundInput, round_results, tally
from tests.factory import make_setup

# ---------------------------------------------------------------- helpers


def approx(x: float) -> pytest.approx:
    # tally rounds every float to 6 decimals
    return pytest.approx(x, abs=1e-6)


def themes_df(*specs) -> pd.DataFrame:
    """specs: theme id, or (id, status, merged_into_id). Titles are 'T<id>'."""
    rows = []
    for spec in specs:
        tid, status, into = (spec, "active", None) if isinstance(spec, int) else spec
        rows.append((tid, f"T{tid}", status, into))
    return pd.DataFrame(rows, columns=["theme_id", "title", "status", "merged_into_id"])


def entries_df(rows) -> pd.DataFrame:
    """rows: (ballot, helix, theme_id, criterion_id, value)."""
    return pd.DataFrame(list(rows), columns=ENTRY_COLUMNS)


def dots(ballot, helix, votes: dict[int, int]):
    return [(ballot, helix, t, None, v) for t, v in votes.items()]


def ranked(ballot, helix, order: list[int]):
    return [(ballot, helix, t, None, pos) for pos, t in enumerate(order, start=1)]


def approved(ballot, helix, chosen: list[int]):
    return [(ballot, helix, t, None, 1) for t in chosen]


def scored(ballot, helix, scores: dict[int, dict[int, int]]):
    return [(ballot, helix, t, c, v) for t, per in scores.items() for c, v in per.items()]


GROUP_ARITHMETIC = {"min_group_ballots": 1}  # every helix group shown, however small (see the docstring)


def run(method, themes, rows, participants=None, *, min_group_ballots=MIN_GROUP_BALLOTS, **kw):
    return tally(
        RoundInput(
            round_id=1,
            method=method,
            themes=themes,
            entries=entries_df(rows),
            participants=participants or {},
            **kw,
        ),
        min_group_ballots=min_group_ballots,
    )


def by_id(result) -> dict[int, dict]:
    return {t["theme_id"]: t for t in result.themes}


def order(result) -> list[int]:
    return [t["theme_id"] for t in result.themes]


IMPACT = {"id": 10, "name_sv": "Effekt", "name_en": "impact", "weight": 2.0, "scale_min": 1, "scale_max": 5}
FEAS = {"id": 20, "name_sv": "Genomförbarhet", "name_en": "feasibility", "weight": 1.0, "scale_min": 0, "scale_max": 10}


# ---------------------------------------------------------------- dots


def _dots_example():
    # cap 3; business b1, b2; academia b3; public b4; civil cast nothing
    rows = (
        dots("b1", "business", {1: 3, 2: 1})
        + dots("b2", "business", {1: 2, 3: 2})
        + dots("b3", "academia", {2: 3, 3: 1})
        + dots("b4", "public", {1: 1})
    )
    return run(
        "dots",
        themes_df(1, 2, 3),
        rows,
        participants={"business": 4, "academia": 2, "public": 1, "civil": 3},
        dots_cap=3,
        **GROUP_ARITHMETIC,
    )


def test_dots_totals_points_voters_and_share():
    res = _dots_example()
    t = by_id(res)
    assert res.ballots == 4
    assert order(res) == [1, 2, 3]
    assert t[1]["total"] == 6  # 3 + 2 + 1
    assert t[2]["total"] == 4  # 1 + 3
    assert t[3]["total"] == 3  # 2 + 1
    assert [t[i]["voters"] for i in (1, 2, 3)] == [3, 2, 2]  # b1,b2,b4 / b1,b3 / b2,b3
    # grand total 6 + 4 + 3 = 13
    assert t[1]["share"] == approx(6 / 13)
    assert t[2]["share"] == approx(4 / 13)
    assert t[3]["share"] == approx(3 / 13)
    assert [t[i]["rank"] for i in (1, 2, 3)] == [1, 2, 3]
    assert not any(t[i]["tied"] for i in (1, 2, 3))


def test_dots_by_helix_sums_per_group_and_none_for_groups_without_ballots():
    t = by_id(_dots_example())
    # T1: business 3 + 2 = 5, academia 0, public 1, civil cast no ballot
    assert t[1]["by_helix"] == {"business": 5, "academia": 0, "public": 1, "civil": None, "other": None}
    # T2: business 1, academia 3, public 0
    assert t[2]["by_helix"] == {"business": 1, "academia": 3, "public": 0, "civil": None, "other": None}
    # T3: business 2, academia 1, public 0
    assert t[3]["by_helix"] == {"business": 2, "academia": 1, "public": 0, "civil": None, "other": None}


def test_dots_balanced_weighs_each_voting_helix_group_equally():
    t = by_id(_dots_example())
    # G = 3 groups voted; w(b1) = w(b2) = 1/(3*2) = 1/6, w(b3) = w(b4) = 1/(3*1) = 1/3; N = 4
    # T1: 4 * (3/6 + 2/6 + 0/3 + 1/3) = 4 * 7/6 = 14/3
    assert t[1]["balanced"] == approx(14 / 3)
    # T2: 4 * (1/6 + 0/6 + 3/3 + 0/3) = 4 * 7/6 = 14/3
    assert t[2]["balanced"] == approx(14 / 3)
    # T3: 4 * (0/6 + 2/6 + 1/3 + 0/3) = 4 * 2/3 = 8/3
    assert t[3]["balanced"] == approx(8 / 3)


def test_turnout_overall_and_per_helix_group():
    res = _dots_example()
    assert res.participants == 10  # 4 + 2 + 1 + 3
    assert res.turnout["overall"] == {"participants": 10, "ballots": 4, "rate": approx(0.4)}  # 4 / 10
    assert res.turnout["by_helix"] == {
        "business": {"participants": 4, "ballots": 2, "rate": approx(0.5)},  # 2 / 4
        "academia": {"participants": 2, "ballots": 1, "rate": approx(0.5)},  # 1 / 2
        "public": {"participants": 1, "ballots": 1, "rate": approx(1.0)},  # 1 / 1
        "civil": {"participants": 3, "ballots": 0, "rate": approx(0.0)},  # 0 / 3
    }


def test_turnout_rate_is_none_for_a_group_without_participants():
    res = run("approval", themes_df(1), approved("b1", "civil", [1]), participants={"civil": 2})
    assert res.turnout["overall"]["rate"] == approx(0.5)  # 1 / 2
    assert res.turnout["by_helix"]["civil"] == {"participants": 2, "ballots": 1, "rate": approx(0.5)}
    assert res.turnout["by_helix"]["business"] == {"participants": 0, "ballots": 0, "rate": None}


def test_dots_consensus_from_scaled_points_and_helix_group_means():
    t = by_id(_dots_example())
    # T1, cap 3: x = 3/3, 2/3, 0/3, 1/3 -> mean 1/2; squared deviations 1/4 + 1/36 + 1/4 + 1/36 = 5/9
    # population variance 5/36 -> sd sqrt(5)/6 -> voter agreement 1 - sqrt(5)/3
    voters = 1 - math.sqrt(5) / 3
    # group means: business (1 + 2/3)/2 = 5/6, academia 0, public 1/3 -> mean 7/18
    # deviations 8/18, -7/18, -1/18 -> variance (64 + 49 + 1)/324/3 = 19/162
    helix = 1 - 2 * math.sqrt(19 / 162)
    assert t[1]["agreement_voters"] == approx(voters)  # ~0.254644
    assert t[1]["agreement_helix"] == approx(helix)  # ~0.315064
    assert t[1]["consensus"] == approx((voters + helix) / 2)


def test_dots_ties_share_competition_rank_and_keep_ballot_order():
    # cap 3: T1 = 3 + 1 = 4, T2 = 2, T3 = 2, T4 = 1 -> ranks 1, 2, 2, 4
    rows = dots("b1", "business", {1: 3, 2: 2}) + dots("b2", "civil", {1: 1, 3: 2, 4: 1})
    # ballot order puts T3 before T2, so the tied pair shows T3 first
    res = run("dots", themes_df(1, 2, 3, 4), rows, dots_cap=3, on_ballot=[4, 3, 2, 1])
    assert order(res) == [1, 3, 2, 4]
    assert [t["total"] for t in res.themes] == [4, 2, 2, 1]
    assert [t["rank"] for t in res.themes] == [1, 2, 2, 4]
    assert [t["tied"] for t in res.themes] == [False, True, True, False]


def test_dots_merge_sums_then_caps_per_voter():
    # T2 merged into T1, cap 3
    # b1: T1 2 + T2 2 = 4 -> capped to 3; b2: T2 1 -> 1 for T1; b3: T1 1 + T2 1 = 2; b4: T3 3
    rows = (
        dots("b1", "business", {1: 2, 2: 2})
        + dots("b2", "academia", {2: 1})
        + dots("b3", "academia", {1: 1, 2: 1})
        + dots("b4", "public", {3: 3})
    )
    res = run("dots", themes_df(1, (2, "merged", 1), 3), rows, dots_cap=3, **GROUP_ARITHMETIC)
    t = by_id(res)
    assert order(res) == [1, 3]  # the duplicate is not ranked on its own
    assert t[1]["total"] == 6  # 3 + 1 + 2
    assert t[1]["voters"] == 3
    assert t[1]["merged_from"] == [2]
    assert t[3]["total"] == 3
    assert t[1]["share"] == approx(6 / 9)  # grand 6 + 3 = 9
    assert t[1]["by_helix"]["academia"] == 3  # b2 1 + b3 2


def test_dots_withdrawn_theme_and_themes_merged_into_it_are_not_ranked():
    # T2 withdrawn, T3 merged into T2: their points count nowhere
    rows = dots("b1", "business", {1: 2, 2: 3}) + dots("b2", "public", {3: 2, 1: 1})
    res = run("dots", themes_df(1, (2, "withdrawn", None), (3, "merged", 2)), rows, dots_cap=3)
    assert order(res) == [1]
    assert res.themes[0]["total"] == 3  # 2 + 1
    assert res.themes[0]["share"] == approx(1.0)  # 3 / 3: withdrawn points are not in the grand total
    assert res.themes[0]["merged_from"] == []


# ---------------------------------------------------------------- score


def _score_example():
    # impact weight 2 (1..5), feasibility weight 1 (0..10); v = 2*impact + feasibility
    rows = (
        scored("b1", "business", {1: {10: 4, 20: 6}, 2: {10: 5, 20: 10}})  # T1 8+6 = 14, T2 10+10 = 20
        + scored("b2", "academia", {1: {10: 2, 20: 8}})  # T1 4+8 = 12
        + scored("b3", "academia", {1: {10: 3, 20: 4}, 2: {10: 1, 20: 0}})  # T1 6+4 = 10, T2 2+0 = 2
    )
    return run(
        "score",
        themes_df(1, 2),
        rows,
        participants={"business": 1, "academia": 4},
        criteria=[IMPACT, FEAS],
        **GROUP_ARITHMETIC,
    )


def test_score_total_is_weighted_sum_of_criterion_means():
    res = _score_example()
    t = by_id(res)
    # T1: impact mean (4+2+3)/3 = 3, feasibility mean (6+8+4)/3 = 6 -> 2*3 + 6 = 12 = mean(14, 12, 10)
    assert t[1]["criteria_means"] == {"impact": approx(3.0), "feasibility": approx(6.0)}
    assert t[1]["total"] == approx(12.0)
    # T2: impact (5+1)/2 = 3, feasibility (10+0)/2 = 5 -> 2*3 + 5 = 11 = mean(20, 2)
    assert t[2]["criteria_means"] == {"impact": approx(3.0), "feasibility": approx(5.0)}
    assert t[2]["total"] == approx(11.0)
    assert order(res) == [1, 2]
    assert [t[1]["rank"], t[2]["rank"]] == [1, 2]


def test_score_n_and_dispersion_is_population_sd_of_voter_totals():
    t = by_id(_score_example())
    assert t[1]["n"] == t[1]["voters"] == 3
    assert t[2]["n"] == t[2]["voters"] == 2  # b2 did not score T2
    # T1: 14, 12, 10 -> mean 12, variance (4 + 0 + 4)/3 = 8/3
    assert t[1]["dispersion"] == approx(math.sqrt(8 / 3))  # ~1.632993
    # T2: 20, 2 -> mean 11, deviations +-9 -> sd 9
    assert t[2]["dispersion"] == approx(9.0)


def test_score_by_helix_is_group_mean_and_none_without_scorers():
    t = by_id(_score_example())
    # T1: business 14; academia mean(12, 10) = 11
    assert t[1]["by_helix"] == {
        "business": approx(14.0),
        "academia": approx(11.0),
        "public": None,
        "civil": None,
        "other": None,
    }
    # T2: business 20; academia only b3 scored it: 2
    assert t[2]["by_helix"] == {
        "business": approx(20.0),
        "academia": approx(2.0),
        "public": None,
        "civil": None,
        "other": None,
    }


def test_score_balanced_is_weighted_mean_over_scorers():
    t = by_id(_score_example())
    # G = 2: w(b1) = 1/(2*1) = 1/2, w(b2) = w(b3) = 1/(2*2) = 1/4
    # T1: (14/2 + 12/4 + 10/4) / (1/2 + 1/4 + 1/4) = 7 + 3 + 2.5 = 12.5
    assert t[1]["balanced"] == approx(12.5)
    # T2 (scorers b1, b3): (20/2 + 2/4) / (1/2 + 1/4) = 10.5 / 0.75 = 14
    assert t[2]["balanced"] == approx(14.0)


def test_score_consensus_scales_by_weighted_range():
    t = by_id(_score_example())
    # range: lo = 2*1 + 1*0 = 2, hi = 2*5 + 1*10 = 20 -> x = (v - 2)/18
    # T1: x = 12/18, 10/18, 8/18 -> sd = sqrt(8/3)/18 -> voter agreement 1 - 2*sqrt(8/3)/18 ~ 0.818556
    voters = 1 - 2 * math.sqrt(8 / 3) / 18
    # group means: business 12/18, academia (10/18 + 8/18)/2 = 9/18 -> sd = (3/18)/2 = 1/12 -> 1 - 1/6 = 5/6
    helix = 5 / 6
    assert t[1]["agreement_voters"] == approx(voters)
    assert t[1]["agreement_helix"] == approx(helix)
    assert t[1]["consensus"] == approx((voters + helix) / 2)  # ~0.825945


def test_score_ties_share_rank_and_keep_themes_order():
    crit = [{"id": 1, "name_sv": "k", "name_en": "k", "weight": 1.0, "scale_min": 1, "scale_max": 5}]
    rows = scored("b1", "public", {1: {1: 5}, 2: {1: 3}, 3: {1: 3}, 4: {1: 1}}) + scored(
        "b2", "civil", {1: {1: 5}, 2: {1: 3}, 3: {1: 3}, 4: {1: 3}}
    )
    # T1 (5+5)/2 = 5, T2 (3+3)/2 = 3, T3 3, T4 (1+3)/2 = 2 -> ranks 1, 2, 2, 4
    # no on_ballot: the themes frame order (T4, T3, T2, T1) decides among ties
    res = run("score", themes_df(4, 3, 2, 1), rows, criteria=crit)
    assert order(res) == [1, 3, 2, 4]
    assert [t["total"] for t in res.themes] == [approx(5), approx(3), approx(3), approx(2)]
    assert [t["rank"] for t in res.themes] == [1, 2, 2, 4]
    assert [t["tied"] for t in res.themes] == [False, True, True, False]


def test_score_totals_equal_up_to_float_noise_are_tied():
    crit = [
        {"id": 1, "name_sv": "a", "name_en": "a", "weight": 0.1, "scale_min": 0, "scale_max": 5},
        {"id": 2, "name_sv": "b", "name_en": "b", "weight": 0.2, "scale_min": 0, "scale_max": 5},
    ]
    # T1: 0.1*1 + 0.2*2 = 0.5; T2: 0.1*3 + 0.2*1 = 0.5 (0.5000000000000001 in floating point)
    rows = scored("b1", "business", {1: {1: 1, 2: 2}, 2: {1: 3, 2: 1}})
    res = run("score", themes_df(1, 2), rows, criteria=crit)
    assert [t["rank"] for t in res.themes] == [1, 1]
    assert [t["tied"] for t in res.themes] == [True, True]
    assert order(res) == [1, 2]


def test_score_merge_keeps_higher_score_per_criterion():
    crit = [
        {"id": 1, "name_sv": "a", "name_en": "a", "weight": 1.0, "scale_min": 1, "scale_max": 5},
        {"id": 2, "name_sv": "b", "name_en": "b", "weight": 1.0, "scale_min": 1, "scale_max": 5},
    ]
    # T2 merged into T1. b1 scored T1 (2, 5) and T2 (4, 3): per criterion max -> (4, 5) -> 9
    # (either ballot alone would give 7). b2 scored only T2 (1, 1) -> 2 for T1.
    rows = scored("b1", "business", {1: {1: 2, 2: 5}, 2: {1: 4, 2: 3}}) + scored("b2", "civil", {2: {1: 1, 2: 1}})
    res = run("score", themes_df(1, (2, "merged", 1)), rows, criteria=crit)
    assert order(res) == [1]
    t = res.themes[0]
    assert t["total"] == approx(5.5)  # mean(9, 2)
    assert t["n"] == 2
    assert t["criteria_means"] == {"a": approx(2.5), "b": approx(3.0)}  # (4+1)/2, (5+1)/2
    assert t["dispersion"] == approx(3.5)  # 9, 2 -> deviations +-3.5
    assert t["merged_from"] == [2]


# ---------------------------------------------------------------- rank


def _rank_example():
    # K = 3: points K - rank + 1 = 3, 2, 1
    rows = (
        ranked("b1", "business", [1, 2, 3])  # T1 3, T2 2, T3 1
        + ranked("b2", "business", [2, 1])  # T2 3, T1 2
        + ranked("b3", "civil", [1])  # T1 3
    )
    return run(
        "rank", themes_df(1, 2, 3, 4), rows, rank_count=3, participants={"business": 2, "civil": 1}, **GROUP_ARITHMETIC
    )


def test_rank_borda_points_and_mean_rank():
    res = _rank_example()
    t = by_id(res)
    assert order(res) == [1, 2, 3, 4]
    assert [t[i]["total"] for i in (1, 2, 3, 4)] == [8, 5, 1, 0]  # 3+2+3, 2+3, 1, 0
    assert t[1]["mean_rank"] == approx(4 / 3)  # (1 + 2 + 1)/3
    assert t[2]["mean_rank"] == approx(1.5)  # (2 + 1)/2
    assert t[3]["mean_rank"] == approx(3.0)
    assert t[4]["mean_rank"] is None  # nobody ranked it
    assert [t[i]["voters"] for i in (1, 2, 3, 4)] == [3, 2, 1, 0]
    assert [t[i]["rank"] for i in (1, 2, 3, 4)] == [1, 2, 3, 4]


def test_rank_by_helix_and_balanced():
    t = by_id(_rank_example())
    assert t[1]["by_helix"] == {"business": 5, "academia": None, "public": None, "civil": 3, "other": None}  # 3+2 | 3
    assert t[2]["by_helix"] == {"business": 5, "academia": None, "public": None, "civil": 0, "other": None}  # 2+3 | 0
    # G = 2: w(b1) = w(b2) = 1/4, w(b3) = 1/2; N = 3
    assert t[1]["balanced"] == approx(8.25)  # 3 * (3/4 + 2/4 + 3/2) = 3 * 11/4
    assert t[2]["balanced"] == approx(3.75)  # 3 * (2/4 + 3/4 + 0) = 15/4
    assert t[3]["balanced"] == approx(0.75)  # 3 * (1/4)
    assert t[4]["balanced"] == approx(0.0)


def test_rank_consensus_scales_points_by_rank_count():
    t = by_id(_rank_example())
    # T2: x = 2/3, 3/3, 0/3 -> mean 5/9; deviations 1/9, 4/9, -5/9 -> variance (1 + 16 + 25)/81/3 = 14/81
    voters = 1 - 2 * math.sqrt(14) / 9
    # group means: business (2/3 + 1)/2 = 5/6, civil 0 -> sd 5/12 -> 1 - 5/6 = 1/6
    helix = 1 / 6
    assert t[2]["agreement_voters"] == approx(voters)  # ~0.168521
    assert t[2]["agreement_helix"] == approx(helix)
    assert t[2]["consensus"] == approx((voters + helix) / 2)


def test_rank_ties_share_competition_rank_and_keep_ballot_order():
    # K = 3: b1 ranks T1, T2, T3 -> 3, 2, 1; b2 ranks T1, T3, T2 -> 3, 2, 1
    # T1 6, T2 3, T3 3, T4 0 -> ranks 1, 2, 2, 4
    rows = ranked("b1", "business", [1, 2, 3]) + ranked("b2", "academia", [1, 3, 2])
    res = run("rank", themes_df(1, 2, 3, 4), rows, rank_count=3, on_ballot=[1, 3, 2, 4])
    assert order(res) == [1, 3, 2, 4]
    assert [t["total"] for t in res.themes] == [6, 3, 3, 0]
    assert [t["rank"] for t in res.themes] == [1, 2, 2, 4]
    assert [t["tied"] for t in res.themes] == [False, True, True, False]
    assert [t["mean_rank"] for t in res.themes] == [approx(1.0), approx(2.5), approx(2.5), None]


def test_rank_merge_keeps_better_rank():
    # K = 3, T2 merged into T3
    # b1 ranks T2, T1, T3: T2 (rank 1) and T3 (rank 3) both count for T3 -> best rank 1 -> 3 points; T1 rank 2 -> 2
    # b2 ranks T3, T2: ranks 1 and 2 for T3 -> best 1 -> 3 points
    rows = ranked("b1", "public", [2, 1, 3]) + ranked("b2", "public", [3, 2])
    res = run("rank", themes_df(1, (2, "merged", 3), 3), rows, rank_count=3)
    t = by_id(res)
    assert order(res) == [3, 1]
    assert t[3]["total"] == 6  # 3 + 3
    assert t[3]["mean_rank"] == approx(1.0)  # best ranks 1, 1
    assert t[3]["voters"] == 2
    assert t[3]["merged_from"] == [2]
    assert t[1]["total"] == 2


# ---------------------------------------------------------------- approval


def _approval_example():
    rows = (
        approved("b1", "public", [1, 2])
        + approved("b2", "public", [1])
        + approved("b3", "academia", [1, 3])
        + approved("b4", "business", [3])
    )
    return run(
        "approval",
        themes_df(1, 2, 3),
        rows,
        participants={"public": 2, "academia": 1, "business": 1},
        **GROUP_ARITHMETIC,
    )


def test_approval_counts_and_share_of_ballots():
    res = _approval_example()
    t = by_id(res)
    assert order(res) == [1, 3, 2]
    assert [t[i]["total"] for i in (1, 2, 3)] == [3, 1, 2]
    assert [t[i]["voters"] for i in (1, 2, 3)] == [3, 1, 2]
    assert t[1]["share"] == approx(0.75)  # 3 / 4 ballots
    assert t[2]["share"] == approx(0.25)  # 1 / 4
    assert t[3]["share"] == approx(0.5)  # 2 / 4
    assert [t[i]["rank"] for i in (1, 3, 2)] == [1, 2, 3]


def test_approval_by_helix_and_balanced():
    t = by_id(_approval_example())
    assert t[1]["by_helix"] == {"business": 0, "academia": 1, "public": 2, "civil": None, "other": None}
    assert t[3]["by_helix"] == {"business": 1, "academia": 1, "public": 0, "civil": None, "other": None}
    # G = 3: w(b1) = w(b2) = 1/6, w(b3) = w(b4) = 1/3; N = 4
    assert t[1]["balanced"] == approx(8 / 3)  # 4 * (1/6 + 1/6 + 1/3)
    assert t[2]["balanced"] == approx(2 / 3)  # 4 * (1/6)
    assert t[3]["balanced"] == approx(8 / 3)  # 4 * (1/3 + 1/3)


def test_approval_ties_share_competition_rank_and_keep_ballot_order():
    # T2 3, T1 2, T4 2, T3 1 -> ranks 1, 2, 2, 4
    rows = approved("b1", "civil", [2, 1, 4, 3]) + approved("b2", "civil", [2, 1, 4]) + approved("b3", "civil", [2])
    # ballot order T3, T4, T1, T2: of the tied pair T4 comes first
    res = run("approval", themes_df(1, 2, 3, 4), rows, on_ballot=[3, 4, 1, 2])
    assert order(res) == [2, 4, 1, 3]
    assert [t["total"] for t in res.themes] == [3, 2, 2, 1]
    assert [t["rank"] for t in res.themes] == [1, 2, 2, 4]
    assert [t["tied"] for t in res.themes] == [False, True, True, False]


def test_approval_merge_counts_one_approval_per_voter():
    # T2 merged into T1: b1 approved both -> 1; b2 approved T2 -> 1; b3 approved T3
    rows = approved("b1", "academia", [1, 2]) + approved("b2", "academia", [2]) + approved("b3", "civil", [3])
    res = run("approval", themes_df(1, (2, "merged", 1), 3), rows, **GROUP_ARITHMETIC)
    t = by_id(res)
    assert order(res) == [1, 3]
    assert t[1]["total"] == 2
    assert t[1]["voters"] == 2
    assert t[1]["share"] == approx(2 / 3)  # 2 approvals / 3 ballots
    assert t[1]["by_helix"]["academia"] == 2


def test_chain_merge_counts_for_the_final_survivor():
    # T1 -> T2 -> T3; T4 stays. Approvals for T1, T2 and T3 all count for T3, once per voter.
    rows = (
        approved("b1", "business", [1])
        + approved("b2", "business", [2])
        + approved("b3", "public", [3, 4])
        + approved("b4", "public", [1, 3])  # both land on T3 -> one approval
    )
    res = run("approval", themes_df((1, "merged", 2), (2, "merged", 3), 3, 4), rows)
    t = by_id(res)
    assert order(res) == [3, 4]
    assert t[3]["total"] == 4  # b1, b2, b3, b4
    assert t[3]["merged_from"] == [1, 2]
    assert t[4]["total"] == 1


def test_dots_chain_merge_caps_the_sum_over_the_whole_chain():
    # cap 3; T1 -> T2 -> T3. b1: 1 + 1 + 2 = 4 -> 3; b2: T1 2 -> 2
    rows = dots("b1", "civil", {1: 1, 2: 1, 3: 2}) + dots("b2", "civil", {1: 2})
    res = run("dots", themes_df((1, "merged", 2), (2, "merged", 3), 3), rows, dots_cap=3)
    assert order(res) == [3]
    assert res.themes[0]["total"] == 5  # 3 + 2


# ---------------------------------------------------------------- consensus


def test_consensus_is_one_when_everyone_agrees():
    # every ballot approves T1 (x = 1 everywhere) and none approves T2 (x = 0 everywhere)
    rows = (
        approved("b1", "business", [1])
        + approved("b2", "business", [1])
        + approved("b3", "academia", [1])
        + approved("b4", "civil", [1])
    )
    t = by_id(run("approval", themes_df(1, 2), rows, **GROUP_ARITHMETIC))
    for tid in (1, 2):
        assert t[tid]["agreement_voters"] == approx(1.0)
        assert t[tid]["agreement_helix"] == approx(1.0)
        assert t[tid]["consensus"] == approx(1.0)


def test_consensus_hand_computed_for_split_approval():
    rows = (
        approved("b1", "business", [1])
        + approved("b2", "business", [2])
        + approved("b3", "academia", [1])
        + approved("b4", "academia", [1, 2])
    )
    t = by_id(run("approval", themes_df(1, 2), rows, **GROUP_ARITHMETIC))
    # T1: x = 1, 0, 1, 1 -> mean 3/4, sd sqrt(3/4 * 1/4) = sqrt(3)/4 -> 1 - sqrt(3)/2 ~ 0.133975
    voters = 1 - math.sqrt(3) / 2
    # group means: business 1/2, academia 1 -> sd 1/4 -> 1 - 1/2 = 1/2
    helix = 0.5
    assert t[1]["agreement_voters"] == approx(voters)
    assert t[1]["agreement_helix"] == approx(helix)
    assert t[1]["consensus"] == approx((voters + helix) / 2)  # ~0.316987
    # T2: x = 0, 1, 0, 1 -> sd 1/2 -> 0; group means 1/2, 1/2 -> sd 0 -> 1; consensus 1/2
    assert t[2]["agreement_voters"] == approx(0.0)
    assert t[2]["agreement_helix"] == approx(1.0)
    assert t[2]["consensus"] == approx(0.5)


def test_single_voter_agreement_is_one():
    t = by_id(run("dots", themes_df(1), dots("b1", "public", {1: 2}), dots_cap=3, **GROUP_ARITHMETIC))
    assert t[1]["agreement_voters"] == approx(1.0)
    assert t[1]["agreement_helix"] == approx(1.0)


# ---------------------------------------------------------------- empty round


@pytest.mark.parametrize(
    "method, kw",
    [
        ("dots", {"dots_cap": 3}),
        ("score", {"criteria": [IMPACT, FEAS]}),
        ("rank", {"rank_count": 2}),
        ("approval", {}),
    ],
)
def test_empty_round_gives_zero_totals_and_zero_ballots(method, kw):
    res = run(method, themes_df(1, 2), [], participants={"business": 2, "civil": 1}, **kw)
    assert res.ballots == 0
    assert order(res) == [1, 2]
    assert [t["total"] for t in res.themes] == [0, 0]
    assert [t["balanced"] for t in res.themes] == [0, 0]
    assert all(v is None for t in res.themes for v in t["by_helix"].values())
    assert res.turnout["overall"] == {"participants": 3, "ballots": 0, "rate": approx(0.0)}
    assert res.turnout["by_helix"]["business"]["ballots"] == 0


# ---------------------------------------------------------------- through the database


def _closed_dots_round(engine):
    """Default round: 5 dots each, at most 3 per theme. Tokens: business 0, business 1, academia 0, public 0."""
    s = make_setup(engine, participants={"business": 2, "academia": 1, "public": 1}, themes=3, phase="voting")
    t1, t2, t3 = s.themes
    ballots = [{t1: 3, t2: 2}, {t2: 3, t3: 2}, {t1: 2, t2: 2}, {t3: 1}]
    for token, choices in zip(s.tokens, ballots, strict=True):
        submit_ballot(engine, token, s.round_id, choices)
    ops.close_round(engine, s.fac, s.round_id)
    return s


def test_db_dots_round_totals(engine):
    s = _closed_dots_round(engine)
    t1, t2, t3 = s.themes
    res = round_results(engine, SYSTEM, s.round_id)
    t = by_id(res)
    assert res.ballots == 4
    assert order(res) == [t2, t1, t3]
    assert t[t1]["total"] == 5  # 3 + 2
    assert t[t2]["total"] == 7  # 2 + 3 + 2
    assert t[t3]["total"] == 3  # 2 + 1
    # Business 2, academia 1 and public 1 ballot: each under 3, so only "other" (all four) is shown.
    assert t[t2]["by_helix"] == {"business": None, "academia": None, "public": None, "civil": None, "other": 7}
    assert res.helix_breakdown == {
        "min_ballots": 3, "shown": ["other"], "folded": ["business", "academia", "public"], "withheld": False
    }  # fmt: skip
    assert res.turnout["overall"] == {"participants": 4, "ballots": 4, "rate": approx(1.0)}


def test_db_merge_after_close_moves_votes_with_cap_and_unmerge_restores(engine):
    s = _closed_dots_round(engine)
    t1, t2, t3 = s.themes
    before = round_results(engine, SYSTEM, s.round_id)

    ops.merge_themes(engine, s.fac, t1, t2)
    merged = round_results(engine, SYSTEM, s.round_id)
    m = by_id(merged)
    assert order(merged) == [t2, t3]
    # T1 into T2: business 0 min(3+2, 3) = 3; business 1: 3; academia: min(2+2, 3) = 3 -> 9
    assert m[t2]["total"] == 9
    assert m[t2]["by_helix"] == {"business": None, "academia": None, "public": None, "civil": None, "other": 9}
    assert m[t2]["merged_from"] == [t1]
    assert m[t3]["total"] == 3
    assert merged.ballots == 4

    ops.unmerge_theme(engine, s.fac, t1)
    after = round_results(engine, SYSTEM, s.round_id)
    assert after.themes == before.themes
    assert after.as_dict() == before.as_dict()


def test_db_chain_merge_counts_for_last_survivor_and_unmerging_step_by_step_restores(engine):
    s = _closed_dots_round(engine)
    t1, t2, t3 = s.themes
    before = round_results(engine, SYSTEM, s.round_id)

    ops.merge_themes(engine, s.fac, t1, t2)
    one_step = round_results(engine, SYSTEM, s.round_id)
    ops.merge_themes(engine, s.fac, t2, t3)
    chain = round_results(engine, SYSTEM, s.round_id)
    assert order(chain) == [t3]
    # everything lands on T3, capped at 3 per voter: min(3+2, 3) + min(3+2, 3) + min(2+2, 3) + 1 = 10
    assert chain.themes[0]["total"] == 10
    assert chain.themes[0]["merged_from"] == sorted([t1, t2])

    ops.unmerge_theme(engine, s.fac, t2)
    assert round_results(engine, SYSTEM, s.round_id).themes == one_step.themes
    ops.unmerge_theme(engine, s.fac, t1)
    assert round_results(engine, SYSTEM, s.round_id).themes == before.themes


def test_db_merge_into_theme_of_another_round_then_unmerge_restores_result(engine):
    # Round 1 (closed) holds T1..T3. Round 2 gets its own theme U, voted on and closed; U is then found to
    # duplicate T1 and merged into it (T1 joins round 2's ballot), then the merge is undone.
    s = _closed_dots_round(engine)
    t1 = s.themes[0]
    r2 = ops.add_round(engine, s.fac, ops.RoundSpec(method="approval"))
    ops.set_phase(engine, s.fac, r2.id, "proposing")
    u = ops.add_theme(engine, s.fac, r2.id, ops.ThemeInput(title="Dubblett")).id
    v = ops.add_theme(engine, s.fac, r2.id, ops.ThemeInput(title="Annat")).id
    ops.set_phase(engine, s.fac, r2.id, "reviewing")
    ops.set_phase(engine, s.fac, r2.id, "voting")
    submit_ballot(engine, s.tokens[0], r2.id, [u])
    submit_ballot(engine, s.tokens[1], r2.id, [u, v])
    ops.close_round(engine, s.fac, r2.id)
    before = round_results(engine, SYSTEM, r2.id)
    assert [(t["theme_id"], t["total"]) for t in before.themes] == [(u, 2), (v, 1)]

    ops.merge_themes(engine, s.fac, u, t1)
    merged = round_results(engine, SYSTEM, r2.id)
    assert [(t["theme_id"], t["total"]) for t in merged.themes] == [(t1, 2), (v, 1)]

    ops.unmerge_theme(engine, s.fac, u)
    assert round_results(engine, SYSTEM, r2.id).themes == before.themes


# ---------------------------------------------------------------- the result's keys and their types

# A round of every registered method, with one ballot per participant that gives every theme something.
KEY_SPECS = {
    "dots": ops.RoundSpec(method="dots", dots_per_participant=4, max_dots_per_theme=2),
    "score": ops.RoundSpec(method="score", criteria=(ops.CriterionSpec("Nytta", "Benefit"),)),
    "rank": ops.RoundSpec(method="rank", rank_count=2),
    "approval": ops.RoundSpec(method="approval"),
    "quadratic": ops.RoundSpec(method="quadratic", settings={"credits": 8}),
}


def _ballot_for_every_theme(method: str, themes: list[int], criteria: list[int]):
    if method == "score":
        return {t: dict.fromkeys(criteria, 3) for t in themes}
    if method in ("rank", "approval"):
        return list(themes)
    return dict.fromkeys(themes, 2)


def test_a_real_tally_of_every_method_has_exactly_the_keys_its_typed_dictionaries_declare(engine):
    seen: set[str] = set()
    for method in voting.NAMES:
        s = make_setup(engine, KEY_SPECS[method], participants={"business": 3, "public": 1}, themes=2, phase="voting")
        for token in s.tokens:
            submit_ballot(engine, token, s.round_id, _ballot_for_every_theme(method, s.themes, s.criteria))
        ops.close_round(engine, s.fac, s.round_id)
        result = round_results(engine, SYSTEM, s.round_id).as_dict()

        assert set(result) == RoundResultDict.__required_keys__
        assert set(result["turnout"]) == set(Turnout.__required_keys__)
        assert set(result["turnout"]["overall"]) == TurnoutFigures.__required_keys__
        assert set(result["helix_breakdown"]) == HelixBreakdown.__optional_keys__
        assert {k for c in result["criteria"] for k in c} <= CriterionInfo.__required_keys__
        assert len(result["themes"]) == 2
        for row in result["themes"]:
            keys = set(row)
            assert keys >= ThemeResult.__required_keys__, (method, ThemeResult.__required_keys__ - keys)
            assert keys <= ThemeResult.__required_keys__ | ThemeResult.__optional_keys__, (method, keys)
            seen |= keys
    # Every optional key is some method's own figure.
    assert seen == ThemeResult.__required_keys__ | ThemeResult.__optional_keys__
