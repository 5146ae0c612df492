"""The participant page (?p=TOKEN) through AppTest: waiting, proposing, reviewing, voting with
each method, refusals from the engine, a reload that keeps the ballot, and the results.

The participant role needs only pages/participate.py from the router, so these run on app.py.
"""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from edp import region
from edp import workshop as ops
from edp.access import SYSTEM
from edp.db import make_engine, upgrade
from edp.live import participant_view, workshop_view
from edp.ui.ballot import participant_view_key
from edp.voting.ballots import submit_ballot
from tests.app.support import APP, TIMEOUT_S, ok
from tests.factory import make_setup

PAGE = APP.parent / "pages" / "participate.py"
TYPED = ["<b>x</b> fet", "[länk](http://x) klicka", "**stjärnor** och :material/home:"]


def open_page(token: str) -> AppTest:
    at = AppTest.from_file(str(APP), default_timeout=TIMEOUT_S)
    at.query_params["p"] = token
    return ok(at.run())


def texts(at: AppTest) -> list[str]:
    return [e.value for e in at.text]


def errors(at: AppTest) -> list[str]:
    return [e.value for e in at.error]


def button(at: AppTest, label: str):  # noqa: ANN201
    found = [b for b in at.button if b.label == label]
    assert len(found) == 1, [b.label for b in at.button]
    return found[0]


def stored(engine, token: str) -> list[tuple[int, int | None, int]]:  # noqa: ANN001
    return sorted(participant_view(engine, token).ballot)


def voting_setup(engine, spec: ops.RoundSpec | None = None, themes: int = 3):  # noqa: ANN001, ANN201
    return make_setup(engine, spec, participants={"business": 1}, themes=themes, phase="voting")


SCORE = ops.RoundSpec(
    method="score",
    criteria=[
        ops.CriterionSpec("Innovationshöjd", "Innovation potential", scale_min=1, scale_max=5),
        ops.CriterionSpec("Kritisk massa", "Critical mass", scale_min=0, scale_max=3),
    ],
)


# ---------------------------------------------------------------- who, and waiting


def test_header_names_participant_organisation_and_workshop_and_draft_round_waits(engine):
    s = make_setup(engine, participants={"academia": 1})
    at = open_page(s.tokens[0])

    assert "Testworkshop" in texts(at)
    assert "academia 0\nAktör academia (Akademi)" in texts(at)
    assert any("inte börjat än" in i.value for i in at.info)
    assert not at.button and not at.text_input


def test_page_with_an_unknown_token_says_so_and_shows_no_workshop(engine):
    # The router never sends an unknown token here; the page itself must still refuse it cleanly.
    make_setup(engine, participants={"academia": 1})
    at = AppTest.from_file(str(PAGE), default_timeout=TIMEOUT_S)
    at.query_params["p"] = "not-a-token"
    ok(at.run())

    assert errors(at) == ["Vi känner inte igen dig i den här workshopen. Gå med igen med anslutningskoden."]
    assert "Testworkshop" not in texts(at)


# ---------------------------------------------------------------- proposing


def proposing_page(engine):  # noqa: ANN001, ANN201
    s = make_setup(engine, participants={"public": 1})
    ops.set_phase(engine, s.fac, s.round_id, "proposing")
    return s, open_page(s.tokens[0])


def test_proposal_is_saved_confirmed_and_the_form_is_emptied(engine):
    area_id = region.create_strength_area(engine, SYSTEM, "UPP", "Upplevelser", "Experiences")
    s, at = proposing_page(engine)
    title = next(w for w in at.text_input if w.key.endswith("-title"))
    title.set_value("Kulturarv som besöksmål")
    next(w for w in at.text_area if w.key.endswith("-description")).set_value("Jamtli och hembygdsgårdar")
    next(w for w in at.selectbox if w.key.endswith("-area")).select(area_id)
    ok(button(at, "Skicka förslaget").click().run())

    mine = participant_view(engine, s.tokens[0]).proposals
    assert [(p.title, p.description, p.strength_area_id) for p in mine] == [
        ("Kulturarv som besöksmål", "Jamtli och hembygdsgårdar", area_id)
    ]
    assert [v.value for v in at.success] == ["Tack! Ditt förslag är inskickat."]
    assert next(w for w in at.text_input if w.key.endswith("-title")).value == ""
    assert "Kulturarv som besöksmål" in texts(at)  # listed under "Dina förslag"


def test_too_long_title_is_refused_naming_the_field_and_keeps_the_text(engine):
    s, at = proposing_page(engine)
    long_title = "x" * 121
    next(w for w in at.text_input if w.key.endswith("-title")).set_value(long_title)
    ok(button(at, "Skicka förslaget").click().run())

    assert errors(at) == ["Rubrik får vara högst 120 tecken men är 121, alltså 1 för många."]
    assert participant_view(engine, s.tokens[0]).proposals == ()
    assert next(w for w in at.text_input if w.key.endswith("-title")).value == long_title
    assert not at.success


def test_own_proposal_can_be_edited_while_proposing(engine):
    s, _ = proposing_page(engine)
    theme = ops.propose(engine, s.tokens[0], s.round_id, ops.ThemeInput(title="Kulturarv"))
    at = open_page(s.tokens[0])
    edit_title = at.text_input(key=f"edit-{theme.id}-title")
    assert edit_title.value == "Kulturarv"
    edit_title.set_value("Kulturarv och besöksnäring")
    ok(at.button(key=f"edit-{theme.id}-save").click().run())

    assert [p.title for p in participant_view(engine, s.tokens[0]).proposals] == ["Kulturarv och besöksnäring"]
    assert "Ditt förslag är ändrat." in [v.value for v in at.success]


def test_the_participant_sees_the_proposals_left_and_a_refusal_at_the_cap_keeps_the_text(engine):
    s = make_setup(engine, ops.RoundSpec(method="approval", proposals_per_participant=2), participants={"public": 1})
    ops.set_phase(engine, s.fac, s.round_id, "proposing")
    at = open_page(s.tokens[0])
    assert [c.value for c in at.caption if "förslag till" in c.value] == [
        "Du kan lämna 2 förslag till i den här omgången (högst 2)."
    ]
    next(w for w in at.text_input if w.key.endswith("-title")).set_value("Kulturarv")
    ok(button(at, "Skicka förslaget").click().run())
    assert any(c.value == "Du kan lämna 1 förslag till i den här omgången (högst 2)." for c in at.caption)
    ops.propose(engine, s.tokens[0], s.round_id, ops.ThemeInput(title="Besöksnäring"))  # from another tab
    at = open_page(s.tokens[0])
    assert [i.value for i in at.info if "2 förslag" in i.value] == [
        "Du har lämnat 2 förslag, så många som varje deltagare får lämna i den här omgången. "
        "Du kan fortfarande ändra dina förslag nedan."
    ]

    next(w for w in at.text_input if w.key.endswith("-title")).set_value("Ett tredje förslag")
    next(w for w in at.text_area if w.key.endswith("-description")).set_value("Med en beskrivning")
    ok(button(at, "Skicka förslaget").click().run())

    assert errors(at) == [
        "Du har redan lämnat 2 förslag i den här omgången, så många som varje deltagare får lämna. "
        "Din text finns kvar i formuläret."
    ]
    assert next(w for w in at.text_input if w.key.endswith("-title")).value == "Ett tredje förslag"
    assert next(w for w in at.text_area if w.key.endswith("-description")).value == "Med en beskrivning"
    assert [p.title for p in participant_view(engine, s.tokens[0]).proposals] == ["Kulturarv", "Besöksnäring"]


# ---------------------------------------------------------------- reviewing


def test_reviewing_lists_the_current_themes_without_controls(engine):
    s = make_setup(engine, participants={"civil": 1}, themes=2, phase="reviewing")
    ops.edit_theme(engine, s.fac, s.themes[1], ops.ThemeInput(title="Tema två, städat"))
    at = open_page(s.tokens[0])

    assert {"Tema 1", "Tema två, städat"} <= set(texts(at))
    assert not at.button and not at.text_input and not at.checkbox


def test_live_key_moves_with_review_edits_but_not_with_proposals_from_others(engine):
    s = make_setup(engine, participants={"civil": 2})
    ops.set_phase(engine, s.fac, s.round_id, "proposing")
    before = participant_view_key(workshop_view(engine, s.workshop_id))
    ops.propose(engine, s.tokens[1], s.round_id, ops.ThemeInput(title="Någon annans"))
    assert participant_view_key(workshop_view(engine, s.workshop_id)) == before

    ops.set_phase(engine, s.fac, s.round_id, "reviewing")
    reviewing = participant_view_key(workshop_view(engine, s.workshop_id))
    assert reviewing != before
    ops.add_theme(engine, s.fac, s.round_id, ops.ThemeInput(title="Från en lapp"))
    assert participant_view_key(workshop_view(engine, s.workshop_id)) != reviewing

    ops.set_phase(engine, s.fac, s.round_id, "voting")
    voting = participant_view_key(workshop_view(engine, s.workshop_id))
    submit_ballot(engine, s.tokens[1], s.round_id, {_first(engine, s): 1})
    assert participant_view_key(workshop_view(engine, s.workshop_id)) == voting
    ops.close_round(engine, s.fac, s.round_id)
    closed = participant_view_key(workshop_view(engine, s.workshop_id))
    ops.reveal_results(engine, s.fac, s.round_id)
    assert len({voting, closed, participant_view_key(workshop_view(engine, s.workshop_id))}) == 3


def _first(engine, s) -> int:  # noqa: ANN001
    return workshop_view(engine, s.workshop_id).current.themes[0].id


# ---------------------------------------------------------------- voting, per method


def test_dots_ballot_is_built_with_plus_and_minus_and_saved(engine):
    s = voting_setup(engine)
    t1, t2, _ = s.themes
    at = open_page(s.tokens[0])
    key = f"ballot-{s.round_id}"
    assert any("Prickar kvar: 5" in m.value for m in at.markdown)
    assert any("Högst 3 prickar per tema" in m.value for m in at.markdown)
    for b in (f"plus-{t1}", f"plus-{t1}", f"plus-{t2}", f"plus-{t2}", f"minus-{t2}"):
        ok(at.button(key=f"{key}-{b}").click().run())
    assert any("Prickar kvar: 2" in m.value for m in at.markdown)
    ok(at.button(key=f"{key}-submit").click().run())
    # Two dots unused: the bar asks first, and nothing is written yet.
    assert [w.value for w in at.warning] == ["Du har 2 prickar kvar. Vill du fördela dem, eller skicka ändå?"]
    assert stored(engine, s.tokens[0]) == []
    ok(at.button(key=f"{key}-send-anyway").click().run())

    assert stored(engine, s.tokens[0]) == sorted([(t1, None, 2), (t2, None, 1)])
    assert not at.warning
    assert [v.value for v in at.success] == ["Din röst är sparad"]
    assert "Tema 1 – prickar: 2\nTema 2 – prickar: 1" in texts(at)
    assert any("ändra din röst tills röstningen stängs" in c.value for c in at.caption)


def test_the_unused_dots_hint_follows_the_dots_left_and_can_be_dismissed(engine):
    s = voting_setup(engine)
    t1, t2, _ = s.themes
    at = open_page(s.tokens[0])
    key = f"ballot-{s.round_id}"
    ok(at.button(key=f"{key}-plus-{t1}").click().run())
    ok(at.button(key=f"{key}-submit").click().run())
    assert [w.value for w in at.warning] == ["Du har 4 prickar kvar. Vill du fördela dem, eller skicka ändå?"]
    ok(at.button(key=f"{key}-plus-{t2}").click().run())  # drawn from the dots left, not a one-off message
    assert [w.value for w in at.warning] == ["Du har 3 prickar kvar. Vill du fördela dem, eller skicka ändå?"]
    for _ in range(2):
        ok(at.button(key=f"{key}-plus-{t2}").click().run())
    assert [w.value for w in at.warning] == ["Du har 1 prick kvar. Vill du fördela den, eller skicka ändå?"]
    ok(at.button(key=f"{key}-minus-{t2}").click().run())
    ok(at.button(key=f"{key}-minus-{t2}").click().run())
    ok(at.button(key=f"{key}-keep-giving").click().run())
    assert not at.warning
    assert stored(engine, s.tokens[0]) == []
    for _ in range(2):
        ok(at.button(key=f"{key}-plus-{t1}").click().run())
    ok(at.button(key=f"{key}-plus-{t2}").click().run())
    ok(at.button(key=f"{key}-submit").click().run())  # every dot given: sent at once, no question
    assert not at.warning
    assert stored(engine, s.tokens[0]) == sorted([(t1, None, 3), (t2, None, 2)])


def test_dots_left_that_no_theme_can_take_are_not_asked_about(engine):
    s = voting_setup(engine, ops.RoundSpec(method="dots", dots_per_participant=5, max_dots_per_theme=1))
    at = open_page(s.tokens[0])
    key = f"ballot-{s.round_id}"
    for tid in s.themes:  # every theme full, two dots left that nothing can take
        ok(at.button(key=f"{key}-plus-{tid}").click().run())
    assert any("Prickar kvar: 2" in m.value for m in at.markdown)
    ok(at.button(key=f"{key}-submit").click().run())
    assert not at.warning
    assert stored(engine, s.tokens[0]) == sorted((tid, None, 1) for tid in s.themes)


def test_dots_buttons_are_named_by_the_theme_they_change_in_both_languages(engine):
    s = voting_setup(engine)
    t1, _t2, t3 = s.themes
    at = open_page(s.tokens[0])
    key = f"ballot-{s.round_id}"
    assert at.button(key=f"{key}-plus-{t1}").label == "Fler prickar till tema 1"
    assert at.button(key=f"{key}-minus-{t3}").label == "Färre prickar på tema 3"
    at.session_state["lang"] = "en"
    ok(at.run())
    assert at.button(key=f"{key}-plus-{t1}").label == "More dots to theme 1"
    assert at.button(key=f"{key}-submit").label == "Submit my vote"


def test_dots_plus_is_disabled_at_the_cap_and_when_none_are_left(engine):
    s = voting_setup(engine)
    t1, t2, t3 = s.themes
    at = open_page(s.tokens[0])
    key = f"ballot-{s.round_id}"
    for _ in range(3):
        ok(at.button(key=f"{key}-plus-{t1}").click().run())
    assert at.button(key=f"{key}-plus-{t1}").disabled
    for _ in range(2):
        ok(at.button(key=f"{key}-plus-{t2}").click().run())
    assert any("Prickar kvar: 0" in m.value for m in at.markdown)
    assert at.button(key=f"{key}-plus-{t3}").disabled
    assert not at.button(key=f"{key}-minus-{t1}").disabled
    ok(at.button(key=f"{key}-submit").click().run())

    assert stored(engine, s.tokens[0]) == sorted([(t1, None, 3), (t2, None, 2)])


def test_score_ballot_is_saved_for_every_criterion(engine):
    s = voting_setup(engine, SCORE, themes=2)
    (t1, t2), (c1, c2) = s.themes, s.criteria
    at = open_page(s.tokens[0])
    key = f"ballot-{s.round_id}"
    assert {"Innovationshöjd", "Kritisk massa"} <= set(texts(at))
    assert at.radio(key=f"{key}-score-{t1}-{c1}").options == ["1", "2", "3", "4", "5"]
    at.radio(key=f"{key}-score-{t1}-{c1}").set_value(4)
    at.radio(key=f"{key}-score-{t1}-{c2}").set_value(0)
    at.radio(key=f"{key}-score-{t2}-{c1}").set_value(2)
    at.radio(key=f"{key}-score-{t2}-{c2}").set_value(3)
    ok(at.button(key=f"{key}-submit").click().run())

    assert stored(engine, s.tokens[0]) == sorted([(t1, c1, 4), (t1, c2, 0), (t2, c1, 2), (t2, c2, 3)])
    assert [v.value for v in at.success] == ["Din röst är sparad"]


def test_partly_scored_theme_is_refused_with_the_engines_message(engine):
    s = voting_setup(engine, SCORE, themes=2)
    (t1, _), (c1, _) = s.themes, s.criteria
    at = open_page(s.tokens[0])
    key = f"ballot-{s.round_id}"
    at.radio(key=f"{key}-score-{t1}-{c1}").set_value(5)
    ok(at.button(key=f"{key}-submit").click().run())

    assert errors(at) == ["Poäng: ge ett värde för vart och ett av de 2 kriterierna för varje tema du bedömer."]
    assert stored(engine, s.tokens[0]) == []


def test_rank_ballot_is_saved_best_first_and_duplicates_are_refused(engine):
    s = voting_setup(engine, ops.RoundSpec(method="rank", rank_count=2))
    t1, _, t3 = s.themes
    at = open_page(s.tokens[0])
    key = f"ballot-{s.round_id}"
    assert [at.selectbox(key=f"{key}-rank-{n}").label for n in (1, 2)] == ["1:a plats", "2:a plats"]
    at.selectbox(key=f"{key}-rank-1").select(t3)
    at.selectbox(key=f"{key}-rank-2").select(t3)
    ok(at.button(key=f"{key}-submit").click().run())
    assert errors(at) == ["Samma tema är rangordnat två gånger."]
    assert stored(engine, s.tokens[0]) == []

    at.selectbox(key=f"{key}-rank-2").select(t1)
    ok(at.button(key=f"{key}-submit").click().run())
    assert participant_view(engine, s.tokens[0]).ballot == ((t3, None, 1), (t1, None, 2))
    assert "1:a: Tema 3\n2:a: Tema 1" in texts(at)


def test_approval_ballot_is_saved_from_the_ticked_boxes(engine):
    s = voting_setup(engine, ops.RoundSpec(method="approval"))
    t1, _, t3 = s.themes
    at = open_page(s.tokens[0])
    key = f"ballot-{s.round_id}"
    at.checkbox(key=f"{key}-approve-{t1}").check()
    at.checkbox(key=f"{key}-approve-{t3}").check()
    ok(at.button(key=f"{key}-submit").click().run())

    assert stored(engine, s.tokens[0]) == sorted([(t1, None, 1), (t3, None, 1)])
    assert [v.value for v in at.success] == ["Din röst är sparad"]


def test_a_ballot_over_the_rate_limit_shows_the_wait_and_the_form_keeps_the_choices(engine, monkeypatch):
    import datetime as dt

    from edp.voting import ballots

    now = dt.datetime(2026, 12, 6, 10, 0, tzinfo=dt.UTC)
    monkeypatch.setattr(ballots, "utcnow", lambda: now)  # the clock stands still: a script's pace
    s = voting_setup(engine, ops.RoundSpec(method="approval"))
    t1, t2, t3 = s.themes
    for n in range(ballots.REPLACE_BURST + 1):
        submit_ballot(engine, s.tokens[0], s.round_id, [(t1, t2)[n % 2]])
    before = stored(engine, s.tokens[0])
    at = open_page(s.tokens[0])
    key = f"ballot-{s.round_id}"
    at.checkbox(key=f"{key}-approve-{t3}").check()
    ok(at.button(key=f"{key}-submit").click().run())

    assert errors(at) == [
        "Du har ändrat din röst många gånger på kort tid. Vänta 3 sekunder och skicka den igen. "
        "Dina val finns kvar i formuläret."
    ]
    assert stored(engine, s.tokens[0]) == before
    assert at.checkbox(key=f"{key}-approve-{t3}").value is True  # what the voter ticked is still ticked
    assert at.checkbox(key=f"{key}-approve-{t1}").value is True


def test_ballot_sent_after_the_facilitator_closed_voting_shows_the_refusal(engine):
    s = voting_setup(engine, ops.RoundSpec(method="approval"))
    at = open_page(s.tokens[0])
    key = f"ballot-{s.round_id}"
    at.checkbox(key=f"{key}-approve-{s.themes[0]}").check()
    ops.close_round(engine, s.fac, s.round_id)
    ok(at.button(key=f"{key}-submit").click().run())

    assert errors(at) == ["Omröstningen är inte öppen (fas: stängd). Din röst har inte sparats."]
    assert stored(engine, s.tokens[0]) == []


def test_dots_sent_after_close_show_the_refusal_though_the_ballot_is_gone(engine):
    s = voting_setup(engine)
    at = open_page(s.tokens[0])
    key = f"ballot-{s.round_id}"
    for t in (*s.themes[:2], *s.themes[:2], s.themes[2]):  # every dot given: Send sends at once
        ok(at.button(key=f"{key}-plus-{t}").click().run())
    ops.close_round(engine, s.fac, s.round_id)
    ok(at.button(key=f"{key}-submit").click().run())

    assert len(errors(at)) == 1 and "Din röst har inte sparats" in errors(at)[0]
    assert stored(engine, s.tokens[0]) == []


def test_send_anyway_after_close_shows_the_refusal_though_the_ballot_is_gone(engine):
    s = voting_setup(engine)
    at = open_page(s.tokens[0])
    key = f"ballot-{s.round_id}"
    ok(at.button(key=f"{key}-plus-{s.themes[0]}").click().run())
    ok(at.button(key=f"{key}-submit").click().run())
    ops.close_round(engine, s.fac, s.round_id)
    ok(at.button(key=f"{key}-send-anyway").click().run())

    assert len(errors(at)) == 1 and "Din röst har inte sparats" in errors(at)[0]
    assert stored(engine, s.tokens[0]) == []


@pytest.mark.parametrize("method", ["dots", "score", "rank", "approval"])
def test_reload_shows_the_stored_ballot_prefilled(engine, method):
    spec = {
        "dots": None,
        "score": SCORE,
        "rank": ops.RoundSpec(method="rank", rank_count=2),
        "approval": ops.RoundSpec(method="approval"),
    }[method]
    s = voting_setup(engine, spec)
    t1, t2, t3 = s.themes
    choices = {
        "dots": lambda: {t2: 3, t3: 1},
        "score": lambda: {t2: dict(zip(s.criteria, (5, 1), strict=True))},
        "rank": lambda: [t2, t3],
        "approval": lambda: [t2, t3],
    }[method]()
    submit_ballot(engine, s.tokens[0], s.round_id, choices)
    before = stored(engine, s.tokens[0])
    at = open_page(s.tokens[0])  # a new browser session on the same personal URL
    key = f"ballot-{s.round_id}"

    assert [v.value for v in at.success] == ["Din röst är sparad"]
    if method == "dots":
        assert any("Prickar kvar: 1" in m.value for m in at.markdown)
        assert at.button(key=f"{key}-minus-{t2}").disabled is False
        assert at.button(key=f"{key}-minus-{t1}").disabled is True
    elif method == "score":
        c1, c2 = s.criteria
        assert at.radio(key=f"{key}-score-{t2}-{c1}").value == 5
        assert at.radio(key=f"{key}-score-{t2}-{c2}").value == 1
        assert at.radio(key=f"{key}-score-{t1}-{c1}").value is None
    elif method == "rank":
        assert [at.selectbox(key=f"{key}-rank-{n}").value for n in (1, 2)] == [t2, t3]
    else:
        assert [at.checkbox(key=f"{key}-approve-{t}").value for t in (t1, t2, t3)] == [False, True, True]
    # Sending the pre-filled ballot unchanged stores the same ballot again.
    ok(at.button(key=f"{key}-submit").click().run())
    assert not at.error
    assert stored(engine, s.tokens[0]) == before


# ---------------------------------------------------------------- closed


def closed_round(engine, revealed: bool):  # noqa: ANN001, ANN201
    s = make_setup(engine, participants={"business": 2}, themes=3, phase="voting")
    t1, t2, t3 = s.themes
    submit_ballot(engine, s.tokens[0], s.round_id, {t2: 3, t3: 1})
    submit_ballot(engine, s.tokens[1], s.round_id, {t2: 2, t1: 2})
    ops.close_round(engine, s.fac, s.round_id)
    if revealed:
        ops.reveal_results(engine, s.fac, s.round_id)
    return s


def test_closed_and_revealed_round_shows_the_ranking(engine):
    s = closed_round(engine, revealed=True)
    at = open_page(s.tokens[0])

    ranking = [v for v in texts(at) if v[:2] in ("1.", "2.", "3.")]
    # Dots are counted in dots ("prickar"), one dot in the singular.
    assert ranking == ["1. Tema 2 – 5 prickar", "2. Tema 1 – 2 prickar", "3. Tema 3 – 1 prick"]
    assert not at.button


def test_closed_but_hidden_round_says_wait_and_shows_no_ranking(engine):
    s = closed_round(engine, revealed=False)
    at = open_page(s.tokens[0])

    assert any("Resultatet visas här" in i.value for i in at.info)
    assert not [v for v in texts(at) if "prickar" in v or "poäng" in v]
    assert not at.subheader


# ---------------------------------------------------------------- typed text


@pytest.mark.parametrize("phase", ["reviewing", "voting"])
def test_typed_markup_in_theme_titles_is_shown_literally(engine, phase):
    s = make_setup(engine, participants={"business": 1})
    ops.set_phase(engine, s.fac, s.round_id, "proposing")
    for title in TYPED:
        ops.propose(engine, s.tokens[0], s.round_id, ops.ThemeInput(title=title))
    ops.set_phase(engine, s.fac, s.round_id, "reviewing")
    if phase == "voting":
        ops.set_phase(engine, s.fac, s.round_id, "voting")
    at = open_page(s.tokens[0])

    assert set(TYPED) <= set(texts(at))
    interpreting = [*at.title, *at.header, *at.subheader, *at.markdown, *at.caption, *at.info, *at.success]
    for element in interpreting:
        for word in ("fet", "länk", "stjärnor"):
            assert word not in element.value
    assert not [w.label for w in [*at.button, *at.checkbox, *at.radio] if any(x in w.label for x in TYPED)]


def test_opening_a_registration_card_link_counts_as_arriving(tmp_path, monkeypatch):
    from edp.live import workshop_view as wv
    from edp.workshop.registrations import import_registrations
    from tests.factory import make_setup

    url = f"sqlite:///{tmp_path / 'reg.sqlite'}"
    monkeypatch.setenv("EDP_DATABASE_URL", url)
    eng = make_engine(url)
    upgrade(eng)
    s = make_setup(eng)
    (p,) = import_registrations(eng, s.fac, "name,organisation,helix\nEva,Aktör public,public\n")
    assert wv(eng, s.workshop_id).counts.participants["public"] == 0
    at = AppTest.from_file(str(APP), default_timeout=30)
    at.query_params["p"] = p.token
    at.run()
    assert not at.exception
    assert wv(eng, s.workshop_id).counts.participants["public"] == 1
    eng.dispose()


def test_the_one_query_screen_state_gives_the_same_key_as_the_full_view(engine):
    from edp.live import screen_state

    s = make_setup(engine, participants={"civil": 1}, themes=2, phase="reviewing")
    for step in (None, "voting", "closed"):
        if step:
            ops.set_phase(engine, s.fac, s.round_id, step)
        full = participant_view_key(workshop_view(engine, s.workshop_id))
        assert participant_view_key(screen_state(engine, s.workshop_id)) == full
    assert screen_state(engine, 99999) is None


def test_the_participants_key_changes_with_their_own_stored_ballot_and_not_with_anothers(engine):
    """The one-query key (a pushed change's check) and the full view's agree, and a stored ballot
    of one's own changes it: a confirmation that never reached the phone is drawn again."""
    from edp.live import participant_view, screen_state

    s = make_setup(engine, ops.RoundSpec(method="approval"), participants={"civil": 2}, themes=2, phase="voting")
    anna, bo = s.tokens

    def keys(token: str) -> tuple[tuple, tuple]:
        me = participant_view(engine, token)
        full = participant_view_key(me.workshop, me.ballot_saved_at)
        return full, participant_view_key(screen_state(engine, s.workshop_id, me.id))

    before, quick = keys(anna)
    assert before == quick
    submit_ballot(engine, bo, s.round_id, [s.themes[0]])
    assert keys(anna) == (before, before), "another's ballot changed her screen's key"
    submit_ballot(engine, anna, s.round_id, [s.themes[1]])
    after, quick = keys(anna)
    assert after == quick != before
    assert participant_view(engine, anna).ballot_saved_at is not None


# ---------------------------------------------------------------- words and numbers


def _result(method: str, *totals: float) -> dict:
    themes = [
        {"theme_id": i, "rank": i, "tied": False, "title": f"T{i}", "total": total}
        for i, total in enumerate(totals, start=1)
    ]
    return {"method": method, "themes": themes}


def test_result_lines_write_one_decimal_with_the_languages_mark_and_the_methods_unit():
    from edp.ui.ballot import result_lines

    score = _result("score", 21.875, 19.7272)
    score["themes"][1]["tied"] = True
    assert [line for _, line in result_lines(score, "sv")] == ["1. T1 – 21,9 poäng", "2= T2 – 19,7 poäng"]
    assert [line for _, line in result_lines(score, "en")] == ["1. T1 – 21.9 points", "2= T2 – 19.7 points"]
    assert [line for _, line in result_lines(_result("dots", 7, 1), "en")] == ["1. T1 – 7 dots", "2. T2 – 1 dot"]
    assert [line for _, line in result_lines(_result("approval", 3, 1), "sv")] == [
        "1. T1 – 3 godkännanden",
        "2. T2 – 1 godkännande",
    ]
    assert [line for _, line in result_lines(_result("rank", 12), "sv")] == ["1. T1 – 12 Bordapoäng"]
    assert [line for _, line in result_lines(_result("rank", 12), "en")] == ["1. T1 – 12 Borda points"]


def test_the_unused_dots_question_ends_once_every_dot_is_given(engine):
    s = voting_setup(engine)
    t1, t2, _ = s.themes
    at = open_page(s.tokens[0])
    key = f"ballot-{s.round_id}"
    ok(at.button(key=f"{key}-submit").click().run())
    assert len(at.warning) == 1
    for t in (t1, t1, t1, t2, t2):
        ok(at.button(key=f"{key}-plus-{t}").click().run())
    assert not at.warning
    ok(at.button(key=f"{key}-minus-{t2}").click().run())
    assert not at.warning  # answered by giving every dot: taking one back does not ask again unprompted
    assert stored(engine, s.tokens[0]) == []
