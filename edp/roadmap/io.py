"""Roadmap files: a workbook (XLSX) that can be edited and imported again, a ZIP of CSV files,
and a calendar (ICS) of activities and milestones.

The workbook layout (SHEETS) has stable English column keys in its header row, so a file can be
re-imported whatever the UI language. parse_xlsx only reads a workbook into plain values; the
values are checked, and the roadmap written, by edp.roadmap.operations.import_roadmap.

Text is what users typed. In a workbook every text cell is written as a string cell, so
"=SUM(A1)" stays text and is never evaluated; in a CSV (which has no cell types) text that a
spreadsheet would read as a formula gets a leading apostrophe (edp.formulas.guard_text).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import zipfile
from collections.abc import Iterable
from typing import Any

from edp.config import DEFAULT_LANG
from edp.errors import ValidationError
from edp.files import XLSX_MAX_BYTES
from edp.formulas import FORMULA_STARTS, guard_text
from edp.i18n import t
from edp.roadmap.views import RoadmapView

# The workbook layout, shared by export and import: sheet -> columns, in this order.
SHEETS: dict[str, tuple[str, ...]] = {
    "roadmap": ("title", "vision", "period_start", "period_end", "owner", "status"),
    "goals": ("title", "description"),
    "activities": (
        "goal",
        "title",
        "description",
        "start",
        "end",
        "status",
        "lead_actor",
        "partners",
        "budget_sek",
        "funding_source",
    ),  # fmt: skip
    "milestones": ("goal", "title", "date"),
    "kpis": (
        "goal",
        "name",
        "unit",
        "kind",
        "baseline_value",
        "baseline_date",
        "target_value",
        "target_date",
        "lead_actor",
        "source",
        "eu_code",
    ),  # fmt: skip
    "measurements": ("kpi", "date", "value", "note"),
}
PARTNER_SEPARATOR = "; "

# Import limits. A workbook is a ZIP: the unpacked size is capped too, against zip bombs.
MAX_BYTES = XLSX_MAX_BYTES
MAX_UNPACKED_BYTES = 50 * 1024 * 1024
MAX_ROWS = 5000  # data rows per sheet
MAX_ROW_INDEX = 10 * MAX_ROWS  # no sheet may reach further down than this, even with blank rows between
HEADER_SEARCH_ROWS = 20  # the header is the first row, among these, that names a column of the layout
MAX_HEADER_COLUMNS = 200

DATE_FORMAT = "yyyy-mm-dd"
MIN_WIDTH, MAX_WIDTH, DATE_WIDTH = 10, 60, 12

Row = list[Any]
ParsedSheets = dict[str, list[tuple[int, dict[str, object]]]]


# ---------------------------------------------------------------- the rows of a roadmap


def _text(value: str | None) -> str | None:
    """Empty text is an empty cell."""
    return value if value else None


def roadmap_rows(rm: RoadmapView) -> dict[str, list[Row]]:
    """The data rows of every sheet (without headers), in SHEETS order. Empty text is None;
    dates are datetime.date, numbers int/float; goals, actors and KPIs are referred to by name."""
    goal: dict[int | None, str] = {g.id: g.title for g in rm.goals}  # a milestone or KPI may have no goal
    return {
        "roadmap": [
            [
                _text(rm.title),
                _text(rm.vision),
                rm.period_start,
                rm.period_end,
                rm.owner.name if rm.owner else None,
                rm.status,
            ],
        ],  # fmt: skip
        "goals": [[_text(g.title), _text(g.description)] for g in rm.goals],
        "activities": [
            [
                _text(goal.get(a.goal_id)),
                _text(a.title),
                _text(a.description),
                a.start,
                a.end,
                a.status,
                a.lead.name if a.lead else None,
                _text(PARTNER_SEPARATOR.join(p.name for p in a.partners)),
                a.budget_sek,
                _text(a.funding_source),
            ]
            for a in rm.activities
        ],  # fmt: skip
        "milestones": [[_text(goal.get(m.goal_id)), _text(m.title), m.date] for m in rm.milestones],
        "kpis": [
            [
                _text(goal.get(k.goal_id)),
                _text(k.name),
                _text(k.unit),
                k.kind,
                k.baseline_value,
                k.baseline_date,
                k.target_value,
                k.target_date,
                k.lead.name if k.lead else None,
                _text(k.source),
                _text(k.eu_code),
            ]
            for k in rm.kpis
        ],  # fmt: skip
        "measurements": [[_text(k.name), m.date, m.value, _text(m.note)] for k in rm.kpis for m in k.measurements],
    }


# ---------------------------------------------------------------- XLSX


def _width(value: Any) -> int:
    if isinstance(value, dt.date):
        return DATE_WIDTH
    if value is None:
        return 0
    return max((len(line) for line in str(value).splitlines()), default=0)


def to_xlsx(rm: RoadmapView) -> bytes:
    """The roadmap as a workbook in the SHEETS layout: bold, frozen header row; real dates and
    numbers; every text cell a string cell (never a formula), holding exactly the user's text."""
    from openpyxl import Workbook
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    wb = Workbook()
    wb.remove(wb.active)
    bold = Font(bold=True)
    for sheet, rows in roadmap_rows(rm).items():
        ws = wb.create_sheet(sheet)
        columns = SHEETS[sheet]
        widths = [len(c) for c in columns]
        for c, name in enumerate(columns, start=1):
            ws.cell(row=1, column=c, value=name).font = bold
        for r, row in enumerate(rows, start=2):
            for c, value in enumerate(row, start=1):
                cell = ws.cell(row=r, column=c, value=value)
                if isinstance(value, str):
                    # openpyxl would store "=..." as a formula and "#N/A" as an error: a string
                    # cell keeps the text as text; the quote prefix makes Excel show it as typed.
                    cell.data_type = "s"
                    if value.startswith(FORMULA_STARTS):
                        cell.quotePrefix = True
                elif isinstance(value, dt.date):
                    cell.number_format = DATE_FORMAT
                widths[c - 1] = max(widths[c - 1], _width(value))
        for c, w in enumerate(widths, start=1):
            ws.column_dimensions[get_column_letter(c)].width = min(MAX_WIDTH, max(MIN_WIDTH, w + 2))
        ws.freeze_panes = "A2"
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


# ---------------------------------------------------------------- CSV


def _csv_cell(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, dt.date):
        return value.isoformat()
    return guard_text(value)


def _sheet_csv(sheet: str, rows: list[list[Any]]) -> bytes:
    text = io.StringIO(newline="")
    writer = csv.writer(text)
    writer.writerow(SHEETS[sheet])
    writer.writerows([_csv_cell(v) for v in row] for row in rows)
    return text.getvalue().encode("utf-8-sig")


def to_csv(rm: RoadmapView, sheet: str = "activities") -> bytes:
    """One sheet as one CSV file, the activities unless told: what a spreadsheet opens from a
    .csv name. The same encoding and guards as to_csv_zip."""
    return _sheet_csv(sheet, roadmap_rows(rm)[sheet])


def to_csv_zip(rm: RoadmapView) -> bytes:
    """A ZIP with one CSV per sheet (roadmap.csv, goals.csv, ...): UTF-8 with BOM, comma separated,
    dates as YYYY-MM-DD, formula-looking text guarded with a leading apostrophe. For reading, not for
    re-import (use the workbook for that)."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for sheet, rows in roadmap_rows(rm).items():
            zf.writestr(f"{sheet}.csv", _sheet_csv(sheet, rows))
    return buf.getvalue()


# ---------------------------------------------------------------- ICS

PRODID = "-//edp-workshop//roadmaps//"
UID_DOMAIN = "edp-workshop"
MILESTONE_MARK = "◆ "


def _lines(*pairs: tuple[str, str | None]) -> str:
    return "\n".join(f"{label}: {value}" for label, value in pairs if value)


def to_ics(roadmaps: Iterable[RoadmapView], *, lang: str = DEFAULT_LANG) -> bytes:
    """A calendar: one all-day event per activity (start to end, inclusive) and one one-day event
    per milestone (its summary marked with ◆). Labels in the description are in `lang`."""
    from icalendar import Calendar, Event

    rms = tuple(roadmaps)
    cal = Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    name = rms[0].title if len(rms) == 1 else (rms[0].process_title if rms else UID_DOMAIN)
    cal.add("x-wr-calname", name)
    stamp = dt.datetime.now(dt.UTC).replace(microsecond=0)
    label = {k: t(f"roadmap_io.ics.{k}", lang) for k in ("roadmap", "goal", "lead", "status")}
    for rm in rms:
        goals: dict[int | None, str] = {g.id: g.title for g in rm.goals}  # a milestone may have no goal
        for a in rm.activities:
            ev = Event()
            # ids are unique in the database; the roadmap id keeps in-memory samples unique too
            ev.add("uid", f"activity-{rm.id}-{a.id}@{UID_DOMAIN}")
            ev.add("dtstamp", stamp)
            ev.add("dtstart", a.start)
            ev.add("dtend", a.end + dt.timedelta(days=1))  # exclusive (RFC 5545)
            ev.add("summary", a.title)
            head = _lines(
                (label["roadmap"], rm.title),
                (label["goal"], goals.get(a.goal_id)),
                (label["lead"], a.lead.name if a.lead else None),
                (label["status"], t(f"roadmap_io.status.{a.status}", lang)),
            )
            ev.add("description", f"{head}\n\n{a.description}" if a.description else head)
            if goals.get(a.goal_id):
                ev.add("categories", [goals[a.goal_id]])
            ev.add("transp", "TRANSPARENT")  # a months-long activity does not make anyone busy
            if a.status == "cancelled":
                ev.add("status", "CANCELLED")
            cal.add_component(ev)
        for m in rm.milestones:
            ev = Event()
            ev.add("uid", f"milestone-{rm.id}-{m.id}@{UID_DOMAIN}")
            ev.add("dtstamp", stamp)
            ev.add("dtstart", m.date)
            ev.add("dtend", m.date + dt.timedelta(days=1))
            ev.add("summary", MILESTONE_MARK + m.title)
            ev.add("description", _lines((label["roadmap"], rm.title), (label["goal"], goals.get(m.goal_id))))
            if goals.get(m.goal_id):
                ev.add("categories", [goals[m.goal_id]])
            ev.add("transp", "TRANSPARENT")
            cal.add_component(ev)
    return cal.to_ical()


# ---------------------------------------------------------------- XLSX import (parsing only)


def _value(value: Any) -> object:
    """A cell as a plain value: text stripped (empty -> None), dates as date, numbers as int/float.
    A formula is never evaluated: its text ("=SUM(A1)") is read as text."""
    if value is None:
        return None
    if isinstance(value, str):
        return value.strip() or None
    if isinstance(value, bool | int | float):
        return value
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, dt.time):
        return value.isoformat()
    text = getattr(value, "text", None)  # array and data-table formulas
    return (text if isinstance(text, str) else str(value)).strip() or None


def check_archive(data: bytes) -> None:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            unpacked = sum(i.file_size for i in zf.infolist())
    except (zipfile.BadZipFile, OSError, ValueError, EOFError) as exc:
        raise ValidationError("roadmap_import.not_xlsx", field="file") from exc
    # zipfile stops reading a member at its declared size, so the declared sizes are a real bound
    if unpacked > MAX_UNPACKED_BYTES:
        raise ValidationError("roadmap_import.unpacked_too_big", field="file", max=MAX_UNPACKED_BYTES // 2**20)


def _header(ws: Any, sheet: str) -> tuple[int, dict[str, int]]:  # noqa: ANN401 - an openpyxl worksheet
    """The header row number and the position of each layout column in it."""
    wanted = SHEETS[sheet]
    rows = ws.iter_rows(min_row=1, max_row=HEADER_SEARCH_ROWS, max_col=MAX_HEADER_COLUMNS, values_only=True)
    for number, cells in enumerate(rows, start=1):
        names = [str(v).strip().lower() if v is not None else "" for v in cells]
        if any(n in wanted for n in names):
            index: dict[str, int] = {}
            for pos, n in enumerate(names):
                if n in wanted and n not in index:
                    index[n] = pos
            missing = [c for c in wanted if c not in index]
            if missing:
                raise ValidationError(
                    "roadmap_import.column_missing", field="file", sheet=sheet, column=", ".join(missing)
                )
            return number, index
    raise ValidationError("roadmap_import.column_missing", field="file", sheet=sheet, column=", ".join(wanted))


def _read_sheet(ws: Any, sheet: str) -> list[tuple[int, dict[str, object]]]:  # noqa: ANN401
    header_row, index = _header(ws, sheet)
    width = max(index.values()) + 1
    out: list[tuple[int, dict[str, object]]] = []
    rows = ws.iter_rows(min_row=header_row + 1, max_col=width, values_only=True)
    for number, cells in enumerate(rows, start=header_row + 1):
        if number > MAX_ROW_INDEX:
            raise ValidationError("roadmap_import.too_many_rows", field="file", sheet=sheet, max=MAX_ROWS)
        row = {col: _value(cells[pos]) if pos < len(cells) else None for col, pos in index.items()}
        if all(v is None for v in row.values()):
            continue
        if len(out) >= MAX_ROWS:
            raise ValidationError("roadmap_import.too_many_rows", field="file", sheet=sheet, max=MAX_ROWS)
        out.append((number, {col: row[col] for col in SHEETS[sheet]}))
    return out


def parse_xlsx(data: bytes) -> ParsedSheets:
    """Read a workbook in the SHEETS layout: per sheet, (Excel row number, {column: value}) pairs,
    fully empty rows skipped. Values are None, str (stripped), int, float, bool or datetime.date;
    a formula is read as its text, never evaluated. Extra sheets and columns are ignored.

    Raises ValidationError (field "file") when the file is not a workbook, too big, lacks a sheet
    or a column, or has more than MAX_ROWS rows in a sheet. Values are checked by the importer.
    """
    if not isinstance(data, bytes | bytearray | memoryview):
        raise ValidationError("roadmap_import.not_xlsx", field="file")
    data = bytes(data)
    if len(data) > MAX_BYTES:
        raise ValidationError("roadmap_import.too_big", field="file", max=MAX_BYTES // 2**20)
    check_archive(data)
    from openpyxl import load_workbook

    try:
        # read_only streams the sheets; openpyxl parses with defusedxml (installed) / lxml without entities
        wb = load_workbook(io.BytesIO(data), read_only=True, data_only=False, keep_links=False)
    except Exception as exc:  # a ZIP that is no workbook fails in many ways (KeyError, XML errors...)
        raise ValidationError("roadmap_import.not_xlsx", field="file") from exc
    try:
        by_name = {name.strip().lower(): name for name in wb.sheetnames}
        missing = [s for s in SHEETS if s not in by_name or not hasattr(wb[by_name[s]], "iter_rows")]
        if missing:
            raise ValidationError("roadmap_import.sheet_missing", field="file", sheet=", ".join(missing))
        out: ParsedSheets = {}
        for sheet in SHEETS:
            try:
                out[sheet] = _read_sheet(wb[by_name[sheet]], sheet)
            except ValidationError:
                raise
            except Exception as exc:  # malformed or hostile sheet XML
                raise ValidationError("roadmap_import.not_xlsx", field="file") from exc
        return out
    finally:
        wb.close()
