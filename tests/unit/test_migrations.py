"""The Alembic migrations build exactly the schema the models describe, on both databases."""

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect

from edp.db import current_revision, make_engine, upgrade
from edp.models import Base


def test_migrated_schema_matches_the_models(engine):
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn, opts={"compare_type": True}), Base.metadata)
    assert diff == []
    assert current_revision(engine) is not None


def test_upgrade_is_idempotent_and_creates_sqlite_file_with_pragmas(tmp_path):
    path = tmp_path / "sub" / "edp.sqlite"
    engine = make_engine(f"sqlite:///{path}")
    upgrade(engine)
    upgrade(engine)
    assert path.exists()
    assert {"workshops", "ballots", "ballot_entries", "audit_events"} <= set(inspect(engine).get_table_names())
    with engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() == 30000
    engine.dispose()
