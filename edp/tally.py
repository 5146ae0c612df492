"""Round results from ballots alone, with pandas: totals, ties, helix breakdown, balance, consensus.

Definitions (all documented in docs/tally.md):

* Merges are resolved here, not in the ballots: each entry counts for the theme its voted theme
  was (transitively) merged into. One voter's entries that land on the same theme collapse to
  one: dots are summed then capped at the per-theme maximum; for scores the higher score per
  criterion counts; for ranks the better rank; for approvals one approval.
* Per voter b and theme t a value v(b,t): dots = points; approval = 0/1; rank = Borda points
  K - rank + 1 (0 when unranked, K = the round's rank count); score = the weighted total
  sum_c w_c * s(b,t,c), over the voters who scored t.
* total: dots, approval and rank sum v over ballots; score is the mean of v over its scorers
  (= sum_c w_c * mean_c).
* helix-balanced: ballot weights w_b = 1 / (G * n_g(b)), G = helix groups that cast a ballot,
  n_g = ballots in b's group; the weights sum to 1. Additive methods report N * sum_b w_b v(b,t),
  i.e. the total as if every group had cast equally many ballots; score reports the
  w-weighted mean over the theme's scorers.
* consensus: x(b,t) is v scaled to [0, 1] by the method's range. Voter agreement is
  1 - 2 * sd(x) over voters; helix agreement is 1 - 2 * sd of the group means of x. Both lie in
  [0, 1] because a [0, 1] variable has sd <= 0.5. consensus = their mean.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from edp.db import read
from edp.errors import NotFound
from edp.models import HELIX_GROUPS, Ballot, BallotEntry, Participant, Round, RoundTheme, Theme
from edp.workshop import ballot_survivors
from edp.workshop import resolve_merges as merge_chain

ENTRY_COLUMNS = ["ballot", "helix", "theme_id", "criterion_id", "value"]
ADDITIVE = ("dots", "rank", "approval")
BALANCED_LABEL = {
    "sv": "Helixbalanserat: varje helixgrupp som röstat väger lika",
    "en": "Helix-balanced: each helix group that voted counts equally",
}


@dataclass
class RoundInput:
    """Everything a tally needs; a recount from an exported ballot file builds the same thing."""

    round_id: int
    method: str
    themes: pd.DataFrame  # theme_id, title, status, merged_into_id (the round's ballot and merged ones)
    entries: pd.DataFrame  # ENTRY_COLUMNS, one row per ballot entry, theme as voted
    participants: dict[str, int]  # helix -> participants who could vote
    dots_cap: int | None = None
    rank_count: int | None = None
    criteria: list[dict[str, Any]] = field(default_factory=list)  # id, name_sv, name_en, weight, scale_min, scale_max
    on_ballot: list[int] | None = None  # theme ids on the round's ballot, in ballot order


@dataclass
class RoundResult:
    round_id: int
    method: str
    participants: int
    ballots: int
    themes: list[dict[str, Any]]
    turnout: dict[str, Any]
    criteria: list[dict[str, Any]]

    def as_dict(self) -> dict[str, Any]:
        return {
            "round": self.round_id,
            "method": self.method,
            "participants": self.participants,
            "ballots": self.ballots,
            "turnout": self.turnout,
            "balanced_label": BALANCED_LABEL,
            "criteria": self.criteria,
            "themes": self.themes,
        }

    def to_json(self) -> str:
        return json.dumps(self.as_dict(), ensure_ascii=False, indent=2)

    def frame(self) -> pd.DataFrame:
        rows = []
        for t in self.themes:
            row = {k: v for k, v in t.items() if not isinstance(v, dict | list)}
            for g, v in t["by_helix"].items():
                row[f"helix_{g}"] = v
            for name, v in t.get("criteria_means", {}).items():
                row[f"mean_{name}"] = v
            rows.append(row)
        return pd.DataFrame(rows)


def resolve_merges(themes: pd.DataFrame) -> dict[int, int | None]:
    """theme id -> the active theme it counts for (None when withdrawn or dangling)."""
    into = [None if pd.isna(x) else int(x) for x in themes.merged_into_id]
    return merge_chain(dict(zip((int(t) for t in themes.theme_id), zip(themes.status, into, strict=True), strict=True)))


def balanced_weights(helix_of_ballot: pd.Series) -> pd.Series:
    """w_b = 1 / (G * n_g): each helix group that voted carries the same total weight."""
    if helix_of_ballot.empty:
        return pd.Series(dtype=float)
    counts = helix_of_ballot.map(helix_of_ballot.value_counts())
    groups = helix_of_ballot.nunique()
    return 1.0 / (groups * counts.astype(float))


def _competition_ranks(totals: pd.Series) -> pd.Series:
    return totals.round(9).rank(method="min", ascending=False).astype(int)


def _clean(v: Any) -> Any:
    if v is None or (isinstance(v, float) and np.isnan(v)):
        return None
    if isinstance(v, np.integer):
        return int(v)
    if isinstance(v, float | np.floating):
        return round(float(v), 6)
    return v


def tally(inp: RoundInput) -> RoundResult:
    counted_of = resolve_merges(inp.themes)
    titles = dict(zip(inp.themes.theme_id, inp.themes.title, strict=True))
    on_ballot = inp.on_ballot if inp.on_ballot is not None else list(inp.themes.theme_id)
    # A theme merged into one from another round is counted (and shown) as that survivor.
    candidates = ballot_survivors(on_ballot, counted_of)

    e = inp.entries.copy()
    e["counted"] = e["theme_id"].map(counted_of)
    e = e[e["counted"].isin(candidates)]
    helix_of = inp.entries.drop_duplicates("ballot").set_index("ballot")["helix"]
    ballots = helix_of.index
    weights = balanced_weights(helix_of)
    n_ballots = len(ballots)

    # v: ballots x candidate themes; x: the same scaled to [0, 1]; scored: who counts for the theme.
    if inp.method == "score":
        crit = pd.DataFrame(inp.criteria).set_index("id") if inp.criteria else pd.DataFrame()
        per = e.groupby(["ballot", "counted", "criterion_id"])["value"].max().reset_index()
        per["weighted"] = per["value"] * per["criterion_id"].map(crit["weight"]) if len(crit) else 0.0
        v = per.groupby(["ballot", "counted"])["weighted"].sum().unstack().reindex(index=ballots, columns=candidates)
        scored = v.notna()
        lo = float((crit["weight"] * crit["scale_min"]).sum()) if len(crit) else 0.0
        hi = float((crit["weight"] * crit["scale_max"]).sum()) if len(crit) else 1.0
        x = (v - lo) / (hi - lo)
        crit_means = per.groupby(["counted", "criterion_id"])["value"].mean().unstack()
    else:
        if inp.method == "dots":
            per = e.groupby(["ballot", "counted"])["value"].sum().clip(upper=inp.dots_cap or None)
            scale = float(inp.dots_cap or 1)
        elif inp.method == "rank":
            k = inp.rank_count or 1
            per = k - e.groupby(["ballot", "counted"])["value"].min() + 1
            best_rank = e.groupby(["ballot", "counted"])["value"].min().unstack().reindex(columns=candidates)
            scale = float(k)
        else:  # approval
            per = e.groupby(["ballot", "counted"])["value"].size().clip(upper=1)
            scale = 1.0
        v = per.unstack().reindex(index=ballots, columns=candidates).fillna(0).astype(float)
        scored = v.notna()
        x = v / scale

    groups_voted = sorted(set(helix_of), key=HELIX_GROUPS.index)
    # One pass per helix group: sums for additive methods, the mean over scorers for score.
    grouped = v.groupby(helix_of.reindex(v.index))
    by_group = grouped.mean() if inp.method == "score" else grouped.sum()

    # Per-theme figures computed once for all themes (column-wise), not theme by theme.
    present = set(v.columns)
    figures = v.mean() if inp.method == "score" else v.sum()
    x_scored = x.where(scored)
    voters_n, voters_std = x_scored.count(), x_scored.std(ddof=0)
    helix_means = x_scored.groupby(helix_of.reindex(x_scored.index)).mean()
    helix_n, helix_std = helix_means.count(), helix_means.std(ddof=0)

    def figure(t: int) -> float | None:
        if t not in present:
            return None if inp.method == "score" else 0.0
        value = figures[t]
        return None if pd.isna(value) else float(value)

    def agreement(n: pd.Series, std: pd.Series, t: int) -> float | None:
        count = int(n[t]) if t in n.index else 0
        if count == 0:
            return None
        return 1.0 if count == 1 else float(max(0.0, 1.0 - 2.0 * std[t]))

    rows: list[dict[str, Any]] = []
    grand = float(v.sum().sum()) if inp.method == "dots" else None
    for t in candidates:
        col = v[t] if t in v else pd.Series(dtype=float)
        sc = col[scored[t]] if t in scored else col
        row: dict[str, Any] = {"theme_id": int(t), "title": titles.get(t, "")}
        total = figure(t)
        row["total"] = total if total is not None else 0.0
        if inp.method == "score":
            row["voters"] = int(sc.notna().sum())
            row["n"] = row["voters"]
            row["dispersion"] = float(sc.std(ddof=0)) if len(sc) > 1 else 0.0
            row["criteria_means"] = {
                str(c["name_en"]): _clean(crit_means.loc[t, c["id"]])
                if t in crit_means.index and c["id"] in crit_means.columns
                else None
                for c in inp.criteria
            }
            w = weights.reindex(sc.index)
            row["balanced"] = float((sc * w).sum() / w.sum()) if len(sc) else 0.0
        else:
            row["voters"] = int((col > 0).sum())
            w = weights.reindex(col.index).fillna(0)
            row["balanced"] = float(n_ballots * (col * w).sum()) if n_ballots else 0.0
            if inp.method == "dots":
                row["share"] = row["total"] / grand if grand else 0.0
            elif inp.method == "approval":
                row["share"] = row["total"] / n_ballots if n_ballots else 0.0
            else:
                ranks = best_rank[t].dropna() if t in best_rank else pd.Series(dtype=float)
                row["mean_rank"] = float(ranks.mean()) if len(ranks) else None
        row["by_helix"] = {
            g: (float(by_group.at[g, t]) if g in groups_voted and t in by_group.columns else None) for g in HELIX_GROUPS
        }
        row["agreement_voters"] = agreement(voters_n, voters_std, t)
        row["agreement_helix"] = agreement(helix_n, helix_std, t)
        parts = [p for p in (row["agreement_voters"], row["agreement_helix"]) if p is not None]
        row["consensus"] = sum(parts) / len(parts) if parts else None
        row["merged_from"] = sorted(int(k) for k, c in counted_of.items() if c == t and k != t)
        rows.append(row)

    if rows:
        totals = pd.Series([r["total"] for r in rows])
        ranks = _competition_ranks(totals)
        counts = ranks.value_counts()
        for r, rank in zip(rows, ranks, strict=True):
            r["rank"] = int(rank)
            r["tied"] = bool(counts[rank] > 1)
        # Deterministic display order: rank, then the order the themes were put on the ballot.
        order = {t: i for i, t in enumerate(candidates)}
        rows.sort(key=lambda r: (r["rank"], order[r["theme_id"]]))

    rows = [
        {k: ({g: _clean(x) for g, x in val.items()} if isinstance(val, dict) else _clean(val)) for k, val in r.items()}
        for r in rows
    ]

    part_total = sum(inp.participants.values())
    by_group_ballots = helix_of.value_counts()
    turnout = {
        "overall": {
            "participants": part_total,
            "ballots": n_ballots,
            "rate": _clean(n_ballots / part_total) if part_total else None,
        },
        "by_helix": {
            g: {
                "participants": int(inp.participants.get(g, 0)),
                "ballots": int(by_group_ballots.get(g, 0)),
                "rate": _clean(by_group_ballots.get(g, 0) / inp.participants[g]) if inp.participants.get(g) else None,
            }
            for g in HELIX_GROUPS
        },
    }
    return RoundResult(
        round_id=inp.round_id,
        method=inp.method,
        participants=part_total,
        ballots=n_ballots,
        themes=rows,
        turnout=turnout,
        criteria=[dict(c) for c in inp.criteria],
    )


# ---------------------------------------------------------------- loading from the database


def _frame(rows: Sequence[Any], columns: list[str]) -> pd.DataFrame:
    """A DataFrame from result rows, built column by column: handing pandas the Row objects
    themselves makes it inspect every row (about 1 s for 150,000 ballot entries)."""
    if not rows:
        return pd.DataFrame(columns=columns)
    return pd.DataFrame(dict(zip(columns, (list(col) for col in zip(*rows, strict=True)), strict=True)))


def load_round_input(s: Session, round_id: int) -> RoundInput:
    rnd = s.get(Round, round_id)
    if rnd is None:
        raise NotFound("round.not_found", id=round_id)
    on_ballot = list(
        s.scalars(
            select(RoundTheme.theme_id)
            .where(RoundTheme.round_id == rnd.id)
            .order_by(RoundTheme.position, RoundTheme.theme_id)
        )
    )
    themes = _frame(
        s.execute(
            select(Theme.id, Theme.title, Theme.status, Theme.merged_into_id).where(
                Theme.workshop_id == rnd.workshop_id
            )
        ).all(),
        ["theme_id", "title", "status", "merged_into_id"],
    )
    entries = _frame(
        s.connection()
        .execute(  # Core: no ORM row processing for 100,000s of plain rows
            select(
                Ballot.pseudonym, Participant.helix, BallotEntry.theme_id, BallotEntry.criterion_id, BallotEntry.value
            )
            .join(Ballot, Ballot.id == BallotEntry.ballot_id)
            .join(Participant, Participant.id == Ballot.participant_id)
            .where(Ballot.round_id == rnd.id)
            .order_by(Ballot.id, BallotEntry.id)
        )
        .all(),
        list(ENTRY_COLUMNS),
    )
    participants = dict(
        s.execute(
            select(Participant.helix, func.count(Participant.id))
            .where(Participant.workshop_id == rnd.workshop_id, Participant.joined_at.is_not(None))
            .group_by(Participant.helix)
        ).all()
    )
    return RoundInput(
        round_id=rnd.id,
        method=rnd.method,
        themes=themes,
        entries=entries,
        participants={k: int(v) for k, v in participants.items()},
        dots_cap=rnd.max_dots_per_theme,
        rank_count=rnd.rank_count,
        criteria=[
            {
                "id": c.id,
                "name_sv": c.name_sv,
                "name_en": c.name_en,
                "weight": c.weight,
                "scale_min": c.scale_min,
                "scale_max": c.scale_max,
            }
            for c in rnd.criteria
        ],
        on_ballot=on_ballot,
    )


def load_round_results(s: Session, round_id: int) -> RoundResult:
    return tally(load_round_input(s, round_id))


def round_results(engine: Engine, round_id: int) -> RoundResult:
    with read(engine) as s:
        return load_round_results(s, round_id)
