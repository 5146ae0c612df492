"""A backup is checked against a schema derived from the models before a restore writes anything,
and, with EDP_BACKUP_KEY, against its signature. No refusal quotes a value of the file."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest
from sqlalchemy import Engine, select

from edp import backup, backup_schema, demo
from edp.db import read
from edp.errors import EdpError, ValidationError
from edp.models import Base, Participant
from edp.security import hash_passcode
from tests.conftest import table_counts

KEY = "k" * 48


@pytest.fixture
def loaded(engine) -> tuple[Engine, dict]:
    demo.load(engine)
    return engine, backup.dump(engine)


def write_json(tmp_path: Path, data) -> Path:  # noqa: ANN001
    path = tmp_path / "tampered.json"
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    return path


def cell(data: dict, table: str, row: int, column: str):  # noqa: ANN201
    body = data["tables"][table]
    return body["rows"][row][body["columns"].index(column)]


def tamper(data: dict, table: str, row: int, column: str, value) -> dict:  # noqa: ANN001
    out = copy.deepcopy(data)
    body = out["tables"][table]
    body["rows"][row][body["columns"].index(column)] = value
    return out


def refused(engine: Engine, tmp_path: Path, data: dict, **kw) -> EdpError:
    """The restore is refused with a typed error, and the target is exactly as it was."""
    before = table_counts(engine)
    with pytest.raises(EdpError) as info:
        backup.restore_file(engine, write_json(tmp_path, data), replace=True, **kw)
    assert table_counts(engine) == before
    return info.value


def problems(err: EdpError) -> list[tuple[str, int, str, str | None]]:
    assert isinstance(err, backup_schema.BackupErrors), err
    return [(table, row, e.key, e.field) for table, row, e in err.rows]


def secrets_of(engine: Engine) -> list[str]:
    with read(engine) as s:
        return [v for row in s.execute(select(Participant.display_name, Participant.token_hash)) for v in row]


def assert_quotes_nothing(err: EdpError, *values: str) -> None:
    texts = [err.message("sv"), err.message("en")]
    texts += [e.message(lang) for _, _, e in getattr(err, "rows", ()) for lang in ("sv", "en")]
    for v in values:
        assert not any(v in t for t in texts), f"a message quotes {v[:20]!r}"


# ---------------------------------------------------------------- the schema follows the models


def test_every_column_of_the_models_has_a_rule():
    for table in Base.metadata.sorted_tables:
        assert set(backup_schema.column_rules(table)) == set(table.columns.keys())


def test_every_column_that_looks_secret_has_a_format_rule():
    looking = {
        c.name for t in Base.metadata.sorted_tables for c in t.columns if backup_schema.SECRET_LOOKING.search(c.name)
    }
    assert looking and looking <= set(backup_schema.SECRET_FORMATS)


def test_a_column_type_without_a_rule_is_noticed():
    from sqlalchemy import Column, LargeBinary, MetaData, Table

    t = Table("t", MetaData(), Column("id", LargeBinary, primary_key=True))
    with pytest.raises(TypeError, match="t.id"):
        backup_schema.column_rules(t)


def test_what_the_app_writes_follows_the_schema(loaded):
    _, data = loaded
    backup.validate(data)  # the demo: every table, every secret column


# ---------------------------------------------------------------- the red team's tampered backups


def test_a_100000_character_title_with_nul_and_esc_is_refused_naming_table_row_and_limit(loaded, tmp_path):
    engine, data = loaded
    title = "A" * 50_000 + "\x00\x1b[31m" + "B" * 49_994
    err = refused(engine, tmp_path, tamper(data, "processes", 0, "title", title))
    assert problems(err) == [("processes", 1, "input.too_long", "title")]
    assert err.rows[0][2].message("en") == "Title may be at most 200 characters but is 100000: 99800 too many."
    nul = refused(engine, tmp_path, tamper(data, "themes", 2, "description", "Kulturarv\x00\x1b[2J"))
    assert problems(nul) == [("themes", 3, "input.control_characters", "description")]


def test_a_one_character_token_hash_or_projector_key_is_refused(loaded, tmp_path):
    engine, data = loaded
    err = refused(engine, tmp_path, tamper(data, "participants", 4, "token_hash", "x"))
    assert problems(err) == [("participants", 5, "backup.not_sha256", "token_hash")]
    assert "64" in err.rows[0][2].message("sv")
    err = refused(engine, tmp_path, tamper(data, "workshops", 0, "projector_key", "x"))
    assert problems(err) == [("workshops", 1, "backup.not_key", "projector_key")]
    assert "22" in err.rows[0][2].message("sv")


def test_text_in_an_integer_column_is_refused(loaded, tmp_path):
    engine, data = loaded
    err = refused(engine, tmp_path, tamper(data, "ballot_entries", 0, "value", "tre"))
    assert problems(err) == [("ballot_entries", 1, "input.not_integer", "value")]
    for bad in (True, 2.5, 2**31):
        assert problems(refused(engine, tmp_path, tamper(data, "ballot_entries", 0, "value", bad)))[0][2] in (
            "input.not_integer",
            "backup.integer_range",
        )


def test_a_swapped_passcode_hash_is_well_formed_so_only_a_signature_catches_it(loaded, tmp_path, monkeypatch):
    engine, data = loaded
    swapped = tamper(data, "workshops", 0, "passcode_hash", hash_passcode("the attacker's passcode"))
    backup.validate(swapped)  # what a schema cannot see: a hash of the right form
    monkeypatch.setenv(backup.KEY_ENV, KEY)
    signed = backup.sign(data, KEY.encode())
    swapped_signed = {
        **tamper(signed, "workshops", 0, "passcode_hash", hash_passcode("x")),
        "signature": signed["signature"],
    }
    err = refused(engine, tmp_path, swapped_signed)
    assert err.key == "backup.signature_invalid"
    # Stripping the signature does not help while the key is set.
    assert refused(engine, tmp_path, {k: v for k, v in swapped.items() if k != "signature"}).key == "backup.unsigned"


@pytest.mark.parametrize(
    ("table", "column", "value", "key"),
    [
        (
            "workshops",
            "passcode_hash",
            "scrypt$1048576$8$1$AAAAAAAAAAAAAAAAAAAAAA==$" + "A" * 43 + "=",
            "backup.not_scrypt",
        ),
        ("workshops", "passcode_hash", "plain-text-passcode", "backup.not_scrypt"),
        ("facilitator_sessions", "token_hash", "ABC", "backup.not_sha256"),
        ("participants", "display_name", None, "backup.null"),
        ("workshops", "is_open", "yes", "backup.not_boolean"),
        ("workshops", "date", "6 december", "input.not_date"),
        ("participants", "joined_at", "2026-12-06T10:00:00", "backup.not_datetime"),
        ("kpi_measurements", "value", "NaN", "input.not_number"),
        ("kpi_measurements", "value", 10**400, "input.not_number"),
        ("themes", "title", 42, "input.not_text"),
    ],
)
def test_a_value_of_the_wrong_form_is_refused(loaded, tmp_path, table, column, value, key):
    engine, data = loaded
    if not data["tables"][table]["rows"]:
        pytest.skip(f"the demo has no {table}")
    err = refused(engine, tmp_path, tamper(data, table, 0, column, value))
    assert problems(err) == [(table, 1, key, column)]


def test_a_duplicate_token_is_refused_before_writing_and_names_no_one(loaded, tmp_path):
    engine, data = loaded
    token = cell(data, "participants", 0, "token_hash")
    err = refused(engine, tmp_path, tamper(data, "participants", 1, "token_hash", token))
    assert problems(err) == [("participants", 2, "backup.duplicate", "token_hash")]
    assert_quotes_nothing(err, *secrets_of(engine))


def test_a_reference_to_a_row_not_in_the_backup_is_refused(loaded, tmp_path):
    engine, data = loaded
    err = refused(engine, tmp_path, tamper(data, "themes", 0, "workshop_id", 424242))
    assert problems(err) == [("themes", 1, "backup.missing_reference", "workshop_id")]
    assert "workshops" in err.rows[0][2].message("en")


def test_check_constraints_and_partial_indexes_are_judged_by_a_dry_run(loaded, tmp_path):
    engine, data = loaded
    err = refused(engine, tmp_path, tamper(data, "rounds", 0, "phase", "hacked"))
    assert problems(err) == [("rounds", 1, "backup.constraint", None)]
    assert "ck_rounds_phase" in err.rows[0][2].message("en")
    # Two open workshops with one join code: the partial unique index of the models.
    both_open = tamper(data, "workshops", 0, "is_open", True)
    both_open = tamper(both_open, "workshops", 0, "join_code", cell(data, "workshops", 1, "join_code"))
    err = refused(engine, tmp_path, both_open)
    assert [p[0] for p in problems(err)] == ["workshops"] and "UNIQUE" in err.rows[0][2].message("en")


def test_many_problems_are_counted_and_the_first_ones_listed(loaded, tmp_path):
    engine, data = loaded
    bad = copy.deepcopy(data)
    body = bad["tables"]["ballot_entries"]
    for row in body["rows"]:
        row[body["columns"].index("value")] = "x"
    err = refused(engine, tmp_path, bad)
    assert err.params["count"] == len(body["rows"]) > backup_schema.MAX_PROBLEMS == len(err.rows)
    assert str(len(body["rows"])) in err.message("sv")


def test_json_that_is_not_strict_json_is_refused(loaded, tmp_path):
    engine, _ = loaded
    path = tmp_path / "nan.json"
    path.write_text('{"format": "edp-backup", "x": NaN}', encoding="utf-8")
    before = table_counts(engine)
    with pytest.raises(ValidationError) as info:
        backup.restore_file(engine, path, replace=True)
    assert info.value.key == "backup.not_json" and table_counts(engine) == before


def test_a_backup_over_the_size_cap_is_refused_before_it_is_parsed(loaded, tmp_path):
    engine, data = loaded
    path = write_json(tmp_path, data)
    before = table_counts(engine)
    with pytest.raises(ValidationError) as info:
        backup.restore_file(engine, path, replace=True, max_bytes=path.stat().st_size - 1)
    assert info.value.key == "file.too_big" and table_counts(engine) == before


# ---------------------------------------------------------------- signing with EDP_BACKUP_KEY


def test_a_signed_backup_restores_with_its_key(engine, tmp_path, monkeypatch):
    demo.load(engine)
    monkeypatch.setenv(backup.KEY_ENV, KEY)
    path = tmp_path / "signed.json"
    stats = backup.backup(engine, path)
    doc = json.loads(path.read_text(encoding="utf-8"))
    assert stats.signed and doc["signature"]["algorithm"] == "HMAC-SHA256" and len(doc["signature"]["value"]) == 64
    before = table_counts(engine)
    backup.restore_file(engine, path, replace=True)
    assert table_counts(engine) == before


def test_a_signed_backup_is_refused_with_another_key_or_without_one(engine, tmp_path, monkeypatch):
    demo.load(engine)
    monkeypatch.setenv(backup.KEY_ENV, KEY)
    path = tmp_path / "signed.json"
    backup.backup(engine, path)
    data = json.loads(path.read_text(encoding="utf-8"))
    monkeypatch.setenv(backup.KEY_ENV, "o" * 48)
    assert refused(engine, tmp_path, data).key == "backup.signature_invalid"
    monkeypatch.delenv(backup.KEY_ENV)
    assert refused(engine, tmp_path, data).key == "backup.key_missing"


def test_an_unsigned_backup_needs_allow_unsigned_while_a_key_is_set_and_is_still_checked(loaded, tmp_path, monkeypatch):
    engine, data = loaded
    monkeypatch.setenv(backup.KEY_ENV, KEY)
    assert refused(engine, tmp_path, data).key == "backup.unsigned"
    bad = tamper(data, "participants", 0, "token_hash", "x")
    assert problems(refused(engine, tmp_path, bad, allow_unsigned=True))[0][2] == "backup.not_sha256"
    before = table_counts(engine)
    backup.restore_file(engine, write_json(tmp_path, data), replace=True, allow_unsigned=True)
    assert table_counts(engine) == before


def test_a_short_key_is_refused(engine, tmp_path, monkeypatch):
    monkeypatch.setenv(backup.KEY_ENV, "short")
    with pytest.raises(ValidationError) as info:
        backup.backup(engine, tmp_path / "b.json")
    assert info.value.key == "backup.key_too_short" and info.value.params["min"] == backup.KEY_MIN_CHARS
    assert not (tmp_path / "b.json").exists()
