"""Emoji and Swedish letters that people type reach the PDFs (the follow-up report and the QR cards):
the text font (DejaVu) falls back on the shipped Noto Emoji for every glyph it lacks."""

from __future__ import annotations

import dataclasses
import io
import re

import pytest
from fontTools.ttLib import TTFont
from PIL import Image as PILImage
from pypdf import PdfReader

from edp.io import cards, imaging, reports
from tests.conftest import require_service
from tests.roadmap_sample import sample_process, sample_roadmap

EMOJI = "🌲🇸🇪👩🏽‍🌾🚀"
SWEDISH = "Hållbar skogsnäring i Åre, Östersund och Härjedalen"
TITLE = f"{SWEDISH} {EMOJI}"


def tiny_png() -> bytes:
    out = io.BytesIO()
    PILImage.new("RGB", (400, 200), "white").save(out, "PNG")
    return out.getvalue()


def fonts_of(pdf: PdfReader) -> set[str]:
    """The base names of the fonts the pages use, without the subset tag (ABCDEF+NotoEmoji)."""
    names = set()
    for page in pdf.pages:
        for font in page["/Resources"]["/Font"].values():
            names.add(str(font.get_object()["/BaseFont"]).split("+", 1)[-1])
    return names


def shown(text: str) -> list[str]:
    """The characters a reader sees: no joiners or variation selectors (a monochrome font draws the parts)."""
    return [ch for ch in text if not re.match("[\u200d\ufe0f]", ch)]


@pytest.fixture(scope="module")
def dejavu() -> None:
    require_service((cards.FONT_DIR / "DejaVuSans.ttf").exists(), "DejaVu fonts (Debian's fonts-dejavu-core)")


def test_the_shipped_emoji_font_has_every_glyph_of_the_sample(dejavu):
    cmap = TTFont(cards.EMOJI_FONT).getBestCmap()
    assert [ch for ch in EMOJI if ord(ch) not in cmap] == []
    assert (cards.EMOJI_FONT.parent / "OFL.txt").read_text().startswith("Copyright 2013 Google LLC")


def test_the_report_pdf_embeds_the_emoji_font_and_keeps_every_character(dejavu, monkeypatch):
    monkeypatch.setattr(imaging, "export_figure", lambda *a, **k: tiny_png())  # no chromium needed
    process = dataclasses.replace(
        sample_process(), process_title=TITLE, roadmaps=(sample_roadmap(3, title=f"Färdplan {EMOJI}"),)
    )
    data = reports.ReportData(process.process_id, process.process_title, "sv", process)
    pdf = PdfReader(io.BytesIO(reports.followup_pdf(data, "sv")))

    assert {"DejaVuSansBook", "DejaVuSansBold", "NotoEmoji"} <= fonts_of(pdf)
    text = "".join(page.extract_text() for page in pdf.pages)
    assert SWEDISH in text
    for ch in shown(EMOJI):
        assert ch in text, (ch, text[:300])


def test_qr_cards_print_emoji_in_names_and_organisations(dejavu):
    data = cards.cards_pdf([(f"Anna {EMOJI}", "Skogsägarna 🌲 Härjedalen", "tok")], TITLE, "http://edp.test", "sv")
    pdf = PdfReader(io.BytesIO(data))
    assert "NotoEmoji" in fonts_of(pdf)
    text = pdf.pages[0].extract_text()
    assert "Skogsägarna" in text and "Härjedalen" in text
    assert [ch for ch in shown(EMOJI) if ch not in text] == []
