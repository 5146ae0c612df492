"""Reading the small CSV files facilitators bring: UTF-8 with or without BOM, comma or semicolon."""

from __future__ import annotations

import csv
import io

from edp.errors import ValidationError
from edp.files import CSV_MAX_BYTES, check_size

MAX_ROWS = 2000


def read_rows(text: str | bytes, required: tuple[str, ...]) -> list[tuple[int, dict[str, str]]]:
    """(line number, row) pairs with lower-cased, trimmed headers; blank lines skipped.
    A file over CSV_MAX_BYTES is refused before it is decoded."""
    check_size(text, CSV_MAX_BYTES)
    if isinstance(text, bytes):
        try:
            text = text.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise ValidationError("csv.not_utf8", field="file") from exc
    text = text.lstrip("\ufeff")
    if not text.strip():
        raise ValidationError("csv.empty", field="file")
    first = text.splitlines()[0]
    delimiter = ";" if first.count(";") > first.count(",") else ","
    reader = csv.DictReader(io.StringIO(text), delimiter=delimiter)
    headers = [(h or "").strip().lower() for h in reader.fieldnames or []]
    missing = [c for c in required if c not in headers]
    if missing:
        raise ValidationError("csv.missing_columns", field="file", columns=", ".join(missing))
    reader.fieldnames = headers
    rows = []
    for row in reader:
        values = {k: (v or "").strip() for k, v in row.items() if k}
        if any(values.values()):
            rows.append((reader.line_num, values))
    if len(rows) > MAX_ROWS:
        raise ValidationError("csv.too_many_rows", field="file", max=MAX_ROWS)
    return rows
