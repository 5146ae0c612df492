"""A whole two-round workshop driven only through the UI, in separate browser contexts: the
facilitator, the projector and six participants, on a fresh server with an empty database.

Every step is checked where the room sees it, on the projector, which refreshes by itself; the
expected rankings are computed here from the dots and scores the participants click. Screenshots
go to tests/e2e/artifacts/ (git-ignored); with EDP_UPDATE_SCREENSHOTS=1 they are also copied to
docs/screenshots/ for the facilitator guide.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from statistics import mean

import pytest
from playwright.sync_api import Browser, BrowserContext, Locator, Page, expect
from sqlalchemy import func, select

from edp import accounts
from edp import workshop as ops
from edp.access import SYSTEM
from edp.db import make_engine
from edp.models import Ballot, Participant, Round, Workshop
from tests.e2e.screenshot import (
    PUBLIC_HOST,
    ROOT,
    full_page_shot,
    make_empty_database,
    scroll_to_top,
    sign_in_organiser,
    streamlit_server,
    wait_for_app,
    wait_idle,
)

pytestmark = pytest.mark.browser

ARTIFACTS = ROOT / "tests" / "e2e" / "artifacts"
DOCS_SCREENSHOTS = ROOT / "docs" / "screenshots"
CROSS_MS = 20_000  # one context acts, another (polling every 2 s) shows it
# The screenshots the facilitator guide shows: artifact name -> file in docs/screenshots/.
GUIDE_SHOTS = {
    "projector": "projector.png",
    "participant": "participant.png",
    "facilitator": "facilitator.png",
    "home": "home-priorities.png",
}
PHONE = {"width": 390, "height": 844}
PROJECTOR = {"width": 1920, "height": 1080}

PROCESS = "Upplevelser 2026"
WORKSHOP = "Aktörsmöte om upplevelser"
PASSCODE = "fjäll-och-vatten-26"
LEADER, LEADER_PASSWORD = "lena.ledare", "fjällräv-kanot-2026"

# The actors: one through the form, the rest through the CSV import (Swedish helix names, as from Excel).
FORM_ACTOR = ("Fjällföretaget AB", "Näringsliv", "Krokom")
CSV_ACTORS = """name,helix,municipality
Peak Innovation,näringsliv,Östersund
Mittuniversitetet,akademi,Östersund
Region Jämtland Härjedalen,offentlig sektor,Östersund
Coompanion Jämtland,civilsamhälle,Östersund
"""
HELIX_LABELS = ("Näringsliv", "Akademi", "Offentlig sektor", "Civilsamhälle")


@dataclass(frozen=True)
class Person:
    name: str
    organisation: str  # as the join page lists it: "name (helix)"
    helix: str


PEOPLE = [
    Person("Anna Berg", "Fjällföretaget AB (Näringsliv)", "Näringsliv"),
    Person("Bo Ek", "Peak Innovation (Näringsliv)", "Näringsliv"),
    Person("Cecilia Lund", "Mittuniversitetet (Akademi)", "Akademi"),
    Person("David Holm", "Mittuniversitetet (Akademi)", "Akademi"),
    Person("Eva Sjö", "Region Jämtland Härjedalen (Offentlig sektor)", "Offentlig sektor"),
    Person("Frida Nord", "Coompanion Jämtland (Civilsamhälle)", "Civilsamhälle"),
]

HERITAGE = "Kulturarv som besöksnäring"
HERITAGE_DUP = "Kulturarv som besöksnäring i fjällen"  # the near-duplicate, merged into HERITAGE
FOOD = "Lokal livsmedelsförädling"
DIGITAL = "Digitala lösningar för turism"
CREATIVE = "Kreativa branscher i Östersund"
MARKUP = "Matkultur <b>x</b> i Jämtland"  # must stay text: no bold
LINK = "Friluftsliv [link](http://x)"  # must stay text: no link
PROPOSALS = [[HERITAGE], [HERITAGE_DUP], [FOOD], [DIGITAL], [CREATIVE, MARKUP], [LINK]]
MERGED = {HERITAGE_DUP: HERITAGE}

DOTS, CAP = 5, 2
DOT_BALLOTS = [
    {HERITAGE: 2, FOOD: 2, DIGITAL: 1},
    {HERITAGE: 2, FOOD: 2, CREATIVE: 1},
    {HERITAGE: 2, FOOD: 2, DIGITAL: 1},
    {HERITAGE: 2, FOOD: 2, LINK: 1},
    {HERITAGE: 2, DIGITAL: 2, MARKUP: 1},
    {DIGITAL: 2, CREATIVE: 2, MARKUP: 1},
]
TOP_K = 4

# The five S3 criteria the console fills in, each weighted 1 on a 1–5 scale. Every voter gives a theme
# one value on all criteria; the sixth participant's ballot comes too late and must not count.
CRITERIA = [
    "Innovationspotential",
    "Kritisk massa",
    "Marknadspotential",
    "Koppling till regionens styrkeområden",
    "Internationell konnektivitet",
]
SCALE_MIN = 1
SCORE_BALLOTS = [
    {DIGITAL: 5, HERITAGE: 4, CREATIVE: 3, FOOD: 2},
    {DIGITAL: 5, HERITAGE: 4, CREATIVE: 3, FOOD: 2},
    {DIGITAL: 4, HERITAGE: 3, CREATIVE: 3, FOOD: 2},
    {DIGITAL: 5, HERITAGE: 4, CREATIVE: 2, FOOD: 1},
    {DIGITAL: 4, HERITAGE: 3, CREATIVE: 2, FOOD: 3},
]
LATE_SCORES = {DIGITAL: 1, HERITAGE: 1, CREATIVE: 1, FOOD: 5}  # counted, it would swap places 3 and 4
RELOADER = 1  # Bo Ek reloads his page mid-round
LATE = 5  # Frida Nord's ballot arrives after the close
PRIORITY_RATIONALE = "Starkt stöd från alla fyra helixgrupperna."


# ---------------------------------------------------------------- the expected outcome, from the clicks


def dots_ranking() -> list[tuple[str, int]]:
    """(title, total) in ranking order: every dot clicked, counted for the theme it was merged into."""
    totals: Counter[str] = Counter()
    for ballot in DOT_BALLOTS:
        for title, n in ballot.items():
            totals[MERGED.get(title, title)] += n
    ranking = sorted(totals.items(), key=lambda kv: -kv[1])
    values = [n for _, n in ranking]
    assert len(set(values)) == len(values), f"the test's ballots must give distinct totals: {ranking}"
    assert ranking[TOP_K - 1][1] > ranking[TOP_K][1], "no tie around the cut"
    return ranking


def score_ranking() -> list[tuple[str, float]]:
    """(title, weighted mean) in ranking order: each criterion weighs 1, so a ballot's value is the sum."""
    means = {t: mean(b[t] * len(CRITERIA) for b in SCORE_BALLOTS) for t in SCORE_BALLOTS[0]}
    ranking = sorted(means.items(), key=lambda kv: -kv[1])
    values = [v for _, v in ranking]
    assert len(set(values)) == len(values), f"the test's scores must give distinct means: {ranking}"
    return ranking


def total_text(value: float) -> str:
    """A total as the console writes it in Swedish: 23 or 17,60."""
    return str(int(value)) if float(value).is_integer() else f"{value:.2f}".replace(".", ",")


# ---------------------------------------------------------------- app bugs found by this test

# Each is checked where it shows; the scenario then goes on as a facilitator would (opens the tab again), and the test fails at the end with what it saw, so one bug does not hide the steps after it.
LAYOUT_SHIFT = (
    "App bug: a tab or an expander the facilitator is working in was reset by the next rerun. An element that "
    "appears or disappears above it (for example a confirmation or a note drawn only when there is one, instead "
    "of in a slot that is always there, as show_flash() and turnout_panel() in edp/ui/facilitator.py do) moves "
    "every element after it by one position, and the browser rebuilds them in their default state: the st.tabs "
    "of pages/setup.py and pages/facilitate.py go back to the first tab and st.expander closes. Seen here:"
)


class AppBugs:
    """What the test saw go wrong in the app, reported together at the end."""

    def __init__(self) -> None:
        self.seen: dict[str, list[str]] = {}

    def record(self, cause: str, symptom: str) -> None:
        self.seen.setdefault(cause, []).append(symptom)

    def report(self) -> str:
        return "\n\n".join(cause + "".join(f"\n  - {s}" for s in symptoms) for cause, symptoms in self.seen.items())


def keep_tab(page: Page, tab: str, bugs: AppBugs, after: str) -> None:
    """After a rerun, the tab the facilitator was working in must still be open."""
    wait_idle(page)
    chosen = page.get_by_role("tab", name=tab, exact=True)
    if chosen.get_attribute("aria-selected") != "true":
        bugs.record(LAYOUT_SHIFT, f"the tab {tab!r} jumped back to the first tab after: {after}")
        chosen.click()
    expect(chosen).to_have_attribute("aria-selected", "true")


# ---------------------------------------------------------------- locators and small actions


# While a run redraws the page, Streamlit can keep the previous copy of an element for a moment, marked stale.
CURRENT = ":not([data-stale='true'])"


def key(scope: Page | Locator, name: str) -> Locator:
    """The element (or container) with this key, as the current run drew it."""
    return scope.locator(f".st-key-{name}{CURRENT}")


def keyed(scope: Page | Locator, *parts: str) -> Locator:
    """Elements whose key contains all these parts (e.g. 'st-key-ballot-', '-theme-'), as the current run drew them."""
    return scope.locator("".join(f"[class*='{part}']" for part in parts) + CURRENT)


def main(page: Page) -> Locator:
    return page.get_by_test_id("stMain")


def no_exception(page: Page) -> None:
    expect(page.get_by_test_id("stException")).to_have_count(0)


def sidebar_to(page: Page, label: str, heading: str) -> None:
    """A page switch inside the session (the facilitator's login lives in it: never page.goto)."""
    page.get_by_test_id("stSidebar").get_by_role("link", name=label, exact=True).click()
    expect(main(page).get_by_role("heading", name=heading, exact=True)).to_be_visible()
    wait_for_app(page)


def choose(page: Page, scope: Page | Locator, label: str, option: str | re.Pattern) -> None:
    """Pick an option of a selectbox or multiselect."""
    box = scope.get_by_role("combobox", name=label)
    box.click()
    try:  # a click while the box is still moving into place (an expander opening) only focuses it
        expect(box).to_have_attribute("aria-expanded", "true", timeout=2_000)
    except AssertionError:
        box.press("ArrowDown")
    page.get_by_role("option", name=option, exact=isinstance(option, str)).click()


def flash(page: Page, text: str) -> None:
    expect(main(page).get_by_test_id("stAlertContentSuccess").filter(has_text=text)).to_be_visible()


def driver(fac: Page) -> Locator:
    return key(fac, "phase-driver")


def press(fac: Page, label: str) -> None:
    """The phase driver's button for the next step."""
    driver(fac).get_by_role("button", name=label, exact=True).click()


def driver_at(fac: Page, caption: str) -> None:
    expect(driver(fac).get_by_role("heading", name=caption, exact=True)).to_be_visible()


def projector_at(proj: Page, caption: str) -> None:
    expect(main(proj).get_by_text(caption, exact=True)).to_be_visible(timeout=CROSS_MS)


def visible(locator: Locator) -> None:
    expect(locator).to_be_visible(timeout=CROSS_MS)


STALE_PHONE = (
    "{who}'s page did not follow the workshop within 20 s ({what}). If it still shows the step before, this is "
    "the app's race in pages/participate.py: follow(ws.id, lambda: live_key(ws.id)) records the revision and the "
    "view key after participant_view() was read, so a change that lands in between is never drawn (the page "
    "waits for the next change). Fix: let follow() take what the run drew, e.g. follow(ws.id, ..., "
    "seen_revision=ws.revision, seen_view=participant_view_key(ws)) (pages/projector.py likewise: "
    "follow(wv.id, seen_revision=wv.revision)).\n{error}"
)


def phones_follow(people: list[Page], what: str, shown: Callable[[Page], None]) -> None:
    """Every participant's page gets to what `shown` expects by itself (each page polls every 2 s)."""
    for n, p in enumerate(people):
        try:
            shown(p)
        except AssertionError as error:
            pytest.fail(STALE_PHONE.format(who=PEOPLE[n].name, what=what, error=error), pytrace=False)


def ballot_theme(page: Page, title: str) -> Locator:
    """One theme's box on the participant's ballot, found by its title (shown as plain text)."""
    boxes = keyed(page, "st-key-ballot-", "-theme-")
    return boxes.filter(has=page.get_by_text(title, exact=True))


def plus(box: Locator) -> Locator:
    """A theme's + button (a button with a tooltip is drawn twice, once hidden: the role finds the visible one)."""
    return keyed(box, "-plus-").get_by_role("button")


def stored_ballot(page: Page) -> Locator:
    return keyed(page, "st-key-plain-body-ballot-", "-stored")


def projector_count(proj: Page, label: str) -> Locator:
    """One of the projector's big numbers before voting: Deltagare (participants) or Förslag (proposals)."""
    return key(proj, "proj-counts").get_by_test_id("stMetric").filter(has_text=label).get_by_test_id("stMetricValue")


def turnout(proj: Page) -> Locator:
    return key(proj, "proj-turnout-overall").get_by_test_id("stMetricValue")


def helix_turnout(proj: Page, helix: str) -> Locator:
    return (
        key(proj, "proj-turnout-helix")
        .get_by_test_id("stMetric")
        .filter(has_text=helix)
        .get_by_test_id("stMetricValue")
    )


def ranking_labels(proj: Page) -> Locator:
    """The y-axis labels of the projector's ranking chart (in the SVG's order, not the screen's)."""
    return key(proj, "proj-ranking").locator(".ytick text")


def ranking_on_screen(proj: Page, expected: list[str]) -> list[str]:
    """The ranking chart's labels from top to bottom, as the room reads them, once the chart has them all."""
    expect(ranking_labels(proj)).to_have_count(len(expected), timeout=CROSS_MS)
    wait_idle(proj)
    placed = ranking_labels(proj).evaluate_all("els => els.map(e => [e.getBoundingClientRect().top, e.textContent])")
    return [text for _, text in sorted(placed)]


def expected_labels(ranking: list[tuple[str, float]]) -> list[str]:
    return [f"{rank}. {title}" for rank, (title, _) in enumerate(ranking, start=1)]


def database_ballots(db_url: str, round_seq: int) -> dict[str, int]:
    """Ballots stored in a round, per participant name: read beside the app, for what the UI cannot prove."""
    engine = make_engine(db_url)
    try:
        with engine.connect() as conn:
            rows = conn.execute(
                select(Participant.display_name, func.count(Ballot.id))
                .join(Ballot, Ballot.participant_id == Participant.id)
                .join(Round, Round.id == Ballot.round_id)
                .where(Round.seq == round_seq)
                .group_by(Participant.display_name)
            ).all()
    finally:
        engine.dispose()
    return dict(rows)


# ---------------------------------------------------------------- fixtures


def workshop_id_of(db_url: str, title: str) -> int:
    engine = make_engine(db_url)
    try:
        with engine.connect() as conn:
            return conn.execute(select(Workshop.id).where(Workshop.title == title)).scalar_one()
    finally:
        engine.dispose()


@pytest.fixture(scope="module")
def fresh_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str]]:
    """(base URL, database URL) of a server on an empty, migrated SQLite database; the room reaches it as
    PUBLIC_HOST (EDP_PUBLIC_URL), so the join link, QR code and projector link are not loopback addresses."""
    tmp = tmp_path_factory.mktemp("e2e-workshop")
    db_url = make_empty_database(tmp / "workshop.sqlite")
    # The instance admin has made the process and named its process leader, who runs the workshop
    # (the admin's own steps in a browser: tests/e2e/test_a_fresh_region_browser.py).
    engine = make_engine(db_url)
    try:
        leader = accounts.create_user(engine, SYSTEM, LEADER, display_name="Lena Ledare", password=LEADER_PASSWORD)
        ops.create_process(engine, SYSTEM, PROCESS, leader_user_id=leader)
    finally:
        engine.dispose()
    with streamlit_server(db_url, tmp / "streamlit.log", public_host=PUBLIC_HOST) as base_url:
        yield base_url, db_url


@pytest.fixture
def room(browser: Browser, request: pytest.FixtureRequest) -> Iterator[dict[str, Page]]:
    """Named pages, one browser context each; on a failure every page is saved to the artifacts folder."""
    pages: dict[str, Page] = {}
    contexts: list[BrowserContext] = []
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    for old in ARTIFACTS.glob("failure-*.png"):
        old.unlink()
    try:
        yield pages
    finally:
        report = getattr(request.node, "rep_call", None)
        if report is None or report.failed:
            for name, page in pages.items():
                with contextlib.suppress(Exception):  # best effort: the page may be gone
                    page.screenshot(path=str(ARTIFACTS / f"failure-{name}.png"), full_page=True)
        for page in pages.values():
            if page.context not in contexts:
                contexts.append(page.context)
        for ctx in contexts:
            ctx.close()


def open_page(browser: Browser, pages: dict[str, Page], name: str, **context_args) -> Page:  # noqa: ANN003
    page = browser.new_context(**context_args).new_page()
    pages[name] = page
    return page


# ---------------------------------------------------------------- the workshop


def test_two_round_workshop_through_the_ui(browser: Browser, room: dict[str, Page], fresh_server) -> None:
    base_url, db_url = fresh_server
    dots_order = dots_ranking()
    top = [title for title, _ in dots_order[:TOP_K]]
    assert set(SCORE_BALLOTS[0]) == set(top), "the score ballots must cover the themes that go through"
    score_order = score_ranking()
    shots: dict[str, Path] = {}
    bugs = AppBugs()

    # ------------------------------------------------------------ 0. set-up: sign in, workshop, actors, round 1
    fac = open_page(browser, room, "facilitator", viewport={"width": 1280, "height": 900})
    sign_in_organiser(fac, base_url, LEADER, LEADER_PASSWORD)
    sidebar_to(fac, "Förbered", "Förbered processer och workshoppar")
    key(fac, "setup-w-title-0").get_by_role("textbox").fill(WORKSHOP)
    key(fac, "setup-w-venue-0").get_by_role("textbox").fill("Östersund")
    fac.get_by_label("Lösenkod", exact=True).fill(PASSCODE)
    fac.get_by_label("Lösenkoden igen", exact=True).fill(PASSCODE)
    fac.get_by_role("button", name="Skapa workshoppen").click()
    flash(fac, "Dess konsol är öppen under Leda workshop.")

    fac.get_by_role("tab", name="Aktörer").click()
    name, helix, municipality = FORM_ACTOR
    fac.get_by_label("Organisationens namn").fill(name)
    choose(fac, main(fac), "Helixgrupp", helix)
    fac.get_by_label("Kommun").fill(municipality)
    fac.get_by_test_id("stFormSubmitButton").get_by_role("button", name="Lägg till en aktör").click()
    flash(fac, "Aktören är tillagd.")
    keep_tab(fac, "Aktörer", bugs, "'Lägg till en aktör' (set-up page)")
    main(fac).get_by_text("Importera aktörer från CSV", exact=True).click()
    key(fac, "import-paste-0").get_by_role("textbox").fill(CSV_ACTORS)
    key(fac, "import-go").get_by_role("button").click()
    flash(fac, "4 aktörer är importerade.")
    expect(main(fac).get_by_text("Processen har 5 aktörer.")).to_be_visible()
    listed = key(fac, "plain-body-actor-list")
    for helix in HELIX_LABELS:  # every helix group has an actor
        expect(listed).to_contain_text(f" · {helix}")

    # Round 1 is added in the workshop's console, which the new workshop opened.
    sidebar_to(fac, "Leda workshop", "Processledarens konsol")
    fac.get_by_role("tab", name="Mer").click()
    prompt = key(fac, "more-round-prompt").get_by_role("textbox")
    prompt.fill("Vilka teman ska regionen satsa på?")
    prompt.press("Control+Enter")  # commits the text: a rerun
    keep_tab(fac, "Mer", bugs, "typing the round's question (console)")
    key(fac, "more-round-dots").get_by_role("spinbutton").fill(str(DOTS))
    key(fac, "more-round-cap").get_by_role("spinbutton").fill(str(CAP))
    key(fac, "more-round-cap").get_by_role("spinbutton").press("Enter")
    wait_for_app(fac)
    keep_tab(fac, "Mer", bugs, "setting the dots (console)")
    key(fac, "more-round-add").get_by_role("button").click()
    flash(fac, "Omgång 1 är tillagd.")
    keep_tab(fac, "Mer", bugs, "'Lägg till omgången' (console)")
    fac.get_by_role("tab", name="Moderering").click()
    driver_at(fac, "Omgång 1: Prickröstning – Utkast")
    projector_link = fac.get_by_role("link", name="Öppna projektorvyn")
    href = projector_link.get_attribute("href") or ""
    found = re.fullmatch(rf"http://{re.escape(PUBLIC_HOST)}:(\d+)/\?projector=([A-Za-z0-9_-]{{22}})", href)
    assert found, f"the projector link {href!r} is not http://{PUBLIC_HOST}:PORT/?projector=KEY"
    assert found.group(1) == base_url.rsplit(":", 1)[1]
    workshop_id = workshop_id_of(db_url, WORKSHOP)
    # The app knows its public address: no "this link only works on this computer" warning.
    expect(main(fac).get_by_text("Länken pekar på den här datorn", exact=False)).to_have_count(0)

    proj = open_page(browser, room, "projector", viewport=PROJECTOR)
    proj.goto(href)
    expect(key(proj, "plain-title-proj-ws")).to_have_text(WORKSHOP)
    expect(main(proj).get_by_text("Inga förslag än – skanna koden och lämna det första!")).to_be_visible()
    join_code = key(proj, "plain-body-proj-code").inner_text().strip()
    join_url = key(proj, "plain-body-proj-url").inner_text().strip()
    assert re.fullmatch(r"[A-Z0-9]{6}", join_code), join_code
    assert join_url == f"http://{PUBLIC_HOST}:{found.group(1)}/?join={join_code}"
    expect(key(fac, "plain-title-ws-title")).to_have_text(WORKSHOP)
    expect(main(fac).get_by_test_id("stMetric").filter(has_text="Anslutningskod")).to_contain_text(join_code)
    expect(main(fac).get_by_test_id("stCode")).to_contain_text(join_url)
    # The projector is read-only: no buttons, no sidebar, no inputs.
    expect(main(proj).get_by_role("button")).to_have_count(0)
    expect(main(proj).get_by_role("textbox")).to_have_count(0)

    # ------------------------------------------------------------ 1. proposals
    press(fac, "Öppna för förslag")
    driver_at(fac, "Omgång 1: Prickröstning – Förslag")
    projector_at(proj, "Omgång 1 · Prickröstning · Förslag")

    people: list[Page] = []
    personal_urls: list[str] = []
    # Each change shows on the projector before the next one is sent, as the room would see it.
    for i, person in enumerate(PEOPLE):
        p = open_page(browser, room, f"participant-{i + 1}", viewport=PHONE, device_scale_factor=2 if i == 0 else 1)
        p.goto(join_url)
        expect(main(p).get_by_role("heading", name="Gå med i workshopen")).to_be_visible()
        expect(key(p, "plain-body-join-code-line")).to_have_text(f"Kod: {join_code}")
        # Three steps: name, organisation, Join.
        p.get_by_label("Ditt namn").fill(person.name)
        choose(p, main(p), "Din organisation", person.organisation)
        expect(projector_count(proj, "Deltagare")).to_have_text(str(i), timeout=CROSS_MS)
        p.get_by_role("button", name="Gå med", exact=True).click()
        who = key(p, "plain-strong-participant-who")
        expect(who).to_contain_text(person.name)
        expect(who).to_contain_text(person.organisation)
        expect(p).to_have_url(re.compile(rf"^http://{re.escape(PUBLIC_HOST)}:\d+/\?p=[\w-]{{20,}}$"))
        expect(main(p).get_by_role("heading", name="Gå med i workshopen")).to_have_count(0)
        people.append(p)
        personal_urls.append(p.url)
    expect(projector_count(proj, "Deltagare")).to_have_text(str(len(PEOPLE)), timeout=CROSS_MS)

    proposals = key(proj, "proj-themes")
    sent: list[str] = []
    for p, titles in zip(people, PROPOSALS, strict=True):
        for title in titles:
            expect(main(p).get_by_role("heading", name="Lämna ett förslag")).to_be_visible()
            box = keyed(p, "st-key-propose-", "-title").get_by_label("Rubrik (högst 120 tecken)")
            expect(box).to_have_value("")  # a fresh form after each proposal
            box.fill(title)
            if sent:
                expect(proposals.get_by_text(f"• {sent[-1]}", exact=True)).to_be_visible(timeout=CROSS_MS)
            expect(projector_count(proj, "Förslag")).to_have_text(str(len(sent)), timeout=CROSS_MS)
            p.get_by_role("button", name="Skicka förslaget").click()
            flash(p, "Tack! Ditt förslag är inskickat.")
            expect(keyed(p, "st-key-plain-strong-own-").get_by_text(title, exact=True)).to_be_visible()
            sent.append(title)

    all_titles = [title for titles in PROPOSALS for title in titles]
    expect(projector_count(proj, "Förslag")).to_have_text(str(len(all_titles)), timeout=CROSS_MS)
    for title in all_titles:
        expect(proposals.get_by_text(f"• {title}", exact=True)).to_be_visible()
    expect(proposals.get_by_test_id("stText")).to_have_count(len(all_titles))
    # Typed markup is shown as typed: the tags and brackets are visible, nothing became bold or a link.
    expect(proposals.get_by_text(f"• {MARKUP}", exact=True)).to_contain_text("<b>x</b>")
    expect(proposals.get_by_text(f"• {LINK}", exact=True)).to_contain_text("[link](http://x)")
    expect(proj.locator("b, strong")).to_have_count(0)
    expect(proj.locator("a[href^='http://x']")).to_have_count(0)
    no_exception(proj)

    # ------------------------------------------------------------ 2. review: merge the near-duplicates
    press(fac, "Starta granskning")
    driver_at(fac, "Omgång 1: Prickröstning – Granskning")
    projector_at(proj, "Omgång 1 · Prickröstning · Granskning")
    # The participants' pages follow the phase by themselves (and each step lands before the next one).
    caption = "Omgång 1 · Prickröstning · Granskning"
    phones_follow(people, "review started", lambda p: visible(main(p).get_by_text(caption, exact=True)))
    for p in people:
        expect(main(p).get_by_role("heading", name="Lämna ett förslag")).to_have_count(0)
    summary = main(fac).get_by_text(re.compile(r"^Omgång 1: \d+ aktiva"))
    expect(summary).to_have_text(f"Omgång 1: {len(all_titles)} aktiva, 0 sammanslagna, 0 tillbakadragna teman.")
    # The near-duplicate only narrows HERITAGE down ("i fjällen"), so it is not suggested as a
    # duplicate (merely related themes never are): the facilitator merges it through its own card.
    expect(key(fac, "dup-suggestions")).to_contain_text("Inga troliga dubbletter bland de aktiva temana.")
    card = keyed(fac, "st-key-theme-").filter(has=fac.get_by_text(HERITAGE_DUP, exact=True))
    expect(card).to_have_count(1)
    card.get_by_role("button", name="Slå samman…", exact=True).click()
    choose(fac, card, "Slå samman med", re.compile(rf"^{re.escape(HERITAGE)} · #\d+$"))
    preview = keyed(card, "st-key-merge-preview-")
    expect(preview).to_have_count(1)
    keep_tab(fac, "Moderering", bugs, "choosing the theme to merge into (console)")
    expect(preview).to_contain_text("Rubriken som behålls:")
    expect(preview.get_by_text(HERITAGE, exact=True)).to_be_visible()
    expect(preview).to_contain_text("Inga röstsedlar påverkas.")
    # The preview alone changes nothing.
    expect(summary).to_have_text(f"Omgång 1: {len(all_titles)} aktiva, 0 sammanslagna, 0 tillbakadragna teman.")
    wait_for_app(fac)
    shots["facilitator"] = full_page_shot(fac, ARTIFACTS / "facilitator.png", until=card)
    card.get_by_role("button", name="Slå samman", exact=True).click()
    flash(fac, "Temana är sammanslagna.")
    expect(summary).to_have_text(f"Omgång 1: {len(all_titles) - 1} aktiva, 1 sammanslagna, 0 tillbakadragna teman.")
    expect(card.get_by_role("button", name="Dela upp igen")).to_be_visible()
    expect(proposals.get_by_text(f"• {HERITAGE_DUP}", exact=True)).to_have_count(0, timeout=CROSS_MS)
    expect(proposals.get_by_text(f"• {HERITAGE}", exact=True)).to_be_visible()
    expect(proposals.get_by_test_id("stText")).to_have_count(len(all_titles) - 1)

    # The participants follow the clean-up too.
    def merged_on_phone(p: Page) -> None:
        reviewed = keyed(p, "st-key-plain-strong-review-")
        expect(reviewed.get_by_text(HERITAGE_DUP, exact=True)).to_have_count(0, timeout=CROSS_MS)
        expect(reviewed).to_have_count(len(all_titles) - 1)

    phones_follow(people, "the merge", merged_on_phone)

    # ------------------------------------------------------------ 3. dot voting
    press(fac, "Öppna röstningen")
    driver_at(fac, "Omgång 1: Prickröstning – Röstning")
    projector_at(proj, "Omgång 1 · Prickröstning · Röstning")
    expect(main(proj).get_by_role("heading", name="Röstningen pågår")).to_be_visible()
    expect(turnout(proj)).to_have_text(f"0 / {len(PEOPLE)}")

    for i, (p, ballot) in enumerate(zip(people, DOT_BALLOTS, strict=True)):
        expect(main(p).get_by_text(f"Fördela dina {DOTS} prickar", exact=False)).to_be_visible(timeout=CROSS_MS)
        wait_idle(p)
        expect(ballot_theme(p, HERITAGE_DUP)).to_have_count(0)  # merged: not on the ballot
        given = 0
        for title, n in ballot.items():
            box = ballot_theme(p, title)
            for k in range(1, n + 1):
                wait_idle(p)  # click only a settled button: a click on one being redrawn can be dropped
                plus(box).click()
                given += 1
                expect(box.get_by_text(f"Prickar: {k}", exact=True)).to_be_visible()
                expect(main(p).get_by_text(f"Prickar kvar: {DOTS - given}", exact=True)).to_be_visible()
            if n == CAP:  # at most CAP dots on one theme
                expect(plus(box)).to_be_disabled()
        # The budget is spent: no theme takes another dot.
        for button in keyed(p, "st-key-ballot-", "-plus-").get_by_role("button").all():
            expect(button).to_be_disabled()
        if i == 0:
            wait_idle(p)
            scroll_to_top(p)
            shots["participant"] = ARTIFACTS / "participant.png"
            p.screenshot(path=str(shots["participant"]), animations="disabled", caret="hide")
        expect(turnout(proj)).to_have_text(f"{i} / {len(PEOPLE)}", timeout=CROSS_MS)
        p.get_by_role("button", name="Skicka min röst").click()
        expect(main(p).get_by_text("Din röst är sparad")).to_be_visible()
        for title, n in ballot.items():
            expect(stored_ballot(p)).to_contain_text(f"{title} – prickar: {n}")
    expect(turnout(proj)).to_have_text(f"{len(PEOPLE)} / {len(PEOPLE)}", timeout=CROSS_MS)

    for helix in HELIX_LABELS:
        n = sum(person.helix == helix for person in PEOPLE)
        expect(helix_turnout(proj, helix)).to_have_text(f"{n} / {n}")
    # No results while voting: no chart on the projector.
    expect(proj.get_by_test_id("stPlotlyChart")).to_have_count(0)
    expect(key(proj, "proj-ranking")).to_have_count(0)

    # ------------------------------------------------------------ 4. close and reveal
    press(fac, "Stäng röstningen")
    expect(driver(fac).get_by_text("Stänga röstningen?", exact=False)).to_be_visible()
    driver(fac).get_by_role("button", name="Ja, stäng röstningen").click()
    driver_at(fac, "Omgång 1: Prickröstning – Stängd")
    projector_at(proj, "Omgång 1 · Prickröstning · Stängd")
    expect(main(proj).get_by_role("heading", name="Röstningen är stängd – resultaten visas snart")).to_be_visible()
    expect(proj.get_by_test_id("stPlotlyChart")).to_have_count(0)  # closed is not revealed
    closed_note = "Omröstningen är stängd. Resultatet visas här när processledaren visar det."
    phones_follow(people, "voting closed", lambda p: visible(main(p).get_by_text(closed_note)))
    press(fac, "Visa resultatet")
    flash(fac, "Resultatet visas nu på projektorn.")
    assert ranking_on_screen(proj, expected_labels(dots_order)) == expected_labels(dots_order)
    expect(key(proj, "proj-funnel")).to_be_visible()
    expect(proj.locator("b, strong")).to_have_count(0)  # the chart's labels are text too
    expect(proj.locator("a[href^='http://x']")).to_have_count(0)
    no_exception(proj)
    # The reveal alternates the ranking (12 s) with the funnel (6 s): the guide shows the ranking.
    expect(key(proj, "proj-ranking")).to_be_visible(timeout=CROSS_MS)
    wait_idle(proj)
    shots["projector"] = ARTIFACTS / "projector.png"
    proj.screenshot(path=str(shots["projector"]), animations="disabled", caret="hide")
    top_title, top_total = dots_order[0]
    unit = "prick" if top_total == 1 else "prickar"  # a dot round's unit on the phones
    first_line = f"1. {top_title} – {top_total} {unit}"  # the result reaches the phones too
    phones_follow(people, "results revealed", lambda p: visible(main(p).get_by_text(first_line, exact=True)))

    # ------------------------------------------------------------ 5. the top 4 go on to a score round
    k_input = fac.get_by_label("Antal teman att föra vidare")
    k_input.fill(str(TOP_K))
    k_input.press("Enter")
    expect(driver(fac).get_by_text(f"{TOP_K} teman går vidare", exact=False)).to_be_visible()
    going = keyed(driver(fac), "st-key-plain-body-adv-list-")
    expect(going).to_have_text("\n".join(f"{n}. {title}" for n, title in enumerate(top, start=1)))
    expect(driver(fac).get_by_role("combobox", name="Röstmetod")).to_have_value("Bedömning mot kriterier")
    driver(fac).get_by_role("button", name="Använd de fem vanliga S3-kriterierna").click()
    criteria_table = driver(fac).get_by_test_id("stDataFrame").filter(has_text=CRITERIA[0])
    expect(criteria_table).to_have_count(1)
    wait_idle(fac)
    expect(driver(fac).get_by_test_id("stDataFrame")).to_have_count(1)
    for criterion in CRITERIA:
        expect(criteria_table).to_contain_text(criterion)
    press(fac, "Skapa nästa omgång")
    flash(fac, "Omgång 2 är skapad.")
    driver_at(fac, "Omgång 2: Bedömning mot kriterier – Utkast")
    expect(driver(fac).get_by_text(f"{TOP_K} teman förs vidare från förra omgången.")).to_be_visible()
    expect(key(proj, "proj-funnel")).to_contain_text("Vidare till omgång 2", timeout=CROSS_MS)

    # ------------------------------------------------------------ 6. score voting
    press(fac, "Starta granskning")
    driver_at(fac, "Omgång 2: Bedömning mot kriterier – Granskning")
    projector_at(proj, "Omgång 2 · Bedömning mot kriterier · Granskning")
    for title in top:
        expect(proposals.get_by_text(f"• {title}", exact=True)).to_be_visible()
    expect(proposals.get_by_test_id("stText")).to_have_count(TOP_K)  # the rest stayed behind
    caption = "Omgång 2 · Bedömning mot kriterier · Granskning"
    phones_follow(people, "round 2 review started", lambda p: visible(main(p).get_by_text(caption, exact=True)))
    press(fac, "Öppna röstningen")
    driver_at(fac, "Omgång 2: Bedömning mot kriterier – Röstning")
    projector_at(proj, "Omgång 2 · Bedömning mot kriterier · Röstning")
    expect(turnout(proj)).to_have_text(f"0 / {len(PEOPLE)}")

    def score(p: Page, values: dict[str, int]) -> None:
        for title, value in values.items():
            groups = keyed(ballot_theme(p, title), "-score-")
            expect(groups).to_have_count(len(CRITERIA))
            for g in range(len(CRITERIA)):
                groups.nth(g).get_by_test_id("stRadioOption").nth(value - SCALE_MIN).click()

    # The late participant opens the ballot now, in a context whose timers are under the test's control.
    late_page = open_page(browser, room, "participant-late", viewport=PHONE)
    late_page.context.clock.install()
    late_page.goto(personal_urls[LATE])
    expect(key(late_page, "plain-strong-participant-who")).to_contain_text(PEOPLE[LATE].name)
    expect(ballot_theme(late_page, top[0])).to_be_visible()
    score(late_page, LATE_SCORES)

    for i, (p, values) in enumerate(zip(people, SCORE_BALLOTS, strict=False)):
        expect(ballot_theme(p, top[0])).to_be_visible(timeout=CROSS_MS)
        score(p, values)
        expect(turnout(proj)).to_have_text(f"{i} / {len(PEOPLE)}", timeout=CROSS_MS)
        p.get_by_role("button", name="Skicka min röst").click()
        expect(main(p).get_by_text("Din röst är sparad")).to_be_visible()
        for title, value in values.items():
            expect(stored_ballot(p)).to_contain_text(f"{title}\n    {CRITERIA[0]}: {value}")
        if i == RELOADER:
            p.reload()
            who = key(p, "plain-strong-participant-who")
            expect(who).to_contain_text(PEOPLE[i].name)
            expect(who).to_contain_text(PEOPLE[i].organisation)
            expect(main(p).get_by_text("Din röst är sparad")).to_be_visible()
            for title, value in values.items():
                expect(stored_ballot(p)).to_contain_text(f"{title}\n    {CRITERIA[0]}: {value}")
                radios = keyed(ballot_theme(p, title), "-score-").first.get_by_role("radio")
                expect(radios.nth(value - SCALE_MIN)).to_be_checked()
            expect(main(p).get_by_role("heading", name="Gå med i workshopen")).to_have_count(0)
            expect(main(p).get_by_text("Du har inte röstat än.")).to_have_count(0)

    expect(turnout(proj)).to_have_text(f"{len(SCORE_BALLOTS)} / {len(PEOPLE)}", timeout=CROSS_MS)

    # Freeze the late page's clock: it stops polling, so it still shows the ballot after the close.
    late_page.clock.pause_at(late_page.evaluate("Date.now()") + 1_000)
    wait_idle(late_page)
    press(fac, "Stäng röstningen")
    driver(fac).get_by_role("button", name="Ja, stäng röstningen").click()
    driver_at(fac, "Omgång 2: Bedömning mot kriterier – Stängd")
    projector_at(proj, "Omgång 2 · Bedömning mot kriterier · Stängd")
    expect(late_page.get_by_role("button", name="Skicka min röst")).to_be_visible()  # stale, as intended
    late_page.get_by_role("button", name="Skicka min röst").click()
    refusal = main(late_page).get_by_test_id("stAlertContentError")
    expect(refusal).to_contain_text("Omröstningen är inte öppen")
    expect(refusal).to_contain_text("Din röst har inte sparats.")
    late_page.clock.resume()
    expect(main(late_page).get_by_text("Din röst är sparad")).to_have_count(0)
    stored = database_ballots(db_url, round_seq=2)
    assert PEOPLE[LATE].name not in stored, f"a ballot sent after the close was stored: {stored}"
    assert sum(stored.values()) == len(SCORE_BALLOTS), stored
    expect(turnout(proj)).to_have_text(f"{len(SCORE_BALLOTS)} / {len(PEOPLE)}")
    expect(helix_turnout(proj, PEOPLE[LATE].helix)).to_have_text("0 / 1")
    # The same participant's live page, like everyone's, followed the close by itself.
    phones_follow(people, "voting closed", lambda p: visible(main(p).get_by_text(closed_note)))

    press(fac, "Visa resultatet")
    flash(fac, "Resultatet visas nu på projektorn.")
    assert ranking_on_screen(proj, expected_labels(score_order)) == expected_labels(score_order)
    expect(ranking_labels(proj).filter(has_text=MARKUP)).to_have_count(0)  # stayed in round 1
    no_exception(proj)

    # ------------------------------------------------------------ 7. priorities
    fac.get_by_role("tab", name="Prioriteringar").click()
    fac.get_by_role("button", name="Välj prioriteringar").click()
    priorities = score_order[:2]
    rationales = keyed(fac, "st-key-prio-rat-").locator("textarea")
    for rank, (title, value) in enumerate(priorities, start=1):
        choose(fac, main(fac), "Prioriterade teman", f"{title} (plats {rank}, {total_text(value)})")
        fac.keyboard.press("Escape")
        expect(rationales).to_have_count(rank)
        keep_tab(fac, "Prioriteringar", bugs, f"choosing priority {rank} (console)")
    for n in range(len(priorities)):
        rationales.nth(n).fill(PRIORITY_RATIONALE)
    fac.get_by_role("button", name="Spara prioriteringarna").click()
    flash(fac, f"{len(priorities)} prioriteringar är sparade.")
    keep_tab(fac, "Prioriteringar", bugs, "'Spara prioriteringarna' (console)")
    for rank, (title, _) in enumerate(priorities, start=1):
        saved = keyed(fac, "st-key-prio-shown-").filter(has_text=f"{rank}. {title}")
        expect(saved).to_be_visible()
        expect(saved).to_contain_text(PRIORITY_RATIONALE)
    funnel = key(proj, "proj-funnel")
    expect(funnel).to_contain_text("Prioriteringar", timeout=CROSS_MS)
    expect(funnel).to_contain_text("Vidare till omgång 2")

    home = open_page(browser, room, "home", viewport={"width": 1280, "height": 800})
    home.goto(base_url)
    wait_for_app(home)
    shown = key(home, f"plain-body-workshop-{workshop_id}-priorities")
    expect(shown).to_have_text("\n".join(f"{n}. {title}" for n, (title, _) in enumerate(priorities, start=1)))
    expect(shown).not_to_contain_text(score_order[2][0])  # only the two chosen
    shots["home"] = full_page_shot(home, ARTIFACTS / "home.png")
    for page in room.values():
        no_exception(page)

    if os.environ.get("EDP_UPDATE_SCREENSHOTS"):
        for name, doc_name in GUIDE_SHOTS.items():
            shutil.copyfile(shots[name], DOCS_SCREENSHOTS / doc_name)
    if bugs.seen:
        pytest.fail(bugs.report(), pytrace=False)
