"""Whole-database backup and restore as one versioned JSON file (SQLite <-> PostgreSQL).

The file: {"format": "edp-backup", "version": 1, "schema_revision": <alembic revision>,
"created_at": ISO, "tables": {name: {"columns": [...], "rows": [[...], ...]}}}, every table of
edp.models.Base.metadata, rows in primary-key order. Dates and datetimes are ISO strings
(datetimes of timezone-aware columns in UTC, so SQLite and PostgreSQL write the same text),
JSON columns as they are, floats exactly (JSON numbers round-trip a float's repr).

A restore refuses a file that is not a backup, of another format version or of another schema
revision, and a target that already has data unless replace=True; it runs in one transaction,
so an error leaves the target as it was.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import Date, DateTime, Engine, Table, func, select, text

from edp.db import alembic_config, current_revision, upgrade, write
from edp.errors import Conflict, ValidationError
from edp.models import Base

FORMAT = "edp-backup"
VERSION = 1


@dataclass(frozen=True)
class Stats:
    tables: int
    rows: int


def head_revision(engine: Engine) -> str:
    """The newest migration this program knows (what a restored database will be at)."""
    from alembic.script import ScriptDirectory

    cfg = alembic_config(engine.url.render_as_string(hide_password=False))
    return ScriptDirectory.from_config(cfg).get_current_head()


def _tables() -> list[Table]:
    return list(Base.metadata.sorted_tables)


# ---------------------------------------------------------------- backup


def _encoder(column: Any) -> Any:
    if isinstance(column.type, DateTime):
        aware = column.type.timezone

        def enc_datetime(v: dt.datetime | None) -> str | None:
            if v is None:
                return None
            if aware:  # SQLite hands back naive UTC; PostgreSQL the session's zone: both become UTC
                v = v.replace(tzinfo=dt.UTC) if v.tzinfo is None else v.astimezone(dt.UTC)
            return v.isoformat()

        return enc_datetime
    if isinstance(column.type, Date):
        return lambda v: None if v is None else v.isoformat()
    return None


def dump(engine: Engine) -> dict[str, Any]:
    """The whole database as a backup document (one read snapshot)."""
    tables: dict[str, Any] = {}
    # One consistent snapshot: SQLite's plain BEGIN gives it, PostgreSQL needs REPEATABLE READ.
    options: dict[str, Any] = {"edp_readonly": True}
    if engine.dialect.name == "postgresql":
        options["isolation_level"] = "REPEATABLE READ"
    with engine.connect().execution_options(**options) as conn, conn.begin():
        revision = conn.exec_driver_sql("SELECT version_num FROM alembic_version").scalar()
        for table in _tables():
            cols = list(table.columns)
            encoders = [(i, enc) for i, c in enumerate(cols) if (enc := _encoder(c)) is not None]
            rows = []
            for row in conn.execute(select(table).order_by(*table.primary_key.columns)):
                values = list(row)
                for i, enc in encoders:
                    values[i] = enc(values[i])
                rows.append(values)
            tables[table.name] = {"columns": [c.name for c in cols], "rows": rows}
    return {
        "format": FORMAT,
        "version": VERSION,
        "schema_revision": revision,
        "created_at": dt.datetime.now(dt.UTC).isoformat(),
        "tables": tables,
    }


def backup(engine: Engine, path: str | Path) -> Stats:
    """Write the database to `path` as a backup file."""
    data = dump(engine)
    with open(path, "w", encoding="utf-8") as f:
        json.dump(data, f, ensure_ascii=False)
    return Stats(len(data["tables"]), sum(len(t["rows"]) for t in data["tables"].values()))


# ---------------------------------------------------------------- restore


def read_file(path: str | Path) -> dict[str, Any]:
    """Parse a backup file; refuses anything that is not JSON."""
    try:
        with open(path, encoding="utf-8") as f:
            return json.load(f)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ValidationError("backup.not_json", file=str(path), reason=str(exc)) from exc


def check(data: Any, engine: Engine) -> None:
    """Refuse a document that this program cannot restore into `engine` (touches no data)."""
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise ValidationError("backup.not_a_backup")
    if data.get("version") != VERSION:
        raise ValidationError("backup.wrong_version", version=data.get("version"), supported=VERSION)
    head = head_revision(engine)
    if data.get("schema_revision") != head:
        raise ValidationError("backup.revision_mismatch", backup=data.get("schema_revision"), target=head)
    tables = data.get("tables")
    if not isinstance(tables, dict):
        raise ValidationError("backup.malformed", detail="tables")
    known = {t.name: t for t in _tables()}
    for name, body in tables.items():
        if name not in known:
            raise ValidationError("backup.malformed", detail=f"unknown table {name}")
        if not isinstance(body, dict) or not isinstance(body.get("rows"), list):
            raise ValidationError("backup.malformed", detail=f"table {name}")
        columns = body.get("columns")
        if not isinstance(columns, list) or set(columns) != set(known[name].columns.keys()):
            raise ValidationError("backup.malformed", detail=f"columns of table {name}")
        if any(not isinstance(r, list) or len(r) != len(columns) for r in body["rows"]):
            raise ValidationError("backup.malformed", detail=f"a row of table {name}")


def _decoder(column: Any) -> Any:
    if isinstance(column.type, DateTime):
        return lambda v: None if v is None else dt.datetime.fromisoformat(v)
    if isinstance(column.type, Date):
        return lambda v: None if v is None else dt.date.fromisoformat(v)
    return None


def _records(table: Table, body: dict[str, Any]) -> list[dict[str, Any]]:
    columns = body["columns"]
    decoders = [(name, dec) for name in columns if (dec := _decoder(table.c[name])) is not None]
    records = []
    for row in body["rows"]:
        rec = dict(zip(columns, row, strict=True))
        for name, dec in decoders:
            try:
                rec[name] = dec(rec[name])
            except (TypeError, ValueError) as exc:
                raise ValidationError("backup.malformed", detail=f"{table.name}.{name}: {rec[name]!r}") from exc
        records.append(rec)
    return records


def _referenced_first(table: Table, records: list[dict[str, Any]]) -> list[list[dict[str, Any]]]:
    """Batches in which a row referring to its own table (themes.merged_into_id, rounds.origin_round_id)
    comes after the row it refers to: ids don't guarantee that (a theme may be merged into a newer
    one), and inserting the reference later would break checks such as "merged iff merged_into_id"."""
    selfref = [(fk.parent.name, fk.column.name) for fk in table.foreign_keys if fk.column.table is table]
    if not selfref:
        return [records]
    batches: list[list[dict[str, Any]]] = []
    done: dict[str, set[Any]] = {target: set() for _, target in selfref}
    waiting = records
    while waiting:
        ready, rest = [], []
        for r in waiting:
            ok = all(r[col] is None or r[col] in done[target] for col, target in selfref)
            (ready if ok else rest).append(r)
        if not ready:
            raise ValidationError("backup.malformed", detail=f"{table.name} refers to rows that are not there")
        for r in ready:
            for target in done:
                done[target].add(r[target])
        batches.append(ready)
        waiting = rest
    return batches


def _row_count(conn: Any) -> int:
    return sum(conn.execute(select(func.count()).select_from(t)).scalar_one() for t in _tables())


def restore(engine: Engine, data: dict[str, Any], *, replace: bool = False) -> Stats:
    """Load a backup document into `engine` (migrated to head first), all in one transaction."""
    check(data, engine)
    upgrade(engine)
    revision = current_revision(engine)
    if revision != data["schema_revision"]:  # e.g. a database newer than this program
        raise ValidationError("backup.revision_mismatch", backup=data["schema_revision"], target=revision)
    total = 0
    with write(engine) as s:
        conn = s.connection()
        if (existing := _row_count(conn)) and not replace:
            raise Conflict("backup.target_not_empty", rows=existing)
        for table in reversed(_tables()):
            conn.execute(table.delete())
        for table in _tables():
            body = data["tables"].get(table.name)
            if not body or not body["rows"]:
                continue
            for batch in _referenced_first(table, _records(table, body)):
                conn.execute(table.insert(), batch)
                total += len(batch)
        if engine.dialect.name == "postgresql":
            for table in _tables():
                if "id" in table.c and table.c.id.primary_key:
                    conn.execute(
                        text(
                            f"SELECT setval(pg_get_serial_sequence(:t, 'id'), coalesce(max(id), 0) + 1, false) "
                            f"FROM {table.name}"
                        ),
                        {"t": table.name},
                    )
    return Stats(len(data["tables"]), total)


def restore_file(engine: Engine, path: str | Path, *, replace: bool = False) -> Stats:
    return restore(engine, read_file(path), replace=replace)
