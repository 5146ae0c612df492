"""The voting-method registry (edp.voting): every registered method is documented, translated and
allowed by the database, and the engine counts a method it has never heard of through the
registry alone (no if/elif over method names left in the tally or the ballot check)."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from edp import i18n, voting
from edp.access import SYSTEM
from edp.errors import ValidationError
from edp.io.exports import tally_columns
from edp.voting.ballots import RoundRules, normalise
from edp.voting.base import REGISTRY, Counted, Values, VotingMethod
from edp.voting.tally import ENTRY_COLUMNS, RoundInput, tally

DOCS = Path(__file__).resolve().parents[2] / "docs" / "tally.md"


def documented_methods(text: str) -> set[str]:
    """The methods docs/tally.md has a section for: a heading of the form '### Name (`name`)'."""
    return set(re.findall(r"^### .+\(`([a-z_]+)`\)\s*$", text, flags=re.MULTILINE))


def test_every_registered_method_has_its_section_in_docs_tally():
    assert set(voting.NAMES) - documented_methods(DOCS.read_text(encoding="utf-8")) == set()


def test_the_docs_check_sees_a_method_without_a_section():
    text = DOCS.read_text(encoding="utf-8").replace("### Approval (`approval`)", "### Approval")
    assert "approval" not in documented_methods(text)
    assert {"dots", "score", "rank"} <= documented_methods(text)


def test_the_database_names_no_method_so_a_new_one_needs_no_migration():
    from edp.models import Round

    assert not [c for c in Round.__table__.constraints if "method" in str(getattr(c, "sqltext", ""))]


def test_the_facilitator_sees_the_four_classic_methods_first_in_their_usual_order():
    assert voting.NAMES[:4] == ("dots", "score", "rank", "approval")
    assert voting.names() == voting.NAMES


@pytest.mark.parametrize("name", voting.NAMES)
@pytest.mark.parametrize("lang", ["sv", "en"])
def test_every_method_has_its_words_in_both_languages(name, lang):
    keys = [
        f"method.{name}",
        f"ui.res.chart.value.{name}",
        f"ui.res.chart.by_helix.{name}",
        f"ui.participant.result_unit.{name}",
        f"ui.participant.result_unit.{name}.one",
    ]
    missing = [k for k in keys if i18n.t(k, lang) == k]
    assert missing == []


def test_a_method_registered_twice_is_refused():
    with pytest.raises(ValueError, match="registered twice"):

        class Again(VotingMethod):
            name = "dots"
            position = 99


# ---------------------------------------------------------------- a method the engine never heard of


@pytest.fixture
def veto():
    """A toy method defined here, not in the engine: a voter vetoes themes; a theme's total is
    minus its vetoes. Registered for the test only."""

    class Veto(VotingMethod):
        name = "veto"
        position = 99
        result_columns = ("vetoed_by",)

        def normalise(self, rules, check_theme, choices):
            rows = []
            for tid in choices:
                check_theme(tid)
                rows.append((tid, None, 1))
            if len(rows) > 1:
                raise ValidationError("ballot.rank_too_many", field="veto", max=1, value=len(rows))
            return rows

        def values(self, inp, counted: Counted) -> Values:
            v = np.zeros(counted.shape)
            v[counted.ballot, counted.column] = -1.0
            return Values(v=v, x=-v, scored=np.ones(counted.shape, dtype=bool))

        def theme_figures(self, i, values, *, total, balanced, context):
            return {"balanced": balanced, "vetoed_by": int(-values.v[:, i].sum())}

    yield REGISTRY["veto"]
    del REGISTRY["veto"]


def test_a_method_outside_the_engine_is_checked_and_counted_through_the_registry(veto):
    rules = RoundRules("veto", None, None, None, ())
    assert normalise(rules, {1, 2}, [2]) == [(2, None, 1)]
    with pytest.raises(ValidationError) as refused:
        normalise(rules, {1, 2}, [1, 2])
    assert refused.value.field == "veto"
    with pytest.raises(ValidationError) as empty:
        normalise(rules, {1, 2}, [])
    assert empty.value.key == "ballot.empty"

    themes = pd.DataFrame(
        [(1, "T1", "active", None), (2, "T2", "active", None)],
        columns=["theme_id", "title", "status", "merged_into_id"],
    )
    entries = pd.DataFrame(
        [(b, "business", 2, None, 1) for b in ("a", "b")] + [("c", "business", 1, None, 1)], columns=ENTRY_COLUMNS
    )
    result = tally(RoundInput(round_id=1, method="veto", themes=themes, entries=entries, participants={"business": 3}))
    rows = {r["theme_id"]: r for r in result.themes}
    assert [r["theme_id"] for r in result.themes] == [1, 2]  # one veto beats two
    assert rows[1]["total"] == -1 and rows[2]["total"] == -2
    assert rows[1]["vetoed_by"] == 1 and rows[2]["vetoed_by"] == 2
    assert tally_columns(result)[7] == "vetoed_by"  # the method's own column, after the common ones


def test_every_registered_method_has_its_form_and_every_form_a_method():
    from edp.ui.methods import FORMS

    assert set(FORMS) == set(voting.NAMES)


def test_a_round_of_a_method_registered_later_is_made_voted_and_counted_on_both_databases(veto, engine):
    from edp import workshop as ops
    from edp.voting.ballots import submit_ballot
    from edp.voting.tally import round_results
    from tests.factory import make_setup

    s = make_setup(engine, ops.RoundSpec(method="veto"), participants={"business": 3}, themes=2, phase="voting")
    first, second = s.themes[:2]
    submit_ballot(engine, s.tokens[0], s.round_id, [second])
    submit_ballot(engine, s.tokens[1], s.round_id, [second])
    submit_ballot(engine, s.tokens[2], s.round_id, [first])
    with pytest.raises(ValidationError) as refused:
        submit_ballot(engine, s.tokens[0], s.round_id, [first, second])
    assert refused.value.field == "veto"
    ops.set_phase(engine, s.fac, s.round_id, "closed")
    result = round_results(engine, SYSTEM, s.round_id)
    assert [(r["theme_id"], r["total"], r["vetoed_by"]) for r in result.themes] == [(first, -1, 1), (second, -2, 2)]


def test_an_unknown_method_is_refused_naming_the_field_and_nothing_is_written(engine):
    from sqlalchemy import func, select

    from edp import workshop as ops
    from edp.db import read
    from edp.models import Round
    from tests.factory import make_setup

    s = make_setup(engine)
    with read(engine) as session:
        before = session.scalar(select(func.count(Round.id)))
    with pytest.raises(ValidationError) as refused:
        ops.add_round(engine, s.fac, ops.RoundSpec(method="veto"))
    assert refused.value.field == "method" and "dots, score, rank, approval" in refused.value.message("en")
    with read(engine) as session:
        assert session.scalar(select(func.count(Round.id))) == before
