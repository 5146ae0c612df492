"""Joining through AppTest: scan (?join=CODE) to ready in three steps, typing the code, the
engine's refusals (nothing written), and adding a new organisation when the workshop allows it.

The visitor router (app.py) needs every visitor page file; while another developer's page is
still missing, the join page runs on its own (pages/join.py) and the landing on the participant
page is checked by opening the personal URL in a fresh AppTest on app.py (participant role).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select
from streamlit.testing.v1 import AppTest

from edp import throttle
from edp import workshop as ops
from edp.access import SYSTEM
from edp.db import read
from edp.live import participant_view
from edp.models import Participant
from tests.app.support import APP, TIMEOUT_S, ok
from tests.conftest import table_counts
from tests.factory import make_setup

THROTTLED_CODES = "För många felaktiga anslutningskoder har provats härifrån. Vänta 10 min och försök sedan igen."

ROOT = Path(__file__).resolve().parents[2]
VISITOR_PAGES = ("home.py", "join.py", "facilitate.py", "setup.py", "results.py")
ROUTER_READY = all((ROOT / "pages" / name).exists() for name in VISITOR_PAGES)
JOIN_ENTRY = APP if ROUTER_READY else ROOT / "pages" / "join.py"


def open_join(code: str | None = None) -> AppTest:
    """The join page as a phone opens it: <base>/?join=CODE, or the join page with no code."""
    at = AppTest.from_file(str(JOIN_ENTRY), default_timeout=TIMEOUT_S)
    if code is not None:
        at.query_params["join"] = code
    elif JOIN_ENTRY == APP:
        at.switch_page("pages/join.py")  # without ?join= the router's default page is home
    return ok(at.run())


def texts(at: AppTest) -> list[str]:
    return [e.value for e in at.text]


def errors(at: AppTest) -> list[str]:
    return [e.value for e in at.error]


def participants(engine) -> list[tuple[str, int | None, str]]:  # noqa: ANN001
    with read(engine) as s:
        return [tuple(r) for r in s.execute(select(Participant.display_name, Participant.actor_id, Participant.helix))]


def fill_and_join(at: AppTest, name: str, actor: int) -> AppTest:
    """The three steps after scanning: name, organisation, Join (each reruns, as in a browser)."""
    ok(at.text_input(key="join-name").set_value(name).run())
    ok(at.selectbox(key="join-actor").select(actor).run())
    return ok(at.button(key="join-submit").click().run())


def test_scan_name_organisation_join_lands_on_the_personal_url(engine):
    s = make_setup(engine)
    at = open_join(s.join_code)
    assert "Testworkshop" in texts(at)

    fill_and_join(at, "Anna Berg", s.actors["academia"])

    assert participants(engine) == [("Anna Berg", s.actors["academia"], "academia")]
    token = at.query_params.get("p")
    assert token and "join" not in at.query_params
    assert not at.error
    # The browser now holds the personal URL and the router serves the participant page for it.
    # (Checked in a fresh AppTest: within one AppTest, reruns after the first skip app.py and run
    # the current page file directly, as AppTest 1.67 emulates a pages/ folder; a server does not.)
    again = AppTest.from_file(str(APP), default_timeout=TIMEOUT_S)
    again.query_params["p"] = token
    ok(again.run())
    assert "Anna Berg\nAktör academia (Akademi)" in texts(again)
    assert participant_view(engine, token).display_name == "Anna Berg"


def test_code_can_be_typed_when_the_url_has_none(engine):
    s = make_setup(engine)
    at = open_join()
    assert at.text_input(key="join-code").value == ""
    ok(at.text_input(key="join-code").set_value(s.join_code.lower()).run())
    ok(at.button(key="join-continue").click().run())

    assert "Testworkshop" in texts(at)
    assert not at.error
    fill_and_join(at, "Per", s.actors["public"])
    assert participants(engine) == [("Per", s.actors["public"], "public")]


def counted_guess(before: dict[str, int], engine) -> bool:  # noqa: ANN001
    """Exactly one wrong code was counted against the session, and nothing else was written."""
    return table_counts(engine) == {**before, "attempts": before["attempts"] + 1}


def test_unknown_code_in_the_url_shows_the_swedish_error_and_counts_one_guess_only(engine):
    make_setup(engine)
    before = table_counts(engine)
    at = open_join("NOPE42")

    assert errors(at) == ["Ingen öppen workshop har koden NOPE42. Kontrollera koden på skärmen."]
    assert not [w for w in at.text_input if w.key == "join-name"]
    ok(at.button(key="join-continue").click().run())
    assert errors(at) == ["Ingen öppen workshop har koden NOPE42. Kontrollera koden på skärmen."]
    ok(at.text_input(key="join-code").set_value("NOPE4").run())  # a rerun while typing
    assert counted_guess(before, engine)  # the page's reruns do not count the same code again


def test_typed_unknown_code_is_refused_and_counts_one_guess_only(engine):
    make_setup(engine)
    before = table_counts(engine)
    at = open_join()
    ok(at.text_input(key="join-code").set_value("zz-99").run())
    ok(at.button(key="join-continue").click().run())

    assert errors(at) == ["Ingen öppen workshop har koden ZZ99. Kontrollera koden på skärmen."]
    assert "join" not in at.query_params
    assert counted_guess(before, engine)


def test_a_closed_workshops_code_gets_the_same_answer_as_a_code_never_used(engine):
    s = make_setup(engine)
    ops.set_workshop_open(engine, s.fac, False)
    before = table_counts(engine)
    at = open_join(s.join_code)

    assert errors(at) == [f"Ingen öppen workshop har koden {s.join_code}. Kontrollera koden på skärmen."]
    assert counted_guess(before, engine)


def test_a_typed_code_that_is_not_letters_and_digits_is_refused_without_counting_a_guess(engine):
    make_setup(engine)
    before = table_counts(engine)
    at = open_join()
    ok(at.text_input(key="join-code").set_value("+SUM(1,1)").run())
    ok(at.button(key="join-continue").click().run())

    assert errors(at) == [
        "Anslutningskod består bara av bokstäver och siffror, högst 12. Kontrollera koden på skärmen."
    ]
    assert table_counts(engine) == before


def test_wrong_codes_typed_on_the_page_are_throttled_and_then_the_right_code_is_refused_too(engine):
    s = make_setup(engine)
    at = open_join()
    for i in range(throttle.WRONG_CODES_PER_SESSION.count):
        ok(at.text_input(key="join-code").set_value(f"ZZZZZ{i + 2}").run())
        ok(at.button(key="join-continue").click().run())
        assert errors(at) == [f"Ingen öppen workshop har koden ZZZZZ{i + 2}. Kontrollera koden på skärmen."]
    ok(at.text_input(key="join-code").set_value(s.join_code).run())
    before = table_counts(engine)
    ok(at.button(key="join-continue").click().run())

    assert errors(at) == [THROTTLED_CODES]
    assert "join" not in at.query_params and not [w for w in at.text_input if w.key == "join-name"]
    assert table_counts(engine) == before
    # (Every AppTest runs as the same session, "test session id"; that another session still gets
    # in is tests/unit/test_join_throttle.py's.)


def test_joining_again_and_again_from_one_session_is_throttled(engine):
    """The join flood through the page: one browser session joining over and over."""
    s = make_setup(engine)
    at = open_join(s.join_code)
    for i in range(throttle.JOINS_PER_SESSION.count):
        fill_and_join(at, f"Klon {i}", s.actors["civil"])
        assert not at.error and at.query_params.get("p")
        at.query_params.clear()  # back to the join page, in the same browser session
        at.query_params["join"] = s.join_code
        ok(at.run())  # the router now registers the visitor's pages again
        ok(at.switch_page("pages/join.py").run())
    before = table_counts(engine)
    fill_and_join(at, "Klon", s.actors["civil"])

    assert errors(at) == [
        "Härifrån har någon gått med flera gånger på kort tid. Vänta 10 min innan du går med igen. "
        "Har du redan gått med tar din personliga länk dig tillbaka."
    ]
    assert table_counts(engine) == before and "p" not in at.query_params
    assert len(participants(engine)) == throttle.JOINS_PER_SESSION.count


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("x" * 61, "Ditt namn får vara högst 60 tecken men är 61, alltså 1 för många."),
        ("   ", "Ditt namn måste fyllas i."),
    ],
)
def test_bad_name_is_refused_with_the_engines_message_and_nothing_is_written(engine, name, message):
    s = make_setup(engine)
    at = open_join(s.join_code)
    before = table_counts(engine)
    fill_and_join(at, name, s.actors["business"])

    assert errors(at) == [message]
    assert table_counts(engine) == before
    assert "p" not in at.query_params
    assert at.text_input(key="join-name").value == name  # kept, to be corrected


def test_missing_organisation_is_refused(engine):
    s = make_setup(engine)
    at = open_join(s.join_code)
    ok(at.text_input(key="join-name").set_value("Anna").run())
    ok(at.button(key="join-submit").click().run())

    assert errors(at) == ["Organisation måste fyllas i."]
    assert participants(engine) == []


def test_new_organisation_with_its_helix_group_is_added_on_joining(engine):
    s = make_setup(engine)
    at = open_join(s.join_code)
    ok(at.text_input(key="join-name").set_value("Lisa").run())
    ok(at.selectbox(key="join-actor").select(-1).run())
    assert at.radio(key="join-new-helix").options == ["Näringsliv", "Akademi", "Offentlig sektor", "Civilsamhälle"]
    ok(at.text_input(key="join-new-name").set_value("Heimbygda").run())
    ok(at.radio(key="join-new-helix").set_value("civil").run())
    ok(at.button(key="join-submit").click().run())

    assert not at.error
    [(name, actor_id, helix)] = participants(engine)
    assert (name, helix) == ("Lisa", "civil")
    assert actor_id not in s.actors.values()
    assert participant_view(engine, at.query_params["p"]).actor_name == "Heimbygda"


def test_new_organisation_is_not_offered_when_the_workshop_forbids_it(engine):
    s = make_setup(engine)
    ops.set_workshop_options(engine, s.fac, allow_new_actors=False)
    at = open_join(s.join_code)

    options = at.selectbox(key="join-actor").options
    assert len(options) == len(s.actors)
    assert not [o for o in options if "lägg till" in o]


def test_new_organisation_is_refused_if_forbidden_after_the_page_opened(engine):
    s = make_setup(engine)
    at = open_join(s.join_code)
    ok(at.text_input(key="join-name").set_value("Lisa").run())
    ok(at.selectbox(key="join-actor").select(-1).run())
    ok(at.text_input(key="join-new-name").set_value("Heimbygda").run())
    ok(at.radio(key="join-new-helix").set_value("civil").run())
    ops.set_workshop_options(engine, s.fac, allow_new_actors=False)
    before = table_counts(engine)
    ok(at.button(key="join-submit").click().run())

    assert errors(at) == [
        "Välj din organisation i listan. Nya organisationer kan inte läggas till i den här workshopen."
    ]
    assert table_counts(engine) == before


def test_typed_markup_in_workshop_and_organisation_names_is_plain_text(engine):
    s = make_setup(engine)
    typed = "<b>Fet</b> [länk](http://x)"
    ops.add_actor(engine, SYSTEM, s.process_id, typed, "business")
    at = open_join(s.join_code)

    assert f"{typed} (Näringsliv)" in at.selectbox(key="join-actor").options
    for element in [*at.title, *at.markdown, *at.caption, *at.subheader]:
        assert "Fet" not in element.value
