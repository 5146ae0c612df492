"""The room is not a way in: join codes that cannot be told apart when closed, wrong-code guesses
and joins throttled per client and per workshop (edp/throttle.py), on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
import threading

import pytest
from sqlalchemy import event, func, insert, select, update

from edp import throttle
from edp import workshop as ops
from edp.db import read, write
from edp.errors import NotFound, PermissionDenied, ValidationError
from edp.models import Attempt, Participant, utcnow
from edp.queries import overview
from edp.security import token_hash
from edp.throttle import Client
from tests.conftest import table_counts
from tests.factory import make_setup

ROOM = "203.0.113.7"  # a venue's one NAT address (TEST-NET-3)


def attempts(engine, kind: str | None = None) -> int:
    with read(engine) as s:
        q = select(func.count()).select_from(Attempt)
        return s.scalar(q.where(Attempt.kind == kind) if kind else q)


def wrong_code(engine, client: Client, code: str = "ZZZZZZ") -> NotFound:
    with pytest.raises(NotFound) as info:
        ops.open_workshop_for_code(engine, code, client=client)
    assert info.value.key == "join.code_unknown"
    return info.value


def throttled(engine, key: str, fn, *args, **kwargs) -> PermissionDenied:  # noqa: ANN001
    """Call fn, expect the throttle's refusal `key`, and check that nothing at all was written."""
    before = table_counts(engine)
    with pytest.raises(PermissionDenied) as info:
        fn(engine, *args, **kwargs)
    assert info.value.key == key
    assert table_counts(engine) == before
    return info.value


def age(engine, kind: str, by: dt.timedelta) -> None:
    with write(engine) as s:
        s.execute(update(Attempt).where(Attempt.kind == kind).values(at=utcnow() - by))


# ---------------------------------------------------------------- closed or missing: one answer


def test_a_closed_workshops_code_gets_the_same_answer_with_the_same_queries_as_a_code_never_used(engine):
    s = make_setup(engine)
    closed = make_setup(engine)
    ops.set_workshop_open(engine, closed.fac, False)
    statements: list[str] = []
    event.listen(engine, "before_cursor_execute", lambda *a: statements.append(a[2]))

    def answer(code: str, fn) -> tuple[str, dict, str, str, list[str], dict]:  # noqa: ANN001
        statements.clear()
        before = table_counts(engine)
        with pytest.raises(NotFound) as info:
            fn(code)
        after = table_counts(engine)
        written = {k: after[k] - before[k] for k in after if after[k] != before[k]}
        params = {k: v for k, v in info.value.params.items() if k != "code"}
        return info.value.key, params, info.value.message("sv"), info.value.message("en"), list(statements), written

    for fn in (
        lambda code: ops.open_workshop_for_code(engine, code, client=Client("s1")),
        lambda code: ops.join(engine, code, "Anna", actor_id=s.actors["civil"], client=Client("s2")),
    ):
        was_closed = answer(closed.join_code, fn)
        never = answer("ZZZZZZ", fn)
        assert was_closed[0] == never[0] == "join.code_unknown"
        assert was_closed[1] == never[1] == {"field": "join_code"}
        for i in (2, 3):  # the message, but for the code itself
            assert was_closed[i].replace(closed.join_code, "ZZZZZZ") == never[i]
        assert "stäng" not in was_closed[2] and "closed" not in was_closed[3]
        assert was_closed[4] == never[4]  # no extra query for a closed workshop: nothing to time
        assert was_closed[5] == never[5] == {"attempts": 1}  # the counted guess, nothing else


def test_typing_may_ignore_case_spaces_and_dashes_but_nothing_else_is_rewritten(engine):
    s = make_setup(engine)
    spaced = f" {s.join_code[:3].lower()}-{s.join_code[3:]} "
    assert ops.open_workshop_for_code(engine, spaced, client=Client("s1")) == s.workshop_id
    assert ops.open_workshop_for_code(engine, s.join_code.replace("", " ").strip()) == s.workshop_id
    for typed in ("+SUM(1,1)", f"{s.join_code}!", f"{s.join_code}.", "ÅÄÖ123"):
        before = table_counts(engine)
        with pytest.raises(ValidationError) as info:
            ops.open_workshop_for_code(engine, typed, client=Client("s1"))
        assert info.value.key == "join.code_malformed" and info.value.field == "join_code"
        assert (
            info.value.message("en")
            == "Join code has only letters and digits, at most 12 of them. Check the code on the screen."
        )
        assert table_counts(engine) == before  # not a guess at any code: nothing counted


# ---------------------------------------------------------------- wrong codes


def test_wrong_codes_from_one_session_are_throttled_hard_and_then_even_the_right_code_is_refused(engine):
    s = make_setup(engine)
    guesser, other = Client("guesser"), Client("someone-else")
    for i in range(throttle.WRONG_CODES_PER_SESSION.count):
        before = table_counts(engine)
        wrong_code(engine, guesser, f"ZZZZZ{i + 2}")
        assert table_counts(engine) == {**before, "attempts": before["attempts"] + 1}

    err = throttled(engine, "join.throttled_codes", ops.open_workshop_for_code, "ZZZZZZ", client=guesser)
    assert err.params["minutes"] == 10 and err.field == "join_code"
    assert err.message("en") == "Too many wrong join codes have been tried from here. Wait 10 min, then try again."
    assert err.message("sv").startswith("För många felaktiga anslutningskoder")
    # The right code too: otherwise the answer would tell the guesser which guess is right.
    throttled(engine, "join.throttled_codes", ops.open_workshop_for_code, s.join_code, client=guesser)
    throttled(engine, "join.throttled_codes", ops.join, s.join_code, "Anna", actor_id=s.actors["civil"], client=guesser)
    # Another session is not affected.
    assert ops.open_workshop_for_code(engine, s.join_code, client=other) == s.workshop_id
    assert ops.join(engine, s.join_code, "Anna", actor_id=s.actors["civil"], client=other)


def test_a_wrong_code_sent_to_join_counts_like_one_sent_to_the_code_check(engine):
    s = make_setup(engine)
    guesser = Client("guesser")
    for _ in range(throttle.WRONG_CODES_PER_SESSION.count):
        with pytest.raises(NotFound):
            ops.join(engine, "ZZZZZZ", "Anna", actor_id=s.actors["civil"], client=guesser)
    throttled(engine, "join.throttled_codes", ops.open_workshop_for_code, s.join_code, client=guesser)


def test_the_wrong_code_throttle_counts_within_its_window_only_and_says_how_long_to_wait(engine):
    s = make_setup(engine)
    guesser = Client("guesser")
    for _ in range(throttle.WRONG_CODES_PER_SESSION.count):
        wrong_code(engine, guesser)
    window = throttle.WRONG_CODES_PER_SESSION.window

    age(engine, "wrong_code", window - dt.timedelta(seconds=30))  # still inside: half a minute to go
    err = throttled(engine, "join.throttled_codes", ops.open_workshop_for_code, s.join_code, client=guesser)
    assert 1 <= err.params["seconds"] <= 30 and err.params["minutes"] == 1

    age(engine, "wrong_code", window + dt.timedelta(seconds=30))  # the window has passed
    assert ops.open_workshop_for_code(engine, s.join_code, client=guesser) == s.workshop_id


def test_concurrent_wrong_codes_are_counted_one_after_another(engine):
    make_setup(engine)
    guesser = Client("guesser", ROOM)
    n = throttle.WRONG_CODES_PER_SESSION.count + 7
    start = threading.Barrier(n)
    outcomes: list[str] = []

    def guess(i: int) -> None:
        start.wait()
        try:
            ops.open_workshop_for_code(engine, f"ZZZZ{i:02d}", client=guesser)
        except (NotFound, PermissionDenied) as err:
            outcomes.append(err.key)

    threads = [threading.Thread(target=guess, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    limit = throttle.WRONG_CODES_PER_SESSION.count
    assert sorted(outcomes) == ["join.code_unknown"] * limit + ["join.throttled_codes"] * 7
    assert attempts(engine, "wrong_code") == limit


def test_wrong_codes_from_one_address_are_throttled_across_sessions(engine):
    """A script that opens a new session for each guess is stopped by its address."""
    s = make_setup(engine)
    limit = throttle.WRONG_CODES_PER_ADDRESS.count
    for i in range(limit):
        wrong_code(engine, Client(f"fresh-{i}", ROOM))
    throttled(engine, "join.throttled_codes", ops.open_workshop_for_code, s.join_code, client=Client("new", ROOM))
    # Elsewhere, and on this machine itself (no address), people still get in.
    assert ops.open_workshop_for_code(engine, s.join_code, client=Client("new", "198.51.100.1")) == s.workshop_id
    assert ops.open_workshop_for_code(engine, s.join_code, client=Client("new")) == s.workshop_id


def test_one_device_cannot_escape_its_address_by_taking_another_ipv6_address_of_its_network():
    a = Client("s", "2001:db8:1:2:aaaa::1")
    assert a.address_key == Client("t", "2001:db8:1:2:ffff:ffff:ffff:ffff").address_key
    assert a.address_key != Client("s", "2001:db8:1:3::1").address_key
    assert Client("s", "::ffff:203.0.113.7").address_key == Client("t", ROOM).address_key
    assert Client("s").address_key is None and Client("s").session_key != Client("t").session_key


# ---------------------------------------------------------------- joins


def test_joins_per_session_are_limited_and_the_refusal_writes_nothing(engine):
    s = make_setup(engine)
    flooder = Client("flooder")
    for i in range(throttle.JOINS_PER_SESSION.count):
        ops.join(engine, s.join_code, f"Klon {i}", actor_id=s.actors["civil"], client=flooder)
    err = throttled(
        engine, "join.throttled_joins", ops.join, s.join_code, "Klon", actor_id=s.actors["civil"], client=flooder
    )
    assert err.params["minutes"] == 10
    assert "personal link" in err.message("en")
    assert ops.join(engine, s.join_code, "Anna", actor_id=s.actors["civil"], client=Client("anna"))

    age(engine, "joined", throttle.JOINS_PER_SESSION.window + dt.timedelta(seconds=1))
    assert ops.join(engine, s.join_code, "Klon igen", actor_id=s.actors["civil"], client=flooder)


def test_a_room_of_300_behind_one_nat_address_all_get_in_within_a_minute_despite_typos(engine, monkeypatch):
    """Every phone has the same address: the per-client rules must not lock the room out."""
    s = make_setup(engine)
    now = utcnow()  # the whole room joins at one moment, as far as the workshop's count can tell
    monkeypatch.setattr(throttle, "utcnow", lambda: now)
    monkeypatch.setattr("edp.workshop.joining.utcnow", lambda: now)  # where a join stamps joined_at
    typo = s.join_code[:-1] + ("Y" if s.join_code[-1] != "Y" else "Z")
    tokens = []
    for i in range(300):
        phone = Client(f"phone-{i}", ROOM)
        if i % 6 == 0:  # one in six mistypes the code first
            wrong_code(engine, phone, typo)
        assert ops.open_workshop_for_code(engine, s.join_code, client=phone) == s.workshop_id
        tokens.append(ops.join(engine, s.join_code, f"P{i}", actor_id=s.actors["business"], client=phone).token)
    assert len(set(tokens)) == 300
    with read(engine) as sess:
        assert sess.scalar(select(func.count()).where(Participant.joined_at == now)) == 300


def test_joins_per_workshop_are_capped_at_a_rate_no_room_reaches(engine):
    s = make_setup(engine)
    cap = throttle.JOINS_PER_WORKSHOP
    assert cap.count >= 2 * 300 and cap.window <= dt.timedelta(minutes=1)  # 300 in a minute is half of it
    now = utcnow()
    with write(engine) as sess:  # a flood that has already come in, from as many clients
        sess.execute(
            insert(Participant),
            [
                {"workshop_id": s.workshop_id, "display_name": f"F{i}", "actor_id": s.actors["civil"],
                 "helix": "civil", "token_hash": token_hash(f"flood-token-{i:04d}"), "joined_at": now}
                for i in range(cap.count)
            ],
        )  # fmt: skip
    err = throttled(
        engine, "join.throttled_workshop", ops.join, s.join_code, "Anna", actor_id=s.actors["civil"],
        client=Client("anna", "198.51.100.1"),
    )  # fmt: skip
    assert 1 <= err.params["seconds"] <= 60
    assert (
        err.message("en")
        == f"A great many people are joining right now. Wait {err.params['seconds']} seconds and press Join again."
    )
    with write(engine) as sess:
        sess.execute(update(Participant).values(joined_at=now - cap.window - dt.timedelta(seconds=1)))
    assert ops.join(engine, s.join_code, "Anna", actor_id=s.actors["civil"], client=Client("anna", "198.51.100.1"))


def test_the_engines_own_callers_pass_no_client_and_are_not_throttled(engine):
    """The demo, the CLI and the bench join without a client: nothing is counted for them."""
    s = make_setup(engine, participants={"civil": throttle.JOINS_PER_SESSION.count + 2})
    with pytest.raises(NotFound):
        ops.join(engine, "ZZZZZZ", "Anna", actor_id=s.actors["civil"])
    assert len(s.tokens) == throttle.JOINS_PER_SESSION.count + 2
    assert attempts(engine) == 0


def test_attempts_are_forgotten_once_no_window_counts_them(engine):
    make_setup(engine)
    wrong_code(engine, Client("old"))
    age(engine, "wrong_code", throttle.KEEP + dt.timedelta(seconds=1))
    wrong_code(engine, Client("new"))
    with read(engine) as sess:
        kept = sess.scalars(select(Attempt.session_key)).all()
    assert kept == [Client("new").session_key]  # hashed: no session id or address is stored as such
    assert all(len(k) == 64 for k in kept)


def test_red_team_join_flood_is_refused_at_the_throttle(engine):
    """The red-team run: one person joined 15 times at 5.9 joins a second and proposed 20 themes from each."""
    s = make_setup(engine)
    ops.set_phase(engine, s.fac, s.round_id, "proposing")
    flooder = Client("one-websocket", ROOM)
    joined, refused = [], []
    for i in range(15):
        try:
            joined.append(ops.join(engine, s.join_code, f"Klon {i}", actor_id=s.actors["civil"], client=flooder))
        except PermissionDenied as err:
            refused.append(err.key)
    assert len(joined) == throttle.JOINS_PER_SESSION.count
    assert refused == ["join.throttled_joins"] * (15 - throttle.JOINS_PER_SESSION.count)
    with read(engine) as sess:
        assert sess.scalar(select(func.count()).select_from(Participant)) == throttle.JOINS_PER_SESSION.count


# ---------------------------------------------------------------- the public home page


def test_no_join_code_is_public_unless_the_facilitator_shows_it(engine):
    s = make_setup(engine)
    closed = make_setup(engine)
    ops.set_workshop_options(engine, closed.fac, show_join_code=True)
    ops.set_workshop_open(engine, closed.fac, False)

    def codes(**kwargs) -> dict[int, str | None]:  # noqa: ANN003
        return {w["id"]: w["join_code"] for p in overview(engine, **kwargs) for w in p["workshops"]}

    assert codes() == {s.workshop_id: None, closed.workshop_id: None}  # off by default; never once closed
    ops.set_workshop_options(engine, s.fac, show_join_code=True)
    assert codes() == {s.workshop_id: s.join_code, closed.workshop_id: None}
    ops.set_workshop_options(engine, s.fac, show_join_code=False)
    assert codes()[s.workshop_id] is None
    # The operator's own listing (python -m edp list) has every code.
    assert codes(all_join_codes=True) == {s.workshop_id: s.join_code, closed.workshop_id: closed.join_code}
