"""A process leader in a real browser: from a workshop priority to a roadmap, then its Gantt as a PNG,
the steering-group deck and the follow-up report, downloaded and opened by their readers."""

from __future__ import annotations

import io
import shutil
from collections.abc import Iterator
from pathlib import Path

import openpyxl
import pytest
from docx import Document
from playwright.sync_api import Browser, Page, expect
from pptx import Presentation
from pypdf import PdfReader

from edp.access import SYSTEM
from edp.db import make_engine
from edp.demo import DEMO_ORGANISER, DEMO_PASSWORD_DEFAULT
from edp.queries import overview
from edp.roadmap.views import priority_choices, roadmap_summaries
from tests.e2e.screenshot import make_demo_database, scroll_to_top, sign_in_organiser, streamlit_server, wait_for_app

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "tests" / "e2e" / "artifacts"
SLOW_MS = 90_000  # the first image starts Chromium for kaleido; reports draw every chart


@pytest.fixture(scope="module")
def leader_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str]]:
    """Its own demo database and server: this test writes a roadmap, the other browser tests must not see it."""
    folder = tmp_path_factory.mktemp("e2e-roadmaps")
    db_url = make_demo_database(folder / "demo.sqlite")
    with streamlit_server(db_url, folder / "streamlit.log") as base_url:
        yield base_url, db_url


def main(page: Page):  # noqa: ANN201
    return page.get_by_test_id("stMain")


def no_exception(page: Page) -> None:
    expect(page.get_by_test_id("stException")).to_have_count(0)


def sign_in_and_open_roadmaps(page: Page, base_url: str) -> None:
    """The demo's organiser (its process's leader) signs in, then opens the roadmaps."""
    sign_in_organiser(page, base_url, DEMO_ORGANISER, DEMO_PASSWORD_DEFAULT)
    page.get_by_test_id("stSidebar").get_by_role("link", name="Färdplaner", exact=True).click()
    expect(main(page).get_by_role("heading", name="Färdplaner", exact=True)).to_be_visible()
    wait_for_app(page)
    expect(main(page).get_by_text("Ny färdplan", exact=True)).to_be_visible()  # the signed-in view


def download(page: Page, label: str, target: Path) -> bytes:
    button = main(page).get_by_role("button", name=label)
    expect(button).to_be_visible(timeout=SLOW_MS)
    with page.expect_download(timeout=SLOW_MS) as info:
        button.click()
    info.value.save_as(target)
    return target.read_bytes()


def test_from_a_priority_to_a_gantt_png_a_deck_and_a_report(browser: Browser, leader_server, tmp_path):
    base_url, db_url = leader_server
    engine = make_engine(db_url)
    pid = overview(engine)[0]["id"]
    before = {r.title for r in roadmap_summaries(engine, SYSTEM, pid)}
    # The demo's first priority already has a roadmap; the page offers the next one.
    second = priority_choices(engine, SYSTEM, pid)[1]
    assert second.title not in before

    context = browser.new_context(viewport={"width": 1400, "height": 1000}, accept_downloads=True)
    page = context.new_page()
    try:
        sign_in_and_open_roadmaps(page, base_url)
        page.get_by_text("Ny färdplan", exact=True).click()
        main(page).get_by_role("radiogroup").get_by_text("En prioritering", exact=True).click()
        wait_for_app(page)
        title_box = page.locator(f".st-key-rm-new-p-{second.id}-title input")
        expect(title_box).to_have_value(second.title)  # pre-filled from the priority
        expect(main(page).get_by_text(f"prioritering nr {second.rank}", exact=False).first).to_be_visible()
        page.get_by_role("button", name="Skapa färdplan", exact=True).click()
        expect(main(page).get_by_text("Färdplanen är skapad och vald nedan.")).to_be_visible()
        wait_for_app(page)
        no_exception(page)
        header = page.locator(".st-key-rm-header")
        expect(header.get_by_text(second.title, exact=True).first).to_be_visible()
        after = roadmap_summaries(engine, SYSTEM, pid)
        created = next(r for r in after if r.title == second.title)
        assert created.priority_title == second.title and len(after) == len(before) + 1

        page.get_by_role("tab", name="Export", exact=True).click()
        main(page).get_by_role("button", name="Skapa bilderna", exact=True).click()
        png = download(page, "Gantt (PNG)", tmp_path / "gantt.png")
        assert png[:8] == b"\x89PNG\r\n\x1a\n"
        assert int.from_bytes(png[16:20], "big") >= 1920  # width, from the IHDR chunk
        for size, (w_mm, h_mm) in {"A4": (297, 210), "A3": (420, 297)}.items():
            pdf = PdfReader(io.BytesIO(download(page, f"Gantt (PDF, {size} liggande)", tmp_path / f"gantt-{size}.pdf")))
            box = pdf.pages[0].mediabox  # the page itself, in points: A4 or A3 landscape
            assert (round(float(box.width) * 25.4 / 72), round(float(box.height) * 25.4 / 72)) == (w_mm, h_mm)

        workbook = openpyxl.load_workbook(io.BytesIO(download(page, "Excel (XLSX)", tmp_path / "roadmap.xlsx")))
        assert workbook["roadmap"]["A2"].value == second.title  # built when clicked, for this roadmap

        main(page).get_by_role("button", name="Skapa rapporterna", exact=True).click()
        deck = Presentation(io.BytesIO(download(page, "Styrgruppspresentation (PowerPoint)", tmp_path / "deck.pptx")))
        slide_titles = [s.shapes.title.text for s in deck.slides if s.shapes.title is not None]
        assert any(second.title in title for title in slide_titles), slide_titles
        report = Document(io.BytesIO(download(page, "Uppföljningsrapport (Word)", tmp_path / "report.docx")))
        headings = [p.text for p in report.paragraphs if p.style.name.startswith("Heading")]
        assert second.title in headings
        no_exception(page)

        # Screenshots for the README: the process overview, and the mini-mission's Gantt in the page.
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        mission = "En hållbar ökad livsmedelsproduktion och förädling"
        box = main(page).get_by_role("combobox", name="Färdplan", exact=True)
        box.click()
        page.get_by_role("option", name=mission, exact=True).click()
        wait_for_app(page)
        expect(header.get_by_text(mission, exact=True).first).to_be_visible()
        page.get_by_role("tab", name="Gantt", exact=True).click()
        chart = main(page).locator("[data-testid='stTabPanel']:visible [data-testid='stPlotlyChart']")
        expect(chart).to_be_visible()
        wait_for_app(page)
        chart.screenshot(path=str(ARTIFACTS / "roadmap-gantt.png"), animations="disabled")
        scroll_to_top(page)
        page.screenshot(path=str(ARTIFACTS / "roadmaps.png"), animations="disabled", caret="hide")
    finally:
        context.close()
        engine.dispose()
    shutil.copy(tmp_path / "gantt.png", ARTIFACTS / "roadmap-gantt-export.png")
