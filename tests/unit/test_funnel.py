"""The funnel from every proposal to the priorities, on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest

from edp import demo
from edp import workshop as ops
from edp.access import SYSTEM
from edp.errors import NotFound
from edp.funnel import workshop_funnel
from tests.factory import make_setup


def test_demo_funnel_runs_from_21_proposals_to_3_priorities(engine):
    summary = demo.load(engine)
    funnel = workshop_funnel(engine, summary.completed_workshop_id)
    assert funnel.counts() == [21, 20, 6, 3]
    assert [s.kind for s in funnel.stages] == ["proposed", "active", "round", "priorities"]
    assert (funnel.stages[2].round_seq, funnel.stages[2].method) == (2, "score")


def test_open_demo_workshop_has_only_its_proposals(engine):
    summary = demo.load(engine)
    assert workshop_funnel(engine, summary.open_workshop_id).counts() == [3, 3]


def test_withdrawn_and_merged_proposals_leave_the_funnel_after_the_first_stage(engine):
    setup = make_setup(engine, participants={"business": 1}, themes=5)
    ops.withdraw_theme(engine, setup.fac, setup.themes[0])
    ops.merge_themes(engine, setup.fac, setup.themes[1], setup.themes[2])
    assert workshop_funnel(engine, setup.workshop_id).counts() == [5, 3]
    ops.unmerge_theme(engine, setup.fac, setup.themes[1])
    assert workshop_funnel(engine, setup.workshop_id).counts() == [5, 4]


def test_a_merge_inside_a_carried_round_narrows_that_round(engine):
    summary = demo.load(engine)
    before = workshop_funnel(engine, summary.completed_workshop_id).counts()
    fac = ops.login_facilitator(engine, summary.completed_workshop_id, demo.demo_passcode())
    ops.set_workshop_open(engine, fac, True)
    carried = [row["theme_id"] for row in _ranked(engine, summary.score_round_id)]
    ops.merge_themes(engine, fac, carried[-1], carried[0])
    after = workshop_funnel(engine, summary.completed_workshop_id).counts()
    assert before[2] == 6 and after[2] == 5
    assert after[1] == before[1] - 1


def _ranked(engine, round_id):  # noqa: ANN001, ANN202
    from edp.voting.tally import round_results

    return round_results(engine, SYSTEM, round_id).themes


def test_unknown_workshop_is_not_found(engine):
    with pytest.raises(NotFound):
        workshop_funnel(engine, 999_999)
