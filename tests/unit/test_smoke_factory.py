from edp import workshop as ops
from edp.access import SYSTEM
from edp.voting.ballots import submit_ballot
from edp.voting.tally import round_results
from tests.factory import make_setup


def test_factory_builds_a_voting_round_and_a_ballot_counts(engine):
    s = make_setup(engine, participants={"business": 1, "academia": 1}, themes=3, phase="voting")
    submit_ballot(engine, s.tokens[0], s.round_id, {s.themes[0]: 3, s.themes[1]: 2})
    ops.close_round(engine, s.fac, s.round_id)
    res = round_results(engine, SYSTEM, s.round_id)
    assert [t["theme_id"] for t in res.themes] == [s.themes[0], s.themes[1], s.themes[2]]
    assert res.themes[0]["total"] == 3
