"""The red team's way in and its lockout, replayed in a real browser on the demo (issue 10):

- A visitor in the room opened Set up, made a workshop in the existing process "Upplevelser" with a
  passcode of their own, and was then the process's leader: every roadmap, new update links for its
  lead actors, a deleted roadmap, renamed actors. Now a visitor reaches none of it, a co-facilitator
  with one workshop's passcode gets that console and nothing more, and an observer reads the
  roadmaps without a way to change, delete or issue anything.
- Five wrong passcodes from a visitor, then a reload, locked the real facilitator out. Now the
  visitor's session is refused, the facilitator's right passcode still opens the console, and when
  a flood of sessions has locked the passcode itself, the facilitator's own account still does.

The engine's side of each step (every operation refuses the wrong principal, whatever a page shows)
is tests/unit/test_roles.py; this is what a person in the room sees."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, Page, expect
from sqlalchemy import func, select

from edp import accounts, demo, throttle
from edp.access import SYSTEM
from edp.db import make_engine, read
from edp.models import Actor, Attempt, Roadmap, Workshop
from edp.queries import overview
from tests.e2e.screenshot import APP_TIMEOUT_MS, make_demo_database, sign_in_organiser, streamlit_server, wait_for_app
from tests.e2e.test_workshop_browser import main

pytestmark = pytest.mark.browser

OBSERVER, OBSERVER_PASSWORD = "olle.observatör", "myrstack-lingon-2026"
ORGANISER_PAGES = ("Förbered", "Färdplaner", "Administration", "Anmälningar")
WRONG = "fel-lösenkod-1"
CONSOLE = ".st-key-phase-driver"  # only an open console drives the phases


@pytest.fixture(scope="module")
def demo_room(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str]]:
    """(base URL, database URL) of a server on its own demo database (the lockout test spends the
    demo passcode's attempts, which no other test may share), with an observer of the process."""
    tmp = tmp_path_factory.mktemp("e2e-red-team")
    db_url = make_demo_database(tmp / "demo.sqlite")
    engine = make_engine(db_url)
    try:
        [process] = overview(engine)
        user = accounts.create_user(
            engine, SYSTEM, OBSERVER, display_name="Olle Observatör", password=OBSERVER_PASSWORD
        )
        accounts.grant_role(engine, SYSTEM, user, "observer", process_id=process["id"])
    finally:
        engine.dispose()
    with streamlit_server(db_url, tmp / "streamlit.log") as base_url:
        yield base_url, db_url


def snapshot(db_url: str) -> tuple[list, list, list]:
    """What the red team changed: the workshops, the roadmaps and the actors' names."""
    engine = make_engine(db_url)
    try:
        with read(engine) as s:
            return (
                s.execute(select(Workshop.id, Workshop.title, Workshop.passcode_hash).order_by(Workshop.id)).all(),
                s.execute(select(Roadmap.id, Roadmap.title).order_by(Roadmap.id)).all(),
                s.execute(select(Actor.id, Actor.name).order_by(Actor.id)).all(),
            )
    finally:
        engine.dispose()


def sidebar(page: Page):  # noqa: ANN201
    return page.get_by_test_id("stSidebar")


def no_organiser_page_reachable(page: Page, base_url: str, menu: tuple[str, ...] = ORGANISER_PAGES) -> None:
    """Not in the menu; by its address, each organiser page says to sign in and shows nothing else."""
    for label in menu:
        expect(sidebar(page).get_by_role("link", name=label, exact=True)).to_have_count(0)
    for path in ("forbered", "fardplaner", "administration"):
        page.goto(f"{base_url}/{path}")
        wait_for_app(page)
        expect(main(page).get_by_text("Logga in som arrangör", exact=False)).to_be_visible()
        expect(main(page).get_by_role("link", name="Logga in", exact=True)).to_be_visible()
        expect(main(page).get_by_role("button")).to_have_count(0)
        expect(main(page).get_by_role("textbox")).to_have_count(0)
        expect(main(page).get_by_text("Ta bort färdplanen", exact=True)).to_have_count(0)
        expect(main(page).get_by_text("Upplevelser", exact=False)).to_have_count(0)  # not even the process's name
        for label in menu:
            expect(sidebar(page).get_by_role("link", name=label, exact=True)).to_have_count(0)


def failed_passcodes(db_url: str) -> int:
    engine = make_engine(db_url)
    try:
        with read(engine) as s:
            return s.scalar(select(func.count()).select_from(Attempt).where(Attempt.kind == "wrong_passcode"))
    finally:
        engine.dispose()


def passcode_sign_in(page: Page, base_url: str, passcode: str, *, reload: bool = True) -> None:
    """Submit the console's passcode form; `reload=False` stays in the page's Streamlit session."""
    if reload:
        page.goto(f"{base_url}/leda")
        wait_for_app(page)
    main(page).get_by_label("Lösenkod", exact=True).fill(passcode)
    main(page).get_by_role("button", name="Logga in", exact=True).click()
    wait_for_app(page)


def wrong_passcode(page: Page, base_url: str, db_url: str, *, reload: bool) -> bool:
    """One wrong passcode; True once it is counted (refused as wrong), False if it was throttled."""
    before = failed_passcodes(db_url)
    passcode_sign_in(page, base_url, WRONG, reload=reload)
    throttled = main(page).get_by_text("För många misslyckade försök.", exact=False)
    deadline = time.monotonic() + APP_TIMEOUT_MS / 1000
    while time.monotonic() < deadline:
        if failed_passcodes(db_url) == before + 1:
            expect(main(page).get_by_text("Fel lösenkod.", exact=True)).to_be_visible()
            return True
        if throttled.count():
            assert failed_passcodes(db_url) == before  # a refused try is not counted again
            return False
        time.sleep(0.1)
    raise AssertionError("a wrong passcode was neither counted nor throttled")


def test_red_team_a_visitor_a_co_facilitator_and_an_observer_cannot_take_over_the_process(
    browser: Browser, demo_room
) -> None:
    base_url, db_url = demo_room
    before = snapshot(db_url)

    # 1. A visitor in the room: no set-up, no roadmaps, not by the sidebar, not by the address.
    visitor = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
    visitor.goto(base_url)
    wait_for_app(visitor)
    no_organiser_page_reachable(visitor, base_url)

    # 2. A co-facilitator with the demo workshop's passcode: that console, and no organiser page.
    passcode_sign_in(visitor, base_url, demo.DEMO_PASSCODE_DEFAULT)
    expect(main(visitor).locator(CONSOLE)).to_be_visible()
    no_organiser_page_reachable(visitor, base_url, menu=("Förbered", "Färdplaner", "Administration"))
    visitor.context.close()

    # 3. An observer of the process: reads the roadmaps, may change, delete or issue nothing, leads nothing.
    observer = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
    sign_in_organiser(observer, base_url, OBSERVER, OBSERVER_PASSWORD)
    sidebar(observer).get_by_role("link", name="Färdplaner", exact=True).click()
    wait_for_app(observer)
    expect(main(observer).get_by_text("Bara processledaren kan ändra dem.", exact=False)).to_be_visible()
    expect(main(observer).get_by_text("Ta bort färdplanen", exact=True)).to_have_count(0)
    expect(main(observer).get_by_text("Uppdateringslänkar för ansvariga aktörer", exact=True)).to_have_count(0)
    expect(main(observer).get_by_text("Ny färdplan", exact=False)).to_have_count(0)
    sidebar(observer).get_by_role("link", name="Förbered", exact=True).click()
    wait_for_app(observer)
    expect(main(observer).get_by_text("Du leder ingen process än.", exact=False)).to_be_visible()
    expect(main(observer).get_by_role("button", name="Skapa workshoppen")).to_have_count(0)
    expect(sidebar(observer).get_by_role("link", name="Administration", exact=True)).to_have_count(0)
    observer.context.close()

    assert snapshot(db_url) == before  # no workshop made, no roadmap deleted, no actor renamed


def test_an_organiser_who_signs_in_from_an_organiser_page_comes_back_to_it(browser: Browser, demo_room) -> None:
    base_url, _ = demo_room
    page = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
    page.goto(base_url)  # a fresh server answers its first deep link with "page not found" (Streamlit #9992)
    wait_for_app(page)
    page.goto(f"{base_url}/fardplaner")
    wait_for_app(page)
    main(page).get_by_role("link", name="Logga in", exact=True).click()
    wait_for_app(page)
    main(page).get_by_role("link", name="Logga in med lösenord", exact=True).click()
    page.get_by_label("Användarnamn").fill(OBSERVER)
    page.get_by_label("Lösenord").fill(OBSERVER_PASSWORD)
    page.get_by_role("button", name="Logga in").click()
    wait_for_app(page)
    expect(page).to_have_url(re.compile(rf"{re.escape(base_url)}/fardplaner(\?roadmap=\d+)?"))
    expect(main(page).get_by_role("heading", name="Färdplaner", exact=True)).to_be_visible()
    expect(sidebar(page).get_by_role("link", name="Mitt konto", exact=True)).to_be_visible()

    page.context.close()

    # A next address off this site brings nobody elsewhere: the password link then goes to Start.
    page = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
    page.goto(f"{base_url}/inloggning?next=//evil.example/x")
    wait_for_app(page)
    href = main(page).get_by_role("link", name="Logga in med lösenord", exact=True).get_attribute("href") or ""
    assert "evil" not in href and "next=/&" in href, href
    page.context.close()


def test_red_team_wrong_passcodes_from_a_visitor_do_not_lock_the_facilitator_out(browser: Browser, demo_room) -> None:
    base_url, db_url = demo_room
    per_session, per_passcode = throttle.PASSCODES.per_session.count, throttle.PASSCODES.per_scope.count

    # The red team's five wrong passcodes: then that session is refused, even the right passcode.
    visitor = browser.new_context().new_page()
    visitor.goto(f"{base_url}/leda")
    wait_for_app(visitor)
    for n in range(per_session):
        assert wrong_passcode(visitor, base_url, db_url, reload=False), f"wrong passcode {n + 1} was not counted"
    passcode_sign_in(visitor, base_url, demo.DEMO_PASSCODE_DEFAULT, reload=False)
    expect(main(visitor).get_by_text("För många misslyckade försök.", exact=False)).to_be_visible()
    expect(main(visitor).locator(CONSOLE)).to_have_count(0)
    visitor.context.close()

    # Then a reload, and the real facilitator in the room: the right passcode opens the console.
    facilitator = browser.new_context().new_page()
    passcode_sign_in(facilitator, base_url, demo.DEMO_PASSCODE_DEFAULT)
    expect(main(facilitator).locator(CONSOLE)).to_be_visible()
    facilitator.context.close()

    # A flood from fresh sessions (a reload each time) locks the passcode itself for a few minutes,
    # after per_passcode wrong tries in all ...
    flood = browser.new_context().new_page()
    counted = per_session
    while wrong_passcode(flood, base_url, db_url, reload=True):
        counted += 1
        assert counted <= per_passcode, "the passcode was never locked"
    assert counted == per_passcode
    passcode_sign_in(flood, base_url, demo.DEMO_PASSCODE_DEFAULT)
    expect(main(flood).locator(CONSOLE)).to_have_count(0)
    flood.context.close()

    # ... but the facilitator's own account is not the passcode, and still opens the console.
    organiser = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
    sign_in_organiser(organiser, base_url, demo.DEMO_ORGANISER, demo.DEMO_PASSWORD_DEFAULT)
    sidebar(organiser).get_by_role("link", name="Leda workshop", exact=True).click()
    wait_for_app(organiser)
    main(organiser).get_by_role("button", name="Öppna konsolen").first.click()
    wait_for_app(organiser)
    expect(main(organiser).locator(CONSOLE)).to_be_visible()
    organiser.context.close()
