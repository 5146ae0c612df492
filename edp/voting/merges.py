"""Which active theme each theme counts for, and which themes a round's ballot offers.

A facilitator merges duplicates and withdraws themes while people vote; every part that reads a
ballot (the ballot check, the tally, the funnel, the exports, the live views, moderation) follows
the same merge chains through these functions. Pure functions, and one query; no other edp module.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import Connection, bindparam, select
from sqlalchemy.orm import Session

from edp.models import Round, RoundTheme, Theme, table

_ROUNDS = table(Round)
_RT, _THEMES = table(RoundTheme), table(Theme)
# The workshop's themes, each with its place on the round's ballot (NULL when not on it).
_THEMES_AND_PLACES = (
    select(_THEMES.c.id, _THEMES.c.status, _THEMES.c.merged_into_id, _RT.c.position)
    .outerjoin(_RT, (_RT.c.theme_id == _THEMES.c.id) & (_RT.c.round_id == bindparam("b_round")))
    .where(_THEMES.c.workshop_id == bindparam("b_workshop"))
)


def active_theme_ids(s: Session | Connection, round_id: int, workshop_id: int | None = None) -> list[int]:
    """The active themes a round's ballot offers: each theme on it, or the theme it was merged into.

    One query (two without workshop_id). Given a Session, changes the caller has not flushed yet
    are seen (autoflush); a Connection is for callers with nothing pending.
    """
    if workshop_id is None:
        workshop_id = s.execute(select(_ROUNDS.c.workshop_id).where(_ROUNDS.c.id == round_id)).scalar()
        if workshop_id is None:
            return []
    return active_theme_ids_of(s.execute(_THEMES_AND_PLACES, {"b_round": round_id, "b_workshop": workshop_id}).all())


def active_theme_ids_of(rows: Sequence[tuple[int, str, int | None, int | None]]) -> list[int]:
    """active_theme_ids() from rows already read: each of the workshop's themes as
    (id, status, merged_into_id, its position on the round's ballot or None)."""
    on_ballot = [tid for _, tid in sorted((pos, tid) for tid, _, _, pos in rows if pos is not None)]
    if not on_ballot:
        return []
    survivor = resolve_merges({tid: (status, into) for tid, status, into, _ in rows})
    return ballot_survivors(on_ballot, survivor)


def ballot_survivors(on_ballot: Sequence[int], survivor: dict[int, int | None]) -> list[int]:
    """Active themes in ballot order: a survivor on the ballot keeps its own place; one from
    another round takes the place of its first duplicate on this ballot."""
    place = {t: i for i, t in enumerate(on_ballot)}
    found: dict[int, int] = {}
    for t in on_ballot:
        s = survivor.get(t)
        if s is not None:
            found.setdefault(s, place.get(s, place[t]))
    return sorted(found, key=found.__getitem__)


def resolve_merges(themes: dict[int, tuple[str, int | None]]) -> dict[int, int | None]:
    """theme id -> the active theme it counts for, following merge chains (None if withdrawn)."""
    out: dict[int, int | None] = {}
    for tid in themes:
        seen: set[int] = set()
        cur: int | None = tid
        while cur in themes and themes[cur][0] == "merged" and cur not in seen:
            seen.add(cur)
            cur = themes[cur][1]
        out[tid] = cur if cur in themes and themes[cur][0] == "active" else None
    return out
