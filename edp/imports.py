"""CSV import of a process's actors (name, helix, municipality): checked row by row, written all or nothing.

A facilitator's spreadsheet export is the input: UTF-8 (with or without BOM) or Windows-1252,
comma, semicolon or tab separated, helix groups as codes or in Swedish (näringsliv, akademi,
offentlig sektor, civilsamhälle).
"""

from __future__ import annotations

import csv
import io
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import Engine, select

from edp import validate
from edp.access import Credential, acting, require_read
from edp.db import read, write
from edp.errors import Conflict, EdpError, NotFound, RowErrors, ValidationError
from edp.files import CSV_MAX_BYTES, check_size
from edp.models import HELIX_GROUPS, Actor, Process
from edp.names import NameIndex, first_difference
from edp.workshop import audit, led_process, refuse_taken_actor_name

MAX_ROWS = 2000
DELIMITERS = (",", ";", "\t")

# Accepted spellings, compared case-insensitively after trimming.
HELIX_LABELS: dict[str, str] = {
    **{g: g for g in HELIX_GROUPS},
    "näringsliv": "business",
    "näringslivet": "business",
    "akademi": "academia",
    "akademin": "academia",
    "offentlig sektor": "public",
    "offentliga sektorn": "public",
    "offentlig": "public",
    "public sector": "public",
    "civilsamhälle": "civil",
    "civilsamhället": "civil",
    "civil society": "civil",
}
HELIX_HINT = "näringsliv, akademi, offentlig sektor, civilsamhälle / business, academia, public, civil"

# Header names, Swedish or English, mapped to the columns.
COLUMNS: dict[str, str] = {
    "name": "name",
    "namn": "name",
    "organisation": "name",
    "aktör": "name",
    "actor": "name",
    "helix": "helix",
    "helixgrupp": "helix",
    "helix group": "helix",
    "municipality": "municipality",
    "kommun": "municipality",
}
REQUIRED = ("name", "helix")


@dataclass(frozen=True)
class ActorRow:
    """One data row as written in the file; `line` is its line number (the header is line 1)."""

    line: int
    name: str
    helix: str
    municipality: str
    extra_cells: int = 0  # cells beyond the header's columns: usually an unquoted delimiter in a value


@dataclass(frozen=True)
class CleanActor:
    line: int
    name: str
    helix: str
    municipality: str | None


def _fold(value: str) -> str:
    return " ".join(unicodedata.normalize("NFC", value).split()).casefold()


def helix_code(label: str) -> str | None:
    """The helix code for a label in either language, or None."""
    return HELIX_LABELS.get(_fold(label or ""))


def decode_csv(data: bytes) -> str:
    """Text of an uploaded file: UTF-8 (a BOM is dropped), else Windows-1252 (Excel's "CSV" on Swedish Windows).
    A file over CSV_MAX_BYTES is refused before it is decoded."""
    check_size(data, CSV_MAX_BYTES, field="csv")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("cp1252", errors="replace")


def _delimiter(header_line: str) -> str:
    counts = {d: header_line.count(d) for d in DELIMITERS}
    best = max(DELIMITERS, key=lambda d: counts[d])
    return best if counts[best] else ","


def _column_index(cells: list[str], line: int) -> dict[str, int]:
    """column -> its position in the header row (the first cell of a column named twice); a header without
    a required column is refused, naming its `line`."""
    index: dict[str, int] = {}
    for pos, name in enumerate(_fold(c) for c in cells):
        col = COLUMNS.get(name)
        if col and col not in index:
            index[col] = pos
    missing = [c for c in REQUIRED if c not in index]
    if missing:
        raise ValidationError("import.csv_missing_columns", field="csv", columns=", ".join(missing), line=line)
    return index


def _cell(cells: list[str], index: dict[str, int], col: str) -> str:
    """The row's cell in the header's column `col`; empty when the header or the row has no such cell."""
    pos = index.get(col)
    return cells[pos] if pos is not None and pos < len(cells) else ""


def _actor_row(cells: list[str], line: int, index: dict[str, int], width: int) -> ActorRow:
    """A data row as written; `width` is the header's number of cells."""
    return ActorRow(
        line,
        _cell(cells, index, "name"),
        _cell(cells, index, "helix"),
        _cell(cells, index, "municipality"),
        extra_cells=max(0, len(cells) - width),
    )


def parse_actor_csv(text: str) -> list[ActorRow]:
    """The data rows of an actor CSV, as written. Blank lines are skipped.

    Raises ValidationError (field "csv") when the file itself is unusable: empty, not CSV,
    a required column missing, or too many rows. Row contents are checked by check_rows.
    """
    if not isinstance(text, str):
        raise ValidationError("input.not_text", field="csv")
    check_size(text, CSV_MAX_BYTES, field="csv")
    text = text.lstrip("\ufeff")
    lines = text.splitlines()
    first = next((ln for ln in lines if ln.strip()), "")
    if not first:
        raise ValidationError("import.csv_empty", field="csv")
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=_delimiter(first))
    width: int | None = None  # the header's number of cells, once it is read
    index: dict[str, int] = {}
    rows: list[ActorRow] = []
    try:
        line = reader.line_num + 1
        for cells in reader:
            start, line = line, reader.line_num + 1
            if not any(c.strip() for c in cells):
                continue
            if width is None:
                index, width = _column_index(cells, start), len(cells)
                continue
            if len(rows) >= MAX_ROWS:
                raise ValidationError("import.too_many_rows", field="csv", max=MAX_ROWS)
            rows.append(_actor_row(cells, start, index, width))
    except csv.Error as exc:
        raise ValidationError("import.csv_unreadable", field="csv", line=reader.line_num) from exc
    if not rows:
        raise ValidationError("import.no_rows", field="csv")
    return rows


def check_rows(
    rows: list[ActorRow], existing_names: Iterable[str]
) -> tuple[list[CleanActor], list[tuple[int, EdpError]]]:
    """Validate every row; returns the clean actors and one error per bad row (its first problem).

    A row whose name is, or looks like (edp.names), one of `existing_names` (the process's
    actors) or an earlier row's name is an error that names the other one.
    """
    existing = NameIndex((n, n) for n in existing_names)
    seen: NameIndex[int] = NameIndex()
    clean: list[CleanActor] = []
    errors: list[tuple[int, EdpError]] = []
    for row in rows:
        try:
            if row.extra_cells:
                raise ValidationError("import.row_extra_cells", count=row.extra_cells)
            name = validate.text(row.name, "actor_name", min_len=1, max_len=200, multiline=False)
            if not row.helix.strip():
                raise ValidationError("input.required", field="helix")
            helix = helix_code(row.helix)
            if helix is None:
                raise ValidationError(
                    "import.helix_unknown", field="helix", value=row.helix.strip(), options=HELIX_HINT
                )
            municipality = validate.text(row.municipality, "municipality", max_len=100, multiline=False) or None
            refuse_taken_actor_name(existing, name)
            if earlier := seen.same(name):
                raise Conflict("import.duplicate_in_file", field="actor_name", name=name, first=earlier[1])
            if alike := seen.lookalike(name):
                position, char = first_difference(name, alike[0])
                raise Conflict(
                    "import.lookalike_in_file", field="actor_name", name=name, other=alike[0], first=alike[1],
                    position=position, char=char,
                )  # fmt: skip
            seen.add(name, row.line)
            clean.append(CleanActor(row.line, name, helix, municipality))
        except EdpError as err:
            errors.append((row.line, err))
    return clean, errors


def import_actors(engine: Engine, who: Credential, process_id: int, csv_text: str) -> int:
    """Add every actor in the CSV to a process (its leader, or an admin); returns how many were added.

    One transaction: if any row is wrong, RowErrors lists every bad row and nothing is written.
    """
    rows = parse_actor_csv(csv_text)
    with write(engine) as s:
        p, proc = led_process(s, who, process_id)
        existing = s.scalars(select(Actor.name).where(Actor.process_id == proc.id).order_by(Actor.id)).all()
        clean, errors = check_rows(rows, existing)
        if errors:
            raise RowErrors(errors)
        s.add_all(Actor(process_id=proc.id, name=a.name, helix=a.helix, municipality=a.municipality) for a in clean)
        s.flush()
        audit(s, None, "actors.imported", p.audit_role, process_id=proc.id, count=len(clean))
        return len(clean)


def list_actors(engine: Engine, who: Credential, process_id: int) -> list[dict[str, object]]:
    """The actors of a process, by name: id, name, helix, municipality (the set-up page lists them
    and edits them without losing the municipality). For its leaders and observers."""
    with read(engine) as s:
        if not isinstance(process_id, int) or s.get(Process, process_id) is None:
            raise NotFound("process.not_found", field="process", id=process_id)
        require_read(acting(s, who), process_id)
        return [
            {"id": a.id, "name": a.name, "helix": a.helix, "municipality": a.municipality}
            for a in s.scalars(select(Actor).where(Actor.process_id == process_id).order_by(Actor.name, Actor.id))
        ]
