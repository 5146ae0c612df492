"""Loads the Region Jämtland Härjedalen demo (data/demo/) through the engine's own operations."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, select

from edp import accounts, region
from edp import workshop as ops
from edp.access import SYSTEM
from edp.config import ROOT
from edp.db import read, write
from edp.models import Base, Priority, Process, StrengthArea, User
from edp.roadmap.operations import import_roadmap
from edp.voting.ballots import submit_ballot

DEMO_DIR = ROOT / "data" / "demo"
SHEETS = ("goals", "activities", "milestones", "kpis", "measurements")
DEMO_PROCESS_TITLE = "Upplevelser: kulturarv och kulturella och kreativa branscher"
# The demo is for trying the app, so its organiser's password and its workshops' passcode are
# public; override them for a shared server.
DEMO_PASSCODE_DEFAULT = "jamtland-demo"
DEMO_ORGANISER = "demo"
DEMO_PASSWORD_DEFAULT = "jamtland-demo"


def demo_passcode() -> str:
    return os.environ.get("EDP_DEMO_PASSCODE") or DEMO_PASSCODE_DEFAULT


def demo_password() -> str:
    return os.environ.get("EDP_DEMO_PASSWORD") or DEMO_PASSWORD_DEFAULT


def public_admin(engine: Engine) -> bool:
    """Whether an active admin still signs in with the demo's published password: fine on this
    laptop alone, an open door on the venue network (edp room refuses to start then)."""
    with read(engine) as s:
        stored = s.scalars(select(User.password_hash).where(User.is_admin.is_(True), User.is_active.is_(True))).all()
    return any(accounts.verify_password(DEMO_PASSWORD_DEFAULT, h) for h in stored if h)


@dataclass
class DemoSummary:
    process_id: int
    completed_workshop_id: int
    dots_round_id: int
    score_round_id: int
    open_workshop_id: int
    open_round_id: int
    join_code: str
    roadmap_ids: tuple[int, ...] = ()


def _load(name: str, base: Path) -> Any:  # noqa: ANN401 - the demo set's JSON, shaped as data/demo/ shows
    return json.loads((base / name).read_text(encoding="utf-8"))


def _join(engine: Engine, join_code: str, name: str, actor_id: int) -> str:
    """A new participant's personal token (join hands it over, once)."""
    token = ops.join(engine, join_code, name, actor_id=actor_id).token
    assert token is not None
    return token


def is_loaded(engine: Engine) -> bool:
    with read(engine) as s:
        return s.scalar(select(Process.id).where(Process.title == DEMO_PROCESS_TITLE)) is not None


def wipe(engine: Engine) -> None:
    """Delete every row (the schema stays)."""
    with write(engine) as s:
        for table in reversed(Base.metadata.sorted_tables):
            s.execute(table.delete())


def load(engine: Engine, base: Path = DEMO_DIR) -> DemoSummary:
    passcode = demo_passcode()
    areas = _load("strength_areas.json", base)
    actors = _load("actors.json", base)
    people = _load("participants.json", base)
    done = _load("workshop_completed.json", base)
    live = _load("workshop_open.json", base)

    if region.region(engine) is None:
        r = _load("region.json", base)
        region.set_region(engine, SYSTEM, r.pop("name"), **r)
    with read(engine) as s:
        existing = set(s.scalars(select(StrengthArea.code)))
        organiser = s.scalar(select(User.id).where(User.username == DEMO_ORGANISER))
    for a in areas:
        if a["code"] not in existing:
            region.create_strength_area(engine, SYSTEM, a["code"], a["name_sv"], a["name_en"], a.get("description", ""))
    with read(engine) as s:
        area_id = dict(s.execute(select(StrengthArea.code, StrengthArea.id)).all())
    if organiser is None:
        organiser = accounts.create_user(
            engine, SYSTEM, DEMO_ORGANISER, display_name="Demo", password=demo_password(), is_admin=True
        )

    p = done["process"]
    proc = ops.create_process(
        engine,
        SYSTEM,
        p["title"],
        description=p["description"],
        financier=p["financier"],
        period_start=p["period_start"],
        period_end=p["period_end"],
        strength_area_codes=p["strength_areas"],
        leader_user_id=organiser,
    )
    actor_id = {
        a["name"]: ops.add_actor(engine, SYSTEM, proc.id, a["name"], a["helix"], a.get("municipality")).id
        for a in actors
    }

    # The completed two-round workshop.
    w = done["workshop"]
    ws = ops.create_workshop(engine, SYSTEM, proc.id, w["title"], passcode, date=w["date"], venue=w["venue"])
    fac = ops.login_facilitator(engine, ws.id, passcode)
    r1 = done["round1"]
    dots = ops.add_round(
        engine,
        fac,
        ops.RoundSpec(
            method="dots",
            prompt=r1["prompt"],
            dots_per_participant=r1["dots_per_participant"],
            max_dots_per_theme=r1["max_dots_per_theme"],
        ),
    )
    ops.set_phase(engine, fac, dots.id, "proposing")
    token = {
        pp["display_name"]: _join(engine, ws.join_code, pp["display_name"], actor_id[pp["actor"]]) for pp in people
    }
    theme_id = {}
    for t in done["themes"]:
        theme_id[t["key"]] = ops.propose(engine, token[t["proposer"]], dots.id, _theme_input(t, area_id)).id
    ops.set_phase(engine, fac, dots.id, "reviewing")
    ops.set_phase(engine, fac, dots.id, "voting")
    for name, alloc in done["dots"].items():
        submit_ballot(engine, token[name], dots.id, {theme_id[k]: n for k, n in alloc.items()})
    ops.close_round(engine, fac, dots.id)
    # The duplicate was spotted only when the votes were in; the merge keeps every dot.
    ops.merge_themes(engine, fac, theme_id[done["merge"]["duplicate"]], theme_id[done["merge"]["into"]])
    ops.reveal_results(engine, fac, dots.id)

    crit = [ops.CriterionSpec(**c) for c in done["round2_criteria"]]
    score = ops.advance(
        engine, fac, dots.id, 6, ops.RoundSpec(method="score", prompt=done["round2_prompt"], criteria=crit)
    )
    ops.set_phase(engine, fac, score.id, "reviewing")
    ops.set_phase(engine, fac, score.id, "voting")
    with read(engine) as s:
        criteria_ids = [c.id for c in s.get_one(type(score), score.id).criteria]
    for name, by_theme in done["scores"].items():
        choices = {theme_id[k]: dict(zip(criteria_ids, values, strict=True)) for k, values in by_theme.items()}
        submit_ballot(engine, token[name], score.id, choices)
    ops.close_round(engine, fac, score.id)
    ops.reveal_results(engine, fac, score.id)
    ops.set_priorities(
        engine,
        fac,
        [ops.PriorityInput(theme_id[pr["theme"]], pr["rationale"], pr["recommendation"]) for pr in done["priorities"]],
    )
    ops.set_workshop_open(engine, fac, False)

    # The open workshop, proposing, so a newcomer can join with JAMT26 at once. Its code is public
    # on purpose (the README names it), so it is the one workshop listed with its code at home.
    w = live["workshop"]
    ws2 = ops.create_workshop(
        engine, SYSTEM, proc.id, w["title"], passcode, date=w["date"], venue=w["venue"], join_code=w["join_code"]
    )
    fac2 = ops.login_facilitator(engine, ws2.id, passcode)
    ops.set_workshop_options(engine, fac2, show_join_code=True)
    r = live["round"]
    rnd = ops.add_round(
        engine,
        fac2,
        ops.RoundSpec(
            method=r["method"],
            prompt=r["prompt"],
            dots_per_participant=r["dots_per_participant"],
            max_dots_per_theme=r["max_dots_per_theme"],
        ),
    )
    ops.set_phase(engine, fac2, rnd.id, "proposing")
    by_name = {pp["display_name"]: pp for pp in people}
    live_tokens: dict[str, str] = {}
    for t in live["themes"]:
        name = t["proposer"]
        if name not in live_tokens:
            live_tokens[name] = _join(engine, ws2.join_code, name, actor_id[by_name[name]["actor"]])
        ops.propose(engine, live_tokens[name], rnd.id, _theme_input(t, area_id))

    roadmap_ids = load_roadmaps(engine, proc.id, ws.id, base)
    return DemoSummary(proc.id, ws.id, dots.id, score.id, ws2.id, rnd.id, ws2.join_code, roadmap_ids)


def load_roadmaps(engine: Engine, process_id: int, workshop_id: int, base: Path = DEMO_DIR) -> tuple[int, ...]:
    """The demo roadmaps (data/demo/roadmaps.json), through the same checked import as an XLSX file."""
    data = _load("roadmaps.json", base)
    with read(engine) as s:
        priority_by_rank = dict(
            s.execute(select(Priority.rank, Priority.id).where(Priority.workshop_id == workshop_id)).all()
        )
    ids = []
    for spec in data["roadmaps"]:
        sheets = {
            "roadmap": [(2, spec["roadmap"])],
            **{name: list(enumerate(spec.get(name, []), start=2)) for name in SHEETS},
        }
        rank = spec.get("priority_rank")
        ids.append(
            import_roadmap(engine, SYSTEM, process_id, sheets, priority_id=priority_by_rank.get(rank) if rank else None)
        )
    return tuple(ids)


def _theme_input(t: dict, area_id: dict[str, int]) -> ops.ThemeInput:
    return ops.ThemeInput(
        title=t["title"],
        description=t.get("description", ""),
        strength_area_id=area_id.get(t.get("strength_area") or ""),
        partners=t.get("partners", ""),
        next_steps=t.get("next_steps", ""),
    )
