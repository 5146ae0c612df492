"""The red team's "join flood -> console", replayed in a real browser: one person joins many times and
sends the same proposals from each join, while the room proposes its own themes; several hundred
proposals in all. The facilitator's console must still load at 1280x720, suggest the flood's copies
as duplicates, and merge a group from the suggestion, which the projector then shows.

Before the console was paged (issue 10), it did not load at all with 300 proposals.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, Page, expect

from bench.titles import proposal_titles
from edp import workshop as ops
from edp.access import SYSTEM
from edp.db import make_engine
from edp.live import projector_key
from edp.models import HELIX_GROUPS
from tests.e2e.screenshot import ROOT, make_empty_database, streamlit_server, wait_for_app, wait_idle

pytestmark = pytest.mark.browser

ARTIFACTS = ROOT / "tests" / "e2e" / "artifacts"
PASSCODE = "flod-och-fjäll-26"
WORKSHOP = "Flodvågen"
FLOOD_JOINS = 60  # one person, sixty joins
# What the flood sends from every join; the first is typed in capitals from every other join.
FLOOD = ["Gratis kaffe till alla", "Mer parkering vid Storsjön", "**Fet** [länk](http://evil.example)"]
ROOM = 120  # participants proposing a theme each
TOTAL = FLOOD_JOINS * len(FLOOD) + ROOM
LAPTOP = {"width": 1280, "height": 720}


@pytest.fixture(scope="module")
def flooded(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, int, str]]:
    """(base URL, workshop id, projector key): a server on a workshop in review with TOTAL proposals."""
    tmp = tmp_path_factory.mktemp("e2e-flood")
    db_url = make_empty_database(tmp / "flood.sqlite")
    engine = make_engine(db_url)
    try:
        proc = ops.create_process(engine, SYSTEM, "Upplevelser")
        actors = [ops.add_actor(engine, SYSTEM, proc.id, f"Aktör {g}", g).id for g in HELIX_GROUPS]
        ws = ops.create_workshop(engine, SYSTEM, proc.id, WORKSHOP, PASSCODE)
        fac = ops.login_facilitator(engine, ws.id, PASSCODE)
        rnd = ops.add_round(engine, fac, ops.RoundSpec(method="dots", dots_per_participant=5, max_dots_per_theme=3))
        ops.set_phase(engine, fac, rnd.id, "proposing")
        for n in range(FLOOD_JOINS):
            token = ops.join(engine, ws.join_code, "Flod", actor_id=actors[0]).token
            for i, title in enumerate(FLOOD):
                typed = title.upper() if i == 0 and n % 2 else title
                ops.propose(engine, token, rnd.id, ops.ThemeInput(title=typed))
        for n, title in enumerate(proposal_titles(ROOM, duplicate_share=0, seed=7)):
            token = ops.join(engine, ws.join_code, f"Deltagare {n}", actor_id=actors[n % len(actors)]).token
            ops.propose(engine, token, rnd.id, ops.ThemeInput(title=title.text))
        ops.set_phase(engine, fac, rnd.id, "reviewing")
        key = projector_key(engine, fac)
        ops.logout_facilitator(engine, fac)
    finally:
        engine.dispose()
    with streamlit_server(db_url, tmp / "streamlit.log") as base_url:
        yield base_url, ws.id, key


def sign_in(page: Page, base_url: str) -> None:
    page.goto(base_url)
    wait_for_app(page)
    page.get_by_test_id("stSidebar").get_by_role("link", name="Leda workshop", exact=True).click()
    page.get_by_role("textbox", name="Lösenkod").fill(PASSCODE)
    page.get_by_role("button", name="Logga in").click()


def no_live_markup(page: Page) -> None:
    """Typed Markdown stays text: no link to the address typed, nothing made bold from it."""
    expect(page.locator("a[href*='evil.example']")).to_have_count(0)
    expect(page.locator("strong, b").filter(has_text="Fet")).to_have_count(0)
    expect(page.get_by_test_id("stException")).to_have_count(0)


def test_the_console_loads_after_a_join_flood_and_merges_the_copies_from_a_suggestion(
    browser: Browser, flooded: tuple[str, int, str]
) -> None:
    base_url, workshop_id, key = flooded
    projector = browser.new_context(viewport=LAPTOP).new_page()
    projector.goto(f"{base_url}/?projector={key}")
    proposals_shown = projector.get_by_test_id("stMetric").filter(has_text="Förslag").get_by_test_id("stMetricValue")
    expect(proposals_shown).to_have_text(str(TOTAL))
    # Far more than fit one screen: the projector pages through them by itself, a screenful at a time.
    expect(projector.get_by_role("heading", name=re.compile(r"sida \d+ av \d+"))).to_be_visible()
    on_screen = projector.locator(".st-key-proj-themes [data-testid='stText']")
    expect(on_screen.first).to_be_visible()
    assert on_screen.count() < TOTAL

    fac = browser.new_context(viewport=LAPTOP).new_page()
    sign_in(fac, base_url)
    # The console loads, within expect's own timeout (before issue 10 it never did with 300 proposals).
    main = fac.get_by_test_id("stMain")
    expect(main.get_by_text(f"Omgång 1: {TOTAL} aktiva, 0 sammanslagna, 0 tillbakadragna teman.")).to_be_visible()
    expect(main.get_by_text(f"Visar 1–20 av {TOTAL} teman.")).to_be_visible()
    expect(fac.locator("[class*='st-key-theme-']")).to_have_count(20)  # one page of cards, not all of them
    expect(fac.get_by_role("combobox", name="Slå samman med")).to_have_count(0)  # no picker until asked
    suggestions = fac.locator(".st-key-dup-suggestions")
    expect(suggestions.get_by_text(f"{len(FLOOD)} grupper med nästan samma rubrik", exact=False)).to_be_visible()
    wait_idle(fac)
    # Usable on a laptop screen: nothing wider than the window.
    assert fac.evaluate("document.documentElement.scrollWidth") <= LAPTOP["width"]
    no_live_markup(fac)

    # Merge the copies of the flood's second proposal from its suggestion.
    group = fac.locator("[class*='st-key-dup-group-']").filter(has=fac.get_by_text(f"• {FLOOD[1]}", exact=False))
    expect(group).to_have_count(1)
    group.get_by_role("button", name="Slå samman…").click()
    preview = group.locator("[class*='st-key-merge-preview-']")
    expect(preview).to_contain_text("Rubriken som behålls:")
    expect(preview.get_by_text(FLOOD[1], exact=True)).to_be_visible()
    expect(preview).to_contain_text("Inga röstsedlar påverkas.")
    expect(proposals_shown).to_have_text(str(TOTAL))  # the preview alone changes nothing
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    group.screenshot(path=str(ARTIFACTS / "console-flood-group.png"))
    group.get_by_role("button", name=f"Slå samman {FLOOD_JOINS} förslag").click()
    done = f"{FLOOD_JOINS} förslag är sammanslagna till ett."
    expect(main.get_by_test_id("stAlertContentSuccess").filter(has_text=done)).to_be_visible()
    merged = TOTAL - FLOOD_JOINS + 1
    expect(main.get_by_text(re.compile(rf"^Omgång 1: {merged} aktiva, {FLOOD_JOINS - 1} sammanslagna"))).to_be_visible()
    expect(suggestions.get_by_text(f"{len(FLOOD) - 1} grupper med nästan samma rubrik", exact=False)).to_be_visible()

    # The projector follows by itself: the flood's copies are one theme now.
    expect(proposals_shown).to_have_text(str(merged))
    flood_on_projector = projector.locator(".st-key-proj-themes").get_by_text(f"• {FLOOD[1]}", exact=True)
    assert flood_on_projector.count() <= 1  # one theme now, on whichever page is showing
    no_live_markup(fac)
    no_live_markup(projector)
    fac.screenshot(path=str(ARTIFACTS / "console-flood.png"))
