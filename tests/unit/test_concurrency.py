"""200 participants vote and change their minds from many threads while the facilitator closes the round.

What must hold afterwards, on SQLite and on PostgreSQL:

* every call either returned (accepted) or raised PhaseError("ballot.not_voting") - nothing else;
* each participant's stored ballot is exactly their last accepted submission (none lost, none
  half-written), and a participant none of whose calls was accepted has no ballot;
* no stored ballot breaks the dots budget or the per-theme cap;
* the round is closed, and every ballot.* audit event precedes the close in the audit log;
* the tally's total equals the sum of the stored entries and of the last accepted ballots.

Timing: the 150th accepted submission sets an Event; a separate facilitator thread waits for it
and closes the round while the other workers keep submitting, so the close genuinely races the
stream. A small group of late participants starts only once the close has returned, so refusals
(including participants left with no ballot at all) happen on every run, not by luck.
"""

from __future__ import annotations

import random
import threading
import time
import traceback
from collections import Counter, defaultdict
from concurrent.futures import ThreadPoolExecutor, wait

import pytest
from sqlalchemy import func, select

from edp import workshop as ops
from edp.access import SYSTEM
from edp.db import FifoLock, read
from edp.errors import PhaseError
from edp.models import HELIX_GROUPS, AuditEvent, Ballot, BallotEntry, Participant, Round, Workshop
from edp.security import token_hash
from edp.voting.ballots import submit_ballot
from edp.voting.tally import round_results
from tests.factory import make_setup

PER_GROUP = 50  # x 4 helix groups = 200 participants
BUDGET = 5
CAP = 3
N_THEMES = 6
CLOSE_AFTER = 150  # accepted submissions before the facilitator closes
WORKERS = 24  # the PostgreSQL engine's pool holds 30 connections; leave room for the facilitator
LATE = 16  # participants who only start after the close has returned
WAIT_S = 60


def random_dots(rng: random.Random, themes: list[int]) -> dict[int, int]:
    """A valid, non-empty dots ballot; sometimes with an explicit 0 that must not be stored."""
    ballot: dict[int, int] = {}
    left = rng.randint(1, BUDGET)
    while left:
        t = rng.choice(themes)
        if ballot.get(t, 0) < CAP:
            ballot[t] = ballot.get(t, 0) + 1
            left -= 1
    if rng.random() < 0.2:
        spare = [t for t in themes if t not in ballot]
        if spare:
            ballot[rng.choice(spare)] = 0
    return ballot


def rows(choices: dict[int, int]) -> list[tuple[int, None, int]]:
    return sorted((t, None, d) for t, d in choices.items() if d)


def test_ballots_racing_the_close_are_each_wholly_counted_or_refused(engine):
    started = time.monotonic()
    s = make_setup(
        engine,
        ops.RoundSpec(method="dots", dots_per_participant=BUDGET, max_dots_per_theme=CAP),
        participants={g: PER_GROUP for g in HELIX_GROUPS},
        themes=N_THEMES,
        phase="voting",
    )
    tokens = list(s.tokens)
    assert len(tokens) == PER_GROUP * len(HELIX_GROUPS) == 200
    assert Counter(s.helix_of.values()) == {g: PER_GROUP for g in HELIX_GROUPS}
    random.Random(20260).shuffle(tokens)  # mix the helix groups over time
    late = set(tokens[-LATE:])
    setup_s = time.monotonic() - started

    lock = threading.Lock()
    accepted_total = 0
    close_trigger = threading.Event()
    close_done = threading.Event()
    calls: dict[str, list[tuple[bool, dict[int, int], str | None]]] = defaultdict(list)

    def participant(i: int, token: str) -> None:
        nonlocal accepted_total
        rng = random.Random(1000 + i)
        if token in late and not close_done.wait(WAIT_S):
            raise RuntimeError("the close never returned")
        for _ in range(2):  # a ballot, then a replacement
            choices = random_dots(rng, s.themes)
            time.sleep(rng.uniform(0, 0.003))  # people do not press the button in lockstep
            try:
                submit_ballot(engine, token, s.round_id, choices)
            except PhaseError as exc:
                if exc.key != "ballot.not_voting":
                    raise
                calls[token].append((False, choices, exc.params.get("phase")))
            else:
                calls[token].append((True, choices, None))
                with lock:
                    accepted_total += 1
                    if accepted_total == CLOSE_AFTER:
                        close_trigger.set()

    close_result: dict[str, object] = {}

    def facilitator() -> None:
        try:
            if not close_trigger.wait(WAIT_S):
                raise RuntimeError(f"{CLOSE_AFTER} accepted submissions never happened")
            with lock:
                close_result["accepted_before_close_call"] = accepted_total
            rnd = ops.close_round(engine, s.fac, s.round_id)
            close_result["phase"] = rnd.phase
            with lock:
                close_result["accepted_when_close_returned"] = accepted_total
        finally:
            close_done.set()

    race_started = time.monotonic()
    with ThreadPoolExecutor(max_workers=1) as fac_pool, ThreadPoolExecutor(max_workers=WORKERS) as pool:
        fac_future = fac_pool.submit(facilitator)
        futures = [pool.submit(participant, i, tok) for i, tok in enumerate(tokens)]
        done, not_done = wait([fac_future, *futures], timeout=WAIT_S * 2)
    race_s = time.monotonic() - race_started

    assert not not_done, f"{len(not_done)} threads did not finish"
    problems = [
        "".join(traceback.format_exception(f.exception())) for f in [fac_future, *futures] if f.exception() is not None
    ]
    assert not problems, f"{len(problems)} threads raised something else than ballot.not_voting:\n" + "\n".join(
        problems[:3]
    )
    assert close_result.get("phase") == "closed"

    # ---- what the threads saw
    assert set(calls) == set(tokens)
    assert all(len(c) == 2 for c in calls.values())
    accepted = [c for cs in calls.values() for c in cs if c[0]]
    refused = [c for cs in calls.values() for c in cs if not c[0]]
    assert len(accepted) == accepted_total >= CLOSE_AFTER
    assert refused, "no submission was refused: the close did not happen mid-stream"
    assert {phase for _, _, phase in refused} == {"closed"}
    for token, cs in calls.items():
        flags = [ok for ok, _, _ in cs]
        assert flags in ([True, True], [True, False], [False, False]), (
            f"{token[:8]}: {flags} - accepted after a refusal, so a ballot got in after the close"
        )
    for token in late:
        assert [ok for ok, _, _ in calls[token]] == [False, False]

    last_accepted = {}
    for token, cs in calls.items():
        ok = [choices for accepted_, choices, _ in cs if accepted_]
        last_accepted[token] = ok[-1] if ok else None
    n_accepted = {token: sum(ok for ok, _, _ in cs) for token, cs in calls.items()}

    # ---- what the database holds
    with read(engine) as ses:
        pid_of_hash = dict(
            ses.execute(
                select(Participant.token_hash, Participant.id).where(Participant.workshop_id == s.workshop_id)
            ).all()
        )
        pid_of = {token: pid_of_hash[token_hash(token)] for token in s.tokens}
        phase = ses.scalar(select(Round.phase).where(Round.id == s.round_id))
        ballots = {
            pid: (bid, replaced)
            for bid, pid, replaced in ses.execute(
                select(Ballot.id, Ballot.participant_id, Ballot.times_replaced).where(Ballot.round_id == s.round_id)
            )
        }
        entries: dict[int, list[tuple[int, None, int]]] = defaultdict(list)
        for bid, tid, cid, value in ses.execute(
            select(BallotEntry.ballot_id, BallotEntry.theme_id, BallotEntry.criterion_id, BallotEntry.value)
            .join(Ballot, Ballot.id == BallotEntry.ballot_id)
            .where(Ballot.round_id == s.round_id)
        ):
            entries[bid].append((tid, cid, value))
        events = [
            (e.id, e.kind, e.detail)
            for e in ses.scalars(
                select(AuditEvent).where(AuditEvent.workshop_id == s.workshop_id).order_by(AuditEvent.id)
            )
        ]

    assert phase == "closed"

    lost, wrong, ghost = [], [], []
    for token in tokens:
        pid = pid_of[token]
        want = last_accepted[token]
        if want is None:
            if pid in ballots:
                ghost.append((token[:8], sorted(entries[ballots[pid][0]])))
            continue
        if pid not in ballots:
            lost.append((token[:8], rows(want)))
            continue
        bid, replaced = ballots[pid]
        got = sorted(entries[bid])
        if got != rows(want) or replaced != n_accepted[token] - 1:
            wrong.append((token[:8], "stored", got, replaced, "expected", rows(want), n_accepted[token] - 1))
    assert not lost, f"{len(lost)} accepted ballots are missing: {lost[:5]}"
    assert not wrong, f"{len(wrong)} ballots differ from the last accepted submission: {wrong[:5]}"
    assert not ghost, f"{len(ghost)} participants with no accepted call have a ballot: {ghost[:5]}"
    assert len(ballots) == sum(1 for w in last_accepted.values() if w is not None)
    assert sum(1 for w in last_accepted.values() if w is None) >= LATE

    for bid, es in entries.items():
        assert sum(v for _, _, v in es) <= BUDGET, f"ballot {bid} over budget: {es}"
        assert all(1 <= v <= CAP and t in s.themes for t, _, v in es), f"ballot {bid} breaks the cap: {es}"
        assert len({t for t, _, _ in es}) == len(es), f"ballot {bid} has a theme twice: {es}"

    # ---- the audit log: every accepted submission before the one close
    closes = [eid for eid, kind, detail in events if kind == "round.phase" and detail.get("after") == "closed"]
    assert len(closes) == 1, f"expected one close event, got {closes}"
    ballot_events = [(eid, kind) for eid, kind, _ in events if kind.startswith("ballot.")]
    after_close = [eid for eid, _ in ballot_events if eid > closes[0]]
    assert not after_close, f"{len(after_close)} ballots were accepted after the close (event ids {after_close[:5]})"
    kinds = Counter(kind for _, kind in ballot_events)
    assert kinds == {
        "ballot.submitted": sum(1 for n in n_accepted.values() if n >= 1),
        "ballot.replaced": sum(1 for n in n_accepted.values() if n == 2),
    }
    assert sum(kinds.values()) == len(accepted)

    # ---- the tally
    result = round_results(engine, SYSTEM, s.round_id)
    tally_total = sum(t["total"] for t in result.themes)
    stored_total = sum(v for es in entries.values() for _, _, v in es)
    expected_total = sum(sum(w.values()) for w in last_accepted.values() if w is not None)
    assert result.ballots == len(ballots)
    assert tally_total == stored_total == expected_total
    per_theme = Counter()
    for w in last_accepted.values():
        for t, d in (w or {}).items():
            per_theme[t] += d
    assert {t["theme_id"]: t["total"] for t in result.themes} == {t: per_theme.get(t, 0) for t in s.themes}

    total_s = time.monotonic() - started
    print(
        f"\n[{engine.dialect.name}] setup {setup_s:.1f}s, race {race_s:.1f}s, total {total_s:.1f}s; "
        f"accepted {len(accepted)}, refused {len(refused)} "
        f"({sum(not ok for t in tokens if t not in late for ok, _, _ in calls[t])} outside the late group), "
        f"accepted when close was called {close_result['accepted_before_close_call']}, "
        f"when it returned {close_result['accepted_when_close_returned']}"
    )
    assert total_s < 120, f"the concurrency test took {total_s:.0f}s"


def test_sqlite_write_lock_hands_over_in_arrival_order():
    """The SQLite writers' lock is first come, first served: nobody barges back in ahead of waiters."""
    lock = FifoLock()
    order: list[int] = []
    lock.acquire()
    waiters = []
    for i in range(5):
        t = threading.Thread(target=lambda i=i: (lock.acquire(), order.append(i), lock.release()))
        t.start()
        deadline = time.monotonic() + 5
        while len(lock._waiters) < i + 1 and time.monotonic() < deadline:
            time.sleep(0.001)
        waiters.append(t)
    lock.release()
    for t in waiters:
        t.join(5)
    assert order == [0, 1, 2, 3, 4]
    assert lock.acquire() and not lock._waiters  # free again
    lock.release()


@pytest.mark.postgres
def test_on_postgresql_ballots_share_the_workshops_lock_while_a_phase_change_waits_for_them(pg_url):
    """The lock behind 500+ ballots a second: a ballot in flight (its shared lock held) does not
    hold up another participant's ballot, but the close waits for it, and only then closes."""
    from sqlalchemy import text

    from edp.db import make_engine
    from edp.workshop import WORKSHOP_LOCK
    from tests.conftest import PG_URL, _truncate_all, require_service

    require_service(pg_url is not None, f"PostgreSQL at {PG_URL}")
    engine = make_engine(pg_url)
    _truncate_all(engine)
    s = make_setup(engine, ops.RoundSpec(method="approval"), participants={"civil": 2}, themes=2, phase="voting")
    with ThreadPoolExecutor(max_workers=2) as pool, engine.connect() as in_flight:
        in_flight.execute(
            text("SELECT pg_advisory_xact_lock_shared(:ns, :id)"), {"ns": WORKSHOP_LOCK, "id": s.workshop_id}
        )
        other = pool.submit(submit_ballot, engine, s.tokens[0], s.round_id, [s.themes[0]])
        assert other.result(timeout=10).participant_id, "a ballot waited for another ballot"
        closing = pool.submit(ops.close_round, engine, s.fac, s.round_id)
        time.sleep(1.0)
        assert not closing.done(), "the close did not wait for the ballot in flight"
        in_flight.rollback()  # the ballot in flight ends
        closing.result(timeout=10)
    with read(engine) as sess:
        assert sess.get(Round, s.round_id).phase == "closed"
    engine.dispose()


@pytest.mark.postgres
def test_on_postgresql_a_ballot_commits_without_waiting_for_the_workshops_row_and_bumps_the_revision_after(pg_url):
    """Ballots do not queue on the workshop's row (one flush to disk after another): with the row
    locked elsewhere, a ballot is stored and visible at once; only the revision bump that tells
    the screens waits, and it comes once the row is free."""
    from sqlalchemy import text

    from edp.db import make_engine
    from tests.conftest import PG_URL, _truncate_all, require_service

    require_service(pg_url is not None, f"PostgreSQL at {PG_URL}")
    engine = make_engine(pg_url)
    _truncate_all(engine)
    s = make_setup(engine, ops.RoundSpec(method="approval"), participants={"civil": 2}, themes=2, phase="voting")
    with read(engine) as sess:
        before = sess.get(Workshop, s.workshop_id).revision
    with ThreadPoolExecutor(max_workers=1) as pool, engine.connect() as holder:
        # The lock a revision bump (UPDATE of a non-key column) takes and holds until its commit.
        holder.execute(text("SELECT 1 FROM workshops WHERE id = :id FOR NO KEY UPDATE"), {"id": s.workshop_id})
        voting = pool.submit(submit_ballot, engine, s.tokens[0], s.round_id, [s.themes[0]])
        deadline = time.monotonic() + 10
        stored = 0
        while time.monotonic() < deadline and not stored:
            with read(engine) as sess:
                stored = sess.scalar(select(func.count()).select_from(Ballot).where(Ballot.round_id == s.round_id))
            time.sleep(0.05)
        assert stored == 1, "the ballot waited for the workshop's row"
        with read(engine) as sess:
            assert sess.get(Workshop, s.workshop_id).revision == before  # the bump waits for the row
        holder.rollback()
        assert voting.result(timeout=10).participant_id
    with read(engine) as sess:
        assert sess.get(Workshop, s.workshop_id).revision == before + 1
    engine.dispose()
