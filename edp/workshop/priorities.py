"""Advancing a closed round's top themes to a new round, and the workshop's priorities."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import Engine, delete

from edp import validate, voting
from edp.db import write
from edp.errors import Conflict, NotFound, PhaseError, ValidationError
from edp.guards import audit, bump, facilitator_workshop_id, require_open
from edp.models import Priority, Round, RoundTheme, Theme
from edp.voting.tally import load_round_results
from edp.workshop.common import DESCRIPTION_MAX, PRIORITIES_MAX, round_for_facilitator
from edp.workshop.rounds import RoundSpec, build_round


def advance(engine: Engine, fac_token: str, round_id: int, top_k: int, spec: RoundSpec) -> Round:
    """A new round whose ballot is the top K of a closed round (ties at the cut go through too)."""
    with write(engine) as s:
        ws, rnd = round_for_facilitator(s, fac_token, round_id)
        require_open(ws)
        if rnd.phase != "closed":
            raise PhaseError("round.advance_not_closed")
        top_k = validate.integer(top_k, "top_k", lo=1, hi=100)
        result = load_round_results(s, rnd.id)
        ranked = result.themes
        if not ranked:
            raise PhaseError("round.no_themes")
        cut = ranked[min(top_k, len(ranked)) - 1]["rank"]
        chosen = [row["theme_id"] for row in ranked if row["rank"] <= cut]
        if spec.method in voting.REGISTRY:  # an unknown method is refused by build_round, naming the field
            spec = voting.method(spec.method).fit_to_ballot(spec, len(chosen))
        new = build_round(s, ws, spec, origin_round_id=rnd.id)
        for pos, tid in enumerate(chosen, start=1):
            s.add(RoundTheme(round_id=new.id, theme_id=tid, position=pos))
        audit(s, ws, "round.advanced", "facilitator", round_id=new.id, origin=rnd.id, themes=chosen)
        return new


@dataclass(frozen=True)
class PriorityInput:
    theme_id: int
    rationale: str = ""
    recommendation: str = ""


def set_priorities(engine: Engine, fac_token: str, items: Iterable[PriorityInput]) -> list[Priority]:
    """Replace the workshop's priorities; their order is their rank."""
    with write(engine) as s:
        ws = bump(s, facilitator_workshop_id(s, fac_token))
        items = list(items)
        if len(items) > PRIORITIES_MAX:
            raise ValidationError("priority.too_many", field="priorities", max=PRIORITIES_MAX)
        seen: set[int] = set()
        clean = []
        for item in items:
            theme = s.get(Theme, item.theme_id)
            if theme is None or theme.workshop_id != ws.id:
                raise NotFound("theme.not_found", field="theme", id=item.theme_id)
            if theme.status != "active":
                raise Conflict("theme.not_active", field="theme", id=theme.id)
            if theme.id in seen:
                raise Conflict("priority.duplicate", field="theme", title=theme.title)
            seen.add(theme.id)
            clean.append(
                (
                    theme.id,
                    validate.text(item.rationale, "rationale", max_len=DESCRIPTION_MAX),
                    validate.text(item.recommendation, "recommendation", max_len=DESCRIPTION_MAX),
                )
            )
        s.execute(delete(Priority).where(Priority.workshop_id == ws.id))
        s.flush()
        out = []
        for rank, (tid, rationale, rec) in enumerate(clean, start=1):
            pr = Priority(workshop_id=ws.id, theme_id=tid, rank=rank, rationale=rationale, recommendation=rec)
            s.add(pr)
            out.append(pr)
        s.flush()
        audit(s, ws, "priorities.set", "facilitator", themes=[c[0] for c in clean])
        return out
