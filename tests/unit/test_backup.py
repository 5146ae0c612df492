"""python -m edp backup / restore: a lossless JSON copy of the whole database, SQLite <-> PostgreSQL."""

from __future__ import annotations

import json
import secrets
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine, select, text, update
from sqlalchemy.engine import make_url

from edp import backup, demo
from edp.__main__ import main
from edp.access import SYSTEM
from edp.db import current_revision, make_engine, read
from edp.errors import EdpError
from edp.models import Base, Round, Theme
from edp.roadmap.views import roadmap_view
from edp.voting.tally import round_results
from edp.workshop import add_actor
from tests.conftest import PG_URL, _truncate_all, require_service, table_counts


def url_of(engine: Engine) -> str:
    return engine.url.render_as_string(hide_password=False)


@pytest.fixture
def fresh(engine: Engine, tmp_path: Path) -> Iterator[Engine]:
    """A second, empty and unmigrated database of the same kind as `engine`."""
    if engine.dialect.name == "sqlite":
        eng = make_engine(f"sqlite:///{tmp_path / 'fresh.sqlite'}")
        yield eng
        eng.dispose()
        return
    schema = f"test_fresh_{secrets.token_hex(4)}"
    admin = create_engine(PG_URL)
    with admin.begin() as conn:
        conn.execute(text(f"CREATE SCHEMA {schema}"))
    url = make_url(PG_URL).update_query_dict({"options": f"-csearch_path={schema}"})
    eng = make_engine(url.render_as_string(hide_password=False))
    try:
        yield eng
    finally:
        eng.dispose()
        with admin.begin() as conn:
            conn.execute(text(f"DROP SCHEMA {schema} CASCADE"))
        admin.dispose()


def merge_into_newer_theme(engine: Engine, workshop_id: int) -> None:
    """An older theme merged into a newer one: row order alone would insert the reference first."""
    with engine.begin() as conn:
        older, newer = (
            conn.execute(
                select(Theme.id).where(Theme.workshop_id == workshop_id, Theme.status == "active").order_by(Theme.id)
            )
            .scalars()
            .all()[-2:]
        )
        conn.execute(update(Theme).where(Theme.id == older).values(status="merged", merged_into_id=newer))


def figures(engine: Engine, s: demo.DemoSummary) -> tuple:
    with read(engine) as ses:
        round_ids = ses.scalars(select(Round.id).order_by(Round.id)).all()
    results = [json.loads(round_results(engine, SYSTEM, rid).to_json()) for rid in round_ids]
    return results, [roadmap_view(engine, SYSTEM, rid) for rid in s.roadmap_ids]


def test_whole_database_round_trip_is_lossless(engine, fresh, tmp_path):
    s = demo.load(engine)
    merge_into_newer_theme(engine, s.open_workshop_id)
    path = tmp_path / "backup.json"
    stats = backup.backup(engine, path)
    first = json.loads(path.read_text(encoding="utf-8"))
    assert first["format"] == "edp-backup" and first["version"] == 1
    assert first["schema_revision"] == current_revision(engine) == backup.head_revision(engine)
    assert list(first["tables"]) == [t.name for t in Base.metadata.sorted_tables]
    assert stats.rows == sum(len(t["rows"]) for t in first["tables"].values()) > 500

    restored = backup.restore_file(fresh, path)
    assert restored == stats
    second = backup.dump(fresh)
    assert second["tables"] == first["tables"]
    assert table_counts(fresh) == table_counts(engine)
    assert figures(fresh, s) == figures(engine, s)
    # the self references came back
    themes = first["tables"]["themes"]
    assert any(r[themes["columns"].index("merged_into_id")] for r in themes["rows"])
    rounds = first["tables"]["rounds"]
    assert any(r[rounds["columns"].index("origin_round_id")] for r in rounds["rows"])


def test_values_keep_their_types(engine, tmp_path):
    demo.load(engine)
    data = backup.dump(engine)
    kpis = data["tables"]["kpi_measurements"]
    row = dict(zip(kpis["columns"], kpis["rows"][0], strict=True))
    assert isinstance(row["value"], float) and isinstance(row["date"], str) and row["created_at"].endswith("+00:00")
    ws = data["tables"]["workshops"]
    assert all(isinstance(r[ws["columns"].index("is_open")], bool) for r in ws["rows"])
    audit = data["tables"]["audit_events"]
    assert all(isinstance(r[audit["columns"].index("detail")], dict) for r in audit["rows"])


@pytest.mark.postgres
def test_sqlite_backup_restores_into_postgresql(sqlite_template, pg_url, tmp_path):
    require_service(pg_url is not None, f"PostgreSQL at {PG_URL}")
    import shutil

    shutil.copy(sqlite_template, tmp_path / "src.sqlite")
    src = make_engine(f"sqlite:///{tmp_path / 'src.sqlite'}")
    dst = make_engine(pg_url)
    try:
        _truncate_all(dst)
        s = demo.load(src)
        merge_into_newer_theme(src, s.open_workshop_id)
        path = tmp_path / "backup.json"
        backup.backup(src, path)
        backup.restore_file(dst, path)
        assert backup.dump(dst)["tables"] == backup.dump(src)["tables"]
        assert figures(dst, s) == figures(src, s)
        # the id sequences moved past the restored rows
        actor = add_actor(dst, SYSTEM, s.process_id, "Ny aktör efter återställning AB", "business")
        assert actor.id == max(r[0] for r in json.loads(path.read_text())["tables"]["actors"]["rows"]) + 1
    finally:
        src.dispose()
        dst.dispose()


def test_replace_wipes_the_target_first(engine, tmp_path):
    demo.load(engine)
    path = tmp_path / "b.json"
    backup.backup(engine, path)
    before = table_counts(engine)
    add_actor(engine, SYSTEM, 1, "Extra aktör AB", "business")
    backup.restore_file(engine, path, replace=True)
    assert table_counts(engine) == before
    assert backup.dump(engine)["tables"] == json.loads(path.read_text())["tables"]


def _refused(engine: Engine, path: Path, *, replace: bool = True) -> str:
    before = table_counts(engine)
    with pytest.raises(EdpError) as info:
        backup.restore_file(engine, path, replace=replace)
    assert table_counts(engine) == before
    return info.value.message("en")


@pytest.fixture
def loaded(engine, tmp_path) -> tuple[Engine, dict]:
    demo.load(engine)
    return engine, backup.dump(engine)


def write_json(tmp_path: Path, data) -> Path:  # noqa: ANN001
    path = tmp_path / "file.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


def test_refuses_a_file_that_is_not_json(loaded, tmp_path):
    engine, _ = loaded
    path = tmp_path / "notes.txt"
    path.write_text("this is no backup", encoding="utf-8")
    assert "is not a JSON file" in _refused(engine, path)


@pytest.mark.parametrize("doc", [[1, 2], {"format": "something-else", "version": 1}, {"tables": {}}])
def test_refuses_json_that_is_not_a_backup(loaded, tmp_path, doc):
    engine, _ = loaded
    assert "not an EDP backup" in _refused(engine, write_json(tmp_path, doc))


def test_refuses_another_format_version(loaded, tmp_path):
    engine, data = loaded
    msg = _refused(engine, write_json(tmp_path, {**data, "version": 2}))
    assert "version 2" in msg and "reads version 1" in msg


def test_refuses_another_schema_revision_and_names_both(loaded, tmp_path):
    engine, data = loaded
    msg = _refused(engine, write_json(tmp_path, {**data, "schema_revision": "0002"}))
    assert "0002" in msg and backup.head_revision(engine) in msg


def test_refuses_a_target_with_data_without_replace(loaded, tmp_path):
    engine, data = loaded
    msg = _refused(engine, write_json(tmp_path, data), replace=False)
    assert "already has data" in msg and "--replace" in msg


def test_a_failing_restore_leaves_the_target_as_it_was(loaded, tmp_path):
    engine, data = loaded
    themes = data["tables"]["themes"]
    bad = dict(zip(themes["columns"], themes["rows"][0], strict=True)) | {"id": 9999, "workshop_id": 424242}
    themes["rows"].append([bad[c] for c in themes["columns"]])  # a dangling reference, found by the database
    before = table_counts(engine)
    with pytest.raises(Exception):  # noqa: B017, PT011 - the database's IntegrityError
        backup.restore_file(engine, write_json(tmp_path, data), replace=True)
    assert table_counts(engine) == before


def test_refuses_a_damaged_backup(loaded, tmp_path):
    engine, data = loaded
    data["tables"]["actors"]["columns"] = data["tables"]["actors"]["columns"][:-1]
    assert "damaged" in _refused(engine, write_json(tmp_path, data))


def test_cli_backup_and_restore(engine, fresh, tmp_path, capsys):
    demo.load(engine)
    path = tmp_path / "cli.json"
    assert main(["--database", url_of(engine), "backup", "--out", str(path)]) == 0
    out = capsys.readouterr().out.strip()
    assert out.startswith("backed up ") and out.endswith(f"tables to {path}") and "\n" not in out

    assert main(["--database", url_of(fresh), "restore", str(path)]) == 0
    assert capsys.readouterr().out.strip().startswith("restored ")

    assert main(["--database", url_of(fresh), "--lang", "en", "restore", str(path)]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("error: ") and "--replace" in err and "\n" not in err

    assert main(["--database", url_of(fresh), "restore", str(path), "--replace"]) == 0
    assert table_counts(fresh) == table_counts(engine)
