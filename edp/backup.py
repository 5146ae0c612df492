"""Whole-database backup and restore as one versioned JSON file (SQLite <-> PostgreSQL).

The file: {"format": "edp-backup", "version": 1, "schema_revision": <alembic revision>,
"created_at": ISO, "tables": {name: {"columns": [...], "rows": [[...], ...]}}}, every table of
edp.models.Base.metadata, rows in primary-key order. Dates and datetimes are ISO strings
(datetimes of timezone-aware columns in UTC, so SQLite and PostgreSQL write the same text),
JSON columns as they are, floats exactly (JSON numbers round-trip a float's repr).

With EDP_BACKUP_KEY set, a backup also carries "signature": {"algorithm": "HMAC-SHA256",
"value": hex}, an HMAC with that key over the document without its signature, serialised
canonically (canonical_bytes).

A restore reads at most max_bytes of the file, then refuses, before it writes anything (it does
not even migrate the target): a file that is not a backup, of another format version or schema
revision; a bad or missing signature when EDP_BACKUP_KEY is set (a missing one is accepted with
allow_unsigned=True), and a signed file when no key is set to check it; and any value that does
not follow the schema derived from the models (edp.backup_schema). Then it refuses a target that
already has data unless replace=True, and loads everything in one transaction, so an error leaves
the target as it was. No refusal quotes a value of the file.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import Date, DateTime, Engine, Table, func, select, text
from sqlalchemy.exc import DBAPIError

from edp import backup_schema
from edp.db import alembic_config, current_revision, describe_db_error, upgrade, write
from edp.errors import Conflict, ValidationError
from edp.files import BACKUP_MAX_BYTES, read_capped
from edp.models import Base

FORMAT = "edp-backup"
VERSION = 1
KEY_ENV = "EDP_BACKUP_KEY"
KEY_MIN_CHARS = 32  # e.g. python -c "import secrets; print(secrets.token_hex(32))" gives 64
SIGNATURE_ALGORITHM = "HMAC-SHA256"


@dataclass(frozen=True)
class Stats:
    tables: int
    rows: int
    signed: bool = field(default=False, compare=False)
    bytes: int = field(default=0, compare=False)  # the file's size, for a backup


# ---------------------------------------------------------------- signing


def backup_key() -> bytes | None:
    """EDP_BACKUP_KEY as bytes, None when unset; a key too short to be secret is refused."""
    key = os.environ.get(KEY_ENV, "")
    if not key:
        return None
    if len(key) < KEY_MIN_CHARS:
        raise ValidationError("backup.key_too_short", min=KEY_MIN_CHARS)
    return key.encode("utf-8")


def canonical_bytes(data: dict[str, Any]) -> bytes:
    """The document without its signature, as JSON with sorted keys, no spaces and ASCII only:
    the same bytes before writing and after reading back (floats keep their repr)."""
    body = {k: v for k, v in data.items() if k != "signature"}
    return json.dumps(body, ensure_ascii=True, sort_keys=True, separators=(",", ":"), allow_nan=False).encode()


def sign(data: dict[str, Any], key: bytes) -> dict[str, Any]:
    mac = hmac.new(key, canonical_bytes(data), hashlib.sha256).hexdigest()
    return {**data, "signature": {"algorithm": SIGNATURE_ALGORITHM, "value": mac}}


def check_signature(data: dict[str, Any], key: bytes | None, *, allow_unsigned: bool = False) -> None:
    signature = data.get("signature")
    if signature is None:
        if key is not None and not allow_unsigned:
            raise ValidationError("backup.unsigned")
        return
    if key is None:
        raise ValidationError("backup.key_missing")
    if (
        not isinstance(signature, dict)
        or signature.get("algorithm") != SIGNATURE_ALGORITHM
        or not isinstance(signature.get("value"), str)
    ):
        raise ValidationError("backup.signature_invalid")
    try:
        expected = hmac.new(key, canonical_bytes(data), hashlib.sha256).hexdigest()
    except (TypeError, ValueError) as exc:  # e.g. a NaN that json.loads let through
        raise ValidationError("backup.signature_invalid") from exc
    if not hmac.compare_digest(expected, signature["value"]):
        raise ValidationError("backup.signature_invalid")


def head_revision(engine: Engine) -> str:
    """The newest migration this program knows (what a restored database will be at)."""
    from alembic.script import ScriptDirectory

    cfg = alembic_config(engine.url.render_as_string(hide_password=False))
    head = ScriptDirectory.from_config(cfg).get_current_head()
    if head is None:  # the package ships its migrations
        raise RuntimeError("no migrations found")
    return head


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
    """Write the database to `path` as a backup file, signed when EDP_BACKUP_KEY is set."""
    key = backup_key()
    data = dump(engine)
    if key is not None:
        data = sign(data, key)
    with open(path, "w", encoding="utf-8") as f:
        json.dump(data, f, ensure_ascii=False)
    rows = sum(len(t["rows"]) for t in data["tables"].values())
    return Stats(len(data["tables"]), rows, signed=key is not None, bytes=Path(path).stat().st_size)


# ---------------------------------------------------------------- restore


def _no_constant(name: str) -> None:
    raise ValueError(f"{name} is not a number JSON allows")


def read_file(path: str | Path, max_bytes: int = BACKUP_MAX_BYTES) -> dict[str, Any]:
    """Parse a backup file, reading at most max_bytes (and one more, to know it is over);
    refuses anything that is not JSON. The reason given is the parser's position, never the text."""
    data = read_capped(path, max_bytes)
    try:
        return json.loads(data.decode("utf-8"), parse_constant=_no_constant)
    except UnicodeDecodeError as exc:
        raise ValidationError("backup.not_json", file=str(path), reason=f"not UTF-8 at byte {exc.start}") from exc
    except json.JSONDecodeError as exc:
        raise ValidationError("backup.not_json", file=str(path), reason=f"{exc.msg}, line {exc.lineno}") from exc
    except (ValueError, RecursionError) as exc:  # NaN/Infinity, a number too long, nesting too deep
        raise ValidationError("backup.not_json", file=str(path), reason=type(exc).__name__) from exc


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
            except (TypeError, ValueError) as exc:  # validate() has refused these already
                raise ValidationError("backup.malformed", detail=f"{table.name}.{name}") from exc
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
        ready: list[dict[str, Any]] = []
        rest: list[dict[str, Any]] = []
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


def validate(data: dict[str, Any]) -> None:
    """Refuse a document whose rows do not follow the schema derived from the models (touches no
    database): every value, unique and foreign keys, then the check constraints in a dry run."""
    tables = _tables()
    problems = backup_schema.Problems()
    backup_schema.check_values(tables, data["tables"], problems)
    problems.raise_any()
    backup_schema.check_keys(tables, data["tables"], problems)
    problems.raise_any()
    present = [t for t in tables if (data["tables"].get(t.name) or {}).get("rows")]
    backup_schema.dry_run(
        Base.metadata, present, _referenced_first, lambda t: _records(t, data["tables"][t.name]), problems
    )
    problems.raise_any()


def restore(engine: Engine, data: dict[str, Any], *, replace: bool = False, allow_unsigned: bool = False) -> Stats:
    """Load a backup document into `engine` (migrated to head first), all in one transaction.
    Everything about the document is checked before anything is written, the migration included."""
    check(data, engine)
    check_signature(data, backup_key(), allow_unsigned=allow_unsigned)
    validate(data)
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
                try:
                    conn.execute(table.insert(), batch)
                except DBAPIError as exc:  # str(exc) would print the rows: names and tokens
                    raise ValidationError(
                        "backup.constraint_in_target", table=table.name, reason=describe_db_error(exc)
                    ) from None
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


def restore_file(
    engine: Engine,
    path: str | Path,
    *,
    replace: bool = False,
    max_bytes: int = BACKUP_MAX_BYTES,
    allow_unsigned: bool = False,
) -> Stats:
    return restore(engine, read_file(path, max_bytes), replace=replace, allow_unsigned=allow_unsigned)
