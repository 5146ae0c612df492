"""The process leader's roadmap tables in a real browser, with the keyboard alone and in Swedish: an
activity added through its form with Tab, typing, the arrow keys in the select boxes and Enter, then
found stored; and none of Streamlit's own English words on the Swedish page, even with the menus open
and the pointer over the lists."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Locator, Page, expect

from edp.access import SYSTEM
from edp.db import make_engine
from edp.demo import DEMO_ORGANISER, DEMO_PASSWORD_DEFAULT
from edp.queries import overview
from edp.roadmap.views import roadmap_summaries, roadmap_view
from tests.e2e.screenshot import make_demo_database, sign_in_organiser, streamlit_server, wait_for_app, wait_idle
from tests.e2e.test_accessibility_browser import audit

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "tests" / "e2e" / "artifacts"
ENGLISH = ("Choose an option", "Choose options", "Select all", "Add row", "Download as CSV", "Search")
TITLE = "Åretrunt-verkstad för kulturarv"  # typed at once into a fresh field: every letter must arrive


@pytest.fixture(scope="module")
def leader_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str]]:
    """Its own demo database and server: this module writes an activity, the other browser tests must not see it."""
    folder = tmp_path_factory.mktemp("e2e-roadmap-keyboard")
    db_url = make_demo_database(folder / "demo.sqlite")
    with streamlit_server(db_url, folder / "streamlit.log") as base_url:
        yield base_url, db_url


@pytest.fixture
def leader(browser: Browser, leader_server) -> Iterator[Page]:
    context = browser.new_context(viewport={"width": 1280, "height": 800}, locale="sv-SE")
    page = context.new_page()
    sign_in_organiser(page, leader_server[0], DEMO_ORGANISER, DEMO_PASSWORD_DEFAULT)
    page.get_by_test_id("stSidebar").get_by_role("link", name="Färdplaner", exact=True).click()
    wait_for_app(page)
    expect(page.get_by_role("tab", name="Aktiviteter", exact=True)).to_be_visible()
    # The whole page drawn (its last tab's button is there) and the run over, so no element is replaced later.
    expect(page.locator(".st-key-rm-make-reports")).to_be_attached()
    wait_idle(page)
    yield page
    context.close()


def first_roadmap(db_url: str) -> int:
    """The roadmap the page shows first (the process's first)."""
    engine = make_engine(db_url)
    try:
        return roadmap_summaries(engine, SYSTEM, overview(engine)[0]["id"])[0].id
    finally:
        engine.dispose()


FOCUSED = "() => [document.activeElement.tagName, document.activeElement.getAttribute('aria-label')].join(' ')"


def has_focus(target: Locator) -> bool:
    return target.evaluate("e => e === document.activeElement || e.contains(document.activeElement)")


def tab_to(page: Page, target: Locator, limit: int = 40) -> None:
    """Press Tab until the focus is in `target` (never a click)."""
    passed = []
    for _ in range(limit):
        page.keyboard.press("Tab")
        if has_focus(target):
            return
        passed.append(page.evaluate(FOCUSED))
    raise AssertionError(f"Tab never reached {target}; it went {passed}")


def field(page: Page, key: str, inner: str = "input") -> Locator:
    return page.locator(f".st-key-{key} {inner}").first


def test_an_activity_added_with_the_keyboard_alone_is_stored(leader: Page, leader_server):
    page, (_, db_url) = leader, leader_server
    rid = first_roadmap(db_url)
    engine = make_engine(db_url)
    try:
        before = roadmap_view(engine, SYSTEM, rid)
    finally:
        engine.dispose()
    form = f"rm-f-{rid}-activities-new-0"

    # To the Activities tab with the arrow keys (the tab list is one Tab stop).
    page.get_by_role("tab", name="Översikt", exact=True).focus()
    page.keyboard.press("ArrowRight")
    page.keyboard.press("ArrowRight")
    page.keyboard.press("Enter")
    expect(page.get_by_role("tab", name="Aktiviteter", exact=True)).to_have_attribute("aria-selected", "true")
    wait_idle(page)

    expect(page.locator(f".st-key-{form}-end [role='spinbutton']").first).to_be_attached()  # the date fields loaded
    picker = page.locator(f".st-key-rm-row-{rid}-activities input")
    tab_to(page, picker)
    expect(picker).to_have_attribute("aria-label", "Välj aktivitet att ändra")

    # The goal: the arrow keys in the list, Enter picks; then the arrow keys and typing go on working.
    page.keyboard.press("Tab")
    goal = field(page, f"{form}-goal")
    assert has_focus(goal)
    page.keyboard.press("ArrowDown")
    page.keyboard.press("ArrowDown")
    page.keyboard.press("Enter")
    expect(goal).to_have_value(before.goals[1].title)
    tab_to(page, field(page, f"{form}-title"))  # past the box's clear button
    page.keyboard.type(TITLE)
    page.keyboard.press("Tab")
    page.keyboard.type("Planerad med tangentbordet.")

    # The dates: typed into the date fields, segment by segment (year, month, day).
    tab_to(page, page.locator(f".st-key-{form}-start [role='spinbutton']").first)
    page.keyboard.type("20270301")
    tab_to(page, page.locator(f".st-key-{form}-end [role='spinbutton']").first)
    page.keyboard.type("20270930")

    # The status stays Planerad; the lead actor with the arrow keys.
    lead = field(page, f"{form}-lead_actor")
    tab_to(page, lead)
    page.keyboard.press("ArrowDown")
    page.keyboard.press("ArrowDown")
    page.keyboard.press("ArrowDown")
    page.keyboard.press("Enter")
    chosen_lead = lead.input_value()
    tab_to(page, field(page, f"{form}-budget_sek"))
    page.keyboard.type("50 000")

    save = page.get_by_role("button", name="Spara den nya aktiviteten", exact=True)
    tab_to(page, save)
    page.keyboard.press("Enter")
    wait_idle(page)
    expect(page.get_by_text("Aktiviteten är tillagd.", exact=True)).to_be_in_viewport()  # by the form, not out of sight
    expect(page.get_by_test_id("stException")).to_have_count(0)

    engine = make_engine(db_url)
    try:
        after = roadmap_view(engine, SYSTEM, rid)
    finally:
        engine.dispose()
    [added] = [a for a in after.activities if a.id not in {b.id for b in before.activities}]
    assert added.title == TITLE  # not a letter lost
    assert added.description == "Planerad med tangentbordet."
    assert (added.start, added.end) == (dt.date(2027, 3, 1), dt.date(2027, 9, 30))
    assert added.goal_id == before.goals[1].id  # the second goal: two steps down the list
    assert added.lead.name == chosen_lead and added.budget_sek == 50000 and added.status == "planned"
    assert len(after.activities) == len(before.activities) + 1
    # The list above the form shows it, and the form is empty for the next one.
    expect(page.locator(f".st-key-plain-body-rm-rows-{rid}-activities")).to_contain_text(TITLE)
    expect(field(page, f"rm-f-{rid}-activities-new-1-title")).to_have_value("")
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "roadmap-activity-keyboard.png"), animations="disabled", caret="hide")
    assert audit(page) == []  # the form, its list and its confirmation: no serious or critical WCAG violation


def visible_english(page: Page) -> list[str]:
    """Streamlit's own English words anywhere the user can see them: text, tooltips, placeholders."""
    return page.evaluate(
        """words => {
            const seen = [];
            for (const e of document.querySelectorAll('body *')) {
                const r = e.getBoundingClientRect(), s = getComputedStyle(e);
                if (!r.width || !r.height || s.visibility === 'hidden' || s.display === 'none') continue;
                const own = [...e.childNodes].filter(n => n.nodeType === 3).map(n => n.textContent).join(' ');
                const shown = e.value ? null : e.getAttribute('placeholder');  // a placeholder shows in an empty box
                for (const text of [own, shown, e.getAttribute('title')]) {
                    for (const w of words) if (text && text.includes(w)) seen.push(w + ' <' + e.tagName + '>');
                }
            }
            return seen;
        }""",
        list(ENGLISH),
    )


def test_no_english_streamlit_words_on_the_swedish_roadmap_page(leader: Page, leader_server):
    page = leader
    rid = first_roadmap(leader_server[1])
    form = f"rm-f-{rid}-activities-new-0"
    # The overview's table (the tabs' tables are drawn too, hidden until their tab is chosen).
    overview_table = page.locator("[data-testid='stDataFrame']:visible").first
    expect(overview_table).to_be_visible()
    overview_table.hover()  # where Streamlit would show its table toolbar
    assert visible_english(page) == []
    # Every select box of the page has our own placeholder: it shows as soon as the user clears the box to search.
    english_placeholders = page.get_by_test_id("stMain").locator(
        "input[placeholder='Choose an option'], input[placeholder='Choose options']"
    )
    expect(english_placeholders).to_have_count(0)
    expect(page.get_by_role("button", name="Download as CSV")).to_have_count(0)
    expect(page.get_by_role("button", name="Search")).to_have_count(0)

    page.get_by_role("tab", name="Aktiviteter", exact=True).click()
    expect(page.get_by_role("tab", name="Aktiviteter", exact=True)).to_have_attribute("aria-selected", "true")
    wait_idle(page)
    lead = field(page, f"{form}-lead_actor")
    expect(lead).to_have_attribute("placeholder", "Välj ansvarig aktör")
    expect(lead).to_be_visible()
    lead.focus()
    assert has_focus(lead), page.evaluate(FOCUSED)
    page.keyboard.press("ArrowDown")  # opens the list
    expect(page.get_by_role("option").first).to_be_visible()
    assert visible_english(page) == []
    page.keyboard.press("Escape")
    partners = field(page, f"{form}-partners")
    partners.focus()
    page.keyboard.press("ArrowDown")
    expect(page.get_by_role("option").first).to_be_visible()
    expect(page.get_by_role("option", name="Select all")).to_have_count(0)
    assert visible_english(page) == []
    page.keyboard.press("Escape")
    expect(page.get_by_role("button", name="Add row")).to_have_count(0)
    expect(page.get_by_test_id("stDataFrameGlideDataEditor")).to_have_count(0)  # no grid unless asked for
    for tab in ("Mål", "Delmål", "Nyckeltal", "Mätningar", "Uppföljning"):
        page.get_by_role("tab", name=tab, exact=True).click()
        wait_idle(page)
        for table in page.locator("[data-testid='stTabPanel']:visible [data-testid='stDataFrame']").all():
            table.hover()
            assert visible_english(page) == [], tab
    assert visible_english(page) == []
