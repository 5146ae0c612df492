"""A full-page PNG of the app's home page, for the README; also the server and browser helpers the e2e tests share.

Against a running app (e.g. `make run`, which loads the demo):

    .venv/bin/python -m tests.e2e.screenshot http://127.0.0.1:8501 docs/screenshots/home.png

or with `demo` for the URL, which starts a throwaway server on a fresh demo database and stops it afterwards:

    .venv/bin/python -m tests.e2e.screenshot demo docs/screenshots/home.png
"""

from __future__ import annotations

import argparse
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from playwright.sync_api import Locator, Page, expect, sync_playwright
from websockets.exceptions import InvalidStatus
from websockets.sync.client import ClientConnection, connect

from edp.room import ALLOWED_HOSTS_ENV, LOOPBACK_HOSTS

ROOT = Path(__file__).resolve().parents[2]
HEALTH_TIMEOUT_S = 30
WS_TIMEOUT_S = 20

# Debian's browser: `npx playwright install` cannot download one on these machines.
CHROMIUM_PATH = Path("/usr/bin/chromium")
# A name for the server as the room would reach it (EDP_PUBLIC_URL): the join URL, the QR code and the projector
# link then point at a host that is not loopback, as on a venue network. Chromium resolves it to this machine.
PUBLIC_HOST = "edp-workshop.test"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    f"--host-resolver-rules=MAP {PUBLIC_HOST} 127.0.0.1",
]
APP_TIMEOUT_MS = 30_000
PHONE = {"width": 360, "height": 740}  # a small phone, held upright


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def make_empty_database(path: Path) -> str:
    """A migrated SQLite file with no data at all; returns its URL."""
    from edp.db import upgrade

    url = f"sqlite:///{path}"
    upgrade(url)
    return url


def make_demo_database(path: Path) -> str:
    """A migrated SQLite file with the demo loaded; returns its URL."""
    from edp import demo
    from edp.db import make_engine, upgrade

    url = f"sqlite:///{path}"
    engine = make_engine(url)
    try:
        upgrade(engine)
        demo.load(engine)
    finally:
        engine.dispose()
    return url


@contextmanager
def streamlit_server(
    db_url: str,
    log_path: Path,
    timeout_s: float = HEALTH_TIMEOUT_S,
    *,
    public_host: str | None = None,
    env: dict[str, str] | None = None,
) -> Iterator[str]:
    """Run `streamlit run app.py` on a free port against `db_url`; yield its base URL, then stop it by its PID.

    With `public_host`, EDP_PUBLIC_URL is http://<public_host>:<port>: the address the app shows for joining (a
    browser launched with CHROMIUM_ARGS reaches PUBLIC_HOST, which the server then allows as a Host besides
    loopback); the yielded base URL stays on 127.0.0.1. `env` is added to the server's environment last.
    """
    with streamlit_process(db_url, log_path, timeout_s, public_host=public_host, env=env) as (base_url, _proc):
        yield base_url


@contextmanager
def streamlit_process(
    db_url: str,
    log_path: Path,
    timeout_s: float = HEALTH_TIMEOUT_S,
    *,
    public_host: str | None = None,
    port: int | None = None,
    env: dict[str, str] | None = None,
) -> Iterator[tuple[str, subprocess.Popen]]:
    """As streamlit_server, on `port` if given, yielding (base URL, the server's process) so that a
    test can kill it; stopped at the end if it still runs. `env` is added to the server's environment last.

    The shipped config only answers websockets whose Host is loopback (server.allowedHosts). With
    `public_host`, the server also allows that name, as a deployment does: STREAMLIT_SERVER_ALLOWED_HOSTS.
    """
    port = port or free_port()
    server_env = dict(os.environ, EDP_DATABASE_URL=db_url)
    server_env.pop("EDP_LANG", None)  # the app's own default language (Swedish)
    server_env.pop("EDP_PUBLIC_URL", None)
    server_env.pop(ALLOWED_HOSTS_ENV, None)  # the shipped list, unless this test says otherwise
    if public_host:
        server_env["EDP_PUBLIC_URL"] = f"http://{public_host}:{port}"
        server_env[ALLOWED_HOSTS_ENV] = " ".join([*LOOPBACK_HOSTS, public_host])
    server_env.update(env or {})
    cmd = [
        sys.executable, "-m", "streamlit", "run", "app.py",
        "--server.headless", "true",
        "--server.address", "127.0.0.1",
        "--browser.gatherUsageStats", "false",
        "--server.port", str(port),
    ]  # fmt: skip
    base_url = f"http://127.0.0.1:{port}"
    with log_path.open("ab") as log:
        proc = subprocess.Popen(cmd, cwd=ROOT, env=server_env, stdout=log, stderr=subprocess.STDOUT)
    try:
        _wait_healthy(proc, f"{base_url}/_stcore/health", log_path, timeout_s)
        yield base_url, proc
    finally:
        if proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=10)


def _wait_healthy(proc: subprocess.Popen, health_url: str, log_path: Path, timeout_s: float) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"streamlit exited with {proc.returncode}:\n{log_path.read_text(errors='replace')}")
        try:
            with urllib.request.urlopen(health_url, timeout=2) as resp:  # noqa: S310 (a local URL we built)
                if resp.read().decode().strip() == "ok":
                    return
        except OSError:
            pass
        time.sleep(0.1)
    raise RuntimeError(
        f"{health_url} did not answer 'ok' within {timeout_s} s:\n{log_path.read_text(errors='replace')}"
    )


@contextmanager
def ws_connect(port: int, host: str, origin: str | None = None) -> Iterator[ClientConnection]:
    """A websocket to 127.0.0.1:port whose handshake says `Host: host` (as a browser that reached
    this machine by that name would send), with the subprotocol Streamlit's frontend asks for."""
    with socket.create_connection(("127.0.0.1", port), timeout=WS_TIMEOUT_S) as sock:
        url = f"ws://{host}/_stcore/stream"
        opts = {"sock": sock, "origin": origin, "subprotocols": ["streamlit"], "proxy": None, "max_size": None}
        with connect(url, open_timeout=WS_TIMEOUT_S, **opts) as ws:
            yield ws


def websocket_status(port: int, host: str, origin: str | None = None) -> int:
    """The HTTP status of the websocket handshake: 101 when accepted."""
    try:
        with ws_connect(port, host, origin):
            return 101
    except InvalidStatus as refused:
        return refused.response.status_code


def wait_idle(page: Page, timeout_ms: int = APP_TIMEOUT_MS) -> None:
    """Wait until the browser is connected and no script run is going on (for pages with or without a heading)."""
    app = page.get_by_test_id("stApp")
    expect(app).to_have_attribute("data-test-connection-state", "CONNECTED", timeout=timeout_ms)
    expect(app).to_have_attribute("data-test-script-state", "notRunning", timeout=timeout_ms)


def wait_for_app(page: Page, timeout_ms: int = APP_TIMEOUT_MS) -> None:
    """Wait until the browser is connected and the script run has finished (the state Streamlit's own e2e use)."""
    wait_idle(page, timeout_ms)
    expect(page.get_by_test_id("stMain").get_by_test_id("stHeading").first).to_be_visible(timeout=timeout_ms)


def scroll_to_top(page: Page) -> None:
    """Streamlit scrolls inside its own containers: put each of them back at the top."""
    page.evaluate(
        """() => document.querySelectorAll('[data-testid="stMain"], [data-testid="stAppViewContainer"]')
                 .forEach(e => e.scrollTo(0, 0))"""
    )


def _settled_bottom(element: Locator, tries: int = 50) -> int:
    """The element's bottom edge once the page's layout has stopped moving (two animation frames apart)."""
    measure = """e => new Promise(done => requestAnimationFrame(() => requestAnimationFrame(
                   () => done(Math.round(e.getBoundingClientRect().bottom)))))"""
    last = element.evaluate(measure)
    for _ in range(tries):
        now = element.evaluate(measure)
        if now == last:
            return now
        last = now
    return last


def full_page_shot(page: Page, output: Path, until: Locator | None = None) -> Path:
    """A PNG of the whole page as it stands, however long (or down to the bottom of `until`); the viewport is
    put back afterwards."""
    page.evaluate("document.fonts.ready")
    # Streamlit scrolls inside its own container, so a "full page" shot of the document is one viewport high:
    # grow the viewport to the content's height instead.
    before = page.viewport_size or {"width": 1280, "height": 800}
    height = page.evaluate(
        """() => Math.max(...[...document.querySelectorAll('[data-testid="stMain"], [data-testid="stAppViewContainer"]')]
                 .map(e => e.scrollHeight), document.documentElement.scrollHeight)"""
    )
    page.set_viewport_size({"width": before["width"], "height": int(height)})
    try:
        wait_idle(page)
        scroll_to_top(page)
        clip = None
        if until is not None:
            bottom = _settled_bottom(until)
            clip = {"x": 0, "y": 0, "width": before["width"], "height": min(int(height), bottom + 24)}
        output.parent.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(output), full_page=clip is None, clip=clip, animations="disabled", caret="hide")
    finally:
        page.set_viewport_size(before)
    return output


def capture(page: Page, base_url: str, output: Path) -> Path:
    page.goto(base_url)
    wait_for_app(page)
    return full_page_shot(page, output)


def sign_in_organiser(page: Page, base_url: str, username: str, password: str) -> None:
    """An organiser signs in with the password form (/konto/logga-in), which brings them back to
    the app signed in: the sidebar then offers their own account."""
    page.goto(f"{base_url}/konto/logga-in?next=/")
    page.get_by_label("Användarnamn").fill(username)
    page.get_by_label("Lösenord").fill(password)
    page.get_by_role("button", name="Logga in").click()
    wait_for_app(page)
    expect(page.get_by_test_id("stSidebar").get_by_role("link", name="Mitt konto", exact=True)).to_be_visible()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("base_url", help="where the app runs, e.g. http://127.0.0.1:8501, or 'demo'")
    parser.add_argument("output", type=Path, help="the PNG to write")
    parser.add_argument("--width", type=int, default=1280)
    parser.add_argument("--height", type=int, default=800, help="the first viewport; it grows to the page")
    parser.add_argument("--chromium", type=Path, default=CHROMIUM_PATH)
    args = parser.parse_args(argv)

    if args.base_url != "demo":
        out = shoot(args.base_url, args.output, args.chromium, args.width, args.height)
    else:
        with tempfile.TemporaryDirectory(prefix="edp-shot-") as tmp:
            url = make_demo_database(Path(tmp) / "demo.sqlite")
            with streamlit_server(url, Path(tmp) / "streamlit.log") as base_url:
                out = shoot(base_url, args.output, args.chromium, args.width, args.height)
    print(out)
    return 0


def shoot(base_url: str, output: Path, chromium: Path, width: int, height: int) -> Path:
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(chromium), args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": width, "height": height}, device_scale_factor=1)
            return capture(page, base_url, output)
        finally:
            browser.close()


if __name__ == "__main__":
    raise SystemExit(main())
