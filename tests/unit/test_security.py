"""Security properties that are not behaviour of one operation: the shipped Streamlit settings,
secrets stored only as hashes, and the issue's security checklist (docs/security.md maps every
item to the code that enforces it and to its tests, here and in the other test files)."""

from __future__ import annotations

import ast
import datetime as dt
import importlib
import inspect
import io
import json
import logging
import pkgutil
import re
import threading
import tomllib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select, update

import edp
from edp import accounts, backup, throttle
from edp import workshop as ops
from edp.access import SYSTEM
from edp.db import read, write
from edp.errors import NotFound, PermissionDenied, PhaseError
from edp.io.exports import BALLOT_COLUMNS, ballot_rows, ballots_csv, tally_csv, tally_xlsx
from edp.models import (
    Actor,
    ActorLink,
    Attempt,
    AuditEvent,
    Ballot,
    FacilitatorSession,
    Participant,
    Workshop,
    utcnow,
)
from edp.roadmap import operations as rmo
from edp.room import room_command
from edp.security import new_token, token_hash
from edp.throttle import Client
from edp.voting.ballots import submit_ballot, submit_paper_ballot
from edp.voting.tally import round_results
from edp.workshop.registrations import import_registrations
from tests.conftest import table_counts
from tests.factory import PASSCODE, Setup, make_setup
from tests.unit.test_ballots import (
    ballot_state,
    first_ballot,
    participant_id,
    second_ballot,
    setup_in_phase,
    voting_setup,
)
from tests.unit.test_workshop_ops import refused

CONFIG = Path(__file__).resolve().parents[2] / ".streamlit" / "config.toml"
STRONG = "fjällräv-kanot-2026"


def test_the_shipped_streamlit_config_is_closed_by_default():
    cfg = tomllib.loads(CONFIG.read_text(encoding="utf-8"))
    assert cfg["server"]["enableXsrfProtection"] is True
    assert cfg["server"]["address"] == "127.0.0.1"  # loopback unless `edp room` binds the venue network
    assert cfg["browser"]["gatherUsageStats"] is False
    assert cfg["server"].get("enableCORS", True) is True  # Streamlit's default; never switched off
    assert cfg["client"]["toolbarMode"] == "minimal"  # no developer menu in front of a room


def test_passcodes_facilitator_sessions_and_update_links_are_stored_only_as_hashes(engine):
    s = make_setup(engine)
    rid = rmo.create_roadmap(
        engine, SYSTEM, s.process_id, {"title": "T", "period_start": "2026-01-01", "period_end": "2026-12-31"}
    )
    rmo.save_goals(engine, SYSTEM, rid, [{"title": "G"}])
    rmo.save_activities(engine, SYSTEM, rid, [{"goal": "G", "title": "A", "start": "2026-02-01", "end": "2026-03-01",
                                       "lead_actor": s.actors["academia"]}])  # fmt: skip
    link = rmo.issue_links(engine, SYSTEM, s.process_id)[s.actors["academia"]]
    fac = ops.login_facilitator(engine, s.workshop_id, PASSCODE)
    with read(engine) as sess:
        stored = [
            *sess.scalars(select(Workshop.passcode_hash)),
            *sess.scalars(select(FacilitatorSession.token_hash)),
            *sess.scalars(select(ActorLink.token_hash)),
        ]
    for secret in (PASSCODE, fac, s.fac, link):
        assert all(secret not in value for value in stored)
    assert rmo.actor_work(engine, link).actor_id == s.actors["academia"]  # the hash still finds it


# ================================================================ the issue's checklist
# docs/security.md maps each item to the code that enforces it and to its tests, here and
# elsewhere; test_every_test_named_in_the_security_doc_exists keeps that map honest.

SECURITY_DOC = CONFIG.parents[1] / "docs" / "security.md"
FAC_TOKEN_PARAM = re.compile(r"^fac(ilitator)?_token$")


def engine_modules(path: list[str] = edp.__path__, prefix: str = "edp.") -> Iterator[ModuleType]:
    """Every edp engine module, in its subpackages too (not edp.ui, nor the migrations)."""
    for info in pkgutil.iter_modules(path, prefix):
        if info.name.rpartition(".")[2].startswith("_") or info.name in ("edp.ui", "edp.migrations"):
            continue
        mod = importlib.import_module(info.name)
        yield mod
        if info.ispkg:
            yield from engine_modules(mod.__path__, f"{info.name}.")


def engine_functions() -> list[tuple[str, Callable[..., Any]]]:
    """(module.name, function) for every public function defined in an edp engine module (not
    edp.ui), named by its module's path under edp: workshop.rounds.set_phase."""
    found = []
    for mod in engine_modules():
        for name, fn in inspect.getmembers(mod, inspect.isfunction):
            if fn.__module__ == mod.__name__ and not name.startswith("_"):
                found.append((f"{mod.__name__.removeprefix('edp.')}.{name}", fn))
    return found


def takes(fn: Callable[..., Any], pattern: re.Pattern[str]) -> bool:
    return any(pattern.match(p) for p in inspect.signature(fn).parameters)


FACILITATOR_OPS = [(name, fn) for name, fn in engine_functions() if takes(fn, FAC_TOKEN_PARAM)]
PARTICIPANT_OPS = [
    (name, fn) for name, fn in engine_functions() if "participant_token" in inspect.signature(fn).parameters
]


# ---------------------------------------------------------------- 1. passcode guessing


def test_concurrent_wrong_passcodes_are_counted_one_after_another(engine):
    """Guesses fired at once must not all be checked before any is counted (they were, on PostgreSQL)."""
    s = make_setup(engine)
    allowed = throttle.PASSCODES.per_session.count
    n = allowed + 7
    start = threading.Barrier(n)
    outcomes: list[str] = []

    def guess(i: int) -> None:
        start.wait()
        try:
            ops.login_facilitator(engine, s.workshop_id, f"guess-{i}", client=Client("one browser"))
        except PermissionDenied as err:
            outcomes.append(err.key)

    threads = [threading.Thread(target=guess, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert sorted(outcomes) == ["auth.throttled"] * 7 + ["auth.wrong_passcode"] * allowed
    with read(engine) as sess:
        logged = sess.scalars(select(AuditEvent).where(AuditEvent.kind == "auth.failed")).all()
    assert len(logged) == allowed
    assert all(e.workshop_id == s.workshop_id and e.detail == {} for e in logged)  # the guesses are not kept


def _age_attempts(engine, by: dt.timedelta) -> None:
    with write(engine) as sess:
        sess.execute(update(Attempt).values(at=utcnow() - by))


def test_the_throttle_counts_failures_within_the_window_only_and_a_throttled_try_writes_nothing(engine):
    s = make_setup(engine)
    for _ in range(throttle.PASSCODES.per_session.count):
        with pytest.raises(PermissionDenied):
            ops.login_facilitator(engine, s.workshop_id, "guess", client=Client("one browser"))

    _age_attempts(engine, throttle.PASSCODES.per_scope.window - dt.timedelta(seconds=30))  # still inside the window
    refused(engine, PermissionDenied, "auth.throttled", ops.login_facilitator, s.workshop_id, PASSCODE,
            client=Client("one browser"))  # fmt: skip
    _age_attempts(engine, throttle.PASSCODES.per_scope.window + dt.timedelta(seconds=30))  # the window has passed
    assert ops.login_facilitator(engine, s.workshop_id, PASSCODE, client=Client("one browser"))


def test_a_visitor_guessing_passcodes_does_not_lock_out_the_facilitator(engine):
    """The red team's lockout: five wrong passcodes from a visitor, then the facilitator's right one."""
    s = make_setup(engine)
    for i in range(throttle.PASSCODES.per_session.count + 2):
        with pytest.raises(PermissionDenied):
            ops.login_facilitator(engine, s.workshop_id, f"guess-{i}", client=Client("visitor's phone"))
    assert ops.login_facilitator(engine, s.workshop_id, PASSCODE, client=Client("facilitator's laptop"))


def test_guesses_from_many_browsers_are_capped_per_workshop_but_the_organiser_can_still_open_the_console(engine):
    s = make_setup(engine)
    for i in range(throttle.PASSCODES.per_scope.count):
        with pytest.raises(PermissionDenied):
            ops.login_facilitator(engine, s.workshop_id, "guess", client=Client(f"browser {i}"))
    refused(engine, PermissionDenied, "auth.throttled", ops.login_facilitator, s.workshop_id, PASSCODE,
            client=Client("a new browser"))  # fmt: skip
    leader = accounts.create_user(engine, SYSTEM, "ledare", password=STRONG)
    accounts.grant_role(engine, SYSTEM, leader, "process_leader", process_id=s.process_id)
    token = accounts.password_sign_in(engine, "ledare", STRONG)
    assert accounts.open_console(engine, token, s.workshop_id)


# ---------------------------------------------------------------- 2. participant tokens stay in their workshop

# Each participant operation that names something by id, called with the ids of `theirs`, another
# workshop, and the refusal expected; the operation itself must work for their own participant.
PARTICIPANT_CALLS: dict[str, Callable[[Setup], tuple[dict[str, Any], str]]] = {
    "workshop.themes.propose": lambda theirs: (
        {"round_id": theirs.round_id, "data": ops.ThemeInput("Intrång")}, "round.not_found"
    ),
    "workshop.themes.edit_own_theme": lambda theirs: (
        {"theme_id": theirs.themes[0], "data": ops.ThemeInput("Kapat")}, "theme.not_found"
    ),
}  # fmt: skip
PARTICIPANT_CALLS_TESTED_ELSEWHERE = {
    "voting.ballots.submit_ballot": "tests/unit/test_ballots.py::"
    "test_ballot_for_a_round_of_another_workshop_is_refused_and_nothing_written",
}


def test_every_participant_operation_naming_an_id_is_checked_across_workshops():
    assert PARTICIPANT_OPS, "no engine function takes a participant_token: the discovery is broken"
    with_ids = {
        n for n, fn in PARTICIPANT_OPS if set(inspect.signature(fn).parameters) - {"engine", "participant_token"}
    }
    assert with_ids == set(PARTICIPANT_CALLS) | set(PARTICIPANT_CALLS_TESTED_ELSEWHERE)
    assert all(defined_test(ref) for ref in PARTICIPANT_CALLS_TESTED_ELSEWHERE.values())


@pytest.mark.parametrize("name", sorted(PARTICIPANT_CALLS))
def test_a_participant_token_cannot_act_in_another_workshop(engine, name):
    fn = dict(PARTICIPANT_OPS)[name]
    mine = make_setup(engine, participants={"civil": 1})
    (rut,) = import_registrations(engine, mine.fac, "name,organisation,helix\nRegistrerad Rut,Aktör civil,civil\n")
    theirs = make_setup(engine, participants={"civil": 1}, themes=1)  # proposing; their participant proposed it
    kwargs, key = PARTICIPANT_CALLS[name](theirs)

    for token in (mine.tokens[0], rut.token):
        refused(engine, NotFound, key, fn, token, **kwargs)
    with read(engine) as sess:
        assert sess.get(Participant, rut.id).joined_at is None  # not even marked as arrived
    fn(engine, theirs.tokens[0], **kwargs)  # the call itself is fine for their own participant


# ---------------------------------------------------------------- 3. ballots only while voting


@pytest.mark.parametrize("phase", ["draft", "proposing", "reviewing", "closed", "workshop closed"])
def test_a_paper_ballot_outside_voting_is_refused_and_nothing_written(engine, phase):
    if phase == "workshop closed":
        s = voting_setup(engine, "dots")
        ops.set_workshop_open(engine, s.fac, False)
    else:
        s = setup_in_phase(engine, "dots", phase)
    pid = participant_id(engine, s.tokens[1])
    with write(engine) as sess:  # enrolled on paper (anyone else's ballot is refused for that reason alone)
        sess.get(Participant, pid).on_paper = True
    before = ballot_state(engine, s.round_id)

    args = (s.fac, pid, s.round_id, first_ballot("dots", s))
    if phase == "workshop closed":
        refused(engine, PhaseError, "workshop.closed", submit_paper_ballot, *args)
    else:
        err = refused(engine, PhaseError, "ballot.not_voting", submit_paper_ballot, *args)
        assert err.params["phase"] == phase
    assert ballot_state(engine, s.round_id) == before == ([], [])


# ---------------------------------------------------------------- 4. anonymity


def anonymous_round(engine) -> tuple[Setup, list[str]]:
    """A closed round of an anonymous workshop: four phones vote (one changes their mind) and the
    facilitator enters a paper ballot. Returns it and every string that names a voter."""
    s = voting_setup(engine, "dots")
    paper = ops.register_paper_participant(engine, s.fac, "Pappers-Per", s.actors["civil"])
    for token in s.tokens:
        submit_ballot(engine, token, s.round_id, first_ballot("dots", s))
    submit_ballot(engine, s.tokens[1], s.round_id, second_ballot("dots", s))
    submit_paper_ballot(engine, s.fac, paper.id, s.round_id, second_ballot("dots", s))
    ops.close_round(engine, s.fac, s.round_id)
    with read(engine) as sess:
        names = list(sess.scalars(select(Participant.display_name)))
        hashes = list(sess.scalars(select(Participant.token_hash)))
    s.tokens.append(paper.token)  # every participant's token, for the checks
    return s, [*names, *s.tokens, *hashes]


def pseudonyms(engine, round_id: int) -> list[str]:
    with read(engine) as sess:
        return list(sess.scalars(select(Ballot.pseudonym).where(Ballot.round_id == round_id)))


def xlsx_text(data: bytes) -> str:
    book = load_workbook(io.BytesIO(data))
    return "\n".join(str(v) for sheet in book for row in sheet.iter_rows(values_only=True) for v in row)


def test_anonymous_exports_and_results_name_no_voter(engine):
    s, voters = anonymous_round(engine)
    result = round_results(engine, SYSTEM, s.round_id)
    frame = ballot_rows(engine, SYSTEM, s.round_id)
    with read(engine) as sess:
        ballots = sess.execute(select(Ballot.id, Ballot.participant_id).where(Ballot.round_id == s.round_id)).all()
    assert list(frame.columns) == BALLOT_COLUMNS  # no participant, name or token column
    assert set(frame["ballot"]) == set(pseudonyms(engine, s.round_id)) and len(ballots) == 5
    assert not {str(v) for b in ballots for v in b} & set(frame["ballot"])  # not a database id either

    files = {
        "ballots.csv": ballots_csv(engine, SYSTEM, s.round_id).decode("utf-8-sig"),
        "tally.csv": tally_csv(result).decode("utf-8-sig"),
        "results.json": result.to_json(),
        "tally-sv.xlsx": xlsx_text(tally_xlsx(result, "sv")),
        "tally-en.xlsx": xlsx_text(tally_xlsx(result, "en")),
    }
    for name, text in files.items():
        assert not [v for v in voters if v in text], f"{name} names a voter"
        if name != "ballots.csv":  # results are totals: not even a ballot's pseudonym
            assert not [p for p in pseudonyms(engine, s.round_id) if p in text], name


def test_the_audit_log_of_an_anonymous_workshop_ties_no_ballot_to_anyone(engine):
    s, voters = anonymous_round(engine)
    with read(engine) as sess:
        events = sess.scalars(select(AuditEvent).order_by(AuditEvent.id)).all()
    assert [(e.kind, e.role) for e in events if e.kind.startswith("ballot.")] == [
        *[("ballot.submitted", "participant")] * 4,
        ("ballot.replaced", "participant"),
        ("ballot.submitted", "facilitator"),  # the paper ballot
    ]
    for e in events:
        assert not {"participant_id", "entries", "token", "display_name"} & set(e.detail), e.kind
        text = json.dumps(e.detail, ensure_ascii=False)
        assert not [v for v in voters if v in text], e.kind


def test_a_backup_keeps_who_voted_what_but_no_participant_token(engine):
    """Restoring must give every participant their own ballot back, so the file links them;
    docs/security.md says to guard it like the database. Participant tokens and facilitator
    secrets are only hashes, so nobody can act as anyone with the file."""
    s, _ = anonymous_round(engine)
    doc = backup.dump(engine)
    tables = {
        name: [dict(zip(b["columns"], row, strict=True)) for row in b["rows"]] for name, b in doc["tables"].items()
    }
    people = {p["id"]: p for p in tables["participants"]}
    voted = {people[b["participant_id"]]["display_name"] for b in tables["ballots"] if b["round_id"] == s.round_id}
    assert voted == {p["display_name"] for p in people.values()}
    text = json.dumps(doc, ensure_ascii=False)
    assert not [token for token in s.tokens if token in text]  # no personal link in clear
    assert {p["token_hash"] for p in people.values()} == {token_hash(token) for token in s.tokens}
    assert PASSCODE not in text and s.fac not in text


def test_nothing_logged_while_voting_and_exporting_names_a_voter(engine, caplog):
    caplog.set_level(logging.DEBUG)
    s, voters = anonymous_round(engine)
    result = round_results(engine, SYSTEM, s.round_id)
    ballots_csv(engine, SYSTEM, s.round_id)
    tally_csv(result)
    tally_xlsx(result, "sv")
    backup.dump(engine)
    logged = "\n".join(f"{r.name} {r.getMessage()} {r.exc_text or ''}" for r in caplog.records)
    assert not [v for v in [*voters, *pseudonyms(engine, s.round_id)] if v in logged]
    # No SQL echo: SQLAlchemy would log every parameter (participant ids, tokens) and, at DEBUG, rows.
    assert not engine.echo
    assert not [r for r in caplog.records if r.name.startswith("sqlalchemy.engine")]


# ---------------------------------------------------------------- 5. facilitator operations need the session


@dataclass
class World:
    mine: Setup  # a proposing round with three themes, two participants and one registered person
    other_fac: str  # the facilitator of another workshop, in another process


def make_world(engine) -> World:
    mine = make_setup(engine, participants={"civil": 1, "business": 1}, themes=3)
    import_registrations(engine, mine.fac, "name,organisation,helix\nRegistrerad Rut,Aktör civil,civil\n")
    proc = ops.create_process(engine, SYSTEM, "Annan process")
    ops.add_actor(engine, SYSTEM, proc.id, "Annat företag", "business")
    other = ops.create_workshop(engine, SYSTEM, proc.id, "Annan workshop", PASSCODE)
    return World(mine, ops.login_facilitator(engine, other.id, PASSCODE))


MINE = ("Testworkshop", "Aktör civil", "Registrerad Rut", "Tema 1")  # what only `mine` contains


def _voting(engine, w: World) -> int:
    for phase in ("reviewing", "voting"):
        ops.set_phase(engine, w.mine.fac, w.mine.round_id, phase)
    return w.mine.round_id


def _closed(engine, w: World) -> int:
    rid = _voting(engine, w)
    submit_ballot(engine, w.mine.tokens[0], rid, {w.mine.themes[0]: 2})
    return ops.close_round(engine, w.mine.fac, rid).id


def _withdrawn(engine, w: World) -> int:
    return ops.withdraw_theme(engine, w.mine.fac, w.mine.themes[0]).id


def _registered(engine, w: World) -> int:
    with read(engine) as s:
        return s.scalar(select(Participant.id).where(Participant.display_name == "Registrerad Rut"))


def _merged(engine, w: World) -> int:
    return ops.merge_themes(engine, w.mine.fac, w.mine.themes[0], w.mine.themes[1]).id


# How each facilitator operation is called (after getting `mine` ready for it) so that it succeeds
# with the right token. A new operation must be added here: the discovery test says which.
FAC_CALLS: dict[str, Callable[[Any, World], dict[str, Any]]] = {
    "workshop.rounds.add_round": lambda e, w: {"spec": ops.RoundSpec(method="approval")},
    "workshop.themes.add_theme": lambda e, w: {"round_id": w.mine.round_id, "data": ops.ThemeInput("Från en lapp")},
    "workshop.priorities.advance": lambda e, w: {"round_id": _closed(e, w), "top_k": 1, "spec": ops.RoundSpec(method="approval")},
    "workshop.rounds.close_round": lambda e, w: {"round_id": _voting(e, w)},
    "workshop.themes.edit_theme": lambda e, w: {"theme_id": w.mine.themes[0], "data": ops.ThemeInput("Omskrivet")},
    "workshop.setup.logout_facilitator": lambda e, w: {},
    "workshop.themes.merge_themes": lambda e, w: {"duplicate_id": w.mine.themes[0], "into_id": w.mine.themes[1]},
    "workshop.joining.register_paper_participant": lambda e, w: {"display_name": "Pappers-Per", "actor_id": w.mine.actors["civil"]},
    "workshop.themes.restore_theme": lambda e, w: {"theme_id": _withdrawn(e, w)},
    "workshop.rounds.reveal_results": lambda e, w: {"round_id": _closed(e, w)},
    "workshop.rounds.set_live_results": lambda e, w: {"round_id": w.mine.round_id, "live": True},
    "workshop.rounds.set_phase": lambda e, w: {"round_id": w.mine.round_id, "phase": "reviewing"},
    "workshop.priorities.set_priorities": lambda e, w: {"items": [ops.PriorityInput(w.mine.themes[0], "Viktigast")]},
    "workshop.setup.set_workshop_open": lambda e, w: {"is_open": False},
    "workshop.setup.set_workshop_options": lambda e, w: {"allow_new_actors": False},
    "workshop.themes.unmerge_theme": lambda e, w: {"theme_id": _merged(e, w)},
    "workshop.setup.set_workshop_passcode": lambda e, w: {"passcode": "ny-lösenkod-för-rummet"},
    "workshop.themes.withdraw_theme": lambda e, w: {"theme_id": w.mine.themes[0]},
    "voting.ballots.submit_paper_ballot": lambda e, w: {
        "participant_id": ops.register_paper_participant(e, w.mine.fac, "Pappers-Per", w.mine.actors["civil"]).id,
        "round_id": _voting(e, w), "choices": {w.mine.themes[0]: 1},
    },
    "workshop.registrations.import_registrations": lambda e, w: {"csv_text": "name,organisation,helix\nNy Nils,Aktör public,public\n"},
    "workshop.registrations.registered_participants": lambda e, w: {},
    "workshop.registrations.reissue_card": lambda e, w: {"participant_id": _registered(e, w)},
    "live.facilitator_view": lambda e, w: {},
    "live.projector_key": lambda e, w: {},
    "workshop.moderation.merge_preview": lambda e, w: {"duplicate_id": w.mine.themes[0], "into_id": w.mine.themes[1]},
    "workshop.moderation.merge_group_preview": lambda e, w: {"duplicate_ids": w.mine.themes[:2], "into_id": w.mine.themes[2]},
    "workshop.moderation.merge_group": lambda e, w: {"duplicate_ids": w.mine.themes[:2], "into_id": w.mine.themes[2]},
    "workshop.moderation.theme_queue": lambda e, w: {"round_id": w.mine.round_id, "search": "tema"},
    "workshop.moderation.duplicate_suggestions": lambda e, w: {"round_id": w.mine.round_id},
}  # fmt: skip
READS = {
    "workshop.registrations.registered_participants", "live.facilitator_view", "live.projector_key", "workshop.moderation.merge_preview",
    "workshop.moderation.merge_group_preview", "workshop.moderation.theme_queue", "workshop.moderation.duplicate_suggestions",
}  # fmt: skip
SIGN_OUT = "workshop.setup.logout_facilitator"  # with a dead token there is nothing to end: a no-op, not an error

# The other operations (public functions taking the engine) of the workshop modules, and why they
# take no facilitator token. Helpers that take a Session run inside an operation's transaction,
# and pure functions touch no data, so neither is listed.
NOT_FACILITATOR_OPS = {
    # a participant's operations: they take the participant's token
    "workshop.joining.claim_registration", "workshop.themes.edit_own_theme", "workshop.themes.propose", "voting.ballots.submit_ballot",
    # organisers' operations: they take the acting principal (`who`, tests/unit/test_roles.py)
    "workshop.setup.create_process", "workshop.setup.update_process", "workshop.setup.add_actor", "workshop.setup.update_actor",
    "workshop.setup.create_workshop",
    # signing in and joining
    "workshop.setup.login_facilitator", "workshop.joining.join", "workshop.joining.open_workshop_for_code",
    # reads that take no token (see docs/security.md)
    "workshop.reads.revision", "funnel.workshop_funnel",
    # after a ballot has committed (edp.voting.ballots): bumps the revision and tells the screens to look;
    # it changes and shows nothing else, so a stray call only makes the screens check
    "guards.bump_after_ballot",
}  # fmt: skip
WORKSHOP_MODULES = ("workshop.", "guards.", "voting.ballots.", "funnel.")


def mine_state(engine, w: World) -> dict[str, Any]:
    """Everything of `mine` an operation could change, as counts and its revision."""
    wid, pid = w.mine.workshop_id, w.mine.process_id
    with read(engine) as s:
        return {
            "revision": s.scalar(select(Workshop.revision).where(Workshop.id == wid)),
            **{
                model.__tablename__: s.scalar(select(func.count()).select_from(model).where(col == ref))
                for model, col, ref in (
                    (AuditEvent, AuditEvent.workshop_id, wid),
                    (FacilitatorSession, FacilitatorSession.workshop_id, wid),
                    (Participant, Participant.workshop_id, wid),
                    (Actor, Actor.process_id, pid),
                )
            },
            "actor names": sorted(s.scalars(select(Actor.name).where(Actor.process_id == pid))),
        }


def test_facilitator_operations_are_discovered_and_each_has_a_call():
    assert FACILITATOR_OPS, "no engine function takes a fac_token: the discovery is broken"
    found = {n for n, _ in FACILITATOR_OPS}
    assert found - set(FAC_CALLS) == set(), "new facilitator operations: add them to FAC_CALLS"
    assert set(FAC_CALLS) - found == set(), "FAC_CALLS names operations that no longer exist"
    for name, fn in FACILITATOR_OPS:
        assert list(inspect.signature(fn).parameters)[:2] == ["engine", "fac_token"], name


def test_every_other_public_function_of_the_workshop_modules_is_accounted_for():
    operations = {
        n
        for n, fn in engine_functions()
        if n.startswith(WORKSHOP_MODULES) and next(iter(inspect.signature(fn).parameters), None) == "engine"
    }
    assert operations - {n for n, _ in FACILITATOR_OPS} == NOT_FACILITATOR_OPS


@pytest.mark.parametrize("name", [n for n, _ in FACILITATOR_OPS])
def test_a_facilitator_operation_needs_its_own_workshops_facilitator_session(engine, name):
    fn = dict(FACILITATOR_OPS)[name]
    w = make_world(engine)
    kwargs = FAC_CALLS[name](engine, w)
    signed_out = ops.login_facilitator(engine, w.mine.workshop_id, PASSCODE)
    ops.logout_facilitator(engine, signed_out)

    for token in (None, "", new_token(), signed_out, w.mine.tokens[0]):  # missing, wrong, signed out, a participant's
        if name == SIGN_OUT:
            before = table_counts(engine)
            fn(engine, token, **kwargs)
            assert table_counts(engine) == before
        else:
            refused(engine, PermissionDenied, "auth.facilitator_required", fn, token, **kwargs)

    # Another workshop's facilitator: this workshop's ids are not found; without ids, the
    # operation acts on (or shows) the other workshop only.
    if any(k.endswith(("_id", "_ids")) or k == "items" for k in kwargs):
        before = table_counts(engine)
        with pytest.raises(NotFound) as info:
            fn(engine, w.other_fac, **kwargs)
        assert info.value.key.endswith(".not_found")
        assert table_counts(engine) == before
    else:
        before = mine_state(engine, w)
        shown = repr(fn(engine, w.other_fac, **kwargs))
        assert mine_state(engine, w) == before
        assert not [m for m in MINE if m in shown]

    before = table_counts(engine)
    fn(engine, w.mine.fac, **kwargs)  # ... and with its own facilitator's session it works
    assert (table_counts(engine) == before) == (name in READS)


# ---------------------------------------------------------------- 6. Streamlit configuration


LOOPBACK = ["localhost", "127.0.0.1", "::1"]
REFUSED_HOSTS = ["evil.example", "evil.example:8501", "127.0.0.1.evil.example", "localhost.evil.example:8501"]


def host_allowed(monkeypatch: pytest.MonkeyPatch, allowed: list[str], host: str) -> bool:
    """Streamlit's own check of a websocket's Host header, with server.allowedHosts = `allowed`."""
    from streamlit import config as st_config
    from streamlit.web.server.starlette.starlette_websocket import is_host_allowed

    real = st_config.get_option
    monkeypatch.setattr(st_config, "get_option", lambda key: allowed if key == "server.allowedHosts" else real(key))
    return is_host_allowed(host)


def test_the_shipped_streamlit_config_allows_loopback_hosts_only(monkeypatch):
    """Against DNS rebinding, a websocket is answered only when its Host is a loopback name
    (`make run`, opened at localhost or 127.0.0.1). `edp room` and a deployment add their names
    (tests/e2e/test_allowed_hosts.py and tests/e2e/test_nginx.py run them for real)."""
    from streamlit import config as st_config

    assert {"server.allowedHosts", "server.enableCORS", "server.corsAllowedOrigins"} <= set(
        st_config._config_options_template
    )
    server = tomllib.loads(CONFIG.read_text(encoding="utf-8"))["server"]
    assert server["allowedHosts"] == LOOPBACK
    assert "corsAllowedOrigins" not in server  # same origin only
    for host in ("localhost:8501", "127.0.0.1:8501", "[::1]:8501", "LOCALHOST", "127.0.0.1"):
        assert host_allowed(monkeypatch, server["allowedHosts"], host), host
    for host in [*REFUSED_HOSTS, "192.168.1.23:8501", "edp.example.se", "127.0.0.2:8501", None]:
        assert not host_allowed(monkeypatch, server["allowedHosts"], host), host


@pytest.mark.parametrize(
    ("public_url", "operator", "reached_at"),
    [
        (None, None, ["192.168.1.23:8501"]),  # the LAN address in the QR code
        ("https://edp.example.se/", None, ["edp.example.se", "192.168.1.23:8501"]),
        ("http://Edp-Laptop.local:8501", "extra.example *.venue.example", ["edp-laptop.local:8501", "x.venue.example"]),
        ("http://[fe80::1]:8501", None, ["[fe80::1]:8501"]),
    ],
)
def test_edp_room_allows_the_host_of_its_join_url_and_loopback(monkeypatch, public_url, operator, reached_at):
    from edp import config as edp_config
    from edp.room import ALLOWED_HOSTS_ENV

    monkeypatch.setattr(edp_config, "lan_address", lambda: "192.168.1.23")
    for name, value in (("EDP_PUBLIC_URL", public_url), (ALLOWED_HOSTS_ENV, operator)):
        if value is None:
            monkeypatch.delenv(name, raising=False)
        else:
            monkeypatch.setenv(name, value)
    cmd, env, _ = room_command(8501)
    assert cmd[cmd.index("--server.address") + 1] == "0.0.0.0"  # the room overrides the loopback address
    assert not [a for a in cmd if "allowedHosts" in a or "enableXsrfProtection" in a or "enableCORS" in a]
    # Streamlit splits a list option from the environment at whitespace (a comma would join two names).
    allowed = env[ALLOWED_HOSTS_ENV].split()
    assert "," not in env[ALLOWED_HOSTS_ENV] and allowed[:3] == LOOPBACK
    assert set((operator or "").split()) <= set(allowed)  # the operator's own names are kept
    for host in [*reached_at, "localhost:8501", "127.0.0.1:8501"]:
        assert host_allowed(monkeypatch, allowed, host), host
    for host in REFUSED_HOSTS:
        assert not host_allowed(monkeypatch, allowed, host), host


# ---------------------------------------------------------------- the map itself


def defined_test(ref: str) -> bool:
    """Whether `path::name` names a test function defined in that file."""
    path, name = ref.split("::")
    tree = ast.parse((CONFIG.parents[1] / path).read_text(encoding="utf-8"))
    return any(isinstance(n, ast.FunctionDef) and n.name == name for n in tree.body)


def test_every_test_named_in_the_security_doc_exists():
    refs = re.findall(r"`(tests/[\w/]+\.py::\w+)`", SECURITY_DOC.read_text(encoding="utf-8"))
    assert len(refs) >= 6, "docs/security.md maps the checklist to tests as `path::name`"
    assert [r for r in refs if not defined_test(r)] == []
