"""The participant's ballot and the home page's way in, on a 360x740 phone in a real browser: tap targets of
at least 44 px, a 20-theme dot ballot within three screens, the bar with the dots left and Send that stays on
screen, a vote cast with the keyboard alone, and a Join button on the first screen of the home page.

Screenshots go to tests/e2e/artifacts/phone-*.png (look at them: a measurement does not show a clash of colours).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from playwright.sync_api import Locator, Page, expect
from sqlalchemy import Engine, select

from edp import workshop as ops
from edp.db import make_engine, read, upgrade
from edp.live import participant_view
from edp.models import Ballot, BallotEntry
from tests.e2e.screenshot import PHONE, streamlit_server, wait_idle
from tests.factory import make_setup

pytestmark = pytest.mark.browser

TAP_PX = 44
SCREENS = 3
DOTS, CAP = 10, 3
ARTIFACTS = Path(__file__).parent / "artifacts"
CURRENT = ":not([data-stale='true'])"
# Twenty themes with titles of the length a workshop writes; some wrap on a phone.
TITLES = [
    "Hållbar turism och besöksnäring i fjällen", "Skogsbaserad bioekonomi", "Kall klimat-testning av fordon",
    "Digital vård på distans", "Lokal livsmedelsförädling", "Vindkraft och lokal nytta", "Kulturarv som upplevelse",
    "Idrott och friluftsliv", "Cirkulära byggmaterial av trä", "Kompetensförsörjning i glesbygd",
    "Smart logistik för små företag", "Vattenkraft och energilagring", "Samisk kultur och näringar",
    "Rennäring och markanvändning", "Datacenter och spillvärme", "Fiber och uppkoppling på landsbygden",
    "Kreativa och kulturella näringar", "Hälsoturism och välmående", "Innovation i offentlig sektor",
    "Fjällens klimatanpassning",
]  # fmt: skip
CRITERIA = ["Innovationshöjd", "Kritisk massa", "Internationell konkurrenskraft", "Samhällsnytta", "Genomförbarhet"]


@dataclass
class Room:
    url: str
    engine: Engine
    dots_round: int
    dots: list[str] = field(default_factory=list)  # participant tokens, one per test that votes
    score: list[str] = field(default_factory=list)


@pytest.fixture(scope="module")
def room(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Room]:
    """A server on a database with a 20-theme dot round in voting (its code shown on the home page) and
    a 4-theme score round of five criteria in voting, in another workshop."""
    tmp = tmp_path_factory.mktemp("e2e-phone")
    url = f"sqlite:///{tmp / 'phone.sqlite'}"
    engine = make_engine(url)
    upgrade(engine)
    spec = ops.RoundSpec(
        method="dots", dots_per_participant=DOTS, max_dots_per_theme=CAP, proposals_per_participant=len(TITLES)
    )
    s = make_setup(engine, spec, participants={"business": 5})
    ops.set_phase(engine, s.fac, s.round_id, "proposing")
    for title in TITLES:
        ops.propose(engine, s.tokens[0], s.round_id, ops.ThemeInput(title=title))
    ops.set_phase(engine, s.fac, s.round_id, "reviewing")
    ops.set_phase(engine, s.fac, s.round_id, "voting")
    ops.set_workshop_options(engine, s.fac, show_join_code=True)
    criteria = [ops.CriterionSpec(n, n, scale_min=1, scale_max=5) for n in CRITERIA]
    score = make_setup(
        engine, ops.RoundSpec(method="score", criteria=criteria), participants={"civil": 2}, themes=4, phase="voting"
    )
    with streamlit_server(url, Path(tmp) / "streamlit.log") as base_url:
        yield Room(base_url, engine, s.round_id, list(s.tokens), list(score.tokens))
    engine.dispose()


def open_ballot(page: Page, room: Room, token: str) -> None:
    page.goto(f"{room.url}/?p={token}")
    wait_idle(page)
    expect(page.get_by_role("button", name="Skicka min röst")).to_be_visible()


def ballot(page: Page) -> Locator:
    return page.locator(f"[class*='-edpballot']{CURRENT}")


def bar(page: Page) -> Locator:
    return page.locator(f"[class*='-edpbar']{CURRENT}")


def stored(room: Room, token: str) -> list[tuple[int, int]]:
    """(theme id, dots) of the participant's ballot as the database holds it."""
    me = participant_view(room.engine, token).id
    with read(room.engine) as s:
        rows = s.execute(
            select(BallotEntry.theme_id, BallotEntry.value)
            .join(Ballot, Ballot.id == BallotEntry.ballot_id)
            .where(Ballot.participant_id == me)
        ).all()
    return sorted((int(t), int(v)) for t, v in rows)


def theme_id(room: Room, position: int) -> int:
    """The id of the dot ballot's theme at this position (1-based)."""
    return participant_view(room.engine, room.dots[0]).workshop.current.themes[position - 1].id


def small_buttons(scope: Locator) -> list[str]:
    """The visible buttons, radio boxes and links in `scope` smaller than TAP_PX in either direction."""
    return scope.evaluate(
        """(root, px) => [...root.querySelectorAll('button, label[data-testid=stRadioOption], a')]
            .map(e => [e, e.getBoundingClientRect()])
            .filter(([e, r]) => r.width > 0 && r.height > 0 && (r.width < px || r.height < px))
            .map(([e, r]) => `${(e.innerText || e.getAttribute('aria-label') || '').trim()}: ${r.width}x${r.height}`)""",
        TAP_PX,
    )


def scroll_main(page: Page, where: float) -> None:
    """Scroll Streamlit's own scrolling container to a fraction of its height (0 top, 1 bottom)."""
    page.evaluate(
        """f => { const m = document.querySelector('[data-testid=stMain]');
                  m.scrollTo(0, (m.scrollHeight - m.clientHeight) * f); }""",
        where,
    )
    page.wait_for_timeout(100)  # a scroll is not a script run: one frame for sticky positioning


def test_every_ballot_control_is_at_least_44_px_on_a_phone(phone: Page, room: Room):
    open_ballot(phone, room, room.dots[0])
    buttons = ballot(phone).get_by_role("button")
    expect(buttons).to_have_count(2 * len(TITLES) + 1)  # − and + per theme, and Send
    assert small_buttons(ballot(phone)) == []
    ARTIFACTS.mkdir(exist_ok=True)
    phone.screenshot(path=str(ARTIFACTS / "phone-dots-ballot.png"))

    score = phone.context.new_page()
    open_ballot(score, room, room.score[0])
    expect(score.get_by_test_id("stRadioOption")).to_have_count(4 * len(CRITERIA) * 5)
    assert small_buttons(ballot(score)) == []
    score.screenshot(path=str(ARTIFACTS / "phone-score-ballot.png"))
    # Not the old radio column: five boxes of a criterion lie on one row.
    tops = (
        ballot(score)
        .get_by_test_id("stRadioGroup")
        .first.evaluate(
            "g => [...g.querySelectorAll('[data-testid=stRadioOption]')].map(o => Math.round(o.getBoundingClientRect().top))"
        )
    )
    assert len(set(tops)) == 1, tops


def test_a_twenty_theme_dot_ballot_fits_in_three_screens(phone: Page, room: Room):
    open_ballot(phone, room, room.dots[0])
    expect(ballot(phone).locator("[class*='-theme-']")).to_have_count(len(TITLES))
    height = ballot(phone).evaluate("e => e.getBoundingClientRect().height")
    assert 0 < height <= SCREENS * PHONE["height"], f"the ballot is {height / PHONE['height']:.2f} screens long"


@pytest.mark.parametrize("where", [0.0, 0.5, 1.0])
def test_dots_left_and_send_stay_on_screen_while_scrolling(phone: Page, room: Room, where: float):
    open_ballot(phone, room, room.dots[0])
    scroll_main(phone, where)
    expect(bar(phone).get_by_text(f"Prickar kvar: {DOTS}", exact=True)).to_be_in_viewport(ratio=1)
    expect(bar(phone).get_by_role("button", name="Skicka min röst")).to_be_in_viewport(ratio=1)
    # The bar covers no theme's buttons for good: the last theme's + can be scrolled above it.
    if where == 1.0:
        last = phone.get_by_role("button", name=f"Fler prickar till tema {len(TITLES)}", exact=True)
        bar_top = bar(phone).evaluate("e => e.getBoundingClientRect().top")
        assert last.bounding_box()["y"] + last.bounding_box()["height"] <= bar_top
        phone.screenshot(path=str(ARTIFACTS / "phone-dots-ballot-bottom.png"))


def test_every_ballot_control_has_a_name_in_the_users_language(phone: Page, room: Room):
    open_ballot(phone, room, room.dots[0])
    for n in (1, len(TITLES)):
        expect(phone.get_by_role("button", name=f"Fler prickar till tema {n}", exact=True)).to_have_count(1)
        expect(phone.get_by_role("button", name=f"Färre prickar på tema {n}", exact=True)).to_have_count(1)
    names = ballot(phone).get_by_role("button").evaluate_all("bs => bs.map(b => b.innerText.trim())")
    assert all(names), names
    # Not Streamlit's icon names: "add", "remove" are English and say nothing.
    for english in ("add", "remove"):
        expect(ballot(phone).get_by_role("button", name=english, exact=True)).to_have_count(0)
    # The instruction is body text of at least 4.5:1 on its background, not a grey caption (3.9:1).
    intro = ballot(phone).get_by_text("Fördela dina 10 prickar", exact=False)
    assert contrast(intro) >= 4.5
    # What it was: a caption, as the round line above the ballot still is.
    caption = phone.get_by_test_id("stCaptionContainer").filter(has_text="Omgång 1").locator("p").first
    print(f"instruction {contrast(intro):.2f}:1, a caption {contrast(caption):.2f}:1")


CONTRAST = """e => {
  const rgb = c => c.match(/[\\d.]+/g).map(Number);
  const lum = ([r, g, b]) => [r, g, b].map(v => v / 255).map(v => v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4)
                                      .reduce((s, v, i) => s + v * [0.2126, 0.7152, 0.0722][i], 0);
  let bg = e, back = null;
  while (bg && !back) { const c = rgb(getComputedStyle(bg).backgroundColor); if (c.length < 4 || c[3] > 0) back = c; bg = bg.parentElement; }
  const b = back || [255, 255, 255], c = rgb(getComputedStyle(e).color);
  let a = c.length > 3 ? c[3] : 1;
  for (let x = e; x; x = x.parentElement) a *= Number(getComputedStyle(x).opacity);  // a caption is faded
  const fg = [0, 1, 2].map(i => c[i] * a + b[i] * (1 - a));  // a translucent grey, as it shows
  const [l1, l2] = [lum(fg), lum(b)].sort((x, y) => y - x);
  return (l1 + 0.05) / (l2 + 0.05);
}"""


def contrast(element: Locator) -> float:
    """WCAG contrast of an element's text colour against the first opaque background behind it."""
    return element.evaluate(CONTRAST)


def test_a_vote_cast_with_the_keyboard_alone_is_stored(phone: Page, room: Room):
    token = room.dots[1]
    open_ballot(phone, room, token)

    def tab_to(name: str, limit: int = 120) -> None:
        """Press Tab until the button of this accessible name has the focus; its focus ring must show."""
        target = phone.get_by_role("button", name=name, exact=True)
        for _ in range(limit):
            phone.keyboard.press("Tab")
            if target.evaluate("e => e === document.activeElement"):
                outline = target.evaluate("e => getComputedStyle(e).outlineStyle")
                assert outline != "none", f"{name} has the focus but no visible focus ring"
                return
        raise AssertionError(f"Tab never reached {name!r}")

    tab_to("Fler prickar till tema 2")
    phone.keyboard.press("Enter")
    wait_idle(phone)
    expect(bar(phone).get_by_text(f"Prickar kvar: {DOTS - 1}", exact=True)).to_be_visible()
    phone.get_by_role("button", name="Fler prickar till tema 2", exact=True).focus()
    phone.keyboard.press("Space")
    wait_idle(phone)
    expect(bar(phone).get_by_text(f"Prickar kvar: {DOTS - 2}", exact=True)).to_be_visible()
    tab_to("Skicka min röst")
    phone.keyboard.press("Enter")
    wait_idle(phone)
    # Eight dots unused: the bar asks, and nothing is stored until the answer.
    expect(bar(phone).get_by_text("Du har 8 prickar kvar", exact=False)).to_be_in_viewport()
    assert stored(room, token) == []
    phone.screenshot(path=str(ARTIFACTS / "phone-dots-unused-hint.png"))
    phone.get_by_role("button", name="Skicka ändå").focus()
    phone.keyboard.press("Space")
    wait_idle(phone)
    expect(phone.get_by_text("Din röst är sparad")).to_be_visible()
    assert stored(room, token) == [(theme_id(room, 2), 2)]


def test_the_home_page_has_a_join_button_on_its_first_screen(phone: Page, room: Room):
    phone.goto(room.url)
    wait_idle(phone)
    join = phone.get_by_test_id("stMain").get_by_role("link", name="Gå med", exact=True)
    expect(join).to_be_in_viewport(ratio=1)
    box = join.bounding_box()
    assert box["height"] >= TAP_PX, box
    code_button = phone.get_by_test_id("stMain").get_by_role("button", name="Gå med", exact=True)
    expect(code_button).to_be_in_viewport(ratio=1)
    expect(phone.get_by_label("Anslutningskod")).to_be_in_viewport(ratio=1)
    phone.screenshot(path=str(ARTIFACTS / "phone-home.png"))
    join.click()
    expect(phone.get_by_test_id("stMain").get_by_role("heading", name="Gå med i workshopen")).to_be_visible()
    expect(phone.get_by_label("Ditt namn")).to_be_visible()  # the code went with the tap: no code to type
    expect(phone.get_by_test_id("stDialog")).to_have_count(0)  # not Streamlit's English "Page not found"


def test_a_score_ballot_is_tapped_box_by_box_and_stored(phone: Page, room: Room):
    token = room.score[1]
    open_ballot(phone, room, token)
    first = ballot(phone).locator("[class*='-theme-']").first
    groups = first.locator("[class*='-edpscore-']")
    expect(groups).to_have_count(len(CRITERIA))
    for g in range(len(CRITERIA)):
        groups.nth(g).get_by_test_id("stRadioOption").nth(g % 5).click()  # the boxes for 1, 2, 3, 4, 5
    for g in range(len(CRITERIA)):
        expect(groups.nth(g).get_by_role("radio").nth(g % 5)).to_be_checked()
    phone.get_by_role("button", name="Skicka min röst").click()
    expect(phone.get_by_text("Din röst är sparad")).to_be_visible()
    me = participant_view(room.engine, token)
    assert sorted(v for _t, _c, v in me.ballot) == [1, 2, 3, 4, 5]
    # A chosen box is told apart by more than its colour alone: its figure is bold as well.
    weight = (
        groups.first.get_by_test_id("stRadioOption").first.locator("p").evaluate("p => getComputedStyle(p).fontWeight")
    )
    assert int(weight) >= 700
    phone.reload()
    wait_idle(phone)
    expect(ballot(phone).locator("[class*='-edpscore-']").first.get_by_role("radio").first).to_be_checked()
