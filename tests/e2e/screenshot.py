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

from playwright.sync_api import Page, expect, sync_playwright

ROOT = Path(__file__).resolve().parents[2]
HEALTH_TIMEOUT_S = 30

# Debian's browser: `npx playwright install` cannot download one on these machines.
CHROMIUM_PATH = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
APP_TIMEOUT_MS = 30_000


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


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
def streamlit_server(db_url: str, log_path: Path, timeout_s: float = HEALTH_TIMEOUT_S) -> Iterator[str]:
    """Run `streamlit run app.py` on a free port against `db_url`; yield its base URL, then stop it by its PID."""
    port = free_port()
    env = dict(os.environ, EDP_DATABASE_URL=db_url)
    env.pop("EDP_LANG", None)  # the app's own default language (Swedish)
    cmd = [
        sys.executable, "-m", "streamlit", "run", "app.py",
        "--server.headless", "true",
        "--server.address", "127.0.0.1",
        "--browser.gatherUsageStats", "false",
        "--server.port", str(port),
    ]  # fmt: skip
    base_url = f"http://127.0.0.1:{port}"
    with log_path.open("wb") as log:
        proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        _wait_healthy(proc, f"{base_url}/_stcore/health", log_path, timeout_s)
        yield base_url
    finally:
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


def wait_for_app(page: Page, timeout_ms: int = APP_TIMEOUT_MS) -> None:
    """Wait until the browser is connected and the script run has finished (the state Streamlit's own e2e use)."""
    app = page.get_by_test_id("stApp")
    expect(app).to_have_attribute("data-test-connection-state", "CONNECTED", timeout=timeout_ms)
    expect(app).to_have_attribute("data-test-script-state", "notRunning", timeout=timeout_ms)
    expect(page.get_by_test_id("stMain").get_by_test_id("stHeading").first).to_be_visible(timeout=timeout_ms)


def capture(page: Page, base_url: str, output: Path) -> Path:
    page.goto(base_url)
    wait_for_app(page)
    page.evaluate("document.fonts.ready")
    # Streamlit scrolls inside its own container, so a "full page" shot of the document is one viewport high:
    # grow the viewport to the content's height instead.
    height = page.evaluate(
        """() => Math.max(...[...document.querySelectorAll('[data-testid="stMain"], [data-testid="stAppViewContainer"]')]
                 .map(e => e.scrollHeight), document.documentElement.scrollHeight)"""
    )
    width = page.viewport_size["width"] if page.viewport_size else 1280
    page.set_viewport_size({"width": width, "height": int(height)})
    wait_for_app(page)
    output.parent.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(output), full_page=True, animations="disabled", caret="hide")
    return output


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
