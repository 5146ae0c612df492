"""Merge preview: what a merge would change, computed without writing, and equal to what the merge then does."""

from __future__ import annotations

import pytest

from edp import workshop as ops
from edp.access import SYSTEM
from edp.ballots import submit_ballot
from edp.errors import Conflict, NotFound, PhaseError
from edp.moderation import merge_preview
from edp.tally import round_results
from tests.conftest import table_counts
from tests.factory import make_setup


def total_of(engine, round_id, theme_id):
    return next(r["total"] for r in round_results(engine, SYSTEM, round_id).themes if r["theme_id"] == theme_id)


def closed_dots_round(engine):
    """Three voters, dots (5 each, at most 3 per theme) on themes A, B, C; then closed."""
    s = make_setup(engine, participants={"business": 2, "academia": 1}, themes=3, phase="voting")
    a, b, c = s.themes
    submit_ballot(engine, s.tokens[0], s.round_id, {a: 3, c: 1})
    submit_ballot(engine, s.tokens[1], s.round_id, {b: 2})
    submit_ballot(engine, s.tokens[2], s.round_id, {a: 2, b: 1, c: 2})
    ops.close_round(engine, s.fac, s.round_id)
    return s


def test_preview_without_ballots_names_the_kept_title_and_no_rounds(engine):
    s = make_setup(engine, participants={"civil": 1}, themes=2)
    ops.edit_theme(engine, s.fac, s.themes[1], ops.ThemeInput(title="Kulturarv som drivkraft"))
    before = table_counts(engine)
    p = merge_preview(engine, s.themes[0], s.themes[1])
    assert p["kept_title"] == "Kulturarv som drivkraft"
    assert p["duplicate"]["id"] == s.themes[0] and p["into"]["id"] == s.themes[1]
    assert (p["duplicate"]["entries"], p["into"]["entries"], p["rounds"]) == (0, 0, [])
    assert table_counts(engine) == before


def test_preview_counts_the_ballots_and_the_survivors_total_before_and_after(engine):
    s = closed_dots_round(engine)
    a, b, _ = s.themes
    before = table_counts(engine)
    p = merge_preview(engine, a, b)
    assert table_counts(engine) == before  # a preview writes nothing
    assert (p["duplicate"]["entries"], p["duplicate"]["ballots"]) == (2, 2)
    assert (p["into"]["entries"], p["into"]["ballots"]) == (2, 2)
    [rnd] = p["rounds"]
    assert rnd["round_id"] == s.round_id and rnd["ballots"] == 3
    assert rnd["duplicate_before"] == 5.0  # 3 + 2
    assert rnd["before"] == 3.0  # 2 + 1
    # Voter 3 gave A 2 and B 1: on the merged theme that is 3, within the cap of 3.
    assert rnd["after"] == 8.0
    assert (rnd["rank_before"], rnd["rank_after"]) == (2, 1)


def test_preview_matches_the_tally_after_the_real_merge(engine):
    s = closed_dots_round(engine)
    a, b, c = s.themes
    p = merge_preview(engine, c, a)
    ops.merge_themes(engine, s.fac, c, a)
    assert p["rounds"][0]["after"] == total_of(engine, s.round_id, a)
    # Each voter's dots on A and C together are capped at 3: voter 1 (3 + 1) and voter 3 (2 + 2) give 3 each.
    assert total_of(engine, s.round_id, a) == 6.0


def test_preview_follows_themes_already_merged_into_the_duplicate(engine):
    s = closed_dots_round(engine)
    a, b, c = s.themes
    ops.merge_themes(engine, s.fac, c, a)  # C's votes now count for A
    p = merge_preview(engine, a, b)
    assert p["duplicate"]["entries"] == 4  # A's two entries and C's two
    assert p["rounds"][0]["after"] == 3.0 + 2.0 + 3.0  # voter 1: 3+1 capped at 3; voter 2: 2; voter 3: 2+1+2 -> 3


@pytest.mark.parametrize(
    ("case", "exc", "key"),
    [
        ("self", Conflict, "theme.merge_self"),
        ("unknown_into", NotFound, "theme.not_found"),
        ("unknown_duplicate", NotFound, "theme.not_found"),
        ("withdrawn_into", Conflict, "theme.merge_target_inactive"),
        ("withdrawn_duplicate", Conflict, "theme.not_active"),
        ("other_workshop", NotFound, "theme.not_found"),
    ],
)
def test_preview_refuses_what_merge_refuses(engine, case, exc, key):
    s = make_setup(engine, participants={"civil": 1}, themes=2)
    a, b = s.themes
    dup, into = a, b
    if case == "self":
        into = a
    elif case == "unknown_into":
        into = 99999
    elif case == "unknown_duplicate":
        dup = 99999
    elif case == "withdrawn_into":
        ops.withdraw_theme(engine, s.fac, b)
    elif case == "withdrawn_duplicate":
        ops.withdraw_theme(engine, s.fac, a)
    elif case == "other_workshop":
        into = make_setup(engine, participants={"civil": 1}, themes=1).themes[0]
    with pytest.raises(exc) as info:
        merge_preview(engine, dup, into)
    assert info.value.key == key
    with pytest.raises(exc) as real:
        ops.merge_themes(engine, s.fac, dup, into)
    assert real.value.key == key


def test_preview_is_refused_while_the_round_is_voting(engine):
    s = make_setup(engine, participants={"civil": 1}, themes=2, phase="voting")
    with pytest.raises(PhaseError) as info:
        merge_preview(engine, s.themes[0], s.themes[1])
    assert info.value.key == "theme.locked_while_voting"
