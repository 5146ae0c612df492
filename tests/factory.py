"""Small builders for tests: a process with one actor per helix group, a workshop and a round."""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from sqlalchemy import Engine

from edp import workshop as ops
from edp.access import SYSTEM
from edp.models import HELIX_GROUPS

PASSCODE = "test-passcode"


@dataclass
class Setup:
    process_id: int
    workshop_id: int
    join_code: str
    fac: str
    round_id: int
    actors: dict[str, int]
    tokens: list[str] = field(default_factory=list)
    helix_of: dict[str, str] = field(default_factory=dict)
    themes: list[int] = field(default_factory=list)
    criteria: list[int] = field(default_factory=list)


def make_setup(
    engine: Engine,
    spec: ops.RoundSpec | None = None,
    *,
    participants: dict[str, int] | None = None,
    themes: int = 0,
    phase: str | None = None,
    anonymous: bool = True,
) -> Setup:
    """participants: helix -> how many join; themes: how many are proposed; phase: where the round ends up."""
    spec = spec or ops.RoundSpec(method="dots", dots_per_participant=5, max_dots_per_theme=3)
    if themes > spec.proposals_per_participant:  # one participant proposes them all
        spec = replace(spec, proposals_per_participant=themes)
    proc = ops.create_process(engine, SYSTEM, "Testprocess", period_start=2026, period_end=2027)
    actors = {g: ops.add_actor(engine, SYSTEM, proc.id, f"Aktör {g}", g).id for g in HELIX_GROUPS}
    ws = ops.create_workshop(engine, SYSTEM, proc.id, "Testworkshop", PASSCODE, anonymous=anonymous)
    fac = ops.login_facilitator(engine, ws.id, PASSCODE)
    rnd = ops.add_round(engine, fac, spec)
    setup = Setup(proc.id, ws.id, ws.join_code, fac, rnd.id, actors, criteria=[c.id for c in rnd.criteria])
    for g, n in (participants or {}).items():
        for i in range(n):
            p = ops.join(engine, ws.join_code, f"{g} {i}", actor_id=actors[g])
            setup.tokens.append(p.token)
            setup.helix_of[p.token] = g
    if themes:
        ops.set_phase(engine, fac, rnd.id, "proposing")
        proposer = (
            setup.tokens[0]
            if setup.tokens
            else ops.join(engine, ws.join_code, "proposer", actor_id=actors["civil"]).token
        )
        for i in range(themes):
            setup.themes.append(ops.propose(engine, proposer, rnd.id, ops.ThemeInput(title=f"Tema {i + 1}")).id)
    if phase:
        order = ["draft", "proposing", "reviewing", "voting"]
        current = "proposing" if themes else "draft"
        for step in order[order.index(current) + 1 : order.index(phase) + 1]:
            ops.set_phase(engine, fac, rnd.id, step)
    return setup


def projector_key(engine: Engine, workshop_id: int) -> str:
    """The workshop's projector address key (?projector=KEY), as its console shows it."""
    from sqlalchemy import select

    from edp.db import read
    from edp.models import Workshop

    with read(engine) as s:
        return s.scalar(select(Workshop.projector_key).where(Workshop.id == workshop_id))
