"""WCAG 2.1 AA in a real browser: axe-core (through axe-playwright-python) on every screen, in every
phase a participant, the facilitator and the projector go through, light and dark.

A Swedish region's digital services must meet WCAG 2.1 AA (lagen om tillgänglighet till digital
offentlig service). axe finds what a machine can: contrast, names of controls and images, roles,
focusable scroll regions. A serious or critical violation fails the test, which names the rule,
the elements and axe's advice. Minor and moderate ones are not failures but are listed in the
failure text of a screen that also has a serious one.

The world: the demo (its process, roadmaps and organiser), plus one workshop per phase, each with
its own participants, so every screen is one address away.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Browser, BrowserContext, Page, expect

from edp import workshop as ops
from edp.access import SYSTEM
from edp.db import make_engine
from edp.live import projector_key, round_view
from edp.models import HELIX_GROUPS
from edp.roadmap import operations as rmo
from edp.roadmap.views import roadmap_view
from edp.voting.ballots import submit_ballot
from tests.e2e.screenshot import make_demo_database, sign_in_organiser, streamlit_server, wait_idle

pytestmark = pytest.mark.browser

WCAG_21_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
AXE_OPTIONS = {"runOnly": {"type": "tag", "values": WCAG_21_AA}, "resultTypes": ["violations"]}
BLOCKING = ("serious", "critical")
PASSCODE = "tillgänglig-för-alla-26"
ORGANISER = ("demo", "jamtland-demo")
LAPTOP = {"width": 1280, "height": 800}
PHONE = {"width": 360, "height": 740}
PROJECTOR = {"width": 1920, "height": 1080}
THEMES = [
    "Hållbar besöksnäring i fjällen",
    "Digital kulturarvsförmedling",
    "Samverkan kring evenemang",
    "Lokal mat som upplevelse",
    "Året-runt-turism",
]
# Participant states: (workshop key, round method, phase, ballot sent, revealed).
STATES = {
    "draft": ("dots", "draft", False, False),
    "proposing": ("dots", "proposing", False, False),
    "reviewing": ("dots", "reviewing", False, False),
    "voting-dots": ("dots", "voting", False, False),
    "voting-score": ("score", "voting", False, False),
    "voting-rank": ("rank", "voting", False, False),
    "voting-approval": ("approval", "voting", False, False),
    "voted": ("dots", "voting", True, False),
    "closed": ("dots", "closed", True, False),
    "revealed": ("score", "closed", True, True),
}
DEMO_ROADMAP = 2  # the demo's roadmap with the most lead actors
VOTERS = 6  # enough ballots that the helix breakdown is shown, not folded away


@dataclass
class World:
    base_url: str
    participants: dict[str, str] = field(default_factory=dict)  # state -> a participant's token
    projectors: dict[str, str] = field(default_factory=dict)  # state -> projector key
    workshops: dict[str, int] = field(default_factory=dict)  # state -> workshop id
    update_token: str = ""


def _spec(method: str) -> ops.RoundSpec:
    if method == "score":
        criteria = [ops.CriterionSpec(f"Kriterium {i}", f"Criterion {i}") for i in (1, 2, 3)]
        return ops.RoundSpec("score", "Poängsätt temana", criteria=criteria)
    if method == "rank":
        return ops.RoundSpec("rank", "Rangordna temana", rank_count=3)
    if method == "approval":
        return ops.RoundSpec("approval", "Godkänn de teman du stöder")
    return ops.RoundSpec("dots", "Fördela dina prickar", dots_per_participant=5, max_dots_per_theme=3)


def _ballot(method: str, round_id: int, engine, n: int):  # noqa: ANN001, ANN202 - test data
    themes = [t.id for t in round_view(engine, round_id).themes]
    if method == "score":
        criteria = [c.id for c in round_view(engine, round_id).criteria]
        return {t: {c: 1 + (t + c + n) % 5 for c in criteria} for t in themes}
    if method == "rank":
        return themes[n % 2 :][:3]
    if method == "approval":
        return themes[: 2 + n % 3]
    return {themes[n % len(themes)]: 3, themes[(n + 1) % len(themes)]: 2}


def _workshop_in(engine, process_id: int, actors: list[int], state: str) -> tuple[int, str, str]:  # noqa: ANN001
    """(workshop id, a participant's token, projector key) for a workshop left in `state`."""
    method, phase, voted, revealed = STATES[state]
    ws = ops.create_workshop(engine, SYSTEM, process_id, f"Tillgänglighet: {state}", PASSCODE)
    fac = ops.login_facilitator(engine, ws.id, PASSCODE)
    rnd = ops.add_round(engine, fac, _spec(method))
    tokens = [
        ops.join(engine, ws.join_code, f"Deltagare {i + 1}", actor_id=actors[i % len(actors)]).token
        for i in range(VOTERS)
    ]
    if phase != "draft":
        ops.set_phase(engine, fac, rnd.id, "proposing")
        for i, title in enumerate(THEMES):
            ops.propose(engine, tokens[i % VOTERS], rnd.id, ops.ThemeInput(title=title))
    if phase in ("reviewing", "voting", "closed"):
        ops.set_phase(engine, fac, rnd.id, "reviewing")
    if phase in ("voting", "closed"):
        ops.set_phase(engine, fac, rnd.id, "voting")
        if voted:
            for n, token in enumerate(tokens):
                submit_ballot(engine, token, rnd.id, _ballot(method, rnd.id, engine, n))
    if phase == "closed":
        ops.close_round(engine, fac, rnd.id)
    if revealed:
        ops.reveal_results(engine, fac, rnd.id)
    key = projector_key(engine, fac)
    ops.logout_facilitator(engine, fac)
    return ws.id, tokens[0], key


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    tmp = tmp_path_factory.mktemp("e2e-a11y")
    db_url = make_demo_database(tmp / "a11y.sqlite")
    engine = make_engine(db_url)
    w = World(base_url="")
    try:
        proc = ops.create_process(engine, SYSTEM, "Tillgänglighet 2026")
        actors = [ops.add_actor(engine, SYSTEM, proc.id, f"Aktör {g}", g).id for g in HELIX_GROUPS]
        for state in STATES:
            w.workshops[state], w.participants[state], w.projectors[state] = _workshop_in(
                engine, proc.id, actors, state
            )
        demo_roadmap = roadmap_view(engine, SYSTEM, DEMO_ROADMAP)
        lead = demo_roadmap.kpis[0].lead.id
        w.update_token = rmo.issue_links(engine, SYSTEM, demo_roadmap.process_id, [lead])[lead]
    finally:
        engine.dispose()
    with streamlit_server(db_url, tmp / "streamlit.log") as base_url:
        w.base_url = base_url
        yield w


def settled(page: Page) -> None:
    """The run has finished and what it drew has been laid out (charts included). The sign-in form
    is a plain HTML page, not Streamlit: it is complete once loaded."""
    page.wait_for_load_state()
    if page.get_by_test_id("stApp").count() == 0 and page.locator("form").count():
        return
    wait_idle(page)
    expect(page.get_by_test_id("stMain")).to_be_visible()
    charts = page.locator(".js-plotly-plot")
    for i in range(charts.count()):
        expect(charts.nth(i).locator(".main-svg").first).to_be_attached()
    page.wait_for_timeout(500)  # two frames and Streamlit's fade-in of new elements


def audit(page: Page) -> list[str]:
    """axe's serious and critical WCAG 2.1 AA violations, one readable line per element."""
    response = Axe().run(page, options=AXE_OPTIONS).response
    lines = []
    for v in response["violations"]:
        if v["impact"] not in BLOCKING:
            continue
        for node in v["nodes"]:
            summary = " ".join((node.get("failureSummary") or "").split())
            lines.append(f"{v['id']} ({v['impact']}) at {node['target']}: {summary[:300]}")
    return lines


def open_console(page: Page, world: World, state: str) -> None:
    sign_in_organiser(page, world.base_url, *ORGANISER)
    page.goto(f"{world.base_url}/leda")
    wait_idle(page)
    page.locator(f".st-key-fac-open-{world.workshops[state]} button").click()
    expect(page.locator(".st-key-fac-signout")).to_be_visible()


def organiser_page(path: str) -> Callable[[Page, World], None]:
    def go(page: Page, world: World) -> None:
        sign_in_organiser(page, world.base_url, *ORGANISER)
        page.goto(f"{world.base_url}/{path}")

    return go


def participant(state: str) -> Callable[[Page, World], None]:
    def go(page: Page, world: World) -> None:
        page.goto(f"{world.base_url}/?p={world.participants[state]}")

    return go


def projector(state: str, theme: str) -> Callable[[Page, World], None]:
    def go(page: Page, world: World) -> None:
        page.goto(world.base_url)  # a first deep link on a fresh server can miss the router (streamlit#9992)
        wait_idle(page)
        page.goto(f"{world.base_url}/?projector={world.projectors[state]}{'&theme=dark' if theme == 'dark' else ''}")

    return go


def console(state: str) -> Callable[[Page, World], None]:
    def go(page: Page, world: World) -> None:
        open_console(page, world, state)

    return go


def plain(path: str) -> Callable[[Page, World], None]:
    def go(page: Page, world: World) -> None:
        page.goto(f"{world.base_url}/{path}")

    return go


def update_page(page: Page, world: World) -> None:
    page.goto(f"{world.base_url}/?u={world.update_token}")


# screen name -> (viewport, colour scheme, how to get there)
SCREENS: dict[str, tuple[dict, str, Callable[[Page, World], None]]] = {
    "home": (LAPTOP, "light", plain("")),
    "home on a phone, dark": (PHONE, "dark", plain("")),
    "join": (PHONE, "light", plain("anslut")),
    "join by code": (PHONE, "light", lambda page, w: page.goto(f"{w.base_url}/?join=NOSUCH1")),
    "sign in": (LAPTOP, "light", plain("konto/logga-in")),
    **{f"participant, {s}": (PHONE, "light", participant(s)) for s in STATES},
    "participant, voting-dots, dark": (PHONE, "dark", participant("voting-dots")),
    **{f"console, {s}": (LAPTOP, "light", console(s)) for s in ("proposing", "reviewing", "voting-dots", "revealed")},
    "console, dark": (LAPTOP, "dark", console("voted")),
    **{
        f"projector, {s}, {theme}": (PROJECTOR, theme, projector(s, theme))
        for s in ("draft", "proposing", "reviewing", "voting-dots", "closed", "revealed")
        for theme in ("light", "dark")
    },
    "set-up": (LAPTOP, "light", organiser_page("forbered")),
    "results": (LAPTOP, "light", organiser_page("resultat")),
    "roadmaps": (LAPTOP, "light", organiser_page("fardplaner")),
    "account": (LAPTOP, "light", organiser_page("konto")),
    "admin": (LAPTOP, "light", organiser_page("administration")),
    "update page": (LAPTOP, "light", update_page),
}


@pytest.fixture
def screen_context(browser: Browser, request: pytest.FixtureRequest) -> Iterator[BrowserContext]:
    viewport, scheme, _ = SCREENS[request.node.callspec.params["screen"]]
    context = browser.new_context(viewport=viewport, color_scheme=scheme, locale="sv-SE")
    try:
        yield context
    finally:
        context.close()


@pytest.mark.parametrize("screen", list(SCREENS))
def test_axe_finds_no_serious_or_critical_violation_on(screen: str, world: World, screen_context: BrowserContext):
    page = screen_context.new_page()
    SCREENS[screen][2](page, world)
    settled(page)
    expect(page.get_by_test_id("stException")).to_have_count(0)
    found = audit(page)
    if found:
        shot = Path("tests/e2e/artifacts") / f"axe-{screen.replace(', ', '-').replace(' ', '-')}.png"
        shot.parent.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(shot), full_page=True)
    assert not found, f"{screen}: {len(found)} serious or critical WCAG 2.1 AA violations\n" + "\n".join(found)


def test_the_audit_finds_a_violation_it_is_shown(world: World, browser: Browser):
    """The audit can fail: a grey caption on white below 4.5:1 and an image without a text
    alternative, put on a real page, are both found."""
    context = browser.new_context(viewport=LAPTOP)
    try:
        page = context.new_page()
        page.goto(world.base_url)
        settled(page)
        page.evaluate(
            """() => { const main = document.querySelector('[data-testid=stMain]');
                 const p = document.createElement('p'); p.textContent = 'Grå text';
                 p.style.color = '#aaaaaa'; p.style.background = '#ffffff'; main.prepend(p);
                 const img = document.createElement('img'); img.src = 'data:image/gif;base64,R0lGODlhAQABAAAAACw=';
                 img.width = 40; img.height = 40; main.prepend(img); }"""
        )
        rules = {line.split(" ", 1)[0] for line in audit(page)}
        assert {"color-contrast", "image-alt"} <= rules
    finally:
        context.close()
