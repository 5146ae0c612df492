"""Database fixtures: every database test runs on SQLite and on a real PostgreSQL.

PostgreSQL comes from EDP_TEST_POSTGRES_URL (default: the role and database .ci/run creates).
When it is unreachable the PostgreSQL half is skipped locally, and fails under CI=true.
"""

from __future__ import annotations

import os
import secrets
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine, func, select, text
from sqlalchemy.engine import make_url

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
def browser_type_launch_args(browser_type_launch_args: dict) -> dict:
    """pytest-playwright's browser, for the browser suite and the charts measured as drawn: Debian's chromium."""
    from tests.e2e.screenshot import CHROMIUM_ARGS, CHROMIUM_PATH

    require_service(CHROMIUM_PATH.exists(), f"chromium at {CHROMIUM_PATH}")
    return {**browser_type_launch_args, "executable_path": str(CHROMIUM_PATH), "args": CHROMIUM_ARGS}


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("tpl") / "template.sqlite"
    engine = make_engine(f"sqlite:///{path}")
    upgrade(engine)
    engine.dispose()
    return path


@pytest.fixture(scope="session")
def pg_url() -> Iterator[str | None]:
    """A private schema per test session, so parallel runs on one server never meet; None if unreachable."""
    schema = f"test_{os.getpid()}_{secrets.token_hex(3)}"
    try:
        admin = create_engine(PG_URL, connect_args={"connect_timeout": 3})
        with admin.begin() as conn:
            conn.execute(text(f"CREATE SCHEMA {schema}"))
    except Exception:  # noqa: BLE001 - any failure means: no usable server
        yield None
        return
    url = make_url(PG_URL).update_query_dict({"options": f"-csearch_path={schema}"})
    rendered = url.render_as_string(hide_password=False)
    upgrade(rendered)
    yield rendered
    with admin.begin() as conn:
        conn.execute(text(f"DROP SCHEMA {schema} CASCADE"))
    admin.dispose()


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
        url = request.getfixturevalue("pg_url")
        require_service(url is not None, f"PostgreSQL at {PG_URL}")
        eng = make_engine(url)
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


@pytest.fixture(autouse=True)
def _fast_password_hashing(monkeypatch: pytest.MonkeyPatch) -> None:
    """Argon2id at its production cost (64 MiB, 3 passes) takes a noticeable time per hash; the tests
    make hundreds. tests/unit/test_accounts.py checks the production parameters themselves."""
    from argon2 import PasswordHasher

    from edp import accounts

    monkeypatch.setattr(accounts, "_HASHER", PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))
