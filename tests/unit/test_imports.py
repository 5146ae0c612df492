"""CSV import of actors: file formats accepted, errors reported row by row, and all-or-nothing writes."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from edp import imports
from edp import workshop as ops
from edp.access import SYSTEM
from edp.db import read
from edp.errors import PermissionDenied, RowErrors, ValidationError
from edp.models import Actor
from tests.conftest import table_counts
from tests.factory import make_setup


def actors_of(engine, process_id):
    with read(engine) as s:
        return {
            a.name: (a.helix, a.municipality)
            for a in s.scalars(select(Actor).where(Actor.process_id == process_id).order_by(Actor.name))
        }


# ------------------------------------------------------------------ parsing (no database)


def test_comma_file_with_bom_is_read_with_line_numbers():
    rows = imports.parse_actor_csv("\ufeffname,helix,municipality\nTorsta,civil,Östersund\nRISE,academia,\n")
    assert [(r.line, r.name, r.helix, r.municipality) for r in rows] == [
        (2, "Torsta", "civil", "Östersund"),
        (3, "RISE", "academia", ""),
    ]


def test_semicolon_file_with_swedish_headers_and_quoted_delimiters_is_read():
    text = 'Namn;Helixgrupp;Kommun\n"Coompanion; Jämtland";civilsamhälle;Östersund\r\n\r\nMIUN;akademi;Östersund\n'
    rows = imports.parse_actor_csv(text)
    assert [(r.line, r.name, r.helix) for r in rows] == [
        (2, "Coompanion; Jämtland", "civilsamhälle"),
        (4, "MIUN", "akademi"),  # the blank line 3 is skipped but still counted
    ]


def test_municipality_column_is_optional_and_extra_columns_are_ignored():
    rows = imports.parse_actor_csv("helix,notes,name\nbusiness,x,JHT\n")
    assert [(r.name, r.helix, r.municipality) for r in rows] == [("JHT", "business", "")]


@pytest.mark.parametrize(
    ("label", "code"),
    [
        ("näringsliv", "business"),
        ("Akademi", "academia"),
        ("offentlig  sektor", "public"),
        ("CIVILSAMHÄLLE", "civil"),
        ("public", "public"),
        ("industri", None),
    ],
)
def test_helix_labels_are_accepted_in_both_languages(label, code):
    assert imports.helix_code(label) == code


@pytest.mark.parametrize(
    ("text", "key"),
    [
        ("", "import.csv_empty"),
        ("\n  \n", "import.csv_empty"),
        ("name,municipality\nTorsta,Östersund\n", "import.csv_missing_columns"),
        ("name,helix\n", "import.no_rows"),
    ],
)
def test_unusable_file_is_refused_naming_the_file(text, key):
    with pytest.raises(ValidationError) as info:
        imports.parse_actor_csv(text)
    assert info.value.key == key and info.value.field == "csv"


def test_file_over_the_row_limit_is_refused():
    text = "name,helix\n" + "".join(f"A{i},business\n" for i in range(imports.MAX_ROWS + 1))
    with pytest.raises(ValidationError) as info:
        imports.parse_actor_csv(text)
    assert info.value.key == "import.too_many_rows"


def test_windows_1252_upload_is_decoded():
    data = "name;helix\nÅre kommun;offentlig sektor\n".encode("cp1252")
    assert imports.parse_actor_csv(imports.decode_csv(data))[0].name == "Åre kommun"
    assert imports.decode_csv("\ufeffname".encode()) == "name"


def test_every_bad_row_gets_its_own_error():
    rows = imports.parse_actor_csv(
        "name,helix,municipality\n"
        "Torsta,civil,\n"  # 2: fine
        "Gaaltije,industri,\n"  # 3: unknown helix
        ",business,\n"  # 4: no name
        "torsta,business,\n"  # 5: repeats line 2
        "Jamtli,civil,Östersund,extra\n"  # 6: one cell too many
        "Heimbygda,,\n"  # 7: no helix
        "Peak Innovation,business,Åre\n"  # 8: already an actor
    )
    clean, errors = imports.check_rows(rows, existing_names={"peak innovation"})
    assert [a.name for a in clean] == ["Torsta"]
    got = {line: (err.key, err.field) for line, err in errors}
    assert got == {
        3: ("import.helix_unknown", "helix"),
        4: ("input.required", "actor_name"),
        5: ("import.duplicate_in_file", "actor_name"),
        6: ("import.row_extra_cells", None),
        7: ("input.required", "helix"),
        8: ("actor.duplicate", "actor_name"),
    }
    dup = dict(errors)[5]
    assert dup.params["first"] == 2
    assert "2" in dup.message("sv") and "torsta" in dup.message("en")
    assert "industri" in dict(errors)[3].message("sv")


# ------------------------------------------------------------------ importing (both databases)


def test_import_adds_every_actor_in_one_go(engine):
    s = make_setup(engine)
    before = actors_of(engine, s.process_id)
    n = imports.import_actors(
        engine,
        SYSTEM,
        s.process_id,
        "\ufeffnamn;helix;kommun\nTorsta;näringsliv;Östersund\nMittuniversitetet;akademi;Sundsvall\n"
        "Region JH;offentlig sektor;\nHeimbygda;civilsamhälle;Bräcke\n",
    )
    assert n == 4
    after = actors_of(engine, s.process_id)
    assert {k: v for k, v in after.items() if k not in before} == {
        "Torsta": ("business", "Östersund"),
        "Mittuniversitetet": ("academia", "Sundsvall"),
        "Region JH": ("public", None),
        "Heimbygda": ("civil", "Bräcke"),
    }


def test_bad_helix_on_row_3_is_reported_and_nothing_is_imported(engine):
    s = make_setup(engine)
    before = table_counts(engine)
    with pytest.raises(RowErrors) as info:
        imports.import_actors(
            engine, SYSTEM, s.process_id, "name,helix\nTorsta,business\nGaaltije,industri\nRISE,academia\n"
        )
    assert [(line, err.key) for line, err in info.value.rows] == [(3, "import.helix_unknown")]
    assert info.value.key == "import.rows_invalid" and info.value.params["count"] == 1
    assert table_counts(engine) == before


def test_duplicate_of_an_existing_actor_refuses_the_whole_file(engine):
    s = make_setup(engine)  # has "Aktör business"
    before = table_counts(engine)
    with pytest.raises(RowErrors) as info:
        imports.import_actors(engine, SYSTEM, s.process_id, "name,helix\nNy aktör,civil\nAKTÖR  BUSINESS,business\n")
    assert [(line, err.key) for line, err in info.value.rows] == [(3, "actor.duplicate")]
    assert table_counts(engine) == before


def test_import_needs_the_process_leader_and_writes_nothing_for_a_facilitator(engine):
    s = make_setup(engine)
    before = table_counts(engine)
    for who in ("not-a-token", s.fac):  # nobody, and the workshop's passcode console
        with pytest.raises(PermissionDenied):
            imports.import_actors(engine, who, s.process_id, "name,helix\nX,civil\n")
    assert table_counts(engine) == before


def test_imported_actors_belong_to_the_facilitators_process_only(engine):
    s = make_setup(engine)
    other = ops.create_process(engine, SYSTEM, "Annan process")
    imports.import_actors(engine, SYSTEM, s.process_id, "name,helix\nTorsta,business\n")
    assert "Torsta" in actors_of(engine, s.process_id)
    assert actors_of(engine, other.id) == {}
