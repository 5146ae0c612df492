"""The schema a backup file is checked against before a restore writes anything, derived from the
SQLAlchemy tables (edp.models), so it follows the models as they change.

Per column: the type (integer in its range, number, text, true/false, date, date and time, JSON),
the length of a String, a ceiling for Text, nullability, and no control characters in text. Per
table: unique keys and foreign keys (every reference must point at a row of the backup). The check
constraints and partial unique indexes are then run by loading the rows into an in-memory SQLite
database made from the same metadata. Secret columns have format rules (SECRET_FORMATS).

What a schema cannot see: a value of the right form that is not the original (a passcode hash
swapped for the hash of a passcode the attacker knows, a renamed participant, a changed vote).
Signing the backup (EDP_BACKUP_KEY, edp.backup) covers that.

Problems never quote a value: a backup holds names, tokens and votes, and messages end up in
terminals, logs and tickets.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import math
import re
from collections.abc import Callable, Iterable
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    DateTime,
    Float,
    Integer,
    MetaData,
    SmallInteger,
    String,
    Table,
    Text,
    UniqueConstraint,
    create_engine,
    event,
)
from sqlalchemy.exc import IntegrityError
from sqlalchemy.schema import Column

from edp.errors import EdpError, ValidationError

# A Text column's ceiling, far above anything the app writes (the longest text it takes is 4,000
# characters); a column can set its own with Column(info={"max_chars": N}).
TEXT_MAX = 100_000
# C0 and C1 control characters except tab, LF and CR, and lone surrogates: what edp.validate.text
# refuses in every input, so no stored text holds one. NUL breaks PostgreSQL; ESC drives terminals.
CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff]")
INT_RANGES = {
    SmallInteger: (-(2**15), 2**15 - 1),
    BigInteger: (-(2**63), 2**63 - 1),
    Integer: (-(2**31), 2**31 - 1),
}
MAX_PROBLEMS = 50  # listed; the count covers them all

# Secret columns, by column name (in whichever table): what edp.security writes there.
SECRET_FORMATS: dict[str, str] = {
    "passcode_hash": "scrypt_or_none",  # workshops ("" for a workshop without a passcode)
    "token_hash": "sha256_hex",  # facilitator_sessions, actor_links, user_sessions, participants
    "password_hash": "argon2id",  # users (NULL for an account that signs in through OIDC only)
    "code_hash": "sha256_hex",  # setup_codes
    "projector_key": "key",  # workshops: the projector's address (secrets.token_urlsafe(16))
    "session_key": "sha256_hex_or_none",  # attempts ("" for a failed sign-in from no known browser)
    "address_key": "sha256_hex",  # attempts
}
# A column whose name looks like one of these must have a rule above (a test checks it).
SECRET_LOOKING = re.compile(r"token|hash|passcode|password|secret|_key$", re.IGNORECASE)

_SHA256_HEX = re.compile(r"[0-9a-f]{64}")
_B64 = re.compile(r"[A-Za-z0-9_-]+={0,2}")
SCRYPT_MAX_MEMORY = 32 * 1024 * 1024  # hashlib.scrypt's default maxmem: what verify_passcode can compute
SCRYPT_MAX_P = 16


class BackupErrors(ValidationError):
    """A backup that does not follow the schema; nothing was restored. `rows` holds (table,
    1-based row of that table in the file, error); `count` is every problem, `rows` the first ones."""

    def __init__(self, rows: list[tuple[str, int, EdpError]], count: int) -> None:
        super().__init__("backup.invalid", count=count)
        self.rows = rows


# ---------------------------------------------------------------- value rules

Rule = Callable[[Any], EdpError | None]


def _is_int(v: Any) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


def _scrypt_ok(v: str) -> bool:
    parts = v.split("$")
    if len(parts) != 6 or parts[0] != "scrypt" or not all(p.isdigit() for p in parts[1:4]):
        return False
    n, r, p = (int(x) for x in parts[1:4])
    if n < 2 or n & (n - 1) or not 1 <= r <= 64 or not 1 <= p <= SCRYPT_MAX_P:
        return False
    if 128 * r * n > SCRYPT_MAX_MEMORY or not (_B64.fullmatch(parts[4]) and _B64.fullmatch(parts[5])):
        return False
    try:
        salt, digest = base64.urlsafe_b64decode(parts[4]), base64.urlsafe_b64decode(parts[5])
    except (binascii.Error, ValueError):
        return False
    return 16 <= len(salt) <= 64 and len(digest) == 32


_ARGON2ID = re.compile(r"\$argon2id\$v=19\$m=(\d{1,7}),t=(\d{1,3}),p=(\d{1,3})\$[A-Za-z0-9+/]{11,}\$[A-Za-z0-9+/]{16,}")
ARGON2_MAX_MEMORY_KIB = 256 * 1024  # so a planted hash cannot make a sign-in take gigabytes


def _argon2_ok(v: str) -> bool:
    found = _ARGON2ID.fullmatch(v)
    if not found:
        return False
    m, t, p = (int(x) for x in found.groups())
    return 8 <= m <= ARGON2_MAX_MEMORY_KIB and 1 <= t <= 10 and 1 <= p <= 16


_KEY = re.compile(r"[A-Za-z0-9_-]{22}")

SECRET_CHECKS: dict[str, tuple[Callable[[str], bool], str]] = {
    "scrypt": (_scrypt_ok, "backup.not_scrypt"),
    "scrypt_or_none": (lambda v: v == "" or _scrypt_ok(v), "backup.not_scrypt"),
    "sha256_hex": (lambda v: bool(_SHA256_HEX.fullmatch(v)), "backup.not_sha256"),
    "sha256_hex_or_none": (lambda v: v == "" or bool(_SHA256_HEX.fullmatch(v)), "backup.not_sha256"),
    "argon2id": (_argon2_ok, "backup.not_argon2"),
    "key": (lambda v: bool(_KEY.fullmatch(v)), "backup.not_key"),
}


def _text_rule(column: Column, max_chars: int) -> Rule:
    name = column.name
    secret = SECRET_FORMATS.get(name)
    fmt, fmt_key = SECRET_CHECKS[secret] if secret else (None, "")

    def check(v: Any) -> EdpError | None:
        if not isinstance(v, str):
            return ValidationError("input.not_text", field=name)
        if len(v) > max_chars:
            return ValidationError("input.too_long", field=name, max=max_chars, length=len(v))
        if CONTROL.search(v):
            return ValidationError("input.control_characters", field=name)
        if fmt is not None and not fmt(v):
            return ValidationError(fmt_key, field=name)
        return None

    return check


def _int_rule(name: str, lo: int, hi: int) -> Rule:
    def check(v: Any) -> EdpError | None:
        if not _is_int(v):
            return ValidationError("input.not_integer", field=name)
        if not lo <= v <= hi:
            return ValidationError("backup.integer_range", field=name, min=lo, max=hi)
        return None

    return check


def _float_rule(name: str) -> Rule:
    def check(v: Any) -> EdpError | None:
        try:
            if (_is_int(v) or isinstance(v, float)) and math.isfinite(float(v)):
                return None
        except OverflowError:  # an integer too big for a float
            pass
        return ValidationError("input.not_number", field=name)

    return check


def _bool_rule(name: str) -> Rule:
    return lambda v: None if isinstance(v, bool) else ValidationError("backup.not_boolean", field=name)


def _date_rule(name: str) -> Rule:
    def check(v: Any) -> EdpError | None:
        try:
            if isinstance(v, str) and len(v) == 10:
                dt.date.fromisoformat(v)
                return None
        except ValueError:
            pass
        return ValidationError("input.not_date", field=name)

    return check


def _datetime_rule(name: str, aware: bool) -> Rule:
    def check(v: Any) -> EdpError | None:
        try:
            if isinstance(v, str) and len(v) <= 40:
                parsed = dt.datetime.fromisoformat(v)
                if not aware or parsed.utcoffset() is not None:
                    return None
        except ValueError:
            pass
        return ValidationError("backup.not_datetime", field=name)

    return check


def value_rule(column: Column) -> Rule:
    """The check of one column's non-null values. Raises TypeError for a column type it does not
    know, so a new type is noticed by the tests (test_every_column_of_the_models_has_a_rule), not
    by a restore."""
    t, name = column.type, column.name
    if isinstance(t, Boolean):
        return _bool_rule(name)
    if isinstance(t, Integer):  # SmallInteger and BigInteger are Integers too: the narrowest range wins
        lo, hi = next(r for cls, r in INT_RANGES.items() if isinstance(t, cls))
        return _int_rule(name, lo, hi)
    if isinstance(t, Float):
        return _float_rule(name)
    if isinstance(t, DateTime):
        return _datetime_rule(name, bool(t.timezone))
    if isinstance(t, Date):
        return _date_rule(name)
    if isinstance(t, JSON):
        return lambda v: None  # whatever JSON held: it was parsed as JSON
    if isinstance(t, Text) or (isinstance(t, String) and t.length is None):
        return _text_rule(column, int(column.info.get("max_chars", TEXT_MAX)))
    if isinstance(t, String) and t.length is not None:  # without one: the rule above
        return _text_rule(column, t.length)
    raise TypeError(f"no backup rule for {column.table.name}.{name} of type {t!r}")


def column_rules(table: Table) -> dict[str, tuple[bool, Rule]]:
    """column -> (nullable, rule)."""
    return {c.name: (bool(c.nullable) and not c.primary_key, value_rule(c)) for c in table.columns}


def unique_keys(table: Table) -> list[tuple[str, ...]]:
    """The column sets whose values must be unique: the primary key, unique columns and constraints
    (partial unique indexes are left to the database dry run)."""
    keys = [tuple(c.name for c in table.primary_key.columns)]
    keys += [(c.name,) for c in table.columns if c.unique]
    keys += [tuple(c.name for c in con.columns) for con in table.constraints if isinstance(con, UniqueConstraint)]
    keys += [tuple(c.name for c in ix.columns) for ix in table.indexes if ix.unique and not _is_partial(ix)]
    return list(dict.fromkeys(k for k in keys if k))


def _is_partial(index: Any) -> bool:
    return any(v is not None for k, v in index.dialect_kwargs.items() if k.endswith("_where"))


# ---------------------------------------------------------------- the whole document


class Problems:
    def __init__(self) -> None:
        self.rows: list[tuple[str, int, EdpError]] = []
        self.count = 0

    def add(self, table: str, row: int, err: EdpError) -> None:
        self.count += 1
        if len(self.rows) < MAX_PROBLEMS:
            self.rows.append((table, row, err))

    def raise_any(self) -> None:
        if self.count:
            raise BackupErrors(self.rows, self.count)


def check_values(tables: Iterable[Table], data: dict[str, Any], problems: Problems) -> None:
    for table in tables:
        body = data.get(table.name)
        if not body:
            continue
        rules = column_rules(table)
        columns = body["columns"]
        checks = [(pos, name, *rules[name]) for pos, name in enumerate(columns)]
        for number, row in enumerate(body["rows"], start=1):
            for pos, name, nullable, rule in checks:
                v = row[pos]
                if v is None:
                    if not nullable:
                        problems.add(table.name, number, ValidationError("backup.null", field=name))
                elif (err := rule(v)) is not None:
                    problems.add(table.name, number, err)


def _rows(data: dict[str, Any], table: Table) -> tuple[list[str], list[list[Any]]]:
    body = data.get(table.name) or {"columns": [c.name for c in table.columns], "rows": []}
    return body["columns"], body["rows"]


def check_keys(tables: Iterable[Table], data: dict[str, Any], problems: Problems) -> None:
    """Unique keys hold within each table, and every foreign key points at a row of the backup.
    Runs on values check_values has passed (plain, hashable scalars in key columns)."""
    tables = list(tables)
    for table in tables:
        columns, rows = _rows(data, table)
        pos = {name: i for i, name in enumerate(columns)}
        for key in unique_keys(table):
            seen: dict[tuple, int] = {}
            for number, row in enumerate(rows, start=1):
                value = tuple(row[pos[c]] for c in key)
                if any(v is None for v in value):
                    continue
                if (first := seen.setdefault(value, number)) != number:
                    problems.add(
                        table.name, number, ValidationError("backup.duplicate", field=", ".join(key), first=first)
                    )
        for fk in table.foreign_key_constraints:
            local = [c.name for c in fk.columns]
            target = fk.referred_table
            remote = [e.column.name for e in fk.elements]
            t_columns, t_rows = _rows(data, target)
            t_pos = {name: i for i, name in enumerate(t_columns)}
            present = {tuple(r[t_pos[c]] for c in remote) for r in t_rows}
            for number, row in enumerate(rows, start=1):
                value = tuple(row[pos[c]] for c in local)
                if not any(v is None for v in value) and value not in present:
                    problems.add(
                        table.name, number,
                        ValidationError("backup.missing_reference", field=", ".join(local), target=target.name),
                    )  # fmt: skip


def dry_run(
    metadata: MetaData,
    tables: list[Table],
    batches: Callable[[Table, list[dict[str, Any]]], list[list[dict[str, Any]]]],
    records: Callable[[Table], list[dict[str, Any]]],
    problems: Problems,
) -> None:
    """Insert every row into an in-memory SQLite database made from `metadata`, in restore order,
    so its check constraints, NOT NULLs, unique indexes and foreign keys judge the rows. The first
    failure is reported with its table, row and constraint (SQLite names no value)."""
    engine = create_engine("sqlite://")

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:  # noqa: ANN401
        dbapi_conn.isolation_level = None  # SQLAlchemy issues BEGIN (below), so SAVEPOINTs work
        dbapi_conn.execute("PRAGMA foreign_keys=ON")

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:  # noqa: ANN401
        conn.exec_driver_sql("BEGIN")

    try:
        metadata.create_all(engine)
        with engine.connect() as conn, conn.begin():
            for table in tables:
                recs = records(table)
                for batch in batches(table, recs):
                    try:
                        with conn.begin_nested():
                            conn.execute(table.insert(), batch)
                    except IntegrityError:
                        _locate(conn, table, batch, recs, problems)
                        return
    finally:
        engine.dispose()


def _locate(
    conn: Any, table: Table, batch: list[dict[str, Any]], recs: list[dict[str, Any]], problems: Problems
) -> None:  # noqa: ANN401
    """Insert the refused batch row by row to find the first row the database refuses."""
    number_of = {id(r): n for n, r in enumerate(recs, start=1)}
    for rec in batch:
        try:
            with conn.begin_nested():
                conn.execute(table.insert(), [rec])
        except IntegrityError as exc:
            # sqlite3 names the constraint or table.column ("CHECK constraint failed: ck_rounds_phase"),
            # never a value
            reason = str(exc.orig).strip().splitlines()[0] if exc.orig else "IntegrityError"
            problems.add(table.name, number_of[id(rec)], ValidationError("backup.constraint", reason=reason))
            return
