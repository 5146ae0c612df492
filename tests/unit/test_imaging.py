"""Figure export: PNG/SVG/PDF through one shared kaleido browser, self-contained HTML, clear errors."""

from __future__ import annotations

import datetime as dt
import io
import struct
import threading
from pathlib import Path

import plotly
import plotly.graph_objects as go
import pytest
from defusedxml import ElementTree
from pypdf import PdfReader

from edp.errors import EdpError
from edp.io import imaging
from edp.roadmap import charts as rc
from tests.conftest import require_service
from tests.roadmap_sample import sample_roadmap

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == PNG_MAGIC
    assert data[12:16] == b"IHDR"
    return struct.unpack(">II", data[16:24])


@pytest.fixture(scope="module")
def chromium() -> None:
    require_service(imaging.browser_path() is not None, "chromium (kaleido, for image export)")


@pytest.fixture(scope="module")
def gantt():  # noqa: ANN201
    return rc.gantt_figure(sample_roadmap(), "sv", today=dt.date(2027, 3, 1))


def test_png_is_at_least_1920_wide_and_as_tall_as_the_figure(chromium, gantt):
    data = imaging.export_figure(gantt, "png")
    width, height = png_size(data)
    assert width >= 1920
    assert height == gantt.layout.height
    assert png_size(imaging.export_figure(gantt, "png", width=2400, height=900)) == (2400, 900)


def test_a_figure_without_a_height_gets_the_default(chromium):
    data = imaging.export_figure(go.Figure(go.Bar(x=[1, 2], y=[3, 4])), "png")
    assert png_size(data) == (1920, imaging.DEFAULT_HEIGHT)


def test_svg_parses_as_xml_with_an_svg_root_and_escaped_user_text(chromium):
    fig = rc.gantt_figure(sample_roadmap(title="<b>Fet</b> & mager"), "en", today=dt.date(2027, 3, 1))
    data = imaging.export_figure(fig, "svg")
    root = ElementTree.fromstring(data)
    assert root.tag.rsplit("}", 1)[-1] == "svg"
    texts = "".join(root.itertext())
    assert "<b>Fet</b> & mager" in texts  # shown as typed, not as markup
    assert "Today" in texts


def test_pdf_is_one_page(chromium, gantt):
    data = imaging.export_figure(gantt, "pdf")
    assert data.startswith(b"%PDF")
    assert len(PdfReader(io.BytesIO(data)).pages) == 1


def test_html_is_self_contained_and_needs_no_chromium(monkeypatch, gantt):
    monkeypatch.setattr(imaging, "_RENDERER", None)  # any use of the browser would fail
    html = imaging.export_figure(gantt, "html").decode("utf-8")
    assert html.lstrip().lower().startswith("<!doctype html>") and html.rstrip().endswith("</html>")
    assert "cdn.plot.ly" not in html
    assert '<script src="http' not in html
    assert "Plotly.newPlot" in html
    bundle = (Path(plotly.__file__).parent / "package_data" / "plotly.min.js").read_text(encoding="utf-8")
    assert bundle[500:1500] in html and len(html) > len(bundle)  # the plotly.js bundle itself is inlined


def test_one_browser_serves_many_images_and_two_threads_at_once(chromium, gantt):
    imaging.export_figure(gantt, "png")  # started by now
    starts = imaging._RENDERER.starts
    results: dict[int, bytes] = {}
    errors: list[BaseException] = []

    def work(i: int) -> None:
        try:
            results[i] = imaging.export_figure(gantt, "png" if i == 0 else "svg")
        except BaseException as e:  # noqa: BLE001 - reported below
            errors.append(e)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert errors == []
    assert png_size(results[0])[0] >= 1920
    assert ElementTree.fromstring(results[1]).tag.endswith("svg")
    assert imaging._RENDERER.starts == starts  # no new browser per image
    assert imaging._RENDERER.running


def test_export_many_reports_progress_in_order(chromium, gantt):
    steps: list[tuple[float, str]] = []
    out = imaging.export_many(
        [gantt, rc.kpis_figure(sample_roadmap(), "en")], "png", progress=lambda f, s: steps.append((f, s))
    )
    assert [png_size(b)[0] for b in out] == [1920, 1920]
    assert steps == [(0.0, "1/2"), (0.5, "2/2"), (1.0, "2/2")]


def test_unknown_format_names_the_field_and_the_options(gantt):
    with pytest.raises(EdpError) as err:
        imaging.export_figure(gantt, "gif")
    assert err.value.key == "export.format_unknown"
    assert err.value.field == "format"
    assert err.value.params["options"] == "png, svg, pdf, html"
    assert err.value.message("en") == "Format: unknown format “gif”. Choose one of: png, svg, pdf, html."
    assert err.value.message("sv").startswith("Format: okänt format ”gif”.")


def test_missing_chromium_is_a_clear_error_saying_how_to_install_it(monkeypatch, gantt):
    monkeypatch.setenv("BROWSER_PATH", "/nonexistent/chromium")
    assert imaging.browser_path() is None
    monkeypatch.setattr(imaging, "_RENDERER", imaging.Renderer())  # a fresh one, not yet started
    with pytest.raises(EdpError) as err:
        imaging.export_figure(gantt, "png")
    assert err.value.key == "export.chromium_missing"
    assert "apt install chromium" in err.value.message("sv")
    assert "apt install chromium" in err.value.message("en") and "Chromium" in err.value.message("en")
    assert not imaging._RENDERER.running


def test_the_browser_can_be_stopped_and_starts_again(chromium, gantt):
    renderer = imaging.Renderer()
    opts = {"format": "png", "width": 1920, "height": 600, "scale": 1}
    try:
        assert png_size(renderer.render(gantt, opts))[0] == 1920
        renderer.stop()
        assert not renderer.running
        assert png_size(renderer.render(gantt, opts))[0] == 1920
        assert renderer.starts == 2
    finally:
        renderer.stop()
