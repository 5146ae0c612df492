"""Bench part c: the live app under a full room. A real `streamlit run` server, one projector and
N participants, each a client that speaks Streamlit's websocket protocol (no browser: one client
process carries hundreds of sessions, where browser contexts would need a core per few dozen).

Every session behaves as the browser does: it loads its page, re-arms the page's fragment timers
(the fallback poll) after every full run and fires them on time, whether or not the last one
finished, and like the page's push listener (edp.ui.live) it opens the live stream with the
page's ticket and reruns the listener's fragment on every message.
When all are in and polling, every participant clicks "vote" (two approvals, then Skicka) at a
random moment within the same second. Measured, per load level:

  vote_ack       click -> the participant's own page shows the saved ballot
  vote_to_projector  click -> the projector's turnout shows that ballot: ballots are ranked by the
                 database's commit order (submitted_at, set under the workshop's write lock), and
                 the k-th is on the projector once it has shown a count of at least k
  server CPU     user+system time of the server process (/proc) over the vote window, in % of one
                 core, and per vote (cpu_ms_per_vote: the vote's run and write, the projector's and
                 any check's reruns, divided by the votes)
  RSS            of the server, after all sessions joined; per session = growth / N
  errors         sessions that never loaded, votes never confirmed, exception elements, ballots missing
                 in the database, a projector that never showed everybody

References from the same run: the same load against Streamlit's defaults (postScriptGC on, file
watcher on), and the cost of one rerun of a trivial page on the shipped settings (the floor),
against which the participant page's full rerun and its poll are measured.
"""

from __future__ import annotations

import asyncio
import json
import os
import random
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
FLOOR_APP = Path(__file__).with_name("floor_app.py")
# Streamlit's defaults for the two settings the shipped config changes (see ENVIRONMENT.md / config.toml).
DEFAULT_FLAGS = ["--runner.postScriptGC", "true", "--server.fileWatcherType", "auto"]
CLICK_SPREAD_S = 1.0  # every participant's vote is clicked within this one second
APPROVALS = 2
ROUND_THEMES = 6
LOAD_TIMEOUT_S = 60.0
VOTE_TIMEOUT_S = 30.0
SETTLE_S = 4.0  # all sessions listening before the vote
# On Streamlit's defaults a full room collapses while joining (ENVIRONMENT.md: ~100 ms per join,
# then every poll stalls); the reference run gives joining this long, and counts the rest as errors.
DEFAULT_JOIN_BUDGET_S = 60.0
P95_LIMIT_MS = 2000.0
CLK_TCK = os.sysconf("SC_CLK_TCK")
LISTENER = "edp_live"  # the push listener's component name (edp.ui.live)
PUSH_PATH = "/live/ws"  # edp.ui.push.PUSH_PATH (not imported: the bench client loads no app code)
INTERNAL_KEY = "$$STREAMLIT_INTERNAL_KEY"  # Streamlit's prefix of a component's trigger widget id
OWN_WINDOW_S, OWN_WAIT_S = 4.0, 3.0  # edp.ui.live's, for the voter's own ballot told by push


def _ms(seconds: float) -> float:
    return round(1000 * seconds, 1)


def _pct(values: list[float], q: float) -> float | None:
    if not values:
        return None
    s = sorted(values)
    return s[min(len(s) - 1, max(0, int(round(q * len(s) + 0.5)) - 1))]


# ---------------------------------------------------------------- the server


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process, from /proc (10 ms resolution)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLK_TCK


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Server:
    proc: subprocess.Popen
    port: int

    @property
    def pid(self) -> int:
        return self.proc.pid

    @property
    def ws_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/_stcore/stream"


@contextmanager
def streamlit_server(
    script: Path, db_url: str, log: Path, extra: list[str] = (), cwd: Path = ROOT, env: dict[str, str] | None = None
) -> Iterator[Server]:
    """`streamlit run script` on a free loopback port, with the shipped config of `cwd` (the
    repository root unless told) plus `extra` flags and `env`; stopped by its own PID afterwards."""
    port = free_port()
    env = dict(os.environ, EDP_DATABASE_URL=db_url, EDP_LANG="sv", **(env or {}))
    cmd = [sys.executable, "-m", "streamlit", "run", str(script), "--server.port", str(port)]
    cmd += ["--server.address", "127.0.0.1", "--server.headless", "true", "--browser.gatherUsageStats", "false"]
    with log.open("w") as out:
        proc = subprocess.Popen([*cmd, *extra], cwd=cwd, env=env, stdout=out, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health", timeout=1) as r:
                    if r.read() == b"ok":
                        break
            except OSError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"streamlit did not start; see {log}")
            time.sleep(0.2)
        yield Server(proc, port)
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


# ---------------------------------------------------------------- one websocket session


@dataclass
class Session:
    """One browser tab, at the protocol level."""

    url: str
    query: str
    on_element: Callable[[Session, str, Any, float], None] | None = None
    page: str = ""  # the page's URL path (st.Page url_path) to open; "" for the default page
    headers: dict[str, str] = field(default_factory=dict)  # sent on both websockets (a proxy's sticky cookie)
    ws: Any = None
    page_hash: str = ""
    widgets: dict[str, str] = field(default_factory=dict)  # user key -> widget id
    widget_fragment: dict[str, str] = field(default_factory=dict)  # user key -> id of the fragment drawing it
    values: dict[str, dict] = field(default_factory=dict)  # widget id -> its value, sent with every request
    timers: dict[str, tuple[float, float]] = field(default_factory=dict)  # fragment id -> (interval, next due)
    full_runs: int = 0  # full-app runs finished
    bytes_received: int = 0  # every message the server sent, as sent
    runs: int = 0  # any runs finished (full or fragment)
    exceptions: int = 0
    loaded: asyncio.Event = field(default_factory=asyncio.Event)
    finished: asyncio.Condition = field(default_factory=asyncio.Condition)
    closed: bool = False
    pushes: int = 0  # messages the push stream sent this session
    checks: int = 0  # checks the listener asked for (pushed changes, their second look, reconnects)
    marked_at: float = 0.0  # when the newest view mark (edp.ui.live.mark) arrived
    _full_run: bool = True
    _tasks: list[asyncio.Task] = field(default_factory=list)
    _push: tuple[str, str, str] | None = None  # the listener's (trigger widget id, fragment id, ticket)
    _push_task: asyncio.Task | None = None
    _again: asyncio.TimerHandle | None = None

    async def open(self) -> None:
        from websockets.asyncio.client import connect

        # No Origin header: a non-browser client, as Streamlit's XSRF check expects (it checks browsers).
        self.ws = await connect(
            self.url,
            subprotocols=["streamlit"],
            additional_headers=self.headers or None,
            max_size=None,
            open_timeout=LOAD_TIMEOUT_S,
        )
        self._tasks = [asyncio.create_task(self._read()), asyncio.create_task(self._tick())]
        await self.rerun()

    async def rerun(self, widget_states: list[dict] | None = None, fragment_id: str = "", auto: bool = False) -> None:
        """A rerun request as the browser sends it: every widget's current value (Streamlit merges
        queued requests, and a request without the values would reset them), plus this request's
        triggers; a click inside a fragment reruns that fragment (`fragment_id`), a fragment's
        timer sends its id with `auto`."""
        from streamlit.proto.BackMsg_pb2 import BackMsg

        msg = BackMsg()
        cs = msg.rerun_script
        cs.query_string = self.query
        cs.page_script_hash = self.page_hash
        if not self.page_hash and self.page:
            cs.page_name = self.page
        if fragment_id:
            cs.fragment_id = fragment_id
            cs.is_auto_rerun = auto
        triggers = []
        for w in widget_states or []:
            if "trigger_value" in w or "json_trigger_value" in w:
                triggers.append(w)
            else:
                self.values[w["id"]] = w
        for w in [*self.values.values(), *triggers]:
            ws = cs.widget_states.widgets.add()
            ws.id = w["id"]
            for k, v in w.items():
                if k != "id":
                    setattr(ws, k, v)
        await self.ws.send(msg.SerializeToString())

    async def _read(self) -> None:
        from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

        try:
            async for raw in self.ws:
                now = time.monotonic()
                self.bytes_received += len(raw)
                m = ForwardMsg()
                m.ParseFromString(raw)
                kind = m.WhichOneof("type")
                if kind == "script_finished":
                    self.runs += 1
                    if self._full_run and m.script_finished != ForwardMsg.FINISHED_EARLY_FOR_RERUN:
                        self.full_runs += 1
                        self.loaded.set()
                    async with self.finished:
                        self.finished.notify_all()
                else:
                    self._note(m, kind, now)
        except Exception:  # noqa: BLE001 - a dropped connection ends the session; counted by the caller
            pass
        finally:
            self.closed = True
            self.loaded.set()

    def _note(self, m: Any, kind: str | None, now: float) -> None:  # noqa: ANN401 - a ForwardMsg proto
        """What a message other than a run's end changes: the page, the fragment timers, the widgets seen."""
        if kind == "new_session":
            self._full_run = not m.metadata.run.fragment_ids
            if self._full_run:
                self.timers.clear()  # fragment ids change with the layout: the run re-arms them
                self.page_hash = m.new_session.page_script_hash or self.page_hash
        elif kind == "navigation" and self.page:
            # The page the router chose (st.navigation): what a browser names in its next request.
            self.page_hash = m.navigation.page_script_hash or self.page_hash
        elif kind == "auto_rerun":
            a = m.auto_rerun
            self.timers[a.fragment_id] = (a.interval, now + a.interval)
        elif kind == "stop_auto_rerun":
            for fid in m.stop_auto_rerun.fragment_ids:
                self.timers.pop(fid, None)
        elif kind == "delta" and m.delta.WhichOneof("type") == "new_element":
            self._element(m.delta, now)

    def _element(self, delta: Any, now: float) -> None:  # noqa: ANN401 - a Delta proto
        """A new element: an exception is counted, a widget's id kept by its key, the view mark's time noted,
        the push listener followed, and `on_element` told."""
        el = delta.new_element
        etype = el.WhichOneof("type")
        if etype == "exception":
            self.exceptions += 1
        body = getattr(el, etype)
        wid = getattr(body, "id", "")
        if wid and "-" in wid:
            user_key = wid.split("-", 2)[2] if wid.startswith("$$ID-") else wid
            self.widgets[user_key] = wid
            self.widget_fragment[user_key] = delta.fragment_id
        if etype == "html" and "edp-drawn" in body.body:
            self.marked_at = now
        if etype == "bidi_component" and body.component_name == LISTENER:
            self._listen(body, delta.fragment_id)
        if self.on_element is not None:
            self.on_element(self, etype, body, now)

    async def _tick(self) -> None:
        """The browser's fragment timers: each fires on its interval, finished or not."""
        while not self.closed:
            await asyncio.sleep(0.05)
            now = time.monotonic()
            for fid, (interval, due) in list(self.timers.items()):
                if now >= due and fid in self.timers:
                    self.timers[fid] = (interval, due + interval)
                    with suppress(Exception):
                        await self.rerun(fragment_id=fid, auto=True)

    async def wait_runs(self, count: int, timeout: float) -> bool:
        async def reached() -> None:
            async with self.finished:
                await self.finished.wait_for(lambda: self.runs >= count or self.closed)

        try:
            await asyncio.wait_for(reached(), timeout)
        except TimeoutError:
            return False
        return self.runs >= count

    def _listen(self, body: Any, fragment_id: str) -> None:  # noqa: ANN401 - a BidiComponent proto
        """The page mounted its push listener (edp.ui.live): do what its script does in a browser,
        open the stream with the ticket, and on every message rerun the listener's fragment."""
        ticket = json.loads(body.json)["ticket"]
        trigger = f"{INTERNAL_KEY}_{body.id}__events"
        known = self._push
        self._push = (trigger, fragment_id, ticket)
        if known is None or known[2] != ticket or self._push_task is None or self._push_task.done():
            if self._push_task is not None:
                self._push_task.cancel()
            self._push_task = asyncio.create_task(self._stream(ticket))
            self._tasks.append(self._push_task)

    async def _stream(self, ticket: str) -> None:
        from websockets.asyncio.client import connect

        base = self.url.split("/_stcore/")[0]
        origin = base.replace("ws://", "http://", 1)
        retry = 0
        while not self.closed:
            try:
                async with connect(
                    f"{base}{PUSH_PATH}?t={ticket}",
                    origin=origin,
                    additional_headers=self.headers or None,
                    open_timeout=LOAD_TIMEOUT_S,
                ) as ws:
                    retry = 0
                    await self._news()  # as the browser does on (re)connecting: look again
                    async for message in ws:
                        self.pushes += 1
                        if str(message).endswith(" own"):
                            # The voter's own ballot (edp.ui.live OWN_WINDOW_S, OWN_WAIT_S): a check
                            # only if nothing was drawn around then.
                            if not self._recent():
                                self._tasks.append(asyncio.create_task(self._own()))
                            continue
                        await self._told()
            except asyncio.CancelledError:
                raise
            except Exception:  # noqa: BLE001 - a dropped stream reconnects, as the page's listener does
                pass
            retry += 1
            await asyncio.sleep(min(10.0, 0.5 * 2 ** min(retry, 5)))

    async def _told(self) -> None:
        """As the page's listener on a message: check now, and once more 1.5 s after the last one."""
        await self._news()
        if self._again is not None:
            self._again.cancel()
        self._again = asyncio.get_running_loop().call_later(1.5, lambda: asyncio.ensure_future(self._news()))

    async def _own(self) -> None:
        await asyncio.sleep(OWN_WAIT_S)
        if not self._recent():
            await self._told()

    def _recent(self) -> bool:
        return time.monotonic() - self.marked_at < OWN_WINDOW_S

    async def _news(self) -> None:
        if self._push is None:
            return
        self.checks += 1
        trigger, fragment_id, _ticket = self._push
        value = json.dumps([{"event": "news", "value": str(time.time())}])
        with suppress(Exception):
            await self.rerun([{"id": trigger, "json_trigger_value": value}], fragment_id=fragment_id)

    async def close(self) -> None:
        if self._again is not None:
            self._again.cancel()
        for task in self._tasks:
            task.cancel()
        if self.ws is not None:
            with suppress(Exception):
                await self.ws.close()


# ---------------------------------------------------------------- one load level


@dataclass
class Room:
    db_url: str
    workshop_id: int
    round_id: int
    tokens: list[str]
    participant_ids: list[int]
    theme_ids: list[int]
    projector_key: str  # the projector's address: ?projector=KEY


def make_room(db_url: str, participants: int) -> Room:
    from bench.run import make_workshop, open_round
    from edp import workshop as ops
    from edp.db import make_engine
    from edp.live import projector_key

    engine = make_engine(db_url)
    try:
        st = make_workshop(engine, participants)
        rid, theme_ids, _ = open_round(st, ops.RoundSpec(method="approval"), ROUND_THEMES)
        key = projector_key(engine, st.fac)
    finally:
        engine.dispose()
    return Room(db_url, st.workshop_id, rid, st.tokens, st.participant_ids, theme_ids, key)


def commit_order(db_url: str, round_id: int) -> list[int]:
    """Participant ids of the round's ballots, in the order the database took them."""
    from sqlalchemy import select

    from edp.db import make_engine
    from edp.models import Ballot

    engine = make_engine(db_url)
    try:
        with engine.connect() as conn:
            return list(
                conn.execute(
                    select(Ballot.participant_id)
                    .where(Ballot.round_id == round_id)
                    .order_by(Ballot.submitted_at, Ballot.id)
                ).scalars()
            )
    finally:
        engine.dispose()


async def _open_all(sessions: list[Session], concurrency: int = 25, deadline: float = float("inf")) -> list[bool]:
    """Open and load the sessions, `concurrency` at a time; none is started after `deadline`
    (time.monotonic()), so a server that has collapsed ends the level instead of the bench."""
    gate = asyncio.Semaphore(concurrency)

    async def load(s: Session) -> None:
        await s.open()
        await s.loaded.wait()

    async def one(s: Session) -> bool:
        async with gate:
            limit = min(LOAD_TIMEOUT_S, deadline - time.monotonic())
            if limit <= 0:
                return False
            try:
                await asyncio.wait_for(load(s), limit)
            except Exception:  # noqa: BLE001 - a session that cannot load is an error, not a crash
                return False
            return s.full_runs > 0 and not s.closed

    return await asyncio.gather(*(one(s) for s in sessions))


@dataclass
class Door:
    """Where a browser reaches the app: a websocket URL, and the headers it sends (a sticky cookie)."""

    ws_url: str
    headers: dict[str, str] = field(default_factory=dict)


async def _vote(i: int, s: Session, room: Room, start: float, rng: random.Random, clicked: dict[int, float]) -> None:
    """Participant `i` approves the first themes and submits, at a random moment of the second after `start`
    (noted in `clicked`); a session without the ballot's widgets does not vote."""
    await asyncio.sleep(max(0.0, start + rng.random() * CLICK_SPREAD_S - time.monotonic()))
    keys = [f"ballot-{room.round_id}-approve-{tid}" for tid in room.theme_ids[:APPROVALS]]
    submit = f"ballot-{room.round_id}-submit"
    if s.closed or submit not in s.widgets or any(k not in s.widgets for k in keys):
        return
    states = [{"id": s.widgets[k], "bool_value": True} for k in keys]
    states.append({"id": s.widgets[submit], "trigger_value": True})
    clicked[i] = time.monotonic()
    with suppress(Exception):
        await s.rerun(states, fragment_id=s.widget_fragment.get(submit, ""))


async def _until_shown(shown: list[tuple[float, int]], saved_at: dict[int, float], clicked: dict[int, float]) -> None:
    """Until every vote is confirmed on its page and counted on the projector, or VOTE_TIMEOUT_S."""
    deadline = time.monotonic() + VOTE_TIMEOUT_S
    while time.monotonic() < deadline:
        if len(saved_at) >= len(clicked) and shown and shown[-1][1] >= len(clicked):
            break
        await asyncio.sleep(0.05)


def _projector_delays(
    room: Room, order: list[int], shown: list[tuple[float, int]], clicked: dict[int, float]
) -> tuple[list[float], int]:
    """Per clicked vote, in commit `order`, the time from its click until the projector counted it; and how
    many clicked votes the projector never counted."""
    index = {pid: i for i, pid in enumerate(room.participant_ids)}
    to_projector: list[float] = []
    unseen = 0
    for rank, pid in enumerate(order, start=1):
        i = index[pid]
        when = next((t_ for t_, count in shown if count >= rank), None)
        if i not in clicked:
            continue
        if when is None:
            unseen += 1
        else:
            to_projector.append(max(0.0, when - clicked[i]))
    return to_projector, unseen


async def run_level(
    server: Server,
    room: Room,
    seed: int = 0,
    join_budget_s: float = float("inf"),
    *,
    participants_at: Door | None = None,
    projector_at: Door | None = None,
    cpu_pids: list[int] | None = None,
) -> dict[str, Any]:
    """One projector and len(room.tokens) participants; every participant votes within one second.
    Sessions not loaded within `join_budget_s` count as errors (sessions_not_loaded).
    By default everybody talks to `server`; `participants_at` and `projector_at` send them
    elsewhere (through a proxy, to different replicas), and the server CPU is then the sum over
    `cpu_pids`."""
    from edp.i18n import t

    turnout_label, saved_text = t("ui.res.turnout_overall", "sv"), t("ui.ballot.saved", "sv")
    n = len(room.tokens)
    shown: list[tuple[float, int]] = []  # projector: (time, ballots on screen)
    saved_at: dict[int, float] = {}  # participant index -> first time their page showed the saved ballot
    clicked: dict[int, float] = {}

    def projector_element(_s: Session, etype: str, body: Any, now: float) -> None:
        if etype == "metric" and body.label == turnout_label:
            shown.append((now, int(body.body.split("/")[0])))

    def participant_element(i: int) -> Callable[[Session, str, Any, float], None]:
        def seen(_s: Session, etype: str, body: Any, now: float) -> None:
            if etype == "alert" and body.body == saved_text and i in clicked and i not in saved_at:
                saved_at[i] = now

        return seen

    at_p = participants_at or Door(server.ws_url)
    at_proj = projector_at or Door(server.ws_url)
    pids = cpu_pids or [server.pid]

    def cpu() -> float:
        return sum(cpu_seconds(pid) for pid in pids)

    projector = Session(at_proj.ws_url, f"projector={room.projector_key}", projector_element, headers=at_proj.headers)
    people = [
        Session(at_p.ws_url, f"p={tok}", participant_element(i), headers=at_p.headers)
        for i, tok in enumerate(room.tokens)
    ]
    t_join = time.monotonic()
    deadline = t_join + join_budget_s
    ok = await _open_all([projector, people[0]], concurrency=1, deadline=deadline)
    rss_before = rss_mb(server.pid)  # both pages' modules are loaded now: what follows is per session
    ok += await _open_all(people[1:], deadline=deadline)
    join_s = time.monotonic() - t_join
    load_errors = ok.count(False)
    await asyncio.sleep(SETTLE_S)
    rss_after = rss_mb(server.pid)

    # Idle: everybody listening (and checking on the fallback timer), nobody voting.
    cpu0, w0 = cpu(), time.monotonic()
    await asyncio.sleep(SETTLE_S)
    idle_cpu = 100 * (cpu() - cpu0) / (time.monotonic() - w0)

    rng = random.Random(seed)
    start = time.monotonic() + 0.3
    cpu0, client0 = cpu(), time.process_time()

    await asyncio.gather(*(_vote(i, s, room, start, rng, clicked) for i, s in enumerate(people)))
    await _until_shown(shown, saved_at, clicked)
    window = time.monotonic() - start
    vote_cpu_s = cpu() - cpu0
    vote_cpu = 100 * vote_cpu_s / window
    client_cpu = 100 * (time.process_time() - client0) / window
    exceptions = projector.exceptions + sum(s.exceptions for s in people)
    for s in [projector, *people]:
        await s.close()

    order = commit_order(room.db_url, room.round_id)
    to_projector, unseen = _projector_delays(room, order, shown, clicked)
    acks = [saved_at[i] - clicked[i] for i in saved_at]
    unconfirmed = len(clicked) - len(saved_at)
    missing = len(clicked) - len(set(order) & {room.participant_ids[i] for i in clicked})
    errors = {
        "sessions_not_loaded": load_errors,
        "votes_not_clicked": n - len(clicked),
        "votes_not_confirmed": unconfirmed,
        "ballots_missing": missing,
        "not_on_projector": unseen,
        "exceptions": exceptions,
    }
    p95 = _pct(to_projector, 0.95)
    return {
        "participants": n,
        "join_s": round(join_s, 2),
        "p50_ms": _ms(_pct(to_projector, 0.50)) if to_projector else None,
        "p95_ms": _ms(p95) if p95 is not None else None,
        "max_ms": _ms(max(to_projector)) if to_projector else None,
        "ack_p50_ms": _ms(_pct(acks, 0.50)) if acks else None,
        "ack_p95_ms": _ms(_pct(acks, 0.95)) if acks else None,
        "unconfirmed": unconfirmed,
        "pushes": projector.pushes + sum(s.pushes for s in people),
        "checks": projector.checks + sum(s.checks for s in people),
        "cpu_percent": round(vote_cpu, 1),
        # Everything the server did for the vote, per vote: its fragment run and write, the
        # projector's reruns, the checks (compare rerun_cpu_ms).
        "cpu_ms_per_vote": round(1000 * vote_cpu_s / len(clicked), 2) if clicked else None,
        "idle_cpu_percent": round(idle_cpu, 1),
        "client_cpu_percent": round(client_cpu, 1),
        "rss_mb": round(rss_after, 1),
        "rss_per_session_kb": round(1024 * (rss_after - rss_before) / max(1, n - 1), 1),
        "errors": sum(errors.values()),
        "error_detail": errors,
    }


# ---------------------------------------------------------------- cost per rerun


async def rerun_cost(server: Server, query: str, reruns: int, fragment: bool = False) -> dict[str, float]:
    """Server CPU and wall time per rerun: one session, `reruns` reruns one after another
    (its own fragment timers off, so only the measured reruns run)."""
    s = Session(server.ws_url, query)
    await s.open()
    await asyncio.wait_for(s.loaded.wait(), LOAD_TIMEOUT_S)
    await s.wait_runs(1, LOAD_TIMEOUT_S)
    s._tasks[1].cancel()  # no timer: every run below is one we asked for
    fragment_id = next(iter(s.timers), "") if fragment else ""
    if fragment and not fragment_id:
        await s.close()
        raise RuntimeError(f"{query!r}: the page has no fragment to rerun")
    for _ in range(5):  # warm-up
        runs = s.runs
        await s.rerun(fragment_id=fragment_id, auto=bool(fragment_id))
        await s.wait_runs(runs + 1, LOAD_TIMEOUT_S)
    cpu0, w0 = cpu_seconds(server.pid), time.monotonic()
    for _ in range(reruns):
        runs = s.runs
        await s.rerun(fragment_id=fragment_id, auto=bool(fragment_id))
        await s.wait_runs(runs + 1, LOAD_TIMEOUT_S)
    wall, cpu = time.monotonic() - w0, cpu_seconds(server.pid) - cpu0
    await s.close()
    return {"cpu_ms": round(1000 * cpu / reruns, 2), "wall_ms": round(1000 * wall / reruns, 2)}


# ---------------------------------------------------------------- the whole live section


def _database(tmp: Path, name: str) -> str:
    from edp.db import upgrade

    url = f"sqlite:///{tmp / name}"
    upgrade(url)
    return url


def nothing_lost(level: dict[str, Any]) -> bool:
    """Every participant loaded, voted, and their ballot is in the database and on the projector
    (a confirmation that did not reach the voter's page is an error, but no vote was lost)."""
    d = level["error_detail"]
    return not (d["sessions_not_loaded"] or d["votes_not_clicked"] or d["ballots_missing"] or d["not_on_projector"])


def ladder(participants: int, step: int, limit: int) -> list[int]:
    """Load levels: a quarter and a half of `step`, then `step`, 2*step, ... up to `limit`,
    always including `participants`."""
    levels = {step // 4, step // 2} | set(range(step, limit + 1, step)) | {participants}
    return sorted(x for x in levels if 0 < x <= max(limit, participants))


def bench_live(
    participants: int = 300,
    *,
    step: int = 100,
    limit: int = 600,
    defaults: bool = True,
    reruns: int = 200,
    log: Callable[[str], None] = lambda _msg: None,
) -> dict[str, Any]:
    """The `live` section of the bench JSON (see bench/run.py)."""
    with tempfile.TemporaryDirectory(prefix="edp-live-") as tmp_name:
        tmp = Path(tmp_name)
        work = _bench_live(tmp, participants, step, limit, defaults, reruns, log)
        # Its own thread and event loop: the caller's thread may already run one (Playwright's sync API does).
        with ThreadPoolExecutor(1, thread_name_prefix="edp-live") as pool:
            return pool.submit(asyncio.run, work).result()


async def _bench_live(
    tmp: Path, participants: int, step: int, limit: int, defaults: bool, reruns: int, log: Callable[[str], None]
) -> dict[str, Any]:
    from edp.events import channel

    levels: list[dict[str, Any]] = []
    db = _database(tmp, "live.sqlite")
    with streamlit_server(ROOT / "app.py", db, tmp / "shipped.log") as server:
        for n in ladder(participants, step, limit):
            log(f"live: {n} participants on the shipped settings ...")
            level = await run_level(server, make_room(db, n), seed=n)
            levels.append(level)
            log(f"  p50 {level['p50_ms']} ms, p95 {level['p95_ms']} ms, errors {level['errors']}")
            if n >= participants and (level["errors"] or (level["p95_ms"] or float("inf")) > P95_LIMIT_MS):
                break  # past the limit: higher levels would only take longer to fail
        room = make_room(db, 1)
        log("live: cost per rerun of the participant page ...")
        page = await rerun_cost(server, f"p={room.tokens[0]}", reruns)
        poll = await rerun_cost(server, f"p={room.tokens[0]}", reruns, fragment=True)
    log("live: cost per rerun of a trivial page (the floor) ...")
    with streamlit_server(FLOOR_APP, db, tmp / "floor.log") as floor_server:
        floor = await rerun_cost(floor_server, "", reruns)

    main = next((lv for lv in levels if lv["participants"] == participants), levels[-1])
    within = [lv for lv in levels if (lv["p95_ms"] or 1e9) <= P95_LIMIT_MS and nothing_lost(lv)]
    strict = [lv for lv in within if not lv["errors"]]
    default_level: dict[str, Any] | None = None
    if defaults:
        log(f"live: {participants} participants on Streamlit's default settings ...")
        db_default = _database(tmp, "default.sqlite")
        with streamlit_server(ROOT / "app.py", db_default, tmp / "default.log", DEFAULT_FLAGS) as server:
            default_level = await run_level(
                server, make_room(db_default, participants), seed=participants, join_budget_s=DEFAULT_JOIN_BUDGET_S
            )
        log(f"  p50 {default_level['p50_ms']} ms, p95 {default_level['p95_ms']} ms, errors {default_level['errors']}")

    def ratio(a: float | None, b: float | None) -> float | None:
        return round(a / b, 2) if a and b else None

    return {
        "measured": True,
        "channel": channel(db),
        "participants": main["participants"],
        "ack_p50_ms": main["ack_p50_ms"],
        "ack_p95_ms": main["ack_p95_ms"],
        "unconfirmed": main["unconfirmed"],
        "idle_cpu_percent": main["idle_cpu_percent"],
        "p50_ms": main["p50_ms"],
        "p95_ms": main["p95_ms"],
        "rss_mb": main["rss_mb"],
        "rss_per_session_kb": main["rss_per_session_kb"],
        "cpu_percent": main["cpu_percent"],
        "errors": main["errors"],
        "max_participants_p95_le_2s": max((lv["participants"] for lv in within), default=0),
        "max_participants_p95_le_2s_no_errors": max((lv["participants"] for lv in strict), default=0),
        "default_settings_p95_ms": default_level["p95_ms"] if default_level else None,
        "default_vs_shipped_p95": ratio(default_level["p95_ms"] if default_level else None, main["p95_ms"]),
        "rerun_cost_vs_floor": ratio(page["cpu_ms"], floor["cpu_ms"]),
        "poll_cost_vs_floor": ratio(poll["cpu_ms"], floor["cpu_ms"]),
        "rerun_cpu_ms": {
            "participant_page": page["cpu_ms"],
            "participant_poll": poll["cpu_ms"],
            "floor": floor["cpu_ms"],
        },
        "rerun_wall_ms": {
            "participant_page": page["wall_ms"],
            "participant_poll": poll["wall_ms"],
            "floor": floor["wall_ms"],
        },
        "levels": levels,
        "default_settings": default_level,
        "click_spread_s": CLICK_SPREAD_S,
    }


# ---------------------------------------------------------------- across replicas


REPLICA_PARTICIPANTS = 100


def bench_replicas(
    pg_url: str | None, participants: int = REPLICA_PARTICIPANTS, *, log: Callable[[str], None] = lambda _msg: None
) -> dict[str, Any]:
    """The `live.replicas` section: two replicas on one PostgreSQL behind the nginx configuration
    of docs/deploy.md (bench/nginx.py), `participants` on replica A and the projector on replica B,
    each placed there by its sticky cookie. A vote reaches B's projector only through NOTIFY."""
    from bench.nginx import NGINX
    from bench.run import usable_schema

    if not pg_url:
        return {"skipped": "not requested"}
    if not Path(NGINX).exists():
        return {"skipped": f"no nginx at {NGINX}"}
    with usable_schema(pg_url) as (url, why), tempfile.TemporaryDirectory(prefix="edp-replicas-") as tmp_name:
        if url is None:
            return {"skipped": why}
        work = _bench_replicas(Path(tmp_name), url, participants, log)
        with ThreadPoolExecutor(1, thread_name_prefix="edp-replicas") as pool:
            return pool.submit(asyncio.run, work).result()


async def _bench_replicas(tmp: Path, url: str, participants: int, log: Callable[[str], None]) -> dict[str, Any]:
    import secrets

    from bench.nginx import STICKY_COOKIE, nginx_proxy, sticky_keys
    from edp.events import channel

    # One secret for both (Streamlit takes it only from the environment): a ticket signed on A opens B's stream.
    secret = {"STREAMLIT_SERVER_COOKIE_SECRET": secrets.token_hex(16)}
    with (
        streamlit_server(ROOT / "app.py", url, tmp / "a.log", env=secret) as a,
        streamlit_server(ROOT / "app.py", url, tmp / "b.log", env=secret) as b,
    ):
        listen = free_port()
        with nginx_proxy([a.port, b.port], listen, tmp, "127.0.0.1") as access:
            keys = sticky_keys(listen, access, [a.port, b.port])
            proxy = f"ws://127.0.0.1:{listen}/_stcore/stream"
            log(f"live: {participants} participants on replica A, the projector on replica B, behind nginx ...")
            level = await run_level(
                a,
                make_room(url, participants),
                seed=participants,
                participants_at=Door(proxy, {"Cookie": f"{STICKY_COOKIE}={keys[a.port]}"}),
                projector_at=Door(proxy, {"Cookie": f"{STICKY_COOKIE}={keys[b.port]}"}),
                cpu_pids=[a.pid, b.pid],
            )
            log(f"  p50 {level['p50_ms']} ms, p95 {level['p95_ms']} ms, errors {level['errors']}")
            await asyncio.sleep(1)  # nginx logs a websocket once it has closed
            streams = _streams_by_replica(access, keys, {a.port: "A", b.port: "B"})
    return {
        "measured": True,
        "channel": channel(url),
        "replicas": 2,
        "proxy": "nginx (docs/deploy.md)",
        "streams_by_replica": streams,
        **{k: level[k] for k in ("participants", "p50_ms", "p95_ms", "max_ms", "ack_p50_ms", "ack_p95_ms")},
        **{k: level[k] for k in ("unconfirmed", "pushes", "cpu_percent", "idle_cpu_percent", "errors", "error_detail")},
    }


def _streams_by_replica(access: Path, keys: dict[int, str], names: dict[int, str]) -> dict[str, dict[str, int]]:
    """Which replica served whose websockets, from nginx's log: the proof that the participants'
    sessions and streams were on A and the projector's on B (nginx logs a websocket when it closes)."""
    from bench.nginx import routed

    who = {keys[port]: ("participants" if name == "A" else "projector") for port, name in names.items()}
    out: dict[str, dict[str, int]] = {}
    for key, requests in routed(access).items():
        for upstream, request in requests:
            if key in who and (f" {PUSH_PATH}" in request or " /_stcore/stream" in request):
                port = int(upstream.rsplit(":", 1)[1])
                side = out.setdefault(who[key], {})
                side[names.get(port, upstream)] = side.get(names.get(port, upstream), 0) + 1
    return out
