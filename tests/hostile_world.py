"""A process in which every text a user can type is hostile Markdown and HTML: links and images
pointing at ATTACKER. The screens' inertness tests (AppTest and the browser) walk it through
every phase and look for ATTACKER anywhere text is rendered as Markdown or HTML.

`build` leaves round 1 (score, with hostile criteria) proposing; `to_stage` moves it on:
reviewing, voting (with ballots), revealed (with priorities), then a rank round voting.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from sqlalchemy import Engine

from edp import accounts, region
from edp import workshop as ops
from edp.access import SYSTEM
from edp.models import HELIX_GROUPS
from edp.roadmap import operations as rmo
from edp.roadmap.views import roadmap_view
from edp.voting.ballots import submit_ballot
from edp.workshop.registrations import import_registrations
from tests.factory import projector_key

ATTACKER = "evil.example"
PASSCODE = "hostile-passcode"
STAGES = ("proposing", "reviewing", "voting", "revealed", "rank-voting")


def hostile(tag: str) -> str:
    """Markdown and HTML with a link and two images at ATTACKER (at most 120 characters: `tag` at most 11)."""
    return f"[K](http://{ATTACKER}/{tag}) ![b](//{ATTACKER}/{tag}.png) <img src=//{ATTACKER}/{tag}.gif> **b**"


def short(tag: str) -> str:
    """A link and an image at ATTACKER in at most 60 characters (a participant's name; `tag` at most 7)."""
    return f"[K](//{ATTACKER}/{tag})![b](//{ATTACKER}/{tag}.png)"


def tiny(tag: str) -> str:
    """A link at ATTACKER in at most 40 characters (a KPI's unit), as found by the red team."""
    return f"[Klicka](http://{ATTACKER}/{tag})"


ORGANISER_PASSWORD = "fjällräv-kanot-2026"


@dataclass
class World:
    process_id: int
    workshop_id: int
    join_code: str
    fac: str
    round_id: int
    organiser: str  # the session token of an admin who leads the process
    projector_key: str
    actors: dict[str, int]
    tokens: list[str]
    themes: list[int]
    roadmap_id: int
    update_token: str
    stage: str = "proposing"
    rank_round_id: int | None = None
    registered: list[str] = field(default_factory=list)


def build(engine: Engine) -> World:
    region.create_strength_area(engine, SYSTEM, "HX1", hostile("sa-sv"), hostile("sa-en"), hostile("sa-desc"))
    proc = ops.create_process(
        engine, SYSTEM, hostile("process"), description=hostile("proc-desc"), financier=hostile("financier"),
        period_start=2026, period_end=2028, strength_area_codes=["HX1"],
    )  # fmt: skip
    actors = {
        g: ops.add_actor(engine, SYSTEM, proc.id, hostile(f"a-{g}"), g, municipality=short(f"m-{g[:3]}")).id
        for g in HELIX_GROUPS
    }
    ws = ops.create_workshop(engine, SYSTEM, proc.id, hostile("workshop"), PASSCODE, venue=hostile("venue"))
    fac = ops.login_facilitator(engine, ws.id, PASSCODE)
    criteria = [ops.CriterionSpec(hostile(f"crit{i}-sv"), hostile(f"crit{i}-en"), description=hostile(f"crit{i}")) for i in (1, 2)]  # fmt: skip
    rnd = ops.add_round(engine, fac, ops.RoundSpec("score", hostile("prompt"), criteria=criteria))
    tokens = [ops.join(engine, ws.join_code, short(f"p-{g[:3]}"), actor_id=actors[g]).token for g in HELIX_GROUPS]
    ops.set_phase(engine, fac, rnd.id, "proposing")
    themes = [
        ops.propose(
            engine, tokens[i], rnd.id,
            ops.ThemeInput(hostile(f"theme{i}"), hostile(f"desc{i}"), None, hostile(f"partners{i}"), hostile(f"next{i}")),
        ).id
        for i in range(3)
    ]  # fmt: skip
    registered = [short("reg"), hostile("reg-org")]
    import_registrations(engine, fac, f"name,organisation,helix\n{registered[0]},{registered[1]},civil\n")

    lead = hostile("a-business")
    rid = rmo.create_roadmap(
        engine, SYSTEM, proc.id,
        {"title": hostile("roadmap"), "vision": hostile("vision"), "period_start": "2026-01-01",
         "period_end": "2028-12-31", "owner": actors["public"]},
    )  # fmt: skip
    rmo.save_goals(engine, SYSTEM, rid, [{"title": hostile("goal"), "description": hostile("goal-desc")}])
    rmo.save_activities(
        engine, SYSTEM, rid,
        [{"goal": hostile("goal"), "title": hostile("activity"), "description": hostile("act-desc"),
          "start": "2026-02-01", "end": "2026-09-30", "lead_actor": lead, "partners": [hostile("a-civil")],
          "funding_source": hostile("funding")}],
    )  # fmt: skip
    rmo.save_milestones(
        engine, SYSTEM, rid, [{"goal": hostile("goal"), "title": hostile("milestone"), "date": "2026-06-30"}]
    )
    kpi = {"goal": hostile("goal"), "kind": "output", "baseline_value": 0, "baseline_date": "2025-12-31",
           "target_value": 40, "target_date": "2028-12-31", "lead_actor": lead, "source": hostile("source")}  # fmt: skip
    rmo.save_kpis(
        engine, SYSTEM, rid,
        [{**kpi, "name": hostile("kpi-link"), "unit": tiny("unit")},
         {**kpi, "name": hostile("kpi-image"), "unit": f"![i](//{ATTACKER}/u.png)"}],
    )  # fmt: skip
    for k in roadmap_view(engine, SYSTEM, rid).kpis:
        rmo.add_measurement(
            engine, SYSTEM, k.id, {"date": dt.date.today().isoformat(), "value": 3, "note": hostile("note")}
        )
    token = rmo.issue_links(engine, SYSTEM, proc.id, [actors["business"]])[actors["business"]]
    activity = roadmap_view(engine, SYSTEM, rid).activities[0]
    rmo.actor_set_status(engine, token, activity.id, "ongoing", hostile("comment"))
    accounts.create_user(engine, SYSTEM, "admin", password=ORGANISER_PASSWORD, is_admin=True)
    organiser = accounts.password_sign_in(engine, "admin", ORGANISER_PASSWORD)
    return World(
        proc.id, ws.id, ws.join_code, fac, rnd.id, organiser, projector_key(engine, ws.id), actors, tokens, themes,
        rid, token, registered=registered,
    )  # fmt: skip


def to_stage(engine: Engine, w: World, stage: str) -> None:
    """Move the world's workshop on to `stage` (one of STAGES, never back)."""
    for step in STAGES[STAGES.index(w.stage) + 1 : STAGES.index(stage) + 1]:
        if step == "reviewing":
            ops.set_phase(engine, w.fac, w.round_id, "reviewing")
        elif step == "voting":
            ops.set_phase(engine, w.fac, w.round_id, "voting")
            criteria = _criteria(engine, w)
            for token in w.tokens:
                submit_ballot(engine, token, w.round_id, {tid: dict.fromkeys(criteria, 3) for tid in w.themes})
        elif step == "revealed":
            ops.close_round(engine, w.fac, w.round_id)
            ops.reveal_results(engine, w.fac, w.round_id, True)
            ops.set_priorities(
                engine, w.fac, [ops.PriorityInput(w.themes[0], hostile("rationale"), hostile("recommend"))]
            )
        elif step == "rank-voting":
            new = ops.advance(engine, w.fac, w.round_id, 3, ops.RoundSpec("rank", hostile("prompt2"), rank_count=2))
            ops.set_phase(engine, w.fac, new.id, "reviewing")
            ops.set_phase(engine, w.fac, new.id, "voting")
            w.rank_round_id = new.id
        w.stage = step


def _criteria(engine: Engine, w: World) -> list[int]:
    from edp.live import round_view

    return [c.id for c in round_view(engine, w.round_id).criteria]
