"""Change events: every write to a workshop bumps its revision (edp.guards.bump), and that bump
is announced once the transaction commits, so the live screens hear of it at once instead of
polling for it. An event says only that something changed, who it concerns and in what way,
never what: no theme text, no tally.

- On SQLite (one process) the event is published in-process, after the commit.
- On PostgreSQL it is a `NOTIFY` sent inside the writing transaction, so the database delivers it
  at commit, and only if the transaction commits, to every replica's `LISTEN` connection
  (PgListener), which publishes it in that replica's process. Nothing else is needed between
  replicas.

Subscribers (edp.ui.push, the websocket route) run in the server; this module imports no Streamlit.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import hmac
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sqlalchemy import Engine, event, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

if TYPE_CHECKING:
    import psycopg

log = logging.getLogger("edp.events")

# The NOTIFY channel, per schema: two installations in one database (staging and production, or
# test runs side by side, each on its own search_path) must not wake each other's screens. An SQL
# expression, so that a statement names its own schema's channel; a hash keeps it under PostgreSQL's
# 63-byte limit for a channel name whatever the schema is called.
PG_CHANNEL_SQL = "'edp_live_' || substr(md5(current_schema()), 1, 16)"
PENDING = "edp_changes"  # Session.info key: the changes a SQLite transaction publishes at commit
COMMITTED = "edp_committed"  # Session.info key: committed changes that edp.db.write publishes itself
DEFER = "edp_defer_publish"  # Session.info flag: edp.db.write publishes after releasing its lock
RECONNECT_S = (0.5, 1.0, 2.0, 5.0)  # the listener's waits before reconnecting, then the last one again

# What changed, for whom. A screen follows "room" changes always; the others only when they
# concern it (edp.ui.push.Screen.wants): a participant is not woken by another's proposal.
ROOM, BALLOT, PROPOSAL, JOIN, RESYNC = "room", "ballot", "proposal", "join", "resync"
SCOPES = (ROOM, BALLOT, PROPOSAL, JOIN, RESYNC)


@dataclass(frozen=True)
class Change:
    workshop_id: int
    revision: int
    scope: str = ROOM
    participant_id: int | None = None

    def payload(self) -> str:
        return f"{self.workshop_id}:{self.revision}:{self.scope}:{self.participant_id or ''}"

    @staticmethod
    def payload_around_revision(workshop_id: int, scope: str, participant_id: int | None) -> tuple[str, str]:
        """payload() in two parts, before and after the revision: for a NOTIFY whose revision
        only the database knows when it sends it (edp.guards.bump_after_ballot)."""
        return f"{workshop_id}:", f":{scope}:{participant_id or ''}"

    @classmethod
    def parse(cls, payload: str) -> Change | None:
        try:
            wid, rev, scope, pid = payload.split(":")
            change = cls(int(wid), int(rev), scope, int(pid) if pid else None)
        except ValueError:
            return None
        return change if scope in SCOPES else None


# A workshop id of 0: every screen should look again (events may have been lost meanwhile).
RESYNC_ALL = Change(0, 0, RESYNC)

_subscribers: list[Callable[[Change], None]] = []
_subscribers_lock = threading.Lock()


def subscribe(fn: Callable[[Change], None]) -> Callable[[], None]:
    """Call `fn(change)` for every change published in this process (from any thread; `fn` must
    be quick and must not raise). Returns the unsubscribe function."""
    with _subscribers_lock:
        _subscribers.append(fn)

    def unsubscribe() -> None:
        with _subscribers_lock:
            if fn in _subscribers:
                _subscribers.remove(fn)

    return unsubscribe


def publish_local(change: Change) -> None:
    with _subscribers_lock:
        targets = list(_subscribers)
    for fn in targets:
        try:
            fn(change)
        except Exception:  # a subscriber's fault must not undo or fail the write that caused it
            log.exception("a change subscriber failed")


def is_postgres(engine_or_url: Engine | str) -> bool:
    url = engine_or_url.url if isinstance(engine_or_url, Engine) else make_url(engine_or_url)
    return url.get_backend_name() == "postgresql"


def channel(engine_or_url: Engine | str) -> str:
    """How changes travel on this database: 'postgres-notify' (across replicas) or 'in-process'."""
    return "postgres-notify" if is_postgres(engine_or_url) else "in-process"


def announce(s: Session, change: Change) -> None:
    """Inside a write transaction: make `change` known once (and only if) it commits."""
    if s.get_bind().dialect.name == "postgresql":
        # Delivered by the database at commit, dropped on rollback; LISTEN takes no parameters,
        # pg_notify does.
        s.execute(text(f"SELECT pg_notify({PG_CHANNEL_SQL}, :payload)"), {"payload": change.payload()})
    else:
        s.info.setdefault(PENDING, []).append(change)


@event.listens_for(Session, "after_commit")
def _after_commit(s: Session) -> None:
    changes = s.info.pop(PENDING, ())
    if s.info.get(DEFER):
        # edp.db.write publishes them once it has let go of SQLite's write lock: waking the
        # server's event loop while holding it made every other writer wait for that loop too.
        s.info.setdefault(COMMITTED, []).extend(changes)
        return
    for change in changes:
        publish_local(change)


@event.listens_for(Session, "after_soft_rollback")
def _after_rollback(s: Session, _previous_transaction: object) -> None:
    s.info.pop(PENDING, None)


class PgListener:
    """One `LISTEN` connection per server process that publishes every NOTIFY locally.

    It reconnects by itself (a database restart, a network cut) and after each reconnect
    publishes RESYNC_ALL: events sent while it was away are lost, so every screen looks again."""

    def __init__(self, url: str, *, on_state: Callable[[bool], None] | None = None) -> None:
        self.url = make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
        self.on_state = on_state
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._conn: psycopg.Connection[Any] | None = None
        self.connected = threading.Event()
        self.channel: str | None = None  # the schema's channel, known once connected

    def start(self) -> PgListener:
        self._thread = threading.Thread(target=self._run, name="edp-pg-listen", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        conn = self._conn
        if conn is not None:
            with contextlib.suppress(Exception):  # a connection that is already gone
                conn.close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def _run(self) -> None:
        import psycopg

        attempt = 0
        while not self._stop.is_set():
            try:
                with psycopg.connect(self.url, autocommit=True, connect_timeout=5) as conn:
                    self._conn = conn
                    row = conn.execute(f"SELECT {PG_CHANNEL_SQL}").fetchone()
                    assert row is not None
                    self.channel = row[0]
                    conn.execute(f'LISTEN "{self.channel}"')
                    self.connected.set()
                    if self.on_state:
                        self.on_state(True)
                    if attempt:
                        publish_local(RESYNC_ALL)
                    attempt = 0
                    while not self._stop.is_set():
                        for note in conn.notifies(timeout=1.0):
                            if (change := Change.parse(note.payload)) is not None:
                                publish_local(change)
            except Exception:  # noqa: BLE001 - any failure: wait and reconnect
                if self._stop.is_set():
                    break
                log.warning("the change listener lost the database; reconnecting", exc_info=True)
            self._conn = None
            self.connected.clear()
            if self.on_state:
                self.on_state(False)
            self._stop.wait(RECONNECT_S[min(attempt, len(RECONNECT_S) - 1)])
            attempt += 1


# ---------------------------------------------------------------- who listens, and their ticket

SCREEN_KINDS = ("participant", "projector", "console", "results")
TICKET_HOURS = 1  # a ticket is good for 1-2 hours; a page renews it on its next run (at least every 15 s)


@dataclass(frozen=True)
class Screen:
    """A live screen that listens: its kind, its workshop and, for a participant, who they are.
    The projector and the console hear every change of their workshop. A participant's phone and
    the results page hear the room's changes (phases, reveals, moderation) and a participant
    their own doings; `others`: the screen shows the room's ballots (live results), so it hears of
    them too. Nobody is woken by another participant's proposal or arrival they do not show."""

    kind: str
    workshop_id: int
    participant_id: int | None = None
    others: bool = False

    def wants(self, change: Change) -> bool:
        """Whether `change` may change what this screen shows."""
        if change.scope == RESYNC:
            return change.workshop_id in (0, self.workshop_id)
        if change.workshop_id != self.workshop_id:
            return False
        if self.kind in ("projector", "console") or change.scope == ROOM:
            return True
        if change.participant_id is not None and change.participant_id == self.participant_id:
            return True
        return self.others and change.scope == BALLOT


def _signature(body: str, secret: bytes) -> str:
    digest = hmac.new(secret, body.encode(), hashlib.sha256).digest()[:18]
    return base64.urlsafe_b64encode(digest).decode().rstrip("=")


def sign_ticket(screen: Screen, secret: bytes, now: float | None = None) -> str:
    """A short-lived ticket for the live stream, given to a page that has already checked who is
    watching (a participant's token, a projector's key, a facilitator's session). Its expiry is
    rounded to the hour, so the same page gets the same ticket on every run within it."""
    now = time.time() if now is None else now
    expires = (int(now) // 3600 + 1 + TICKET_HOURS) * 3600
    body = f"{screen.kind}.{screen.workshop_id}.{screen.participant_id or ''}.{int(screen.others)}.{expires}"
    return f"{body}.{_signature(body, secret)}"


def read_ticket(ticket: object, secret: bytes, now: float | None = None) -> Screen | None:
    """The screen a ticket was signed for, or None when it is forged, altered, expired or garbage."""
    if not isinstance(ticket, str) or len(ticket) > 200:
        return None
    body, _, sig = ticket.rpartition(".")
    if not body or not hmac.compare_digest(sig, _signature(body, secret)):
        return None
    try:
        kind, wid, pid, others, expires = body.split(".")
        screen = Screen(kind, int(wid), int(pid) if pid else None, others == "1")
        expired = int(expires) <= (time.time() if now is None else now)
    except ValueError:
        return None
    if expired or kind not in SCREEN_KINDS or (kind == "participant") != (screen.participant_id is not None):
        return None
    return screen
