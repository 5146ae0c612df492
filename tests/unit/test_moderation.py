"""Moderation: the merge preview (what a merge would change, computed without writing, and equal to
what the merge then does), the queue's search and pages, the suggested duplicates, and group merges."""

from __future__ import annotations

import pytest

from edp import workshop as ops
from edp.access import SYSTEM
from edp.errors import Conflict, NotFound, PhaseError, ValidationError
from edp.voting.ballots import submit_ballot
from edp.voting.tally import round_results
from edp.workshop.moderation import (
    MERGE_GROUP_MAX,
    duplicate_suggestions,
    merge_group,
    merge_group_preview,
    merge_preview,
    theme_queue,
)
from tests.conftest import table_counts
from tests.factory import make_setup
from tests.unit.test_workshop_ops import audit_kinds, refused


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
    p = merge_preview(engine, s.fac, s.themes[0], s.themes[1])
    assert p["kept_title"] == "Kulturarv som drivkraft"
    assert p["duplicate"]["id"] == s.themes[0] and p["into"]["id"] == s.themes[1]
    assert (p["duplicate"]["entries"], p["into"]["entries"], p["rounds"]) == (0, 0, [])
    assert table_counts(engine) == before


def test_preview_counts_the_ballots_and_the_survivors_total_before_and_after(engine):
    s = closed_dots_round(engine)
    a, b, _ = s.themes
    before = table_counts(engine)
    p = merge_preview(engine, s.fac, a, b)
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
    p = merge_preview(engine, s.fac, c, a)
    ops.merge_themes(engine, s.fac, c, a)
    assert p["rounds"][0]["after"] == total_of(engine, s.round_id, a)
    # Each voter's dots on A and C together are capped at 3: voter 1 (3 + 1) and voter 3 (2 + 2) give 3 each.
    assert total_of(engine, s.round_id, a) == 6.0


def test_preview_follows_themes_already_merged_into_the_duplicate(engine):
    s = closed_dots_round(engine)
    a, b, c = s.themes
    ops.merge_themes(engine, s.fac, c, a)  # C's votes now count for A
    p = merge_preview(engine, s.fac, a, b)
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
        merge_preview(engine, s.fac, dup, into)
    assert info.value.key == key
    with pytest.raises(exc) as real:
        ops.merge_themes(engine, s.fac, dup, into)
    assert real.value.key == key


def test_preview_is_refused_while_the_round_is_voting(engine):
    s = make_setup(engine, participants={"civil": 1}, themes=2, phase="voting")
    with pytest.raises(PhaseError) as info:
        merge_preview(engine, s.fac, s.themes[0], s.themes[1])
    assert info.value.key == "theme.locked_while_voting"


# ---------------------------------------------------------------- the queue


def proposing_round(engine, titles):
    """A proposing round with these titles, proposed by eight participants in turn (each within
    the cap on proposals per participant)."""
    s = make_setup(engine, participants={"business": 4, "civil": 4})
    ops.set_phase(engine, s.fac, s.round_id, "proposing")
    for i, title in enumerate(titles):
        theme = ops.propose(
            engine, s.tokens[i % len(s.tokens)], s.round_id, ops.ThemeInput(title=title, description=f"Nr {i}")
        )
        s.themes.append(theme.id)
    return s


def test_queue_pages_through_the_rounds_themes_in_ballot_order(engine):
    s = proposing_round(engine, [f"Tema {i}" for i in range(25)])
    q = theme_queue(engine, s.fac, s.round_id, page_size=10)
    assert [th.id for th in q.themes] == s.themes[:10]
    assert (q.matching, q.page, q.pages) == (25, 0, 3)
    assert q.counts == {"active": 25, "merged": 0, "withdrawn": 0}
    assert q.active == tuple(s.themes)
    last = theme_queue(engine, s.fac, s.round_id, page=2, page_size=10)
    assert [th.id for th in last.themes] == s.themes[20:]
    # A page past the end (the last page emptied by a merge) shows the last page.
    assert theme_queue(engine, s.fac, s.round_id, page=7, page_size=10) == last


def test_queue_search_ignores_case_and_diacritics_and_the_status_filter_keeps_one_status(engine):
    s = proposing_round(engine, ["Hållbar turism i fjällen", "Lokal mat", "Turism i Åre", "Skogsbruk"])
    ops.withdraw_theme(engine, s.fac, s.themes[3])
    ops.merge_themes(engine, s.fac, s.themes[2], s.themes[0])
    q = theme_queue(engine, s.fac, s.round_id, search="  TURISM ")
    assert [th.title for th in q.themes] == ["Hållbar turism i fjällen", "Turism i Åre"]
    assert q.titles[s.themes[0]] == "Hållbar turism i fjällen"  # what the merged one shows it went into
    assert [th.id for th in theme_queue(engine, s.fac, s.round_id, search="are").themes] == [s.themes[2]]
    assert [th.id for th in theme_queue(engine, s.fac, s.round_id, search="nr 1").themes] == [s.themes[1]]
    withdrawn = theme_queue(engine, s.fac, s.round_id, status="withdrawn")
    assert [th.id for th in withdrawn.themes] == [s.themes[3]] and withdrawn.matching == 1
    assert withdrawn.counts == {"active": 2, "merged": 1, "withdrawn": 1}  # of the whole round
    assert theme_queue(engine, s.fac, s.round_id, search="vätgas").matching == 0
    assert theme_queue(engine, s.fac, s.round_id, search="vätgas").pages == 1


@pytest.mark.parametrize(
    ("kwargs", "key", "field"),
    [
        ({"status": "deleted"}, "input.not_a_choice", "status"),
        ({"page": -1}, "input.out_of_range", "page"),
        ({"page_size": 0}, "input.out_of_range", "page_size"),
        ({"page_size": 101}, "input.out_of_range", "page_size"),
        ({"search": "x" * 121}, "input.too_long", "search"),
        ({"search": 5}, "input.not_text", "search"),
    ],
)
def test_queue_refuses_a_bad_filter_naming_the_field(engine, kwargs, key, field):
    s = proposing_round(engine, ["Tema"])
    with pytest.raises(ValidationError) as info:
        theme_queue(engine, s.fac, s.round_id, **kwargs)
    assert (info.value.key, info.value.field) == (key, field)


# ---------------------------------------------------------------- suggestions


def test_suggestions_group_the_rounds_active_near_duplicates(engine):
    s = proposing_round(
        engine,
        [
            "Hållbar turism i fjällen",  # 0
            "Lokal mat",  # 1
            "HALLBAR TURISM I FJALLEN",  # 2
            "I fjällen: hållbar tursim",  # 3
            "Lokal mat i Jämtland",  # 4: narrower, not the same
            "lokal mat",  # 5
            "Lokal mat!",  # 6: withdrawn below, so not suggested
        ],
    )
    t = s.themes
    ops.withdraw_theme(engine, s.fac, t[6])
    before = table_counts(engine)
    groups = duplicate_suggestions(engine, s.fac, s.round_id)
    assert table_counts(engine) == before
    assert [[th.id for th in g] for g in groups] == [[t[0], t[2], t[3]], [t[1], t[5]]]
    assert groups[0][0].title == "Hållbar turism i fjällen" and groups[0][0].helix == "business"


def test_two_themes_split_apart_again_are_not_suggested_again(engine):
    s = proposing_round(engine, ["Lokal mat", "lokal mat", "Skogsbruk"])
    a, b, _ = s.themes
    ops.merge_themes(engine, s.fac, b, a)
    ops.unmerge_theme(engine, s.fac, b)
    assert duplicate_suggestions(engine, s.fac, s.round_id) == []


# ---------------------------------------------------------------- merging a group


def statuses(engine, s):
    return {th.id: (th.status, th.merged_into_id) for th in theme_queue(engine, s.fac, s.round_id).themes}


def test_a_group_merges_into_the_kept_theme_in_one_step(engine):
    s = proposing_round(engine, ["Lokal mat", "lokal mat", "LOKAL MAT", "Skogsbruk"])
    a, b, c, d = s.themes
    assert merge_group(engine, s.fac, [b, c], a) == [b, c]
    assert statuses(engine, s) == {a: ("active", None), b: ("merged", a), c: ("merged", a), d: ("active", None)}
    assert audit_kinds(engine)[-2:] == ["theme.merged", "theme.merged"]


@pytest.mark.parametrize(
    ("case", "exc", "key"),
    [
        ("one_withdrawn", Conflict, "theme.not_active"),
        ("keep_in_group", Conflict, "theme.merge_self"),
        ("unknown", NotFound, "theme.not_found"),
        ("other_workshop", NotFound, "theme.not_found"),
        ("not_an_id", NotFound, "theme.not_found"),
        ("empty", ValidationError, "input.required"),
        ("not_a_list", ValidationError, "input.required"),
        ("too_many", ValidationError, "theme.merge_group_size"),
    ],
)
def test_a_group_merge_is_all_or_nothing_and_its_preview_refuses_the_same(engine, case, exc, key):
    s = proposing_round(engine, ["Lokal mat", "lokal mat", "LOKAL MAT"])
    a, b, c = s.themes
    dups: object = [b, c]
    if case == "one_withdrawn":
        ops.withdraw_theme(engine, s.fac, c)
    elif case == "keep_in_group":
        dups = [b, a]
    elif case == "unknown":
        dups = [b, 99999]
    elif case == "other_workshop":
        dups = [b, make_setup(engine, participants={"civil": 1}, themes=1).themes[0]]
    elif case == "not_an_id":
        dups = [b, True]
    elif case == "empty":
        dups = []
    elif case == "not_a_list":
        dups = str(b)
    elif case == "too_many":
        dups = list(range(1, MERGE_GROUP_MAX + 2))
    before = statuses(engine, s)
    refused(engine, exc, key, merge_group, s.fac, dups, a)
    assert statuses(engine, s) == before  # b was not merged either
    with pytest.raises(exc) as info:
        merge_group_preview(engine, s.fac, dups, a)
    assert info.value.key == key


def test_a_group_merge_is_refused_while_voting(engine):
    s = make_setup(engine, participants={"civil": 1}, themes=3, phase="voting")
    a, b, c = s.themes
    refused(engine, PhaseError, "theme.locked_while_voting", merge_group, s.fac, [b, c], a)
    with pytest.raises(PhaseError):
        merge_group_preview(engine, s.fac, [b, c], a)


def test_the_group_preview_matches_the_tally_after_the_group_merge(engine):
    s = closed_dots_round(engine)
    a, b, c = s.themes
    before = table_counts(engine)
    p = merge_group_preview(engine, s.fac, [b, c], a)
    assert table_counts(engine) == before
    assert [d["id"] for d in p["duplicates"]] == [b, c]
    # Entries on B (2) and C (2) move; they sit on all three ballots.
    assert p["moved"] == {"entries": 4, "ballots": 3}
    assert (p["into"]["entries"], p["into"]["ballots"]) == (2, 2)
    [rnd] = p["rounds"]
    assert rnd["duplicates_before"] == {b: 3.0, c: 3.0}
    merge_group(engine, s.fac, [b, c], a)
    # Each voter's dots on A, B and C together, capped at 3: 3 + 2 + 3.
    assert rnd["after"] == total_of(engine, s.round_id, a) == 8.0
    assert rnd["rank_after"] == 1
