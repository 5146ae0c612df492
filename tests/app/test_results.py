"""The results page through AppTest: the demo's rounds and tally, downloads, and who sees which round.

Run on the page file itself: the visitor's page set in app.py also needs pages other developers are
still writing, and this page does not depend on the router.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from edp import workshop as ops
from edp.access import SYSTEM
from edp.voting.ballots import submit_ballot
from tests.app.support import TIMEOUT_S, organiser_token
from tests.factory import PASSCODE, make_setup

PAGE = Path(__file__).resolve().parents[2] / "pages" / "results.py"


def summary_of(template: Path) -> dict:
    return json.loads((template.parent / "summary.json").read_text())


def results_page(
    *, round_id: str | None = None, console: tuple[int, str] | None = None, org: str | None = None
) -> AppTest:
    """The results page; `console` = (workshop id, console token) of this tab, `org` an organiser's session."""
    at = AppTest.from_file(str(PAGE), default_timeout=TIMEOUT_S)
    if round_id is not None:
        at.query_params["round"] = round_id
    if console is not None:
        at.session_state["fac_workshop"], at.session_state["fac_token"] = console
    if org is not None:
        at.session_state["org_token"] = org
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def round_box(at: AppTest):  # noqa: ANN201
    return next(s for s in at.selectbox if s.key and s.key.startswith("res_round_"))


def table(at: AppTest, key_column: str, *, columns: int | None = None):  # noqa: ANN201
    """The first table with this column (and, if given, exactly this many columns)."""
    return next(
        d.value for d in at.dataframe if key_column in d.value.columns and columns in (None, len(d.value.columns))
    )


def test_demo_rounds_are_listed_and_the_dots_tally_is_shown(use_db, demo_template):
    use_db(demo_template)
    summary = summary_of(demo_template)
    at = results_page()

    box = round_box(at)
    assert box.options == ["Omgång 1: Prickröstning", "Omgång 2: Bedömning mot kriterier"]
    box.select(summary["dots_round_id"]).run()
    assert not at.exception

    ranking = table(at, "Prickar")
    assert list(ranking["Prickar"])[:6] == ["16", "15", "12", "11", "10", "9"]
    assert list(ranking["Tema"])[0] == "Kulturarv som drivkraft för platsbaserad innovation"
    assert list(ranking["Plats"])[7:9] == ["8=", "8="]
    assert "24 av 26 deltagare röstade (92 %)." in [c.value for c in at.caption]


def test_three_downloads_are_offered(use_db, demo_template):
    use_db(demo_template)
    at = results_page()
    assert [b.label for b in at.get("download_button")] == [
        "Resultat (CSV)", "Resultat (Excel)", "Röstsedlar (CSV, anonymiserade)",
    ]  # fmt: skip


def test_balanced_and_raw_rankings_are_side_by_side_and_labelled(use_db, demo_template):
    use_db(demo_template)
    summary = summary_of(demo_template)
    at = results_page(round_id=str(summary["dots_round_id"]))

    assert "**Helixbalanserat: varje redovisad helixgrupp som röstat väger lika**" in [m.value for m in at.markdown]
    raw, balanced = table(at, "Prickar", columns=3), table(at, "Helixbalanserat", columns=3)
    assert list(raw["Prickar"])[:3] == ["16", "15", "12"]
    # Balanced: civil society's 7 dots on the first theme weigh more, and two themes tie at 13.2.
    assert list(balanced["Helixbalanserat"])[:3] == ["18,7", "13,2", "13,2"]
    assert list(balanced["Plats"])[:3] == ["1", "2=", "2="]


def test_score_round_has_a_heatmap_per_criterion(use_db, demo_template):
    use_db(demo_template)
    summary = summary_of(demo_template)
    at = results_page(round_id=str(summary["score_round_id"]))

    specs = [json.loads(c.proto.spec) for c in at.get("plotly_chart")]
    heat = [s for s in specs if s["data"][0]["type"] == "heatmap"]
    assert len(heat) == 1
    assert heat[0]["data"][0]["x"] == [
        "Innovationspotential", "Kritisk massa", "Marknadspotential", "Koppling till regionens styrkor",
    ]  # fmt: skip
    funnel = [s for s in specs if s["data"][0]["type"] == "funnel"]
    assert funnel[0]["data"][0]["x"] == [21, 20, 6, 3]


def closed_unrevealed(engine):  # noqa: ANN001, ANN201
    """A workshop whose dots round is closed with a ballot in it, and not revealed."""
    setup = make_setup(engine, participants={"business": 1}, themes=2, phase="voting")
    submit_ballot(engine, setup.tokens[0], setup.round_id, {setup.themes[1]: 3})
    ops.close_round(engine, setup.fac, setup.round_id)
    return setup


def test_a_visitor_cannot_open_an_unrevealed_round(use_db):
    engine = use_db()
    setup = closed_unrevealed(engine)
    at = results_page(round_id=str(setup.round_id))

    assert [w.value for w in at.warning] == ["Resultaten för den omgången är inte publicerade."]
    assert "Den här workshopen har inga publicerade resultat än." in [i.value for i in at.info]
    assert not at.dataframe and not at.get("plotly_chart") and not at.get("download_button")
    assert not [s for s in at.selectbox if s.key and s.key.startswith("res_round_")]


@pytest.mark.parametrize("bad", ["999999", "abc", "-1"])
def test_a_round_id_that_does_not_exist_shows_a_warning(use_db, demo_template, bad):
    use_db(demo_template)
    at = results_page(round_id=bad)
    assert [w.value for w in at.warning] == ["Resultaten för den omgången är inte publicerade."]
    assert round_box(at).options  # the published rounds are still there to pick


def test_the_workshops_facilitator_sees_its_closed_round_before_the_reveal(use_db):
    engine = use_db()
    setup = closed_unrevealed(engine)
    at = results_page(round_id=str(setup.round_id), console=(setup.workshop_id, setup.fac))

    assert not at.warning
    assert round_box(at).options == ["Omgång 1: Prickröstning – ej visad för deltagarna"]
    assert list(table(at, "Prickar")["Tema"]) == ["Tema 2", "Tema 1"]


def test_the_process_observer_sees_the_closed_round_before_the_reveal(use_db):
    engine = use_db()
    setup = closed_unrevealed(engine)
    at = results_page(round_id=str(setup.round_id), org=organiser_token(engine, observes=setup.process_id))
    assert not at.warning
    assert list(table(at, "Prickar")["Tema"]) == ["Tema 2", "Tema 1"]


def test_another_workshops_facilitator_does_not_see_it(use_db):
    engine = use_db()
    setup = closed_unrevealed(engine)
    other = ops.create_workshop(engine, SYSTEM, setup.process_id, "Annan workshop", PASSCODE)
    other_console = ops.login_facilitator(engine, other.id, PASSCODE)
    for viewer in ({"console": (other.id, other_console)}, {"console": (setup.workshop_id, "forged-token")},
                   {"org": organiser_token(engine)}):  # fmt: skip
        at = results_page(round_id=str(setup.round_id), **viewer)
        assert at.warning and not at.dataframe


def test_english_labels_follow_the_language(use_db, demo_template):
    use_db(demo_template)
    at = AppTest.from_file(str(PAGE), default_timeout=TIMEOUT_S)
    at.session_state["lang"] = "en"
    at.run()
    assert not at.exception
    assert round_box(at).options == ["Round 1: Dot voting", "Round 2: Scoring against criteria"]
    assert [b.label for b in at.get("download_button")][0] == "Results (CSV)"


def test_results_page_is_reachable_from_the_visitors_sidebar(use_db, demo_template):
    use_db(demo_template)
    app = PAGE.parents[1] / "app.py"
    at = AppTest.from_file(str(app), default_timeout=TIMEOUT_S).run()
    at.switch_page("pages/results.py").run()
    assert not at.exception, [e.value for e in at.exception]
    assert [t.value for t in at.title] == ["Resultat"]
    assert len(at.get("download_button")) == 3


def test_a_round_with_small_helix_groups_shows_other_and_says_so(use_db):
    engine = use_db()
    s = make_setup(engine, participants={"business": 3, "academia": 2, "civil": 1}, themes=2, phase="voting")
    for tok in s.tokens:
        submit_ballot(engine, tok, s.round_id, {s.themes[0]: 1, s.themes[1]: 2})
    ops.close_round(engine, s.fac, s.round_id)
    ops.reveal_results(engine, s.fac, s.round_id)
    at = results_page(round_id=str(s.round_id))

    note = "Helixgrupper med färre än 3 röstande redovisas tillsammans som ”Övriga”, så att ingens röst kan pekas ut: "
    assert note + "Akademi, Civilsamhälle." in [c.value for c in at.caption]
    ranking = table(at, "Prickar")
    assert {"Näringsliv", "Övriga (Akademi, Civilsamhälle)"} <= set(ranking.columns)
    assert not {"Akademi", "Civilsamhälle"} & set(ranking.columns)  # the small groups have no column
    assert list(ranking["Övriga (Akademi, Civilsamhälle)"]) == ["6", "3"]  # academia 2 + civil 1 ballots


def test_score_figures_are_a_named_weighted_sum_written_as_the_chart_writes_them(use_db, demo_template):
    use_db(demo_template)
    summary = summary_of(demo_template)
    at = results_page(round_id=str(summary["score_round_id"]))

    ranking = table(at, "Viktad poängsumma")
    first = list(ranking["Viktad poängsumma"])[0]
    assert first == "19,7"  # one decimal and a comma, as on the chart's bar ("19,7") and the phones
    bars = next(json.loads(c.proto.spec) for c in at.get("plotly_chart") if "Viktad" in c.proto.spec)
    assert bars["layout"]["xaxis"]["title"]["text"] == "Viktad poängsumma"
    assert any("19,7" in "".join(map(str, trace.get("text") or [])) for trace in bars["data"])
    assert any(c.value.startswith("Viktad poängsumma: för varje röstande") and "mellan" in c.value for c in at.caption)
    assert not [c.value for c in at.caption if "medelpoäng" in c.value]


def test_english_results_use_a_decimal_point_and_name_the_unit(use_db, demo_template):
    use_db(demo_template)
    summary = summary_of(demo_template)
    at = AppTest.from_file(str(PAGE), default_timeout=TIMEOUT_S)
    at.session_state["lang"] = "en"
    at.query_params["round"] = str(summary["score_round_id"])
    at.run()
    assert not at.exception
    assert list(table(at, "Weighted score sum")["Weighted score sum"])[0] == "19.7"


def test_charts_have_no_english_only_toolbar(use_db, demo_template):
    use_db(demo_template)
    at = results_page()
    charts = at.get("plotly_chart")
    assert charts
    assert all(json.loads(c.proto.config or "{}").get("displayModeBar") is False for c in charts)
    assert any("stElementToolbar" in h.proto.body and "display: none" in h.proto.body for h in at.get("html"))


def test_charts_keep_their_own_legible_fonts_not_streamlits_theme(use_db, demo_template):
    """Streamlit's chart theme would draw the labels in 12 px grey (3.7:1): every chart on the page is
    drawn as the figure says, in 14 px black on white."""
    use_db(demo_template)
    summary = summary_of(demo_template)
    at = results_page(round_id=str(summary["score_round_id"]))
    charts = at.get("plotly_chart")
    assert len(charts) >= 4
    assert all(c.proto.theme == "" for c in charts)
    for spec in (json.loads(c.proto.spec) for c in charts):
        font = spec["layout"]["font"]
        assert font["size"] >= 14 and font["color"] == "#000000"
