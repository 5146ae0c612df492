"""Live views: a fragment polls the workshop's revision and reruns the page only when what
this screen shows has changed. An idle page costs one indexed query per interval."""

from __future__ import annotations

from collections.abc import Callable, Hashable

import streamlit as st
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from edp.live import workshop_revision
from edp.ui.common import engine, t

POLL_INTERVAL = "2s"


def follow(
    workshop_id: int,
    view_key: Callable[[], Hashable] | None = None,
    *,
    seen_revision: int | None = None,
    seen_view: Hashable | None = None,
    interval: str = POLL_INTERVAL,
) -> None:
    """Rerun the whole page when the workshop changes.

    A full run of the page records what it drew (the revision, or `seen_revision` when the
    page loaded its data under a known revision) and never reruns itself: a rerun in the
    middle of a run would throw away the click that run is handling. Only the timer's
    fragment runs compare and trigger a rerun. `view_key` narrows "changed" further: it is
    called only after the revision moved, and the page reruns only if its value changed too
    (a participant typing a proposal is not interrupted by others' proposals).

    Pass `seen_revision` and `seen_view` from the data the page actually drew. Reading them
    afresh here would race a write that lands between the page's read and this call: the
    fresh values would already include it, so the poll would see nothing new and the screen
    would stay on what it drew before the write.
    """
    rev_key, view_state, full_run = f"_rev_{workshop_id}", f"_view_{workshop_id}", f"_full_{workshop_id}"
    st.session_state[rev_key] = seen_revision if seen_revision is not None else workshop_revision(engine(), workshop_id)
    if view_key is not None:
        st.session_state[view_state] = seen_view if seen_view is not None else view_key()
    st.session_state[full_run] = True

    @st.fragment(run_every=interval)
    def _poll() -> None:
        if st.session_state.pop(full_run, False):
            return  # part of the page's own run: nothing to compare yet
        try:
            rev = workshop_revision(engine(), workshop_id)
        except SQLAlchemyError:
            return  # the database is away for a moment: the page stays as it is; the next poll tries again
        if rev == st.session_state.get(rev_key):
            return
        st.session_state[rev_key] = rev
        if view_key is not None:
            try:
                new = view_key()
            except SQLAlchemyError:
                return
            if new == st.session_state.get(view_state):
                return
            st.session_state[view_state] = new
        st.rerun(scope="app")

    _poll()


RETRY_INTERVAL = "3s"


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
