"""The follow-up report (DOCX, PDF) and the steering deck (PPTX), read back with the libraries a reader uses."""

from __future__ import annotations

import dataclasses
import datetime as dt
import io
import shutil
from collections import Counter

import pytest
from docx import Document
from PIL import Image as PILImage
from pptx import Presentation
from pptx.enum.shapes import MSO_SHAPE_TYPE
from pypdf import PdfReader
from sqlalchemy import select

from edp import charts, demo
from edp.access import SYSTEM
from edp.db import make_engine, upgrade, write
from edp.errors import EdpError, NotFound
from edp.io import imaging, reports
from edp.models import Priority, Roadmap
from edp.roadmap import charts as roadmap_charts
from edp.roadmap.views import ProcessRoadmaps
from edp.voting.tally import round_results
from tests.conftest import require_service
from tests.roadmap_sample import sample_process

TODAY = dt.date(2027, 3, 1)
CHROMIUM = any(shutil.which(b) for b in ("chromium", "chromium-browser", "google-chrome", "chrome"))
STATUS = {
    "en": {"planned": "Planned", "ongoing": "Ongoing", "done": "Done", "delayed": "Delayed", "cancelled": "Cancelled"},
    "sv": {
        "planned": "Planerad",
        "ongoing": "Pågår",
        "done": "Klar",
        "delayed": "Försenad",
        "cancelled": "Inställd",
    },
}
ACTIVITY_HEADER = {
    "en": ["Goal", "Activity", "Lead", "Start", "End", "Status"],
    "sv": ["Mål", "Aktivitet", "Ansvarig", "Start", "Slut", "Status"],
}


def workshop() -> reports.WorkshopResults:
    """A scored round whose second and third lines became the priorities (one title a formula, one with markup)."""
    ranking = tuple(
        reports.RankingLine(50 + i, i + 1, False, f"Tema {i + 1}", 4.5 - i * 0.25, (("business", 4.0), ("civil", None)))
        for i in range(10)
    )
    ranking = (ranking[0], dataclasses.replace(ranking[1], title="=SUM(A1)"), *ranking[2:])
    return reports.WorkshopResults(
        workshop_id=3,
        title="EDP-workshop 2026",
        date=dt.date(2026, 3, 12),
        priorities=(
            reports.PriorityLine(7, 1, 51, "=SUM(A1)", "Stark bas <b>i</b> regionen"),
            reports.PriorityLine(8, 2, 52, "Tema 3", "Kritisk massa finns"),
        ),
        round_id=5,
        round_seq=2,
        method="score",
        ballots=18,
        participants=20,
        ranking=ranking,
        ranked=14,
    )


def report(lang: str) -> reports.ReportData:
    pr = sample_process()
    return reports.ReportData(pr.process_id, pr.process_title, lang, pr, (workshop(),), financier="Regionalfonden")


def headings(doc) -> list[tuple[str, str]]:  # noqa: ANN001
    return [(p.style.name, p.text) for p in doc.paragraphs if p.style.name.startswith(("Heading", "Title"))]


def table_with_header(doc, header: list[str]) -> list:  # noqa: ANN001
    return [tb for tb in doc.tables if [c.text for c in tb.rows[0].cells] == header]


def rows(table) -> list[list[str]]:  # noqa: ANN001
    return [[c.text for c in r.cells] for r in table.rows[1:]]


# ---------------------------------------------------------------- built once per module


@pytest.fixture(scope="module")
def images() -> dict[str, bytes]:
    require_service(CHROMIUM, "chromium (kaleido, for chart images)")
    return reports.report_images(report("en"), "en", today=TODAY, deck=True)


@pytest.fixture(scope="module")
def docx_en() -> tuple[bytes, list[tuple[float, str]]]:
    """Rendered by the builder itself, reporting progress."""
    require_service(CHROMIUM, "chromium (kaleido, for chart images)")
    steps: list[tuple[float, str]] = []
    return reports.followup_docx(report("en"), "en", today=TODAY, progress=lambda f, m: steps.append((f, m))), steps


@pytest.fixture(scope="module")
def docx_sv(images: dict[str, bytes]) -> bytes:
    return reports.followup_docx(report("sv"), "sv", today=TODAY, images=images)


@pytest.fixture(scope="module")
def pdf_en(images: dict[str, bytes]) -> bytes:
    return reports.followup_pdf(report("en"), "en", today=TODAY, images=images)


@pytest.fixture(scope="module")
def deck_en(images: dict[str, bytes]) -> bytes:
    return reports.steering_deck(report("en"), "en", today=TODAY, images=images)


# ---------------------------------------------------------------- DOCX


def test_docx_headings_follow_the_report_outline_in_english(docx_en):
    doc = Document(io.BytesIO(docx_en[0]))
    per_roadmap = [("Heading 2", "Goals"), ("Heading 2", "Activities"), ("Heading 2", "KPIs")]
    assert headings(doc) == [
        ("Title", "Follow-up report – S3 Jämtland Härjedalen"),
        ("Heading 1", "Summary"),
        ("Heading 1", "Priorities and the workshop results that chose them"),
        ("Heading 2", "EDP-workshop 2026 (2026-03-12)"),
        ("Heading 1", "Hållbar livsmedelsproduktion"),
        *per_roadmap,
        ("Heading 1", "Besöksnäring & kulturarv"),
        *per_roadmap,
    ]


def test_docx_headings_are_swedish_in_swedish(docx_sv):
    got = headings(Document(io.BytesIO(docx_sv)))
    assert got[:3] == [
        ("Title", "Uppföljningsrapport – S3 Jämtland Härjedalen"),
        ("Heading 1", "Sammanfattning"),
        ("Heading 1", "Prioriteringar och workshopresultaten som valde dem"),
    ]
    assert ("Heading 2", "Mål") in got and ("Heading 2", "Nyckeltal") in got
    assert not {"Summary", "Goals", "KPIs"} & {text for _, text in got}


@pytest.mark.parametrize("lang", ["en", "sv"])
def test_docx_activity_table_lists_every_activity_with_its_translated_status(lang, docx_en, docx_sv):
    doc = Document(io.BytesIO(docx_en[0] if lang == "en" else docx_sv))
    tables = table_with_header(doc, ACTIVITY_HEADER[lang])
    roadmaps = sample_process().roadmaps
    assert len(tables) == len(roadmaps)
    for table, rm in zip(tables, roadmaps, strict=True):
        assert rows(table) == [
            [
                rm.goal_title(a.goal_id),
                a.title,
                a.lead.name,
                a.start.isoformat(),
                a.end.isoformat(),
                STATUS[lang][a.status],
            ]
            for a in rm.activities
        ]


def test_docx_has_a_gantt_and_a_kpi_chart_per_roadmap(docx_en):
    doc = Document(io.BytesIO(docx_en[0]))
    shapes = list(doc.inline_shapes)
    assert len(shapes) == 2 * len(sample_process().roadmaps)
    assert all(s.width.cm <= 16.01 for s in shapes)
    descr = [s._inline.docPr.get("descr") for s in shapes]
    assert descr[0] == "Timeline (Gantt chart) of Hållbar livsmedelsproduktion"


def test_docx_keeps_user_text_verbatim(docx_en):
    doc = Document(io.BytesIO(docx_en[0]))
    cells = {c.text for tb in doc.tables for r in tb.rows for c in r.cells}
    assert "=SUM(A1)" in cells
    assert "Stark bas <b>i</b> regionen" in cells
    assert any("<b>förädling</b> & lokala" in c for c in cells)


def test_docx_ranking_marks_the_themes_that_became_priorities(docx_en):
    doc = Document(io.BytesIO(docx_en[0]))
    (ranking,) = table_with_header(doc, ["Rank", "Theme", charts.value_title("score", "en"), "Priority"])
    got = rows(ranking)
    assert len(got) == 10
    assert got[1] == ["2", "=SUM(A1)", "4.25", "1"] and got[2][3] == "2" and got[0][3] == ""
    text = "\n".join(p.text for p in doc.paragraphs)
    assert "round 2, scoring against criteria, 18 ballots from 20 participants – the first 10 of 14 themes" in text


def test_docx_summary_counts_kpis_and_activities_by_status(docx_en):
    doc = Document(io.BytesIO(docx_en[0]))
    (kpis,) = table_with_header(doc, ["Status", "Count"])[:1]
    acts = table_with_header(doc, ["Status", "Count"])[1]
    roadmaps = sample_process().roadmaps
    n_kpis = sum(len(rm.kpis) for rm in roadmaps)
    assert [r[0] for r in rows(kpis)] == ["On track", "At risk", "Off track", "No data"]
    assert sum(int(r[1]) for r in rows(kpis)) == n_kpis
    by_status = Counter(a.status for rm in roadmaps for a in rm.activities)
    assert rows(acts) == [[STATUS["en"][s], str(by_status[s])] for s in STATUS["en"]]
    text = "\n".join(p.text for p in doc.paragraphs)
    assert "Hållbar livsmedelsproduktion: the activity Aktivitet 4 is delayed (end 2026-07-30)" in text


def test_docx_progress_runs_up_to_done(docx_en):
    steps = docx_en[1]
    fractions = [f for f, _ in steps]
    assert fractions == sorted(fractions) and fractions[-1] == 1.0
    assert steps[0][1] == "Rendering chart 1 of 4 …"


def test_builders_reuse_given_images_and_render_nothing(monkeypatch, images):
    def refuse(*_a, **_k):  # noqa: ANN002, ANN003
        raise AssertionError("rendered again")

    monkeypatch.setattr(imaging, "export_figure", refuse)
    assert reports.followup_docx(report("en"), "en", today=TODAY, images=images)


def test_without_chromium_the_documents_come_out_with_a_note_where_each_chart_would_be(monkeypatch):
    calls = []

    def missing(*_a, **_k):  # noqa: ANN002, ANN003
        calls.append(1)
        raise EdpError("export.chromium_missing")

    monkeypatch.setattr(imaging, "export_figure", missing)
    doc = Document(io.BytesIO(reports.followup_docx(report("en"), "en", today=TODAY)))
    assert len(doc.inline_shapes) == 0
    notes = [p.text for p in doc.paragraphs if p.text.startswith("The chart could not be drawn")]
    assert len(notes) == 2 * len(sample_process().roadmaps)
    assert calls == [1]  # no Chromium: the first chart says so, the rest are not tried
    prs = Presentation(io.BytesIO(reports.steering_deck(report("en"), "en", today=TODAY)))
    assert not [sh for s in prs.slides for sh in s.shapes if sh.shape_type == MSO_SHAPE_TYPE.PICTURE]


def test_a_process_without_roadmaps_or_priorities_still_makes_every_document(monkeypatch):
    monkeypatch.setattr(imaging, "export_figure", lambda *a, **k: pytest.fail("nothing to draw"))
    empty = reports.ReportData(9, "Digitala lösningar 2027", "sv", ProcessRoadmaps(9, "Digitala lösningar 2027"))
    doc = Document(io.BytesIO(reports.followup_docx(empty, "sv", today=TODAY)))
    text = "\n".join(p.text for p in doc.paragraphs)
    assert "Processen har inga färdplaner ännu." in text and "Inga prioriteringar har satts ännu." in text
    assert len(doc.inline_shapes) == 0
    assert len(PdfReader(io.BytesIO(reports.followup_pdf(empty, "sv", today=TODAY))).pages) >= 2
    assert len(Presentation(io.BytesIO(reports.steering_deck(empty, "sv", today=TODAY))).slides) == 1


# ---------------------------------------------------------------- PDF


def test_pdf_has_pages_headings_roadmaps_and_page_numbers(pdf_en):
    pdf = PdfReader(io.BytesIO(pdf_en))
    assert len(pdf.pages) > 1
    text = "\n".join(page.extract_text() for page in pdf.pages)
    assert "Follow-up report – S3 Jämtland Härjedalen" in text
    for title in ("Hållbar livsmedelsproduktion", "Besöksnäring & kulturarv", "Priorities and the workshop results"):
        assert title in text
    assert f"Page 2 of {len(pdf.pages)}" in text
    assert "=SUM(A1)" in text and "<b>förädling</b>" in text
    assert [o["/Title"] for o in pdf.outline if not isinstance(o, list)] == [
        "Summary",
        "Priorities and the workshop results that chose them",
        "Hållbar livsmedelsproduktion",
        "Besöksnäring & kulturarv",
    ]


def test_docx_charts_print_at_8_pt_or_more_each_with_a_numbered_caption(docx_en):
    doc = Document(io.BytesIO(docx_en[0]))
    sizes: list[float] = []
    rels = doc.part.related_parts
    for shape in doc.inline_shapes:
        png = rels[shape._inline.graphic.graphicData.pic.blipFill.blip.embed].blob
        sizes.append(text_pt(shape.width, png))
    assert len(sizes) == 4 and min(sizes) >= 8, sizes
    captions = [p.text for p in doc.paragraphs if p.style.name == "Caption"]
    assert captions == [
        "Figure 1. Timeline (Gantt chart) of Hållbar livsmedelsproduktion",
        "Figure 2. KPIs of Hållbar livsmedelsproduktion: baseline, measurements and target",
        "Figure 3. Timeline (Gantt chart) of Besöksnäring & kulturarv",
        "Figure 4. KPIs of Besöksnäring & kulturarv: baseline, measurements and target",
    ]


def test_swedish_captions(docx_sv):
    doc = Document(io.BytesIO(docx_sv))
    captions = [p.text for p in doc.paragraphs if p.style.name == "Caption"]
    assert captions[0] == "Figur 1. Tidsplan (Gantt-schema) för Hållbar livsmedelsproduktion"


def longest_blank_band(png: bytes) -> float:
    """The tallest run of all-white pixel rows, as a share of the image's height."""
    im = PILImage.open(io.BytesIO(png)).convert("L")
    w, h = im.size
    px = im.load()
    longest = run = 0
    for y in range(h):
        blank = all(px[x, y] > 250 for x in range(0, w, 2))
        run = run + 1 if blank else 0
        longest = max(longest, run)
    return longest / h


def test_report_and_deck_charts_have_no_blank_bands(images):
    roadmap_keys = [k for k in images if not k.startswith("ranking")]
    assert len(roadmap_keys) >= 9
    bands = {k: round(longest_blank_band(images[k]), 3) for k in roadmap_keys}
    assert max(bands.values()) < 0.08, bands  # was 18 % between axis and legend


def test_pdf_charts_print_at_8_pt_or_more_with_captions_and_no_heading_alone_at_a_page_foot(pdf_en):
    pdf = PdfReader(io.BytesIO(pdf_en))
    page_w_pt = float(pdf.pages[0].mediabox.width)
    for page in pdf.pages:
        for img in page.images:
            png = io.BytesIO()
            img.image.save(png, "PNG")
            # each chart is drawn the text column's width (A4 less 2 x 20 mm)
            assert text_pt((page_w_pt - 2 * 20 / 25.4 * 72) * 12700, png.getvalue()) >= 8
    text = "\n".join(p.extract_text() for p in pdf.pages)
    for n in (1, 2, 3, 4):
        assert f"Figure {n}. " in text
    heads = {"Goals", "Activities", "KPIs", "Milestones", "Summary"}
    for page in pdf.pages:
        lines = [ln.strip() for ln in page.extract_text().splitlines() if ln.strip()]
        body = [ln for ln in lines if not ln.startswith("Page ")]
        assert body and body[-1] not in heads, body[-3:]


def test_pdf_is_a4_with_the_charts_as_images(pdf_en):
    pdf = PdfReader(io.BytesIO(pdf_en))
    box = pdf.pages[0].mediabox
    assert (round(float(box.width)), round(float(box.height))) == (595, 842)
    assert sum(len(page.images) for page in pdf.pages) == 2 * len(sample_process().roadmaps)


# ---------------------------------------------------------------- PPTX


def test_deck_slides_are_titled_in_order_with_pictures_on_gantt_slides(deck_en):
    prs = Presentation(io.BytesIO(deck_en))
    assert prs.slide_width * 9 == prs.slide_height * 16
    titles = [s.shapes.title.text for s in prs.slides]
    assert titles == [
        "Smart specialisation – S3 Jämtland Härjedalen",
        "Summary",
        "Results: EDP-workshop 2026 (2026-03-12)",
        "Hållbar livsmedelsproduktion (1/2)",  # too tall for one slide at 12 pt: whole goals on each
        "Hållbar livsmedelsproduktion (2/2)",
        "KPIs: Hållbar livsmedelsproduktion (1/2)",  # two panels a slide
        "KPIs: Hållbar livsmedelsproduktion (2/2)",
        "KPIs in figures: Hållbar livsmedelsproduktion",
        "Besöksnäring & kulturarv",
        "KPIs: Besöksnäring & kulturarv (1/2)",
        "KPIs: Besöksnäring & kulturarv (2/2)",
        "KPIs in figures: Besöksnäring & kulturarv",
        "All roadmaps",
    ]
    for i, title in enumerate(titles):
        pictures = [sh for sh in prs.slides[i].shapes if sh.shape_type == MSO_SHAPE_TYPE.PICTURE]
        assert len(pictures) == (0 if i < 2 or "in figures" in title else 1), title
        for pic in pictures:
            assert pic.left >= 0 and pic.top >= 0
            assert pic.left + pic.width <= prs.slide_width and pic.top + pic.height <= prs.slide_height


def text_pt(width_emu: int, png: bytes) -> float:
    """Points a chart's 14 px text takes when its PNG (drawn at IMAGE_SCALE) is shown `width_emu` wide."""
    layout_px = reports.png_size(png)[0] / reports.IMAGE_SCALE
    return 14 * (width_emu / 12700) / layout_px


def test_deck_charts_show_their_smallest_text_at_12_pt_or_more(deck_en):
    prs = Presentation(io.BytesIO(deck_en))
    sizes = {}
    for slide in prs.slides:
        for pic in (sh for sh in slide.shapes if sh.shape_type == MSO_SHAPE_TYPE.PICTURE):
            sizes[slide.shapes.title.text] = text_pt(pic.width, pic.image.blob)
    roadmap_slides = {t: pt for t, pt in sizes.items() if not t.startswith("Results")}
    assert len(roadmap_slides) == 8
    assert len(sizes) > len(roadmap_slides)  # the workshops' rankings too
    assert min(sizes.values()) >= 12, sizes


def test_deck_gantt_parts_are_balanced_and_each_fits_a_slide_at_12_pt():
    rm = sample_process().roadmaps[0]
    parts = reports.gantt_parts(rm, "en", TODAY, width=reports.DECK_WIDTH_PX, max_h=reports.DECK_MAX_H_PX)
    assert len(parts) == 2
    heights = [p.layout.height for p in parts]
    assert max(heights) <= reports.DECK_MAX_H_PX and min(heights) >= 0.6 * max(heights)
    shown = [t for p in parts for t in p.layout.yaxis.ticktext]
    assert sum("<b>Mål" in t for t in shown) == len(rm.goals)  # every goal once, whole
    one = reports.gantt_parts(rm, "en", TODAY, width=reports.REPORT_WIDTH_PX, max_h=reports.REPORT_MAX_H_PX)
    assert len(one) == 1 and not one[0].layout.title.text


def test_deck_results_and_kpi_slides_carry_tables(deck_en):
    prs = Presentation(io.BytesIO(deck_en))
    results = next(s for s in prs.slides if s.shapes.title.text.startswith("Results"))
    (table,) = [sh.table for sh in results.shapes if sh.has_table]
    assert [table.cell(r, 1).text for r in range(1, 3)] == ["=SUM(A1)", "Tema 3"]
    kpis = next(s for s in prs.slides if s.shapes.title.text.startswith("KPIs in figures"))
    (table,) = [sh.table for sh in kpis.shapes if sh.has_table]
    assert table.cell(1, 0).text == "Företag som får stöd"
    assert table.cell(1, 2).text in {"On track", "At risk", "Off track", "No data"}


# ---------------------------------------------------------------- from the database


@pytest.fixture(scope="module")
def demo_db(tmp_path_factory):
    engine = make_engine(f"sqlite:///{tmp_path_factory.mktemp('reports') / 'demo.sqlite'}")
    upgrade(engine)
    summary = demo.load(engine)
    yield engine, summary
    engine.dispose()


def test_report_data_holds_the_demo_priorities_and_the_ranking_that_chose_them(demo_db):
    engine, summary = demo_db
    data = reports.report_data(engine, SYSTEM, summary.process_id, "sv")
    assert data.process_title == demo.DEMO_PROCESS_TITLE
    (ws,) = data.workshops  # the open workshop has no priorities yet
    assert ws.workshop_id == summary.completed_workshop_id
    assert [p.theme_title for p in ws.priorities] == [
        "Kulturarv som drivkraft för platsbaserad innovation",
        "Sydsamisk kultur som grund för hållbara upplevelser",
        "Digital förmedling av kulturarv",
    ]
    assert ws.priorities[0].rationale.startswith("Temat fick flest prickar")
    assert (ws.round_id, ws.method) == (summary.score_round_id, "score")  # the last closed, revealed round
    result = round_results(engine, SYSTEM, summary.score_round_id)
    assert [(r.theme_id, r.rank, r.title) for r in ws.ranking] == [
        (t["theme_id"], t["rank"], t["title"]) for t in result.themes[:10]
    ]
    assert ws.ranking[0].total == pytest.approx(result.themes[0]["total"])
    assert {p.theme_id for p in ws.priorities} <= {r.theme_id for r in ws.ranking}
    assert ws.ballots == result.ballots > 0


def tiny_png() -> bytes:
    out = io.BytesIO()
    PILImage.new("RGB", (400, 200), "white").save(out, "PNG")
    return out.getvalue()


def test_report_from_the_demo_traces_every_roadmap_to_the_priority_it_comes_from(demo_db, monkeypatch):
    engine, summary = demo_db
    with write(engine) as s:
        first = s.scalar(
            select(Priority).where(Priority.workshop_id == summary.completed_workshop_id, Priority.rank == 1)
        )
        s.add(
            Roadmap(
                process_id=summary.process_id,
                priority_id=first.id,
                title="Kulturarv <b>2026</b>",
                period_start=dt.date(2026, 1, 1),
                period_end=dt.date(2028, 12, 31),
            )
        )
    data = reports.report_data(engine, SYSTEM, summary.process_id, "sv")
    chosen = {p.id: p for ws in data.workshops for p in ws.priorities}
    ours = next(rm for rm in data.roadmaps.roadmaps if rm.title == "Kulturarv <b>2026</b>")
    assert ours.priority.id == first.id
    for rm in data.roadmaps.roadmaps:
        if rm.priority is not None:
            assert chosen[rm.priority.id].theme_title == rm.priority.title
    assert reports.priority_text(ours, "sv").startswith(
        "1. Kulturarv som drivkraft för platsbaserad innovation – vald i"
    )

    monkeypatch.setattr(imaging, "export_figure", lambda *a, **k: tiny_png())  # the whole path, without chromium
    doc = Document(io.BytesIO(reports.followup_docx(data, "sv", today=TODAY)))
    h1 = [text for style, text in headings(doc) if style == "Heading 1"]
    assert h1 == ["Sammanfattning", "Prioriteringar och workshopresultaten som valde dem"] + [
        rm.title for rm in data.roadmaps.roadmaps
    ]
    text = "\n".join(p.text for p in doc.paragraphs)
    assert "Prioritering: " + reports.priority_text(ours, "sv") in text


def test_report_data_of_a_missing_process_is_not_found(demo_db):
    with pytest.raises(NotFound):
        reports.report_data(demo_db[0], SYSTEM, 999_999, "sv")


def test_only_roadmap_keeps_that_roadmap_and_the_workshop_it_comes_from():
    data = report("en")
    one = reports.only_roadmap(data, 2)
    assert [rm.id for rm in one.roadmaps.roadmaps] == [2]
    assert [ws.workshop_id for ws in one.workshops] == [3]  # sample roadmaps come from workshop 3
    assert reports.only_roadmap(dataclasses.replace(data, workshops=()), 1).workshops == ()
    with pytest.raises(NotFound):
        reports.only_roadmap(data, 999)


def styles_by_actor(fig) -> dict[str, tuple[str, str]]:  # noqa: ANN001 - a plotly figure
    return {
        tr.meta["group"]: (tr.marker.color, tr.marker.pattern.shape or "")
        for tr in fig.data
        if isinstance(tr.meta, dict) and tr.meta.get("role") == "activities"
    }


def test_a_gantt_split_over_slides_gives_each_lead_actor_the_colour_it_has_on_the_whole_chart():
    rm = sample_process().roadmaps[0]
    whole = styles_by_actor(roadmap_charts.gantt_figure(rm, "en", today=TODAY))
    parts = reports.gantt_parts(rm, "en", TODAY, width=reports.DECK_WIDTH_PX, max_h=reports.DECK_MAX_H_PX)
    seen = [styles_by_actor(p) for p in parts]
    assert len(parts) > 1 and all(seen)
    # The parts' lead actors are not the whole list, so a colour given per part would differ.
    assert any(list(s) != list(whole)[: len(s)] for s in seen)
    for part in seen:
        assert part == {actor: whole[actor] for actor in part}
