"""Live views: a fragment hears of changes by push (edp.ui.push) and reruns the page only when
what this screen shows has changed; a slow fallback poll covers a stream that dropped. An idle
page costs nothing but its fallback check, one indexed query per 15 s."""

from __future__ import annotations

import functools
import hashlib
import html
import logging
import os
import threading
import time
from collections.abc import Callable, Hashable
from typing import ParamSpec, TypeVar

import streamlit as st
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from edp.events import Screen, sign_ticket
from edp.live import workshop_revision
from edp.ui.common import engine, t
from edp.ui.push import PUSH_PATH, secret

FALLBACK_POLL_S = 15.0
# Every session of this server that polls the same workshop within this window shares one read:
# a room of 300 polling every 2 s is 150 polls a second, and one query answers them all.
SHARED_READ_S = 0.5
T = TypeVar("T")
P = ParamSpec("P")
log = logging.getLogger("edp.app")
_shared: dict[Hashable, tuple[float, object]] = {}
_shared_lock = threading.Lock()


def shared_read(key: Hashable, read: Callable[[], T], *, not_before: float) -> T:
    """`read()`, or a value another session of this server read for the same `key` less than
    SHARED_READ_S ago, but never one read before `not_before` (time.monotonic() of the page's own
    run): a poll must not see a state older than what its page drew, or it would rerun for nothing."""
    now = time.monotonic()
    with _shared_lock:
        hit = _shared.get(key)
    if hit is not None and hit[0] >= not_before and now - hit[0] < SHARED_READ_S:
        return hit[1]  # type: ignore[return-value]
    value = read()
    with _shared_lock:
        # Stamped with the time before the read: the value shows the database at that time or later.
        if key not in _shared or _shared[key][0] < now:
            _shared[key] = (now, value)
    return value


def _fallback_seconds() -> float:
    """The slow poll behind the push: EDP_LIVE_FALLBACK_S seconds (15 by default), run by the
    listener, which says what the browser shows."""
    try:
        seconds = float(os.environ.get("EDP_LIVE_FALLBACK_S", FALLBACK_POLL_S))
    except ValueError:
        seconds = FALLBACK_POLL_S
    return max(1.0, seconds)


# A run's messages are given this long to reach the browser before a check that finds the browser
# behind draws the page again.
DELIVERY_GRACE_S = 5.0
# A participant's own ballot is told OWN_DELAY_S after it was stored (edp.ui.push). The page
# checks only if no run was drawn within OWN_WINDOW_S before, nor in the OWN_WAIT_S after: a
# vote's own run draws its confirmation, and in a room voting at once it may arrive later than
# that message. A check for each of 300 voters would cost as much as their votes.
OWN_WINDOW_S, OWN_WAIT_S = 4.0, 3.0
# After a click on a link (a page switch), the listener holds its checks this long (LISTENER_JS).
LEAVE_S = 3.0
# Streamlit's own timer behind the listener's, for a browser where the listener never started.
LAST_RESORT_POLL = "60s"


LISTENER_JS = """
export default function (component) {
  const { data, setTriggerValue, parentElement } = component;
  const note = document.createElement("div");
  note.className = "edp-live-note";
  note.setAttribute("role", "status");
  note.hidden = true;
  parentElement.appendChild(note);
  const scheme = window.location.protocol === "https:" ? "wss://" : "ws://";
  const url = scheme + window.location.host + data.path + "?t=" + encodeURIComponent(data.ticket);
  let socket = null, retry = 0, timer = null, noteTimer = null, again = null, stopped = false;
  // What this browser shows: the newest view mark a run left in the page (edp.ui.live.mark). A
  // run whose messages never arrived left none, so the server sees the page is behind.
  let newest = -1, drawnAt = 0;  // the newest mark's seq, and when this browser first saw it
  const shown = () => {
    let view = "", seq = -1;
    document.querySelectorAll(".edp-drawn").forEach((el) => {
      if (el.closest('[data-stale="true"]')) return;
      const n = Number(el.dataset.seq);
      if (n > seq) { seq = n; view = el.dataset.view || ""; }
    });
    if (seq !== newest) { newest = seq; drawnAt = Date.now(); }
    return view;
  };
  const sampler = setInterval(shown, 1000);
  // A click on a link is leaving this page. A check sent now could reach Streamlit after the page
  // switch, and Streamlit 1.67 would run it instead: only this page's fragment, which the new page
  // does not have, so the new page stayed empty. Checks wait until the click is data.leave_ms old;
  // if this page is still here then (a link to itself, a file), the one that waited is sent.
  let leaving = -Infinity, later = null;
  const away = (ev) => { if (ev.target instanceof Element && ev.target.closest("a[href]")) leaving = Date.now(); };
  document.addEventListener("click", away, true);
  const check = () => {
    const wait = leaving + data.leave_ms - Date.now();
    if (wait > 0) { clearTimeout(later); later = setTimeout(check, wait); return; }
    setTriggerValue("news", shown() + ":" + Date.now());
  };
  // Each message asks for a check now and once more a moment later, after the burst.
  const news = () => { check(); clearTimeout(again); again = setTimeout(check, 1500); };
  // The participant's own ballot, told a moment after it was stored: their page drew it in the
  // same run. Only if nothing was drawn around then (that run's answer was lost) is a check due.
  const recent = () => { shown(); return Date.now() - drawnAt < data.own_window_ms; };
  const own = () => { if (!recent()) setTimeout(() => { if (!recent()) news(); }, data.own_wait_ms); };
  const message = (ev) => (String(ev.data).endsWith(" own") ? own() : news());
  const poll = setInterval(check, data.fallback_ms);  // the fallback poll, told what is shown
  const offline = () => {
    if (noteTimer === null) noteTimer = setTimeout(() => { note.textContent = data.offline; note.hidden = false; }, 2000);
  };
  const online = () => {
    clearTimeout(noteTimer); noteTimer = null; note.hidden = true; note.textContent = "";
  };
  const connect = () => {
    socket = new WebSocket(url);
    socket.onopen = () => { retry = 0; online(); news(); };  // look again: changes made while away were not sent
    socket.onmessage = message;
    socket.onclose = () => {
      socket = null;
      if (stopped) return;
      offline();
      retry += 1;
      timer = setTimeout(connect, Math.min(10000, 500 * 2 ** Math.min(retry, 5)));
    };
  };
  connect();
  return () => {
    stopped = true; clearTimeout(timer); clearTimeout(noteTimer); clearTimeout(again); clearTimeout(later);
    clearInterval(poll); clearInterval(sampler); document.removeEventListener("click", away, true);
    if (socket) socket.close();
    note.remove();
  };
}
"""
LISTENER_CSS = """
.edp-live-note { position: fixed; top: 0.5rem; left: 50%; transform: translateX(-50%); z-index: 1000;
  background: #fff4e5; color: #4a2800; border: 2px solid #8a4b00; border-radius: 6px;
  padding: 0.4rem 0.9rem; font-size: 1rem; font-weight: 600; }
"""
_listener = st.components.v2.component("edp_live", js=LISTENER_JS, css=LISTENER_CSS)


def listen(screen: Screen) -> str | None:
    """Mount the push listener for `screen`. In a run that the listener triggered (a pushed
    change, or its own fallback poll): the view token the browser shows ("" if none), else None."""
    data = {
        "path": PUSH_PATH,
        "ticket": sign_ticket(screen, secret()),
        "offline": t("ui.live.offline"),
        "fallback_ms": int(1000 * _fallback_seconds()),
        "own_window_ms": int(1000 * OWN_WINDOW_S),
        "own_wait_ms": int(1000 * OWN_WAIT_S),
        "leave_ms": int(1000 * LEAVE_S),
    }
    with st.container(key="edp-live"):
        result = _listener(key=f"edp-live-{screen.kind}", data=data, on_news_change=lambda: None)
    news = getattr(result, "news", None)
    return str(news).split(":", 1)[0] if news else None


MARK_PENDING = "_edp_mark"  # the view follow() recorded in this run, marked at its end (app.py)


def view_token(view: Hashable) -> str:
    return hashlib.blake2s(repr(view).encode(), digest_size=6).hexdigest()


def mark(view: Hashable, where: str = "page") -> None:
    """Leave in the page, after everything this run drew, a mark of the view it drew. The
    listener reads the newest mark the browser holds: a run whose messages were lost on the way
    left none there, so the next check sees the page is behind and draws it again."""
    token = html.escape(view_token(view))
    with st.container(key=f"edp-mark-{where}"):
        st.html(f'<div class="edp-drawn" data-seq="{time.time_ns()}" data-view="{token}"></div>')


def mark_pending() -> None:
    """At the end of a page's run (app.py): mark the view follow() recorded, if any."""
    view = st.session_state.pop(MARK_PENDING, None)
    if view is not None:
        mark(view)


def follow(
    workshop_id: int,
    view_key: Callable[[float], Hashable] | None = None,
    *,
    screen: Screen,
    seen_revision: int | None = None,
    seen_view: Hashable | None = None,
    rerun_if: Callable[[], bool] | None = None,
) -> None:
    """Rerun the whole page when what it shows has changed: told by push, checked by a slow poll.

    A fragment holds the push listener (edp.ui.push): each change that concerns `screen` reruns
    the fragment, which compares and reruns the page only when its view changed; the fallback
    timer (EDP_LIVE_FALLBACK_S, 15 s) does the same for a stream that dropped.

    A full run of the page records what it drew (the revision, or `seen_revision` when the
    page loaded its data under a known revision) and never reruns itself: a rerun in the
    middle of a run would throw away the click that run is handling. `view_key` replaces the
    revision as what "changed" means: the page reruns only when its value changes (a
    participant typing a proposal is not interrupted by others' proposals). It is called with
    the time of the page's run (for shared_read) and must cost at most one query.

    A fragment of the page that draws part of the view afresh (the ballot and its stored
    confirmation) records that with `drawn()`: a pushed change compares against it, while the
    fallback poll compares against what the full run drew, so a confirmation whose messages were
    lost on the way is drawn again within one fallback interval.

    `rerun_if` is asked on each check too: when it says so, the page reruns whatever the
    database says (e.g. a ballot clicked as its round closed waits for a full run to be sent).

    Pass `seen_revision` and `seen_view` from the data the page actually drew. Reading them
    afresh here would race a write that lands between the page's read and this call.
    """
    view_state, full_state, full_run = f"_view_{workshop_id}", f"_fullview_{workshop_id}", f"_full_{workshop_id}"
    drawn_at = time.monotonic()
    if view_key is not None:
        seen = seen_view if seen_view is not None else view_key(drawn_at)
    else:
        seen = seen_revision if seen_revision is not None else workshop_revision(engine(), workshop_id)
    st.session_state[view_state] = st.session_state[full_state] = seen
    st.session_state[full_run] = True
    st.session_state[MARK_PENDING] = seen

    def _revision() -> int | None:
        return workshop_revision(engine(), workshop_id)

    @st.fragment(run_every=LAST_RESORT_POLL)
    def _check() -> None:
        shown = listen(screen)
        if st.session_state.pop(full_run, False):
            return  # part of the page's own run: nothing to compare yet
        if rerun_if is not None and rerun_if():
            st.rerun(scope="app")
        if view_key is not None:
            read = lambda: view_key(drawn_at)  # noqa: E731
        else:
            read = lambda: shared_read(("revision", workshop_id), _revision, not_before=drawn_at)  # noqa: E731
        try:
            new = read()
        except SQLAlchemyError:
            return  # the database is away for a moment: the page stays as it is; the next check tries again
        drawn_here = new == st.session_state.get(full_state)
        if shown is not None:  # the listener asked, and said what the browser shows
            if shown == view_token(new):
                return
            # The browser is behind. If this state was drawn a moment ago, its messages may still
            # be on the way: a rerun now would replace that run (and a message it shows once).
            if drawn_here and time.monotonic() - drawn_at < DELIVERY_GRACE_S:
                return
        elif drawn_here:
            return
        st.rerun(scope="app")

    _check()


def drawn(workshop_id: int, view: Hashable, where: str) -> None:
    """A fragment has drawn `view` afresh (see follow): it leaves its own mark, newer than the page's."""
    st.session_state[f"_view_{workshop_id}"] = view
    mark(view, where)


RETRY_INTERVAL = "3s"


def database_guard(fn: Callable[P, T]) -> Callable[P, T | None]:
    """For a fragment's body, under @st.fragment: a fragment's own rerun does not pass through
    app.py's guard, so a database that stops answering mid-fragment gets the same plain message
    and self-retry (database_unavailable) instead of a traceback."""

    @functools.wraps(fn)
    def guarded(*args: P.args, **kwargs: P.kwargs) -> T | None:
        try:
            return fn(*args, **kwargs)
        except SQLAlchemyError:
            log.warning("database unavailable during a fragment run", exc_info=True)
            database_unavailable()
            return None

    return guarded


def database_unavailable() -> None:
    """The database did not answer during this run: say so plainly, and rerun the page by itself
    as soon as it answers again (nothing the user did was half-saved: every write is one transaction)."""
    st.error(t("ui.database_unavailable"), icon=":material/cloud_off:")
    st.session_state["_db_retry_inline"] = True

    @st.fragment(run_every=RETRY_INTERVAL)
    def _retry() -> None:
        if st.session_state.pop("_db_retry_inline", False):
            return  # part of the failed run itself: wait one interval, never rerun at once (no tight loop)
        try:
            with engine().connect() as conn:
                conn.execute(text("SELECT 1"))
        except SQLAlchemyError:
            return
        st.rerun(scope="app")

    _retry()
