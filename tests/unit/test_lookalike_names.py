"""Look-alike actor names are duplicates (NFKC, case folding and UTS #39 confusable skeletons,
edp/names.py), wherever an actor name is checked: adding, renaming, the actor import, the
registration import and joining with a new organisation. The refusal names the existing actor
and the character that differs; nothing is written."""

from __future__ import annotations

import pytest

from edp import workshop as ops
from edp.access import SYSTEM
from edp.errors import Conflict, RowErrors
from edp.imports import import_actors, list_actors
from edp.names import NameIndex, first_difference, lookalike_keys, same_name_key
from edp.workshop.registrations import import_registrations
from tests.conftest import table_counts
from tests.factory import make_setup
from tests.unit.test_workshop_ops import refused

REAL = "Hushållningssällskapet"
CYRILLIC_A = REAL.replace("a", "\u0430", 1)  # "Hushållningssällskаpet": the first "a" is Cyrillic
assert CYRILLIC_A != REAL

LOOKALIKES = [
    pytest.param(CYRILLIC_A, 19, "U+0430 CYRILLIC SMALL LETTER A", id="cyrillic-a"),
    pytest.param("Ηushållningssällskapet", 1, "U+0397 GREEK CAPITAL LETTER ETA", id="greek-eta"),
    pytest.param("HushålIningssällskapet", 7, "U+0049 LATIN CAPITAL LETTER I", id="capital-i-for-l"),
]


# ---------------------------------------------------------------- the keys


@pytest.mark.parametrize(
    ("a", "b"),
    [
        (REAL, "HUSHÅLLNINGSSÄLLSKAPET"),  # case, in any script
        ("Torsta AB", "Ｔｏｒｓｔａ ＡＢ"),  # fullwidth forms (NFKC)
        ("Torsta AB", "Torsta  AB"),  # runs of spaces
        ("Straße AB", "STRASSE AB"),  # full case folding
        ("Café Åre", "Cafe\u0301 A\u030are"),  # composed or not
    ],
)
def test_spellings_of_one_name_are_the_same_name(a, b):
    assert same_name_key(a) == same_name_key(b)
    assert lookalike_keys(a) & lookalike_keys(b)


@pytest.mark.parametrize(("name", "position", "char"), LOOKALIKES)
def test_confusable_spellings_look_alike_but_are_not_the_same_name(name, position, char):
    assert same_name_key(name) != same_name_key(REAL)
    assert lookalike_keys(name) & lookalike_keys(REAL)
    assert first_difference(name, REAL) == (position, char)


@pytest.mark.parametrize(("a", "b"), [("Rise", "Rlse"), ("Torsta AB", "Torsta A8"), ("Jamtli", "Jamtlis")])
def test_names_that_can_be_told_apart_do_not_look_alike(a, b):
    assert not lookalike_keys(a) & lookalike_keys(b)
    assert NameIndex([(a, 1)]).lookalike(b) is None


# ---------------------------------------------------------------- adding and renaming


def process_with(engine, name: str = REAL):  # noqa: ANN001, ANN201
    s = make_setup(engine)
    actor = ops.add_actor(engine, SYSTEM, s.process_id, name, "civil")
    return s, actor


@pytest.mark.parametrize(("name", "position", "char"), LOOKALIKES)
def test_adding_a_lookalike_actor_is_refused_naming_the_existing_one(engine, name, position, char):
    s, _ = process_with(engine)
    err = refused(
        engine, Conflict, "actor.lookalike", ops.add_actor, SYSTEM, s.process_id, name, "business", field="actor_name"
    )
    assert err.params == {"field": "actor_name", "name": name, "existing": REAL, "position": position, "char": char}
    for lang in ("sv", "en"):
        message = err.message(lang)
        assert REAL in message and char in message and str(position) in message


def test_adding_another_spelling_of_an_existing_name_is_refused_naming_the_existing_one(engine):
    s, _ = process_with(engine)
    err = refused(
        engine, Conflict, "actor.duplicate", ops.add_actor, SYSTEM, s.process_id, "HUSHÅLLNINGSSÄLLSKAPET", "civil"
    )
    assert err.params["name"] == REAL
    assert REAL in err.message("sv") and REAL in err.message("en")


def test_renaming_an_actor_into_a_lookalike_of_another_is_refused(engine):
    s, _ = process_with(engine)
    other = s.actors["business"]
    err = refused(
        engine, Conflict, "actor.lookalike", ops.update_actor, SYSTEM, other, name=CYRILLIC_A, helix="business"
    )
    assert err.params["existing"] == REAL


def test_an_actor_may_be_renamed_to_another_spelling_of_its_own_name(engine):
    s, actor = process_with(engine)
    ops.update_actor(engine, SYSTEM, actor.id, name="HUSHÅLLNINGSSÄLLSKAPET", helix="civil")
    assert "HUSHÅLLNINGSSÄLLSKAPET" in {a["name"] for a in list_actors(engine, SYSTEM, s.process_id)}


# ---------------------------------------------------------------- imports


def test_an_actor_csv_with_a_lookalike_of_an_existing_actor_imports_nothing(engine):
    s, _ = process_with(engine)
    before = table_counts(engine)
    with pytest.raises(RowErrors) as info:
        import_actors(engine, SYSTEM, s.process_id, f"name,helix\nTorsta AB,business\n{CYRILLIC_A},civil\n")
    [(line, err)] = info.value.rows
    assert (line, err.key, err.params["existing"]) == (3, "actor.lookalike", REAL)
    assert table_counts(engine) == before


def test_an_actor_csv_with_two_rows_that_look_alike_names_the_first(engine):
    s = make_setup(engine)
    before = table_counts(engine)
    with pytest.raises(RowErrors) as info:
        import_actors(
            engine, SYSTEM, s.process_id, f"name,helix\n{REAL},civil\nTorsta AB,business\n{CYRILLIC_A},civil\n"
        )
    [(line, err)] = info.value.rows
    assert (line, err.key, err.params["other"], err.params["first"]) == (4, "import.lookalike_in_file", REAL, 2)
    assert REAL in err.message("sv") and "2" in err.message("en")
    assert table_counts(engine) == before


def test_a_registration_list_joins_another_spelling_to_the_existing_actor(engine):
    s, actor = process_with(engine)
    (p,) = import_registrations(engine, s.fac, "name,organisation,helix\nEva,HUSHÅLLNINGSSÄLLSKAPET,business\n")
    assert p.actor_id == actor.id and p.helix == "civil"


def test_a_registration_list_with_a_lookalike_organisation_registers_nobody(engine):
    s, _ = process_with(engine)
    before = table_counts(engine)
    with pytest.raises(RowErrors) as info:
        import_registrations(engine, s.fac, f"name,organisation,helix\nEva,Jamtli,civil\nOla,{CYRILLIC_A},civil\n")
    [(line, err)] = info.value.rows
    assert (line, err.key, err.params["existing"]) == (3, "actor.lookalike", REAL)
    assert table_counts(engine) == before


def test_a_registration_list_with_two_lookalike_new_organisations_registers_nobody(engine):
    s = make_setup(engine)
    before = table_counts(engine)
    with pytest.raises(RowErrors) as info:
        import_registrations(engine, s.fac, f"name,organisation,helix\nEva,{REAL},civil\nOla,{CYRILLIC_A},civil\n")
    [(line, err)] = info.value.rows
    assert (line, err.key, err.params["other"]) == (3, "import.lookalike_in_file", REAL)
    assert table_counts(engine) == before


# ---------------------------------------------------------------- joining with a new organisation


def test_joining_with_a_lookalike_new_organisation_is_refused_naming_the_listed_one(engine):
    s, _ = process_with(engine)
    err = refused(
        engine, Conflict, "actor.lookalike", ops.join, s.join_code, "Eva", actor_name=CYRILLIC_A, helix="civil"
    )
    assert err.params["existing"] == REAL


def test_joining_with_another_spelling_of_a_listed_organisation_joins_as_that_actor(engine):
    s, actor = process_with(engine)
    p = ops.join(engine, s.join_code, "Eva", actor_name="hushållningssällskapet", helix="business")
    assert p.actor_id == actor.id and p.helix == "civil"
