"""Plotly figures for roadmaps: the Gantt chart, KPI charts, the KPI status rule and the portfolio.

Data in (the frozen views of edp.roadmap_views), figure out; no Streamlit. House style as in
edp.charts: colours of at least 3:1 against the white background, every text a user typed goes through
`escape` before it reaches a figure, and hover text travels as customdata (never spliced
into a hovertemplate). Bars on a date axis are plotly bars with `base` = start and `x` =
duration in milliseconds, one trace per colour group, so 500 activities stay cheap.
Activities are drawn through their end day (end + 1 day), since plans are made in whole days.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable
from typing import Any

import plotly.graph_objects as go
from plotly.subplots import make_subplots

from edp import i18n
from edp.charts import escape, number
from edp.roadmap_views import ActivityView, KpiView, MilestoneView, ProcessRoadmaps, RoadmapView

# Lead actors' colours, in the order actors get them: each at least 3:1 against the white background
# (WCAG 1.4.11; Okabe–Ito's yellow, orange and sky blue were 1.3–2.3:1), none black (the milestones and the
# today line are), and as far apart from each other as 8 such colours go (CIELAB ΔE at least 34).
LEAD_COLOURS = ("#1F5FA8", "#CC3311", "#1B9E77", "#A6611A", "#7B3294", "#0F7B8A", "#B0306A", "#6A6A00")
# Past 8 actors a colour comes again only with a hatching of its own: no two actors ever look alike.
LEAD_PATTERNS = ("", "/", "x", ".", "\\", "+", "-", "|")
ACTIVITY_STATUSES = ("planned", "ongoing", "done", "delayed", "cancelled")
# Each at least 3:1 against white (WCAG 1.4.11; sky blue #56B4E9 was 2.3:1, grey #999999 2.8:1).
STATUS_COLOURS = {
    "planned": "#3A87C8",  # light blue, 3.8:1: not started
    "ongoing": "#0B4F8A",  # dark blue, 8.4:1
    "done": "#008060",  # bluish green, 4.9:1
    "delayed": "#D55E00",  # vermillion, 3.9:1
    "cancelled": "#767676",  # grey, 4.5:1
}
ROADMAP_STATUSES = ("draft", "active", "completed", "archived")
ROADMAP_STATUS_COLOURS = {"draft": "#3A87C8", "active": "#0B4F8A", "completed": "#008060", "archived": "#767676"}
KPI_STATUSES = ("on_track", "at_risk", "off_track", "no_data")
ON_TRACK, AT_RISK = 0.9, 0.6  # progress thresholds of kpi_status (docs/kpi-status.md)

MILESTONE_COLOUR = "#000000"
GOAL_BAND = "#EFEFEF"
GOAL_SPAN = "#858585"  # 3.2:1 on GOAL_BAND (#BBBBBB was 1.7:1); no darker, a milestone label may cross it
TODAY_COLOUR = "#000000"
PLAN_COLOUR = "#777777"
MEASURED_COLOUR = "#0072B2"
TARGET_COLOUR = "#D55E00"

LABEL_MAX = 45
MILESTONE_LABEL_MAX = 30
FONT_SIZE = 14
ROW_PX = 28
MARGIN_PX = 210  # title, legend and date axis around the rows
MIN_HEIGHT = 420
DAY_MS = 86_400_000


def _tr(key: str, lang: str, **params: Any) -> str:
    return i18n.t(key, lang, **params)


def shorten(text: str, max_len: int = LABEL_MAX) -> str:
    """`text` cut to `max_len` characters with "…" (before escaping, so no entity is cut in half)."""
    text = " ".join(str(text).split())
    return text if len(text) <= max_len else text[: max_len - 1].rstrip() + "…"


def status_name(status: str, lang: str) -> str:
    return _tr(f"roadmap_charts.status.{status}", lang)


def roadmap_status_name(status: str, lang: str) -> str:
    return _tr(f"roadmap_charts.roadmap_status.{status}", lang)


def kpi_status_name(status: str, lang: str) -> str:
    return _tr(f"roadmap_charts.kpi.status.{status}", lang)


def _iso(d: dt.date) -> str:
    return d.isoformat()


def _days_ms(start: dt.date, end: dt.date) -> int:
    """Bar length from the start day through the end day (at least one day)."""
    return max((end - start).days + 1, 1) * DAY_MS


def _label(key: str, lang: str) -> str:
    return escape(_tr(key, lang))


# ---------------------------------------------------------------- shared layout


def _date_axis(fig: go.Figure, start: dt.date, end: dt.date) -> None:
    """Range = the period; a labelled gridline per year and a light one per quarter (per month when short)."""
    months = (end.year - start.year) * 12 + end.month - start.month
    short = months <= 24
    fig.update_xaxes(
        type="date",
        range=[_iso(start), _iso(end)],
        tick0=f"{start.year}-01-01",
        dtick="M3" if short else "M12",
        tickformat="%Y-%m" if short else "%Y",
        ticklabelmode="instant" if short else "period",
        showgrid=True,
        gridcolor="#9A9A9A",
        gridwidth=1,
        minor={"dtick": "M1" if short else "M3", "showgrid": True, "gridcolor": "#E2E2E2", "gridwidth": 1},
        showline=True,
        linecolor="#000000",
        ticks="outside",
        automargin=True,
    )


TOP_AXIS_ROWS = 30  # taller charts repeat the dates above the rows


def _top_date_axis(fig: go.Figure, start: dt.date) -> None:
    """The dates again above the rows: a second x axis tied to the first, carried by one invisible point."""
    fig.add_scatter(
        x=[_iso(start)], y=[0], xaxis="x2", mode="markers", marker={"opacity": 0}, hoverinfo="skip",
        showlegend=False, meta={"role": "top_axis"},
    )  # fmt: skip
    x = fig.layout.xaxis
    fig.update_layout(
        xaxis2={
            "type": "date", "overlaying": "x", "matches": "x", "side": "top", "tick0": x.tick0, "dtick": x.dtick,
            "tickformat": x.tickformat, "ticklabelmode": x.ticklabelmode, "showgrid": False, "ticks": "outside",
            "showline": True, "linecolor": "#000000", "automargin": True,
        }
    )  # fmt: skip


def _rows_axis(fig: go.Figure, labels: list[str]) -> None:
    """Rows top to bottom: y = 0, 1, 2 … with the labels as tick text (so equal titles stay separate rows)."""
    n = len(labels)
    fig.update_yaxes(
        tickmode="array",
        tickvals=list(range(n)),
        ticktext=labels,
        range=[n - 0.5, -0.5] if n else [0.5, -0.5],
        showgrid=False,
        zeroline=False,
        automargin=True,
        fixedrange=True,
    )


def _today_line(fig: go.Figure, today: dt.date, start: dt.date, end: dt.date, lang: str, *, above_px: int = 0) -> None:
    """A dashed line on today's date, labelled above the plot (`above_px` higher, to clear a top axis)."""
    if not start <= today <= end:
        return
    fig.add_shape(
        type="line",
        xref="x",
        yref="paper",
        x0=_iso(today),
        x1=_iso(today),
        y0=0,
        y1=1,
        line={"color": TODAY_COLOUR, "width": 2, "dash": "dash"},
        name="today",
    )
    fig.add_annotation(
        x=_iso(today),
        xref="x",
        y=1,
        yref="paper",
        yanchor="bottom",
        text=_label("roadmap_charts.today", lang),
        yshift=above_px,
        showarrow=False,
        font={"size": FONT_SIZE, "color": TODAY_COLOUR},
        bgcolor="#FFFFFF",
        name="today",
    )


def _legend_rows(fig: go.Figure, per_row: int = 2) -> int:
    """Rows the legend may need: two entries a row, as on a narrow (laptop-width) page."""
    shown = sum(1 for tr in fig.data if tr.showlegend is not False and tr.name)
    return max(1, -(-shown // per_row))


def _style(
    fig: go.Figure, title: str, height: int, legend_title: str | None = None, *, top_px: int = 120, gap_px: int = 28
) -> go.Figure:
    """White, print-friendly layout. The legend sits below the plot, in as many rows as it needs,
    and the figure grows by those rows, so a long legend never covers the title or the plot."""
    legend_px = 26 * _legend_rows(fig) + (30 if legend_title else 0) + 20
    top = max(top_px - 40, 80)
    bottom = 60 + legend_px
    height = height + legend_px
    fig.update_layout(
        template="plotly_white",
        paper_bgcolor="#FFFFFF",
        plot_bgcolor="#FFFFFF",
        font={"size": FONT_SIZE, "color": "#000000"},
        title={"text": title, "x": 0, "xanchor": "left", "font": {"size": FONT_SIZE + 8}},
        hoverlabel={"font": {"size": FONT_SIZE}},
        legend={
            "orientation": "h",
            # Anchored to the figure's bottom edge, inside the bottom margin kept for it: the same
            # place in the exported image and in the page's (differently sized) interactive chart.
            "yref": "container",
            "yanchor": "bottom",
            "y": 0,
            "x": 0,
            "font": {"size": FONT_SIZE},
            "title": {"text": legend_title or "", "side": "top"},
            "traceorder": "normal",
        },
        margin={"l": 10, "r": 40, "t": top, "b": bottom},
        height=height,
    )
    return fig


def _empty_note(fig: go.Figure, text: str) -> None:
    fig.add_annotation(
        text=text, xref="paper", yref="paper", x=0.5, y=0.5, showarrow=False, font={"size": FONT_SIZE + 4}
    )


# ---------------------------------------------------------------- Gantt


def lead_style(index: int) -> tuple[str, str]:
    """(colour, hatching) of the index-th lead actor: LEAD_COLOURS first plain, then each hatched in turn."""
    colour = LEAD_COLOURS[index % len(LEAD_COLOURS)]
    return colour, LEAD_PATTERNS[(index // len(LEAD_COLOURS)) % len(LEAD_PATTERNS)]


def _groups(acts: Iterable[ActivityView], color_by: str, lang: str) -> list[tuple[str, str, str, list[ActivityView]]]:
    """(key, legend name, colour, activities) per colour group, in legend order; a lead actor's key
    is actor:<id>, and its hatching is lead_style's for its place in that order."""
    acts = list(acts)
    if color_by == "status":
        return [
            (s, status_name(s, lang), STATUS_COLOURS[s], [a for a in acts if a.status == s])
            for s in ACTIVITY_STATUSES
            if any(a.status == s for a in acts)
        ] + [
            (s, escape(s), "#666666", [a for a in acts if a.status == s])
            for s in sorted({a.status for a in acts} - set(ACTIVITY_STATUSES))
        ]
    leads = sorted({a.lead for a in acts if a.lead is not None}, key=lambda r: (r.name.casefold(), r.id))
    out = [
        (f"actor:{r.id}", escape(r.name), lead_style(i)[0], [a for a in acts if a.lead == r])
        for i, r in enumerate(leads)
    ]
    if without := [a for a in acts if a.lead is None]:  # not possible through the app, but never crash
        out.append(("actor:none", "–", "#666666", without))
    return out


def _milestone_text(m: MilestoneView, left: bool) -> str:
    label = escape(shorten(m.title, MILESTONE_LABEL_MAX))
    return f"{label}  " if left else f"  {label}"


def gantt_figure(rm: RoadmapView, lang: str, *, color_by: str = "lead", today: dt.date | None = None) -> go.Figure:
    """One bar per activity under its goal (goal order, then activity order; first row at the top).

    Colour by lead actor (one trace and legend entry per actor, each its own colour and hatching) or, with
    color_by="status", by activity status. Goals are bold header rows on a light band with a thin
    grey bar over their activities' span; milestones are diamonds on their goal's row, or on a
    top row when they belong to no goal. A dashed line marks today when it falls in the period.
    """
    if color_by not in ("lead", "status"):
        raise ValueError(f"color_by must be 'lead' or 'status', not {color_by!r}")
    today = today or dt.date.today()
    goal_ids = {g.id for g in rm.goals}
    loose = [m for m in rm.milestones if m.goal_id not in goal_ids]
    labels: list[str] = []
    if loose:
        labels.append(f"<b>{_label('roadmap_charts.milestones_row', lang)}</b>")
    goal_row: dict[int, int] = {}
    act_row: dict[int, int] = {}
    for g in rm.goals:
        goal_row[g.id] = len(labels)
        labels.append(f"<b>{escape(shorten(g.title))}</b>")
        for a in g.activities:
            act_row[a.id] = len(labels)
            labels.append(escape(shorten(a.title)))

    fig = go.Figure()
    for g in rm.goals:  # header bands
        fig.add_shape(
            type="rect", xref="paper", yref="y", x0=0, x1=1, y0=goal_row[g.id] - 0.5, y1=goal_row[g.id] + 0.5,
            fillcolor=GOAL_BAND, line={"width": 0}, layer="below",
        )  # fmt: skip

    spans = [g for g in rm.goals if g.activities]
    if spans:
        starts = [min(a.start for a in g.activities) for g in spans]
        ends = [max(a.end for a in g.activities) for g in spans]
        fig.add_bar(
            y=[goal_row[g.id] for g in spans],
            base=[_iso(s) for s in starts],
            x=[_days_ms(s, e) for s, e in zip(starts, ends, strict=True)],
            orientation="h",
            width=0.25,
            marker={"color": GOAL_SPAN},
            showlegend=False,
            customdata=[[escape(g.title), _iso(s), _iso(e)] for g, s, e in zip(spans, starts, ends, strict=True)],
            hovertemplate="<b>%{customdata[0]}</b><br>%{customdata[1]} – %{customdata[2]}<extra></extra>",
            meta={"role": "goals"},
        )

    goal_title = {g.id: escape(g.title) for g in rm.goals}
    hover = (
        "<b>%{customdata[0]}</b><br>"
        + _label("roadmap_charts.hover.goal", lang)
        + ": %{customdata[1]}<br>%{customdata[2]} – %{customdata[3]}<br>"
        + _label("roadmap_charts.hover.lead", lang)
        + ": %{customdata[4]}<br>"
        + _label("roadmap_charts.hover.status", lang)
        + ": %{customdata[5]}<extra></extra>"
    )
    for i, (key, name, colour, acts) in enumerate(_groups(rm.activities, color_by, lang)):
        hatch = lead_style(i)[1] if key.startswith("actor:") and key != "actor:none" else ""
        fig.add_bar(
            y=[act_row[a.id] for a in acts],
            base=[_iso(a.start) for a in acts],
            x=[_days_ms(a.start, a.end) for a in acts],
            orientation="h",
            width=0.7,
            name=name,
            marker={
                "color": colour,
                "line": {"color": "#333333", "width": 0.5},
                "pattern": {"shape": hatch, "fgcolor": "#FFFFFF", "fillmode": "overlay", "size": 8, "solidity": 0.4},
            },
            customdata=[
                [
                    escape(a.title),
                    goal_title.get(a.goal_id, ""),
                    _iso(a.start),
                    _iso(a.end),
                    escape(a.lead.name) if a.lead else "–",
                    status_name(a.status, lang),
                ]  # fmt: skip
                for a in acts
            ],
            hovertemplate=hover,
            meta={"role": "activities", "group": key},
        )

    if rm.milestones:
        ms = sorted(rm.milestones, key=lambda m: (m.date, m.id))

        def late(m: MilestoneView) -> bool:
            return (m.date - rm.period_start) > 0.7 * (rm.period_end - rm.period_start)

        fig.add_scatter(
            x=[_iso(m.date) for m in ms],
            y=[goal_row.get(m.goal_id, 0) for m in ms],  # row 0 is the milestones row when one is needed
            mode="markers+text",
            name=_label("roadmap_charts.milestone", lang),
            marker={
                "symbol": "diamond",
                "size": 16,
                "color": MILESTONE_COLOUR,
                "line": {"color": "#FFFFFF", "width": 1},
            },
            # Labels near the period's end go to the left of their marker, so they stay on the chart.
            text=[_milestone_text(m, late(m)) for m in ms],
            textposition=["middle left" if late(m) else "middle right" for m in ms],
            textfont={"size": FONT_SIZE, "color": "#000000"},
            cliponaxis=False,
            customdata=[[escape(m.title), _iso(m.date), goal_title.get(m.goal_id, "")] for m in ms],
            hovertemplate="<b>%{customdata[0]}</b><br>%{customdata[1]}<br>%{customdata[2]}<extra></extra>",
            meta={"role": "milestones"},
        )

    if not rm.activities and not rm.milestones:
        _empty_note(fig, _label("roadmap_charts.no_activities", lang))
    fig.update_layout(barmode="overlay", bargap=0)
    _rows_axis(fig, labels)
    _date_axis(fig, rm.period_start, rm.period_end)
    tall = len(labels) > TOP_AXIS_ROWS
    if tall:
        _top_date_axis(fig, rm.period_start)
    _today_line(fig, today, rm.period_start, rm.period_end, lang, above_px=26 if tall else 0)
    legend = "roadmap_charts.legend.status" if color_by == "status" else "roadmap_charts.legend.lead"
    height = max(MIN_HEIGHT, len(labels) * ROW_PX + MARGIN_PX + (40 if tall else 0))
    return _style(
        fig, escape(rm.title), height, _label(legend, lang), top_px=160 if tall else 120, gap_px=58 if tall else 28
    )


# ---------------------------------------------------------------- KPI status


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


# ---------------------------------------------------------------- KPI figures


def _kpi_traces(kpi: KpiView, lang: str, *, legend: bool = True) -> list[go.Scatter]:
    """Plan line, baseline, measurements and target, in that drawing order."""
    base_name = _label("roadmap_charts.kpi.baseline", lang)
    target_name = _label("roadmap_charts.kpi.target", lang)
    unit = escape(kpi.unit)
    value = lambda v: f"{number(v, lang, 2)} {unit}".strip()  # noqa: E731
    ms = sorted(kpi.measurements, key=lambda m: (m.date, m.id))
    return [
        go.Scatter(
            x=[_iso(kpi.baseline_date), _iso(kpi.target_date)],
            y=[kpi.baseline_value, kpi.target_value],
            mode="lines",
            name=_label("roadmap_charts.kpi.plan", lang),
            line={"color": PLAN_COLOUR, "dash": "dash", "width": 2},
            hoverinfo="skip",
            legendgroup="plan",
            showlegend=legend,
            meta={"role": "plan"},
        ),
        go.Scatter(
            x=[_iso(kpi.baseline_date)],
            y=[kpi.baseline_value],
            mode="markers",
            name=base_name,
            marker={"symbol": "circle", "size": 13, "color": "#FFFFFF", "line": {"color": "#000000", "width": 2}},
            customdata=[[base_name, _iso(kpi.baseline_date), value(kpi.baseline_value)]],
            hovertemplate="%{customdata[0]}<br>%{customdata[1]}: %{customdata[2]}<extra></extra>",
            legendgroup="baseline",
            showlegend=legend,
            meta={"role": "baseline"},
        ),
        go.Scatter(
            x=[_iso(m.date) for m in ms],
            y=[m.value for m in ms],
            mode="lines+markers",
            name=_label("roadmap_charts.kpi.measured", lang),
            line={"color": MEASURED_COLOUR, "width": 3},
            marker={"symbol": "circle", "size": 10, "color": MEASURED_COLOUR},
            customdata=[[_iso(m.date), value(m.value), escape(m.note), escape(m.recorded_by or "")] for m in ms],
            hovertemplate="%{customdata[0]}: <b>%{customdata[1]}</b><br>%{customdata[2]}<br>%{customdata[3]}<extra></extra>",
            legendgroup="measured",
            showlegend=legend,
            meta={"role": "measurements"},
        ),
        go.Scatter(
            x=[_iso(kpi.target_date)],
            y=[kpi.target_value],
            mode="markers",
            name=target_name,
            marker={"symbol": "star", "size": 18, "color": TARGET_COLOUR, "line": {"color": "#000000", "width": 1}},
            customdata=[[target_name, _iso(kpi.target_date), value(kpi.target_value)]],
            hovertemplate="%{customdata[0]}<br>%{customdata[1]}: %{customdata[2]}<extra></extra>",
            legendgroup="target",
            showlegend=legend,
            meta={"role": "target"},
        ),
    ]


def kpi_title(kpi: KpiView, lang: str, today: dt.date | None = None) -> str:
    """Escaped KPI name and its translated status, e.g. "Deltagare i EDP – I fas"."""
    return _tr(
        "roadmap_charts.kpi.title", lang, name=escape(kpi.name), status=kpi_status_name(kpi_status(kpi, today), lang)
    )


def kpi_figure(kpi: KpiView, lang: str) -> go.Figure:
    """One KPI: baseline, measurements, target and the dashed plan line; status in the title."""
    fig = go.Figure(_kpi_traces(kpi, lang))
    fig.update_yaxes(title_text=escape(kpi.unit), automargin=True, gridcolor="#E2E2E2", zeroline=False)
    fig.update_xaxes(
        type="date", tickformat="%Y-%m", automargin=True, gridcolor="#E2E2E2", showline=True, linecolor="#000000"
    )
    fig = _style(fig, kpi_title(kpi, lang), 460)
    fig.update_layout(
        legend={"orientation": "h", "yanchor": "top", "y": -0.15, "x": 0},
        margin={"t": 80, "b": 90},
    )
    return fig


def kpis_figure(rm: RoadmapView, lang: str) -> go.Figure:
    """Every KPI of a roadmap as small multiples, two per row, each titled with name and status."""
    kpis = rm.kpis
    if not kpis:
        fig = go.Figure()
        fig.update_xaxes(visible=False)
        fig.update_yaxes(visible=False)
        _empty_note(fig, _label("roadmap_charts.kpis.none", lang))
        return _style(fig, escape(rm.title), 300)
    cols = 2
    rows = math.ceil(len(kpis) / cols)
    height = 140 + rows * 340
    fig = make_subplots(
        rows=rows,
        cols=cols,
        subplot_titles=[kpi_title(k, lang) for k in kpis],
        vertical_spacing=min(0.3, 110 / height) if rows > 1 else 0.2,
        horizontal_spacing=0.12,
    )
    for i, kpi in enumerate(kpis):
        row, col = i // cols + 1, i % cols + 1
        for trace in _kpi_traces(kpi, lang, legend=i == 0):
            fig.add_trace(trace, row=row, col=col)
        fig.update_yaxes(title_text=escape(kpi.unit), row=row, col=col)
    fig.update_xaxes(
        type="date", tickformat="%Y-%m", gridcolor="#E2E2E2", showline=True, linecolor="#000000", automargin=True
    )
    fig.update_yaxes(gridcolor="#E2E2E2", zeroline=False, automargin=True)
    fig.update_annotations(font_size=FONT_SIZE + 1)  # the subplot titles
    fig = _style(fig, escape(rm.title), height)
    fig.update_layout(legend={"y": 1.0 + 60 / height}, margin={"t": 150})
    return fig


# ---------------------------------------------------------------- portfolio


def portfolio_figure(pr: ProcessRoadmaps, lang: str, today: dt.date | None = None) -> go.Figure:
    """Every roadmap of a process on one timeline: a bar per roadmap over its period, coloured by
    its status, its milestones as diamonds on its row, and today's line."""
    today = today or dt.date.today()
    rms = list(pr.roadmaps)
    title = _tr("roadmap_charts.portfolio.title", lang, process=escape(pr.process_title))
    fig = go.Figure()
    if not rms:
        fig.update_xaxes(visible=False)
        fig.update_yaxes(visible=False)
        _empty_note(fig, _label("roadmap_charts.portfolio.none", lang))
        return _style(fig, title, 300)
    hover = (
        "<b>%{customdata[0]}</b><br>%{customdata[1]} – %{customdata[2]}<br>"
        + _label("roadmap_charts.hover.status", lang)
        + ": %{customdata[3]}<br>"
        + _label("roadmap_charts.hover.owner", lang)
        + ": %{customdata[4]}<extra></extra>"
    )
    statuses = [s for s in ROADMAP_STATUSES if any(r.status == s for r in rms)]
    statuses += sorted({r.status for r in rms} - set(ROADMAP_STATUSES))
    for s in statuses:
        rows = [(i, r) for i, r in enumerate(rms) if r.status == s]
        known = s in ROADMAP_STATUSES
        fig.add_bar(
            y=[i for i, _ in rows],
            base=[_iso(r.period_start) for _, r in rows],
            x=[_days_ms(r.period_start, r.period_end) for _, r in rows],
            orientation="h",
            width=0.55,
            name=roadmap_status_name(s, lang) if known else escape(s),
            marker={"color": ROADMAP_STATUS_COLOURS.get(s, "#666666"), "line": {"color": "#333333", "width": 0.5}},
            customdata=[
                [
                    escape(r.title),
                    _iso(r.period_start),
                    _iso(r.period_end),
                    roadmap_status_name(r.status, lang) if known else escape(r.status),
                    escape(r.owner.name) if r.owner else "–",
                ]  # fmt: skip
                for _, r in rows
            ],
            hovertemplate=hover,
            meta={"role": "roadmaps", "status": s},
        )
    ms = [(i, r, m) for i, r in enumerate(rms) for m in sorted(r.milestones, key=lambda m: (m.date, m.id))]
    if ms:
        fig.add_scatter(
            x=[_iso(m.date) for _, _, m in ms],
            y=[i for i, _, _ in ms],
            mode="markers",
            name=_label("roadmap_charts.milestone", lang),
            marker={
                "symbol": "diamond",
                "size": 16,
                "color": MILESTONE_COLOUR,
                "line": {"color": "#FFFFFF", "width": 1},
            },
            customdata=[[escape(m.title), _iso(m.date), escape(r.title)] for _, r, m in ms],
            hovertemplate="<b>%{customdata[0]}</b><br>%{customdata[1]}<br>%{customdata[2]}<extra></extra>",
            meta={"role": "milestones"},
        )
    start, end = min(r.period_start for r in rms), max(r.period_end for r in rms)
    fig.update_layout(barmode="overlay", bargap=0)
    _rows_axis(fig, [escape(shorten(r.title)) for r in rms])
    _date_axis(fig, start, end)
    _today_line(fig, today, start, end, lang)
    height = max(MIN_HEIGHT - 60, len(rms) * 2 * ROW_PX + MARGIN_PX)
    return _style(fig, title, height, _label("roadmap_charts.legend.status", lang))
