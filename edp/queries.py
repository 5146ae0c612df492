"""Read models for screens and the CLI: what exists, in one query-light pass."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine, select
from sqlalchemy.orm import selectinload

from edp.db import read
from edp.models import Priority, Process, Workshop


def passcode_workshops(engine: Engine) -> set[int]:
    """The workshops a co-facilitator can open with a passcode (those that have one)."""
    with read(engine) as s:
        return set(s.scalars(select(Workshop.id).where(Workshop.passcode_hash != "")))


def overview(engine: Engine, *, all_join_codes: bool = False) -> list[dict[str, Any]]:
    """Every process with its strength areas, workshops, rounds and priorities.

    A workshop's join code is there only while it is open and its facilitator chose to show it
    on the public home page (None otherwise), unless `all_join_codes` (the operator's CLI)."""
    with read(engine) as s:
        procs = s.scalars(
            select(Process)
            .order_by(Process.id)
            .options(
                selectinload(Process.strength_areas),
                selectinload(Process.workshops).selectinload(Workshop.rounds),
            )
        ).all()
        priorities: dict[int, list[dict[str, Any]]] = {}
        for pr in s.scalars(
            select(Priority).options(selectinload(Priority.theme)).order_by(Priority.workshop_id, Priority.rank)
        ):
            priorities.setdefault(pr.workshop_id, []).append(
                {
                    "rank": pr.rank,
                    "theme_id": pr.theme_id,
                    "title": pr.theme.title,
                    "rationale": pr.rationale,
                    "recommendation": pr.recommendation,
                }
            )
        return [
            {
                "id": p.id,
                "title": p.title,
                "description": p.description,
                "financier": p.financier,
                "period_start": p.period_start,
                "period_end": p.period_end,
                "strength_areas": [
                    {"code": a.code, "name_sv": a.name_sv, "name_en": a.name_en} for a in p.strength_areas
                ],
                "workshops": [
                    {
                        "id": w.id,
                        "title": w.title,
                        "date": w.date.isoformat() if w.date else None,
                        "venue": w.venue,
                        "join_code": w.join_code if all_join_codes or (w.is_open and w.show_join_code) else None,
                        "status": "open" if w.is_open else "closed",
                        "rounds": [{"id": r.id, "seq": r.seq, "method": r.method, "phase": r.phase} for r in w.rounds],
                        "priorities": priorities.get(w.id, []),
                    }
                    for w in p.workshops
                ],
            }
            for p in procs
        ]
