"""Bench part e: the facilitator's console with many proposals (the red team's join flood), and the
duplicate suggestions behind it.

For each size (100, 300 and 1,000 proposals from many participants, a share of them near-duplicates,
the round in review), a real `streamlit run app.py` and a facilitator who signs in through the
console's own form, at the websocket level (bench/live.py's client):

  sign_in_ms   click "Logga in" -> the console's run finished (the sign-in run and the console's)
  load_ms      one full run of the signed-in console, request -> script_finished (median of
               `repeats`); what every click and every live refresh of the console costs
  kb_per_run   what one such run sends to the browser; elements: how many elements it draws
  cards        theme cards drawn (the check that the console, not the sign-in form, was measured)
  browser_ms   the same sign-in in Chromium (Playwright, 1280x720): click -> the first theme card shown,
               the app idle and the page's own scripts done (a setTimeout(0) answers within 0.1 s);
               browser_cpu_ms: the CPU time Chromium spent on it (all its processes; unlike the wall
               times, hardly inflated when other work shares the cores); browser_page_ms: click "Nästa"
               under the queue -> the next page usable; null (browser_skipped says why, naming the
               step and what the page showed) without a browser or when it did not load.
               browser_attempts: a fresh browser tries once more when the first did not load (0 when
               not measured); browser_first_failure keeps the first attempt's reason then

and, without a server, the suggestions for that many titles: suggest_ms (edp.workshop.duplicates, cold),
groups, wrong_groups (groups mixing titles the generator made as different themes), copies_found of
copies (pairs of near-duplicates the generator made that share a group), and filter_misses (pairs of
titles the detailed rule calls the same theme that the quick filter dropped; must be 0).

`app` may name another checkout's app.py (python -m edp bench --console-app ../before/app.py), to
measure the console before a change with the same workshops.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import os
import statistics
import tempfile
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from bench.live import ROOT, Session, cpu_seconds, streamlit_server
from bench.titles import proposal_titles
from edp.access import SYSTEM

SIZES = (100, 300, 1000)
PROPOSALS_EACH = 4  # per participant: a flood of proposals from many phones
PASSCODE = "bench-console"
WORKSHOP = "Bench: konsolen"
LOAD_TIMEOUT_S = 180.0  # the console before this bench's change took minutes with hundreds of themes
BROWSER_TIMEOUT_MS = 120_000
RESPONSIVE_S = 0.1  # a page whose setTimeout(0) comes back within this is done with its own scripts
TARGET_MS = 2000.0
CARDS_PER_PAGE = 20


# ---------------------------------------------------------------- the workshop


def make_console_workshop(db_url: str, proposals: int) -> tuple[int, list[int]]:
    """A workshop whose first round is in review with `proposals` proposals: (workshop id, theme ids)."""
    from edp import workshop as ops
    from edp.db import make_engine
    from edp.models import HELIX_GROUPS

    engine = make_engine(db_url)
    try:
        proc = ops.create_process(engine, SYSTEM, f"Bench {time.time_ns()}")
        actors = [ops.add_actor(engine, SYSTEM, proc.id, f"Aktör {g}", g).id for g in HELIX_GROUPS]
        ws = ops.create_workshop(engine, SYSTEM, proc.id, WORKSHOP, PASSCODE)
        fac = ops.login_facilitator(engine, ws.id, PASSCODE)
        rnd = ops.add_round(engine, fac, ops.RoundSpec(method="dots", dots_per_participant=5, max_dots_per_theme=3))
        ops.set_phase(engine, fac, rnd.id, "proposing")
        people = [
            ops.join(engine, ws.join_code, f"Deltagare {i}", actor_id=actors[i % len(actors)]).token
            for i in range((proposals + PROPOSALS_EACH - 1) // PROPOSALS_EACH)
        ]
        ids = [
            ops.propose(engine, people[i // PROPOSALS_EACH], rnd.id, ops.ThemeInput(title=title.text)).id
            for i, title in enumerate(proposal_titles(proposals, seed=proposals))
        ]
        ops.set_phase(engine, fac, rnd.id, "reviewing")
        ops.logout_facilitator(engine, fac)
    finally:
        engine.dispose()
    return ws.id, ids


# ---------------------------------------------------------------- the console over the websocket


class Console:
    """What one run of the console page drew, as the load client sees it."""

    def __init__(self) -> None:
        self.elements = 0
        self.cards = 0
        self.bytes = 0
        self.login: dict[str, Any] = {}  # widget ids and options of the sign-in form

    def seen(self, _s: Session, etype: str, body: Any, _now: float) -> None:
        self.elements += 1
        wid = getattr(body, "id", "")
        if etype == "selectbox" and wid.endswith("-fac-login-ws"):
            self.login["ws"], self.login["options"] = wid, list(body.options)
        elif etype == "text_input" and wid.endswith("-fac-login-passcode"):
            self.login["passcode"] = wid
        elif etype == "button" and body.is_form_submitter and body.form_id == "fac-login":
            self.login["submit"] = wid
        elif etype == "button" and "-withdraw-" in wid:
            self.cards += 1


async def _until(s: Session, done: Callable[[], bool], timeout: float) -> bool:
    """Wait until `done()` holds when one of the session's runs finishes (or the session closed)."""

    async def reached() -> None:
        async with s.finished:
            await s.finished.wait_for(lambda: done() or s.closed)

    try:
        await asyncio.wait_for(reached(), timeout)
    except TimeoutError:
        return False
    return done()


async def _console_over_websocket(url: str, repeats: int) -> dict[str, Any]:
    view = Console()
    s = Session(url, "", view.seen, page="leda")
    await s.open()
    await asyncio.wait_for(s.loaded.wait(), LOAD_TIMEOUT_S)
    s._tasks[1].cancel()  # no live-poll timer: every run below is one this bench asked for
    if not {"ws", "passcode", "submit"} <= set(view.login):
        await s.close()
        raise RuntimeError("the console's sign-in form was not found")
    label = next(o for o in view.login["options"] if o.startswith(WORKSHOP))
    view.elements = view.cards = 0
    full = s.full_runs
    t0 = time.monotonic()
    await s.rerun(
        [
            {"id": view.login["ws"], "string_value": label},
            {"id": view.login["passcode"], "string_value": PASSCODE},
            {"id": view.login["submit"], "trigger_value": True},
        ]
    )
    # The sign-in run ends early with st.rerun(); the console's own run follows and draws the cards.
    if not await _until(s, lambda: s.full_runs > full and view.cards > 0, LOAD_TIMEOUT_S):
        await s.close()
        return {"sign_in_ms": None, "load_ms": None, "kb_per_run": None, "elements": None, "cards": None,
                "timed_out": True}  # fmt: skip
    sign_in = time.monotonic() - t0

    walls, sizes, elements, cards = [], [], [], []
    for _ in range(repeats):
        view.elements = view.cards = 0
        received, full = s.bytes_received, s.full_runs
        t0 = time.monotonic()
        await s.rerun()
        if not await _until(s, lambda full=full: s.full_runs > full, LOAD_TIMEOUT_S):
            break
        walls.append(time.monotonic() - t0)
        sizes.append(s.bytes_received - received)
        elements.append(view.elements)
        cards.append(view.cards)
    await s.close()
    return {
        "sign_in_ms": round(1000 * sign_in, 1),
        "load_ms": round(1000 * statistics.median(walls), 1) if walls else None,
        "kb_per_run": round(statistics.median(sizes) / 1024, 1) if sizes else None,
        "elements": elements[-1] if elements else None,
        "cards": cards[-1] if cards else None,
        "timed_out": len(walls) < repeats,
    }


# ---------------------------------------------------------------- the console in a browser


def _browser_cpu_s() -> float:
    """User + system CPU time of every Chromium process this bench started (its descendants)."""
    children: dict[int, list[tuple[int, str]]] = {}
    for d in Path("/proc").iterdir():
        if not d.name.isdigit():
            continue
        try:
            stat = (d / "stat").read_text()
        except OSError:
            continue
        comm, rest = stat[stat.index("(") + 1 : stat.rindex(")")], stat.rsplit(")", 1)[1].split()
        children.setdefault(int(rest[1]), []).append((int(d.name), comm))
    total, todo = 0.0, [os.getpid()]
    while todo:
        for pid, comm in children.get(todo.pop(), []):
            todo.append(pid)
            if comm.startswith("chrom"):
                with contextlib.suppress(OSError, ValueError):
                    total += cpu_seconds(pid)
    return total


def _usable(page: Any, theme_id: int) -> None:  # noqa: ANN401 - a Playwright page
    """The theme card is shown, the app idle, and the page answers at once (its scripts are done)."""
    from playwright.sync_api import expect

    expect(page.locator(f".st-key-theme-{theme_id}")).to_be_visible(timeout=BROWSER_TIMEOUT_MS)
    idle = page.get_by_test_id("stApp")
    expect(idle).to_have_attribute("data-test-script-state", "notRunning", timeout=BROWSER_TIMEOUT_MS)
    deadline = time.monotonic() + BROWSER_TIMEOUT_MS / 1000
    while time.monotonic() < deadline:
        t0 = time.monotonic()
        page.evaluate("() => new Promise(done => setTimeout(done, 0))")
        if time.monotonic() - t0 < RESPONSIVE_S:
            return
    raise AssertionError("the page stayed busy")


def _what_it_showed(page: Any) -> str:  # noqa: ANN401 - a Playwright page
    """The page's alerts and script state when a step failed: the reason in the summary."""
    from playwright.sync_api import Error as PlaywrightError

    if page is None:
        return "no page"
    try:
        alerts = [a.strip() for a in page.get_by_test_id("stAlert").all_inner_texts()][:3]
        state = page.get_by_test_id("stApp").get_attribute("data-test-script-state", timeout=1000)
        return f"url {page.url}, script {state}, alerts {alerts or 'none'}"
    except PlaywrightError as exc:
        return f"the page did not answer ({type(exc).__name__})"


def _browser_attempt(
    pw: Any,  # noqa: ANN401 - Playwright
    out: dict[str, Any],
    base_url: str,
    first_theme: int,
    next_theme: int | None,
) -> dict[str, Any]:
    """`out` with one fresh browser's figures: signing in until `first_theme` is usable, then the queue's next
    page until `next_theme` is; browser_skipped names the step that failed and what the page showed."""
    from playwright.sync_api import Error as PlaywrightError

    from tests.e2e.screenshot import CHROMIUM_ARGS, CHROMIUM_PATH

    got = dict(out)
    browser = pw.chromium.launch(executable_path=str(CHROMIUM_PATH), args=CHROMIUM_ARGS)
    step, page = "opening the sign-in form", None
    try:
        page = browser.new_context(viewport={"width": 1280, "height": 720}).new_page()
        # Through the sidebar, as a facilitator comes (a fresh server answers a first /leda with "page not found").
        page.goto(base_url)
        page.get_by_test_id("stSidebar").get_by_role("link", name="Leda workshop").click()
        page.get_by_role("textbox", name="Lösenkod").fill(PASSCODE)
        step = "signing in"
        cpu0, t0 = _browser_cpu_s(), time.monotonic()
        page.get_by_role("button", name="Logga in").click()
        _usable(page, first_theme)
        got["browser_ms"] = round(1000 * (time.monotonic() - t0), 1)
        got["browser_cpu_ms"] = round(1000 * (_browser_cpu_s() - cpu0), 1)
        if next_theme is not None and page.locator(".st-key-queue-next").count():
            step = "the next page"
            t0 = time.monotonic()
            page.locator(".st-key-queue-next").get_by_role("button").click()
            _usable(page, next_theme)
            got["browser_page_ms"] = round(1000 * (time.monotonic() - t0), 1)
    except (AssertionError, PlaywrightError) as exc:
        first = (str(exc).strip().splitlines() or [""])[0][:160]
        got["browser_skipped"] = (
            f"{step}: not usable within {BROWSER_TIMEOUT_MS // 1000} s ({type(exc).__name__}: {first}; "
            f"{_what_it_showed(page)})"
        )
    finally:
        browser.close()
    return got


def browser_figures(base_url: str, first_theme: int, next_theme: int | None) -> dict[str, Any]:
    """In Chromium at 1280x720 (see the module docstring): browser_ms, browser_cpu_ms,
    browser_page_ms; browser_skipped says why they are null."""
    out: dict[str, Any] = {"browser_ms": None, "browser_cpu_ms": None, "browser_page_ms": None, "browser_skipped": None}
    out |= {"browser_attempts": 0, "browser_first_failure": None}
    try:
        from playwright.sync_api import sync_playwright

        from tests.e2e.screenshot import CHROMIUM_PATH
    except ImportError as exc:
        return {**out, "browser_skipped": f"Playwright not importable ({exc})"}
    if not CHROMIUM_PATH.exists():
        return {**out, "browser_skipped": f"no browser at {CHROMIUM_PATH}"}

    # A second attempt in a fresh browser when the first did not load (counted in browser_attempts): one
    # stalled Chromium start on a busy machine is not the console's figure; the first failure is kept.
    with sync_playwright() as pw:
        got = _browser_attempt(pw, out, base_url, first_theme, next_theme)
        if got["browser_skipped"] is None:
            return {**got, "browser_attempts": 1}
        again = _browser_attempt(pw, out, base_url, first_theme, next_theme)
        return {**again, "browser_attempts": 2, "browser_first_failure": got["browser_skipped"]}


# ---------------------------------------------------------------- suggestions without a server


def suggestion_figures(n: int) -> dict[str, Any]:
    from edp.workshop import duplicates

    titles = proposal_titles(n, seed=n)
    numbered = {i: title.text for i, title in enumerate(titles)}
    duplicates._groups.cache_clear()
    t0 = time.perf_counter()
    groups = duplicates.duplicate_groups(numbered)
    took = time.perf_counter() - t0
    root = [t.copy_of if t.copy_of is not None else i for i, t in enumerate(titles)]
    found = {pair for g in groups for pair in itertools.combinations(g, 2)}
    copies = {(a, b) for a, b in itertools.combinations(range(n), 2) if root[a] == root[b]}
    # The quick filter against the detailed rule on every pair of distinct titles.
    written = {tuple(sorted(w)): w for w in map(duplicates.words, numbered.values()) if w}
    keys = list(written)
    quick = set(duplicates._linked_keys(keys, [written[k] for k in keys]))
    every = {
        (i, j)
        for i, j in itertools.combinations(range(len(keys)), 2)
        if duplicates.same_theme(keys[i], keys[j]) or duplicates.same_theme(written[keys[i]], written[keys[j]])
    }
    return {
        "suggest_ms": round(1000 * took, 1),
        "groups": len(groups),
        "wrong_groups": sum(1 for g in groups if len({root[i] for i in g}) > 1),
        "copies_found": len(found & copies),
        "copies": len(copies),
        "filter_misses": len(every - quick),
    }


# ---------------------------------------------------------------- the section


def bench_console(
    sizes: tuple[int, ...] = SIZES,
    *,
    app: Path | None = None,
    repeats: int = 3,
    browser: bool = True,
    log: Callable[[str], None] = lambda _msg: None,
) -> dict[str, Any]:
    """The `console` section of the bench JSON (see bench/run.py)."""
    app = (app or ROOT / "app.py").resolve()
    load_before = os.getloadavg()[0]
    levels = []
    with tempfile.TemporaryDirectory(prefix="edp-console-") as tmp_name:
        tmp = Path(tmp_name)
        for n in sizes:
            log(f"console: {n} proposals ...")
            from edp.db import upgrade

            db = f"sqlite:///{tmp / f'console-{n}.sqlite'}"
            upgrade(db)
            _, ids = make_console_workshop(db, n)
            with streamlit_server(app, db, tmp / f"console-{n}.log", cwd=app.parent) as server:
                with ThreadPoolExecutor(1, thread_name_prefix="edp-console") as pool:
                    ws = pool.submit(asyncio.run, _console_over_websocket(server.ws_url, repeats)).result()
                seen = {"browser_ms": None, "browser_cpu_ms": None, "browser_page_ms": None, "browser_attempts": 0}
                seen["browser_first_failure"] = None
                seen["browser_skipped"] = "not requested"
                if browser:
                    second = ids[CARDS_PER_PAGE] if len(ids) > CARDS_PER_PAGE else None
                    # In a thread of its own: Playwright's sync API refuses a thread whose asyncio loop runs,
                    # as the main thread's does while a pytest-playwright browser is open in the same session.
                    with ThreadPoolExecutor(1, thread_name_prefix="edp-browser") as pool:
                        url = f"http://127.0.0.1:{server.port}"
                        seen = pool.submit(browser_figures, url, ids[0], second).result()
            level = {"proposals": n, **ws, **seen, **suggestion_figures(n)}
            levels.append(level)
            log(
                f"  load {level['load_ms']} ms, sign-in {level['sign_in_ms']} ms, browser {level['browser_ms']} ms "
                f"(next page {level['browser_page_ms']} ms), {level['kb_per_run']} KB, {level['cards']} cards"
            )
    last = levels[-1]
    return {
        "measured": True,
        "app": str(app),
        # The machine's 1-minute load average before and after: the figures are wall times.
        "load_average": [round(load_before, 2), round(os.getloadavg()[0], 2)],
        "proposals": last["proposals"],
        "load_ms": last["load_ms"],
        "browser_ms": last["browser_ms"],
        "suggest_ms": last["suggest_ms"],
        "levels": levels,
    }
