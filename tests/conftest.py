"""Database fixtures: every database test runs on SQLite and on a real PostgreSQL.

PostgreSQL comes from EDP_TEST_POSTGRES_URL (default: the role and database .ci/run creates).
When it is unreachable the PostgreSQL half is skipped locally, and fails under CI=true.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine, func, select, text

from edp.db import make_engine, upgrade
from edp.models import Base, Workshop

PG_URL = os.environ.get("EDP_TEST_POSTGRES_URL", "postgresql+psycopg://edp:edp@127.0.0.1:5432/edp_test")
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")


def require_service(ok: bool, what: str) -> None:
    """Skip locally when a service is missing; under CI=true that is a failure."""
    if ok:
        return
    if IN_CI:
        pytest.fail(f"{what} is required when CI=true, and it is not available")
    pytest.skip(f"{what} not available")


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("tpl") / "template.sqlite"
    engine = make_engine(f"sqlite:///{path}")
    upgrade(engine)
    engine.dispose()
    return path


@pytest.fixture(scope="session")
def pg_migrated() -> str | None:
    try:
        probe = create_engine(PG_URL, connect_args={"connect_timeout": 3})
        with probe.begin() as conn:
            conn.execute(text("DROP SCHEMA public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
        probe.dispose()
    except Exception as exc:  # noqa: BLE001
        return f"PostgreSQL at {PG_URL} ({type(exc).__name__})"
    upgrade(PG_URL)
    return None


def _truncate_all(engine: Engine) -> None:
    names = ", ".join(t.name for t in Base.metadata.sorted_tables)
    with engine.begin() as conn:
        conn.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    if request.param == "sqlite":
        template = request.getfixturevalue("sqlite_template")
        path = tmp_path / "edp.sqlite"
        shutil.copy(template, path)
        eng = make_engine(f"sqlite:///{path}")
    else:
        problem = request.getfixturevalue("pg_migrated")
        require_service(problem is None, problem or "PostgreSQL")
        eng = make_engine(PG_URL)
        _truncate_all(eng)
    yield eng
    eng.dispose()


def table_counts(engine: Engine) -> dict[str, int]:
    """Rows per table plus every workshop's revision: equal before and after means nothing was written."""
    with engine.connect() as conn:
        counts = {
            t.name: conn.execute(select(func.count()).select_from(t)).scalar_one() for t in Base.metadata.sorted_tables
        }
        counts.update({f"revision:{wid}": rev for wid, rev in conn.execute(select(Workshop.id, Workshop.revision))})
    return counts
