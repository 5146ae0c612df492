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


def test_down_and_up_again_keeps_every_row(engine):
    """SQLite rebuilds altered tables; with foreign keys on, that would cascade-delete dependants."""
    from edp import demo
    from edp.db import migrate
    from tests.conftest import table_counts

    demo.load(engine)
    # Going below 0004 drops the roadmap tables, and their rows with them; every other row must survive.
    # Going below 0005 drops the accounts, roles and the region the demo loader makes too.
    roadmap_tables = {"roadmaps", "goals", "activities", "activity_partners", "milestones", "kpis",
                      "kpi_measurements", "actor_links", "roadmap_events",
                      "users", "role_grants", "region", "user_sessions", "setup_codes", "attempts"}  # fmt: skip
    before = {
        k: v for k, v in table_counts(engine).items() if not k.startswith("revision:") and k not in roadmap_tables
    }
    assert before["ballot_entries"] > 500
    migrate(engine, "0001", down=True)
    assert current_revision(engine) == "0001"
    migrate(engine, "head")
    after = {k: v for k, v in table_counts(engine).items() if not k.startswith("revision:") and k not in roadmap_tables}
    assert after == before
    assert table_counts(engine)["roadmaps"] == 0
    with engine.connect() as conn:
        assert conn.exec_driver_sql("SELECT allow_new_actors FROM workshops").scalars().all() == [True, True]


def test_downgrade_below_0009_is_refused_while_a_round_uses_a_newer_method(engine):
    """0008's check constraint lists four methods: a round of another one would break it, so the
    downgrade names the round and changes nothing."""
    import json

    import pytest
    from sqlalchemy import text

    from edp.db import migrate
    from tests.factory import make_setup

    s = make_setup(engine)
    with engine.begin() as conn:
        conn.execute(text("UPDATE rounds SET method = 'quadratic' WHERE id = :id"), {"id": s.round_id})
    with pytest.raises(RuntimeError, match=rf"round {s.round_id} \(quadratic\)"):
        migrate(engine, "0008", down=True)
    assert current_revision(engine) == "0009"
    with engine.connect() as conn:
        rows = conn.execute(text("SELECT method, settings FROM rounds")).all()
    assert [(m, json.loads(v) if isinstance(v, str) else v) for m, v in rows] == [("quadratic", {})]  # SQLite: text
