"""Every export format in one registry, so the command line and the pages offer the same files.

Modelled on pretix's BaseExporter: an `Exporter` has an identifier, a translated name, a file
extension, a MIME type and `render()`. The command line takes its `--format` choices from here and
the pages their labels, file types and MIME types, so adding a format is one entry in EXPORTERS,
its name in both catalogues (locales/*/LC_MESSAGES/exporters.po) and its row in README.md's table
of export formats (tests/unit/test_exporters.py fails on a missing one). The drawing stays where it
is (edp.io.exports, edp.roadmap.io, edp.io.reports, edp.io.imaging with edp.roadmap.charts): an exporter only
says which of it to call. Those modules are imported when a file is rendered, not here, so the
command line's --help does not load plotly, pandas or the office libraries.

Identifiers read "<subject>.<format>": the subject is what is exported (its command line command),
the format what a user picks (`--format png`). When one format writes two kinds of file, the one
whose extension is not the format's carries it as well: `roadmap.csv` is one CSV file,
`roadmap.csv.zip` a ZIP of every sheet.

Every render gets the same two things: a `Source` (what is exported, for whom) and `Options` (how).
A Source loads data only through the engine's read functions, each given the acting credential
(roadmap_view and process_roadmaps, report_data: a process's leaders and observers; round_results
and ballot_rows: whoever may see the round's results), so the registry opens no way around them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING

from edp.config import DEFAULT_LANG
from edp.i18n import t

if TYPE_CHECKING:
    import pandas as pd
    from sqlalchemy import Engine

    from edp.access import Credential
    from edp.io.reports import ReportData
    from edp.roadmap.views import ProcessRoadmaps, RoadmapView
    from edp.voting.tally import RoundResult

Progress = Callable[[float, str], None]

# What a Source must name for an exporter (Exporter.scope).
SCOPES = {
    "roadmap": "one roadmap",
    "roadmaps": "one roadmap or a process (all its roadmaps)",
    "round": "a round",
}
CHARTS = ("gantt", "kpis")  # one roadmap's charts; a process has its portfolio


@dataclass(frozen=True)
class Options:
    """How to draw a file. Each exporter reads what it needs and ignores the rest, so every caller
    passes the same kind of object whatever the format."""

    lang: str = DEFAULT_LANG
    chart: str = "gantt"  # which chart of one roadmap (CHARTS)
    color_by: str = "lead"  # the Gantt's colours: "lead" (actor) or "status"
    page_size: str = "A4"  # a chart's PDF page, landscape: A4 or A3
    progress: Progress | None = None  # (fraction, message) while a report or deck is made
    images: Mapping[str, bytes] | None = None  # report charts already drawn (edp.io.reports.report_images)


class Source:
    """What is exported, and who asks. Data is loaded on first use through the engine's checked read
    functions, with `who`, and kept: several files of one source (the page's report, PDF and deck)
    read the database once. A refusal (PermissionDenied, NotFound) reaches the caller unchanged."""

    def __init__(
        self,
        engine: Engine,
        who: Credential | None,
        *,
        roadmap_id: int | None = None,
        process_id: int | None = None,
        round_id: int | None = None,
    ) -> None:
        self.engine = engine
        self.who = who
        self.roadmap_id = roadmap_id
        self.process_id = process_id
        self.round_id = round_id
        self._reports: dict[str, ReportData] = {}

    def names(self, scope: str) -> bool:
        """Whether this source names what an exporter of `scope` needs."""
        if scope == "roadmap":
            return self.roadmap_id is not None
        if scope == "roadmaps":
            return self.roadmap_id is not None or self.process_id is not None
        if scope == "round":
            return self.round_id is not None
        raise ValueError(f"unknown scope {scope!r}; choose one of {', '.join(SCOPES)}")

    @cached_property
    def roadmap(self) -> RoadmapView:
        """The one roadmap, for its process's leaders and observers."""
        from edp.roadmap.views import roadmap_view

        if self.roadmap_id is None:
            raise ValueError("this source names no roadmap")
        return roadmap_view(self.engine, self.who, self.roadmap_id)

    @cached_property
    def process(self) -> ProcessRoadmaps:
        """Every roadmap of the process (of the roadmap's process, for a source of one roadmap)."""
        from edp.roadmap.views import process_roadmaps

        return process_roadmaps(self.engine, self.who, self._process_id())

    @property
    def roadmaps(self) -> tuple[RoadmapView, ...]:
        """The one roadmap, or every roadmap of the process."""
        return (self.roadmap,) if self.roadmap_id is not None else self.process.roadmaps

    def report(self, lang: str) -> ReportData:
        """The follow-up report's data in `lang`: the process's, or only one roadmap's (and the
        workshop its priority comes from) for a source of one roadmap."""
        from edp.io import reports

        if lang not in self._reports:
            data = reports.report_data(self.engine, self.who, self._process_id(), lang)
            if self.roadmap_id is not None:
                data = reports.only_roadmap(data, self.roadmap_id)
            self._reports[lang] = data
        return self._reports[lang]

    @cached_property
    def results(self) -> RoundResult:
        """The round's tally, for whoever may see it (edp.voting.tally.check_results_visible)."""
        from edp.voting.tally import round_results

        return round_results(self.engine, self.who, self._round())

    @cached_property
    def ballots(self) -> pd.DataFrame:
        """The round's pseudonymous ballot entries, for whoever may see its results."""
        from edp.io.exports import ballot_rows

        return ballot_rows(self.engine, self.who, self._round())

    def _process_id(self) -> int:
        """The source's process: the one named, or the roadmap's (read, and checked, first)."""
        if self.roadmap_id is not None:
            return self.roadmap.process_id
        if self.process_id is None:
            raise ValueError("this source names no process")
        return self.process_id

    def _round(self) -> int:
        if self.round_id is None:
            raise ValueError("this source names no round")
        return self.round_id


Render = Callable[[Source, Options], bytes]


@dataclass(frozen=True)
class Exporter:
    """One kind of file: what it is called, how it is stored and served, and how it is made."""

    identifier: str  # "<subject>.<format>[.<extension>]", see the module's docstring
    extension: str  # without the dot
    mime_type: str
    scope: str  # what a Source must name (SCOPES)
    summary: str  # what the file holds, in the command line's English; it quotes this to choose between two
    build: Render = field(repr=False, compare=False)

    @property
    def subject(self) -> str:
        return self.identifier.split(".")[0]

    @property
    def format(self) -> str:
        """What a user picks: the command line's --format value."""
        return self.identifier.split(".")[1]

    @property
    def name(self) -> str:
        """The message key of the name shown to people (edp/locales/*/LC_MESSAGES/exporters.po)."""
        return f"exporter.{self.identifier}"

    def label(self, lang: str = DEFAULT_LANG) -> str:
        return t(self.name, lang)

    def file_name(self, stem: str) -> str:
        return f"{stem}.{self.extension}"

    def render(self, source: Source, options: Options | None = None) -> bytes:
        """The file's bytes. The data comes from `source` (checked for its credential)."""
        if not source.names(self.scope):
            raise ValueError(f"{self.identifier} exports {SCOPES[self.scope]}, and the source names none")
        return self.build(source, options or Options())


# ---------------------------------------------------------------- how each file is made


def _chart(fmt: str) -> Render:
    """A roadmap chart laid out for its medium (edp.io.imaging.export_chart): a process's portfolio, or
    one roadmap's Gantt or KPIs. One image is one step: its caller reports progress around it."""

    def render(src: Source, opt: Options) -> bytes:
        from edp.io import imaging
        from edp.roadmap import charts as roadmap_charts

        page_size = imaging.page_size_of(opt.page_size)
        width = imaging.layout_width(fmt, page_size)  # labels placed for the medium's width
        if src.roadmap_id is None:
            fig = roadmap_charts.portfolio_figure(src.process, opt.lang, width=width)
        elif opt.chart == "kpis":
            one = src.roadmap
            cols = 3 if fmt == "pdf" and len(one.kpis) > 4 else None  # a landscape page: wider than tall
            fig = roadmap_charts.kpis_figure(one, opt.lang, width=width, cols=cols)
        else:
            fig = roadmap_charts.gantt_figure(src.roadmap, opt.lang, color_by=opt.color_by, width=width)
        return imaging.export_chart(fig, fmt, page_size=page_size)

    return render


def _workbook(src: Source, opt: Options) -> bytes:
    from edp.roadmap import io as roadmap_io

    return roadmap_io.to_xlsx(src.roadmap)


def _activities_csv(src: Source, opt: Options) -> bytes:
    from edp.roadmap import io as roadmap_io

    return roadmap_io.to_csv(src.roadmap)


def _sheets_zip(src: Source, opt: Options) -> bytes:
    from edp.roadmap import io as roadmap_io

    return roadmap_io.to_csv_zip(src.roadmap)


def _calendar(src: Source, opt: Options) -> bytes:
    from edp.roadmap import io as roadmap_io

    return roadmap_io.to_ics(src.roadmaps, lang=opt.lang)


def _document(kind: str) -> Render:
    """The follow-up report (docx, pdf) or the steering deck (pptx) of the source's report data."""

    def render(src: Source, opt: Options) -> bytes:
        from edp.io import reports

        build = {"docx": reports.followup_docx, "pdf": reports.followup_pdf, "pptx": reports.steering_deck}[kind]
        return build(src.report(opt.lang), opt.lang, images=opt.images, progress=opt.progress)

    return render


def _results_json(src: Source, opt: Options) -> bytes:
    return (src.results.to_json() + "\n").encode("utf-8")


def _results_csv(src: Source, opt: Options) -> bytes:
    from edp.io.exports import safe_csv

    return safe_csv(src.results.frame())


def _tally_csv(src: Source, opt: Options) -> bytes:
    from edp.io.exports import tally_csv

    return tally_csv(src.results)


def _tally_xlsx(src: Source, opt: Options) -> bytes:
    from edp.io.exports import tally_xlsx

    return tally_xlsx(src.results, opt.lang)


def _ballots_csv(src: Source, opt: Options) -> bytes:
    from edp.io.exports import safe_csv

    return safe_csv(src.ballots)


# ---------------------------------------------------------------- the registry

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
PPTX = "application/vnd.openxmlformats-officedocument.presentationml.presentation"


def registry(exporters: Iterable[Exporter]) -> dict[str, Exporter]:
    """Identifier -> exporter, in the order given (the order --help lists them). Two with one
    identifier, or one whose identifier does not end in its extension, are refused at import."""
    out: dict[str, Exporter] = {}
    for e in exporters:
        parts = e.identifier.split(".")
        if e.identifier in out:
            raise ValueError(f"two exporters are called {e.identifier}")
        if not 2 <= len(parts) <= 3 or parts[-1] != e.extension or e.scope not in SCOPES:
            raise ValueError(
                f"exporter {e.identifier}: the identifier is subject.format (the extension) or "
                f"subject.format.extension, the scope one of {', '.join(SCOPES)}"
            )
        out[e.identifier] = e
    return out


EXPORTERS: dict[str, Exporter] = registry(
    [
        # python -m edp export roadmap: one roadmap, or with --process all of a process's roadmaps
        Exporter("roadmap.png", "png", "image/png", "roadmaps",
                 "a chart as PNG, laid out for a projector", _chart("png")),
        Exporter("roadmap.svg", "svg", "image/svg+xml", "roadmaps",
                 "a chart as SVG, laid out for a projector", _chart("svg")),
        Exporter("roadmap.pdf", "pdf", "application/pdf", "roadmaps",
                 "a chart on one landscape A4 or A3 page", _chart("pdf")),
        Exporter("roadmap.html", "html", "text/html", "roadmaps",
                 "a chart as one interactive, self-contained web page", _chart("html")),
        Exporter("roadmap.xlsx", "xlsx", XLSX, "roadmap",
                 "the roadmap as a workbook that can be edited and imported again", _workbook),
        Exporter("roadmap.csv", "csv", "text/csv", "roadmap",
                 "the activities as one CSV to a .csv file", _activities_csv),
        Exporter("roadmap.csv.zip", "zip", "application/zip", "roadmap",
                 "every sheet as CSV files in a .zip", _sheets_zip),
        Exporter("roadmap.ics", "ics", "text/calendar", "roadmaps",
                 "the activities and milestones as a calendar", _calendar),
        Exporter("roadmap.pptx", "pptx", PPTX, "roadmaps",
                 "the steering group's deck", _document("pptx")),
        # python -m edp report
        Exporter("report.docx", "docx", DOCX, "roadmaps",
                 "the follow-up report as a Word document", _document("docx")),
        Exporter("report.pdf", "pdf", "application/pdf", "roadmaps",
                 "the follow-up report as a PDF", _document("pdf")),
        # python -m edp results (to stdout, for scripts)
        Exporter("results.json", "json", "application/json", "round",
                 "a round's tally, every figure", _results_json),
        Exporter("results.csv", "csv", "text/csv", "round",
                 "a round's tally, one row per theme, columns as computed", _results_csv),
        # the results page's downloads
        Exporter("tally.csv", "csv", "text/csv", "round",
                 "a round's ranking in stable columns", _tally_csv),
        Exporter("tally.xlsx", "xlsx", XLSX, "round",
                 "a round's ranking, turnout and notes as a workbook", _tally_xlsx),
        # python -m edp export ballots, and the results page
        Exporter("ballots.csv", "csv", "text/csv", "round",
                 "one row per ballot entry, pseudonymous, for a recount", _ballots_csv),
    ]
)  # fmt: skip


def for_subject(subject: str) -> list[Exporter]:
    return [e for e in EXPORTERS.values() if e.subject == subject]


def formats(subject: str) -> tuple[str, ...]:
    """The formats of a subject in registry order: a command's --format choices."""
    return tuple(dict.fromkeys(e.format for e in for_subject(subject)))


def for_format(subject: str, fmt: str) -> list[Exporter]:
    return [e for e in for_subject(subject) if e.format == fmt]


def pick(subject: str, fmt: str, path: str | Path = "") -> Exporter | None:
    """The exporter of `fmt` for a file at `path`: the format's only one, else the one whose extension
    the path has (`roadmap.csv` for a .csv path, `roadmap.csv.zip` for a .zip); None when none fits."""
    found = for_format(subject, fmt)
    if len(found) == 1:
        return found[0]
    suffix = Path(path).suffix.lower()
    return next((e for e in found if suffix == f".{e.extension}"), None)


def by_extension(extension: str) -> list[Exporter]:
    ext = extension.lower().lstrip(".")
    return [e for e in EXPORTERS.values() if e.extension == ext]


def mime_type(extension: str) -> str:
    """The MIME type the registry serves files of `extension` as (a page's own file, like a list of
    update links, is served like the registered ones); KeyError when no exporter writes it."""
    found = by_extension(extension)
    if not found:
        raise KeyError(extension)
    return found[0].mime_type
