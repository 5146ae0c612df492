"""A hostile-input corpus through every text input of the engine, the exports, the imports and the CLI.

Each string is either refused with an EdpError whose message names the field (and the limit), with
nothing written, or stored exactly as validate.text documents it (NFC, CRLF -> LF, trimmed) and read
back unchanged. Nothing else is rewritten: what would be is refused with a message saying what to change.

- Control characters are refused everywhere.
- A line break or tab in a single-line field is refused (it used to be folded into a space without a word).
- Bidi embeddings and overrides (U+202A ... U+202E) are refused everywhere; in single-line fields every bidi
  control and every invisible (default-ignorable) character is refused too, except inside an emoji sequence
  or between letters of a script that joins (edp/invisible.py). Multi-line text keeps the others.
"""

from __future__ import annotations

import csv
import dataclasses
import datetime as dt
import io
import re
import unicodedata
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import openpyxl
import pytest
from sqlalchemy import Engine

from edp import workshop as ops
from edp.__main__ import main
from edp.access import SYSTEM
from edp.errors import EdpError, RowErrors, SheetErrors
from edp.i18n import field_label
from edp.imports import import_actors, list_actors
from edp.io import exports
from edp.live import participant_view, workshop_view
from edp.queries import overview
from edp.roadmap import io as roadmap_io
from edp.roadmap import operations as rmo
from edp.roadmap.views import RoadmapView, roadmap_view
from edp.voting.tally import round_results
from tests.conftest import table_counts
from tests.factory import PASSCODE, make_setup
from tests.roadmap_sample import ACTORS, sample_roadmap

# ---------------------------------------------------------------- the corpus

HUGE = "x" * 100_000

CORPUS: dict[str, str] = {
    "script_tag": "<script>alert(1)</script>",
    "img_onerror": "<img src=x onerror=alert(1)>",
    "markdown_link_image": "[klick](javascript:alert(1)) ![bild](http://e.se/x.png)",
    "markdown_emphasis": "**fet** _kursiv_ `kod` :material/home: $x^2$",
    "html_entity": "&lt;b&gt; &amp; &#60;script&#62;",
    "huge": HUGE,
    "nul": "a\x00b",
    "bell": "a\x07b",
    "ansi_escape": "\x1b[31mröd\x1b[0m",
    "c1_csi": "a\x9b31mb",
    "lone_surrogate": "a\ud800b",
    "rtl_override": "\u202eevil\u202c",
    "zero_width": "a\u200bb\ufeff",
    "emoji": "🌲🇸🇪👩🏽‍🌾",
    "decomposed": "Cafe\u0301 Åre",
    "sql": "'; DROP TABLE actors; --",
    "sql_union": "1 OR 1=1 UNION SELECT passcode_hash FROM workshops",
    "formula_hyperlink": '=HYPERLINK("http://x","klick")',
    "formula_plus": "+46 70",
    "formula_at": "@SUM(A1)",
    "formula_minus": "-1+2",
    "multiline_crlf": "rad ett\r\nrad två\r\n\r\n  rad tre  ",
    "multiline_markdown": "# Rubrik\n\n* punkt\n> citat\n<b>fet</b>",
    "multiline_tabs": "  kolumn\tett\n\tkolumn två  ",
    "bidi_isolate": "a\u2067b\u2069c",
    "soft_hyphen": "Hus\u00adhållning",
    "hangul_filler": "x\u3164",
    "zwnj_persian": "می\u200cخواهم",
    "double_space": "Gaaltije  Sápmi",
}
# The characters that must be refused wherever text is typed.
MUST_REFUSE = {"nul", "bell", "ansi_escape", "c1_csi", "lone_surrogate"}
FORMULAS = [CORPUS[k] for k in ("formula_hyperlink", "formula_plus", "formula_at", "formula_minus")]
NOT_HUGE = {k: v for k, v in CORPUS.items() if k != "huge"}

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff]")
# The rules, written out again (not imported) for the characters the corpus holds.
_LINE_BREAKS = re.compile("[\n\r\t\u2028\u2029]")
_BIDI = re.compile("[\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")
_BIDI_EVERYWHERE = re.compile("[\u202a-\u202e]")
_INVISIBLE = re.compile("[\u00ad\u200b\u2060\u3164\ufeff]")  # ZWJ/ZWNJ in the corpus sit where they belong


def normalised(value: str) -> str:
    """validate.text's documented normalisation, written out again (not imported) to check it."""
    return unicodedata.normalize("NFC", value.replace("\r\n", "\n")).strip()


def outcome(name: str, value: str, *, multiline: bool, max_len: int) -> tuple[str, object]:
    """("refused", message key) or ("stored", the normalised text)."""
    if name in MUST_REFUSE:
        assert _CONTROL.search(value)
        return "refused", "input.control_characters"
    expected = normalised(value)
    if not multiline and _LINE_BREAKS.search(expected):
        return "refused", "input.line_break"
    if len(expected) > max_len:
        return "refused", "input.too_long"
    if multiline:
        if _BIDI_EVERYWHERE.search(expected):
            return "refused", "input.bidi_control"
        return "stored", expected
    found = [
        (m.start(), key)
        for pattern, key in ((_BIDI, "input.bidi_control"), (_INVISIBLE, "input.invisible_character"))
        if (m := pattern.search(expected))
    ]
    if found:
        return "refused", min(found)[1]
    return "stored", expected


def inner(err: EdpError) -> EdpError:
    """The error of the (single) bad row of a table save or import; the error itself otherwise."""
    if isinstance(err, RowErrors | SheetErrors):
        assert len(err.rows) == 1, err.rows
        return err.rows[0][-1]
    return err


def assert_names_field(err: EdpError, field: str, *, limit: int | None = None) -> None:
    assert err.field == field, (err.key, err.field)
    for lang in ("sv", "en"):
        message = err.message(lang)
        assert field_label(field, lang) in message, message
        assert "{" not in message, message  # every placeholder filled
        if limit is not None:
            assert str(limit) in message, message


# ---------------------------------------------------------------- every text input of the engine

PERIOD = {"period_start": "2026-01-01", "period_end": "2028-12-31"}
LEAD = "Aktör public"


@dataclass(frozen=True)
class Input:
    """One text input: `prepare(engine)` builds what it needs and returns `submit(value)`, which calls
    the operation and returns a reader of the stored value."""

    field: str
    multiline: bool
    max_len: int
    prepare: Callable[[Engine], Callable[[str], Callable[[], str]]]


def _theme(attr: str):  # noqa: ANN202
    def prepare(engine: Engine):  # noqa: ANN202
        s = make_setup(engine, participants={"civil": 1}, phase="proposing")

        def submit(value: str):  # noqa: ANN202
            ops.propose(engine, s.tokens[0], s.round_id, ops.ThemeInput(**{"title": "Tema", attr: value}))
            return lambda: getattr(participant_view(engine, s.tokens[0]).proposals[0], attr)

        return submit

    return prepare


def _display_name(engine: Engine):  # noqa: ANN202
    s = make_setup(engine)

    def submit(value: str):  # noqa: ANN202
        p = ops.join(engine, s.join_code, value, actor_id=s.actors["civil"])
        return lambda: participant_view(engine, p.token).display_name

    return submit


def _actor_name(engine: Engine):  # noqa: ANN202
    s = make_setup(engine)

    def submit(value: str):  # noqa: ANN202
        actor = ops.add_actor(engine, SYSTEM, s.process_id, value, "civil")
        return lambda: next(a["name"] for a in list_actors(engine, SYSTEM, s.process_id) if a["id"] == actor.id)

    return submit


def _process_title(engine: Engine):  # noqa: ANN202
    def submit(value: str):  # noqa: ANN202
        proc = ops.create_process(engine, SYSTEM, value)
        return lambda: next(p["title"] for p in overview(engine) if p["id"] == proc.id)

    return submit


def _workshop(attr: str):  # noqa: ANN202
    def prepare(engine: Engine):  # noqa: ANN202
        proc = ops.create_process(engine, SYSTEM, "Process")

        def submit(value: str):  # noqa: ANN202
            ws = ops.create_workshop(engine, SYSTEM, proc.id, **{"title": "Workshop", attr: value}, passcode=PASSCODE)
            return lambda: getattr(workshop_view(engine, ws.id), attr)

        return submit

    return prepare


def _roadmap(attr: str):  # noqa: ANN202
    def prepare(engine: Engine):  # noqa: ANN202
        s = make_setup(engine)

        def submit(value: str):  # noqa: ANN202
            rid = rmo.create_roadmap(engine, SYSTEM, s.process_id, {"title": "Färdplan", **PERIOD, attr: value})
            return lambda: getattr(roadmap_view(engine, SYSTEM, rid), attr)

        return submit

    return prepare


def _new_roadmap(engine: Engine) -> int:
    s = make_setup(engine)
    rid = rmo.create_roadmap(engine, SYSTEM, s.process_id, {"title": "Färdplan", **PERIOD})
    rmo.save_goals(engine, SYSTEM, rid, [{"title": "Förädling"}])
    return rid


def _activity(attr: str):  # noqa: ANN202
    def prepare(engine: Engine):  # noqa: ANN202
        rid = _new_roadmap(engine)

        def submit(value: str):  # noqa: ANN202
            row = {"goal": "Förädling", "title": "Förstudie", "start": "2026-02-01", "end": "2026-06-30"}
            rmo.save_activities(engine, SYSTEM, rid, [{**row, "lead_actor": LEAD, attr: value}])
            return lambda: getattr(roadmap_view(engine, SYSTEM, rid).activities[0], attr)

        return submit

    return prepare


def _measurement_note(engine: Engine):  # noqa: ANN202
    rid = _new_roadmap(engine)
    rmo.save_kpis(
        engine,
        SYSTEM,
        rid,
        [
            {
                "name": "Företag", "unit": "antal", "baseline_value": 0, "baseline_date": "2025-12-31",
                "target_value": 40, "target_date": "2028-12-31", "lead_actor": LEAD,
            }
        ],
    )  # fmt: skip
    kpi_id = roadmap_view(engine, SYSTEM, rid).kpis[0].id

    def submit(value: str):  # noqa: ANN202
        rmo.add_measurement(engine, SYSTEM, kpi_id, {"date": "2026-01-15", "value": 3, "note": value})
        return lambda: roadmap_view(engine, SYSTEM, rid).kpis[0].measurements[0].note

    return submit


INPUTS: dict[str, Input] = {
    "theme.title": Input("title", False, ops.TITLE_MAX, _theme("title")),
    "theme.description": Input("description", True, ops.DESCRIPTION_MAX, _theme("description")),
    "theme.partners": Input("partners", True, ops.PARTNERS_MAX, _theme("partners")),
    "theme.next_steps": Input("next_steps", True, ops.NEXT_STEPS_MAX, _theme("next_steps")),
    "join.display_name": Input("display_name", False, ops.DISPLAY_NAME_MAX, _display_name),
    "actor.name": Input("actor_name", False, 200, _actor_name),
    "process.title": Input("title", False, 200, _process_title),
    "workshop.title": Input("title", False, 200, _workshop("title")),
    "workshop.venue": Input("venue", False, 200, _workshop("venue")),
    "roadmap.title": Input("title", False, rmo.TITLE_MAX, _roadmap("title")),
    "roadmap.vision": Input("vision", True, rmo.TEXT_MAX, _roadmap("vision")),
    "activity.title": Input("title", False, rmo.TITLE_MAX, _activity("title")),
    "activity.funding_source": Input("funding_source", False, rmo.SOURCE_MAX, _activity("funding_source")),
    "measurement.note": Input("note", True, rmo.NOTE_MAX, _measurement_note),
}


@pytest.mark.parametrize("name", list(CORPUS))
@pytest.mark.parametrize("where", list(INPUTS))
def test_text_input_is_refused_naming_the_field_or_stored_verbatim(engine, where, name):
    spec, value = INPUTS[where], CORPUS[name]
    verdict, detail = outcome(name, value, multiline=spec.multiline, max_len=spec.max_len)
    submit = spec.prepare(engine)
    before = table_counts(engine)
    try:
        read_back = submit(value)
    except EdpError as exc:
        err = inner(exc)
        assert verdict == "refused", f"{where} refused {name!r}: {err.key} {err.params}"
        assert err.key == detail, (err.key, err.params)
        assert_names_field(err, spec.field, limit=spec.max_len if detail == "input.too_long" else None)
        assert table_counts(engine) == before
        return
    assert verdict == "stored", f"{where} stored {name!r}, which must be refused ({detail})"
    assert read_back() == detail


def test_a_title_with_invisible_characters_is_refused_naming_the_field_and_the_character(engine):
    submit = INPUTS["theme.title"].prepare(engine)
    for value, key, position, char in (
        ("evil\u202egpj.exe", "input.bidi_control", 5, "U+202E RIGHT-TO-LEFT OVERRIDE"),
        ("Torsta\u200b AB", "input.invisible_character", 7, "U+200B ZERO WIDTH SPACE"),
        ("Jamtli\u2066 x", "input.bidi_control", 7, "U+2066 LEFT-TO-RIGHT ISOLATE"),
    ):
        before = table_counts(engine)
        with pytest.raises(EdpError) as info:
            submit(value)
        assert (info.value.key, info.value.params["position"], info.value.params["char"]) == (key, position, char)
        assert_names_field(info.value, "title")
        for lang in ("sv", "en"):
            assert char in info.value.message(lang) and str(position) in info.value.message(lang)
        assert table_counts(engine) == before


def test_emoji_sequences_and_joining_scripts_keep_their_joiners_in_a_title(engine):
    submit = INPUTS["theme.title"].prepare(engine)
    title = "👩🏽\u200d🌾 🏳\ufe0f\u200d🌈 می\u200cخواهم क्\u200dष 1\ufe0f\u20e3"
    assert submit(title)() == title


def test_multiline_text_keeps_isolates_and_zero_width_characters_but_not_overrides(engine):
    submit = INPUTS["theme.description"].prepare(engine)
    kept = "Jamtli \u2067نص\u2069 a\u200bb"
    assert submit(kept)() == kept
    before = table_counts(engine)
    with pytest.raises(EdpError) as info:
        submit("text \u202d override")
    assert info.value.key == "input.bidi_control" and info.value.params["position"] == 6
    assert table_counts(engine) == before


def test_a_line_break_in_a_single_line_field_is_refused_saying_where_never_folded(engine):
    submit = INPUTS["roadmap.title"].prepare(engine)
    before = table_counts(engine)
    with pytest.raises(EdpError) as info:
        submit("Färdplan\nför besöksnäring")
    assert info.value.key == "input.line_break" and info.value.params["position"] == 9
    assert_names_field(info.value, "title")
    assert table_counts(engine) == before
    assert submit("  Färdplan  för besöksnäring \n")() == "Färdplan  för besöksnäring"  # trimmed, nothing else


def test_a_text_over_its_limit_is_refused_saying_by_how_much(engine):
    submit = INPUTS["theme.title"].prepare(engine)
    with pytest.raises(EdpError) as info:
        submit("x" * (ops.TITLE_MAX + 7))
    assert info.value.params == {"field": "title", "max": ops.TITLE_MAX, "length": ops.TITLE_MAX + 7, "over": 7}
    assert info.value.message("sv") == "Rubrik får vara högst 120 tecken men är 127, alltså 7 för många."
    assert info.value.message("en") == "Title may be at most 120 characters but is 127: 7 too many."


# ---------------------------------------------------------------- exports: formulas stay inert


def _xlsx_cells(data: bytes) -> list[openpyxl.cell.Cell]:
    book = openpyxl.load_workbook(io.BytesIO(data))
    return [c for ws in book for row in ws.iter_rows() for c in row if c.value is not None]


def _no_formula_xml(data: bytes) -> None:
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        sheets = [z.read(n).decode() for n in z.namelist() if n.startswith("xl/worksheets/")]
    assert sheets and not [s for s in sheets if "<f>" in s or "<f " in s]


def test_formula_looking_theme_titles_stay_text_in_the_tally_csv_and_xlsx(engine):
    s = make_setup(engine, participants={"civil": 1}, phase="proposing")
    for title in FORMULAS:
        ops.propose(engine, s.tokens[0], s.round_id, ops.ThemeInput(title=title))
    result = round_results(engine, SYSTEM, s.round_id)

    rows = list(csv.reader(io.StringIO(exports.tally_csv(result).decode("utf-8-sig"))))
    titles = [row[rows[0].index("title")] for row in rows[1:]]
    assert sorted(titles) == sorted("'" + f for f in FORMULAS)
    assert not [c for row in rows for c in row if c.startswith(exports.FORMULA_STARTS)]

    data = exports.tally_xlsx(result, "sv")
    cells = _xlsx_cells(data)
    assert not [c.coordinate for c in cells if c.data_type == "f"]
    found = [c for c in cells if c.value in FORMULAS]
    assert sorted(c.value for c in found) == sorted(FORMULAS)
    assert all(c.data_type == "s" and c.quotePrefix for c in found)
    _no_formula_xml(data)


def test_formula_looking_activity_titles_stay_text_in_the_roadmap_xlsx_and_csv(engine):
    rid = _new_roadmap(engine)
    row = {"goal": "Förädling", "start": "2026-02-01", "end": "2026-06-30", "lead_actor": LEAD}
    rmo.save_activities(engine, SYSTEM, rid, [{**row, "title": f, "funding_source": f} for f in FORMULAS])
    rm = roadmap_view(engine, SYSTEM, rid)
    assert [a.title for a in rm.activities] == FORMULAS

    data = roadmap_io.to_xlsx(rm)
    cells = _xlsx_cells(data)
    assert not [c.coordinate for c in cells if c.data_type == "f"]
    found = [c for c in cells if c.value in FORMULAS]
    assert len(found) == 2 * len(FORMULAS)
    assert all(c.data_type == "s" and c.quotePrefix for c in found)
    _no_formula_xml(data)
    parsed = roadmap_io.parse_xlsx(data)
    assert [r["title"] for _, r in parsed["activities"]] == FORMULAS  # and it reads back as typed

    with zipfile.ZipFile(io.BytesIO(roadmap_io.to_csv_zip(rm))) as z:
        rows = list(csv.reader(io.StringIO(z.read("activities.csv").decode("utf-8-sig"))))
    assert [r[rows[0].index("title")] for r in rows[1:]] == ["'" + f for f in FORMULAS]
    assert not [c for r in rows for c in r if c.startswith(exports.FORMULA_STARTS)]


# ---------------------------------------------------------------- imports: all or nothing


def _actor_csv(*rows: tuple[str, str]) -> str:
    buf = io.StringIO(newline="")
    writer = csv.writer(buf)
    writer.writerow(["name", "helix", "municipality"])
    writer.writerows([(n, h, "") for n, h in rows])
    return buf.getvalue()


@pytest.mark.parametrize("name", list(CORPUS))
def test_actor_csv_with_one_hostile_row_imports_all_verbatim_or_nothing(engine, name):
    s = make_setup(engine)
    value = CORPUS[name]
    verdict, detail = outcome(name, value, multiline=False, max_len=200)
    text = _actor_csv(("Torsta AB", "business"), (value, "civil"), ("RISE", "akademi"))
    before = table_counts(engine)
    try:
        added = import_actors(engine, SYSTEM, s.process_id, text)
    except EdpError as exc:
        assert verdict == "refused", f"refused {name!r}: {exc.key} {getattr(exc, 'rows', '')}"
        assert isinstance(exc, RowErrors)
        [(line, err)] = exc.rows
        assert line == 3  # the header is line 1
        assert err.key == detail
        assert_names_field(err, "actor_name", limit=200 if detail == "input.too_long" else None)
        assert table_counts(engine) == before
        return
    assert verdict == "stored", f"imported {name!r}, which must be refused ({detail})"
    assert added == 3
    names = {a["name"] for a in list_actors(engine, SYSTEM, s.process_id)}
    assert {"Torsta AB", "RISE", detail} <= names


def _process_with_sample_actors(engine: Engine) -> int:
    proc = ops.create_process(engine, SYSTEM, "S3 Jämtland Härjedalen")
    for a in ACTORS:
        ops.add_actor(engine, SYSTEM, proc.id, a.name, a.helix)
    return proc.id


_C0 = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")


def xlsx_cell_text(value: str) -> str:
    """What a workbook can hold of `value`: XML 1.0 has no C0 control characters, so a file carries
    them as OOXML _xHHHH_ escapes. openpyxl reads those back as the literal text "_x0007_" (it does not
    decode them), so they arrive as harmless text; C1 controls are legal XML and arrive as they are."""
    return _C0.sub(lambda m: f"_x{ord(m.group()):04X}_", value)


def importable_sample(**over: object) -> RoadmapView:
    """sample_roadmap() with its measurements dated in the past (2026-12-31 is refused as future before then)."""
    rm = sample_roadmap()
    kpis = tuple(
        dataclasses.replace(
            k, measurements=tuple(dataclasses.replace(m, date=dt.date(2026, 1, 15)) for m in k.measurements)
        )
        for k in rm.kpis
    )
    return dataclasses.replace(rm, kpis=kpis, **over)


def _hostile_workbook(value: str) -> bytes:
    """The sample roadmap with `value` as the roadmap's title, an activity's title and a measurement note."""
    value = xlsx_cell_text(value)
    rm = importable_sample()
    first = rm.goals[0]
    act = dataclasses.replace(first.activities[0], title=value)
    goals = (dataclasses.replace(first, activities=(act, *first.activities[1:])), *rm.goals[1:])
    kpi = rm.kpis[0]
    kpi = dataclasses.replace(kpi, measurements=(dataclasses.replace(kpi.measurements[0], note=value),))
    return roadmap_io.to_xlsx(dataclasses.replace(rm, title=value, goals=goals, kpis=(kpi, *rm.kpis[1:])))


@pytest.mark.parametrize("name", [k for k in CORPUS if k != "lone_surrogate"])  # no XML can hold one
def test_roadmap_xlsx_with_hostile_cells_is_imported_verbatim_or_refused_whole(engine, name):
    pid = _process_with_sample_actors(engine)
    cell = xlsx_cell_text(CORPUS[name])
    kind = name if _CONTROL.search(cell) else "text"
    title_verdict, title = outcome(kind, cell, multiline=False, max_len=rmo.TITLE_MAX)
    note_verdict, note = outcome(kind, cell, multiline=True, max_len=rmo.NOTE_MAX)
    data = _hostile_workbook(CORPUS[name])
    before = table_counts(engine)
    try:
        rid = rmo.import_roadmap(engine, SYSTEM, pid, roadmap_io.parse_xlsx(data))
    except SheetErrors as exc:
        assert "refused" in (title_verdict, note_verdict), f"refused {name!r}: {exc.rows}"
        assert table_counts(engine) == before
        where = {(sheet, err.field): err for sheet, _, err in exc.rows}
        expected = {("roadmap", "title"), ("activities", "title")} if title_verdict == "refused" else set()
        expected |= {("measurements", "note")} if note_verdict == "refused" else set()
        assert set(where) == expected, exc.rows
        assert all(line >= 2 for _, line, _ in exc.rows)  # Excel row numbers, below the header
        for (_, field), err in where.items():
            assert_names_field(err, field)
        return
    assert (title_verdict, note_verdict) == ("stored", "stored"), f"imported {name!r}"
    rm = roadmap_view(engine, SYSTEM, rid)
    assert rm.title == title
    assert rm.goals[0].activities[0].title == title
    assert rm.kpis[0].measurements[0].note == note


def test_a_real_formula_cell_is_imported_as_its_text_never_evaluated(engine):
    pid = _process_with_sample_actors(engine)
    book = openpyxl.load_workbook(io.BytesIO(roadmap_io.to_xlsx(importable_sample())))
    book["roadmap"]["A2"] = '=HYPERLINK("http://x","klick")'  # a formula cell, as a hostile file has it
    assert book["roadmap"]["A2"].data_type == "f"
    buf = io.BytesIO()
    book.save(buf)
    rid = rmo.import_roadmap(engine, SYSTEM, pid, roadmap_io.parse_xlsx(buf.getvalue()))
    assert roadmap_view(engine, SYSTEM, rid).title == '=HYPERLINK("http://x","klick")'


# ---------------------------------------------------------------- the command line


def run_cli(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def assert_one_line_error(code: int, err: str) -> None:
    assert code == 2, (code, err)
    lines = err.splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), err
    assert "Traceback" not in err


@pytest.mark.parametrize(
    "url",
    [
        pytest.param("<script>alert(1)</script>", id="html"),
        pytest.param("'; DROP TABLE actors; --", id="sql"),
        pytest.param("🌲🇸🇪", id="emoji"),
        pytest.param("postgresql+nosuchdriver://x/y", id="unknown-driver"),
        pytest.param("\u202esqlite:///x.db", id="rtl-override"),
    ],
)
def test_garbage_database_url_is_one_line_error(capsys, url):
    code, _, err = run_cli(capsys, "--database", url, "list")
    assert_one_line_error(code, err)


def test_database_in_an_unwritable_place_is_one_line_error(capsys):
    code, _, err = run_cli(capsys, "--database", "sqlite:////proc/edp-hostile/x.db", "list")
    assert_one_line_error(code, err)


@pytest.fixture
def cli_db(tmp_path: Path, sqlite_template: Path) -> tuple[str, Engine]:
    import shutil

    from edp.db import make_engine

    path = tmp_path / "cli.sqlite"
    shutil.copy(sqlite_template, path)
    url = f"sqlite:///{path}"
    engine = make_engine(url)
    yield url, engine
    engine.dispose()


ODD_NAMES = ["<script>.xlsx", "'; DROP TABLE x; --.xlsx", "\u202eslx.exe", "a\u200bb 🌲.xlsx", "-1+2.xlsx"]


@pytest.mark.parametrize("filename", ODD_NAMES)
def test_import_roadmap_from_an_oddly_named_missing_file_is_one_line_error(capsys, cli_db, tmp_path, filename):
    url, engine = cli_db
    pid = _process_with_sample_actors(engine)
    before = table_counts(engine)
    code, _, err = run_cli(
        capsys, "--database", url, "import", "roadmap", str(tmp_path / filename), "--process", str(pid)
    )
    assert_one_line_error(code, err)
    assert table_counts(engine) == before


@pytest.mark.parametrize("filename", ODD_NAMES)
def test_import_roadmap_from_an_oddly_named_garbage_file_is_one_line_error(capsys, cli_db, tmp_path, filename):
    url, engine = cli_db
    pid = _process_with_sample_actors(engine)
    path = tmp_path / filename
    path.write_bytes(b"<script>alert(1)</script>")
    before = table_counts(engine)
    code, _, err = run_cli(capsys, "--database", url, "import", "roadmap", str(path), "--process", str(pid))
    assert_one_line_error(code, err)
    assert table_counts(engine) == before


def test_import_roadmap_from_a_file_name_that_is_not_utf8_is_one_line_error(cli_db, tmp_path):
    """A real process: argv bytes that are not UTF-8 (surrogate-escaped by Python), printed on a real stderr."""
    import os
    import subprocess
    import sys

    url, engine = cli_db
    pid = _process_with_sample_actors(engine)
    path = os.fsencode(tmp_path) + b"/\xff<b>.xlsx"
    run = subprocess.run(
        [sys.executable, "-m", "edp", "--database", url, "import", "roadmap", path, "--process", str(pid)],
        capture_output=True,
        timeout=60,
        cwd=Path(__file__).resolve().parents[2],
    )
    assert_one_line_error(run.returncode, run.stderr.decode("utf-8", "backslashreplace"))


def test_import_roadmap_with_a_hostile_cell_lists_the_rows_and_imports_nothing(capsys, cli_db, tmp_path):
    url, engine = cli_db
    pid = _process_with_sample_actors(engine)
    path = tmp_path / "färdplan <b>.xlsx"
    path.write_bytes(_hostile_workbook("a\x9bb"))
    before = table_counts(engine)
    code, _, err = run_cli(capsys, "--database", url, "import", "roadmap", str(path), "--process", str(pid))
    assert code == 2
    first, *rows = err.splitlines()
    assert first.startswith("error: ") and "Traceback" not in err
    assert len(rows) == 3 and all(r.startswith("  ") and " row " in r for r in rows), rows
    assert table_counts(engine) == before


def test_import_roadmap_with_formula_cells_stores_them_as_text(capsys, cli_db, tmp_path):
    url, engine = cli_db
    pid = _process_with_sample_actors(engine)
    path = tmp_path / "=SUM(A1).xlsx"
    path.write_bytes(_hostile_workbook(FORMULAS[0]))
    code, out, err = run_cli(capsys, "--database", url, "import", "roadmap", str(path), "--process", str(pid))
    assert code == 0, err
    rid = int(out.split()[-1])
    assert roadmap_view(engine, SYSTEM, rid).title == FORMULAS[0]


@pytest.mark.parametrize(
    "out",
    [
        pytest.param("/proc/edp-hostile/x.xlsx", id="unwritable"),
        pytest.param("/nonexistent-<script>/x.xlsx", id="missing-dir"),
        pytest.param("{tmp}", id="a-directory"),
        pytest.param("{tmp}/\u202e/🌲.xlsx", id="rtl-missing-dir"),
    ],
)
def test_export_roadmap_to_an_unwritable_path_is_one_line_error(capsys, cli_db, tmp_path, out):
    url, engine = cli_db
    pid = _process_with_sample_actors(engine)
    rid = rmo.import_roadmap(engine, SYSTEM, pid, roadmap_io.parse_xlsx(roadmap_io.to_xlsx(importable_sample())))
    target = out.format(tmp=tmp_path)
    code, _, err = run_cli(capsys, "--database", url, "export", "roadmap", "--roadmap", str(rid), "--format", "xlsx", "--out", target)  # fmt: skip
    assert_one_line_error(code, err)


def test_export_roadmap_with_hostile_text_writes_it_inert(capsys, cli_db, tmp_path):
    url, engine = cli_db
    pid = _process_with_sample_actors(engine)
    rid = rmo.import_roadmap(engine, SYSTEM, pid, roadmap_io.parse_xlsx(_hostile_workbook(CORPUS["formula_hyperlink"])))
    target = tmp_path / "<b>ut&lt; 🌲.xlsx"
    code, _, err = run_cli(capsys, "--database", url, "export", "roadmap", "--roadmap", str(rid), "--format", "xlsx", "--out", str(target))  # fmt: skip
    assert code == 0, err
    assert not [c for c in _xlsx_cells(target.read_bytes()) if c.data_type == "f"]
