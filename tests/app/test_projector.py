"""The projector page (?projector=KEY) through AppTest: a big QR code before proposals, then the
proposals page by page with the code in a corner, turnout only while voting, the ranking (then the
funnel) after the reveal, sized for the screen the browser reports; an unknown workshop, no controls.
The geometry in a real browser is tests/e2e/test_projector_browser.py."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from edp import demo
from edp import workshop as ops
from edp.access import SYSTEM
from edp.config import database_url
from edp.db import make_engine
from edp.ui import projector as screen_layout
from edp.voting.ballots import submit_ballot
from edp.voting.tally import round_results
from tests.app.support import APP, TIMEOUT_S
from tests.factory import make_setup, projector_key

WIDGETS = ("button", "selectbox", "text_input", "checkbox", "radio", "multiselect", "number_input", "slider",
           "download_button", "toggle", "text_area", "form_submit_button")  # fmt: skip


@pytest.fixture(autouse=True)
def _public_url(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("EDP_PUBLIC_URL", "http://edp.example:8501")


def summary_of(template: Path) -> dict:
    return json.loads((template.parent / "summary.json").read_text())


def projector(workshop_id: int | str, **params: str) -> AppTest:
    """The projector of a workshop (by id, opened at its secret ?projector=KEY), or of a raw key."""
    key = workshop_id
    if isinstance(workshop_id, int):
        engine = make_engine(database_url())
        key = projector_key(engine, workshop_id) or "no-such-key"
        engine.dispose()
    at = AppTest.from_file(str(APP), default_timeout=TIMEOUT_S)
    at.query_params["projector"] = str(key)
    for k, v in params.items():
        at.query_params[k] = v
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def texts(at: AppTest) -> list[str]:
    return [e.value for e in at.text]


def charts(at: AppTest) -> list[dict]:
    return [json.loads(c.proto.spec) for c in at.get("plotly_chart")]


def metrics(at: AppTest) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


def html(at: AppTest) -> str:
    return "\n".join(h.proto.body for h in at.get("html"))


def unwrapped(labels: list[str]) -> list[str]:
    """Tick labels as the room reads them: the lines of a wrapped label joined by a space."""
    return [label.replace("<br>", " ") for label in labels]


def test_before_voting_shows_join_code_qr_url_counts_and_proposals(use_db, demo_template):
    use_db(demo_template)
    at = projector(summary_of(demo_template)["open_workshop_id"])

    assert "JAMT26" in texts(at)
    assert "http://edp.example:8501/?join=JAMT26" in texts(at)
    # The QR code (an <img>, in the corner once proposals came in) names the address it holds.
    assert 'alt="QR-kod för att gå med i workshopen: http://edp.example:8501/?join=JAMT26"' in html(at)
    assert at.get("html") and not at.image
    for title in ("Gemensam digital evenemangskalender för hela länet", "Sydsamiskt hantverk (duedtie) som näring"):
        assert f"• {title}" in texts(at)
    assert metrics(at) == {"Deltagare": "3", "Förslag": "3"}
    assert charts(at) == []


def test_proposal_titles_are_plain_text_never_markup(use_db):
    engine = use_db()
    setup = make_setup(engine, participants={"civil": 1})
    ops.set_phase(engine, setup.fac, setup.round_id, "proposing")
    typed = "**Fet** <b>x</b> [länk](http://e.se)"
    ops.propose(engine, setup.tokens[0], setup.round_id, ops.ThemeInput(title=typed))
    at = projector(setup.workshop_id)

    assert f"• {typed}" in texts(at)
    assert not [m.value for m in at.markdown if "Fet" in m.value]


def voting_setup(engine):  # noqa: ANN001, ANN201
    setup = make_setup(engine, participants={"business": 2, "academia": 1, "civil": 1}, themes=3, phase="voting")
    submit_ballot(engine, setup.tokens[0], setup.round_id, {setup.themes[0]: 3, setup.themes[1]: 2})
    submit_ballot(engine, setup.tokens[2], setup.round_id, {setup.themes[2]: 3})
    return setup


def test_during_voting_shows_turnout_and_no_results(use_db):
    engine = use_db()
    setup = voting_setup(engine)
    at = projector(setup.workshop_id)

    shown = metrics(at)
    assert shown["Har röstat"] == "2 / 4"
    assert (shown["Näringsliv"], shown["Akademi"], shown["Offentlig sektor"], shown["Civilsamhälle"]) == (
        "1 / 2", "1 / 1", "0 / 0", "0 / 1",
    )  # fmt: skip
    assert charts(at) == []  # never partial results
    assert not at.dataframe
    assert not [t for t in texts(at) if t.startswith("• Tema")]
    assert "JAMT26" not in texts(at) and "<img" not in html(at)


def test_during_voting_with_live_results_on_shows_the_ranking(use_db):
    engine = use_db()
    setup = voting_setup(engine)
    ops.set_live_results(engine, setup.fac, setup.round_id, True)
    at = projector(setup.workshop_id)

    assert metrics(at)["Har röstat"] == "2 / 4"
    assert len(charts(at)) == 1  # the ranking; the funnel has a view of its own
    # The turnout is one compact row above the ranking, which is shorter by that row: nothing below the fold.
    scr = screen_layout.Screen()
    assert charts(at)[0]["layout"]["height"] == scr.ranking_size[1] - int(scr.live_turnout)


def test_closed_but_not_revealed_shows_no_results(use_db):
    engine = use_db()
    setup = voting_setup(engine)
    ops.close_round(engine, setup.fac, setup.round_id)
    at = projector(setup.workshop_id)

    assert "Röstningen är stängd – resultaten visas snart" in [s.value for s in at.subheader]
    assert charts(at) == []


def test_after_reveal_the_chart_follows_the_tally_and_the_funnel_is_shown(use_db, demo_template):
    engine = use_db(demo_template)
    summary = summary_of(demo_template)
    at = projector(summary["completed_workshop_id"])

    (ranking,) = charts(at)  # the ranking has the screen to itself
    themes = round_results(engine, SYSTEM, summary["score_round_id"]).themes
    bars = ranking["data"][0]
    assert unwrapped(bars["y"]) == [f"{t['rank']}. {t['title']}" for t in themes]  # whole titles, none cut
    assert ranking["layout"]["yaxis"]["tickvals"] == bars["y"]  # every name drawn
    assert bars["x"] == sorted(bars["x"], reverse=True)
    assert ranking["layout"]["font"]["size"] == 28  # a 1080p screen's text when the browser has not said otherwise

    (funnel,) = charts(projector(summary["completed_workshop_id"], view="funnel"))
    assert funnel["data"][0]["type"] == "funnel"
    assert funnel["data"][0]["x"] == [21, 20, 6, 3]


def revealed_round(engine, ballots: dict[str, list[dict[int, int]]]):  # noqa: ANN001, ANN201
    """A revealed dots round: helix group -> the ballots its participants cast (themes by index)."""
    setup = make_setup(engine, participants={g: len(b) for g, b in ballots.items()}, themes=3, phase="voting")
    mine = {g: [tok for tok in setup.tokens if setup.helix_of[tok] == g] for g in ballots}
    for g, cast in ballots.items():
        for tok, ballot in zip(mine[g], cast, strict=True):
            submit_ballot(engine, tok, setup.round_id, {setup.themes[i]: n for i, n in ballot.items()})
    ops.close_round(engine, setup.fac, setup.round_id)
    ops.reveal_results(engine, setup.fac, setup.round_id)
    return setup


def test_after_reveal_of_a_dots_round_bars_stack_by_helix_in_ranking_order(use_db):
    engine = use_db()
    # Business and academia three voters each, so each is shown on its own.
    setup = revealed_round(engine, {"business": [{0: 1, 1: 2}] * 3, "academia": [{2: 1}] * 3})
    at = projector(setup.workshop_id)

    ranking = charts(at)[0]
    helix = [tr for tr in ranking["data"] if tr.get("meta", {}).get("helix")]
    assert [tr["meta"]["helix"] for tr in helix] == ["business", "academia", "public", "civil"]
    # Tema 2 has 6 dots, Tema 1 and Tema 3 have 3 each (tied, ballot order).
    assert helix[0]["y"] == ["1. Tema 2", "2= Tema 1", "2= Tema 3"]
    assert helix[0]["x"] == [6, 3, 0] and helix[1]["x"] == [0, 0, 3]
    assert not [c for c in at.caption if "helixgrupp" in c.value]  # nothing folded: nothing to say


def test_the_projector_says_when_small_helix_groups_are_folded(use_db):
    engine = use_db()
    setup = revealed_round(engine, {"business": [{0: 3}] * 3, "academia": [{1: 2}] * 2, "civil": [{2: 1}]})
    at = projector(setup.workshop_id)
    helix = [tr for tr in charts(at)[0]["data"] if tr.get("meta", {}).get("helix")]
    assert [tr["meta"]["helix"] for tr in helix] == ["business", "public", "other"]
    assert helix[-1]["name"] == "Övriga (Akademi, Civilsamhälle)"
    note = "Helixgrupper med färre än 3 röstande redovisas tillsammans som ”Övriga”, så att ingens röst kan pekas ut: "
    assert note + "Akademi, Civilsamhälle." not in [c.value for c in at.caption]  # the details: the second view
    at = projector(setup.workshop_id, view="funnel")
    assert note + "Akademi, Civilsamhälle." in [c.value for c in at.caption]

    # Two voters in all: "other" would hold both, so the projector shows all voters as one bar.
    small = voting_setup(engine)
    ops.close_round(engine, small.fac, small.round_id)
    ops.reveal_results(engine, small.fac, small.round_id)
    at = projector(small.workshop_id)
    bars = [tr for tr in charts(at)[0]["data"] if tr["type"] == "bar"]
    assert [tr["meta"] for tr in bars] == [{"role": "total"}]
    at = projector(small.workshop_id, view="funnel")
    assert [c.value for c in at.caption if c.value.startswith("Resultatet redovisas inte per helixgrupp")]


def test_unknown_workshop_shows_a_message_not_a_traceback(use_db):
    use_db()
    at = projector(424242)  # no such workshop
    assert [e.value for e in at.error] == ["Den här workshopen finns inte. Kontrollera projektorlänken."]
    at = projector("1")  # a workshop's id is not its projector's address
    assert [e.value for e in at.error] == ["Den här workshopen finns inte. Kontrollera projektorlänken."]
    assert [e.value for e in at.error] == ["Den här workshopen finns inte. Kontrollera projektorlänken."]
    assert "<img" not in html(at) and not charts(at)


def test_projector_has_no_controls(use_db, demo_template):
    use_db(demo_template)
    summary = summary_of(demo_template)
    for wid in (summary["open_workshop_id"], summary["completed_workshop_id"]):
        at = projector(wid)
        present = {kind: len(at.get(kind)) for kind in WIDGETS if at.get(kind)}
        assert present == {}
        assert at.get("plotly_chart") == [] or all(
            json.loads(c.proto.config or "{}").get("staticPlot") for c in at.get("plotly_chart")
        )


def styles(at: AppTest) -> str:
    return "\n".join(h.proto.body for h in at.get("html"))


def test_dark_theme_is_chosen_in_the_url(use_db, demo_template):
    use_db(demo_template)
    wid = summary_of(demo_template)["open_workshop_id"]
    assert "background-color: #000000" not in styles(projector(wid))
    dark = projector(wid, theme="dark")
    assert "background-color: #000000" in styles(dark)
    assert "JAMT26" in texts(dark)


def test_language_can_be_set_in_the_url(use_db, demo_template):
    use_db(demo_template)
    at = projector(summary_of(demo_template)["open_workshop_id"], lang="en")
    assert metrics(at) == {"Participants": "3", "Proposals": "3"}


def test_a_long_ranking_shows_the_top_ten_and_says_so(use_db):
    engine = use_db()
    setup = make_setup(engine, participants={"business": 6, "academia": 4, "public": 4}, themes=14, phase="voting")
    need = {theme: max(0, 11 - i) for i, theme in enumerate(setup.themes)}  # 11, 10, ..., 1, then three at 0
    for token in setup.tokens:  # 5 dots each, at most 3 on a theme
        budget, ballot = 5, {}
        for theme in setup.themes:
            give = min(3, budget, need[theme])
            if give:
                ballot[theme], need[theme], budget = give, need[theme] - give, budget - give
        if ballot:
            submit_ballot(engine, token, setup.round_id, ballot)
    assert not any(need.values())
    ops.close_round(engine, setup.fac, setup.round_id)
    ops.reveal_results(engine, setup.fac, setup.round_id)
    at = projector(setup.workshop_id)

    bars = charts(at)[0]["data"][0]["y"]
    assert unwrapped(bars) == [f"{i}. Tema {i}" for i in range(1, 11)]
    assert "De 10 främsta av 14 teman. Hela resultatet finns under Resultat." in [c.value for c in at.caption]


def test_refreshes_reuse_the_tally_until_the_workshop_changes(use_db, demo_template, monkeypatch):
    import edp.ui.results as ui_results

    engine = use_db(demo_template)
    summary = summary_of(demo_template)
    calls = []
    real = ui_results.round_results

    def counting(engine_, who, round_id):  # noqa: ANN001, ANN202
        calls.append(round_id)
        return real(engine_, who, round_id)

    monkeypatch.setattr(ui_results, "round_results", counting)
    at = projector(summary["completed_workshop_id"])
    at.run()
    at.run()
    assert calls == [summary["score_round_id"]]

    fac = ops.login_facilitator(engine, summary["completed_workshop_id"], demo.demo_passcode())
    ops.reveal_results(engine, fac, summary["score_round_id"])  # a write: the revision moves
    at.run()
    assert calls == [summary["score_round_id"]] * 2


def test_before_any_proposal_the_qr_code_fills_the_screen_with_the_code_beside_it(use_db):
    engine = use_db()
    setup = make_setup(engine, participants={"civil": 2})  # a round in its draft
    at = projector(setup.workshop_id, lang="en")

    page = html(at)
    assert 'alt="QR code to join the workshop: http://edp.example:8501/?join=' + setup.join_code + '"' in page
    assert "min(64vh, 54vw)" in page  # 691 px at 1080p, quiet zone included
    assert setup.join_code in texts(at)
    assert metrics(at) == {"Participants": "2", "Proposals": "0"}
    assert not [s.value for s in at.subheader if s.value.startswith("Proposals so far")]


LONG = "Hållbara transporter mellan fjällbyarna och tågstationerna, inklusive anropsstyrd trafik och cykel"


def proposing_with(engine, titles: list[str]):  # noqa: ANN001, ANN201
    spec = ops.RoundSpec(method="dots", dots_per_participant=5, max_dots_per_theme=3, proposals_per_participant=20)
    setup = make_setup(engine, spec, participants={"academia": 2})
    ops.set_phase(engine, setup.fac, setup.round_id, "proposing")
    for n, title in enumerate(titles):  # at most 20 each
        ops.propose(engine, setup.tokens[n // 20], setup.round_id, ops.ThemeInput(title=title))
    return setup


def shown_proposals(at: AppTest) -> list[str]:
    return [v.removeprefix("• ") for v in texts(at) if v.startswith("• ")]


def test_proposals_that_overflow_the_screen_turn_pages_by_themselves_and_each_is_shown_once(use_db, monkeypatch):
    engine = use_db()
    titles = [f"{LONG} {i}" if i % 2 else f"Tema {i}" for i in range(24)]
    setup = proposing_with(engine, titles)
    clock = [1_000_000.0]
    monkeypatch.setattr(screen_layout.time, "time", lambda: clock[0])
    at = projector(setup.workshop_id, vw="1280", vh="720")

    pages = screen_layout.proposal_pages(list(reversed(titles)), screen_layout.Screen(1280, 720))
    assert len(pages) >= 2
    seen = []
    for n in range(len(pages)):
        assert [s.value for s in at.subheader] == [f"Inkomna förslag · sida {n + 1} av {len(pages)}"]
        on_page = shown_proposals(at)
        assert on_page and len(on_page) < len(titles)
        seen += on_page
        clock[0] += screen_layout.PAGE_SECONDS
        at.run()
    assert sorted(seen) == sorted(titles)  # every proposal on exactly one page
    assert shown_proposals(at) == [t for t in reversed(titles)][: len(shown_proposals(at))]  # back to the newest
    # The code to join stays on the screen, in a corner.
    assert setup.join_code in texts(at) and "min(26vh, 22vw)" in html(at)


def test_a_few_proposals_fit_on_one_page_without_a_page_count(use_db):
    engine = use_db()
    setup = proposing_with(engine, ["Kort", LONG])
    at = projector(setup.workshop_id)
    assert [s.value for s in at.subheader] == ["Inkomna förslag"]
    assert shown_proposals(at) == [LONG, "Kort"]


@pytest.mark.parametrize(("vw", "vh", "font"), [("1280", "720", 19), ("1920", "1080", 28), ("3840", "2160", 56)])
def test_the_ranking_is_sized_for_the_screen_the_browser_reports(use_db, demo_template, vw, vh, font):
    use_db(demo_template)
    at = projector(summary_of(demo_template)["completed_workshop_id"], vw=vw, vh=vh)
    (ranking,) = charts(at)
    layout = ranking["layout"]
    assert layout["font"]["size"] == font
    assert layout["legend"]["font"]["size"] == font
    assert int(vh) * 0.7 <= layout["height"] < int(vh) - 100  # most of the screen, below the title


def test_a_screen_size_that_is_not_a_number_falls_back_to_1080p(use_db, demo_template):
    use_db(demo_template)
    at = projector(summary_of(demo_template)["completed_workshop_id"], vw="<b>", vh="-5")
    assert charts(at)[0]["layout"]["font"]["size"] == 28


def test_after_the_reveal_the_ranking_comes_first_then_the_funnel_in_turn(use_db, demo_template, monkeypatch):
    use_db(demo_template)
    clock = [2_000_000.0]
    monkeypatch.setattr(screen_layout.time, "time", lambda: clock[0])
    at = projector(summary_of(demo_template)["completed_workshop_id"])
    kinds = []
    for step in (0, screen_layout.RANKING_SECONDS - 1, 1, screen_layout.FUNNEL_SECONDS - 1, 1):
        clock[0] += step
        at.run()
        kinds.append([c["data"][0]["type"] for c in charts(at)])
    assert kinds == [["bar"], ["bar"], ["funnel"], ["funnel"], ["bar"]]
    # A pinned view stays.
    at = projector(summary_of(demo_template)["completed_workshop_id"], view="ranking")
    clock[0] += screen_layout.RANKING_SECONDS
    at.run()
    assert [c["data"][0]["type"] for c in charts(at)] == ["bar"]


def test_proposal_pages_never_split_a_proposal_and_fit_the_screen():
    titles = [LONG] * 7 + ["Kort"] * 20
    for scr in (screen_layout.Screen(1280, 720), screen_layout.Screen(1920, 1080)):
        pages = screen_layout.proposal_pages(titles, scr)
        flat = [i for page in pages for column in page for i in column]
        assert flat == list(range(len(titles)))
        assert all(1 <= len(page) <= screen_layout.PROPOSAL_COLUMNS for page in pages)
    assert screen_layout.proposal_pages(["a"], screen_layout.Screen()) == [[[0]]]


def test_a_long_workshop_title_takes_its_lines_from_the_views_below_it():
    scr = screen_layout.Screen(1280, 720)
    short, long = scr.with_title("Testworkshop"), scr.with_title("Aktörsmöte om upplevelser och besöksnäring " * 3)
    assert short.title_lines == 1 and long.title_lines == 2
    assert long.ranking_size[1] <= short.ranking_size[1] - scr.font * 1.5  # one more line of the title's size
    assert len(screen_layout.proposal_pages(["Tema"] * 40, long)) >= len(
        screen_layout.proposal_pages(["Tema"] * 40, short)
    )
