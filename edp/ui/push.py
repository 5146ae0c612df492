"""Push: the live screens' websocket, served by st.App beside the pages (app.py), and the small
listener each live page mounts (edp.ui.live.follow).

A page that has checked who is watching (a participant's token, the projector's key, the
facilitator's session) signs a ticket for its screen (edp.events.sign_ticket) and mounts the
listener with it. The listener opens `PUSH_PATH?t=TICKET` and, on every message, reruns its
fragment, which looks at what the screen shows and reruns the page only when that changed.

The socket says only that something changed: each message is a bare revision number. Changes
come from edp.events (in-process on SQLite, PostgreSQL NOTIFY across replicas); the hub passes
each to the sockets whose screen wants it (edp.events.Screen.wants), at most one message per
MIN_GAP_S (a participant) or ROOM_SCREEN_GAP_S (a projector, console or results page) per socket,
so a room voting at once reruns a projector a few times a second, not 300 times. A participant's
own ballot reaches their own socket OWN_DELAY_S later, as "<revision> own": their page has drawn
it already, and checks only when nothing was drawn around then (a confirmation lost on the way).

Custom routes get none of Streamlit's checks: this one checks the Host (server.allowedHosts),
requires a same-origin browser (Origin) and a valid ticket, and refuses the rest before accepting.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field

from starlette.routing import WebSocketRoute
from starlette.websockets import WebSocket, WebSocketDisconnect

from edp import events
from edp.events import Change, Screen

log = logging.getLogger("edp.push")

PUSH_PATH = "/live/ws"
MIN_GAP_S = 0.2  # per socket: the first change goes out at once, later ones at most this often
ROOM_SCREEN_GAP_S = 0.3  # the projector's, console's and results page's (a full rerun each)
# A participant's own ballot or proposal: their page drew its confirmation in the same run, so
# the check that repairs a confirmation lost on the way comes later, outside the room's busiest second.
OWN_DELAY_S = 2.0
POLICY_VIOLATION = 1008
TRY_AGAIN_LATER = 1013
# Sockets open at once on one ticket: a page in a few tabs, not a script opening thousands.
MAX_PER_TICKET = 8


def secret() -> bytes:
    """The key tickets are signed with: Streamlit's cookie secret, which every replica shares
    (docs/deploy.md), so a ticket from one replica opens the stream on another."""
    from streamlit import config as st_config

    return str(st_config.get_option("server.cookieSecret")).encode()


@dataclass(eq=False)
class Listener:
    screen: Screen
    socket: WebSocket
    ticket: str = ""
    pending: asyncio.Event = field(default_factory=asyncio.Event)
    revision: int = 0
    own_only: bool = False  # every change since the last message was the participant's own

    def poke(self, revision: int, own: bool = False) -> None:
        self.own_only = own if not self.pending.is_set() else self.own_only and own
        self.revision = max(self.revision, revision)
        self.pending.set()

    @property
    def gap(self) -> float:
        return MIN_GAP_S if self.screen.kind == "participant" else ROOM_SCREEN_GAP_S

    async def pump(self) -> None:
        """Send the latest revision whenever there is news, then wait MIN_GAP_S: the changes
        that arrive meanwhile go out together as one message."""
        while True:
            await self.pending.wait()
            self.pending.clear()
            try:
                await self.socket.send_text(f"{self.revision} own" if self.own_only else str(self.revision))
            except Exception:  # noqa: BLE001 - the browser went away; live_socket cleans up
                return
            await asyncio.sleep(self.gap)


class Hub:
    """The sockets of this server process, by workshop; fed by edp.events from any thread."""

    def __init__(self) -> None:
        self.loop: asyncio.AbstractEventLoop | None = None
        self.by_workshop: dict[int, set[Listener]] = {}
        self._lock = threading.Lock()
        self._unsubscribe: Callable[[], None] | None = None
        self._inbox: list[Change] = []
        self._inbox_lock = threading.Lock()
        self._drain_due = False

    def start(self, loop: asyncio.AbstractEventLoop) -> None:
        with self._lock:
            if self.loop is loop:
                return
            if self._unsubscribe is not None:
                self._unsubscribe()
            self.loop = loop
            self._unsubscribe = events.subscribe(self._from_any_thread)

    def _from_any_thread(self, change: Change) -> None:
        """Queue the change for the event loop, and wake the loop only when the queue was empty:
        a room voting at once wakes it once per batch, not once per ballot."""
        loop = self.loop
        if loop is None or loop.is_closed():
            return
        with self._inbox_lock:
            self._inbox.append(change)
            if self._drain_due:
                return
            self._drain_due = True
        loop.call_soon_threadsafe(self._drain)

    def _drain(self) -> None:
        with self._inbox_lock:
            changes = list(self._inbox)
            self._inbox.clear()
            self._drain_due = False
        for change in changes:
            self.dispatch(change)

    def dispatch(self, change: Change) -> None:
        if change.workshop_id == 0:
            targets = [x for group in self.by_workshop.values() for x in group]
        else:
            targets = list(self.by_workshop.get(change.workshop_id, ()))
        for listener in targets:
            screen = listener.screen
            if not screen.wants(change):
                continue
            own = screen.kind == "participant" and change.scope not in (events.ROOM, events.RESYNC)
            if own and change.participant_id == screen.participant_id and self.loop is not None:
                self.loop.call_later(OWN_DELAY_S, listener.poke, change.revision, True)
            else:
                listener.poke(change.revision)

    def add(self, listener: Listener) -> bool:
        """Add a socket; False (and not added) when its ticket already has MAX_PER_TICKET open."""
        group = self.by_workshop.setdefault(listener.screen.workshop_id, set())
        if sum(1 for x in group if x.ticket == listener.ticket) >= MAX_PER_TICKET:
            return False
        group.add(listener)
        return True

    def remove(self, listener: Listener) -> None:
        group = self.by_workshop.get(listener.screen.workshop_id)
        if group is not None:
            group.discard(listener)
            if not group:
                del self.by_workshop[listener.screen.workshop_id]

    def count(self) -> int:
        return sum(len(group) for group in self.by_workshop.values())


HUB = Hub()


def _origin_ok(socket: WebSocket) -> bool:
    """A browser always sends Origin on a websocket; it must be this site (through a proxy, the
    forwarded host). A page on another site may not listen in."""
    origin = socket.headers.get("origin")
    if not origin:
        return False
    host = socket.headers.get("x-forwarded-host") or socket.headers.get("host", "")
    return origin.split("://", 1)[-1] == host


def _host_ok(socket: WebSocket) -> bool:
    from streamlit import config as st_config
    from streamlit.web.server.starlette.starlette_websocket import is_host_allowed

    allowed = st_config.get_option("server.allowedHosts")
    return not allowed or is_host_allowed(socket.headers.get("host", ""))


async def live_socket(socket: WebSocket) -> None:
    ticket = socket.query_params.get("t", "")
    screen = events.read_ticket(ticket, secret())
    reason = (
        "no valid ticket" if screen is None
        else "another site (Origin)" if not _origin_ok(socket)
        else "a host name not allowed" if not _host_ok(socket)
        else None
    )  # fmt: skip
    if screen is None or reason is not None:
        log.warning("live socket refused: %s (Host %r)", reason, socket.headers.get("host", ""))
        await socket.close(code=POLICY_VIOLATION)
        return
    HUB.start(asyncio.get_running_loop())
    listener = Listener(screen, socket, ticket)
    if not HUB.add(listener):
        log.warning("live socket refused: %d already open on one ticket", MAX_PER_TICKET)
        await socket.close(code=TRY_AGAIN_LATER)
        return
    try:
        await socket.accept()
    except Exception:  # noqa: BLE001 - gone before it was accepted
        HUB.remove(listener)
        return
    pump = asyncio.create_task(listener.pump())
    try:
        while True:  # the browser sends nothing; this only notices when it goes away
            message = await socket.receive()
            if message["type"] == "websocket.disconnect":
                break
    except WebSocketDisconnect:
        pass
    finally:
        HUB.remove(listener)
        pump.cancel()


ROUTES = [WebSocketRoute(PUSH_PATH, live_socket)]
