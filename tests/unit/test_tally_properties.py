"""Property tests for the pure tally: random valid ballots, random merges, no database."""

from __future__ import annotations

import math
from collections import defaultdict

import pandas as pd
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from edp.models import HELIX_GROUPS
from edp.voting.tally import ENTRY_COLUMNS, OTHER, RoundInput, balanced_weights, reporting_groups, tally

METHODS = ("dots", "score", "rank", "approval")
ADDITIVE = ("dots", "rank", "approval")
SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


# ---------------------------------------------------------------- generators


@st.composite
def criteria_lists(draw):
    n = draw(st.integers(1, 3))
    out = []
    for j in range(n):
        lo = draw(st.integers(0, 3))
        hi = draw(st.integers(lo + 1, lo + 6))
        weight = draw(st.sampled_from([0.25, 0.5, 1.0, 1.5, 2.0, 3.0]))
        out.append(
            {"id": 100 + j, "name_sv": f"k{j}", "name_en": f"c{j}", "weight": weight, "scale_min": lo, "scale_max": hi}
        )
    return out


def _ballot_entries(draw, method, ids, cap, k, criteria):
    """One valid ballot's (theme_id, criterion_id, value) rows, as the ballot module would store them."""
    if method == "rank":
        perm = draw(st.permutations(ids))
        m = draw(st.integers(1, min(k, len(ids))))
        return [(t, None, pos) for pos, t in enumerate(perm[:m], start=1)]
    chosen = draw(st.lists(st.sampled_from(ids), min_size=1, max_size=len(ids), unique=True))
    if method == "dots":
        return [(t, None, draw(st.integers(1, cap))) for t in chosen]
    if method == "approval":
        return [(t, None, 1) for t in chosen]
    return [(t, c["id"], draw(st.integers(c["scale_min"], c["scale_max"]))) for t in chosen for c in criteria]


@st.composite
def rounds(draw, methods=METHODS, merges=True, equal_groups=False, min_ballots=0, max_ballots=8):
    """A RoundInput whose themes are all active (the state at voting time), plus a list of merges
    (duplicate, survivor) to apply afterwards, in an order that merge_themes would accept."""
    method = draw(st.sampled_from(methods))
    ids = draw(st.lists(st.integers(1, 99), min_size=1, max_size=5, unique=True))
    cap = draw(st.integers(1, 4))
    k = draw(st.integers(1, 6))
    criteria = draw(criteria_lists()) if method == "score" else []

    if equal_groups:
        groups = draw(st.lists(st.sampled_from(HELIX_GROUPS), min_size=1, max_size=4, unique=True))
        per_group = draw(st.integers(1, 3))
        helices = [g for g in groups for _ in range(per_group)]
        helices = draw(st.permutations(helices))
    else:
        helices = draw(st.lists(st.sampled_from(HELIX_GROUPS), min_size=min_ballots, max_size=max_ballots))

    rows = []
    for b, helix in enumerate(helices):
        for t, c, v in _ballot_entries(draw, method, ids, cap, k, criteria):
            rows.append((f"p{b}", helix, t, c, v))
    entries = pd.DataFrame(rows, columns=ENTRY_COLUMNS)

    themes = pd.DataFrame(
        [(t, f"T{t}", "active", None) for t in ids], columns=["theme_id", "title", "status", "merged_into_id"]
    )
    # Each theme after the first may be merged into an earlier one: chains, no cycles.
    merge_list = []
    if merges:
        for i, t in enumerate(ids[1:], start=1):
            if draw(st.booleans()):
                merge_list.append((t, ids[draw(st.integers(0, i - 1))]))
        merge_list = draw(st.permutations(merge_list))
    participants = {g: helices.count(g) + draw(st.integers(0, 3)) for g in HELIX_GROUPS}
    on_ballot = list(draw(st.permutations(ids)))
    inp = RoundInput(
        round_id=7,
        method=method,
        themes=themes,
        entries=entries,
        participants=participants,
        dots_cap=cap if method == "dots" else None,
        rank_count=k if method == "rank" else None,
        criteria=criteria,
        on_ballot=on_ballot,
    )
    return inp, list(merge_list)


def merged_frame(themes: pd.DataFrame, merges) -> pd.DataFrame:
    """What merge_themes does to the themes: the duplicate becomes 'merged' with merged_into_id set.
    The final frame does not depend on the order (merging the later link of a chain first is always legal)."""
    out = themes.copy()
    out["merged_into_id"] = out["merged_into_id"].astype(object)
    for dup, into in merges:
        i = out.index[out.theme_id == dup][0]
        out.loc[i, "status"] = "merged"
        out.loc[i, "merged_into_id"] = into
    return out


def unmerged_frame(themes: pd.DataFrame, theme_ids) -> pd.DataFrame:
    """What unmerge_theme does: status back to active, merged_into_id cleared."""
    out = themes.copy()
    for tid in theme_ids:
        i = out.index[out.theme_id == tid][0]
        out.loc[i, "status"] = "active"
        out.loc[i, "merged_into_id"] = None
    return out


def with_themes(inp: RoundInput, themes: pd.DataFrame) -> RoundInput:
    return RoundInput(**{**inp.__dict__, "themes": themes})


def with_entries(inp: RoundInput, entries: pd.DataFrame) -> RoundInput:
    return RoundInput(**{**inp.__dict__, "entries": entries})


def survivor_of(merges) -> dict[int, int]:
    into = dict(merges)

    def final(t):
        while t in into:
            t = into[t]
        return t

    return {t: final(t) for t in into}


def reference_totals(inp: RoundInput, merges) -> dict[int, float]:
    """Independent plain-Python totals per surviving theme, straight from the documented definitions."""
    final = survivor_of(merges)
    ids = list(inp.themes.theme_id)
    survivors = [t for t in ids if t not in final]
    per: dict[tuple[str, int], list] = defaultdict(list)
    for b, _h, t, c, v in inp.entries.itertuples(index=False):
        per[(b, final.get(t, t))].append((c, v))
    totals = {t: 0.0 for t in survivors}
    if inp.method == "score":
        weight = {c["id"]: c["weight"] for c in inp.criteria}
        sums: dict[int, list[float]] = defaultdict(list)
        for (_b, t), items in per.items():
            best: dict[int, int] = {}
            for c, v in items:
                best[c] = max(best.get(c, v), v)
            sums[t].append(sum(weight[c] * v for c, v in best.items()))
        return {t: (sum(sums[t]) / len(sums[t]) if sums[t] else 0.0) for t in survivors}
    for (_b, t), items in per.items():
        values = [v for _c, v in items]
        if inp.method == "dots":
            totals[t] += min(sum(values), inp.dots_cap)
        elif inp.method == "rank":
            totals[t] += inp.rank_count - min(values) + 1
        else:
            totals[t] += 1
    return totals


def assert_same_tally(actual: dict, expected: dict, *, abs_tol: float, same_types: bool = False) -> None:
    """Equal structure, key order, ids, ranks and order; floats in `expected` matched within
    `abs_tol` (tally rounds to 6 decimals); with `same_types`, every other value has its type too."""

    def same(x, y, path):
        if isinstance(y, dict):
            assert isinstance(x, dict) and list(x) == list(y), path
            for key in y:
                same(x[key], y[key], f"{path}.{key}")
        elif isinstance(y, list):
            assert isinstance(x, list) and len(x) == len(y), path
            for i, (p, q) in enumerate(zip(x, y, strict=True)):
                same(p, q, f"{path}[{i}]")
        elif isinstance(y, float):
            assert isinstance(x, int | float) and x == pytest.approx(y, abs=abs_tol), (path, x, y)
        else:
            assert x == y and (not same_types or type(x) is type(y)), (path, x, y)

    same(actual, expected, "result")


def assert_same_result(a, b):
    """Two tally results agree (floats to tally's 6-decimal precision)."""
    assert_same_tally(b.as_dict(), a.as_dict(), abs_tol=2e-6)


# ---------------------------------------------------------------- properties


@SETTINGS
@given(rounds(methods=("dots",)))
def test_dots_totals_add_up_to_capped_post_merge_entry_values(case):
    inp, merges = case
    merged = with_themes(inp, merged_frame(inp.themes, merges))
    res = tally(merged)
    final = survivor_of(merges)
    per: dict[tuple[str, int], int] = defaultdict(int)
    for b, _h, t, _c, v in inp.entries.itertuples(index=False):
        per[(b, final.get(t, t))] += v
    expected = sum(min(v, inp.dots_cap) for v in per.values())
    assert sum(t["total"] for t in res.themes) == pytest.approx(expected)


@SETTINGS
@given(rounds(methods=("dots",), merges=False))
def test_dots_totals_add_up_to_plain_entry_sum_without_merges(case):
    inp, _ = case
    res = tally(inp)
    assert sum(t["total"] for t in res.themes) == pytest.approx(float(inp.entries["value"].sum()))


@SETTINGS
@given(rounds())
def test_totals_match_reference_computation_after_merges(case):
    inp, merges = case
    res = tally(with_themes(inp, merged_frame(inp.themes, merges)))
    expected = reference_totals(inp, merges)
    got = {t["theme_id"]: t["total"] for t in res.themes}
    assert set(got) == set(expected)
    for tid, total in expected.items():
        assert got[tid] == pytest.approx(total, abs=1e-6), tid


@SETTINGS
@given(rounds(), st.randoms(use_true_random=False))
def test_merge_then_unmerge_gives_the_original_result(case, rnd):
    inp, merges = case
    original = tally(inp)
    themes_before = inp.themes.copy()
    entries_before = inp.entries.copy()

    merged_themes = merged_frame(inp.themes, merges)
    tally(with_themes(inp, merged_themes))
    # the tally must not have altered its inputs
    pd.testing.assert_frame_equal(inp.themes, themes_before)
    pd.testing.assert_frame_equal(inp.entries, entries_before)

    # undo the merges one by one, in any order
    dups = [d for d, _ in merges]
    rnd.shuffle(dups)
    restored = unmerged_frame(merged_themes, dups)
    assert_same_result(tally(with_themes(inp, restored)), original)


@SETTINGS
@given(
    st.lists(st.sampled_from(HELIX_GROUPS), min_size=1, max_size=30),
    st.randoms(use_true_random=False),
)
def test_balanced_weights_sum_to_one_and_each_group_to_one_over_g(helices, rnd):
    labels = [f"b{i}" for i in range(len(helices))]
    rnd.shuffle(labels)
    series = pd.Series(helices, index=labels)
    w = balanced_weights(series)
    groups = set(helices)
    assert list(w.index) == labels
    assert float(w.sum()) == pytest.approx(1.0)
    for g in groups:
        in_g = w[series == g]
        assert float(in_g.sum()) == pytest.approx(1 / len(groups))
        assert in_g.nunique() == 1  # every ballot in a group weighs the same


@SETTINGS
@given(rounds())
def test_ranks_follow_totals_descending_and_ties_share_rank(case):
    inp, merges = case
    themes = merged_frame(inp.themes, merges)
    res = tally(with_themes(inp, themes))
    totals = [t["total"] for t in res.themes]
    ranks = [t["rank"] for t in res.themes]
    assert totals == sorted(totals, reverse=True)
    for i, a in enumerate(res.themes):
        # competition ranking: 1 + how many themes have a strictly larger total
        assert a["rank"] == 1 + sum(1 for x in totals if x > a["total"])
        assert a["tied"] == (totals.count(a["total"]) > 1)
        for b in res.themes[i + 1 :]:
            assert (a["total"] == b["total"]) == (a["rank"] == b["rank"])
    # display order among equals: the ballot order
    pos = {t: i for i, t in enumerate(inp.on_ballot)}
    for a, b in zip(res.themes, res.themes[1:], strict=False):
        if a["rank"] == b["rank"]:
            assert pos[a["theme_id"]] < pos[b["theme_id"]]
    assert ranks == sorted(ranks)


@SETTINGS
@given(rounds())
def test_consensus_and_agreement_lie_between_zero_and_one(case):
    inp, merges = case
    res = tally(with_themes(inp, merged_frame(inp.themes, merges)))
    for t in res.themes:
        for key in ("agreement_voters", "agreement_helix", "consensus"):
            v = t[key]
            if res.ballots:
                assert v is None or 0.0 <= v <= 1.0, (key, v)
            else:
                assert v is None, (key, v)
        if t["agreement_voters"] is not None and t["agreement_helix"] is not None:
            assert t["consensus"] == pytest.approx((t["agreement_voters"] + t["agreement_helix"]) / 2, abs=2e-6)


@SETTINGS
@given(rounds(methods=ADDITIVE, equal_groups=True))
def test_balanced_equals_total_when_helix_groups_cast_equally_many_ballots(case):
    inp, merges = case
    res = tally(with_themes(inp, merged_frame(inp.themes, merges)))
    for t in res.themes:
        assert t["balanced"] == pytest.approx(t["total"], abs=1e-6), t["theme_id"]


@SETTINGS
@given(rounds(methods=("score",), equal_groups=True))
def test_score_balanced_equals_plain_mean_when_helix_groups_cast_equally_many_ballots(case):
    # all ballot weights are then equal, so the weighted mean over scorers is the plain mean
    inp, merges = case
    res = tally(with_themes(inp, merged_frame(inp.themes, merges)))
    for t in res.themes:
        assert t["balanced"] == pytest.approx(t["total"], abs=1e-6), t["theme_id"]


@SETTINGS
@given(rounds(methods=ADDITIVE, min_ballots=1, max_ballots=16))
def test_additive_by_helix_parts_of_the_reported_groups_add_up_to_total(case):
    inp, merges = case
    res = tally(with_themes(inp, merged_frame(inp.themes, merges)))
    shown = res.helix_breakdown["shown"]
    for t in res.themes:
        assert {g for g, v in t["by_helix"].items() if v is not None} == set(shown)
        if shown:
            assert sum(v for v in t["by_helix"].values() if v is not None) == pytest.approx(t["total"], abs=1e-6)


# ---------------------------------------------------------------- small helix groups


def ballots_per_helix(inp: RoundInput) -> dict[str, int]:
    return inp.entries.drop_duplicates("ballot")["helix"].value_counts().to_dict()


@SETTINGS
@given(rounds(max_ballots=16))
def test_every_reported_group_holds_at_least_three_ballots(case):
    inp, _ = case
    res = tally(inp)
    per = ballots_per_helix(inp)
    b = res.helix_breakdown
    assert b["folded"] == [g for g in HELIX_GROUPS if 0 < per.get(g, 0) < 3]
    for g in b["shown"]:
        held = sum(per.get(f, 0) for f in b["folded"]) if g == OTHER else per[g]
        assert held >= 3, (g, per)
    # Nothing is shown when the folded groups together hold one or two ballots.
    assert b["withheld"] == (0 < sum(per.get(f, 0) for f in b["folded"]) < 3)
    if b["withheld"]:
        assert b["shown"] == []


@SETTINGS
@given(rounds(max_ballots=16))
def test_figures_depend_on_the_reported_groups_only(case):
    """Relabelling every ballot with its reported group (as the ballot export writes it: "other",
    or "" when nothing is shown) changes no figure: nothing tells which small group a ballot came from."""
    inp, merges = case
    merged = with_themes(inp, merged_frame(inp.themes, merges))
    first = merged.entries.drop_duplicates("ballot")
    group_of, _ = reporting_groups(pd.Series(first["helix"].to_numpy(), index=first["ballot"].to_numpy()))
    relabelled = merged.entries.assign(helix=merged.entries["ballot"].map(group_of))
    assert tally(with_entries(merged, relabelled)).themes == tally(merged).themes


@SETTINGS
@given(rounds(min_ballots=1))
def test_a_withheld_breakdown_shows_no_group_and_balances_nothing(case):
    inp, merges = case
    res = tally(with_themes(inp, merged_frame(inp.themes, merges)))
    assume(res.helix_breakdown["withheld"])
    for t in res.themes:
        assert set(t["by_helix"].values()) == {None}
        assert t["agreement_helix"] is None
        assert t["consensus"] == t["agreement_voters"]
        assert t["balanced"] == pytest.approx(t["total"], abs=1e-6)


@SETTINGS
@given(rounds(), st.randoms(use_true_random=False))
def test_shuffling_entry_rows_gives_the_same_result(case, rnd):
    inp, merges = case
    merged = with_themes(inp, merged_frame(inp.themes, merges))
    order = list(range(len(inp.entries)))
    rnd.shuffle(order)
    shuffled = with_entries(merged, inp.entries.iloc[order].reset_index(drop=True))
    assert_same_result(tally(shuffled), tally(merged))


@SETTINGS
@given(rounds(min_ballots=1))
def test_turnout_counts_each_ballot_once(case):
    inp, _ = case
    res = tally(inp)
    n = inp.entries["ballot"].nunique()
    assert res.ballots == n == res.turnout["overall"]["ballots"]
    assert sum(g["ballots"] for g in res.turnout["by_helix"].values()) == n
    assert res.turnout["overall"]["rate"] == pytest.approx(n / sum(inp.participants.values()), abs=1e-6)
    assert not math.isnan(res.turnout["overall"]["rate"])


@SETTINGS
@given(rounds(methods=("score",), min_ballots=1))
def test_a_scored_themes_total_is_a_weighted_sum_within_the_range_the_results_page_prints(case):
    # docs/tally.md: the score figure is a weighted score sum between sum(w * min) and sum(w * max),
    # not a mean on the criteria's scale; edp.ui.results.score_help prints that range.
    inp, merges = case
    res = tally(with_themes(inp, merged_frame(inp.themes, merges)))
    low = sum(c["weight"] * c["scale_min"] for c in inp.criteria)
    high = sum(c["weight"] * c["scale_max"] for c in inp.criteria)
    for t in res.themes:
        if t["n"]:
            assert low - 1e-6 <= t["total"] <= high + 1e-6, (t, low, high)
