"""Nothing leaves the room: every kind of page loads only from our own server.

Each test opens one kind of page in a fresh browser context that records every request the
browser makes (documents, scripts, styles, fonts, images, the favicon, fetches, websockets, service
workers), waits until the page has settled, and fails on any request to another host. A request
that cannot leave the machine (no internet here) is still recorded, because the browser reports it
before it tries the network. Every link, image, script, style and icon in the final document must
point to our server too (or be inline data), so a resource the browser has not fetched yet (a
favicon in a headless browser) is caught as well.
"""

from __future__ import annotations

from collections.abc import Iterator
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect
from sqlalchemy import select

from edp import demo
from edp import workshop as ops
from edp.db import make_engine, read
from edp.models import Actor, Workshop
from tests.e2e.screenshot import wait_for_app, wait_idle
from tests.factory import projector_key

pytestmark = pytest.mark.browser

# Every URL-bearing attribute in the document: what the browser has loaded or will load on demand.
DOCUMENT_URLS = """() => [...document.querySelectorAll(
    'link[href], script[src], img[src], source[src], source[srcset], iframe[src], video[src], audio[src], '
    + 'image[href], use[href], object[data], embed[src]')]
  .flatMap(e => [e.getAttribute('href'), e.getAttribute('src'), e.getAttribute('data'), e.getAttribute('srcset')])
  .filter(Boolean)
  .map(u => new URL(u, document.baseURI).href)"""
# CSS can load from elsewhere too (@import, url() in a style sheet, @font-face).
STYLE_URLS = r"""() => [...document.styleSheets].flatMap(sheet => {
    let rules; try { rules = [...sheet.cssRules]; } catch (e) { return [sheet.href || 'unreadable:sheet']; }
    return rules.flatMap(r => [...r.cssText.matchAll(/url\(\s*["']?([^"')]+)["']?\s*\)/g)].map(m => m[1]))
      .filter(u => !u.startsWith('data:'))
      .map(u => new URL(u, sheet.href || document.baseURI).href);
  })"""
LOCAL_SCHEMES = ("data", "blob", "about", "javascript")
ELSEWHERE = "https://fonts.gstatic.com/s/i/short-term/release/materialsymbolsrounded/groups/default/24px.svg"


class Recorder:
    """Every request a browser context makes, page and workers alike."""

    def __init__(self, context: BrowserContext) -> None:
        self.urls: list[str] = []
        context.on("request", lambda request: self.urls.append(request.url))
        context.on("page", self._watch)
        for page in context.pages:
            self._watch(page)

    def _watch(self, page: Page) -> None:
        page.on("websocket", lambda ws: self.urls.append(ws.url))
        page.on("worker", lambda worker: self.urls.append(worker.url))


def foreign(urls: list[str], own: str) -> list[str]:
    """The URLs that go to another host than `own` (host:port)."""
    out = []
    for url in urls:
        parts = urlsplit(url)
        if parts.scheme in LOCAL_SCHEMES:
            continue
        if parts.netloc != own:
            out.append(url)
    return sorted(set(out))


@pytest.fixture(scope="module")
def demo_facts(demo_db_url: str) -> dict[str, object]:
    engine = make_engine(demo_db_url)
    try:
        with read(engine) as s:
            open_id, code, process_id = s.execute(
                select(Workshop.id, Workshop.join_code, Workshop.process_id).where(Workshop.is_open.is_(True))
            ).one()
            actor_id = s.scalar(select(Actor.id).where(Actor.process_id == process_id).limit(1))
        # Tokens are stored only as hashes: a new participant's link is the one way to a participant page.
        token = ops.join(engine, code, "Besökare", actor_id=actor_id).token
        key = projector_key(engine, open_id)
    finally:
        engine.dispose()
    return {"open_workshop": open_id, "join_code": code, "token": token, "projector_key": key}


@pytest.fixture
def recorded(browser: Browser, app_url: str) -> Iterator[tuple[Page, Recorder]]:
    context = browser.new_context()
    recorder = Recorder(context)
    page = context.new_page()
    yield page, recorder
    context.close()


def settled(page: Page) -> None:
    """Connected, no script running, every image loaded, the fonts the page uses loaded."""
    wait_idle(page)
    page.wait_for_load_state("load")
    page.evaluate("document.fonts.ready.then(() => true)")
    expect(page.get_by_test_id("stException")).to_have_count(0)


def assert_nothing_leaves(page: Page, recorder: Recorder, app_url: str) -> None:
    own = urlsplit(app_url).netloc
    settled(page)
    in_document = page.evaluate(DOCUMENT_URLS) + page.evaluate(STYLE_URLS)
    assert recorder.urls, "no request was recorded at all: the recorder is not working"
    assert any(urlsplit(u).path.startswith("/_stcore/stream") for u in recorder.urls), "no websocket recorded"
    assert foreign(recorder.urls, own) == [], "requests to another host"
    assert foreign(in_document, own) == [], "the document points to another host"


def test_the_home_page_loads_only_from_our_server(recorded, app_url):
    page, recorder = recorded
    page.goto(app_url)
    wait_for_app(page)
    assert_nothing_leaves(page, recorder, app_url)


def test_the_join_page_loads_only_from_our_server(recorded, app_url, demo_facts):
    page, recorder = recorded
    page.goto(f"{app_url}/?join={demo_facts['join_code']}")
    wait_for_app(page)
    expect(page.get_by_label("Ditt namn")).to_be_visible()
    assert_nothing_leaves(page, recorder, app_url)


def test_the_participant_page_loads_only_from_our_server(recorded, app_url, demo_facts):
    page, recorder = recorded
    page.goto(f"{app_url}/?p={demo_facts['token']}")
    wait_idle(page)
    expect(page.locator(".st-key-plain-title-participant-workshop")).to_be_visible()
    assert_nothing_leaves(page, recorder, app_url)


def test_the_projector_loads_only_from_our_server(recorded, app_url, demo_facts):
    page, recorder = recorded
    page.goto(f"{app_url}/?projector={demo_facts['projector_key']}")
    wait_idle(page)
    expect(page.locator(".st-key-proj-qr").get_by_role("img")).to_be_visible()
    assert_nothing_leaves(page, recorder, app_url)


def test_the_facilitator_console_loads_only_from_our_server(recorded, app_url):
    page, recorder = recorded
    page.goto(f"{app_url}/leda")
    wait_for_app(page)
    page.get_by_label("Lösenkod", exact=True).fill(demo.DEMO_PASSCODE_DEFAULT)
    page.get_by_role("button", name="Logga in").click()
    expect(page.get_by_test_id("stMain").locator(".st-key-phase-driver")).to_be_visible()
    wait_for_app(page)
    assert_nothing_leaves(page, recorder, app_url)


def test_the_results_page_loads_only_from_our_server(recorded, app_url):
    page, recorder = recorded
    page.goto(f"{app_url}/resultat")
    wait_for_app(page)
    expect(page.get_by_test_id("stMain").get_by_test_id("stPlotlyChart").first).to_be_visible()
    assert_nothing_leaves(page, recorder, app_url)


def test_the_sign_in_form_and_the_organisers_roadmaps_load_only_from_our_server(recorded, app_url):
    page, recorder = recorded
    page.goto(f"{app_url}/konto/logga-in?next=/fardplaner")
    expect(page.get_by_label("Användarnamn")).to_be_visible()
    assert foreign(recorder.urls, urlsplit(app_url).netloc) == [], "the sign-in form asks another host"
    assert foreign(page.evaluate(DOCUMENT_URLS) + page.evaluate(STYLE_URLS), urlsplit(app_url).netloc) == []
    page.get_by_label("Användarnamn").fill(demo.DEMO_ORGANISER)
    page.get_by_label("Lösenord").fill(demo.DEMO_PASSWORD_DEFAULT)
    page.get_by_role("button", name="Logga in").click()
    wait_for_app(page)
    expect(page.get_by_test_id("stMain").get_by_test_id("stPlotlyChart").first).to_be_visible()
    assert_nothing_leaves(page, recorder, app_url)


def test_a_request_to_another_host_is_caught(browser: Browser, app_url):
    """The check itself: a page that asks another host for an image is reported."""
    context = browser.new_context()
    try:
        recorder = Recorder(context)
        page = context.new_page()
        page.goto(app_url)
        wait_for_app(page)
        own = urlsplit(app_url).netloc
        assert foreign(recorder.urls, own) == []
        with page.expect_request(ELSEWHERE):
            page.evaluate(f"() => {{ const i = new Image(); i.src = '{ELSEWHERE}'; document.body.append(i); }}")
        assert foreign(recorder.urls, own) == [ELSEWHERE]
        assert foreign(page.evaluate(DOCUMENT_URLS), own) == [ELSEWHERE]
    finally:
        context.close()
