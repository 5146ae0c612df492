"""Change events (edp.events): a committed write announces its workshop's new revision once, with
whom it concerns; a refused write announces nothing. On PostgreSQL the announcement is a NOTIFY
that the database delivers at commit to every replica's listener, which reconnects by itself.
Then the rules of who hears what (Screen.wants) and the stream's tickets."""

from __future__ import annotations

import secrets
import threading
from collections.abc import Iterator

import pytest
from sqlalchemy import URL, Engine, make_url, text

from edp import events
from edp import workshop as ops
from edp.db import make_engine
from edp.errors import EdpError
from edp.events import BALLOT, JOIN, PROPOSAL, RESYNC, ROOM, Change, Screen, read_ticket, sign_ticket
from edp.live import workshop_view
from edp.voting.ballots import submit_ballot
from tests.conftest import PG_URL, _truncate_all, require_service
from tests.factory import make_setup

WAIT_S = 5.0
SECRET = b"a secret for tests"


class Heard:
    """Every change published in this process while it is open (thread-safe)."""

    def __init__(self) -> None:
        self.changes: list[Change] = []
        self._cv = threading.Condition()

    def __call__(self, change: Change) -> None:
        with self._cv:
            self.changes.append(change)
            self._cv.notify_all()

    def wait_for(self, test, timeout: float = WAIT_S) -> list[Change]:  # noqa: ANN001
        with self._cv:
            self._cv.wait_for(lambda: any(test(c) for c in self.changes), timeout)
            return [c for c in self.changes if test(c)]

    def of(self, workshop_id: int) -> list[Change]:
        with self._cv:
            return [c for c in self.changes if c.workshop_id == workshop_id]


@pytest.fixture
def heard(engine: Engine) -> Iterator[Heard]:
    """Changes as this server process hears them: in-process on SQLite, through LISTEN on PostgreSQL."""
    ear = Heard()
    unsubscribe = events.subscribe(ear)
    listener = None
    if events.is_postgres(engine):
        listener = events.PgListener(engine.url.render_as_string(hide_password=False)).start()
        assert listener.connected.wait(WAIT_S), "the LISTEN connection did not come up"
    try:
        yield ear
    finally:
        unsubscribe()
        if listener is not None:
            listener.stop()


def test_a_committed_ballot_announces_the_new_revision_once_as_that_participants_ballot(engine, heard):
    s = make_setup(engine, ops.RoundSpec(method="approval"), participants={"civil": 2}, themes=2, phase="voting")
    ballot = submit_ballot(engine, s.tokens[0], s.round_id, [s.themes[0]])
    revision = workshop_view(engine, s.workshop_id).revision
    found = heard.wait_for(lambda c: c.workshop_id == s.workshop_id and c.revision == revision)
    assert found == [Change(s.workshop_id, revision, BALLOT, ballot.participant_id)]


def test_a_refused_write_announces_nothing(engine, heard):
    s = make_setup(engine, ops.RoundSpec(method="approval"), participants={"civil": 1}, themes=2, phase="proposing")
    before = workshop_view(engine, s.workshop_id).revision
    with pytest.raises(EdpError):
        submit_ballot(engine, s.tokens[0], s.round_id, [s.themes[0]])  # not voting yet: refused, rolled back
    ops.set_phase(engine, s.fac, s.round_id, "reviewing")  # a later write that commits, as a marker
    last = workshop_view(engine, s.workshop_id).revision
    marker = heard.wait_for(lambda c: c.workshop_id == s.workshop_id and c.revision == last)
    assert marker, "the committed phase change was not announced"
    assert [c for c in heard.of(s.workshop_id) if c.scope == BALLOT] == []
    assert workshop_view(engine, s.workshop_id).revision == before + 1


def test_a_proposal_and_a_join_say_whose_they_are_and_a_phase_change_concerns_the_room(engine, heard):
    s = make_setup(engine, participants={"business": 1}, themes=0, phase="proposing")
    theme = ops.propose(engine, s.tokens[0], s.round_id, ops.ThemeInput(title="Vätgas på E14"))
    ops.set_phase(engine, s.fac, s.round_id, "reviewing")
    last = workshop_view(engine, s.workshop_id).revision
    heard.wait_for(lambda c: c.workshop_id == s.workshop_id and c.revision == last)
    scopes = [(c.scope, c.participant_id) for c in heard.of(s.workshop_id)]
    assert (PROPOSAL, theme.participant_id) in scopes
    assert scopes[-1] == (ROOM, None)
    ops.join(engine, s.join_code, "Ny deltagare", actor_id=s.actors["business"])
    revision = workshop_view(engine, s.workshop_id).revision
    found = heard.wait_for(lambda c: c.workshop_id == s.workshop_id and c.revision == revision)
    assert [(c.scope, c.participant_id) for c in found] == [(JOIN, None)]


def test_revisions_are_announced_in_the_order_they_were_committed(engine, heard):
    s = make_setup(engine, ops.RoundSpec(method="approval"), participants={"civil": 4}, themes=2, phase="voting")
    for token in s.tokens:
        submit_ballot(engine, token, s.round_id, [s.themes[0]])
    last = workshop_view(engine, s.workshop_id).revision
    heard.wait_for(lambda c: c.workshop_id == s.workshop_id and c.revision == last)
    revisions = [c.revision for c in heard.of(s.workshop_id) if c.scope == BALLOT]
    assert revisions == sorted(revisions) and len(revisions) == len(set(revisions)) == 4


@pytest.mark.postgres
def test_the_listener_reconnects_after_losing_the_database_and_asks_every_screen_to_look_again(pg_url):
    require_service(pg_url is not None, f"PostgreSQL at {PG_URL}")
    engine = make_engine(pg_url)
    _truncate_all(engine)
    ear = Heard()
    unsubscribe = events.subscribe(ear)
    listener = events.PgListener(pg_url).start()
    try:
        assert listener.connected.wait(WAIT_S), "the LISTEN connection did not come up"
        with engine.connect() as conn:
            killed = conn.execute(
                text(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                    " WHERE query LIKE 'LISTEN%' AND pid <> pg_backend_pid()"
                )
            ).all()
            conn.commit()
        assert killed, "no LISTEN connection found to cut"
        assert ear.wait_for(lambda c: c.scope == RESYNC, timeout=10), "no resync after reconnecting"
        s = make_setup(engine, participants={"civil": 1}, themes=0, phase="proposing")
        ops.set_phase(engine, s.fac, s.round_id, "reviewing")
        last = workshop_view(engine, s.workshop_id).revision
        assert ear.wait_for(lambda c: c.workshop_id == s.workshop_id and c.revision == last), "deaf after reconnecting"
    finally:
        unsubscribe()
        listener.stop()
        engine.dispose()


def test_two_installations_in_one_database_never_hear_each_others_changes(pg_url):
    """Each schema has its own channel: a ballot (its own bump statement) and a phase change
    (announced in the write) in this schema reach a LISTEN on this schema's channel only."""
    import psycopg

    require_service(pg_url is not None, f"PostgreSQL at {PG_URL}")
    engine = make_engine(pg_url)
    _truncate_all(engine)
    other = f"other_{secrets.token_hex(3)}"
    with engine.begin() as conn:
        conn.execute(text(f"CREATE SCHEMA {other}"))

    def listening(url: URL) -> tuple[psycopg.Connection, str]:
        conn = psycopg.connect(url.set(drivername="postgresql").render_as_string(hide_password=False), autocommit=True)
        row = conn.execute(f"SELECT {events.PG_CHANNEL_SQL}").fetchone()
        assert row is not None
        conn.execute(f'LISTEN "{row[0]}"')
        return conn, row[0]

    here, here_channel = listening(make_url(pg_url))
    there, there_channel = listening(make_url(pg_url).update_query_dict({"options": f"-csearch_path={other}"}))
    try:
        assert here_channel != there_channel
        s = make_setup(engine, ops.RoundSpec(method="approval"), participants={"civil": 1}, themes=2, phase="voting")
        submit_ballot(engine, s.tokens[0], s.round_id, [s.themes[0]])
        ops.set_phase(engine, s.fac, s.round_id, "closed")
        heard = [Change.parse(n.payload) for n in here.notifies(timeout=2.0)]
        assert {(c.workshop_id, c.scope) for c in heard if c is not None} >= {
            (s.workshop_id, BALLOT),
            (s.workshop_id, ROOM),
        }
        assert list(there.notifies(timeout=1.0)) == []
    finally:
        here.close()
        there.close()
        with engine.begin() as conn:
            conn.execute(text(f"DROP SCHEMA {other} CASCADE"))
        engine.dispose()


def test_a_change_payload_round_trips_and_garbage_is_ignored():
    for change in (Change(3, 17, BALLOT, 9), Change(3, 18), Change(0, 0, RESYNC)):
        assert Change.parse(change.payload()) == change
    for garbage in ("", "1:2", "a:b:room:", "1:2:tally:", "1:2:room:x", "1:2:room::extra"):
        assert Change.parse(garbage) is None


def test_a_payload_split_around_its_revision_is_the_same_payload_once_the_database_fills_it_in():
    """For the ballot's bump on PostgreSQL, where the database builds the NOTIFY's payload."""
    for change in (Change(3, 17, BALLOT, 9), Change(12, 4000, BALLOT, None)):
        before, after = Change.payload_around_revision(change.workshop_id, change.scope, change.participant_id)
        assert before + str(change.revision) + after == change.payload()
        assert Change.parse(before + str(change.revision) + after) == change


# ---------------------------------------------------------------- who hears what


def test_a_participant_hears_the_room_and_their_own_doings_not_the_others(engine):
    anna = Screen("participant", 1, participant_id=7)
    assert anna.wants(Change(1, 5, ROOM))
    assert anna.wants(Change(1, 5, BALLOT, 7)) and anna.wants(Change(1, 5, PROPOSAL, 7))
    assert not anna.wants(Change(1, 5, BALLOT, 8))
    assert not anna.wants(Change(1, 5, PROPOSAL, 8))
    assert not anna.wants(Change(1, 5, JOIN, 8))
    assert not anna.wants(Change(2, 5, ROOM)), "another workshop"
    assert anna.wants(Change(0, 0, RESYNC)) and anna.wants(Change(1, 0, RESYNC))
    assert not anna.wants(Change(2, 0, RESYNC))
    watching = Screen("participant", 1, participant_id=7, others=True)  # live results on her phone
    assert watching.wants(Change(1, 5, BALLOT, 8))
    assert not watching.wants(Change(1, 5, PROPOSAL, 8))


def test_the_results_page_hears_the_room_and_ballots_only_while_it_shows_a_live_round():
    quiet, live = Screen("results", 1), Screen("results", 1, others=True)
    assert quiet.wants(Change(1, 5, ROOM)) and live.wants(Change(1, 5, ROOM))
    assert not quiet.wants(Change(1, 5, BALLOT, 8)) and live.wants(Change(1, 5, BALLOT, 8))
    assert not live.wants(Change(1, 5, PROPOSAL, 8)) and not live.wants(Change(1, 5, JOIN, 8))
    assert not live.wants(Change(2, 5, ROOM))


def test_the_projector_and_console_hear_every_change_of_their_workshop_only():
    for kind in ("projector", "console"):
        screen = Screen(kind, 1)
        for scope in (ROOM, BALLOT, PROPOSAL, JOIN):
            assert screen.wants(Change(1, 5, scope, 8)), (kind, scope)
            assert not screen.wants(Change(2, 5, scope, 8)), (kind, scope)


# ---------------------------------------------------------------- tickets


def test_a_ticket_opens_the_stream_for_the_screen_it_was_signed_for_and_no_other():
    for screen in (Screen("participant", 4, 11), Screen("participant", 4, 11, True), Screen("projector", 4)):
        ticket = sign_ticket(screen, SECRET)
        assert read_ticket(ticket, SECRET) == screen
        assert read_ticket(ticket, b"another replica's secret") is None
    ticket = sign_ticket(Screen("projector", 4), SECRET)
    body, _, sig = ticket.rpartition(".")
    for forged in (
        ticket.replace("projector.4.", "projector.5.", 1),
        ticket.replace("projector.", "console.", 1),
        f"{body}.{sig[:-1]}",
        f"{body}x.{sig}",
        "",
        "projector.4..0.99999999999.abc",
        None,
        42,
        "x" * 300,
    ):
        assert read_ticket(forged, SECRET) is None, forged


def test_a_ticket_is_the_same_within_the_hour_and_expires_after_at_most_two():
    screen = Screen("console", 2)
    now = 1_800_000_000.0  # on the hour
    assert sign_ticket(screen, SECRET, now) == sign_ticket(screen, SECRET, now + 3599)
    ticket = sign_ticket(screen, SECRET, now)
    assert read_ticket(ticket, SECRET, now + 2 * 3600 - 1) == screen
    assert read_ticket(ticket, SECRET, now + 2 * 3600) is None


def test_a_ticket_kind_must_be_a_screen_and_a_participants_must_name_them():
    assert read_ticket(sign_ticket(Screen("participant", 4), SECRET), SECRET) is None
    assert read_ticket(sign_ticket(Screen("projector", 4, 11), SECRET), SECRET) is None
    assert read_ticket(sign_ticket(Screen("admin", 4), SECRET), SECRET) is None


def test_on_sqlite_a_change_is_published_after_the_write_lock_is_let_go(tmp_path):
    """Waking the live screens' event loop while holding SQLite's write lock made every other
    writer wait for that loop as well (a room of 200 voting: 3x slower); it is published after.
    (PostgreSQL publishes from its LISTEN thread, never under a write lock.)"""
    from edp.db import _write_lock, upgrade

    engine = make_engine(f"sqlite:///{tmp_path / 'edp.sqlite'}")
    upgrade(engine)
    s = make_setup(engine, participants={"civil": 1}, themes=0, phase="proposing")
    held_while_published: list[bool] = []
    lock = _write_lock(engine)

    def note(change: Change) -> None:
        if change.workshop_id == s.workshop_id:
            held_while_published.append(lock._held)

    unsubscribe = events.subscribe(note)
    try:
        ops.set_phase(engine, s.fac, s.round_id, "reviewing")
    finally:
        unsubscribe()
        engine.dispose()
    assert held_while_published == [False]
