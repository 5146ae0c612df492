"""The registration page in a real browser: the QR cards are offered once, when the list is
imported; afterwards no token and no personal link is anywhere on the page (docs/security.md, item 7)."""

from __future__ import annotations

import io
from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, Page, expect
from pypdf import PdfReader

from edp.db import make_engine
from edp.live import participant_workshop_id
from edp.workshop import login_facilitator
from edp.workshop.registrations import registered_participants
from tests.e2e.screenshot import make_empty_database, streamlit_server, wait_for_app
from tests.factory import PASSCODE, make_setup

pytestmark = pytest.mark.browser

LIST = "name,organisation,helix\nAnna Andersson,Aktör civil,civil\nBertil Berg,Aktör academia,academia\nÁilu Sara,Gaaltije,civil\n"


@pytest.fixture(scope="module")
def room(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str, int]]:
    """Its own database with one anonymous workshop, and a server on it: (base URL, database URL, workshop id)."""
    folder = tmp_path_factory.mktemp("e2e-register")
    db_url = make_empty_database(folder / "edp.sqlite")
    engine = make_engine(db_url)
    try:
        workshop_id = make_setup(engine).workshop_id
    finally:
        engine.dispose()
    with streamlit_server(db_url, folder / "streamlit.log") as base_url:
        yield base_url, db_url, workshop_id


def main(page: Page):  # noqa: ANN201
    return page.get_by_test_id("stMain")


def open_register_page(page: Page, base_url: str) -> None:
    page.goto(base_url)
    wait_for_app(page)
    page.get_by_test_id("stSidebar").get_by_role("link", name="Leda workshop", exact=True).click()
    wait_for_app(page)
    page.locator(".st-key-fac-login-passcode input").fill(PASSCODE)
    page.get_by_role("button", name="Logga in", exact=True).click()
    expect(page.locator(".st-key-fac-login-passcode")).to_have_count(0)
    wait_for_app(page)
    page.get_by_test_id("stSidebar").get_by_role("link", name="Anmälningar", exact=True).click()
    expect(main(page).get_by_role("heading", name="Anmälda deltagare", exact=True)).to_be_visible()
    wait_for_app(page)


def card_tokens(pdf: bytes) -> list[str]:
    urls = [a.get_object()["/A"]["/URI"] for pg in PdfReader(io.BytesIO(pdf)).pages for a in pg.get("/Annots", [])]
    return [url.split("?p=", 1)[1] for url in urls]


def assert_no_token_on(page: Page, tokens: list[str]) -> None:
    html = page.content()
    assert "?p=" not in html and not [tok for tok in tokens if tok in html]


def test_the_cards_are_offered_once_at_the_import_and_no_token_is_on_the_page_afterwards(
    browser: Browser, room, tmp_path
):
    base_url, db_url, workshop_id = room
    context = browser.new_context(viewport={"width": 1400, "height": 1000}, accept_downloads=True)
    page = context.new_page()
    engine = make_engine(db_url)
    try:
        open_register_page(page, base_url)
        cards = main(page).get_by_role("button", name="Ladda ner QR-kort (PDF)")
        expect(cards).to_have_count(0)  # nothing to print before the import

        page.locator("input[type=file]").set_input_files(
            files=[{"name": "anmalningar.csv", "mimeType": "text/csv", "buffer": LIST.encode("utf-8")}]
        )
        expect(main(page).get_by_text("anmalningar.csv")).to_be_visible()
        main(page).get_by_role("button", name="Importera", exact=True).click()
        expect(main(page).get_by_text("3 deltagare importerades.")).to_be_visible()
        expect(main(page).get_by_text("Ladda ner och skriv ut 3 QR-kort nu.", exact=False)).to_be_visible()
        with page.expect_download() as info:
            cards.click()
        target = tmp_path / "cards.pdf"
        info.value.save_as(target)
        tokens = card_tokens(target.read_bytes())
        assert len(tokens) == 3 and all(participant_workshop_id(engine, tok) == workshop_id for tok in tokens)
        assert_no_token_on(page, tokens)  # in the PDF only, never in the page itself

        main(page).get_by_role("button", name="Jag har sparat korten", exact=True).click()
        expect(cards).to_have_count(0)
        wait_for_app(page)
        assert_no_token_on(page, tokens)

        # A reload is a new session: signed in again, the page lists the people and offers no card.
        page.reload()
        open_register_page(page, base_url)
        expect(main(page).get_by_test_id("stMetricValue")).to_have_text("0 / 3")
        expect(cards).to_have_count(0)
        assert_no_token_on(page, tokens)
        assert len(registered_participants(engine, login_facilitator(engine, workshop_id, PASSCODE))) == 3
        expect(page.get_by_test_id("stException")).to_have_count(0)
    finally:
        engine.dispose()
        context.close()
