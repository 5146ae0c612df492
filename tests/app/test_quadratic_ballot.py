"""Quadratic voting in the app (AppTest): the facilitator sets the credits of a new round; a
participant spends them with − and +, sees what the next vote costs and what is left, and the
confirmation comes from the stored ballot."""

from __future__ import annotations

from edp import workshop as ops
from edp.live import participant_view, round_view, workshop_view
from tests.app.support import ok
from tests.app.test_facilitate import click, console
from tests.app.test_participate import open_page, texts
from tests.factory import make_setup

QV = ops.RoundSpec(method="quadratic", settings={"credits": 10})


def test_the_facilitator_adds_a_quadratic_round_with_its_credits(engine):
    s = make_setup(engine)
    at = console(s)
    at.selectbox(key="more-round-method").set_value("quadratic")
    at = ok(at.run())
    credits = at.number_input(key="more-round-credits")
    assert credits.label == "Krediter per deltagare" and credits.value == 100
    credits.set_value(25)
    at = click(ok(at.run()), "more-round-add")
    [_, r2] = workshop_view(engine, s.workshop_id).rounds
    rv = round_view(engine, r2.id)
    assert (rv.method, rv.settings) == ("quadratic", {"credits": 25})


def test_votes_cost_their_square_and_the_ballot_is_saved_from_the_stored_state(engine):
    s = make_setup(engine, QV, participants={"business": 1}, themes=3, phase="voting")
    t1, t2, t3 = s.themes
    at = open_page(s.tokens[0])
    key = f"ballot-{s.round_id}"
    assert any("Du har 10 krediter" in m.value for m in at.markdown)
    assert any("Krediter kvar: 10 av 10" in m.value for m in at.markdown)
    assert at.button(key=f"{key}-plus-{t1}").label == "En röst till på tema 1, kostnad 1"
    for b in (f"plus-{t1}", f"plus-{t1}", f"plus-{t1}"):  # 1 + 3 + 5 = 9 credits
        ok(at.button(key=f"{key}-{b}").click().run())
    assert any("Röster: 3 · kostnad 9" in m.value for m in at.markdown)
    assert any("Krediter kvar: 1 av 10" in m.value for m in at.markdown)
    # A fourth vote on theme 1 would cost 7 more: its + is off; one vote elsewhere (1) still fits.
    assert at.button(key=f"{key}-plus-{t1}").disabled is True
    assert at.button(key=f"{key}-plus-{t2}").disabled is False
    ok(at.button(key=f"{key}-plus-{t2}").click().run())
    assert at.button(key=f"{key}-plus-{t3}").disabled is True  # nothing left
    ok(at.button(key=f"{key}-submit").click().run())

    assert sorted(participant_view(engine, s.tokens[0]).ballot) == sorted([(t1, None, 3), (t2, None, 1)])
    assert [v.value for v in at.success] == ["Din röst är sparad"]
    assert "Tema 1 – röster: 3 (kostnad 9)\nTema 2 – röster: 1 (kostnad 1)" in texts(at)
    # A new browser session on the same link shows the stored votes on the ballot.
    again = open_page(s.tokens[0])
    assert any("Krediter kvar: 0 av 10" in m.value for m in again.markdown)
    assert again.button(key=f"{key}-minus-{t1}").disabled is False


def test_credits_left_that_buy_another_vote_are_asked_about_before_sending(engine):
    s = make_setup(engine, QV, participants={"business": 1}, themes=3, phase="voting")
    t1, t2, _ = s.themes
    at = open_page(s.tokens[0])
    key = f"ballot-{s.round_id}"
    for _ in range(2):  # 1 + 3 = 4 of 10 credits
        ok(at.button(key=f"{key}-plus-{t1}").click().run())
    ok(at.button(key=f"{key}-submit").click().run())
    question = "Du har 6 krediter kvar och kan ge fler röster. Vill du ge dem, eller skicka ändå?"
    assert [w.value for w in at.warning] == [question]
    assert participant_view(engine, s.tokens[0]).ballot == ()  # nothing written while it asks
    ok(at.button(key=f"{key}-plus-{t2}").click().run())  # drawn from the credits left, not a one-off message
    assert [w.value for w in at.warning] == [question.replace("6", "5")]
    ok(at.button(key=f"{key}-keep-giving").click().run())
    assert not at.warning
    ok(at.button(key=f"{key}-submit").click().run())
    ok(at.button(key=f"{key}-send-anyway").click().run())
    assert sorted(participant_view(engine, s.tokens[0]).ballot) == sorted([(t1, None, 2), (t2, None, 1)])
    assert [v.value for v in at.success] == ["Din röst är sparad"]


def test_credits_left_that_buy_no_vote_are_not_asked_about(engine):
    s = make_setup(engine, ops.RoundSpec(method="quadratic", settings={"credits": 6}), participants={"business": 1},
                   themes=2, phase="voting")  # fmt: skip
    t1, t2 = s.themes
    at = open_page(s.tokens[0])
    key = f"ballot-{s.round_id}"
    for b in (f"plus-{t1}", f"plus-{t1}", f"plus-{t2}"):  # 4 + 1 = 5 of 6; a next vote costs 3 or 5
        ok(at.button(key=f"{key}-{b}").click().run())
    assert any("Krediter kvar: 1 av 6" in m.value for m in at.markdown)
    ok(at.button(key=f"{key}-submit").click().run())
    assert not at.warning
    assert sorted(participant_view(engine, s.tokens[0]).ballot) == sorted([(t1, None, 2), (t2, None, 1)])
