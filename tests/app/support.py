"""Helpers the AppTest modules share."""

from __future__ import annotations

from pathlib import Path

from streamlit.testing.v1 import AppTest

APP = Path(__file__).resolve().parents[2] / "app.py"
TIMEOUT_S = 30


def ok(at: AppTest) -> AppTest:
    """The run raised nothing (a traceback on any screen is a failure)."""
    assert not at.exception, [e.value for e in at.exception]
    return at
