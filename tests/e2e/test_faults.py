"""Faults in a real browser: the server killed with SIGKILL during voting, and PostgreSQL going away
for a few seconds. Confirmed ballots survive, participants carry on with their personal links, the
user gets a clear message and never a traceback, nothing is half-written, and the app recovers."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect
from sqlalchemy import Engine
from sqlalchemy.engine import make_url

from edp import workshop as ops
from edp.db import make_engine
from edp.live import participant_view
from tests.conftest import PG_URL, require_service, table_counts
from tests.e2e.screenshot import free_port, make_empty_database, streamlit_process, wait_idle
from tests.factory import make_setup

pytestmark = pytest.mark.browser

SAVED = "Din röst är sparad"
SUBMIT = "Skicka min röst"
APPROVE = "Jag stöder det här temat"
DOWN = "Databasen svarar inte just nu"
RECOVER_MS = 30_000


def approve(page: Page, round_id: int, theme_id: int) -> None:
    page.locator(f".st-key-ballot-{round_id}-approve-{theme_id}").get_by_text(APPROVE).click()


def stored(engine: Engine, token: str) -> list[int]:
    return sorted(tid for tid, _c, _v in participant_view(engine, token).ballot)


def no_traceback(page: Page) -> None:
    expect(page.get_by_test_id("stException")).to_have_count(0)


# ---------------------------------------------------------------- kill -9


def test_a_killed_server_loses_no_confirmed_ballot_and_participants_carry_on(browser: Browser, tmp_path: Path):
    db_url = make_empty_database(tmp_path / "edp.sqlite")
    engine = make_engine(db_url)
    s = make_setup(engine, ops.RoundSpec(method="approval"), participants={"civil": 2}, themes=3, phase="voting")
    voter = s.tokens[0]
    port = free_port()
    context = browser.new_context(viewport={"width": 390, "height": 844})
    try:
        with streamlit_process(db_url, tmp_path / "first.log", port=port) as (base, proc):
            phone = context.new_page()
            phone.goto(f"{base}/?p={voter}")
            wait_idle(phone)
            approve(phone, s.round_id, s.themes[0])
            phone.get_by_role("button", name=SUBMIT).click()
            expect(phone.get_by_text(SAVED)).to_be_visible()  # confirmed to the voter
            os.kill(proc.pid, signal.SIGKILL)
            proc.wait(timeout=10)
        assert stored(engine, voter) == [s.themes[0]]  # what was confirmed is on disk

        with streamlit_process(db_url, tmp_path / "second.log", port=port) as (base, _proc):
            phone.goto(f"{base}/?p={voter}")  # the same personal link, after the restart
            wait_idle(phone)
            expect(phone.get_by_text(SAVED)).to_be_visible()  # still their ballot
            approve(phone, s.round_id, s.themes[1])
            phone.get_by_role("button", name=SUBMIT).click()
            expect(phone.get_by_text(SAVED)).to_be_visible()
            no_traceback(phone)
        assert stored(engine, voter) == sorted(s.themes[:2])
    finally:
        context.close()
        engine.dispose()


# ---------------------------------------------------------------- the database goes away


class CuttableProxy:
    """A TCP relay to PostgreSQL that can be cut (every connection dropped, new ones refused) and restored."""

    def __init__(self, target: tuple[str, int]) -> None:
        self.target = target
        self.port = free_port()
        self.up = threading.Event()
        self.up.set()
        self._conns: list[socket.socket] = []
        self._lock = threading.Lock()
        self._server = socket.create_server(("127.0.0.1", self.port))
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self._server.accept()
            except OSError:
                return
            if not self.up.is_set():
                client.close()
                continue
            try:
                upstream = socket.create_connection(self.target)
            except OSError:
                client.close()
                continue
            with self._lock:
                self._conns += [client, upstream]
            for a, b in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pipe, args=(a, b), daemon=True).start()

    @staticmethod
    def _pipe(src: socket.socket, dst: socket.socket) -> None:
        try:
            while data := src.recv(65536):
                dst.sendall(data)
        except OSError:
            pass
        finally:
            for sock in (src, dst):
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)

    def cut(self) -> None:
        self.up.clear()
        with self._lock:
            for sock in self._conns:
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)
                    sock.close()
            self._conns.clear()

    def restore(self) -> None:
        self.up.set()

    def close(self) -> None:
        self.cut()
        self._server.close()


@pytest.fixture
def proxied_pg(pg_url: str | None) -> Iterator[tuple[str, Engine, CuttableProxy]]:
    """(the app's URL through the proxy, a direct engine, the proxy) on the test session's schema."""
    require_service(pg_url is not None, f"PostgreSQL at {PG_URL}")
    url = make_url(pg_url)
    proxy = CuttableProxy((url.host or "127.0.0.1", url.port or 5432))
    direct = make_engine(pg_url)
    from tests.conftest import _truncate_all

    _truncate_all(direct)
    try:
        yield url.set(host="127.0.0.1", port=proxy.port).render_as_string(hide_password=False), direct, proxy
    finally:
        proxy.close()
        direct.dispose()


def test_a_database_outage_gives_a_clear_message_writes_nothing_and_recovers(browser: Browser, proxied_pg, tmp_path):
    app_url, direct, proxy = proxied_pg
    s = make_setup(direct, ops.RoundSpec(method="approval"), participants={"public": 2}, themes=3, phase="voting")
    voter = s.tokens[0]
    context = browser.new_context(viewport={"width": 390, "height": 844})
    try:
        with streamlit_process(app_url, tmp_path / "app.log") as (base, _proc):
            phone = context.new_page()
            phone.goto(f"{base}/?p={voter}")
            wait_idle(phone)
            approve(phone, s.round_id, s.themes[0])
            phone.get_by_role("button", name=SUBMIT).click()
            expect(phone.get_by_text(SAVED)).to_be_visible()

            proxy.cut()  # PostgreSQL is gone for the app
            before = table_counts(direct)
            approve(phone, s.round_id, s.themes[1])
            phone.get_by_role("button", name=SUBMIT).click()
            expect(phone.get_by_text(DOWN)).to_be_visible(timeout=RECOVER_MS)
            no_traceback(phone)
            assert table_counts(direct) == before and stored(direct, voter) == [s.themes[0]]  # nothing half-written

            proxy.restore()  # back after a few seconds: the page carries on by itself
            expect(phone.get_by_text(DOWN)).to_have_count(0, timeout=RECOVER_MS)
            wait_idle(phone)
            approve_box = phone.locator(f".st-key-ballot-{s.round_id}-approve-{s.themes[1]}").get_by_role("checkbox")
            if not approve_box.is_checked():
                approve(phone, s.round_id, s.themes[1])
            phone.get_by_role("button", name=SUBMIT).click()
            expect(phone.get_by_text(SAVED)).to_be_visible()
            no_traceback(phone)
        assert stored(direct, voter) == sorted(s.themes[:2])
    finally:
        context.close()
