"""python -m edp export roadmap / report / import roadmap: every format, read back by the program's
own reader library, and one-line errors. Runs on the demo (SQLite; the engine is tested on both)."""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys
import zipfile
from pathlib import Path

import openpyxl
import pytest
from defusedxml import ElementTree
from docx import Document
from icalendar import Calendar
from pptx import Presentation
from pypdf import PdfReader

from edp import demo
from edp.__main__ import main
from edp.access import SYSTEM
from edp.db import make_engine, upgrade
from edp.io.imaging import browser_path
from edp.roadmap import io as roadmap_io
from edp.roadmap.views import roadmap_view
from tests.conftest import require_service


def run(capsys, *argv):  # noqa: ANN001, ANN002, ANN201
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture(scope="module")
def demo_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    path = tmp_path_factory.mktemp("cli-roadmaps") / "demo.sqlite"
    engine = make_engine(f"sqlite:///{path}")
    upgrade(engine)
    demo.load(engine)
    engine.dispose()
    return f"sqlite:///{path}"


@pytest.fixture
def chromium() -> None:
    require_service(browser_path() is not None, "chromium for chart export")


def ids(capsys, url: str) -> tuple[int, list[int]]:  # noqa: ANN001
    proc = json.loads(run(capsys, "--database", url, "list", "--format", "json")[1])["processes"][0]
    return proc["id"], [r["id"] for r in proc["roadmaps"]]


def export(capsys, url: str, out: Path, *args: str) -> bytes:  # noqa: ANN001
    code, stdout, err = run(capsys, "--database", url, "export", "roadmap", *args, "--out", str(out))
    assert code == 0, err
    assert str(out) in stdout
    return out.read_bytes()


def test_gantt_png_svg_pdf_html(capsys, demo_url, tmp_path, chromium):
    _, (first, *_) = ids(capsys, demo_url)
    png = export(capsys, demo_url, tmp_path / "g.png", "--roadmap", str(first), "--format", "png")
    assert png[:8] == b"\x89PNG\r\n\x1a\n" and int.from_bytes(png[16:20], "big") >= 1920
    svg = export(capsys, demo_url, tmp_path / "g.svg", "--roadmap", str(first), "--format", "svg")
    assert ElementTree.fromstring(svg).tag.endswith("svg")
    pdf = export(
        capsys, demo_url, tmp_path / "g.pdf", "--roadmap", str(first), "--format", "pdf", "--color-by", "status"
    )
    assert len(PdfReader(io.BytesIO(pdf)).pages) == 1
    html = export(capsys, demo_url, tmp_path / "k.html", "--roadmap", str(first), "--format", "html", "--chart", "kpis")
    assert b"cdn.plot.ly" not in html and b"Plotly" in html
    portfolio = export(capsys, demo_url, tmp_path / "p.png", "--process", "1", "--format", "png")
    assert portfolio[:4] == b"\x89PNG"


PT_PER_BOX = 1.105  # pdftotext's word box is the font size x (ascent + descent) of Liberation Sans


def smallest_text_pt(pdf: bytes, tmp_path: Path) -> float:
    """The smallest text on a PDF page in points, measured by poppler's pdftotext -bbox."""
    import shutil
    import subprocess

    if not shutil.which("pdftotext"):
        pytest.skip("pdftotext (poppler-utils) is not installed")
    path = tmp_path / "measure.pdf"
    path.write_bytes(pdf)
    xml = subprocess.run(["pdftotext", "-bbox", str(path), "-"], capture_output=True, text=True, check=True).stdout
    words = ElementTree.fromstring(xml.split("<!DOCTYPE")[0] + xml[xml.index("<html") :]).iter()
    heights = [float(w.get("yMax")) - float(w.get("yMin")) for w in words if w.tag.endswith("word")]
    assert len(heights) > 20
    return min(heights) / PT_PER_BOX


@pytest.mark.parametrize(("size", "mm"), [("A4", (297, 210)), ("a3", (420, 297))])
def test_chart_pdf_is_one_landscape_page_of_the_size_asked_with_text_of_8_pt_or_more(
    capsys, demo_url, tmp_path, chromium, size, mm
):
    _, (_, second) = ids(capsys, demo_url)  # the demo's bigger roadmap: 20 activities, 4 milestones
    for chart in ("gantt", "kpis"):
        args = ("--roadmap", str(second), "--format", "pdf", "--chart", chart, "--page-size", size)
        pdf = export(capsys, demo_url, tmp_path / f"{chart}.pdf", *args)
        (page,) = PdfReader(io.BytesIO(pdf)).pages
        got = (round(float(page.mediabox.width) / 72 * 25.4), round(float(page.mediabox.height) / 72 * 25.4))
        assert got == mm
        assert smallest_text_pt(pdf, tmp_path) >= 8, chart
    default = export(capsys, demo_url, tmp_path / "d.pdf", "--process", "1", "--format", "pdf")
    assert round(float(PdfReader(io.BytesIO(default)).pages[0].mediabox.width)) == 842  # A4 unless asked


def test_chart_png_is_drawn_for_a_projector(capsys, demo_url, tmp_path, chromium):
    from edp.io import imaging

    _, (first, *_) = ids(capsys, demo_url)
    png = export(capsys, demo_url, tmp_path / "g.png", "--roadmap", str(first), "--format", "png")
    width = int.from_bytes(png[16:20], "big")
    assert width == imaging.PROJECTOR_WIDTH_PX * imaging.PROJECTOR_SCALE
    # shown across a 16:9 slide (13.33 in = 960 pt), the chart's 14 px text
    assert 14 * 960 / imaging.PROJECTOR_WIDTH_PX >= 12


@pytest.mark.parametrize("lang", ["en", "sv"])
def test_an_unknown_page_size_is_refused_by_name_with_the_choices_and_nothing_is_written(
    capsys, demo_url, tmp_path, lang
):
    out = tmp_path / "g.pdf"
    code, stdout, err = run(
        capsys, "--database", demo_url, "--lang", lang, "export", "roadmap", "--roadmap", "1", "--format", "pdf",
        "--page-size", "A5", "--out", str(out),
    )  # fmt: skip
    assert code == 2 and stdout == "" and not out.exists()
    field = {"en": "Page size", "sv": "Sidstorlek"}[lang]
    assert err.startswith(f"error: {field}: ") and "A5" in err and "A4, A3" in err and err.count("\n") == 1


def test_roadmap_data_calendar_and_deck(capsys, demo_url, tmp_path, chromium):
    process, (first, mission, *_) = ids(capsys, demo_url)
    xlsx = export(capsys, demo_url, tmp_path / "r.xlsx", "--roadmap", str(mission), "--format", "xlsx")
    wb = openpyxl.load_workbook(io.BytesIO(xlsx))
    assert wb["activities"].max_row - 1 == 15 and wb["kpis"].max_row - 1 == 6
    csv_zip = export(capsys, demo_url, tmp_path / "r.zip", "--roadmap", str(mission), "--format", "csv")
    assert "activities.csv" in zipfile.ZipFile(io.BytesIO(csv_zip)).namelist()
    ics = export(capsys, demo_url, tmp_path / "all.ics", "--process", str(process), "--format", "ics")
    events = Calendar.from_ical(ics).walk("VEVENT")
    engine = make_engine(demo_url)
    views = [roadmap_view(engine, SYSTEM, rid) for rid in ids(capsys, demo_url)[1]]
    engine.dispose()
    assert len(events) == sum(len(v.activities) + len(v.milestones) for v in views) >= 6 + 2 + 15 + 4
    deck = export(capsys, demo_url, tmp_path / "d.pptx", "--process", str(process), "--format", "pptx")
    titles = [s.shapes.title.text for s in Presentation(io.BytesIO(deck)).slides if s.shapes.title is not None]
    assert any("En hållbar ökad livsmedelsproduktion och förädling" in t for t in titles)
    one = export(capsys, demo_url, tmp_path / "one.pptx", "--roadmap", str(first), "--format", "pptx")
    one_titles = " ".join(s.shapes.title.text for s in Presentation(io.BytesIO(one)).slides if s.shapes.title)
    assert "Kulturarv som drivkraft" in one_titles and "livsmedelsproduktion" not in one_titles


@pytest.mark.parametrize("lang", ["sv", "en"])
def test_follow_up_report_docx_and_pdf(capsys, demo_url, tmp_path, chromium, lang):
    code, _, err = run(capsys, "--database", demo_url, "--lang", lang, "report", "--process", "1", "--format", "docx",
                       "--out", str(tmp_path / "r.docx"))  # fmt: skip
    assert code == 0, err
    doc = Document(str(tmp_path / "r.docx"))
    headings = [p.text for p in doc.paragraphs if p.style.name.startswith("Heading")]
    assert "En hållbar ökad livsmedelsproduktion och förädling" in headings
    assert len(doc.inline_shapes) >= 4  # a Gantt and a KPI chart per roadmap
    code, _, err = run(capsys, "--database", demo_url, "--lang", lang, "report", "--process", "1", "--format", "pdf",
                       "--out", str(tmp_path / "r.pdf"))  # fmt: skip
    assert code == 0, err
    reader = PdfReader(str(tmp_path / "r.pdf"))
    text = " ".join(page.extract_text() for page in reader.pages)
    assert len(reader.pages) > 2 and ("Uppföljningsrapport" if lang == "sv" else "Follow-up report") in text


def test_a_successful_report_run_as_a_command_prints_no_traceback_on_stderr(demo_url, tmp_path, chromium):
    """Run as a user runs it: a process of its own, where nothing has set up logging, so that a
    third-party warning would reach Python's last-resort handler and stderr."""
    out = tmp_path / "r.pdf"
    done = subprocess.run(
        [sys.executable, "-m", "edp", "--database", demo_url, "report", "--process", "1", "--format", "pdf",
         "--out", str(out)],
        capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert out.stat().st_size > 0 and str(out) in done.stdout
    assert "Traceback" not in done.stderr and "Error" not in done.stderr, done.stderr


def test_kaleido_and_choreographer_log_at_debug_never_on_stderr():
    script = (
        "import logging, sys\n"
        "import edp.io.imaging\n"
        "for name in ('choreographer.channels.pipe', 'kaleido.kaleido', 'logistro'):\n"
        "    try:\n"
        "        raise ValueError('bad frame')\n"
        "    except ValueError:\n"
        "        logging.getLogger(name).exception('JSONError decoding message. Ignoring')\n"
        "if sys.argv[1] == 'debug':\n"
        "    logging.basicConfig(level=logging.DEBUG, format='%(levelname)s %(name)s %(message)s')\n"
        "    logging.getLogger('choreographer.channels.pipe').error('asked for')\n"
    )
    quiet = subprocess.run([sys.executable, "-c", script, "quiet"], capture_output=True, text=True, check=True)
    assert quiet.stderr == ""
    asked = subprocess.run([sys.executable, "-c", script, "debug"], capture_output=True, text=True, check=True)
    assert asked.stderr.strip() == "DEBUG choreographer.channels.pipe asked for"  # at DEBUG, its own name


def test_import_roadmap_from_an_exported_file(capsys, demo_url, tmp_path):
    process, (_, mission, *_) = ids(capsys, demo_url)
    path = tmp_path / "mission.xlsx"
    export(capsys, demo_url, path, "--roadmap", str(mission), "--format", "xlsx")
    code, out, err = run(capsys, "--database", demo_url, "import", "roadmap", str(path), "--process", str(process))
    assert code == 0, err
    new_id = int(out.split()[-1])
    assert new_id in ids(capsys, demo_url)[1]


def test_a_bad_import_prints_each_row_and_imports_nothing(capsys, demo_url, tmp_path):
    process, (_, mission, *_) = ids(capsys, demo_url)  # another test may have imported a copy
    path = tmp_path / "bad.xlsx"
    export(capsys, demo_url, path, "--roadmap", str(mission), "--format", "xlsx")
    wb = openpyxl.load_workbook(path)
    wb["activities"]["G2"] = "Okänd Aktör AB"  # lead_actor of the first activity
    wb["kpis"]["H3"] = "2020-01-01"  # a target date before its baseline
    wb.save(path)
    before = ids(capsys, demo_url)[1]
    code, out, err = run(
        capsys, "--database", demo_url, "--lang", "en", "import", "roadmap", str(path), "--process", str(process)
    )
    assert code == 2 and out == "" and "Traceback" not in err
    lines = err.strip().splitlines()
    assert lines[0].startswith("error: ") and "Nothing was imported" in lines[0]
    assert any(line.strip().startswith("activities row 2: ") and "Okänd Aktör AB" in line for line in lines[1:])
    assert any(line.strip().startswith("kpis row 3: ") for line in lines[1:])
    assert ids(capsys, demo_url)[1] == before


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["export", "roadmap", "--process", "1", "--format", "xlsx", "--out", "x.xlsx"], "--roadmap"),
        (["export", "roadmap", "--roadmap", "999", "--format", "ics", "--out", "x.ics"], "999"),
        (["import", "roadmap", "missing.xlsx", "--process", "1"], "missing.xlsx"),
        (["report", "--process", "999", "--format", "docx", "--out", "x.docx"], "process"),
    ],
)
def test_cli_mistakes_are_one_line(capsys, demo_url, tmp_path, monkeypatch, args, words):
    monkeypatch.chdir(tmp_path)
    code, out, err = run(capsys, "--database", demo_url, "--lang", "en", *args)
    assert code == 2 and out == ""
    assert err.startswith("error: ") and err.count("\n") == 1 and words.lower() in err.lower(), err


def test_csv_to_a_csv_path_is_one_real_csv_of_the_activities_and_to_a_zip_path_every_sheet(capsys, demo_url, tmp_path):
    _, (_first, mission, *_) = ids(capsys, demo_url)
    one = export(capsys, demo_url, tmp_path / "activities.csv", "--roadmap", str(mission), "--format", "csv")
    assert not one.startswith(b"PK"), "a ZIP under a .csv name"
    rows = list(csv.reader(io.StringIO(one.decode("utf-8-sig"))))
    engine = make_engine(demo_url)
    view = roadmap_view(engine, SYSTEM, mission)
    engine.dispose()
    assert rows[0] == list(roadmap_io.SHEETS["activities"]) and len(rows) - 1 == len(view.activities) == 15
    every = export(capsys, demo_url, tmp_path / "all.ZIP", "--roadmap", str(mission), "--format", "csv")
    names = zipfile.ZipFile(io.BytesIO(every)).namelist()
    assert "activities.csv" in names and "kpis.csv" in names
    assert zipfile.ZipFile(io.BytesIO(every)).read("activities.csv") == one


@pytest.mark.parametrize("name", ["roadmap.xlsx", "roadmap", "roadmap.txt"])
def test_csv_to_another_name_is_refused_in_one_line_that_names_csv_and_zip_and_nothing_is_written(
    capsys, demo_url, tmp_path, name
):
    out = tmp_path / name
    code, stdout, err = run(
        capsys, "--database", demo_url, "export", "roadmap", "--roadmap", "1", "--format", "csv", "--out", str(out)
    )
    assert code == 2 and stdout == "" and not out.exists()
    assert ".csv" in err and ".zip" in err and err.count("\n") == 1
