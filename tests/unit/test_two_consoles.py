"""Two facilitator consoles acting at once (SQLite and PostgreSQL): the outcome is one of the orders
in which the two could have happened one after the other, never a mix."""

from __future__ import annotations

import threading

from edp import workshop as ops
from edp.errors import EdpError
from edp.live import workshop_view
from edp.voting.ballots import submit_ballot
from tests.factory import PASSCODE, make_setup

ROUNDS = 20


def at_once(*calls):  # noqa: ANN002, ANN201
    """Run the calls on their own threads, released together; returns each one's result or error."""
    start = threading.Barrier(len(calls))
    out: list[object] = [None] * len(calls)

    def run(i: int, fn) -> None:  # noqa: ANN001
        start.wait()
        try:
            out[i] = fn()
        except EdpError as err:
            out[i] = err

    threads = [threading.Thread(target=run, args=(i, fn)) for i, fn in enumerate(calls)]
    for th in threads:
        th.start()
    for th in threads:
        th.join(30)
    return out


def test_close_versus_advance_from_two_consoles(engine):
    """One console closes voting while the other advances the top 2 (which needs a closed round):
    the advance either comes after the close (a new round with exactly the top 2) or is refused."""
    for _ in range(ROUNDS):
        s = make_setup(engine, participants={"business": 2, "civil": 1}, themes=4, phase="voting")
        for n, token in enumerate(s.tokens):
            submit_ballot(engine, token, s.round_id, {s.themes[n % 4]: 2, s.themes[(n + 1) % 4]: 1})
        other = ops.login_facilitator(engine, s.workshop_id, PASSCODE)
        spec = ops.RoundSpec(method="approval")
        closed, advanced = at_once(
            lambda s=s: ops.close_round(engine, s.fac, s.round_id),
            lambda s=s, other=other, spec=spec: ops.advance(engine, other, s.round_id, 2, spec),
        )
        assert not isinstance(closed, EdpError), closed
        view = workshop_view(engine, s.workshop_id)
        first = next(r for r in view.rounds if r.id == s.round_id)
        assert first.phase == "closed"
        if isinstance(advanced, EdpError):
            assert len(view.rounds) == 1  # refused whole: no half-made round
        else:
            assert len(view.rounds) == 2 and advanced.origin_round_id == s.round_id


def test_two_consoles_merging_at_once_never_lose_or_loop_a_theme(engine):
    """A into B and B into A at the same moment: exactly one merge wins; no cycle, no lost theme."""
    for _ in range(ROUNDS):
        s = make_setup(engine, participants={"academia": 1}, themes=3, phase="reviewing")
        other = ops.login_facilitator(engine, s.workshop_id, PASSCODE)
        a, b = s.themes[0], s.themes[1]
        r1, r2 = at_once(
            lambda s=s, a=a, b=b: ops.merge_themes(engine, s.fac, a, b),
            lambda other=other, a=a, b=b: ops.merge_themes(engine, other, b, a),
        )
        assert [isinstance(r, EdpError) for r in (r1, r2)].count(True) == 1, (r1, r2)
        view = workshop_view(engine, s.workshop_id)
        active = {t.id for t in view.current.themes}
        assert len(active) == 2 and s.themes[2] in active and len({a, b} & active) == 1


def test_reveal_twice_at_once_is_idempotent(engine):
    s = make_setup(engine, participants={"public": 1}, themes=2, phase="voting")
    ops.close_round(engine, s.fac, s.round_id)
    other = ops.login_facilitator(engine, s.workshop_id, PASSCODE)
    r1, r2 = at_once(
        lambda: ops.reveal_results(engine, s.fac, s.round_id),
        lambda: ops.reveal_results(engine, other, s.round_id),
    )
    assert not isinstance(r1, EdpError) and not isinstance(r2, EdpError)
    current = workshop_view(engine, s.workshop_id).current
    assert current.revealed and current.phase == "closed"
