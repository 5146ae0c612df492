"""The KPI status rule (docs/kpi-status.md): on track, at risk or off track, by a KPI's latest
measurement against its plan (a straight line from baseline to target), or no data.

A domain rule, kept apart from the charts that colour it: the charts, the roadmap pages and the
reports all ask it here.
"""

from __future__ import annotations

import datetime as dt
import math

from edp.roadmap.views import KpiView

KPI_STATUSES = ("on_track", "at_risk", "off_track", "no_data")
ON_TRACK, AT_RISK = 0.9, 0.6  # progress thresholds of kpi_status (docs/kpi-status.md)


def _expected(kpi: KpiView, on: dt.date) -> float:
    """The plan's value on a date: straight line baseline → target, flat before and after."""
    if on >= kpi.target_date or kpi.target_date <= kpi.baseline_date:
        return kpi.target_value
    if on <= kpi.baseline_date:
        return kpi.baseline_value
    share = (on - kpi.baseline_date).days / (kpi.target_date - kpi.baseline_date).days
    return kpi.baseline_value + share * (kpi.target_value - kpi.baseline_value)


def kpi_status(kpi: KpiView, today: dt.date | None = None) -> str:
    """ "on_track" | "at_risk" | "off_track" | "no_data", by the rule in docs/kpi-status.md.

    The latest measurement is compared with the plan (straight line from baseline to target) on
    the measurement's own date. With `today`, measurements dated after it are left out (the status
    as it stood that day); without it, every measurement counts.
    """
    ms = [m for m in kpi.measurements if today is None or m.date <= today]
    if not ms:
        return "no_data"
    latest = max(ms, key=lambda m: (m.date, m.id))
    base, target, value = kpi.baseline_value, kpi.target_value, latest.value
    direction = -1.0 if target < base else 1.0  # a target equal to the baseline means: hold it (or better)
    if (value - target) * direction >= 0:
        return "on_track"
    expected = _expected(kpi, latest.date)
    if math.isclose(expected, base, rel_tol=0.0, abs_tol=1e-12):
        return "on_track" if (value - base) * direction >= 0 else "off_track"
    progress = (value - base) / (expected - base)
    if progress >= ON_TRACK:
        return "on_track"
    return "at_risk" if progress >= AT_RISK else "off_track"
