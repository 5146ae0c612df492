"""Hostile text through the screens (AppTest). Nothing raises; typed text appears only where Streamlit
shows plain text, never where it renders Markdown or HTML (tests/app/inert.py: every element's every
field, deny by default); refusals name the field and the limit.

- The hostile-input corpus through a participant's proposal title and an actor name on the set-up page.
- A process whose every typed text is hostile Markdown with links and images (tests/hostile_world.py)
  through every screen, in every phase of its rounds: KPI units in the lead actor's update page and the
  roadmap's measurements tab among them (the red team's `st.metric` link).
"""

from __future__ import annotations

from collections.abc import Callable

import pytest
from streamlit.testing.v1 import AppTest

from edp import i18n
from edp import workshop as ops
from edp.access import SYSTEM
from edp.imports import list_actors
from edp.live import participant_view
from tests.app.inert import markdown_leaks, plain_texts
from tests.app.support import APP, TIMEOUT_S, as_organiser, ok, organiser_token
from tests.conftest import table_counts
from tests.factory import make_setup
from tests.hostile_world import ATTACKER, STAGES, World, build, to_stage
from tests.unit.test_hostile_input import CORPUS, HUGE, NOT_HUGE, outcome

# Strings a browser can send at all (a text box cannot carry a lone surrogate).
TYPABLE = {k: v for k, v in NOT_HUGE.items() if k != "lone_surrogate"}


def assert_inert(at: AppTest, shown: str) -> None:
    """`shown`, and each piece of it that carries markup, is in no element that renders Markdown."""
    probes = {shown, *(w for w in shown.split() if len(w) >= 6 and not w.isalpha())}
    leaks = markdown_leaks(at, probes)
    assert not leaks, leaks


def one_refusal(at: AppTest, key: str, field: str) -> None:
    """Exactly one error: the engine's `key` refusal, naming the field."""
    errors = [e.value for e in at.error]
    assert len(errors) == 1, errors
    label = i18n.field_label(field, "sv")
    assert errors[0].startswith(label), errors
    template = i18n.gettext(key, "sv")
    assert errors[0].endswith(template.rsplit("}", 1)[-1]), (errors, template)


# ---------------------------------------------------------------- participant: proposal title


def proposing_page(engine):  # noqa: ANN001, ANN201
    s = make_setup(engine, participants={"public": 1})
    ops.set_phase(engine, s.fac, s.round_id, "proposing")
    at = AppTest.from_file(str(APP), default_timeout=TIMEOUT_S)
    at.query_params["p"] = s.tokens[0]
    return s, ok(at.run())


def propose(at: AppTest, title: str) -> AppTest:
    next(w for w in at.text_input if w.key.endswith("-title")).set_value(title)
    [button] = [b for b in at.button if b.label == "Skicka förslaget"]
    return ok(button.click().run())


@pytest.mark.parametrize("name", list(TYPABLE))
def test_proposed_title_is_shown_only_as_plain_text_or_refused(engine, name):
    s, at = proposing_page(engine)
    value = TYPABLE[name]
    before = table_counts(engine)
    at = propose(at, value)
    mine = participant_view(engine, s.tokens[0]).proposals
    verdict, detail = outcome(name, value, multiline=False, max_len=ops.TITLE_MAX)
    if verdict == "refused":
        assert mine == ()
        assert table_counts(engine) == before
        one_refusal(at, detail, "title")
        assert next(w for w in at.text_input if w.key.endswith("-title")).value == value  # the text stays
        return
    assert [p.title for p in mine] == [detail]
    assert detail in [e.value for e in at.text]  # listed under "Dina förslag", literally
    assert_inert(at, detail)


def test_a_100000_character_title_is_refused_naming_the_field_the_limit_and_the_excess(engine):
    s, at = proposing_page(engine)
    before = table_counts(engine)
    at = propose(at, HUGE)
    assert [e.value for e in at.error] == ["Rubrik får vara högst 120 tecken men är 100000, alltså 99880 för många."]
    assert participant_view(engine, s.tokens[0]).proposals == ()
    assert table_counts(engine) == before
    assert not markdown_leaks(at, [HUGE[:200]])


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
    at = setup_page(engine, s)
    before = table_counts(engine)
    at = add_actor(at, value)
    names = [a["name"] for a in list_actors(engine, SYSTEM, s.process_id)]
    verdict, detail = outcome(name, value, multiline=False, max_len=200)
    if verdict == "refused":
        assert len(names) == 4
        assert table_counts(engine) == before
        one_refusal(at, detail, "actor_name")
        return
    assert detail in names
    assert_inert(at, detail)


def test_a_100000_character_actor_name_stays_in_the_box_and_is_refused_saying_by_how_much(engine):
    """The box no longer has max_chars (Streamlit drops a paste over it whole, leaving the box empty):
    the engine refuses the text and says by how much it is too long; the text stays to be shortened."""
    s = make_setup(engine)
    at = setup_page(engine, s)
    before = table_counts(engine)
    at = add_actor(at, HUGE)
    assert [e.value for e in at.error] == [
        "Organisationens namn får vara högst 200 tecken men är 100000, alltså 99800 för många."
    ]
    assert at.text_input(key="actor-add-name-0").value == HUGE
    assert table_counts(engine) == before
    assert not markdown_leaks(at, [HUGE[:201]])


def test_corpus_is_shared_with_the_engine_tests():
    assert CORPUS["huge"] == HUGE and len(HUGE) == 100_000


# ---------------------------------------------------------------- every screen, hostile everywhere


def app(w: World, *, fac: bool = False, org: bool = False, page: str | None = None, **query: str) -> AppTest:
    """The app for a browser tab holding the workshop's console (`fac`) or an admin's session (`org`)."""
    at = AppTest.from_file(str(APP), default_timeout=TIMEOUT_S)
    for k, v in query.items():
        at.query_params[k] = v
    if fac:
        at.session_state["fac_token"] = w.fac
        at.session_state["fac_workshop"] = w.workshop_id
    if org:
        at.session_state["org_token"] = w.organiser
    at = ok(at.run())  # the router first, then the page: as a browser tab switches pages
    return ok(at.switch_page(page).run()) if page else at


def then_pick(key_prefix: str) -> Callable[[AppTest], AppTest | None]:
    """A second look: choose another option in the first selectbox whose key starts with `key_prefix`."""

    def pick(at: AppTest) -> AppTest | None:
        box = next((b for b in at.selectbox if b.key and b.key.startswith(key_prefix)), None)
        if box is None or not box.options:
            return None
        return ok(box.select_index(1 if box.index == 0 and len(box.options) > 1 else 0).run())

    return pick


SCREENS: dict[str, tuple[Callable[[World], AppTest], tuple[Callable[[AppTest], AppTest | None], ...]]] = {
    "home": (lambda w: app(w), ()),
    "join": (lambda w: app(w, join=w.join_code), ()),
    "participant": (lambda w: app(w, p=w.tokens[0]), ()),
    "projector": (lambda w: app(w, projector=w.projector_key), ()),
    "console": (lambda w: app(w, fac=True, page="pages/facilitate.py"), (then_pick("merge-into-"),)),
    "setup": (lambda w: app(w, org=True, page="pages/setup.py"), (then_pick("actor-edit-id"),)),
    "administration": (lambda w: app(w, org=True, page="pages/admin.py"), ()),
    "registrations": (lambda w: app(w, fac=True, page="pages/register.py"), ()),
    "results": (lambda w: app(w, page="pages/results.py"), ()),
    "results, facilitator": (lambda w: app(w, fac=True, page="pages/results.py"), ()),
    "roadmaps": (lambda w: app(w, org=True, page="pages/roadmaps.py"), (then_pick("rm-kpi-"),)),
    "update link": (lambda w: app(w, u=w.update_token), ()),
}
# Screens whose content does not change with the round's phase are looked at once (and after the reveal).
EVERY_STAGE = {"participant", "projector", "console", "results", "results, facilitator"}


@pytest.mark.parametrize("stage", STAGES)
def test_every_screen_shows_hostile_text_as_plain_text_only(use_db, stage):
    engine = use_db()
    w = build(engine)
    to_stage(engine, w, stage)
    screens = SCREENS if stage in ("proposing", "revealed") else {k: SCREENS[k] for k in EVERY_STAGE}
    leaks, silent = {}, []
    for name, (open_screen, second_looks) in screens.items():
        runs = [open_screen(w)]
        runs += [again for look in second_looks if (again := look(open_screen(w))) is not None]
        for n, at in enumerate(runs):
            if found := markdown_leaks(at, [ATTACKER]):
                leaks[f"{name} #{n}"] = found
        if not any(ATTACKER in text for at in runs for text in plain_texts(at)):
            silent.append(name)
    assert leaks == {}
    assert silent == []  # every screen did show the hostile text (as plain text): the check is not vacuous


def test_the_check_finds_user_text_in_a_metric_a_label_and_a_raw_figure_tag():
    def screen() -> None:
        import plotly.graph_objects as go
        import streamlit as st

        unit = "[Klicka](http://evil.example)"
        st.metric("Senaste", f"12 {unit}")
        st.text_input(f"Namn {unit}")
        st.text(unit)  # plain: not a leak
        st.plotly_chart(go.Figure(layout={"title": {"text": '<a href="http://evil.example">x</a>'}}))

    at = ok(AppTest.from_function(screen).run())
    assert sorted((kind, path) for kind, path, _ in markdown_leaks(at, ["evil.example"])) == [
        ("metric", ".body"),
        ("plotly_chart", ".spec"),
        ("text_input", ".label"),
    ]
