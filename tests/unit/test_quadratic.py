"""Quadratic voting, the method added through the registry alone (edp/voting/quadratic.py,
edp/ui/methods/quadratic.py, quadratic.po, its section in docs/tally.md): its round settings, its
tally worked out by hand, and its ballot on the participant's page."""

from __future__ import annotations

import pandas as pd
import pytest
from sqlalchemy import func, select

from edp import workshop as ops
from edp.access import SYSTEM
from edp.db import read
from edp.errors import ValidationError
from edp.models import Round
from edp.voting.ballots import submit_ballot
from edp.voting.quadratic import most_votes
from edp.voting.tally import ENTRY_COLUMNS, RoundInput, round_results, tally
from tests.factory import make_setup

QV = ops.RoundSpec(method="quadratic", settings={"credits": 16})


def rounds(engine) -> int:
    with read(engine) as s:
        return s.scalar(select(func.count(Round.id)))


@pytest.mark.parametrize(
    ("settings", "key", "params"),
    [
        ({}, "input.required", {}),
        ({"credits": 0}, "input.out_of_range", {"min": 1, "max": 10_000}),
        ({"credits": 10_001}, "input.out_of_range", {"min": 1, "max": 10_000}),
        ({"credits": "100"}, "input.not_integer", {}),
    ],
)
def test_bad_credits_are_refused_naming_the_field_and_no_round_is_made(engine, settings, key, params):
    s = make_setup(engine)
    before = rounds(engine)
    with pytest.raises(ValidationError) as refused:
        ops.add_round(engine, s.fac, ops.RoundSpec(method="quadratic", settings=settings))
    assert refused.value.key == key and refused.value.field == "credits"
    assert params.items() <= refused.value.params.items()
    assert "Krediter per deltagare" in refused.value.message("sv")
    assert rounds(engine) == before


def test_the_credits_are_stored_with_the_round(engine):
    s = make_setup(engine, QV)
    with read(engine) as session:
        assert session.get(Round, s.round_id).settings == {"credits": 16}


def test_most_votes_on_one_theme_is_the_whole_square_root_of_the_credits():
    assert [most_votes(c) for c in (1, 3, 4, 15, 16, 17, 100, 0)] == [1, 1, 2, 3, 4, 4, 10, 0]


def run(rows, themes=((1, "active", None), (2, "active", None)), credits=16) -> dict[int, dict]:
    frame = pd.DataFrame([(t, f"T{t}", st, into) for t, st, into in themes], columns=["theme_id", "title", "status", "merged_into_id"])  # fmt: skip
    inp = RoundInput(
        round_id=1,
        method="quadratic",
        themes=frame,
        entries=pd.DataFrame(rows, columns=ENTRY_COLUMNS),
        participants={"business": 3},
        settings={"credits": credits},
    )
    return {r["theme_id"]: r for r in tally(inp).themes}


def test_totals_are_the_votes_and_shares_their_part_of_all_votes():
    # b1: 3 votes on T1 and 2 on T2 (9 + 4 = 13 credits); b2: 4 on T2 (16); b3: 1 on T1.
    rows = [("b1", "business", 1, None, 3), ("b1", "business", 2, None, 2), ("b2", "business", 2, None, 4)]
    result = run([*rows, ("b3", "business", 1, None, 1)])
    assert (result[2]["rank"], result[2]["total"], result[2]["voters"]) == (1, 6, 2)
    assert (result[1]["rank"], result[1]["total"], result[1]["voters"]) == (2, 4, 2)
    assert result[2]["share"] == pytest.approx(0.6) and result[1]["share"] == pytest.approx(0.4)


def test_votes_on_merged_themes_are_summed_then_capped_at_what_one_theme_can_take():
    # T2 merged into T1: b1's 3 + 2 votes become 5 on T1, capped at 4 (16 credits).
    themes = ((1, "active", None), (2, "merged", 1))
    result = run([("b1", "business", 1, None, 3), ("b1", "business", 2, None, 2)], themes=themes)
    assert list(result) == [1] and result[1]["total"] == 4 and result[1]["merged_from"] == [2]


def test_a_quadratic_round_is_voted_and_counted_end_to_end(engine):
    s = make_setup(engine, QV, participants={"business": 2}, themes=2, phase="voting")
    t1, t2 = s.themes
    submit_ballot(engine, s.tokens[0], s.round_id, {t1: 3, t2: 2})
    submit_ballot(engine, s.tokens[1], s.round_id, {t2: 4})
    ops.close_round(engine, s.fac, s.round_id)
    result = round_results(engine, SYSTEM, s.round_id)
    assert [(r["theme_id"], r["total"]) for r in result.themes] == [(t2, 6), (t1, 3)]


def test_the_top_themes_go_on_to_a_quadratic_round(engine):
    s = make_setup(engine, participants={"business": 2}, themes=3, phase="voting")
    t1, t2, t3 = s.themes
    submit_ballot(engine, s.tokens[0], s.round_id, {t1: 3, t2: 2})
    ops.close_round(engine, s.fac, s.round_id)
    new = ops.advance(engine, s.fac, s.round_id, 2, QV)
    assert new.method == "quadratic" and new.settings == {"credits": 16}
