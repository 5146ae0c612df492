"""Quadratic voting in Chromium: on a 360x740 phone every − and + is at least 44 px and named by
its theme and cost, axe finds no serious WCAG 2.1 AA violation, a vote spends its credits and is
confirmed from the stored ballot; after the reveal the projector ranks the themes by votes at
1280x720 with every title shown.

Screenshots: tests/e2e/artifacts/phone-quadratic-ballot.png, projector-quadratic.png.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from edp import workshop as ops
from edp.db import make_engine, upgrade
from edp.live import participant_view, projector_key
from edp.voting.ballots import submit_ballot
from tests.e2e.screenshot import PHONE, streamlit_server, wait_idle
from tests.e2e.test_accessibility_browser import audit
from tests.e2e.test_phone_ballot_browser import small_buttons
from tests.factory import make_setup

pytestmark = pytest.mark.browser

ARTIFACTS = Path(__file__).parent / "artifacts"
CURRENT = ":not([data-stale='true'])"
TITLES = ["Hållbar turism i fjällen", "Skogsbaserad bioekonomi", "Kall klimat-testning", "Digital vård på distans"]


@dataclass
class Room:
    url: str
    engine: object
    round_id: int
    tokens: list[str]
    themes: list[int]
    fac: str
    workshop_id: int


@pytest.fixture(scope="module")
def room(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Room]:
    tmp = tmp_path_factory.mktemp("e2e-quadratic")
    url = f"sqlite:///{tmp / 'qv.sqlite'}"
    engine = make_engine(url)
    upgrade(engine)
    spec = ops.RoundSpec(method="quadratic", settings={"credits": 16}, proposals_per_participant=len(TITLES))
    s = make_setup(engine, spec, participants={"business": 3, "academia": 3, "public": 3})
    ops.set_phase(engine, s.fac, s.round_id, "proposing")
    themes = [ops.propose(engine, s.tokens[0], s.round_id, ops.ThemeInput(title=t)).id for t in TITLES]
    ops.set_phase(engine, s.fac, s.round_id, "reviewing")
    ops.set_phase(engine, s.fac, s.round_id, "voting")
    with streamlit_server(url, Path(tmp) / "streamlit.log") as base_url:
        yield Room(base_url, engine, s.round_id, list(s.tokens), themes, s.fac, s.workshop_id)
    engine.dispose()


def test_a_phone_spends_its_credits_with_44_px_buttons_and_sees_the_stored_votes(phone: Page, room: Room):
    phone.goto(f"{room.url}/?p={room.tokens[0]}")
    wait_idle(phone)
    ballot = phone.locator(f"[class*='-edpballot']{CURRENT}")
    expect(phone.get_by_text("Krediter kvar: 16 av 16")).to_be_visible()
    assert small_buttons(ballot) == []
    assert audit(phone) == []
    first = phone.get_by_role("button", name="En röst till på tema 1, kostnad 1")
    first.click()
    wait_idle(phone)
    phone.get_by_role("button", name="En röst till på tema 1, kostnad 3").click()
    wait_idle(phone)
    phone.get_by_role("button", name="En röst till på tema 2, kostnad 1").click()
    wait_idle(phone)
    expect(phone.get_by_text("Krediter kvar: 11 av 16")).to_be_visible()
    bar = phone.locator(f"[class*='-edpbar']{CURRENT}").first
    box = bar.bounding_box()
    assert box is not None and box["y"] + box["height"] <= PHONE["height"] + 1  # the bar is on screen
    phone.screenshot(path=str(ARTIFACTS / "phone-quadratic-ballot.png"))
    phone.get_by_role("button", name="Skicka min röst").click()
    wait_idle(phone)
    # 11 credits left still buy votes: the bar asks first, on screen, with buttons a thumb can hit.
    expect(phone.get_by_text("Du har 11 krediter kvar och kan ge fler röster.", exact=False)).to_be_visible()
    assert participant_view(room.engine, room.tokens[0]).ballot == ()
    box = bar.bounding_box()
    assert box is not None and box["y"] + box["height"] <= PHONE["height"] + 1
    assert small_buttons(bar) == []
    phone.screenshot(path=str(ARTIFACTS / "phone-quadratic-unused.png"))
    phone.get_by_role("button", name="Skicka ändå").click()
    wait_idle(phone)
    expect(phone.get_by_text("Din röst är sparad")).to_be_visible()
    mine = participant_view(room.engine, room.tokens[0]).ballot
    assert sorted((t, v) for t, _c, v in mine) == [(room.themes[0], 2), (room.themes[1], 1)]
    expect(phone.get_by_text("Hållbar turism i fjällen – röster: 2 (kostnad 4)")).to_be_visible()


def test_after_the_reveal_the_projector_ranks_every_theme_by_votes(browser: Browser, room: Room):
    t1, t2, t3, t4 = room.themes
    for n, token in enumerate(room.tokens[1:]):
        submit_ballot(room.engine, token, room.round_id, {t3: 3, t1: 2, t4: 1} if n % 2 else {t2: 2, t3: 2})
    ops.close_round(room.engine, room.fac, room.round_id)
    ops.reveal_results(room.engine, room.fac, room.round_id)
    page = browser.new_page(viewport={"width": 1280, "height": 720}, device_scale_factor=1)
    page.goto(f"{room.url}/?projector={projector_key(room.engine, room.fac)}")
    page.wait_for_url(re.compile(r"vw=1280&vh=720"), timeout=60_000)  # the page reloads once with its size
    wait_idle(page)
    ticks = page.locator(".st-key-proj-ranking .ytick text")
    expect(ticks.first).to_be_visible(timeout=60_000)
    shown = [" ".join(t.split()) for t in ticks.all_text_contents()]
    assert sorted(re.sub(r"^\d+\. ", "", t) for t in shown) == sorted(TITLES), shown
    assert not [t for t in shown if "…" in t]
    page.screenshot(path=str(ARTIFACTS / "projector-quadratic.png"))
    page.close()
