"""A voter who is quick: every method's ballot filled in as fast as Playwright can click (no pause
between clicks), and sent at once, as soon as the ballot appears. What was entered is what is
stored, the page confirms it from the database, and nothing is refused as empty.

A refused ballot keeps what the voter entered: a score ballot with one criterion left blank is
refused with the engine's reason, and every box the voter chose is still chosen.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from playwright.sync_api import Browser, Page, expect
from sqlalchemy import Engine

from edp import workshop as ops
from edp.db import make_engine
from edp.live import participant_view
from tests.e2e.screenshot import make_empty_database, streamlit_server, wait_idle
from tests.factory import make_setup

pytestmark = pytest.mark.browser

THEMES = 20
SAVED = "Din röst är sparad"
SUBMIT = "Skicka min röst"
EMPTY = "Rösten är tom"
CRITERIA = ("Potential", "Förankring")


@dataclass
class Rooms:
    base: str
    engine: Engine
    tokens: dict[str, list[str]]
    rounds: dict[str, int]
    themes: dict[str, list[int]]
    criteria: list[int]  # the score round's, in ballot order


@pytest.fixture(scope="module")
def rooms(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Rooms]:
    tmp = tmp_path_factory.mktemp("fast")
    db_url = make_empty_database(tmp / "edp.sqlite")
    engine = make_engine(db_url)
    specs = {
        "approval": ops.RoundSpec(method="approval"),
        "score": ops.RoundSpec(
            method="score", criteria=[ops.CriterionSpec(n, n, scale_min=1, scale_max=5) for n in CRITERIA]
        ),
        "rank": ops.RoundSpec(method="rank", rank_count=5),
        "dots": ops.RoundSpec(method="dots", dots_per_participant=10, max_dots_per_theme=3),
    }
    tokens, rounds, themes, criteria = {}, {}, {}, []
    for method, spec in specs.items():
        s = make_setup(engine, spec, participants={"civil": 2}, themes=THEMES, phase="voting")
        tokens[method], rounds[method], themes[method] = list(s.tokens), s.round_id, list(s.themes)
        criteria += s.criteria
    with streamlit_server(db_url, tmp / "server.log") as base:
        yield Rooms(base, engine, tokens, rounds, themes, criteria)
    engine.dispose()


@pytest.fixture
def phone(browser: Browser, rooms: Rooms) -> Iterator[Page]:
    context = browser.new_context(viewport={"width": 390, "height": 844})
    page = context.new_page()
    page.goto(rooms.base)
    wait_idle(page)
    yield page
    context.close()


def open_ballot(page: Page, rooms: Rooms, token: str) -> None:
    page.goto(f"{rooms.base}/?p={token}")
    expect(page.get_by_role("button", name=SUBMIT)).to_be_visible(timeout=30_000)


def stored(rooms: Rooms, token: str) -> list[tuple[int, int | None, int]]:
    return sorted(participant_view(rooms.engine, token).ballot)


def confirmed(page: Page) -> None:
    expect(page.get_by_text(SAVED)).to_be_visible(timeout=15_000)
    expect(page.get_by_text(EMPTY)).to_have_count(0)


def test_twenty_approvals_clicked_at_full_speed_and_sent_at_once_are_stored(phone: Page, rooms: Rooms):
    token, rid = rooms.tokens["approval"][0], rooms.rounds["approval"]
    open_ballot(phone, rooms, token)
    for tid in rooms.themes["approval"]:
        phone.locator(f".st-key-ballot-{rid}-approve-{tid}").get_by_text("Jag stöder det här temat").click()
    phone.get_by_role("button", name=SUBMIT).click()
    confirmed(phone)
    assert {tid for tid, _c, _v in stored(rooms, token)} == set(rooms.themes["approval"])


def test_forty_scores_clicked_at_full_speed_and_sent_at_once_are_stored(phone: Page, rooms: Rooms):
    token, rid = rooms.tokens["score"][0], rooms.rounds["score"]
    open_ballot(phone, rooms, token)
    groups = phone.locator(f".st-key-ballot-{rid}-edpballot [class*='-edpscore-']")
    expect(groups).to_have_count(THEMES * len(CRITERIA))
    for g in range(THEMES * len(CRITERIA)):
        groups.nth(g).get_by_test_id("stRadioOption").nth(g % 5).click()
    phone.get_by_role("button", name=SUBMIT).click()
    confirmed(phone)
    # Box by box: theme t's criterion c is the (t * criteria + c)-th row of boxes, given g % 5 + 1.
    n = len(CRITERIA)
    expected = {(rooms.themes["score"][g // n], rooms.criteria[g % n]): g % 5 + 1 for g in range(THEMES * n)}
    assert {(tid, cid): v for tid, cid, v in stored(rooms, token)} == expected


def test_five_places_ranked_at_full_speed_and_sent_at_once_are_stored(phone: Page, rooms: Rooms):
    token, rid = rooms.tokens["rank"][0], rooms.rounds["rank"]
    open_ballot(phone, rooms, token)
    picks = [f"Tema {n}" for n in (7, 3, 19, 1, 12)]
    for pos, title in enumerate(picks, start=1):
        box = phone.locator(f".st-key-ballot-{rid}-rank-{pos}")
        box.click()
        box.locator("input").fill(title)  # the list shows a few options at a time: type to find one
        phone.get_by_role("option", name=title, exact=True).click()
    phone.get_by_role("button", name=SUBMIT).click()
    confirmed(phone)
    by_place = {v: tid for tid, _c, v in stored(rooms, token)}
    titles = {tid: f"Tema {i}" for i, tid in enumerate(rooms.themes["rank"], start=1)}
    assert [titles[by_place[p]] for p in range(1, 6)] == picks


def test_ten_dots_given_at_full_speed_and_sent_at_once_are_stored(phone: Page, rooms: Rooms):
    token = rooms.tokens["dots"][0]
    open_ballot(phone, rooms, token)
    plan = {1: 3, 2: 3, 5: 2, 20: 2}  # theme number -> dots: all ten
    for n, dots in plan.items():
        for _ in range(dots):
            phone.get_by_role("button", name=f"Fler prickar till tema {n}", exact=True).click()
    phone.get_by_role("button", name=SUBMIT).click()
    confirmed(phone)
    themes = rooms.themes["dots"]
    assert {tid: v for tid, _c, v in stored(rooms, token)} == {themes[n - 1]: d for n, d in plan.items()}


def test_a_refused_score_ballot_keeps_every_box_the_voter_chose(phone: Page, rooms: Rooms):
    token, rid = rooms.tokens["score"][1], rooms.rounds["score"]
    open_ballot(phone, rooms, token)
    groups = phone.locator(f".st-key-ballot-{rid}-edpballot [class*='-edpscore-']")
    chosen = range(0, 2 * len(CRITERIA) - 1)  # the first theme in full, the second with one criterion blank
    for g in chosen:
        groups.nth(g).get_by_test_id("stRadioOption").nth(2).click()
    phone.get_by_role("button", name=SUBMIT).click()
    expect(phone.get_by_test_id("stAlertContentError")).to_be_visible(timeout=15_000)
    wait_idle(phone)
    for g in chosen:
        expect(groups.nth(g).get_by_role("radio").nth(2)).to_be_checked()
    assert stored(rooms, token) == [], "a refused ballot was stored"
