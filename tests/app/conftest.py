"""Shared AppTest fixtures. Every test points EDP_DATABASE_URL at its own SQLite file, so the engine
that edp.ui.common caches per URL is never shared between tests."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine

from edp import demo
from edp.db import make_engine, upgrade


@pytest.fixture(autouse=True)
def _plain_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """The app's defaults, whatever the shell running the tests has set."""
    for name in ("EDP_LANG", "EDP_PUBLIC_URL", "EDP_DEMO_PASSCODE"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture(scope="session")
def demo_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A migrated SQLite file with the demo loaded once; tests copy it (use_db) and never change it.
    The demo's load summary sits beside it as summary.json."""
    path = tmp_path_factory.mktemp("demo") / "demo.sqlite"
    engine = make_engine(f"sqlite:///{path}")
    upgrade(engine)
    summary = demo.load(engine)
    engine.dispose()
    (path.parent / "summary.json").write_text(json.dumps(summary.__dict__))
    return path


@pytest.fixture
def use_db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[..., Engine]]:
    """Point the app at a fresh SQLite file (a copy of `template` if given); returns a migrated
    engine on it, disposed afterwards."""
    engines: list[Engine] = []

    def _use(template: Path | None = None) -> Engine:
        path = tmp_path / "edp.sqlite"
        if template is not None:
            shutil.copy(template, path)
        url = f"sqlite:///{path}"
        monkeypatch.setenv("EDP_DATABASE_URL", url)
        engine = make_engine(url)
        upgrade(engine)
        engines.append(engine)
        return engine

    yield _use
    for engine in engines:
        engine.dispose()


@pytest.fixture
def engine(use_db: Callable[..., Engine]) -> Engine:
    """A fresh, migrated, empty SQLite file that the app under test uses too."""
    return use_db()
