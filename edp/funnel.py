"""The funnel of a workshop: from every proposal to the priorities, read in one transaction.

Stages, in order:
* ``proposed``: every theme put forward in the workshop (by participants or the facilitator);
* ``active``: what is left after merges and withdrawals;
* ``round``: one stage per later round whose ballot was carried from an earlier round (its
  active themes, merges resolved);
* ``priorities``: the workshop's priorities, once set.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Engine, func, select

from edp.db import read
from edp.errors import NotFound
from edp.models import Priority, Round, RoundTheme, Theme, Workshop
from edp.voting.merges import ballot_survivors, resolve_merges


@dataclass(frozen=True)
class FunnelStage:
    kind: str  # proposed | active | round | priorities
    count: int
    round_seq: int | None = None  # for kind == "round"
    method: str | None = None  # for kind == "round"


@dataclass(frozen=True)
class Funnel:
    workshop_id: int
    stages: tuple[FunnelStage, ...]

    def counts(self) -> list[int]:
        return [s.count for s in self.stages]


def workshop_funnel(engine: Engine, workshop_id: int) -> Funnel:
    with read(engine) as s:
        if s.scalar(select(Workshop.id).where(Workshop.id == workshop_id)) is None:
            raise NotFound("workshop.not_found", id=workshop_id)
        themes = {
            tid: (status, into)
            for tid, status, into in s.execute(
                select(Theme.id, Theme.status, Theme.merged_into_id).where(Theme.workshop_id == workshop_id)
            )
        }
        carried = s.execute(
            select(Round.id, Round.seq, Round.method)
            .where(Round.workshop_id == workshop_id, Round.origin_round_id.is_not(None))
            .order_by(Round.seq)
        ).all()
        ballots: dict[int, list[int]] = {rid: [] for rid, _, _ in carried}
        if ballots:
            for rid, tid in s.execute(
                select(RoundTheme.round_id, RoundTheme.theme_id)
                .where(RoundTheme.round_id.in_(list(ballots)))
                .order_by(RoundTheme.round_id, RoundTheme.position, RoundTheme.theme_id)
            ):
                ballots[rid].append(tid)
        priorities = s.scalar(select(func.count(Priority.id)).where(Priority.workshop_id == workshop_id)) or 0

    survivor = resolve_merges(themes)
    stages = [
        FunnelStage("proposed", len(themes)),
        FunnelStage("active", sum(1 for status, _ in themes.values() if status == "active")),
    ]
    stages += [
        FunnelStage("round", len(ballot_survivors(ballots[rid], survivor)), round_seq=seq, method=method)
        for rid, seq, method in carried
    ]
    if priorities:
        stages.append(FunnelStage("priorities", int(priorities)))
    return Funnel(workshop_id, tuple(stages))
