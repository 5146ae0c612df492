"""Live views: a fragment polls the workshop's revision and reruns the page only when what
this screen shows has changed. An idle page costs one indexed query per interval."""

from __future__ import annotations

import functools
import logging
import threading
import time
from collections.abc import Callable, Hashable
from typing import ParamSpec, TypeVar

import streamlit as st
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from edp.live import workshop_revision
from edp.ui.common import engine, t

POLL_INTERVAL = "2s"
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


def follow(
    workshop_id: int,
    view_key: Callable[[float], Hashable] | None = None,
    *,
    seen_revision: int | None = None,
    seen_view: Hashable | None = None,
    interval: str = POLL_INTERVAL,
    rerun_if: Callable[[], bool] | None = None,
) -> None:
    """Rerun the whole page when the workshop changes.

    A full run of the page records what it drew (the revision, or `seen_revision` when the
    page loaded its data under a known revision) and never reruns itself: a rerun in the
    middle of a run would throw away the click that run is handling. Only the timer's
    fragment runs compare and trigger a rerun. `view_key` replaces the revision as what
    "changed" means: the page reruns only when its value changes (a participant typing a
    proposal is not interrupted by others' proposals). It is called with the time of the
    page's run (for shared_read) and must cost at most one query, as the revision does: it
    runs on every poll of every participant.

    `rerun_if` is asked on each poll too: when it says so, the page reruns whatever the
    database says (e.g. a ballot clicked as its round closed waits for a full run to be sent).

    Pass `seen_revision` and `seen_view` from the data the page actually drew. Reading them
    afresh here would race a write that lands between the page's read and this call: the
    fresh values would already include it, so the poll would see nothing new and the screen
    would stay on what it drew before the write.
    """
    rev_key, view_state, full_run = f"_rev_{workshop_id}", f"_view_{workshop_id}", f"_full_{workshop_id}"
    drawn_at = time.monotonic()
    if view_key is not None:
        st.session_state[view_state] = seen_view if seen_view is not None else view_key(drawn_at)
    else:
        st.session_state[rev_key] = (
            seen_revision if seen_revision is not None else workshop_revision(engine(), workshop_id)
        )
    st.session_state[full_run] = True

    @st.fragment(run_every=interval)
    def _poll() -> None:
        if st.session_state.pop(full_run, False):
            return  # part of the page's own run: nothing to compare yet
        if rerun_if is not None and rerun_if():
            st.rerun(scope="app")
        # One query per poll at most: the view key when the page has one, else the revision;
        # shared with the server's other sessions polling the same workshop.
        if view_key is not None:
            key, read = view_state, lambda: view_key(drawn_at)
        else:
            key, read = rev_key, lambda: shared_read(("revision", workshop_id), _revision, not_before=drawn_at)
        try:
            new = read()
        except SQLAlchemyError:
            return  # the database is away for a moment: the page stays as it is; the next poll tries again
        if new == st.session_state.get(key):
            return
        st.session_state[key] = new
        st.rerun(scope="app")

    def _revision() -> int | None:
        return workshop_revision(engine(), workshop_id)

    _poll()


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
