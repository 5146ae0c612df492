"""Live views: a fragment polls the workshop's revision and reruns the page only when what
this screen shows has changed. An idle page costs one indexed query per interval."""

from __future__ import annotations

from collections.abc import Callable, Hashable

import streamlit as st

from edp.live import workshop_revision
from edp.ui.common import engine

POLL_INTERVAL = "2s"


def follow(workshop_id: int, view_key: Callable[[], Hashable] | None = None, *, interval: str = POLL_INTERVAL) -> None:
    """Rerun the whole page when the workshop changes.

    `view_key` is called only after the revision moved; the page reruns only if its value
    changed too (a participant typing a proposal is not interrupted by others' proposals).
    """
    rev_key, view_state = f"_rev_{workshop_id}", f"_view_{workshop_id}"

    @st.fragment(run_every=interval)
    def _poll() -> None:
        rev = workshop_revision(engine(), workshop_id)
        seen = st.session_state.get(rev_key)
        st.session_state[rev_key] = rev
        if seen is None or rev == seen:
            if view_key is not None and view_state not in st.session_state:
                st.session_state[view_state] = view_key()
            return
        if view_key is not None:
            new = view_key()
            if new == st.session_state.get(view_state):
                return
            st.session_state[view_state] = new
        st.rerun(scope="app")

    _poll()
