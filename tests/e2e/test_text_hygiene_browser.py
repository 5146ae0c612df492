"""Text hygiene in a real browser, on a process whose every typed text is hostile Markdown and HTML
(tests/hostile_world.py):

- the red team's `st.metric` link: a KPI unit `[Klicka](http://evil.example/…)` on the lead actor's update
  page and on the roadmap's measurements tab is shown as text: no link or image points at the attacker's
  host, and the browser sends no request there;
- a paste over a field's limit stays in the box (Streamlit's max_chars dropped it whole, and the form then
  said the title was required), and the engine's refusal says the limit and by how much the text is over.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect

from edp.access import SYSTEM
from edp.db import make_engine
from edp.roadmap.views import roadmap_view
from tests.conftest import table_counts
from tests.e2e.screenshot import make_empty_database, sign_in_organiser, streamlit_server, wait_for_app
from tests.hostile_world import ATTACKER, ORGANISER_PASSWORD, World, build, tiny

pytestmark = pytest.mark.browser

# Every element that carries a link or a resource address at the attacker's host (SVG links too).
AT_ATTACKER = """host => [...document.querySelectorAll('*')]
    .filter(e => [...e.attributes].some(a => /(^|:)(href|src|srcset)$/i.test(a.name) && a.value.includes(host)))
    .map(e => e.outerHTML.slice(0, 160))"""


@pytest.fixture(scope="module")
def hostile_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str, World]]:
    folder = tmp_path_factory.mktemp("e2e-hygiene")
    db_url = make_empty_database(folder / "hostile.sqlite")
    engine = make_engine(db_url)
    world = build(engine)
    engine.dispose()
    with streamlit_server(db_url, folder / "streamlit.log") as base_url:
        yield base_url, db_url, world


@pytest.fixture
def watched(browser: Browser) -> Iterator[tuple[BrowserContext, list[str]]]:
    """A browser context that records every request it sends (and may paste)."""
    context = browser.new_context(viewport={"width": 1400, "height": 1000}, permissions=["clipboard-read", "clipboard-write"])  # fmt: skip
    requests: list[str] = []
    context.on("request", lambda r: requests.append(r.url))
    yield context, requests
    context.close()


def main(page: Page):  # noqa: ANN201
    return page.get_by_test_id("stMain")


def assert_nothing_points_at_the_attacker(page: Page, requests: list[str]) -> None:
    assert page.evaluate(AT_ATTACKER, ATTACKER) == []
    assert [u for u in requests if ATTACKER in u] == []
    expect(page.get_by_test_id("stException")).to_have_count(0)


def test_a_markdown_kpi_unit_on_the_update_link_is_text_no_link_no_image_no_request(hostile_server, watched):
    base_url, _, world = hostile_server
    context, requests = watched
    page = context.new_page()
    page.goto(f"{base_url}/?u={world.update_token}")
    wait_for_app(page)
    latest = page.locator('[class*="st-key-plain-metric-upd-kpi-"][class*="-latest"]')
    expect(latest.first).to_contain_text(tiny("unit"))  # the unit, as typed, in the figure
    expect(latest.nth(1)).to_contain_text(f"![i](//{ATTACKER}/u.png)")
    expect(main(page).get_by_text("[K](http://evil.example/activity)", exact=False).first).to_be_visible()
    assert_nothing_points_at_the_attacker(page, requests)


def sign_in_and_open_roadmaps(page: Page, base_url: str) -> None:
    sign_in_organiser(page, base_url, "admin", ORGANISER_PASSWORD)
    page.get_by_test_id("stSidebar").get_by_role("link", name="Färdplaner", exact=True).click()
    expect(main(page).get_by_role("heading", name="Färdplaner", exact=True)).to_be_visible()
    wait_for_app(page)


def test_a_markdown_kpi_unit_on_the_measurements_tab_is_text_no_link_no_image_no_request(hostile_server, watched):
    base_url, db_url, world = hostile_server
    context, requests = watched
    page = context.new_page()
    sign_in_and_open_roadmaps(page, base_url)
    page.get_by_role("tab", name="Mätningar", exact=True).click()
    kpis = roadmap_view(make_engine(db_url), SYSTEM, world.roadmap_id).kpis
    latest = page.locator(f".st-key-plain-metric-rm-kpi-{kpis[0].id}-latest")
    expect(latest).to_contain_text(tiny("unit"))
    assert_nothing_points_at_the_attacker(page, requests)

    main(page).locator(f".st-key-rm-kpi-{world.roadmap_id}").get_by_role("combobox").click()
    page.get_by_role("option").nth(1).click()  # the KPI whose unit is an image
    wait_for_app(page)
    expect(page.locator(f".st-key-plain-metric-rm-kpi-{kpis[1].id}-target")).to_contain_text(
        f"![i](//{ATTACKER}/u.png)"
    )
    assert_nothing_points_at_the_attacker(page, requests)


def paste(page: Page, box_selector: str, text: str) -> None:
    """Paste `text` into the box as a person does: through the clipboard, with Ctrl+V."""
    page.evaluate("text => navigator.clipboard.writeText(text)", text)
    box = page.locator(box_selector)
    box.click()
    box.press("Control+V")
    expect(box).to_have_value(text)  # the whole paste is in the box


def test_a_comment_pasted_over_its_limit_stays_and_is_refused_saying_by_how_much(hostile_server, watched):
    base_url, db_url, world = hostile_server
    context, _ = watched
    engine = make_engine(db_url)
    activity = roadmap_view(engine, SYSTEM, world.roadmap_id).activities[0]
    page = context.new_page()
    page.goto(f"{base_url}/?u={world.update_token}")
    wait_for_app(page)
    before = table_counts(engine)

    paste(page, f".st-key-upd-act-{activity.id}-0-comment input", "x" * 1012)
    page.locator(f".st-key-upd-act-{activity.id}").get_by_role("button", name="Spara status").click()
    expect(
        main(page).get_by_text("Kommentar får vara högst 1000 tecken men är 1012, alltså 12 för många.")
    ).to_be_visible()
    expect(page.locator(f".st-key-upd-act-{activity.id}-0-comment input")).to_have_value("x" * 1012)  # kept
    assert table_counts(engine) == before


def test_a_workshop_title_pasted_over_its_limit_stays_and_is_refused_not_called_missing(hostile_server, watched):
    base_url, db_url, _ = hostile_server
    context, _ = watched
    engine = make_engine(db_url)
    page = context.new_page()
    sign_in_organiser(page, base_url, "admin", ORGANISER_PASSWORD)
    page.get_by_test_id("stSidebar").get_by_role("link", name="Förbered", exact=True).click()
    wait_for_app(page)
    before = table_counts(engine)

    main(page).get_by_text("Ny workshop", exact=True).click()  # the process has workshops: the form is folded
    paste(page, ".st-key-setup-w-title-0 input", "Besöksnäring " * 20)  # 260 characters, 259 once trimmed
    page.locator(".st-key-setup-w-pass-0 input").fill("ett-långt-lösenord")
    page.locator(".st-key-setup-w-pass2-0 input").fill("ett-långt-lösenord")
    page.get_by_role("button", name="Skapa workshoppen", exact=True).click()
    expect(main(page).get_by_text("Rubrik får vara högst 200 tecken men är 259, alltså 59 för många.")).to_be_visible()
    expect(main(page).get_by_text("Rubrik måste fyllas i.")).to_have_count(0)
    expect(page.locator(".st-key-setup-w-title-0 input")).to_have_value("Besöksnäring " * 20)
    assert table_counts(engine) == before
