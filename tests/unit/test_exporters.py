"""The export registry (edp/io/exporters.py): every format is named in both languages, served with the
MIME type of its extension, drawn into a file its reader recognises, offered by the command line
exactly as registered, documented in the README, and never a way around the engine's role checks.
Rendering runs on the demo (SQLite; the engine's reads are tested on both databases elsewhere)."""

from __future__ import annotations

import argparse
import ast
import csv
import io
import json
import mimetypes
import re
import zipfile
from pathlib import Path

import pytest

from edp import demo, i18n
from edp.__main__ import build_parser, main
from edp.access import SYSTEM
from edp.db import make_engine, upgrade
from edp.errors import PermissionDenied
from edp.io import exporters
from edp.io.exporters import EXPORTERS, Exporter, Options, Source
from edp.io.imaging import browser_path
from tests.conftest import require_service

ROOT = Path(__file__).resolve().parents[2]

# The IANA type of each extension the registry writes. Python's built-in table (not the machine's
# /etc/mime.types, which differs between hosts) must agree wherever it knows the extension.
IANA = {
    "png": "image/png",
    "svg": "image/svg+xml",
    "pdf": "application/pdf",
    "html": "text/html",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "pptx": "application/vnd.openxmlformats-officedocument.presentationml.presentation",
    "csv": "text/csv",
    "zip": "application/zip",
    "ics": "text/calendar",
    "json": "application/json",
}
# The command that offers each subject's formats; the other subjects are the pages' own.
COMMANDS = {
    "roadmap": ("export", "roadmap"),
    "report": ("report",),
    "results": ("results",),
    "ballots": ("export", "ballots"),
}
DRAWN_BY_CHROMIUM = {"roadmap.png", "roadmap.svg", "roadmap.pdf"}


# ---------------------------------------------------------------- what every exporter declares


@pytest.mark.parametrize("exporter", EXPORTERS.values(), ids=EXPORTERS.keys())
def test_every_exporter_has_an_identifier_that_ends_in_its_extension_a_scope_and_a_summary(exporter):
    assert re.fullmatch(r"[a-z]+\.[a-z0-9]+(\.[a-z0-9]+)?", exporter.identifier)
    assert exporter.identifier.endswith(f".{exporter.extension}") and EXPORTERS[exporter.identifier] is exporter
    assert exporter.scope in exporters.SCOPES and exporter.summary.strip()
    assert exporter.format in exporters.formats(exporter.subject)


@pytest.mark.parametrize("lang", ["sv", "en"])
def test_every_exporter_has_a_name_in_swedish_and_in_english(lang):
    catalogue = i18n.catalogue(lang)
    missing = [e.identifier for e in EXPORTERS.values() if not catalogue.get(e.name, "").strip()]
    assert missing == []
    assert EXPORTERS["report.docx"].label("sv") == "Uppföljningsrapport (Word)"
    assert EXPORTERS["report.docx"].label("en") == "Follow-up report (Word)"


@pytest.mark.parametrize("exporter", EXPORTERS.values(), ids=EXPORTERS.keys())
def test_every_exporter_is_served_with_the_mime_type_of_its_extension(exporter):
    assert exporter.mime_type == IANA[exporter.extension]
    builtin = mimetypes.MimeTypes().types_map[True].get(f".{exporter.extension}")
    assert builtin in (None, exporter.mime_type)


def test_one_extension_is_served_with_one_mime_type_and_a_page_asks_the_registry_for_it():
    by_ext: dict[str, set[str]] = {}
    for e in EXPORTERS.values():
        by_ext.setdefault(e.extension, set()).add(e.mime_type)
    assert {ext for ext, types in by_ext.items() if len(types) > 1} == set()
    assert exporters.mime_type(".CSV") == "text/csv" and exporters.mime_type("zip") == "application/zip"
    with pytest.raises(KeyError):
        exporters.mime_type("exe")


def test_the_registry_refuses_two_exporters_with_one_identifier_or_an_identifier_without_its_extension():
    one = EXPORTERS["roadmap.xlsx"]
    with pytest.raises(ValueError, match="two exporters"):
        exporters.registry([one, one])
    with pytest.raises(ValueError, match="identifier"):
        exporters.registry([Exporter("roadmap.sheet", "xlsx", one.mime_type, "roadmap", "x", one.build)])
    with pytest.raises(ValueError, match="scope"):
        exporters.registry([Exporter("roadmap.xlsx", "xlsx", one.mime_type, "region", "x", one.build)])


def test_pick_takes_a_formats_only_exporter_or_the_one_the_paths_extension_names():
    assert exporters.pick("roadmap", "xlsx", "anything.txt") is EXPORTERS["roadmap.xlsx"]
    assert exporters.pick("roadmap", "csv", "out/Roadmap.CSV") is EXPORTERS["roadmap.csv"]
    assert exporters.pick("roadmap", "csv", "all.zip") is EXPORTERS["roadmap.csv.zip"]
    assert exporters.pick("roadmap", "csv", "roadmap.xlsx") is None and exporters.pick("roadmap", "csv", "x") is None
    assert [e.identifier for e in exporters.by_extension("zip")] == ["roadmap.csv.zip"]


# ---------------------------------------------------------------- the command line and the pages


def format_choices(*command: str) -> tuple[str, ...]:
    parser = build_parser()
    for name in command:
        sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
        parser = sub.choices[name]
    return tuple(next(a for a in parser._actions if a.dest == "format").choices)


@pytest.mark.parametrize(("subject", "command"), COMMANDS.items())
def test_each_commands_format_choices_are_the_registrys_formats_of_its_subject(subject, command):
    assert format_choices(*command) == exporters.formats(subject)
    assert set(exporters.formats(subject)) == {e.format for e in exporters.for_subject(subject)}


def test_export_roadmap_help_lists_exactly_the_registered_formats(capsys):
    with pytest.raises(SystemExit):
        main(["export", "roadmap", "--help"])
    listed = re.search(r"--format\s+\{([a-z,]+)\}", capsys.readouterr().out)
    assert listed is not None and tuple(listed.group(1).split(",")) == exporters.formats("roadmap")


def ui_sources() -> list[Path]:
    return [ROOT / "app.py", *sorted((ROOT / "pages").glob("*.py")), *sorted((ROOT / "edp" / "ui").glob("*.py"))]


def string_constants(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return {n.value for n in ast.walk(tree) if isinstance(n, ast.Constant) and isinstance(n.value, str)}


def test_every_exporter_is_offered_by_a_command_or_by_a_page():
    on_pages = set().union(*(string_constants(p) for p in ui_sources()))
    offered = {e for e in EXPORTERS if EXPORTERS[e].subject in COMMANDS or e in on_pages}
    assert set(EXPORTERS) - offered == set()
    assert {"tally.csv", "tally.xlsx", "ballots.csv", "roadmap.xlsx", "report.pdf"} <= on_pages


MIME_LITERAL = re.compile(r"(application|text|image|audio|video|font)/[\w.+-]+")


def mime_literals(paths: list[Path]) -> list[str]:
    """Every string in these files that is a MIME type: a page with a table of its own."""
    return [f"{p.name}: {s}" for p in paths for s in sorted(string_constants(p)) if MIME_LITERAL.fullmatch(s)]


def test_the_pages_have_no_mime_types_of_their_own():
    assert mime_literals(ui_sources()) == []


def test_the_mime_check_sees_a_table_in_a_page(tmp_path):
    page = tmp_path / "page.py"
    page.write_text('MIME = {"csv": "text/csv", "note": "text for people"}\n')
    assert mime_literals([page]) == ["page.py: text/csv"]


# ---------------------------------------------------------------- the README


def documented(readme: str) -> set[str]:
    """The identifiers in the first column of the README's table of export formats."""
    section = readme.split("### Export formats", 1)[1]
    section = re.split(r"\n#{1,3} ", section, maxsplit=1)[0]
    return set(re.findall(r"^\| `([^`]+)` \|", section, flags=re.MULTILINE))


def undocumented(readme: str) -> set[str]:
    return set(EXPORTERS) - documented(readme)


def test_every_registered_exporter_is_listed_in_the_readme():
    assert undocumented((ROOT / "README.md").read_text(encoding="utf-8")) == set()


def test_the_readme_lists_no_exporter_that_is_not_registered():
    assert documented((ROOT / "README.md").read_text(encoding="utf-8")) - set(EXPORTERS) == set()


def test_the_docs_check_catches_an_exporter_missing_from_the_readme():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    without = "\n".join(line for line in readme.splitlines() if not line.startswith("| `roadmap.ics` |"))
    assert undocumented(without) == {"roadmap.ics"}
    after = readme.replace("### Export formats", "### Export formats\n\n## Elsewhere\n", 1)
    assert undocumented(after) == set(EXPORTERS)  # a row under another heading does not count


# ---------------------------------------------------------------- rendering, on the demo


@pytest.fixture(scope="module")
def demo_engine(tmp_path_factory: pytest.TempPathFactory):  # noqa: ANN201
    path = tmp_path_factory.mktemp("exporters") / "demo.sqlite"
    engine = make_engine(f"sqlite:///{path}")
    upgrade(engine)
    loaded = demo.load(engine)
    yield engine, loaded
    engine.dispose()


@pytest.fixture
def chromium() -> None:
    require_service(browser_path() is not None, "chromium for chart export")


def source_for(exporter: Exporter, engine, loaded, who=SYSTEM) -> Source:  # noqa: ANN001
    """One roadmap for what exports one; the whole process for what exports one or all; the demo's
    scoring round for a round (or its open round, which no one but its organisers may see yet)."""
    if exporter.scope == "roadmap":
        return Source(engine, who, roadmap_id=2)
    if exporter.scope == "roadmaps":
        return Source(engine, who, process_id=loaded.process_id)
    return Source(engine, who, round_id=loaded.score_round_id if who is SYSTEM else open_round(engine, loaded))


def open_round(engine, loaded) -> int:  # noqa: ANN001
    from edp.queries import overview

    workshop = next(w for p in overview(engine) for w in p["workshops"] if w["id"] == loaded.open_workshop_id)
    return workshop["rounds"][0]["id"]


def csv_header(data: bytes) -> list[str]:
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    assert len(rows) >= 2, "a header and at least one row"
    return rows[0]


def assert_is_a(extension: str, data: bytes) -> None:
    """The file starts as its reader expects (and an office file or ZIP holds what its kind holds)."""
    head = data[:200].lstrip().lower()
    if extension == "png":
        assert data.startswith(b"\x89PNG\r\n\x1a\n")
    elif extension == "svg":
        assert head.startswith((b"<svg", b"<?xml"))
    elif extension == "pdf":
        assert data.startswith(b"%PDF-")
    elif extension == "html":
        assert head.startswith((b"<html", b"<!doctype html"))
    elif extension in ("xlsx", "docx", "pptx", "zip"):
        assert data.startswith(b"PK\x03\x04")
        inside = {"xlsx": "xl/workbook.xml", "docx": "word/document.xml", "pptx": "ppt/presentation.xml"}
        names = zipfile.ZipFile(io.BytesIO(data)).namelist()
        assert inside.get(extension, "activities.csv") in names
    elif extension == "ics":
        assert data.startswith(b"BEGIN:VCALENDAR")
    elif extension == "json":
        assert data.startswith(b"{") and "themes" in json.loads(data)
    elif extension == "csv":
        header = csv_header(data)  # names, not figures: the first line is a header
        assert len(header) >= 3 and re.fullmatch(r"[a-z_]+", header[0]), header
        assert all(h.strip() and not re.fullmatch(r"[-+\d.,]+", h) for h in header), header
    else:
        pytest.fail(f"no reader check for .{extension}: add one here")


@pytest.mark.parametrize("identifier", [i for i in EXPORTERS if i not in DRAWN_BY_CHROMIUM])
def test_each_file_export_renders_a_file_its_reader_recognises(demo_engine, identifier):
    engine, loaded = demo_engine
    exporter = EXPORTERS[identifier]
    assert_is_a(exporter.extension, exporter.render(source_for(exporter, engine, loaded), Options(lang="en")))


@pytest.mark.parametrize("identifier", sorted(DRAWN_BY_CHROMIUM))
def test_each_chart_export_renders_an_image_its_reader_recognises(demo_engine, chromium, identifier):
    engine, loaded = demo_engine
    exporter = EXPORTERS[identifier]
    for source, options in (
        (source_for(exporter, engine, loaded), Options(lang="sv")),  # the portfolio
        (Source(engine, SYSTEM, roadmap_id=1), Options(lang="en", chart="kpis", page_size="A3")),
    ):
        assert_is_a(exporter.extension, exporter.render(source, options))


def test_the_roadmap_csv_holds_the_activities_and_the_zip_every_sheet(demo_engine):
    from edp.roadmap.io import SHEETS

    engine, _ = demo_engine
    source = Source(engine, SYSTEM, roadmap_id=2)
    assert csv_header(EXPORTERS["roadmap.csv"].render(source)) == list(SHEETS["activities"])
    names = zipfile.ZipFile(io.BytesIO(EXPORTERS["roadmap.csv.zip"].render(source))).namelist()
    assert names == [f"{sheet}.csv" for sheet in SHEETS]


@pytest.mark.parametrize("identifier", EXPORTERS.keys())
def test_every_exporter_refuses_a_source_whose_credential_may_not_see_it(demo_engine, identifier):
    """The registry reads through the engine's checks: without a signed-in organiser no roadmap,
    report or deck, and no tally or ballots of a round not yet shown to the room."""
    engine, loaded = demo_engine
    exporter = EXPORTERS[identifier]
    for who in (None, "not-a-session"):
        with pytest.raises(PermissionDenied):
            exporter.render(source_for(exporter, engine, loaded, who=who), Options(lang="en"))


def test_an_exporter_refuses_a_source_that_does_not_name_what_it_exports(demo_engine):
    engine, loaded = demo_engine
    with pytest.raises(ValueError, match="one roadmap"):
        EXPORTERS["roadmap.xlsx"].render(Source(engine, SYSTEM, process_id=loaded.process_id))
    with pytest.raises(ValueError, match="a round"):
        EXPORTERS["tally.csv"].render(Source(engine, SYSTEM, roadmap_id=1))


def test_one_source_reads_its_roadmap_once_for_several_files(demo_engine, monkeypatch):
    import edp.roadmap.views

    engine, _ = demo_engine
    reads = []
    real = edp.roadmap.views.roadmap_view
    monkeypatch.setattr(edp.roadmap.views, "roadmap_view", lambda *a: reads.append(a[2]) or real(*a))
    source = Source(engine, SYSTEM, roadmap_id=1)
    for identifier in ("roadmap.xlsx", "roadmap.csv.zip", "roadmap.ics"):
        EXPORTERS[identifier].render(source, Options(lang="sv"))
    assert reads == [1]


def test_results_and_ballots_print_plain_utf8_without_a_byte_order_mark(demo_engine, capsys, tmp_path):
    engine, loaded = demo_engine
    url = engine.url.render_as_string(hide_password=False)
    for argv in (["results", "--round", str(loaded.dots_round_id), "--format", "csv"],
                 ["export", "ballots", "--round", str(loaded.dots_round_id)]):  # fmt: skip
        assert main(["--database", url, *argv]) == 0
        out = capsys.readouterr().out
        assert not out.startswith("\ufeff") and out.splitlines()[0].startswith(("theme_id,", "ballot,"))
    target = tmp_path / "ballots.csv"
    assert (
        main(["--database", url, "export", "ballots", "--round", str(loaded.dots_round_id), "--output", str(target)])
        == 0
    )
    assert target.read_bytes().startswith(b"ballot,")
