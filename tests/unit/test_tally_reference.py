"""The array-based tally against a plain-Python reference written straight from docs/tally.md.

The reference loops over ballots and themes with dicts and lists only; it shares nothing with
edp.voting.tally except the merge resolution (edp.workshop). It is checked on random rounds without a
database, and on random rounds cast through submit_ballot and merged after the close, loaded
with a plain ORM query (SQLite and PostgreSQL).
"""

from __future__ import annotations

import math
import random
from collections import Counter
from typing import Any

import pytest
from hypothesis import given
from sqlalchemy import select

from edp import workshop as ops
from edp.access import SYSTEM
from edp.db import read
from edp.models import HELIX_GROUPS, Ballot, BallotEntry, Participant, Round, RoundTheme, Theme
from edp.voting.ballots import submit_ballot
from edp.voting.merges import ballot_survivors, resolve_merges
from edp.voting.tally import round_results, tally
from tests.factory import make_setup
from tests.unit.test_tally_properties import SETTINGS, assert_same_tally, merged_frame, rounds, with_themes

# ---------------------------------------------------------------- the reference


def _mean(xs: list[float]) -> float:
    return sum(xs) / len(xs)


def _sd(xs: list[float]) -> float:
    m = _mean(xs)
    return math.sqrt(sum((x - m) ** 2 for x in xs) / len(xs))


def _agreement(xs: list[float]) -> float | None:
    if not xs:
        return None
    return 1.0 if len(xs) == 1 else max(0.0, 1.0 - 2.0 * _sd(xs))


def reference_tally(
    *,
    method: str,
    themes: list[tuple[int, str, str, int | None]],  # id, title, status, merged_into_id
    entries: list[tuple[Any, str, int, int | None, int]],  # ballot, helix, theme_id, criterion_id, value
    participants: dict[str, int],
    on_ballot: list[int],
    dots_cap: int | None = None,
    rank_count: int | None = None,
    criteria: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    criteria = criteria or []
    counted_of = resolve_merges({t: (status, into) for t, _title, status, into in themes})
    titles = {t: title for t, title, _s, _i in themes}
    candidates = ballot_survivors(on_ballot, counted_of)

    helix_of: dict[Any, str] = {}
    for b, h, _t, _c, _v in entries:
        helix_of.setdefault(b, h)
    ballots = list(helix_of)
    n = len(ballots)

    # Reported groups: a helix group with at least 3 ballots on its own; smaller ones (and ballots
    # labelled "other") together as "other"; nothing at all when "other" has 1 or 2 ballots, or a
    # ballot has no label.
    ballots_in = Counter(helix_of.values())
    own = [g for g in HELIX_GROUPS if ballots_in.get(g, 0) >= 3]
    rest = [b for b in ballots if helix_of[b] not in own]
    withheld = any(not helix_of[b] for b in ballots) or 0 < len(rest) < 3
    group_of = {b: "" if withheld else helix_of[b] if helix_of[b] in own else "other" for b in ballots}
    reported = [] if withheld else own + (["other"] if rest else [])
    group_size = Counter(group_of.values())
    weight = {b: 1.0 / (len(group_size) * group_size[group_of[b]]) for b in ballots}

    # Collapse one voter's entries per counted theme (and criterion).
    per: dict[tuple[Any, int], list[tuple[int | None, int]]] = {}
    for b, _h, t, c, value in entries:
        if counted_of.get(t) in candidates:
            per.setdefault((b, counted_of[t]), []).append((c, value))
    k = rank_count or 1
    crit_weight = {c["id"]: c["weight"] for c in criteria}
    lo = sum(c["weight"] * c["scale_min"] for c in criteria) if criteria else 0.0
    hi = sum(c["weight"] * c["scale_max"] for c in criteria) if criteria else 1.0

    value_of: dict[tuple[Any, int], float] = {}  # v(b, t) for the ballots counted for t
    best_of: dict[tuple[Any, int], dict[int, int]] = {}  # score: the higher score per criterion
    best_rank: dict[tuple[Any, int], int] = {}
    for key, items in per.items():
        if method == "dots":
            total = sum(v for _c, v in items)
            value_of[key] = min(total, dots_cap) if dots_cap else total
        elif method == "rank":
            best_rank[key] = min(v for _c, v in items)
            value_of[key] = k - best_rank[key] + 1
        elif method == "approval":
            value_of[key] = 1
        else:
            best: dict[int, int] = {}
            for c, v in items:
                if c is not None:
                    best[c] = max(best.get(c, v), v)
            if items and any(c is not None for c, _v in items):
                best_of[key] = best
                value_of[key] = sum(crit_weight.get(c, 0.0) * v for c, v in best.items())
    scale = float(dots_cap or 1) if method == "dots" else float(k) if method == "rank" else 1.0

    def x_of(v: float) -> float:
        return (v - lo) / (hi - lo) if method == "score" else v / scale

    grand = sum(value_of.values())
    rows = []
    for t in candidates:
        # Score counts only the voters who scored t; the additive methods count every ballot.
        counted = [b for b in ballots if (b, t) in value_of] if method == "score" else ballots
        vs = {b: float(value_of.get((b, t), 0.0)) for b in counted}
        row: dict[str, Any] = {"theme_id": t, "title": titles.get(t, "")}
        groups = {g: [b for b in counted if group_of[b] == g] for g in reported}
        if method == "score":
            row["total"] = _mean(list(vs.values())) if vs else 0.0
            row["voters"] = row["n"] = len(vs)
            row["dispersion"] = _sd(list(vs.values())) if len(vs) > 1 else 0.0
            row["criteria_means"] = {}
            for c in criteria:
                scores = [best_of[(b, t)][c["id"]] for b in counted if c["id"] in best_of[(b, t)]]
                row["criteria_means"][c["name_en"]] = _mean(scores) if scores else None
            row["balanced"] = sum(weight[b] * v for b, v in vs.items()) / sum(weight[b] for b in vs) if vs else 0.0
            by_group = {g: (_mean([vs[b] for b in bs]) if bs else None) for g, bs in groups.items()}
        else:
            row["total"] = float(sum(vs.values()))
            row["voters"] = sum(1 for v in vs.values() if v > 0)
            row["balanced"] = n * sum(weight[b] * v for b, v in vs.items()) if n else 0.0
            if method == "dots":
                row["share"] = row["total"] / grand if grand else 0.0
            elif method == "approval":
                row["share"] = row["total"] / n if n else 0.0
            else:
                ranks = [best_rank[(b, t)] for b in ballots if (b, t) in best_rank]
                row["mean_rank"] = _mean(ranks) if ranks else None
            by_group = {g: float(sum(vs[b] for b in bs)) for g, bs in groups.items()}
        row["by_helix"] = {g: by_group.get(g) for g in (*HELIX_GROUPS, "other")}
        row["agreement_voters"] = _agreement([x_of(v) for v in vs.values()])
        group_means = [_mean([x_of(vs[b]) for b in bs]) for bs in groups.values() if bs]
        row["agreement_helix"] = _agreement(group_means)
        parts = [p for p in (row["agreement_voters"], row["agreement_helix"]) if p is not None]
        row["consensus"] = sum(parts) / len(parts) if parts else None
        row["merged_from"] = sorted(int(o) for o, c in counted_of.items() if c == t and o != t)
        rows.append(row)

    for row in rows:
        row["rank"] = 1 + sum(1 for o in rows if round(o["total"], 9) > round(row["total"], 9))
    for row in rows:
        row["tied"] = sum(1 for o in rows if o["rank"] == row["rank"]) > 1
    position = {t: i for i, t in enumerate(candidates)}
    rows.sort(key=lambda r: (r["rank"], position[r["theme_id"]]))

    total_participants = sum(participants.values())
    return {
        "participants": total_participants,
        "ballots": n,
        "helix_breakdown": {
            "min_ballots": 3,
            "shown": reported,
            "folded": [g for g in HELIX_GROUPS if 0 < ballots_in.get(g, 0) < 3],
            "withheld": withheld,
        },
        "turnout": {
            "overall": {
                "participants": total_participants,
                "ballots": n,
                "rate": n / total_participants if total_participants else None,
            },
            "by_helix": {
                g: {
                    "participants": participants.get(g, 0),
                    "ballots": ballots_in.get(g, 0),
                    "rate": ballots_in.get(g, 0) / participants[g] if participants.get(g) else None,
                }
                for g in HELIX_GROUPS
            },
        },
        "themes": rows,
    }


def assert_matches_reference(result: dict[str, Any], expected: dict[str, Any]) -> None:
    """The reference's sections (the result has more) with the same keys in the same order, same
    ids, ranks and order, same types; floats equal to tally's 6 decimals."""
    assert_same_tally({key: result[key] for key in expected}, expected, abs_tol=1e-6, same_types=True)


# ---------------------------------------------------------------- without a database


@SETTINGS
@given(rounds(max_ballots=16))
def test_tally_matches_the_plain_python_reference_after_merges(case):
    inp, merges = case
    merged = with_themes(inp, merged_frame(inp.themes, merges))
    expected = reference_tally(
        method=merged.method,
        themes=[
            (t, title, status, None if into is None or into != into else int(into))
            for t, title, status, into in merged.themes.itertuples(index=False)
        ],
        entries=list(merged.entries.itertuples(index=False)),
        participants=merged.participants,
        on_ballot=merged.on_ballot,
        dots_cap=merged.dots_cap,
        rank_count=merged.rank_count,
        criteria=merged.criteria,
    )
    assert_matches_reference(tally(merged).as_dict(), expected)


# ---------------------------------------------------------------- through the database

DB_SPECS = {
    "dots": ops.RoundSpec(method="dots", dots_per_participant=5, max_dots_per_theme=3),
    "score": ops.RoundSpec(
        method="score",
        criteria=[
            ops.CriterionSpec("Effekt", "impact", weight=2.0, scale_min=1, scale_max=5),
            ops.CriterionSpec("Genomförbarhet", "feasibility", weight=0.5, scale_min=0, scale_max=10),
            ops.CriterionSpec("Kostnad", "cost", weight=1.0, scale_min=1, scale_max=3),
        ],
    ),
    "rank": ops.RoundSpec(method="rank", rank_count=3),
    "approval": ops.RoundSpec(method="approval"),
}


def _random_ballot(method: str, rng: random.Random, themes: list[int], criteria: list[dict[str, Any]]) -> Any:
    if method == "dots":
        alloc: dict[int, int] = {}
        for _ in range(5):
            t = rng.choice(themes)
            alloc[t] = min(3, alloc.get(t, 0) + 1)
        return alloc
    if method == "score":
        chosen = rng.sample(themes, rng.randint(1, len(themes)))
        return {t: {c["id"]: rng.randint(c["scale_min"], c["scale_max"]) for c in criteria} for t in chosen}
    if method == "rank":
        return rng.sample(themes, rng.randint(1, 3))
    return rng.sample(themes, rng.randint(1, len(themes)))


def _reference_from_database(engine, round_id: int) -> dict[str, Any]:
    """The reference's input read with plain ORM queries, one object at a time."""
    with read(engine) as s:
        rnd = s.get(Round, round_id)
        themes = [
            (t.id, t.title, t.status, t.merged_into_id)
            for t in s.scalars(select(Theme).where(Theme.workshop_id == rnd.workshop_id))
        ]
        entries = []
        for ballot in s.scalars(select(Ballot).where(Ballot.round_id == round_id).order_by(Ballot.id)):
            helix = s.get(Participant, ballot.participant_id).helix
            for e in s.scalars(select(BallotEntry).where(BallotEntry.ballot_id == ballot.id).order_by(BallotEntry.id)):
                entries.append((ballot.pseudonym, helix, e.theme_id, e.criterion_id, e.value))
        joined = s.scalars(
            select(Participant).where(Participant.workshop_id == rnd.workshop_id, Participant.joined_at.is_not(None))
        )
        on_ballot = list(
            s.scalars(
                select(RoundTheme.theme_id)
                .where(RoundTheme.round_id == round_id)
                .order_by(RoundTheme.position, RoundTheme.theme_id)
            )
        )
        return reference_tally(
            method=rnd.method,
            themes=themes,
            entries=entries,
            participants=dict(Counter(p.helix for p in joined)),
            on_ballot=on_ballot,
            dots_cap=rnd.max_dots_per_theme,
            rank_count=rnd.rank_count,
            criteria=[
                {
                    "id": c.id,
                    "name_en": c.name_en,
                    "weight": c.weight,
                    "scale_min": c.scale_min,
                    "scale_max": c.scale_max,
                }
                for c in rnd.criteria
            ],
        )


@pytest.mark.parametrize("method", list(DB_SPECS))
def test_db_round_results_match_the_reference_before_and_after_merges(engine, method):
    rng = random.Random(f"tally-reference-{method}")
    # Business and academia are shown; public (2) and civil (1: the last participant does not vote)
    # are folded into "other" (3).
    s = make_setup(
        engine,
        DB_SPECS[method],
        participants={"business": 5, "academia": 3, "public": 2, "civil": 2},
        themes=6,
        phase="voting",
    )
    with read(engine) as session:
        criteria = [
            {"id": c.id, "scale_min": c.scale_min, "scale_max": c.scale_max}
            for c in session.get(Round, s.round_id).criteria
        ]
    for token in s.tokens[:-1]:  # one participant does not vote
        submit_ballot(engine, token, s.round_id, _random_ballot(method, rng, s.themes, criteria))
    ops.close_round(engine, s.fac, s.round_id)
    assert_matches_reference(
        round_results(engine, SYSTEM, s.round_id).as_dict(), _reference_from_database(engine, s.round_id)
    )

    # A chain (t1 -> t2 -> t3) and a plain merge (t5 -> t4), then a withdrawal.
    t1, t2, t3, t4, t5, t6 = s.themes
    ops.merge_themes(engine, s.fac, t1, t2)
    ops.merge_themes(engine, s.fac, t2, t3)
    ops.merge_themes(engine, s.fac, t5, t4)
    assert_matches_reference(
        round_results(engine, SYSTEM, s.round_id).as_dict(), _reference_from_database(engine, s.round_id)
    )
    ops.withdraw_theme(engine, s.fac, t6)
    assert_matches_reference(
        round_results(engine, SYSTEM, s.round_id).as_dict(), _reference_from_database(engine, s.round_id)
    )
