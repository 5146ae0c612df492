"""Rounds: their spec, their making, and their phases (proposing, reviewing, voting, closed, revealed)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from edp import validate, voting
from edp.db import write
from edp.errors import PhaseError
from edp.guards import audit, bump, facilitator_workshop_id, require_open
from edp.models import Round, Workshop
from edp.voting.merges import active_theme_ids
from edp.workshop.common import (
    DESCRIPTION_MAX,
    PROPOSALS_PER_PARTICIPANT_DEFAULT,
    PROPOSALS_PER_PARTICIPANT_MAX,
    round_for_facilitator,
)

# Legal phase changes. A carried-forward shortlist skips proposing (draft -> reviewing);
# reviewing -> proposing reopens proposals; a closed round stays closed.
TRANSITIONS: dict[str, tuple[str, ...]] = {
    "draft": ("proposing", "reviewing"),
    "proposing": ("reviewing",),
    "reviewing": ("proposing", "voting"),
    "voting": ("closed",),
    "closed": (),
}


@dataclass(frozen=True)
class CriterionSpec:
    name_sv: str
    name_en: str
    weight: float = 1.0
    scale_min: int = 1
    scale_max: int = 5
    description: str = ""


@dataclass(frozen=True)
class RoundSpec:
    method: str
    prompt: str = ""
    dots_per_participant: int | None = None
    max_dots_per_theme: int | None = None
    rank_count: int | None = None
    criteria: Sequence[CriterionSpec] = field(default_factory=tuple)
    proposals_per_participant: int = PROPOSALS_PER_PARTICIPANT_DEFAULT
    settings: Mapping[str, Any] = field(default_factory=dict)  # a method's own (edp.voting), checked by it


def build_round(s: Session, ws: Workshop, spec: RoundSpec, origin_round_id: int | None = None) -> Round:
    method = validate.choice(spec.method, "method", voting.names())
    seq = (s.scalar(select(func.max(Round.seq)).where(Round.workshop_id == ws.id)) or 0) + 1
    rnd = Round(
        workshop_id=ws.id,
        seq=seq,
        method=method,
        prompt=validate.text(spec.prompt, "prompt", max_len=DESCRIPTION_MAX),
        phase="draft",
        origin_round_id=origin_round_id,
        proposals_per_participant=validate.integer(
            spec.proposals_per_participant, "proposals_per_participant", lo=1, hi=PROPOSALS_PER_PARTICIPANT_MAX
        ),
    )
    voting.method(method).configure(rnd, spec)
    s.add(rnd)
    s.flush()
    rnd.criteria  # noqa: B018 - loaded now, so the detached Round returned to callers carries them
    return rnd


def add_round(engine: Engine, fac_token: str, spec: RoundSpec) -> Round:
    with write(engine) as s:
        ws = bump(s, facilitator_workshop_id(s, fac_token))
        require_open(ws)
        rnd = build_round(s, ws, spec)
        audit(s, ws, "round.created", "facilitator", round_id=rnd.id, method=rnd.method)
        return rnd


def set_phase(engine: Engine, fac_token: str, round_id: int, phase: str) -> Round:
    with write(engine) as s:
        ws, rnd = round_for_facilitator(s, fac_token, round_id)
        require_open(ws)
        if phase not in TRANSITIONS.get(rnd.phase, ()):
            raise PhaseError("round.illegal_transition", field="phase", current=rnd.phase, requested=phase)
        if phase == "voting":
            if not active_theme_ids(s, rnd.id):
                raise PhaseError("round.no_themes")
            other = s.scalar(
                select(Round.seq).where(Round.workshop_id == ws.id, Round.phase == "voting", Round.id != rnd.id)
            )
            if other is not None:
                raise PhaseError("round.other_voting", round=other)
        before = rnd.phase
        rnd.phase = phase
        if phase != "closed":
            rnd.revealed = False
        audit(s, ws, "round.phase", "facilitator", round_id=rnd.id, before=before, after=phase)
        return rnd


def close_round(engine: Engine, fac_token: str, round_id: int) -> Round:
    return set_phase(engine, fac_token, round_id, "closed")


def reveal_results(engine: Engine, fac_token: str, round_id: int, revealed: bool = True) -> Round:
    with write(engine) as s:
        ws, rnd = round_for_facilitator(s, fac_token, round_id)
        if revealed and rnd.phase != "closed":
            raise PhaseError("round.reveal_before_close")
        rnd.revealed = bool(revealed)
        audit(s, ws, "round.revealed" if revealed else "round.hidden", "facilitator", round_id=rnd.id)
        return rnd


def set_live_results(engine: Engine, fac_token: str, round_id: int, live: bool) -> Round:
    """Let the room see results while voting (off by default: seeing them invites herding)."""
    with write(engine) as s:
        ws, rnd = round_for_facilitator(s, fac_token, round_id)
        rnd.live_results = bool(live)
        audit(s, ws, "round.live_results", "facilitator", round_id=rnd.id, live=rnd.live_results)
        return rnd
