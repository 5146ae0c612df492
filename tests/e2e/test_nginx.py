"""The nginx configuration that docs/deploy.md gives, run with Debian's nginx on loopback in front
of two replicas on one PostgreSQL, each with the environment the doc exports (cookie secret,
public URL, allowed host names), the doc's public name standing for PUBLIC_HOST: a participant
and the projector work through it at the public name (websockets upgraded, sessions sticky, the
Host allowed), a vote through the proxy reaches the projector, and another Host is refused.

Every browser here comes from one address (127.0.0.1), as a room behind a venue's NAT does: the
sticky cookie must still spread them across the replicas, each browser's page and websocket must
reach the same replica, and each must keep working. nginx logs, for every request, the sticky key
the doc's config hashes and the replica it chose."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from bench.nginx import DOC_NAME, NGINX, STICKY_COOKIE, deploy_doc, nginx_proxy, routed
from edp import workshop as ops
from edp.db import make_engine
from edp.models import HELIX_GROUPS
from tests.conftest import PG_URL, require_service
from tests.e2e.screenshot import PUBLIC_HOST, free_port, streamlit_server, wait_idle, websocket_status
from tests.factory import make_setup, projector_key

pytestmark = pytest.mark.browser

# Browsers from one address until both replicas have some; with a random key each, 12 all on one
# replica would happen once in 2**11 runs.
PHONES_AT_LEAST, PHONES_AT_MOST = 6, 12


def replica_env(listen: int) -> dict[str, str]:
    """The variables docs/deploy.md exports for every replica, for a proxy at http://PUBLIC_HOST:listen."""
    (block,) = [b for b in re.findall(r"```sh\n(.*?)```", deploy_doc(), re.S) if "streamlit run app.py" in b]
    env = dict(re.findall(r'^export (\w+)="([^"]*)"', block, re.M))
    assert {"STREAMLIT_SERVER_COOKIE_SECRET", "EDP_PUBLIC_URL", "STREAMLIT_SERVER_ALLOWED_HOSTS"} <= set(env), env
    assert DOC_NAME in env["STREAMLIT_SERVER_ALLOWED_HOSTS"].split()
    public = f"http://{PUBLIC_HOST}:{listen}"  # no TLS on loopback
    return {k: v.replace(f"https://{DOC_NAME}", public).replace(DOC_NAME, PUBLIC_HOST) for k, v in env.items()}


@pytest.fixture(scope="module")
def behind_nginx(pg_url: str | None, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, list[str], Path]]:
    """(the proxy's address at PUBLIC_HOST, the replicas' own base URLs, nginx's access log)"""
    require_service(pg_url is not None, f"PostgreSQL at {PG_URL}")
    require_service(Path(NGINX).exists(), "nginx (Debian package nginx-light)")
    prefix = tmp_path_factory.mktemp("nginx")
    port = free_port()
    env = replica_env(port)
    with (
        streamlit_server(pg_url, prefix / "a.log", env=env) as a,
        streamlit_server(pg_url, prefix / "b.log", env=env) as b,
        nginx_proxy([int(a.rsplit(":", 1)[1]), int(b.rsplit(":", 1)[1])], port, prefix, PUBLIC_HOST) as log,
    ):
        yield env["EDP_PUBLIC_URL"], [a, b], log


def test_a_vote_through_nginx_reaches_the_projector_through_nginx(browser: Browser, behind_nginx, pg_url):
    public, _replicas, _log = behind_nginx
    assert public.startswith(f"http://{PUBLIC_HOST}:")  # the browser comes by the public name, as Host
    engine = make_engine(pg_url)
    try:
        s = make_setup(
            engine, ops.RoundSpec(method="approval"), participants={"business": 1, "civil": 1}, themes=2, phase="voting"
        )
        proj_ctx, phone_ctx = browser.new_context(), browser.new_context(viewport={"width": 390, "height": 844})
        projector = proj_ctx.new_page()
        projector.goto(f"{public}/?projector={projector_key(engine, s.workshop_id)}")
        wait_idle(projector)
        turnout = projector.locator(".st-key-proj-turnout-overall").get_by_test_id("stMetricValue")
        expect(turnout).to_have_text("0 / 2")
        phone = phone_ctx.new_page()
        phone.goto(f"{public}/?p={s.tokens[0]}")
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


def test_the_replicas_answer_only_the_public_name(behind_nginx):
    """The doc's STREAMLIT_SERVER_ALLOWED_HOSTS replaces the shipped loopback list: through nginx
    another Host is refused, and so is a websocket straight to a replica (nginx is the only way in)."""
    public, replicas, _log = behind_nginx
    proxy_port = int(public.rsplit(":", 1)[1])
    assert websocket_status(proxy_port, f"{PUBLIC_HOST}:{proxy_port}") == 101
    assert websocket_status(proxy_port, "evil.example") == 403
    for replica in replicas:
        port = int(replica.rsplit(":", 1)[1])
        assert websocket_status(port, PUBLIC_HOST) == 101
        assert websocket_status(port, f"127.0.0.1:{port}") == 403


def wait_logged(log: Path, keys: list[str], path: str, timeout_s: float = 20) -> dict[str, list[tuple[str, str]]]:
    """nginx logs a websocket when it closes: wait until each key has a request for `path`."""
    deadline = time.monotonic() + timeout_s
    while True:
        seen = routed(log)
        missing = [k for k in keys if not any(f" {path}" in r for _, r in seen[k])]
        if not missing or time.monotonic() > deadline:
            assert not missing, f"no {path} logged for {missing}"
            return seen
        time.sleep(0.2)


def test_browsers_from_one_address_spread_across_the_replicas_and_each_keeps_working(
    browser: Browser, behind_nginx, pg_url
):
    """A room behind one venue NAT: ip_hash would send every phone to one replica."""
    public, replicas, log = behind_nginx
    engine = make_engine(pg_url)
    contexts = []
    try:
        s = make_setup(
            engine, ops.RoundSpec(method="approval"), participants={g: 3 for g in HELIX_GROUPS}, themes=2,
            phase="voting",
        )  # fmt: skip
        proj_ctx = browser.new_context()
        contexts.append(proj_ctx)
        projector = proj_ctx.new_page()
        projector.goto(f"{public}/?projector={projector_key(engine, s.workshop_id)}")
        wait_idle(projector)
        turnout = projector.locator(".st-key-proj-turnout-overall").get_by_test_id("stMetricValue")
        expect(turnout).to_have_text(f"0 / {len(s.tokens)}")

        phones: dict[str, Page] = {}  # sticky cookie -> the phone's page
        first_replica: dict[str, str] = {}
        for token in s.tokens:
            if len(phones) >= PHONES_AT_LEAST and len(set(first_replica.values())) == len(replicas):
                break
            ctx = browser.new_context(viewport={"width": 390, "height": 844})  # a phone: no cookie yet
            contexts.append(ctx)
            phone = ctx.new_page()
            phone.goto(f"{public}/?p={token}")
            wait_idle(phone)
            [cookie] = [c for c in ctx.cookies() if c["name"] == STICKY_COOKIE]  # set by the first response
            assert cookie["httpOnly"] and cookie["path"] == "/"
            [(upstream, request)] = routed(log)[cookie["value"]][:1]  # the page itself, keyed before the cookie
            assert request.startswith(f"GET /?p={token} ")
            phones[cookie["value"]] = phone
            first_replica[cookie["value"]] = upstream
        assert len(set(first_replica.values())) == len(replicas), "every browser from one address on one replica"

        for n, phone in enumerate(phones.values(), start=1):  # each keeps working: its vote counts
            phone.locator(f".st-key-ballot-{s.round_id}-approve-{s.themes[0]}").get_by_text(
                "Jag stöder det här temat"
            ).click()
            phone.get_by_role("button", name="Skicka min röst").click()
            expect(phone.get_by_text("Din röst är sparad")).to_be_visible()
            expect(turnout).to_have_text(f"{n} / {len(s.tokens)}", timeout=20_000)
        for page in (projector, *phones.values()):
            expect(page.get_by_test_id("stException")).to_have_count(0)
    finally:
        for ctx in contexts:
            ctx.close()
        engine.dispose()

    # Each browser's page, scripts and websocket all reached the replica that served its page.
    seen = wait_logged(log, list(phones), "/_stcore/stream")
    for key in phones:
        upstreams = {u for u, _ in seen[key]}
        assert upstreams == {first_replica[key]}, (key, seen[key])
        assert len(seen[key]) > 2  # the page, its scripts and styles, the websocket: one key for all
