"""Cached round results for screens: a tally runs once per (round, workshop revision), not once
per viewer rerun."""

from __future__ import annotations

from typing import Any

import streamlit as st

from edp.tally import round_results
from edp.ui.common import engine


@st.cache_data(max_entries=256, show_spinner=False)
def _results(url: str, round_id: int, revision: int) -> dict[str, Any]:  # noqa: ARG001 - revision is the cache key
    return round_results(engine(), round_id).as_dict()


def cached_results(round_id: int, revision: int) -> dict[str, Any]:
    """RoundResult.as_dict() for the round; recomputed only when the workshop's revision moves."""
    return _results(str(engine().url), round_id, revision)
