"""The host allow-list (server.allowedHosts) on a real server: the shipped config answers loopback
names only, so a page on another name (DNS rebinding: the attacker's name re-pointed at this
machine) never gets a session; `edp room` also answers the LAN address it puts in the QR code.

Streamlit checks the Host header of the websocket handshake, before accepting it: a refused Host
gets `HTTP 403` instead of `101 Switching Protocols`, and the server logs `Rejecting WebSocket
connection with disallowed Origin or Host header`. The HTTP pages themselves are served to any Host;
without the websocket they show no data and run nothing.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from edp import config
from edp.room import ALLOWED_HOSTS_ENV, room_command
from tests.e2e.screenshot import (
    PUBLIC_HOST,
    WS_TIMEOUT_S,
    make_demo_database,
    streamlit_process,
    websocket_status,
    ws_connect,
)


def new_session(port: int, host: str) -> bool:
    """Whether the server starts a session for this Host: it answers a first rerun request (what the
    frontend sends once connected) with a `new_session` ForwardMsg."""
    from streamlit.proto.BackMsg_pb2 import BackMsg
    from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

    with ws_connect(port, host) as ws:
        msg = BackMsg()
        msg.rerun_script.query_string = ""
        ws.send(msg.SerializeToString())
        while True:
            fwd = ForwardMsg()
            fwd.ParseFromString(ws.recv(timeout=WS_TIMEOUT_S))
            if fwd.WhichOneof("type") == "new_session":
                return True


@pytest.fixture(scope="module")
def demo_db(tmp_path_factory: pytest.TempPathFactory) -> str:
    return make_demo_database(tmp_path_factory.mktemp("hosts") / "demo.sqlite")


@pytest.fixture(scope="module")
def shipped(demo_db: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[int, Path]]:
    """(port, log) of a server with the shipped .streamlit/config.toml and no allow-list in the environment."""
    log = tmp_path_factory.mktemp("shipped") / "streamlit.log"
    with streamlit_process(demo_db, log) as (base, _proc):
        yield int(base.rsplit(":", 1)[1]), log


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost", "[::1]", "LOCALHOST"])
def test_the_shipped_config_starts_a_session_for_a_loopback_host(shipped, host):
    port, _log = shipped
    assert new_session(port, f"{host}:{port}")


@pytest.mark.parametrize("host", ["evil.example", "evil.example:{port}", "127.0.0.1.evil.example", PUBLIC_HOST])
def test_the_shipped_config_refuses_a_websocket_for_another_host(shipped, host):
    port, log = shipped
    host = host.format(port=port)
    assert websocket_status(port, host) == 403
    # Same-origin is no defence against DNS rebinding: the attacker's page has the attacker's
    # name as its origin *and* as the Host. Only the allow-list refuses it.
    assert websocket_status(port, host, origin=f"http://{host}") == 403
    assert f"disallowed Origin or Host header: origin=None, host={host}" in log.read_text(errors="replace")


def test_edp_room_allows_the_lan_address_of_its_qr_code(demo_db, tmp_path, monkeypatch):
    """The environment `edp room` starts Streamlit with, on loopback here (the room binds 0.0.0.0):
    a phone that reached the laptop at the LAN address gets a session; another name does not."""
    monkeypatch.delenv("EDP_PUBLIC_URL", raising=False)
    monkeypatch.delenv(ALLOWED_HOSTS_ENV, raising=False)
    monkeypatch.setattr(config, "lan_address", lambda: "192.168.1.23")
    _cmd, env, _warnings = room_command(8501)
    assert env["EDP_PUBLIC_URL"] == "http://192.168.1.23:8501"
    with streamlit_process(demo_db, tmp_path / "room.log", env={ALLOWED_HOSTS_ENV: env[ALLOWED_HOSTS_ENV]}) as (
        base,
        _proc,
    ):
        port = int(base.rsplit(":", 1)[1])
        assert new_session(port, f"192.168.1.23:{port}")
        assert new_session(port, f"localhost:{port}")  # the facilitator's own browser
        assert websocket_status(port, "evil.example") == 403
