"""A PDF sheet of personal QR cards for a pre-registered workshop: one scan joins as that person.

The sheet is the only copy of the tokens (the database keeps their hashes), so it is made when
the cards are issued and never again; see edp.workshop.registrations."""

from __future__ import annotations

import io
from pathlib import Path

import segno
from fpdf import FPDF

from edp.i18n import t

FONT_DIR = Path("/usr/share/fonts/truetype/dejavu")
# Shipped with the app (edp/fonts/README.md): monochrome, as fpdf2 embeds no colour-bitmap emoji.
EMOJI_FONT = Path(__file__).parents[1] / "fonts" / "NotoEmoji-Regular.ttf"  # edp/fonts
COLS, ROWS = 2, 4
CARD_W, CARD_H = 95.0, 66.0  # mm, on A4 with 10 mm margins


def personal_url(base_url: str, token: str) -> str:
    return f"{base_url.rstrip('/')}/?p={token}"


def pdf_font(pdf: FPDF) -> str:
    """DejaVu (any script a name may use) when the system has it, with Noto Emoji for the emoji
    DejaVu lacks (in regular and bold text alike); else the built-in Helvetica."""
    regular, bold = FONT_DIR / "DejaVuSans.ttf", FONT_DIR / "DejaVuSans-Bold.ttf"
    if regular.exists() and bold.exists():
        pdf.add_font("DejaVu", "", str(regular))
        pdf.add_font("DejaVu", "B", str(bold))
        pdf.add_font("NotoEmoji", "", str(EMOJI_FONT))
        pdf.set_fallback_fonts(["NotoEmoji"], exact_match=False)
        return "DejaVu"
    return "Helvetica"


def latin1(text: str, family: str) -> str:
    """The text as the font can print it: unchanged with DejaVu; Latin-1 (unknown letters as "?") with Helvetica."""
    return text if family == "DejaVu" else text.encode("latin-1", "replace").decode("latin-1")


def cards_pdf(cards: list[tuple[str, str, str]], workshop_title: str, base_url: str, lang: str) -> bytes:
    """cards: (name, organisation, token). Returns the PDF, COLS x ROWS cards per A4 page."""
    pdf = FPDF(format="A4", unit="mm")
    pdf.set_auto_page_break(False)
    pdf.set_title(workshop_title)
    family = pdf_font(pdf)
    for i, (name, org, token) in enumerate(cards):
        slot = i % (COLS * ROWS)
        if slot == 0:
            pdf.add_page()
        x = 10 + (slot % COLS) * CARD_W
        y = 10 + (slot // COLS) * (CARD_H + 3)
        pdf.set_draw_color(160, 160, 160)
        pdf.rect(x, y, CARD_W - 3, CARD_H)
        url = personal_url(base_url, token)
        png = io.BytesIO()
        segno.make(url, error="m").save(png, kind="png", scale=6, border=2)
        png.seek(0)
        pdf.image(png, x=x + 3, y=y + 3, w=42, h=42, link=url)  # a card sent as a file is clicked
        pdf.set_xy(x + 48, y + 5)
        pdf.set_font(family, "B", 12)
        pdf.multi_cell(CARD_W - 54, 6, latin1(name, family))
        pdf.set_x(x + 48)
        pdf.set_font(family, "", 9)
        pdf.multi_cell(CARD_W - 54, 5, latin1(org, family))
        pdf.set_x(x + 48)
        pdf.multi_cell(CARD_W - 54, 5, latin1(workshop_title, family))
        pdf.set_xy(x + 3, y + 48)
        pdf.set_font(family, "", 8)
        pdf.multi_cell(CARD_W - 9, 4, latin1(t("ui.cards.instruction", lang), family))
    return bytes(pdf.output())
