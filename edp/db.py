"""Database engines, sessions and the migration runner (SQLite by default, PostgreSQL for scale)."""

from __future__ import annotations

import contextlib
import threading
from collections import deque
from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path

from sqlalchemy import Engine, create_engine, event, inspect
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from edp import events
from edp.config import database_url

# Inside the package, so an installed edp (a wheel, not only a checkout) can migrate its database.
MIGRATIONS = Path(__file__).resolve().parent / "migrations"
SQLITE_BUSY_TIMEOUT_MS = 30_000
# Connections kept open: enough for a busy server's request threads (the bench uses 16), so
# they do not queue for one or open and close an overflow connection per call (a new
# PostgreSQL connection costs milliseconds; a new SQLite one re-runs the PRAGMAs below).
# The overflow caps the total at 30, as before.
POOL_SIZE = 20
MAX_OVERFLOW = 10


def _prepare_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn, _record) -> None:  # noqa: ANN001
        # Let SQLAlchemy's "begin" event issue BEGIN itself (see below).
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute("PRAGMA synchronous=NORMAL")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn) -> None:  # noqa: ANN001
        # Writers take the lock up front, so two writers never deadlock on a lock upgrade;
        # readers start a plain snapshot and never block anyone in WAL mode.
        if conn.get_execution_options().get("edp_readonly"):
            conn.exec_driver_sql("BEGIN")
        else:
            conn.exec_driver_sql("BEGIN IMMEDIATE")


def sqlite_path(url: str) -> Path | None:
    """The file of a SQLite URL; None for another database, an in-memory one or a file: URI."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite" or not parsed.database or parsed.database == ":memory:":
        return None
    if parsed.database.startswith("file:"):
        return None
    return Path(parsed.database)


def make_engine(url: str | None = None, *, create_folder: bool = True) -> Engine:
    """An engine for `url`. A SQLite file's folder is created unless create_folder=False (the
    command line creates it only for `db upgrade`)."""
    url = url or database_url()
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        pool: dict[str, int] = {}
        if parsed.database and parsed.database != ":memory:":
            if create_folder:
                Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
            pool = {"pool_size": POOL_SIZE, "max_overflow": MAX_OVERFLOW}  # a file: a QueuePool
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30}, **pool)
        _prepare_sqlite(engine)
    else:
        engine = create_engine(url, pool_pre_ping=True, pool_size=POOL_SIZE, max_overflow=MAX_OVERFLOW)
    return engine


@lru_cache(maxsize=8)
def shared_engine(url: str) -> Engine:
    return make_engine(url)


class FifoLock:
    """A lock taken in arrival order: release hands it straight to the longest waiter.

    threading.Lock lets the thread that releases it take it straight back (it still holds the
    GIL), so under load a few writers win turn after turn and others wait many turns: the
    bench's ballot p99 was about 10x its p50. Handing over in order bounds every wait.
    """

    def __init__(self) -> None:
        self._guard = threading.Lock()
        self._waiters: deque[threading.Lock] = deque()
        self._held = False

    def acquire(self) -> bool:
        with self._guard:
            if not self._held:
                self._held = True
                return True
            turn = threading.Lock()
            turn.acquire()
            self._waiters.append(turn)
        try:
            turn.acquire()  # released by release(): the lock is ours, still marked held
        except BaseException:
            with self._guard:
                if turn in self._waiters:  # not handed over yet: just leave the queue
                    self._waiters.remove(turn)
                    raise
            self.release()  # handed over while we were interrupted: pass it on
            raise
        return True

    def release(self) -> None:
        with self._guard:
            if self._waiters:
                self._waiters.popleft().release()
            else:
                self._held = False

    def __enter__(self) -> bool:
        return self.acquire()

    def __exit__(self, *exc: object) -> None:
        self.release()


_sqlite_write_locks: dict[str, FifoLock] = {}
_locks_guard = threading.Lock()


def _write_lock(engine: Engine) -> FifoLock | contextlib.nullcontext:
    """SQLite takes one writer at a time anyway; queueing writers of this process on a lock
    replaces SQLite's sleep-and-retry busy wait with a plain queue (bench, 16 threads: ballot p95 536 -> 109 ms),
    and a first-come-first-served one keeps every writer's wait short (see FifoLock)."""
    if engine.dialect.name != "sqlite":
        return contextlib.nullcontext()
    key = str(engine.url)
    with _locks_guard:
        return _sqlite_write_locks.setdefault(key, FifoLock())


@contextmanager
def write(engine: Engine) -> Iterator[Session]:
    """One short transaction: commits on success, rolls back everything on any error. The live
    screens hear of what it changed (edp.events) after it has committed and let go of the lock."""
    with _write_lock(engine), Session(engine, expire_on_commit=False, info={events.DEFER: True}) as s:
        with s.begin():
            yield s
        committed = s.info.pop(events.COMMITTED, ())
    for change in committed:
        events.publish_local(change)


@contextmanager
def read(engine: Engine) -> Iterator[Session]:
    """A read-only snapshot; never takes the SQLite write lock."""
    with Session(engine.execution_options(edp_readonly=True), expire_on_commit=False) as s, s.begin():
        yield s


def alembic_config(url: str):  # noqa: ANN201
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg


def upgrade(engine_or_url: Engine | str | None = None) -> None:
    """Migrate the database to the newest schema (idempotent)."""
    migrate(engine_or_url, "head")


def migrate(engine_or_url: Engine | str | None, target: str, *, down: bool = False) -> None:
    """Upgrade (or with down=True, downgrade) to `target` ("head", "0001", ...), keeping every row.

    SQLite alters a table by copying it and dropping the old one; with foreign keys on, that
    DROP would cascade-delete every dependent row. So SQLite migrates with foreign keys off,
    then proves with foreign_key_check that nothing dangles before it commits.
    """
    if isinstance(engine_or_url, Engine):
        _migrate(engine_or_url, engine_or_url.url.render_as_string(hide_password=False), target, down)
        return
    url = engine_or_url or database_url()
    engine = make_engine(url)  # made here, so closed here: a URL leaves no pool open behind it
    try:
        _migrate(engine, url, target, down)
    finally:
        engine.dispose()


def _migrate(engine: Engine, url: str, target: str, down: bool) -> None:
    from alembic import command

    cfg = alembic_config(url)
    sqlite = engine.dialect.name == "sqlite"
    with engine.connect() as conn:
        raw = conn.connection.dbapi_connection
        assert raw is not None  # a connection just checked out of the pool is valid
        if sqlite:
            raw.execute("PRAGMA foreign_keys=OFF")  # only takes effect outside a transaction
        try:
            with conn.begin():
                cfg.attributes["connection"] = conn
                (command.downgrade if down else command.upgrade)(cfg, target)
                if sqlite and (broken := conn.exec_driver_sql("PRAGMA foreign_key_check").all()):
                    raise RuntimeError(f"migration left dangling references: {broken[:5]}")
        finally:
            if sqlite:
                raw.execute("PRAGMA foreign_keys=ON")


def describe_db_error(exc: BaseException) -> str:
    """What a database error says, without any value from the rows: its kind, and the constraint,
    table and column it names. Never str(exc): SQLAlchemy appends the statement's parameters, and
    PostgreSQL's DETAIL quotes the row ("Key (token)=(...) already exists")."""
    orig = getattr(exc, "orig", None) or exc
    diag = getattr(orig, "diag", None)
    if diag is not None:  # psycopg: structured fields, none of which holds a value
        names = [
            f"{label} {value}"
            for label, value in (
                ("constraint", diag.constraint_name),
                ("table", diag.table_name),
                ("column", diag.column_name),
            )
            if value
        ]
        return ", ".join([type(orig).__name__, *names])
    # sqlite3 names the constraint or the table.column, never a bound value ("UNIQUE constraint
    # failed: participants.token"); its first line is enough.
    text = str(orig).strip().splitlines()
    return f"{type(orig).__name__}: {text[0]}" if text else type(orig).__name__


def current_revision(engine: Engine) -> str | None:
    if "alembic_version" not in inspect(engine).get_table_names():
        return None
    with engine.connect() as conn:
        return conn.exec_driver_sql("SELECT version_num FROM alembic_version").scalar()
