"""The facilitator's moderation of a round's themes: the queue (searched and paged), the likely
duplicates to merge, what a merge would do before it is confirmed (the title kept, the votes
that move, each affected round's result for the surviving theme before and after), and a merge
of a whole group in one step.

Every function takes the facilitator's session token and works only in that session's workshop.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Collection
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from edp import validate
from edp.db import read, write
from edp.errors import Conflict, NotFound, ValidationError
from edp.guards import audit, bump, facilitator_workshop_id
from edp.live import ThemeView, theme_views
from edp.models import AuditEvent, Ballot, BallotEntry, Round, RoundTheme, Theme
from edp.voting.merges import active_theme_ids, resolve_merges
from edp.voting.results import ThemeResult
from edp.voting.tally import load_round_input, tally
from edp.workshop.common import TITLE_MAX, refuse_while_voting
from edp.workshop.duplicates import duplicate_groups, fold

STATUSES = ("active", "merged", "withdrawn")
QUEUE_PAGE_SIZE = 20
PAGE_SIZE_MAX = 100
MERGE_GROUP_MAX = 100  # duplicates merged in one step; a suggested group is far smaller


# ---------------------------------------------------------------- the queue


@dataclass(frozen=True)
class ThemeQueue:
    """One page of a round's themes, as the moderation queue shows them."""

    round_id: int
    themes: tuple[ThemeView, ...]  # this page, in ballot order
    matching: int  # themes that match the search and the status filter
    page: int  # the page shown, 0-based (the last one if the asked page is past the end)
    pages: int  # at least 1
    counts: dict[str, int]  # status -> themes of the round
    titles: dict[int, str]  # every theme of the round (and each one merged into) by id
    active: tuple[int, ...]  # the round's active themes, in ballot order: what a theme can be merged into


def _round_of_workshop(s: Session, workshop_id: int, round_id: object) -> int:
    found = (
        s.scalar(select(Round.id).where(Round.id == round_id, Round.workshop_id == workshop_id))
        if isinstance(round_id, int) and not isinstance(round_id, bool)
        else None
    )
    if found is None:
        raise NotFound("round.not_found", id=round_id)
    return found


def theme_queue(
    engine: Engine,
    fac_token: str,
    round_id: int,
    *,
    search: str = "",
    status: str | None = None,
    page: int = 0,
    page_size: int = QUEUE_PAGE_SIZE,
) -> ThemeQueue:
    """Every theme on the round's ballot (merged and withdrawn ones too), filtered and paged.

    `search` matches words anywhere in the title or description, ignoring case and diacritics;
    `status` keeps one status only (None: all).
    """
    search = fold(validate.text(search, "search", max_len=TITLE_MAX, multiline=False))
    if status is not None and status not in STATUSES:
        raise ValidationError("input.not_a_choice", field="status", options=", ".join(STATUSES))
    page = validate.integer(page, "page", lo=0, hi=10**6)
    page_size = validate.integer(page_size, "page_size", lo=1, hi=PAGE_SIZE_MAX)
    with read(engine) as s:
        wid = facilitator_workshop_id(s, fac_token)
        rid = _round_of_workshop(s, wid, round_id)
        ids = list(
            s.scalars(select(RoundTheme.theme_id).where(RoundTheme.round_id == rid).order_by(RoundTheme.position))
        )
        themes = theme_views(s, ids)
        titles = {th.id: th.title for th in themes}
        elsewhere = {th.merged_into_id for th in themes if th.merged_into_id is not None} - titles.keys()
        if elsewhere:
            titles.update(s.execute(select(Theme.id, Theme.title).where(Theme.id.in_(elsewhere))).tuples().all())
        active = tuple(active_theme_ids(s, rid, wid))
    counts = {st: sum(th.status == st for th in themes) for st in STATUSES}
    chosen = [
        th
        for th in themes
        if (status is None or th.status == status) and (not search or search in fold(f"{th.title} {th.description}"))
    ]
    pages = max(1, math.ceil(len(chosen) / page_size))
    page = min(page, pages - 1)
    shown = tuple(chosen[page * page_size : (page + 1) * page_size])
    return ThemeQueue(rid, shown, len(chosen), page, pages, counts, titles, active)


# ---------------------------------------------------------------- likely duplicates


def duplicate_suggestions(engine: Engine, fac_token: str, round_id: int) -> list[tuple[ThemeView, ...]]:
    """Groups of the round's active themes whose titles are likely the same theme (edp.workshop.duplicates),
    the largest first; in each, the theme proposed first comes first. Two themes the facilitator
    has split apart again (unmerge) are not suggested together again."""
    with read(engine) as s:
        wid = facilitator_workshop_id(s, fac_token)
        rid = _round_of_workshop(s, wid, round_id)
        themes = {th.id: th for th in theme_views(s, active_theme_ids(s, rid, wid))}
        kept_apart = {
            frozenset((d["theme_id"], d["was_into"]))
            for d in s.scalars(
                select(AuditEvent.detail).where(AuditEvent.workshop_id == wid, AuditEvent.kind == "theme.unmerged")
            )
            if isinstance(d, dict) and _is_id(d.get("theme_id")) and _is_id(d.get("was_into"))
        }
    groups = duplicate_groups({tid: th.title for tid, th in themes.items()}, apart=kept_apart)
    return [tuple(themes[tid] for tid in group) for group in groups]


# ---------------------------------------------------------------- merging


def _theme_summary(theme: Theme, entries: int, ballots: int) -> dict[str, Any]:
    return {
        "id": theme.id,
        "title": theme.title,
        "description": theme.description,
        "entries": entries,
        "ballots": ballots,
    }


def _row(result_themes: list[ThemeResult], theme_id: int) -> ThemeResult | None:
    return next((r for r in result_themes if r["theme_id"] == theme_id), None)


def _is_id(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _merge_pair(s: Session, workshop_id: int, duplicate_id: object, into_id: object) -> tuple[Theme, Theme]:
    """The two themes of one merge in the facilitator's workshop, refused as merge_themes refuses."""
    dup = s.get(Theme, duplicate_id) if _is_id(duplicate_id) else None
    if dup is None or dup.workshop_id != workshop_id:
        raise NotFound("theme.not_found", id=duplicate_id)
    target = s.get(Theme, into_id) if _is_id(into_id) else None
    if target is None or target.workshop_id != workshop_id:
        raise NotFound("theme.not_found", field="merge_into", id=into_id)
    if dup.id == target.id:
        raise Conflict("theme.merge_self", field="merge_into")
    if dup.status != "active":
        raise Conflict("theme.not_active", id=dup.id)
    if target.status != "active":
        raise Conflict("theme.merge_target_inactive", field="merge_into", id=target.id)
    return dup, target


def _group_ids(duplicate_ids: object) -> list[object]:
    """The duplicates of a group merge, each once, in the order given."""
    if isinstance(duplicate_ids, str | bytes) or not isinstance(duplicate_ids, Collection) or not duplicate_ids:
        raise ValidationError("input.required", field="duplicates")
    ids = list(dict.fromkeys(duplicate_ids))
    if len(ids) > MERGE_GROUP_MAX:
        raise ValidationError("theme.merge_group_size", field="duplicates", max=MERGE_GROUP_MAX, length=len(ids))
    return ids


def _preview(s: Session, workshop_id: int, duplicate_ids: list[object], into_id: object) -> dict[str, Any]:
    pairs = [_merge_pair(s, workshop_id, d, into_id) for d in duplicate_ids]
    target = pairs[0][1]
    dups = [dup for dup, _ in pairs]
    refuse_while_voting(s, *(d.id for d in dups), target.id)

    statuses = {
        tid: (status, into)
        for tid, status, into in s.execute(
            select(Theme.id, Theme.status, Theme.merged_into_id).where(Theme.workshop_id == workshop_id)
        )
    }
    counts_for = resolve_merges(statuses)
    entries = {t.id: 0 for t in [*dups, target]}
    ballots: dict[int, set[int]] = {t: set() for t in entries}
    voted = select(BallotEntry.theme_id, BallotEntry.ballot_id).join(Theme, Theme.id == BallotEntry.theme_id)
    for theme_id, ballot_id in s.execute(voted.where(Theme.workshop_id == workshop_id)):
        survivor = counts_for.get(theme_id)
        if survivor in entries:
            entries[survivor] += 1
            ballots[survivor].add(ballot_id)

    rounds = []
    with_ballots = s.execute(
        select(Round.id, Round.seq, Round.method, Round.phase, func.count(Ballot.id))
        .join(Ballot, Ballot.round_id == Round.id)
        .where(Round.workshop_id == workshop_id)
        .group_by(Round.id, Round.seq, Round.method, Round.phase)
        .order_by(Round.seq)
    ).all()
    dup_ids = [d.id for d in dups]
    for round_id, seq, method, phase, n_ballots in with_ballots:
        inp = load_round_input(s, round_id)
        before = tally(inp).themes
        merged = inp.themes.copy()
        merged["merged_into_id"] = merged["merged_into_id"].astype(object)
        at = merged.index[merged["theme_id"].isin(dup_ids)]
        merged.loc[at, "status"] = "merged"
        merged.loc[at, "merged_into_id"] = target.id
        after = tally(dataclasses.replace(inp, themes=merged)).themes
        dups_before = {d: _row(before, d) for d in dup_ids}
        into_before, into_after = _row(before, target.id), _row(after, target.id)
        if into_before is None and into_after is None and not any(dups_before.values()):
            continue
        rounds.append(
            {
                "round_id": round_id,
                "seq": seq,
                "method": method,
                "phase": phase,
                "ballots": n_ballots,
                "duplicates_before": {d: row["total"] if row else None for d, row in dups_before.items()},
                "before": into_before["total"] if into_before else None,
                "after": into_after["total"] if into_after else None,
                "rank_before": into_before["rank"] if into_before else None,
                "rank_after": into_after["rank"] if into_after else None,
            }
        )
    return {
        "kept_title": target.title,
        "into": _theme_summary(target, entries[target.id], len(ballots[target.id])),
        "duplicates": [_theme_summary(d, entries[d.id], len(ballots[d.id])) for d in dups],
        # What moves to the kept theme: the duplicates' entries, and the ballots holding any of them.
        "moved": {
            "entries": sum(entries[d] for d in dup_ids),
            "ballots": len(set().union(*(ballots[d] for d in dup_ids))),
        },
        "rounds": rounds,
    }


def merge_preview(engine: Engine, fac_token: str, duplicate_id: int, into_id: int) -> dict[str, Any]:
    """The effect of merge_themes(fac_token, duplicate_id, into_id), computed without writing anything.

    Refuses exactly what merge_themes refuses (same errors). Returns:
    kept_title; duplicate / into: id, title, description, and the ballot entries and ballots
    that count for the theme now (its own and those of themes already merged into it);
    rounds: for each round with ballots where either theme is counted, the survivor's total
    and rank before and after, and the duplicate's total before. (Also the keys of
    merge_group_preview, for one duplicate.)
    """
    with read(engine) as s:
        p = _preview(s, facilitator_workshop_id(s, fac_token), [duplicate_id], into_id)
    p["duplicate"] = p["duplicates"][0]
    for r in p["rounds"]:
        r["duplicate_before"] = r["duplicates_before"][p["duplicate"]["id"]]
    return p


def merge_group_preview(engine: Engine, fac_token: str, duplicate_ids: Collection[int], into_id: int) -> dict[str, Any]:
    """The effect of merge_group(fac_token, duplicate_ids, into_id), computed without writing anything.

    Refuses what merge_group refuses. Returns kept_title; into (as in merge_preview);
    duplicates: one such summary per duplicate; moved: the duplicates' ballot entries and the
    ballots that hold any of them; rounds: as in merge_preview, with duplicates_before
    (duplicate id -> its total before) instead of duplicate_before.
    """
    ids = _group_ids(duplicate_ids)
    with read(engine) as s:
        return _preview(s, facilitator_workshop_id(s, fac_token), ids, into_id)


def merge_group(engine: Engine, fac_token: str, duplicate_ids: Collection[int], into_id: int) -> list[int]:
    """Merge every theme of `duplicate_ids` into `into_id`, all or none (one transaction): each as
    merge_themes would, refused for the same reasons. Returns the merged themes' ids."""
    ids = _group_ids(duplicate_ids)
    with write(engine) as s:
        wid = facilitator_workshop_id(s, fac_token)
        ws = bump(s, wid)  # first: the workshop's lock, so that the checks below see the latest state
        pairs = [_merge_pair(s, wid, d, into_id) for d in ids]
        refuse_while_voting(s, *(dup.id for dup, _ in pairs), pairs[0][1].id)
        for dup, target in pairs:
            dup.status = "merged"
            dup.merged_into_id = target.id
            audit(s, ws, "theme.merged", "facilitator", theme_id=dup.id, into=target.id)
        return [dup.id for dup, _ in pairs]
