"""What a merge would do, before the facilitator confirms it: the title kept, the votes that
move, and each affected round's result for the surviving theme before and after."""

from __future__ import annotations

import dataclasses
from typing import Any

from sqlalchemy import Engine, func, select

from edp.db import read
from edp.errors import Conflict, NotFound
from edp.models import Ballot, BallotEntry, Round, Theme
from edp.tally import load_round_input, tally
from edp.workshop import _refuse_while_voting, resolve_merges


def _theme_summary(theme: Theme, entries: int, ballots: int) -> dict[str, Any]:
    return {
        "id": theme.id,
        "title": theme.title,
        "description": theme.description,
        "entries": entries,
        "ballots": ballots,
    }


def _row(result_themes: list[dict[str, Any]], theme_id: int) -> dict[str, Any] | None:
    return next((r for r in result_themes if r["theme_id"] == theme_id), None)


def merge_preview(engine: Engine, duplicate_id: int, into_id: int) -> dict[str, Any]:
    """The effect of merge_themes(duplicate_id, into_id), computed without writing anything.

    Refuses exactly what merge_themes refuses (same errors). Returns:
    kept_title; duplicate / into: id, title, description, and the ballot entries and ballots
    that count for the theme now (its own and those of themes already merged into it);
    rounds: for each round with ballots where either theme is counted, the survivor's total
    and rank before and after, and the duplicate's total before.
    """
    with read(engine) as s:
        dup = s.get(Theme, duplicate_id) if isinstance(duplicate_id, int) else None
        if dup is None:
            raise NotFound("theme.not_found", id=duplicate_id)
        target = s.get(Theme, into_id) if isinstance(into_id, int) else None
        if target is None or target.workshop_id != dup.workshop_id:
            raise NotFound("theme.not_found", field="merge_into", id=into_id)
        if dup.id == target.id:
            raise Conflict("theme.merge_self", field="merge_into")
        if dup.status != "active":
            raise Conflict("theme.not_active", id=dup.id)
        if target.status != "active":
            raise Conflict("theme.merge_target_inactive", field="merge_into", id=target.id)
        _refuse_while_voting(s, dup.id, target.id)

        statuses = {
            tid: (status, into)
            for tid, status, into in s.execute(
                select(Theme.id, Theme.status, Theme.merged_into_id).where(Theme.workshop_id == dup.workshop_id)
            )
        }
        counts_for = resolve_merges(statuses)
        entries = {dup.id: 0, target.id: 0}
        ballots: dict[int, set[int]] = {dup.id: set(), target.id: set()}
        voted = select(BallotEntry.theme_id, BallotEntry.ballot_id).join(Theme, Theme.id == BallotEntry.theme_id)
        for theme_id, ballot_id in s.execute(voted.where(Theme.workshop_id == dup.workshop_id)):
            survivor = counts_for.get(theme_id)
            if survivor in entries:
                entries[survivor] += 1
                ballots[survivor].add(ballot_id)

        rounds = []
        with_ballots = s.execute(
            select(Round.id, Round.seq, Round.method, Round.phase, func.count(Ballot.id))
            .join(Ballot, Ballot.round_id == Round.id)
            .where(Round.workshop_id == dup.workshop_id)
            .group_by(Round.id, Round.seq, Round.method, Round.phase)
            .order_by(Round.seq)
        ).all()
        for round_id, seq, method, phase, n_ballots in with_ballots:
            inp = load_round_input(s, round_id)
            before = tally(inp).themes
            merged = inp.themes.copy()
            merged["merged_into_id"] = merged["merged_into_id"].astype(object)
            at = merged.index[merged["theme_id"] == dup.id]
            merged.loc[at, "status"] = "merged"
            merged.loc[at, "merged_into_id"] = target.id
            after = tally(dataclasses.replace(inp, themes=merged)).themes
            dup_before, into_before, into_after = _row(before, dup.id), _row(before, target.id), _row(after, target.id)
            if dup_before is None and into_before is None and into_after is None:
                continue
            rounds.append(
                {
                    "round_id": round_id,
                    "seq": seq,
                    "method": method,
                    "phase": phase,
                    "ballots": n_ballots,
                    "duplicate_before": dup_before["total"] if dup_before else None,
                    "before": into_before["total"] if into_before else None,
                    "after": into_after["total"] if into_after else None,
                    "rank_before": into_before["rank"] if into_before else None,
                    "rank_after": into_after["rank"] if into_after else None,
                }
            )
        return {
            "kept_title": target.title,
            "duplicate": _theme_summary(dup, entries[dup.id], len(ballots[dup.id])),
            "into": _theme_summary(target, entries[target.id], len(ballots[target.id])),
            "rounds": rounds,
        }
