"""The nginx configuration that docs/deploy.md gives, run with Debian's nginx on loopback in front
of two replicas on one PostgreSQL: a participant and the projector work through it (websockets
upgraded, sessions sticky), and a vote through the proxy reaches the projector."""

from __future__ import annotations

import re
import shutil
import subprocess
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, expect

from edp import workshop as ops
from edp.db import make_engine
from tests.conftest import PG_URL, require_service
from tests.e2e.screenshot import free_port, streamlit_server, wait_idle
from tests.factory import make_setup

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[2]
NGINX = shutil.which("nginx") or "/usr/sbin/nginx"


def deploy_config(upstreams: list[int], listen: int, prefix: Path) -> str:
    """The ```nginx block of docs/deploy.md, with this test's ports and no TLS (loopback only)."""
    doc = (ROOT / "docs" / "deploy.md").read_text(encoding="utf-8")
    (block,) = re.findall(r"```nginx\n(.*?)```", doc, re.S)
    servers = "".join(f"    server 127.0.0.1:{p};\n" for p in upstreams)
    block = re.sub(
        r"(upstream edp \{\n(?:.*\n)*?)((?:    server 127\.0\.0\.1:\d+;\n)+)", lambda m: m.group(1) + servers, block
    )
    block = block.replace("listen 443 ssl;", f"listen 127.0.0.1:{listen};")
    assert f"127.0.0.1:{upstreams[-1]}" in block and f"listen 127.0.0.1:{listen}" in block
    return f"""
pid {prefix}/nginx.pid;
error_log {prefix}/error.log;
worker_processes 1;
events {{ worker_connections 256; }}
http {{
    access_log {prefix}/access.log;
    client_body_temp_path {prefix}/body;
    proxy_temp_path {prefix}/proxy;
    fastcgi_temp_path {prefix}/fastcgi;
    uwsgi_temp_path {prefix}/uwsgi;
    scgi_temp_path {prefix}/scgi;
{block}
}}
"""


@pytest.fixture(scope="module")
def behind_nginx(pg_url: str | None, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    require_service(pg_url is not None, f"PostgreSQL at {PG_URL}")
    require_service(Path(NGINX).exists(), "nginx (Debian package nginx-light)")
    prefix = tmp_path_factory.mktemp("nginx")
    with streamlit_server(pg_url, prefix / "a.log") as a, streamlit_server(pg_url, prefix / "b.log") as b:
        port = free_port()
        conf = prefix / "nginx.conf"
        conf.write_text(deploy_config([int(a.rsplit(":", 1)[1]), int(b.rsplit(":", 1)[1])], port, prefix))
        subprocess.run([NGINX, "-t", "-c", str(conf), "-p", str(prefix)], check=True, capture_output=True)
        proc = subprocess.Popen([NGINX, "-c", str(conf), "-p", str(prefix), "-g", "daemon off;"])
        base = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + 15
            while True:
                try:
                    with urllib.request.urlopen(f"{base}/_stcore/health", timeout=2) as resp:  # noqa: S310
                        if resp.read().strip() == b"ok":
                            break
                except OSError:
                    if time.monotonic() > deadline:
                        raise
                    time.sleep(0.2)
            yield base
        finally:
            proc.terminate()
            proc.wait(timeout=10)


def test_a_vote_through_nginx_reaches_the_projector_through_nginx(browser: Browser, behind_nginx, pg_url):
    engine = make_engine(pg_url)
    try:
        s = make_setup(
            engine, ops.RoundSpec(method="approval"), participants={"business": 1, "civil": 1}, themes=2, phase="voting"
        )
        proj_ctx, phone_ctx = browser.new_context(), browser.new_context(viewport={"width": 390, "height": 844})
        projector = proj_ctx.new_page()
        projector.goto(f"{behind_nginx}/?projector={s.workshop_id}")
        wait_idle(projector)
        turnout = projector.locator(".st-key-proj-turnout-overall").get_by_test_id("stMetricValue")
        expect(turnout).to_have_text("0 / 2")
        phone = phone_ctx.new_page()
        phone.goto(f"{behind_nginx}/?p={s.tokens[0]}")
        wait_idle(phone)
        phone.locator(f".st-key-ballot-{s.round_id}-approve-{s.themes[0]}").get_by_text(
            "Jag stöder det här temat"
        ).click()
        phone.get_by_role("button", name="Skicka min röst").click()
        expect(phone.get_by_text("Din röst är sparad")).to_be_visible()
        expect(turnout).to_have_text("1 / 2", timeout=20_000)
        for page in (projector, phone):
            expect(page.get_by_test_id("stException")).to_have_count(0)
        proj_ctx.close()
        phone_ctx.close()
    finally:
        engine.dispose()
