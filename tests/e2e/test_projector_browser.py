"""The projector's layout measured in a real browser at 1280×720 and 1920×1080: the smallest text,
the ranking's share of the screen, every theme title drawn in full, nothing below the fold while
proposals page by themselves, and a QR code big enough for the back of the room.

Each phase is its own workshop on one server (built beside the app through the engine); the page
is opened at its ?projector=KEY. Screenshots go to tests/e2e/artifacts/projector-*.png (with
EDP_UPDATE_SCREENSHOTS=1 also to docs/screenshots/).
"""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, Page, expect

from edp import workshop as ops
from edp.db import make_engine
from edp.voting.ballots import submit_ballot
from tests.e2e.screenshot import PUBLIC_HOST, ROOT, make_empty_database, streamlit_server, wait_idle
from tests.factory import make_setup, projector_key

pytestmark = pytest.mark.browser

ARTIFACTS = ROOT / "tests" / "e2e" / "artifacts"
DOCS_SCREENSHOTS = ROOT / "docs" / "screenshots"
SIZES = {"720p": {"width": 1280, "height": 720}, "1080p": {"width": 1920, "height": 1080}}
MIN_FONT_1080 = 28  # px: legible from the back of a room on a 1080p projector
MIN_FONT = {"1080p": MIN_FONT_1080, "720p": MIN_FONT_1080 * 720 / 1080 - 0.5}  # the same share of the screen
QR_MIN_1080 = 620  # px with the quiet zone: a phone at the back of a room of 60 still reads it
RANKING_SHARE = 0.70
LOAD_MS = 30_000

# Twenty proposals as a room types them: short ones, and some near the length limit (120).
PROPOSALS = [
    "Kulturarv som besöksnäring",
    "Lokal livsmedelsförädling med råvaror från fjällen och skogen i hela Jämtland och Härjedalen",
    "Digitala lösningar för turism",
    "Kreativa branscher i Östersund",
    "Friluftsliv året runt",
    "Vätgas för tunga transporter på E14 och Inlandsbanan, med tankstationer i Östersund, Åre och Sveg",
    "Sydsamiskt hantverk (duedtie) som näring",
    "Gemensam digital evenemangskalender för hela länet",
    "Skogsbaserade material",
    "Kompetensförsörjning i vården genom distansutbildning och praktik på hemorten för unga vuxna i glesbygd",
    "Vintersportteknik och testbäddar",
    "Cirkulär byggnation i trä",
    "Smart energi i fritidshus",
    "Landsbygdens service via drönare",
    "Hållbara transporter mellan fjällbyarna och tågstationerna, inklusive anropsstyrd trafik och cykel",
    "Matturism",
    "Naturbaserade lösningar för klimatanpassning i fjällvärlden",
    "Besöksnäringens data",
    "Unga entreprenörer",
    "Film- och spelproduktion i regionen",
]
# The reveal: six themes, two of them long, so wrapping (not cutting) is what keeps them whole.
REVEAL_THEMES = [PROPOSALS[1], PROPOSALS[0], PROPOSALS[5], PROPOSALS[2], PROPOSALS[9], PROPOSALS[3]]


def build_rooms(db_url: str) -> dict[str, str]:
    """One workshop per projector phase; returns phase name -> projector key."""
    engine = make_engine(db_url)
    try:
        rooms: dict[str, str] = {}
        joining = make_setup(engine, participants={"business": 2, "civil": 1})
        ops.set_phase(engine, joining.fac, joining.round_id, "proposing")
        rooms["joining"] = projector_key(engine, joining.workshop_id)

        # Proposing: the twenty. Reviewing: forty (the twenty, and each again as a second proposal), too many for one screen.
        for phase, titles in (("proposing", PROPOSALS), ("reviewing", PROPOSALS + [f"{t} (2)" for t in PROPOSALS])):
            setup = make_setup(
                engine,
                ops.RoundSpec(
                    method="dots", dots_per_participant=5, max_dots_per_theme=3, proposals_per_participant=20
                ),
                participants={"academia": 2},
            )
            ops.set_phase(engine, setup.fac, setup.round_id, "proposing")
            for n, title in enumerate(titles):  # at most 20 each
                ops.propose(engine, setup.tokens[n // 20], setup.round_id, ops.ThemeInput(title=title))
            if phase == "reviewing":
                ops.set_phase(engine, setup.fac, setup.round_id, "reviewing")
            rooms[phase] = projector_key(engine, setup.workshop_id)

        voting = make_setup(
            engine, participants={"business": 4, "academia": 3, "public": 2, "civil": 3}, themes=3, phase="voting"
        )
        for token in voting.tokens[::2]:
            submit_ballot(engine, token, voting.round_id, {voting.themes[0]: 3, voting.themes[1]: 2})
        rooms["voting"] = projector_key(engine, voting.workshop_id)

        live = make_setup(engine, participants={"business": 3, "academia": 3}, themes=6, phase="voting")
        for n, token in enumerate(live.tokens):
            submit_ballot(engine, token, live.round_id, {live.themes[n % 6]: 3, live.themes[(n + 1) % 6]: 2})
        ops.set_live_results(engine, live.fac, live.round_id, True)
        rooms["live"] = projector_key(engine, live.workshop_id)

        # Business and academia three voters each; public and civil fold into "other" (the longest legend).
        spec = ops.RoundSpec(method="dots", dots_per_participant=5, max_dots_per_theme=3, proposals_per_participant=6)
        reveal = make_setup(engine, spec, participants={"business": 3, "academia": 3, "public": 2, "civil": 1})
        ops.set_phase(engine, reveal.fac, reveal.round_id, "proposing")
        themes = [
            ops.propose(engine, reveal.tokens[0], reveal.round_id, ops.ThemeInput(title=t)).id for t in REVEAL_THEMES
        ]
        ops.set_phase(engine, reveal.fac, reveal.round_id, "reviewing")
        ops.set_phase(engine, reveal.fac, reveal.round_id, "voting")
        ballots = [
            {0: 3, 1: 2},
            {0: 3, 2: 2},
            {0: 2, 1: 3},
            {1: 3, 3: 2},
            {2: 3, 4: 2},
            {0: 3, 5: 2},
            {3: 3, 4: 2},
            {2: 3, 1: 2},
            {5: 3, 3: 2},
        ]
        for token, ballot in zip(reveal.tokens, ballots, strict=True):
            submit_ballot(engine, token, reveal.round_id, {themes[i]: n for i, n in ballot.items()})
        ops.close_round(engine, reveal.fac, reveal.round_id)
        ops.reveal_results(engine, reveal.fac, reveal.round_id)
        rooms["reveal"] = projector_key(engine, reveal.workshop_id)
        return rooms
    finally:
        engine.dispose()


# What the room sees, measured in the page: every visible text's size and contrast against what is
# behind it (an SVG text's fill; a count inside a bar against the bar), where content ends, the
# ranking chart's share of the screen, its tick labels as read (wrapped lines joined by a space),
# the QR code's size and text alternative, and the proposals on the screen.
MEASURE = r"""() => {
  const vw = window.innerWidth, vh = window.innerHeight;
  const rgb = (c) => { const m = (c || "").match(/[\d.]+/g); return m ? m.map(Number) : null; };
  const lum = (c) => { const [r, g, b] = c.slice(0, 3).map(v => { v /= 255; return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; }); return 0.2126 * r + 0.7152 * g + 0.0722 * b; };
  const ratio = (a, b) => { const [x, y] = [lum(a), lum(b)].sort((p, q) => q - p); return (x + 0.05) / (y + 0.05); };
  const background = (el) => {
    const bar = el.closest("g.point");
    if (bar && bar.querySelector("path")) return rgb(getComputedStyle(bar.querySelector("path")).fill);
    for (let e = el; e && e.nodeType === 1; e = e.parentElement) {
      const c = rgb(getComputedStyle(e).backgroundColor);
      if (c && (c.length < 4 || c[3] > 0)) return c;
    }
    return [255, 255, 255];
  };
  const seen = (el) => {
    const r = el.getBoundingClientRect();
    if (r.width <= 1 || r.height <= 1 || r.bottom <= 0 || r.right <= 0) return false;  // e.g. a skip link off screen until focused
    for (let e = el; e && e.nodeType === 1; e = e.parentElement) {
      const cs = getComputedStyle(e);
      if (cs.display === "none" || cs.visibility === "hidden" || parseFloat(cs.opacity) === 0) return false;
    }
    return true;
  };
  const texts = [];
  for (const el of document.querySelectorAll("body *")) {
    if (["SCRIPT", "STYLE", "NOSCRIPT", "TITLE"].includes(el.tagName)) continue;
    const own = [...el.childNodes].filter(n => n.nodeType === 3 && n.textContent.trim()).map(n => n.textContent.trim()).join(" ");
    if (!own || !seen(el)) continue;
    const r = el.getBoundingClientRect(), cs = getComputedStyle(el);
    const fg = rgb(el instanceof SVGElement ? cs.fill : cs.color);
    texts.push({text: own.slice(0, 80), size: parseFloat(cs.fontSize), top: r.top, bottom: r.bottom,
                left: r.left, right: r.right, contrast: ratio(fg, background(el))});
  }
  const main = document.querySelector('[data-testid="stMain"]');
  const chart = document.querySelector('.st-key-proj-ranking [data-testid="stPlotlyChart"]');
  let share = 0;
  if (chart) {
    const r = chart.getBoundingClientRect();
    share = Math.max(0, Math.min(r.right, vw) - Math.max(r.left, 0)) * Math.max(0, Math.min(r.bottom, vh) - Math.max(r.top, 0)) / (vw * vh);
  }
  const qr = document.querySelector('.st-key-proj-qr-big img, .st-key-proj-qr img');
  return {
    vw, vh, texts, share,
    scroll: main ? main.scrollHeight - main.clientHeight : 0,
    ticks: [...document.querySelectorAll('.st-key-proj-ranking .ytick text')].map(t => {
      const lines = [...t.querySelectorAll("tspan.line")];
      return lines.length ? lines.map(l => l.textContent).join(" ") : t.textContent;
    }),
    legendTops: [...document.querySelectorAll('.st-key-proj-ranking .legend .traces')].map(e => Math.round(e.getBoundingClientRect().top)),
    qr: qr ? {width: qr.getBoundingClientRect().width, height: qr.getBoundingClientRect().height, alt: qr.alt} : null,
    proposals: [...document.querySelectorAll('.st-key-proj-themes [data-testid="stText"]')].map(e => {
      const r = e.getBoundingClientRect();
      return {text: e.textContent, top: r.top, bottom: r.bottom};
    }),
  };
}"""


@pytest.fixture(scope="module")
def room(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, dict[str, str]]]:
    """A server on a database with one workshop per phase: (base URL, phase -> projector key)."""
    tmp = tmp_path_factory.mktemp("e2e-projector")
    db_url = make_empty_database(tmp / "projector.sqlite")
    rooms = build_rooms(db_url)
    with streamlit_server(db_url, tmp / "streamlit.log", public_host=PUBLIC_HOST) as base_url:
        yield base_url, rooms


READY = {
    "joining": ".st-key-proj-qr-big img",
    "proposing": ".st-key-proj-themes [data-testid='stText']",
    "reviewing": ".st-key-proj-themes [data-testid='stText']",
    "voting": ".st-key-proj-turnout-helix",
    "reveal": ".st-key-proj-ranking .ytick text",
    "live": ".st-key-proj-ranking .ytick text",
}


def open_projector(browser: Browser, room: tuple[str, dict[str, str]], phase: str, size: str, *, dark: bool = False,
                   view: str = "") -> Page:  # fmt: skip
    base_url, rooms = room
    page = browser.new_page(viewport=SIZES[size], device_scale_factor=1)
    query = f"?projector={rooms[phase]}" + ("&theme=dark" if dark else "") + (f"&view={view}" if view else "")
    page.goto(f"{base_url}/{query}")
    # The page puts the window's size into its address once (and reloads): the layout is then for this screen.
    page.wait_for_url(re.compile(rf"vw={SIZES[size]['width']}&vh={SIZES[size]['height']}"), timeout=LOAD_MS)
    wait_idle(page)
    ready = ".st-key-proj-funnel [data-testid='stPlotlyChart']" if view == "funnel" else READY[phase]
    expect(page.locator(ready).first).to_be_visible(timeout=LOAD_MS)
    page.evaluate("document.fonts.ready")
    page.wait_for_timeout(300)  # plotly lays out its SVG after the element appears
    return page


def measure(page: Page) -> dict:
    return page.evaluate(MEASURE)


# The shots the README and the facilitator guide show: artifact name -> file in docs/screenshots/.
DOC_SHOTS = {
    "reveal-1080p-light": "projector.png",
    "joining-1080p-light": "projector-joining.png",
    "reviewing-720p-page-2": "projector-proposals-720p.png",
    "voting-1080p-dark": "projector-voting-dark.png",
}


def shot(page: Page, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"projector-{name}.png"
    page.screenshot(path=str(path), animations="disabled", caret="hide")
    if os.environ.get("EDP_UPDATE_SCREENSHOTS") and name in DOC_SHOTS:
        shutil.copyfile(path, DOCS_SCREENSHOTS / DOC_SHOTS[name])


def assert_legible_and_on_screen(m: dict, size: str) -> None:
    """Every visible text at least the size for this screen, at least 4.5:1 against its background,
    and nothing below the fold (no one can scroll a projector)."""
    assert m["texts"], "no text on the projector"
    small = [(t["text"], t["size"]) for t in m["texts"] if t["size"] < MIN_FONT[size]]
    assert not small, f"text smaller than {MIN_FONT[size]:.1f} px at {size}: {small[:5]}"
    faint = [(t["text"], round(t["contrast"], 2)) for t in m["texts"] if t["contrast"] < 4.5]
    assert not faint, f"text under 4.5:1 contrast: {faint[:5]}"
    below = [
        (t["text"], round(t["bottom"])) for t in m["texts"] if t["bottom"] > m["vh"] + 1 or t["right"] > m["vw"] + 1
    ]
    assert not below, f"text beyond the {m['vw']}×{m['vh']} screen: {below[:5]}"
    assert m["scroll"] <= 1, f"the page is {m['scroll']} px taller than the screen"


@pytest.mark.parametrize("dark", [False, True], ids=["light", "dark"])
@pytest.mark.parametrize("size", list(SIZES))
@pytest.mark.parametrize("phase", ["joining", "proposing", "reviewing", "voting", "live", "reveal"])
def test_every_phase_is_legible_with_contrast_and_fits_the_screen(browser: Browser, room, phase, size, dark):
    page = open_projector(browser, room, phase, size, dark=dark)
    m = measure(page)
    shot(page, f"{phase}-{size}-{'dark' if dark else 'light'}")
    assert_legible_and_on_screen(m, size)
    page.close()


@pytest.mark.parametrize("size", list(SIZES))
def test_before_proposals_the_qr_code_is_big_enough_for_the_back_of_the_room(browser: Browser, room, size):
    page = open_projector(browser, room, "joining", size)
    m = measure(page)
    need = QR_MIN_1080 * SIZES[size]["height"] / 1080
    assert m["qr"]["width"] >= need and m["qr"]["height"] >= need, m["qr"]
    assert m["qr"]["height"] <= SIZES[size]["height"]
    assert re.fullmatch(
        rf"QR-kod för att gå med i workshopen: http://{re.escape(PUBLIC_HOST)}:\d+/\?join=\w+", m["qr"]["alt"]
    )
    page.close()


@pytest.mark.parametrize("size", list(SIZES))
def test_after_the_reveal_the_ranking_fills_the_screen_with_every_name_whole(browser: Browser, room, size):
    page = open_projector(browser, room, "reveal", size)
    m = measure(page)
    assert m["share"] >= RANKING_SHARE, f"the ranking covers {m['share']:.0%} of the screen"
    expected = sorted(f"{n}. {title}" for n, title in enumerate(REVEAL_THEMES, start=1))
    # Every theme's name is drawn, whole (wrapped onto lines, never cut with "…").
    assert len(m["ticks"]) == len(REVEAL_THEMES)
    assert not [t for t in m["ticks"] if "…" in t]
    assert sorted(re.sub(r"^\d+\. ", "", t) for t in m["ticks"]) == sorted(REVEAL_THEMES), expected
    assert len(set(m["legendTops"])) == 1, f"the legend wraps onto {len(set(m['legendTops']))} rows"
    # The funnel and the helix details are not on the same screen.
    expect(page.locator(".st-key-proj-funnel")).to_have_count(0)
    page.close()


@pytest.mark.parametrize("size", list(SIZES))
def test_the_funnel_has_a_view_of_its_own(browser: Browser, room, size):
    page = open_projector(browser, room, "reveal", size, view="funnel")
    m = measure(page)
    shot(page, f"funnel-{size}-light")
    assert_legible_and_on_screen(m, size)
    expect(page.locator(".st-key-proj-ranking")).to_have_count(0)
    expect(page.locator(".st-key-proj-helix-note")).to_contain_text("Övriga")
    page.close()


@pytest.mark.parametrize("size", list(SIZES))
def test_proposals_that_do_not_fit_page_by_themselves_and_none_is_cut(browser: Browser, room, size):
    page = open_projector(browser, room, "reviewing", size)
    heading = page.get_by_role("heading", name=re.compile(r"^Inkomna förslag"))
    found = re.search(r"sida 1 av (\d+)", heading.inner_text())
    assert found, f"40 proposals on one {size} screen? {heading.inner_text()!r}"
    pages = int(found.group(1))
    shown: list[str] = []
    for n in range(1, pages + 1):
        expect(heading).to_have_text(f"Inkomna förslag · sida {n} av {pages}", timeout=LOAD_MS)
        page.wait_for_timeout(300)
        m = measure(page)
        if n == 2:
            shot(page, f"reviewing-{size}-page-2")
        assert_legible_and_on_screen(m, size)
        cut = [p["text"] for p in m["proposals"] if p["top"] < 0 or p["bottom"] > m["vh"]]
        assert not cut, f"page {n}: proposals cut at the screen's edge: {cut}"
        shown += [p["text"].removeprefix("• ") for p in m["proposals"]]
    everything = PROPOSALS + [f"{t} (2)" for t in PROPOSALS]
    assert sorted(shown) == sorted(everything), "every proposal on exactly one page"
    # Then back to the first page.
    expect(heading).to_have_text(f"Inkomna förslag · sida 1 av {pages}", timeout=LOAD_MS)
    page.close()
