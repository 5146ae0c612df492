"""The hostile-input corpus through the screens (AppTest): a participant's proposal title and an actor
name on the set-up page. Nothing raises; typed text appears only in st.text elements (never in
Markdown-rendering ones); refusals name the field and the limit."""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from edp import i18n
from edp import workshop as ops
from edp.access import SYSTEM
from edp.imports import list_actors
from edp.live import participant_view
from tests.app.support import APP, TIMEOUT_S, as_organiser, ok, organiser_token
from tests.conftest import table_counts
from tests.factory import make_setup
from tests.unit.test_hostile_input import CORPUS, HUGE, MUST_REFUSE, NOT_HUGE, normalised

# Strings a browser can send at all (a text box cannot carry a lone surrogate).
TYPABLE = {k: v for k, v in NOT_HUGE.items() if k != "lone_surrogate"}


def markdown_values(at: AppTest) -> list[str]:
    """Every element that renders Markdown or HTML."""
    out: list[str] = []
    for kind in ("markdown", "caption", "error", "warning", "success", "info", "title", "header", "subheader"):
        out += [str(e.value) for e in getattr(at, kind)]
    return out


def assert_inert(at: AppTest, shown: str) -> None:
    """`shown` (or, for multi-word text, each non-trivial piece of it) appears in no Markdown element."""
    probes = {shown, *(w for w in shown.split() if len(w) >= 4)}
    leaks = [(p, m) for p in probes for m in markdown_values(at) if p in m]
    assert not leaks, leaks


# ---------------------------------------------------------------- participant: proposal title


def proposing_page(engine):  # noqa: ANN001, ANN201
    s = make_setup(engine, participants={"public": 1})
    ops.set_phase(engine, s.fac, s.round_id, "proposing")
    at = AppTest.from_file(str(APP), default_timeout=TIMEOUT_S)
    at.query_params["p"] = s.tokens[0]
    return s, ok(at.run())


def propose(at: AppTest, title: str) -> AppTest:
    next(w for w in at.text_input if w.key.endswith("-title")).set_value(title)
    [button] = [b for b in at.button if b.label == i18n.t("ui.part.propose_submit", "sv")] or [
        b for b in at.button if b.label == "Skicka förslaget"
    ]
    return ok(button.click().run())


@pytest.mark.parametrize("name", list(TYPABLE))
def test_proposed_title_is_shown_only_as_plain_text_or_refused(engine, name):
    s, at = proposing_page(engine)
    value = TYPABLE[name]
    at = propose(at, value)
    mine = participant_view(engine, s.tokens[0]).proposals
    if name in MUST_REFUSE:
        assert mine == ()
        assert [e.value for e in at.error] == [
            i18n.t("input.control_characters", "sv", field=i18n.field_label("title", "sv"))
        ]
        return
    expected = normalised(value, multiline=False)
    assert [p.title for p in mine] == [expected]
    assert expected in [e.value for e in at.text]  # listed under "Dina förslag", literally
    assert_inert(at, expected)


def test_a_100000_character_title_is_refused_naming_the_field_and_the_limit(engine):
    s, at = proposing_page(engine)
    before = table_counts(engine)
    at = propose(at, HUGE)
    assert [e.value for e in at.error] == [
        i18n.t("input.too_long", "sv", field=i18n.field_label("title", "sv"), max=120, length=len(HUGE))
    ]
    assert "Rubrik" in at.error[0].value and "120" in at.error[0].value
    assert participant_view(engine, s.tokens[0]).proposals == ()
    assert table_counts(engine) == before
    assert not any(HUGE[:200] in m for m in markdown_values(at))


# ---------------------------------------------------------------- set-up: actor name


def setup_page(engine, s) -> AppTest:  # noqa: ANN001
    return as_organiser(organiser_token(engine, leads=s.process_id), "pages/setup.py")


def add_actor(at: AppTest, name: str) -> AppTest:
    at.text_input(key="actor-add-name-0").set_value(name)
    at.selectbox(key="actor-add-helix-0").set_value("civil")
    [button] = [b for b in at.button if b.label == i18n.t("ui.setup.add_actor", "sv")]
    return ok(button.click().run())


@pytest.mark.parametrize("name", list(TYPABLE))
def test_actor_name_is_shown_only_as_plain_text_or_refused(engine, name):
    s = make_setup(engine)
    value = TYPABLE[name]
    at = add_actor(setup_page(engine, s), value)
    names = [a["name"] for a in list_actors(engine, SYSTEM, s.process_id)]
    if name in MUST_REFUSE:
        assert len(names) == 4
        shown = [e.value for e in at.error] + [e.value for e in at.text]
        expected = i18n.t("input.control_characters", "sv", field=i18n.field_label("actor_name", "sv"))
        assert expected in shown, shown
        return
    expected = normalised(value, multiline=False)
    assert expected in names
    assert_inert(at, expected)


def test_a_100000_character_actor_name_is_capped_by_the_widget_or_refused(engine):
    """The actor-name box has max_chars=200: the widget keeps at most 200 characters (a browser will
    not take more), so either the engine's too-long refusal shows or exactly 200 characters are stored."""
    s = make_setup(engine)
    at = add_actor(setup_page(engine, s), HUGE)
    shown = [e.value for e in at.error] + [e.value for e in at.text]
    expected = i18n.t("input.too_long", "sv", field=i18n.field_label("actor_name", "sv"), max=200, length=len(HUGE))
    names = [a["name"] for a in list_actors(engine, SYSTEM, s.process_id)]
    assert expected in shown or HUGE[:200] in names, [x[:200] for x in shown]
    assert all(len(n) <= 200 for n in names)
    assert not any(HUGE[:201] in m for m in markdown_values(at))


def test_corpus_is_shared_with_the_engine_tests():
    assert CORPUS["huge"] == HUGE and len(HUGE) == 100_000
