"""Spreadsheet formula injection: a cell that starts with one of FORMULA_STARTS is evaluated by a
spreadsheet, so text a participant or an organiser typed gets a leading apostrophe first.

Flat and pure, so both the result files (edp.io.exports) and the roadmap files (edp.roadmap.io)
guard their cells with it without either package importing the other.
"""

from __future__ import annotations

from typing import Any

# A spreadsheet evaluates a cell that starts with one of these (CSV/formula injection).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def guard_text(value: Any) -> Any:
    """A string a spreadsheet would read as a formula gets a leading apostrophe; anything else is kept."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value
