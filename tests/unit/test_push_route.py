"""The live screens' websocket (edp.ui.push), served as the app serves it: a Starlette route. It
refuses before accepting anything without a same-site Origin or a valid ticket; it sends a bare
revision, only for changes the ticket's screen wants, and folds a burst into a few messages."""

from __future__ import annotations

import contextlib
import time
from collections.abc import Iterator

import pytest
from starlette.applications import Starlette
from starlette.testclient import TestClient
from starlette.websockets import WebSocketDisconnect

from edp import events
from edp.events import BALLOT, PROPOSAL, ROOM, Change, Screen, sign_ticket
from edp.ui import push

HOST = "localhost"
ORIGIN = f"http://{HOST}"
BROWSER = {"host": HOST, "origin": ORIGIN}  # a page of this site


@pytest.fixture
def client() -> Iterator[TestClient]:
    with TestClient(Starlette(routes=push.ROUTES), base_url=ORIGIN) as c:
        yield c


def url(screen: Screen, secret: bytes | None = None) -> str:
    return f"{push.PUSH_PATH}?t={sign_ticket(screen, secret or push.secret())}"


def wait_listening(count: int, timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while push.HUB.count() < count and time.monotonic() < deadline:
        time.sleep(0.01)
    assert push.HUB.count() >= count, "the socket never joined the hub"


def refused(client: TestClient, path: str, headers: dict[str, str]) -> int:
    with pytest.raises(WebSocketDisconnect) as info, client.websocket_connect(path, headers=headers):
        pass
    return info.value.code


def test_the_stream_refuses_a_missing_or_forged_ticket_and_a_page_on_another_site(client):
    good = url(Screen("projector", 1))
    assert refused(client, push.PUSH_PATH, BROWSER) == push.POLICY_VIOLATION
    assert refused(client, f"{push.PUSH_PATH}?t=projector.1..0.9999999999.forged", BROWSER) == 1008
    assert refused(client, url(Screen("projector", 1), b"another secret"), BROWSER) == 1008
    assert refused(client, good, {"host": HOST, "origin": "http://evil.example"}) == 1008
    assert refused(client, good, {"host": HOST}) == 1008, "no Origin: not a browser on this site"
    assert refused(client, good, {"host": "evil.example", "origin": "http://evil.example"}) == 1008, (
        "a host not allowed"
    )
    assert push.HUB.count() == 0


def test_a_screen_hears_a_bare_revision_for_its_own_workshop_only(client):
    with client.websocket_connect(url(Screen("projector", 1)), headers=BROWSER) as ws:
        wait_listening(1)
        events.publish_local(Change(2, 50, ROOM))  # another workshop
        events.publish_local(Change(1, 7, BALLOT, 3))
        assert ws.receive_text() == "7"
        time.sleep(push.MIN_GAP_S * 2)
        events.publish_local(Change(1, 8, ROOM))
        assert ws.receive_text() == "8", "the other workshop's change was sent"
    wait = time.monotonic() + 5
    while push.HUB.count() and time.monotonic() < wait:
        time.sleep(0.01)
    assert push.HUB.count() == 0, "a closed socket stays in the hub"


def test_a_participant_is_not_woken_by_another_participants_ballot_or_proposal(client):
    with client.websocket_connect(url(Screen("participant", 1, 5)), headers=BROWSER) as ws:
        wait_listening(1)
        events.publish_local(Change(1, 10, BALLOT, 6))
        events.publish_local(Change(1, 11, PROPOSAL, 6))
        time.sleep(push.MIN_GAP_S * 2)  # time enough for a message, had one been due
        sent = time.monotonic()
        events.publish_local(Change(1, 12, BALLOT, 5))  # her own: drawn by her page already, checked later
        assert ws.receive_text() == "12 own"  # her page checks only if it drew nothing then (edp.ui.live)
        assert time.monotonic() - sent >= push.OWN_DELAY_S - 0.05
        events.publish_local(Change(1, 13, ROOM))  # the room's changes at once
        started = time.monotonic()
        assert ws.receive_text() == "13"
        assert time.monotonic() - started < push.OWN_DELAY_S


def test_a_message_is_marked_as_the_participants_own_only_when_every_change_in_it_was_theirs():
    listener = push.Listener(Screen("participant", 1, 5), socket=None)  # type: ignore[arg-type]
    listener.poke(20, own=True)
    assert listener.own_only
    listener.poke(21)  # the room changed before the message went out: a plain message, checked at once
    assert not listener.own_only and listener.revision == 21
    listener.pending.clear()  # sent
    listener.poke(22)
    listener.poke(23, own=True)
    assert not listener.own_only and listener.revision == 23


def test_a_burst_of_changes_reaches_a_screen_as_a_few_messages_ending_with_the_latest(client):
    burst, spread_s = 300, 1.0
    with client.websocket_connect(url(Screen("projector", 1)), headers=BROWSER) as ws:
        wait_listening(1)
        start = time.monotonic()
        for rev in range(1, burst + 1):
            events.publish_local(Change(1, rev, BALLOT, rev))
            time.sleep(spread_s / burst)
        messages = []
        while not messages or messages[-1] != str(burst):
            messages.append(ws.receive_text())
        took = time.monotonic() - start
    assert [int(m) for m in messages] == sorted(int(m) for m in messages)
    # At most one message per gap, plus the first at once.
    assert len(messages) <= took / push.ROOM_SCREEN_GAP_S + 2, messages
    assert len(messages) >= 2


def test_one_ticket_opens_a_few_sockets_not_thousands(client):
    ticket_url = url(Screen("participant", 1, 5))
    with contextlib.ExitStack() as stack:
        for _ in range(push.MAX_PER_TICKET):
            stack.enter_context(client.websocket_connect(ticket_url, headers=BROWSER))
        wait_listening(push.MAX_PER_TICKET)
        assert refused(client, ticket_url, BROWSER) == push.TRY_AGAIN_LATER
        other = client.websocket_connect(url(Screen("participant", 1, 6)), headers=BROWSER)
        stack.enter_context(other)  # another participant's ticket is not held back
        wait_listening(push.MAX_PER_TICKET + 1)
