"""Round results from ballots alone, with pandas and numpy: totals, ties, helix breakdown, balance, consensus.

Definitions (all documented in docs/tally.md):

* Merges are resolved here, not in the ballots: each entry counts for the theme its voted theme
  was (transitively) merged into. One voter's entries that land on the same theme collapse to
  one: dots are summed then capped at the per-theme maximum; for scores the higher score per
  criterion counts; for ranks the better rank; for approvals one approval.
* Per voter b and theme t a value v(b,t): dots = points; approval = 0/1; rank = Borda points
  K - rank + 1 (0 when unranked, K = the round's rank count); score = the weighted total
  sum_c w_c * s(b,t,c), over the voters who scored t.
* total: dots, approval and rank sum v over ballots; score is the mean of v over its scorers
  (= sum_c w_c * mean_c): a weighted score *sum* between sum_c w_c * min_c and sum_c w_c * max_c,
  not a mean on the criteria's scale (the screens call it "Viktad poängsumma" / "Weighted score sum").
* small groups: a helix group with fewer than MIN_GROUP_BALLOTS ballots in the round is not
  shown on its own but folded into "other"; when "other" itself has fewer, no group is shown
  (the breakdown is withheld). Every figure by group below uses these reported groups.
* helix-balanced: ballot weights w_b = 1 / (G * n_g(b)), G = reported groups that cast a ballot
  (one when the breakdown is withheld), n_g = ballots in b's group; the weights sum to 1.
  Additive methods report N * sum_b w_b v(b,t), i.e. the total as if every group had cast
  equally many ballots; score reports the w-weighted mean over the theme's scorers.
* consensus: x(b,t) is v scaled to [0, 1] by the method's range. Voter agreement is
  1 - 2 * sd(x) over voters; helix agreement is 1 - 2 * sd of the reported groups' means of x
  (none when the breakdown is withheld). Both lie in [0, 1] because a [0, 1] variable has
  sd <= 0.5. consensus = their mean.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, cast

import numpy as np
import pandas as pd
from sqlalchemy import Connection, Engine, Select, func, select
from sqlalchemy.orm import Session

from edp.access import Credential, acting
from edp.db import read
from edp.errors import NotFound, PermissionDenied
from edp.models import HELIX_GROUPS, Ballot, BallotEntry, Participant, Round, RoundTheme, Theme, Workshop
from edp.voting import base as voting  # the registry, from its sibling module (never the package)
from edp.voting.merges import ballot_survivors
from edp.voting.merges import resolve_merges as merge_chain
from edp.voting.results import CriterionInfo, HelixBreakdown, RoundResultDict, ThemeResult, Turnout

ENTRY_COLUMNS = ["ballot", "helix", "theme_id", "criterion_id", "value"]
ADDITIVE = ("dots", "rank", "approval")
# A helix group with fewer ballots than this is never shown on its own: with one or two voters,
# the group's figure would be their ballot.
MIN_GROUP_BALLOTS = 3
OTHER = "other"  # the reported group that holds the small helix groups
REPORT_GROUPS = (*HELIX_GROUPS, OTHER)
BALANCED_LABEL = {
    "sv": "Helixbalanserat: varje redovisad helixgrupp som röstat väger lika",
    "en": "Helix-balanced: each reported helix group that voted counts equally",
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
    criteria: list[CriterionInfo] = field(default_factory=list)
    on_ballot: list[int] | None = None  # theme ids on the round's ballot, in ballot order
    settings: dict[str, Any] = field(default_factory=dict)  # the method's own (edp.voting)


@dataclass
class RoundResult:
    round_id: int
    method: str
    participants: int
    ballots: int
    themes: list[ThemeResult]
    turnout: Turnout
    criteria: list[CriterionInfo]
    # Which groups by_helix shows (see reporting_groups).
    helix_breakdown: HelixBreakdown = field(default_factory=lambda: HelixBreakdown())

    def as_dict(self) -> RoundResultDict:
        return {
            "round": self.round_id,
            "method": self.method,
            "participants": self.participants,
            "ballots": self.ballots,
            "turnout": self.turnout,
            "helix_breakdown": self.helix_breakdown,
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


def reporting_groups(
    helix_of_ballot: pd.Series, min_ballots: int = MIN_GROUP_BALLOTS
) -> tuple[pd.Series, HelixBreakdown]:
    """Each ballot's reported group, and what the breakdown shows.

    A helix group with at least `min_ballots` ballots is its own group. Ballots of smaller helix
    groups, and ballots labelled "other" (a recount from a ballot export), form OTHER. If OTHER
    then has fewer than `min_ballots` ballots, or a ballot has no label (the export leaves it
    empty when nothing is shown), the breakdown is withheld: every ballot is in one unnamed group
    ("") and no group is shown. Returns (group per ballot, {"min_ballots", "shown": reported groups
    in REPORT_GROUPS order, "folded": helix groups with 1 to min_ballots - 1 ballots, "withheld"})."""
    labels = helix_of_ballot.fillna("").astype(str)
    counts = labels.value_counts()
    own = [g for g in HELIX_GROUPS if counts.get(g, 0) >= min_ballots]
    folded = [g for g in HELIX_GROUPS if 0 < counts.get(g, 0) < min_ballots]
    rest = labels[~labels.isin(own)]
    withheld = bool((labels == "").any()) or 0 < len(rest) < min_ballots
    if withheld:
        group = pd.Series("", index=labels.index, dtype=object)
        shown: list[str] = []
    else:
        group = labels.where(labels.isin(own), OTHER)
        shown = [*own, OTHER] if len(rest) else own
    return group, {"min_ballots": min_ballots, "shown": shown, "folded": folded, "withheld": withheld}


def helix_note(breakdown: HelixBreakdown, lang: str) -> str | None:
    """What the screens and files say about a round's breakdown by helix group: which groups were
    folded into "other", or that nothing is broken out; None when every group that voted is shown."""
    from edp.i18n import t

    if not breakdown:
        return None
    folded = ", ".join(t(f"helix.{g}", lang) for g in breakdown.get("folded", ()))
    if breakdown.get("withheld"):
        return t("ui.res.helix_withheld", lang, min=breakdown["min_ballots"])
    if folded:
        return t("ui.res.helix_folded", lang, min=breakdown["min_ballots"], groups=folded)
    return None


def balanced_weights(helix_of_ballot: pd.Series) -> pd.Series:
    """w_b = 1 / (G * n_g): each helix group that voted carries the same total weight."""
    if helix_of_ballot.empty:
        return pd.Series(dtype=float)
    counts = helix_of_ballot.map(helix_of_ballot.value_counts())
    groups = helix_of_ballot.nunique()
    return 1.0 / (groups * counts.astype(float))


def _competition_ranks(totals: np.ndarray) -> np.ndarray:
    """1 + the number of strictly higher totals (to 9 decimals): equal totals share a rank (1, 2, 2, 4)."""
    key = -np.round(totals, 9)
    return 1 + np.searchsorted(np.sort(key), key, side="left")


def _clean(v: Any) -> Any:
    if v is None or (isinstance(v, float) and np.isnan(v)):
        return None
    if isinstance(v, np.integer):
        return int(v)
    if isinstance(v, float | np.floating):
        return round(float(v), 6)
    return v


def _clean_row(row: ThemeResult) -> ThemeResult:
    """The same row with NaN as None and floats rounded to 6 decimals, in its dictionaries too."""
    clean = {k: ({g: _clean(y) for g, y in v.items()} if isinstance(v, dict) else _clean(v)) for k, v in row.items()}
    return cast(ThemeResult, clean)


_nanmean = voting.nanmean


def _agreement(x: np.ndarray) -> np.ndarray:
    """Per column, 1 - 2 * population SD of its non-NaN values: 1 for a single value, NaN for none."""
    count = (~np.isnan(x)).sum(axis=0)
    sd = np.sqrt(_nanmean((x - _nanmean(x)) ** 2))
    out = np.fmax(0.0, 1.0 - 2.0 * sd)
    out[count == 1] = 1.0
    out[count == 0] = np.nan
    return out


def tally(inp: RoundInput, *, min_group_ballots: int = MIN_GROUP_BALLOTS) -> RoundResult:
    """All figures are computed on ballots x themes arrays, column-wise for every theme at once.

    `min_group_ballots` is for tests of the group arithmetic on hand-sized examples; every result
    the application shows or exports is computed with the default (load_round_results)."""
    counted_of = resolve_merges(inp.themes)
    titles = dict(zip(inp.themes.theme_id, inp.themes.title, strict=True))
    on_ballot = inp.on_ballot if inp.on_ballot is not None else list(inp.themes.theme_id)
    # A theme merged into one from another round is counted (and shown) as that survivor.
    candidates = ballot_survivors(on_ballot, counted_of)
    column_of = {t: i for i, t in enumerate(candidates)}
    merged_from: dict[int, list[int]] = {t: [] for t in candidates}
    for k, c in counted_of.items():
        if c in merged_from and k != c:
            merged_from[c].append(int(k))

    # Ballots in the order they first appear, each in the helix group of its first entry.
    e = inp.entries
    ballot, ballot_keys = pd.factorize(e["ballot"])
    n_ballots = len(ballot_keys)
    first = np.full(n_ballots, len(e))
    np.minimum.at(first, ballot, np.arange(len(e)))
    helix_of = pd.Series(e["helix"].take(first).to_numpy(), index=ballot_keys, dtype=object)
    # Figures by group use the reported groups only, small helix groups folded (reporting_groups).
    group_of, breakdown = reporting_groups(helix_of, min_group_ballots)
    w = balanced_weights(group_of).to_numpy(dtype=float)
    groups_voted = breakdown["shown"]
    in_group = {g: (group_of == g).to_numpy() for g in groups_voted}

    # Each entry's column: the candidate its voted theme counts for; entries that count for none drop out.
    column = e["theme_id"].map({k: -1 if c is None else column_of.get(c, -1) for k, c in counted_of.items()})
    column = column.fillna(-1).to_numpy(dtype=int)
    counted = column >= 0
    b, t, value = ballot[counted], column[counted], e["value"].to_numpy(dtype=float)[counted]
    shape = (n_ballots, len(candidates))

    # The method's value per voter and theme (NaN where a voter does not count for it), scaled to [0, 1].
    m = voting.method(inp.method)
    vals = m.values(inp, voting.Counted(b, t, value, e["criterion_id"][counted], shape))
    v, x, scored = vals.v, vals.x, vals.scored

    # Per-theme figures for all themes at once.
    n = scored.sum(axis=0)
    wide_w = np.broadcast_to(w[:, None], shape)
    if m.averages:
        totals = np.where(n > 0, _nanmean(v), 0.0)
        by_group = {g: _nanmean(v[in_group[g]]) for g in groups_voted}
        with np.errstate(divide="ignore", invalid="ignore"):
            balanced = np.where(n > 0, np.nansum(v * wide_w, axis=0) / (wide_w * scored).sum(axis=0), 0.0)
    else:
        totals = v.sum(axis=0)
        by_group = {g: v[in_group[g]].sum(axis=0) for g in groups_voted}
        balanced = n_ballots * (v * wide_w).sum(axis=0)
    context = {"grand": float(totals.sum()), "ballots": n_ballots}
    agreement_voters = _agreement(x).tolist()
    helix_means = np.array([_nanmean(x[in_group[g]]) for g in groups_voted]).reshape(-1, len(candidates))
    agreement_helix = _agreement(helix_means).tolist()

    columns = {"total": totals.tolist(), "n": n.tolist(), "balanced": balanced.tolist()}
    voters = columns["n"] if m.averages else (v > 0).sum(axis=0).tolist()
    by_helix = {g: (by_group[g].tolist() if g in by_group else None) for g in REPORT_GROUPS}
    # Competition ranks (equal totals share one), and the rows in a deterministic display order:
    # rank, then the order the themes were put on the ballot.
    ranks = _competition_ranks(np.array(columns["total"], dtype=float))
    tied = (np.bincount(ranks)[ranks] > 1).tolist()
    rows: list[ThemeResult] = []
    for i in np.argsort(ranks, kind="stable").tolist():
        t, total = candidates[i], columns["total"][i]
        figures = m.theme_figures(i, vals, total=total, balanced=columns["balanced"][i], context=context)
        parts = [p for p in (agreement_voters[i], agreement_helix[i]) if not np.isnan(p)]
        row: ThemeResult = {
            "theme_id": int(t),
            "title": titles.get(t, ""),
            "total": total,
            "voters": voters[i],
            **figures,
            "by_helix": {g: (values[i] if values is not None else None) for g, values in by_helix.items()},
            "agreement_voters": agreement_voters[i],
            "agreement_helix": agreement_helix[i],
            "consensus": sum(parts) / len(parts) if parts else None,
            "merged_from": sorted(merged_from[t]),
            "rank": int(ranks[i]),
            "tied": tied[i],
        }
        rows.append(_clean_row(row))

    part_total = sum(inp.participants.values())
    by_group_ballots = helix_of.value_counts()
    turnout: Turnout = {
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
        criteria=[c.copy() for c in inp.criteria],
        helix_breakdown=breakdown,
    )


# ---------------------------------------------------------------- loading from the database


def _frame(rows: Sequence[Any], columns: list[str]) -> pd.DataFrame:
    """A DataFrame from result rows, built column by column: handing pandas the Row objects
    themselves makes it inspect every row (about 1 s for 150,000 ballot entries)."""
    if not rows:
        return pd.DataFrame(columns=columns)
    return pd.DataFrame(dict(zip(columns, (list(col) for col in zip(*rows, strict=True)), strict=True)))


ENTRY_CHUNK = 10_000
NO_CRITERION = -1  # stands for NULL in the integer entry array: ids are never negative


def _integer_rows(conn: Connection, stmt: Select[*tuple[int, ...]]) -> np.ndarray:
    """The rows of a query over non-NULL integer columns as an int64 array, read from the DBAPI
    cursor in chunks. Integers need no result processing, and for 150,000 ballot entries
    SQLAlchemy's Row objects and one list holding every row cost more than the query itself."""
    width = len(stmt.selected_columns)
    result = conn.execute(stmt)
    try:
        parts = []
        while chunk := result.cursor.fetchmany(ENTRY_CHUNK):
            flat = np.fromiter(itertools.chain.from_iterable(chunk), dtype=np.int64, count=width * len(chunk))
            parts.append(flat.reshape(-1, width))
    finally:
        result.close()
    return np.concatenate(parts) if parts else np.empty((0, width), dtype=np.int64)


def _load_entries(s: Session, round_id: int) -> pd.DataFrame:
    """The round's ballot entries (ENTRY_COLUMNS) in ballot and entry order, ballots by pseudonym."""
    conn = s.connection()
    numbers = _integer_rows(
        conn,
        select(
            BallotEntry.ballot_id,
            BallotEntry.theme_id,
            func.coalesce(BallotEntry.criterion_id, NO_CRITERION),
            BallotEntry.value,
        )
        .join(Ballot, Ballot.id == BallotEntry.ballot_id)
        .where(Ballot.round_id == round_id)
        .order_by(Ballot.id, BallotEntry.id),  # Ballot.id: SQLite reads them in this order, no sort
    )
    # Read after the entries: a ballot cast in between has no entries here, and one whose entries
    # were read but that is gone now (outside an SQLite snapshot) drops out.
    ballots = conn.execute(
        select(Ballot.id, Ballot.pseudonym, Participant.helix)
        .join(Participant, Participant.id == Ballot.participant_id)
        .where(Ballot.round_id == round_id)
    ).all()
    at = pd.Index([b.id for b in ballots]).get_indexer(numbers[:, 0])
    numbers, at = numbers[at >= 0], at[at >= 0]
    if not len(numbers):
        return pd.DataFrame(columns=ENTRY_COLUMNS)
    criterion: np.ndarray = numbers[:, 2]
    if (criterion == NO_CRITERION).all():
        criterion = np.full(len(numbers), None, dtype=object)
    elif (criterion == NO_CRITERION).any():
        criterion = np.where(criterion == NO_CRITERION, np.nan, criterion)
    return pd.DataFrame(
        {
            "ballot": pd.Series([b.pseudonym for b in ballots]).array.take(at),
            "helix": pd.Series([b.helix for b in ballots]).array.take(at),
            "theme_id": numbers[:, 1],
            "criterion_id": criterion,
            "value": numbers[:, 3],
        }
    )


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
    entries = _load_entries(s, rnd.id)
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
        settings=dict(rnd.settings or {}),
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


def check_results_visible(s: Session, who: Credential | None, round_id: int) -> Round:
    """The round, if `who` may see its results: anyone once they are shown to the room (revealed,
    or live while voting); before that only the process's organisers and the workshop's console."""
    rnd = s.get(Round, round_id) if isinstance(round_id, int) else None
    if rnd is None:
        raise NotFound("round.not_found", id=round_id)
    if (rnd.phase == "closed" and rnd.revealed) or (rnd.phase == "voting" and rnd.live_results):
        return rnd
    if who is None:
        raise PermissionDenied("results.not_revealed")
    p = acting(s, who)
    process_id = rnd.workshop.process_id
    if not (p.may_read(process_id) or p.may_facilitate(rnd.workshop_id, process_id)):
        raise PermissionDenied("results.not_revealed")
    return rnd


def results_readers(engine: Engine, who: Credential, workshop_id: int) -> bool:
    """Whether `who` may see a workshop's results before they are shown to the room."""
    with read(engine) as s:
        try:
            p = acting(s, who)
        except PermissionDenied:
            return False
        process_id = s.scalar(select(Workshop.process_id).where(Workshop.id == workshop_id))
        return process_id is not None and (p.may_read(process_id) or p.may_facilitate(workshop_id, process_id))


def round_results(engine: Engine, who: Credential | None, round_id: int) -> RoundResult:
    """A round's tally, for whoever may see it (check_results_visible); `who` None is the public."""
    with read(engine) as s:
        check_results_visible(s, who, round_id)
        return load_round_results(s, round_id)
