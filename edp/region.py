"""The region an instance serves, its smart specialisation (S3) strategy and its strength areas
(styrkeområden): what a region sets up first, in the UI or with `python -m edp`.

Reads are public (the areas are offered on the participants' proposal form); every write takes
the acting principal and needs an instance admin (edp.access).
"""

from __future__ import annotations

import dataclasses
import io
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import Engine, select

from edp import validate
from edp.access import Credential, acting, require_admin
from edp.csvfile import read_rows
from edp.db import read, write
from edp.errors import Conflict, EdpError, NotFound, RowErrors, ValidationError
from edp.models import Region, StrengthArea, utcnow
from edp.workshop import DESCRIPTION_MAX, audit

CODE_MAX = 40
NAME_MAX = 200
MAX_FILE_BYTES = 2 * 1024 * 1024
MAX_AREAS = 200
# Header names in a strength-area file, Swedish or English.
AREA_COLUMNS = {
    "code": "code",
    "kod": "code",
    "name_sv": "name_sv",
    "namn": "name_sv",
    "namn_sv": "name_sv",
    "name_en": "name_en",
    "name": "name_en",
    "namn_en": "name_en",
    "description": "description",
    "beskrivning": "description",
}


@dataclass(frozen=True)
class RegionView:
    name: str
    strategy_title: str
    period_start: int | None
    period_end: int | None
    description: str


@dataclass(frozen=True)
class AreaView:
    id: int
    code: str
    name_sv: str
    name_en: str
    description: str

    def name(self, lang: str) -> str:
        return self.name_sv if lang == "sv" else self.name_en


def region(engine: Engine) -> RegionView | None:
    """The region and its strategy, or None before the admin has described it."""
    with read(engine) as s:
        r = s.get(Region, 1)
        if r is None:
            return None
        return RegionView(r.name, r.strategy_title, r.period_start, r.period_end, r.description)


def set_region(
    engine: Engine,
    who: Credential,
    name: str,
    *,
    strategy_title: str = "",
    period_start: int | None = None,
    period_end: int | None = None,
    description: str = "",
) -> RegionView:
    with write(engine) as s:
        p = acting(s, who)
        require_admin(p)
        view = RegionView(
            name=validate.text(name, "region_name", min_len=1, max_len=NAME_MAX, multiline=False),
            strategy_title=validate.text(strategy_title, "strategy_title", max_len=300, multiline=False),
            period_start=validate.year(period_start, "period_start"),
            period_end=validate.year(period_end, "period_end"),
            description=validate.text(description, "description", max_len=DESCRIPTION_MAX),
        )
        if view.period_start and view.period_end and view.period_start > view.period_end:
            raise ValidationError("process.period_reversed", field="period_end", start=view.period_start)
        values = dataclasses.asdict(view)
        r = s.get(Region, 1)
        if r is None:
            s.add(Region(id=1, **values))
        else:
            for k, v in values.items():
                setattr(r, k, v)
            r.updated_at = utcnow()
        audit(s, None, "region.set", p.audit_role)
        return view


# ---------------------------------------------------------------- strength areas


def strength_areas(engine: Engine) -> list[AreaView]:
    with read(engine) as s:
        return [
            AreaView(a.id, a.code, a.name_sv, a.name_en, a.description)
            for a in s.scalars(select(StrengthArea).order_by(StrengthArea.code))
        ]


def _area_values(code: object, name_sv: object, name_en: object, description: object) -> dict[str, str]:
    clean_code = validate.text(code, "code", min_len=1, max_len=CODE_MAX, multiline=False)
    if not all(ch.isalnum() or ch in "-_" for ch in clean_code):
        raise ValidationError("strength_area.code_characters", field="code")
    return {
        "code": clean_code.upper(),
        "name_sv": validate.text(name_sv, "name_sv", min_len=1, max_len=NAME_MAX, multiline=False),
        "name_en": validate.text(name_en, "name_en", min_len=1, max_len=NAME_MAX, multiline=False),
        "description": validate.text(description, "description", max_len=DESCRIPTION_MAX),
    }


def create_strength_area(
    engine: Engine, who: Credential, code: str, name_sv: str, name_en: str, description: str = ""
) -> int:
    with write(engine) as s:
        p = acting(s, who)
        require_admin(p)
        values = _area_values(code, name_sv, name_en, description)
        if s.scalar(select(StrengthArea.id).where(StrengthArea.code == values["code"])) is not None:
            raise Conflict("strength_area.duplicate", field="code", code=values["code"])
        area = StrengthArea(**values)
        s.add(area)
        s.flush()
        audit(s, None, "strength_area.created", p.audit_role, code=area.code)
        return area.id


def update_strength_area(
    engine: Engine, who: Credential, area_id: int, *, name_sv: str, name_en: str, description: str = ""
) -> None:
    """Rename an area or change its description (its code stays: files and imports refer to it)."""
    with write(engine) as s:
        p = acting(s, who)
        require_admin(p)
        area = s.get(StrengthArea, area_id) if isinstance(area_id, int) else None
        if area is None:
            raise NotFound("strength_area.not_found", field="strength_area", code=area_id)
        values = _area_values(area.code, name_sv, name_en, description)
        area.name_sv, area.name_en, area.description = values["name_sv"], values["name_en"], values["description"]
        audit(s, None, "strength_area.updated", p.audit_role, code=area.code)


def _xlsx_rows(data: bytes) -> list[tuple[int, dict[str, str]]]:
    """The first sheet of a workbook: (row number, {header: text}), headers lower-cased."""
    from edp.roadmap.io import check_archive

    check_archive(data)
    from openpyxl import load_workbook

    try:
        wb = load_workbook(io.BytesIO(data), read_only=True, data_only=True, keep_links=False)
    except Exception as exc:  # a ZIP that is no workbook fails in many ways
        raise ValidationError("strength_area.file_unreadable", field="file") from exc
    try:
        rows = wb.worksheets[0].iter_rows(max_row=MAX_AREAS + 2, max_col=20, values_only=True)
        header = [str(v).strip().lower() if v is not None else "" for v in next(rows, ())]
        out = []
        for number, cells in enumerate(rows, start=2):
            values = {h: "" if v is None else str(v).strip() for h, v in zip(header, cells, strict=False) if h}
            if any(values.values()):
                out.append((number, values))
        return out
    except Exception as exc:
        raise ValidationError("strength_area.file_unreadable", field="file") from exc
    finally:
        wb.close()


def parse_strength_areas(data: bytes, filename: str) -> list[tuple[int, dict[str, str]]]:
    """A CSV or XLSX file with the columns code, name_sv, name_en (Swedish headers kod, namn also work)
    and optionally description: (line, {column: text}) per row."""
    if not isinstance(data, bytes | bytearray) or len(data) > MAX_FILE_BYTES:
        raise ValidationError("strength_area.file_too_big", field="file", max=MAX_FILE_BYTES // 2**20)
    raw = _xlsx_rows(bytes(data)) if filename.lower().endswith(".xlsx") else read_rows(bytes(data), ())
    rows = [(line, {AREA_COLUMNS[k]: v for k, v in row.items() if k in AREA_COLUMNS}) for line, row in raw]
    if not rows:
        raise ValidationError("strength_area.file_empty", field="file")
    missing = [c for c in ("code", "name_sv", "name_en") if not any(c in r for _, r in rows)]
    if missing:
        raise ValidationError("csv.missing_columns", field="file", columns=", ".join(missing))
    if len(rows) > MAX_AREAS:
        raise ValidationError("csv.too_many_rows", field="file", max=MAX_AREAS)
    return rows


def import_strength_areas(engine: Engine, who: Credential | None, rows: Sequence[tuple[int, dict[str, str]]]) -> int:
    """Add every area of a parsed file; all or nothing, with every bad row listed (RowErrors)."""
    with write(engine) as s:
        p = acting(s, who)
        require_admin(p)
        existing = set(s.scalars(select(StrengthArea.code)))
        errors: list[tuple[int, EdpError]] = []
        clean: list[dict[str, str]] = []
        first: dict[str, int] = {}
        for line, row in rows:
            try:
                values = _area_values(row.get("code"), row.get("name_sv"), row.get("name_en"), row.get("description"))
                if values["code"] in existing:
                    raise Conflict("strength_area.duplicate", field="code", code=values["code"])
                if values["code"] in first:
                    raise Conflict(
                        "import.duplicate_in_file", field="code", name=values["code"], first=first[values["code"]]
                    )
                first[values["code"]] = line
                clean.append(values)
            except EdpError as err:
                errors.append((line, err))
        if errors:
            raise RowErrors(errors)
        s.add_all(StrengthArea(**v) for v in clean)
        audit(s, None, "strength_areas.imported", p.audit_role, count=len(clean))
        return len(clean)
