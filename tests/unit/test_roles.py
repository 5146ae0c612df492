"""Who may do what, checked in the engine: every operation that takes the acting principal (`who`),
found by its signature, refuses everyone without the role it needs and writes nothing, then works
for the least-privileged principal that has the role. The red team's takeover (a visitor makes a
workshop in an existing process, then deletes its roadmaps and renames its actors) is one case each.
Every test runs on SQLite and on PostgreSQL."""

from __future__ import annotations

import datetime as dt
import inspect
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from sqlalchemy import update

from edp import accounts
from edp import workshop as ops
from edp.access import SYSTEM, Principal
from edp.db import write
from edp.errors import NotFound, PermissionDenied
from edp.models import UserSession, utcnow
from edp.region import create_strength_area
from edp.roadmap import operations as rmo
from edp.voting.ballots import submit_ballot
from tests.conftest import table_counts
from tests.factory import PASSCODE, Setup, make_setup
from tests.unit.test_security import engine_functions

STRONG = "fjällräv-kanot-2026"
PERIOD = {"period_start": "2026-01-01", "period_end": "2027-12-31"}
WHO_OPS = [
    (name, fn)
    for name, fn in engine_functions()
    if list(inspect.signature(fn).parameters)[:2] == ["engine", "who"] and name != "voting.tally.results_readers"
]


@dataclass
class World:
    mine: Setup  # process A with workshop A1: a proposing round, three themes, two participants
    closed_round: int  # a closed, unrevealed round of A1 (its results are not public yet)
    roadmap: int
    goal: int
    kpi: int
    measurement: int
    priority: int
    area: int
    other_process: int
    users: dict[str, int]
    tokens: dict[str, str]  # role name -> a live session token (and "expired", "signed_out")


def make_world(engine) -> World:
    mine = make_setup(engine, participants={"civil": 1, "business": 1}, themes=3)
    for phase in ("reviewing", "voting"):
        ops.set_phase(engine, mine.fac, mine.round_id, phase)
    submit_ballot(engine, mine.tokens[0], mine.round_id, {mine.themes[0]: 2})
    ops.close_round(engine, mine.fac, mine.round_id)
    priority = ops.set_priorities(engine, mine.fac, [ops.PriorityInput(mine.themes[0], "Viktigast")])[0].id
    rid = rmo.create_roadmap(engine, SYSTEM, mine.process_id, {"title": "Färdplan", **PERIOD})
    rmo.save_goals(engine, SYSTEM, rid, [{"title": "Mål"}])
    lead = mine.actors["academia"]
    rmo.save_activities(engine, SYSTEM, rid, [{"goal": "Mål", "title": "A", "start": "2026-02-01",
                                               "end": "2026-03-01", "lead_actor": lead}])  # fmt: skip
    rmo.save_kpis(engine, SYSTEM, rid, [{"name": "Företag", "kind": "output", "baseline_value": 0,
                  "baseline_date": "2026-01-01", "target_value": 10, "target_date": "2027-12-31", "lead_actor": lead}])  # fmt: skip
    view = rmo.roadmap_view(engine, SYSTEM, rid)
    goal, kpi = view.goals[0].id, view.kpis[0].id
    measurement = rmo.add_measurement(engine, SYSTEM, kpi, {"date": "2026-03-01", "value": 2})
    area = create_strength_area(engine, SYSTEM, "ENERGI", "Energi", "Energy")
    other = ops.create_process(engine, SYSTEM, "Annan process")
    ops.create_workshop(engine, SYSTEM, other.id, "Annan workshop", PASSCODE)

    users = {name: accounts.create_user(engine, SYSTEM, name, password=STRONG) for name in
             ("admin", "leader", "observer", "facilitator", "other_leader", "nobody", "expired", "signed_out")}  # fmt: skip
    accounts.set_user_flags(engine, SYSTEM, users["admin"], is_admin=True)
    accounts.grant_role(engine, SYSTEM, users["leader"], "process_leader", process_id=mine.process_id)
    accounts.grant_role(engine, SYSTEM, users["expired"], "process_leader", process_id=mine.process_id)
    accounts.grant_role(engine, SYSTEM, users["signed_out"], "process_leader", process_id=mine.process_id)
    accounts.grant_role(engine, SYSTEM, users["observer"], "observer", process_id=mine.process_id)
    accounts.grant_role(engine, SYSTEM, users["facilitator"], "facilitator", workshop_id=mine.workshop_id)
    accounts.grant_role(engine, SYSTEM, users["other_leader"], "process_leader", process_id=other.id)
    tokens = {name: accounts.password_sign_in(engine, name, STRONG) for name in users}
    accounts.sign_out(engine, tokens["signed_out"])
    with write(engine) as s:
        s.execute(
            update(UserSession)
            .where(UserSession.user_id == users["expired"])
            .values(last_seen_at=utcnow() - dt.timedelta(hours=13))
        )
    return World(mine, mine.round_id, rid, goal, kpi, measurement, priority, area, other.id, users, tokens)


# What each operation needs, and how to call it so that it succeeds for a principal with that role.
# "results": the results of a round not yet shown to the room (organisers of the process, and the
# workshop's console). A new operation with a `who` parameter must be added here.
CALLS: dict[str, tuple[str, Callable[[Any, World], dict[str, Any]]]] = {
    "accounts.create_user": ("admin", lambda e, w: {"username": "ny", "password": STRONG}),
    "accounts.grant_role": ("lead", lambda e, w: {"user_id": w.users["nobody"], "role": "facilitator",
                                                  "workshop_id": w.mine.workshop_id}),
    "accounts.list_users": ("admin", lambda e, w: {}),
    "accounts.open_console": ("facilitate", lambda e, w: {"workshop_id": w.mine.workshop_id}),
    "accounts.revoke_role": ("lead", lambda e, w: {"grant_id": accounts.grant_role(
        e, SYSTEM, w.users["nobody"], "facilitator", workshop_id=w.mine.workshop_id)}),
    "accounts.set_password": ("admin", lambda e, w: {"user_id": w.users["nobody"], "password": "myrstack-lavin-1979"}),
    "accounts.set_user_flags": ("admin", lambda e, w: {"user_id": w.users["nobody"], "is_active": False}),
    "io.exports.ballot_rows": ("results", lambda e, w: {"round_id": w.closed_round}),
    "io.exports.ballots_csv": ("results", lambda e, w: {"round_id": w.closed_round}),
    "imports.import_actors": ("lead", lambda e, w: {"process_id": w.mine.process_id,
                                                    "csv_text": "name,helix\nNytt bolag,business\n"}),
    "imports.list_actors": ("read", lambda e, w: {"process_id": w.mine.process_id}),
    "region.create_strength_area": ("admin", lambda e, w: {"code": "NY", "name_sv": "Ny", "name_en": "New"}),
    "region.import_strength_areas": ("admin", lambda e, w: {"rows": [(2, {"code": "X", "name_sv": "X", "name_en": "X"})]}),
    "region.set_region": ("admin", lambda e, w: {"name": "Region Jämtland Härjedalen"}),
    "region.update_strength_area": ("admin", lambda e, w: {"area_id": w.area, "name_sv": "Kraft", "name_en": "Power"}),
    "io.reports.report_data": ("read", lambda e, w: {"process_id": w.mine.process_id, "lang": "sv"}),
    "roadmap.views.priority_choices": ("read", lambda e, w: {"process_id": w.mine.process_id}),
    "roadmap.views.process_roadmaps": ("read", lambda e, w: {"process_id": w.mine.process_id}),
    "roadmap.views.roadmap_summaries": ("read", lambda e, w: {"process_id": w.mine.process_id}),
    "roadmap.views.roadmap_view": ("read", lambda e, w: {"roadmap_id": w.roadmap}),
    "roadmap.operations.add_measurement": ("lead", lambda e, w: {"kpi_id": w.kpi, "data": {"date": "2026-04-01", "value": 3}}),
    "roadmap.operations.add_template_kpis": ("lead", lambda e, w: {"roadmap_id": w.roadmap, "lang": "sv",
                                                         "lead": w.mine.actors["academia"]}),
    "roadmap.operations.changes_since_follow_up": ("read", lambda e, w: {"roadmap_id": w.roadmap}),
    "roadmap.operations.create_from_priority": ("lead", lambda e, w: {"priority_id": w.priority}),
    "roadmap.operations.create_roadmap": ("lead", lambda e, w: {"process_id": w.mine.process_id,
                                                      "data": {"title": "Ny", **PERIOD}}),
    "roadmap.operations.delete_measurement": ("lead", lambda e, w: {"measurement_id": w.measurement}),
    "roadmap.operations.delete_roadmap": ("lead", lambda e, w: {"roadmap_id": w.roadmap}),
    "roadmap.operations.import_roadmap": ("lead", lambda e, w: {"process_id": w.mine.process_id, "sheets": {
        "roadmap": [(2, {"title": "Importerad", **PERIOD})]}}),
    "roadmap.operations.issue_links": ("lead", lambda e, w: {"process_id": w.mine.process_id}),
    "roadmap.operations.linked_actors": ("read", lambda e, w: {"process_id": w.mine.process_id}),
    "roadmap.operations.mark_followed_up": ("lead", lambda e, w: {"roadmap_id": w.roadmap}),
    "roadmap.operations.priority_defaults": ("read", lambda e, w: {"priority_id": w.priority}),
    "roadmap.operations.save_activities": ("lead", lambda e, w: {"roadmap_id": w.roadmap, "rows": []}),
    "roadmap.operations.save_goals": ("lead", lambda e, w: {"roadmap_id": w.roadmap, "rows": [{"id": w.goal, "title": "Mål"},
                                                                                     {"title": "Nytt mål"}]}),
    "roadmap.operations.save_kpis": ("lead", lambda e, w: {"roadmap_id": w.roadmap, "rows": []}),
    "roadmap.operations.save_milestones": ("lead", lambda e, w: {"roadmap_id": w.roadmap,
                                                       "rows": [{"title": "Delmål", "date": "2026-06-01"}]}),
    "roadmap.operations.update_roadmap": ("lead", lambda e, w: {"roadmap_id": w.roadmap, "data": {"title": "Omdöpt", **PERIOD}}),
    "voting.tally.round_results": ("results", lambda e, w: {"round_id": w.closed_round}),
    "workshop.setup.add_actor": ("lead", lambda e, w: {"process_id": w.mine.process_id, "name": "Ny", "helix": "civil"}),
    "workshop.setup.create_process": ("admin", lambda e, w: {"title": "Ny process"}),
    "workshop.setup.create_workshop": ("lead", lambda e, w: {"process_id": w.mine.process_id, "title": "Ny workshop",
                                                       "passcode": "egen-lösenkod-26"}),
    "workshop.setup.update_actor": ("lead", lambda e, w: {"actor_id": w.mine.actors["business"],
                                                    "name": "Ett bedrägligt bolag AB", "helix": "business"}),
    "workshop.setup.update_process": ("lead", lambda e, w: {"process_id": w.mine.process_id, "title": "Omdöpt"}),
}  # fmt: skip

# Who has each level, least privileged first (the first is the one the success is shown with).
ALLOWED = {
    "admin": ("admin",),
    "lead": ("leader", "admin"),
    "read": ("observer", "leader", "admin"),
    "facilitate": ("facilitator", "leader", "admin"),
    "results": ("console", "facilitator", "observer", "leader", "admin"),
}
PRINCIPALS = ("missing", "empty", "wrong", "expired", "signed_out", "participant", "console", "nobody",
              "observer", "facilitator", "other_leader", "leader", "admin")  # fmt: skip


def credential(w: World, name: str) -> Any:  # noqa: ANN401 - a token or None
    fixed = {"missing": None, "empty": "", "wrong": "x" * 43, "participant": w.mine.tokens[0], "console": w.mine.fac}
    return fixed[name] if name in fixed else w.tokens[name]


def test_every_operation_taking_a_principal_is_discovered_and_has_a_call():
    found = {n for n, _ in WHO_OPS}
    assert len(found) > 30, "the discovery is broken"
    assert found - set(CALLS) == set(), "new operations taking `who`: add them to CALLS"
    assert set(CALLS) - found == set(), "CALLS names operations that no longer take `who`"


@pytest.mark.parametrize("name", sorted(CALLS))
def test_an_operation_refuses_everyone_without_its_role_and_writes_nothing(engine, name):
    fn = dict(WHO_OPS)[name]
    level, make_kwargs = CALLS[name]
    w = make_world(engine)
    kwargs = make_kwargs(engine, w)
    for who in PRINCIPALS:
        if who in ALLOWED[level]:
            continue
        before = table_counts(engine)
        with pytest.raises((PermissionDenied, NotFound)) as info:
            fn(engine, credential(w, who), **kwargs)
        assert info.value.key.startswith(("auth.", "results.")), (who, info.value.key)
        assert table_counts(engine) == before, who
    fn(engine, credential(w, ALLOWED[level][0]), **kwargs)  # ... and the least role that has it may


def test_an_equal_looking_system_principal_made_elsewhere_is_refused(engine):
    forged = Principal(kind="system", name="system", is_admin=True)
    w = make_world(engine)
    before = table_counts(engine)
    with pytest.raises(PermissionDenied):
        rmo.delete_roadmap(engine, forged, w.roadmap)
    assert table_counts(engine) == before


def test_the_red_teams_takeover_is_refused_at_every_step(engine):
    """A visitor makes a workshop in an existing process, then reaches for its roadmaps, its update
    links and its actors (2026-12-06). With only a passcode console of their own, nothing works."""
    w = make_world(engine)
    before = table_counts(engine)
    steps = [
        lambda: ops.create_workshop(engine, None, w.mine.process_id, "Min workshop", "eget-lösen-123"),
        lambda: rmo.roadmap_view(engine, w.mine.fac, w.roadmap),
        lambda: rmo.issue_links(engine, w.mine.fac, w.mine.process_id),
        lambda: rmo.delete_roadmap(engine, w.mine.fac, w.roadmap),
        lambda: ops.update_actor(
            engine, w.mine.fac, w.mine.actors["civil"], name="Ett bedrägligt bolag AB", helix="civil"
        ),  # fmt: skip
    ]
    for step in steps:
        with pytest.raises(PermissionDenied):
            step()
    assert table_counts(engine) == before
