"""Bench part e at a tiny size: a real Streamlit server, a facilitator signing in to the console over
the websocket and in Chromium, and the duplicate suggestions' figures.

Timings are never asserted here (they are the bench's figures); what is asserted is that the bench
measures the console itself (signed in, one page of theme cards), not the sign-in form or an error,
and that its summary states the target.
"""

from __future__ import annotations

import json

import pytest

from bench import run
from bench.console import CARDS_PER_PAGE, bench_console
from tests.conftest import require_service
from tests.e2e.screenshot import CHROMIUM_PATH

pytestmark = pytest.mark.browser

LEVEL_KEYS = {
    "proposals", "sign_in_ms", "load_ms", "kb_per_run", "elements", "cards", "timed_out", "browser_ms",
    "browser_cpu_ms", "browser_page_ms", "browser_skipped", "browser_attempts", "browser_first_failure", "suggest_ms", "groups", "wrong_groups", "copies_found", "copies",
    "filter_misses",
}  # fmt: skip


def test_tiny_console_run_signs_in_and_measures_one_page_of_the_console() -> None:
    require_service(CHROMIUM_PATH.exists(), f"chromium at {CHROMIUM_PATH}")
    result = bench_console((30,), repeats=2, browser=True)
    json.loads(json.dumps(result))
    assert result["measured"] is True and result["proposals"] == 30
    (level,) = result["levels"]
    assert set(level) == LEVEL_KEYS
    assert level["timed_out"] is False
    assert level["cards"] == CARDS_PER_PAGE  # the console's first page, not the sign-in form
    assert level["load_ms"] > 0 and level["sign_in_ms"] > 0 and level["kb_per_run"] > 0
    assert level["browser_skipped"] is None, level["browser_first_failure"]
    assert level["browser_ms"] > 0 and level["browser_page_ms"] > 0
    # A second attempt is allowed (a stalled browser start on a busy machine) and then says why.
    assert level["browser_attempts"] == 1 or level["browser_first_failure"].startswith(
        ("signing in", "opening", "the next")
    )
    assert level["browser_cpu_ms"] > 0
    assert level["copies_found"] == level["copies"] > 0
    assert level["wrong_groups"] == 0 and level["filter_misses"] == 0

    text = "\n".join(run._console_lines(result))
    assert "target: loads in under 2 s with 1,000 proposals" in text
    assert f"{level['groups']} groups" in text
