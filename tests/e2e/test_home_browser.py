"""The home page in a real browser: the demo, no exception, the language switch, typed text shown literally."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Locator, Page, expect

from edp import workshop as ops
from edp.access import SYSTEM
from edp.db import make_engine, upgrade
from tests.e2e.screenshot import streamlit_server, wait_for_app
from tests.factory import PASSCODE

pytestmark = pytest.mark.browser

DEMO_TITLE = "Upplevelser: kulturarv och kulturella och kreativa branscher"
JOIN_CODE = "JAMT26"
# For checks made once the run has finished (wait_for_app): the page is complete, so a wrong value will not change.
SETTLED_MS = 2_000


def no_error_shown(page: Page) -> None:
    """Call once the run has finished: an exception or an st.error would be on the page by then."""
    wait_for_app(page)
    expect(page.locator("[data-testid='stException']")).to_have_count(0)
    expect(page.locator("[data-testid='stAlertContentError']")).to_have_count(0)


def test_home_shows_demo_process_and_join_code(page: Page, app_url: str):
    page.goto(app_url)
    main = page.get_by_test_id("stMain")

    expect(main.get_by_text(DEMO_TITLE, exact=True)).to_be_visible()
    expect(main.get_by_text(re.compile(rf"\b{JOIN_CODE}\b"))).to_be_visible()
    expect(main.get_by_role("heading", name="Processer", exact=True)).to_be_visible()
    no_error_shown(page)


def test_on_a_phone_the_home_page_has_a_labelled_way_to_join(browser: Browser, app_url: str):
    """The sidebar is folded away on a phone: the way in must be on the page itself."""
    context = browser.new_context(viewport={"width": 390, "height": 844})
    try:
        phone = context.new_page()
        phone.goto(app_url)
        wait_for_app(phone)
        expect(phone.get_by_test_id("stSidebar")).not_to_be_in_viewport()
        link = phone.get_by_test_id("stMain").get_by_role("link", name="Gå med i en workshop")
        expect(link).to_be_in_viewport()
        link.click()
        expect(phone.get_by_test_id("stMain").get_by_role("heading", name="Gå med i workshopen")).to_be_visible()
        expect(phone.get_by_label("Anslutningskod")).to_be_visible()
        no_error_shown(phone)
    finally:
        context.close()


def test_switching_language_to_english_in_sidebar(page: Page, app_url: str):
    page.goto(app_url)
    main = page.get_by_test_id("stMain")
    sidebar = page.get_by_test_id("stSidebar")
    expect(main.get_by_role("heading", name="Processer", exact=True)).to_be_visible()

    sidebar.get_by_role("combobox", name="Språk").click()
    page.get_by_role("option", name="English", exact=True).click()

    expect(main.get_by_role("heading", name="Processes", exact=True)).to_be_visible()
    expect(main.get_by_role("heading", name="Processer", exact=True)).to_have_count(0)
    expect(sidebar.get_by_role("combobox", name="Language")).to_have_value("English")
    expect(main.get_by_text(f"Open – join code {JOIN_CODE}")).to_be_visible()
    no_error_shown(page)


# --- Text a user typed, as the browser renders it --------------------------------------------------------------

LITERAL = {
    "markup": "**Fet** <b>x</b> [länk](e.se) _kursiv_ `kod` ~~s~~ $x^2$",
    "streamlit": ":red[röd] :smile: <script>alert(1)</script> # inte rubrik",
    "character references": "Pris &lt;100&gt; &amp; mer",
    "material icon": "Ikon :material/home: här",
    "bare url": "Se http://e.se",
}


@pytest.fixture(scope="module")
def typed_titles(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, dict[str, int]]]:
    """A server on a database whose process titles are user text full of markup; yields (URL, title -> id)."""
    tmp = tmp_path_factory.mktemp("e2e-typed")
    url = f"sqlite:///{tmp / 'typed.sqlite'}"
    engine = make_engine(url)
    upgrade(engine)
    ids = {}
    for title in LITERAL.values():
        proc = ops.create_process(engine, SYSTEM, title)
        ops.create_workshop(engine, SYSTEM, proc.id, title, PASSCODE, venue=title)
        ids[title] = proc.id
    engine.dispose()
    with streamlit_server(url, Path(tmp) / "streamlit.log") as base_url:
        yield base_url, ids


def process_title(page: Page, process_id: int) -> Locator:
    return page.locator(f".st-key-plain-title-process-{process_id} [data-testid='stText']")


@pytest.mark.parametrize("typed", LITERAL.values(), ids=LITERAL.keys())
def test_typed_title_is_shown_literally(page: Page, typed_titles, typed: str):
    base_url, ids = typed_titles
    page.goto(base_url)
    wait_for_app(page)
    title = process_title(page, ids[typed])
    expect(title).to_have_count(1)
    no_error_shown(page)
    expect(title).to_have_text(typed, timeout=SETTLED_MS)
    # Nothing was turned into formatting: no link, emphasis, code, image, formula, icon or script.
    formatted = title.locator("a, strong, b, em, i, code, img, script, .katex, [data-testid='stIconMaterial']")
    expect(formatted).to_have_count(0, timeout=SETTLED_MS)


def test_the_join_page_at_its_own_address_with_a_code_opens_without_page_not_found(page: Page, app_url: str):
    """/anslut?join=CODE (a bookmark, a typed link) is the join page with the code filled in; only the
    plain address with ?join= makes the join page the default."""
    page.goto(app_url)  # a first deep link on a fresh server can miss the router (streamlit#9992)
    wait_for_app(page)
    page.goto(f"{app_url}/anslut?join={JOIN_CODE}")
    wait_for_app(page)
    main = page.get_by_test_id("stMain")
    expect(main.get_by_role("heading", name="Gå med i workshopen")).to_be_visible()
    expect(main.get_by_text(f"Kod: {JOIN_CODE}")).to_be_visible()
    expect(page.get_by_text("Page not found")).to_have_count(0)
    assert page.url.endswith(f"/anslut?join={JOIN_CODE}")
    no_error_shown(page)
