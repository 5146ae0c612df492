"""Plotly figures for roadmaps: the Gantt chart, KPI charts and the portfolio (the KPI status rule
they colour by is edp.roadmap.status).

Data in (the frozen views of edp.roadmap.views), figure out; no Streamlit. House style as in
edp.charts: colours of at least 3:1 against the white background, every text a user typed goes through
`escape` before it reaches a figure, and hover text travels as customdata (never spliced
into a hovertemplate). Bars on a date axis are plotly bars with `base` = start and `x` =
duration in milliseconds, one trace per colour group, so 500 activities stay cheap.
Activities are drawn through their end day (end + 1 day), since plans are made in whole days.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import html
import math
import re
import textwrap
from collections.abc import Iterable, Sequence
from typing import Any

import plotly.graph_objects as go
from plotly.subplots import make_subplots

from edp import i18n
from edp.charts import escape, number
from edp.roadmap.status import kpi_status
from edp.roadmap.views import ActivityView, KpiView, MilestoneView, ProcessRoadmaps, RoadmapView

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

MILESTONE_COLOUR = "#000000"
GOAL_BAND = "#EFEFEF"
GOAL_SPAN = "#858585"  # 3.2:1 on GOAL_BAND (#BBBBBB was 1.7:1); no darker, a milestone label may cross it
TODAY_COLOUR = "#000000"
PLAN_COLOUR = "#777777"
MEASURED_COLOUR = "#0072B2"
TARGET_COLOUR = "#D55E00"
# The time axis's gridlines: a year line 4.5:1 on white, a quarter (or month) line 2.3:1 (was #E2E2E2, 1.3:1).
YEAR_GRID = "#767676"
PERIOD_GRID = "#A8A8A8"
AXIS_TEXT = "#000000"
# KPI status as a word in its own colour, each at least 4.5:1 on white (text, WCAG 1.4.3).
KPI_STATUS_COLOURS = {"on_track": "#007A5A", "at_risk": "#A35200", "off_track": "#C0282D", "no_data": "#595959"}

LABEL_MAX = 45
MILESTONE_WRAP = 24  # characters a milestone label's line holds before it wraps
MILESTONE_LINES = 4  # lines a milestone label may take; only a longer one is cut (whole in the hover)
KPI_TITLE_WRAP = 36  # characters of a KPI name a line of its panel title holds
FONT_SIZE = 14
FONT_FAMILY = "Liberation Sans, Arial, Helvetica, sans-serif"
# A conservative text width: Liberation Sans/Arial average 0.5 em, capitals and bold reach 0.6-0.7 em.
CHAR_EM = 0.56
LINE_PX = 18  # one line of 14 px text
ROW_PX = 28
MIN_HEIGHT = 320
LAYOUT_WIDTH = 1000  # the narrowest width a chart is laid out at (report, deck); labels are placed for it
DAY_MS = 86_400_000
TITLE_PX = 44  # the figure title's band; a chart shown under a heading drops it (untitled)


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


def text_px(text: str, size: int = FONT_SIZE) -> float:
    """A generous width estimate of one line of plain text, in CSS pixels (no font metrics at hand)."""
    return len(text) * size * CHAR_EM


def _plain(label: str) -> str:
    """A label's visible text: tags dropped, entities read (for width estimates only)."""
    return html.unescape(re.sub(r"<[^>]+>", "", label))


def _wrap(text: str, width: int, max_lines: int) -> list[str]:
    """`text` in lines of at most `width` characters, broken between words; only past `max_lines` is it cut."""
    lines = textwrap.wrap(" ".join(str(text).split()), width, break_long_words=True) or [""]
    if len(lines) > max_lines:
        lines = [*lines[: max_lines - 1], shorten(" ".join(lines[max_lines - 1 :]), width)]
    return lines


@dataclasses.dataclass(frozen=True)
class Frame:
    """Where a chart's plot area sits when laid out `width` pixels wide, for placing labels."""

    start: dt.date
    end: dt.date
    left: float  # the row labels' margin
    plot: float  # the plot area's width

    def x(self, day: dt.date) -> float:
        return (day - self.start).days / max((self.end - self.start).days, 1) * self.plot


def _frame(start: dt.date, end: dt.date, width: int, row_labels: Iterable[str]) -> Frame:
    left = max((text_px(_plain(lb)) for lb in row_labels), default=0) + MARGIN_L + 12
    return Frame(start, end, left, max(width - left - MARGIN_R, 200))


MARGIN_L, MARGIN_R = 16, 24  # the figure's own edges: the title and row labels never touch them


def _add_months(d: dt.date, n: int) -> dt.date:
    m = d.year * 12 + d.month - 1 + n
    return dt.date(m // 12, m % 12 + 1, 1)


def time_ticks(frame: Frame, lang: str) -> tuple[list[tuple[str, str]], list[str], list[str]]:
    """(gridlines as (date, colour), tick dates, tick texts) of a time axis: quarters ("K1 2026" in
    Swedish, "Q1 2026" in English), or months on a roadmap shorter than 9 months. A label sits in the
    middle of its period; a label that would not fit its period is shortened ("K2", the year on a second
    line under the first quarter of each year), and on very long roadmaps only years are labelled."""
    start, end = frame.start, frame.end
    months = (end.year - start.year) * 12 + end.month - start.month + 1
    step = 1 if months < 9 else 3
    first = dt.date(start.year, start.month - (start.month - 1) % step, 1)
    periods: list[tuple[dt.date, dt.date]] = []
    a = first
    while a <= end:
        periods.append((a, _add_months(a, step)))
        a = periods[-1][1]
    px_per_day = frame.plot / max((end - start).days, 1)

    def name(d: dt.date, *, year: bool) -> str:
        if step == 1:
            text = _tr(f"roadmap_charts.axis.month.{d.month}", lang)
        else:
            text = _tr("roadmap_charts.axis.quarter", lang, q=(d.month - 1) // 3 + 1)
        return f"{text} {d.year}" if year else text

    period_px = min(((b - a).days * px_per_day for a, b in periods), default=0)
    long_label = max((text_px(name(a, year=True)) for a, _ in periods), default=0)
    short_label = max((text_px(name(a, year=False)) for a, _ in periods), default=0)
    mode = "long" if long_label + 10 <= period_px else "short" if short_label + 6 <= period_px else "years"
    grid: list[tuple[str, str]] = []
    vals: list[str] = []
    texts: list[str] = []
    for a, b in periods:
        if start < a <= end:
            grid.append((_iso(a), YEAR_GRID if a.month == 1 else PERIOD_GRID))
        lo, hi = max(a, start), min(b, end + dt.timedelta(days=1))
        if mode == "years" or (hi - lo).days < 0.5 * (b - a).days:
            continue  # a sliver of a period at either end goes unlabelled
        vals.append(_iso(lo + (hi - lo) / 2))
        if mode == "long":
            texts.append(name(a, year=True))
        else:
            year_line = a.month == 1 or not texts
            texts.append(name(a, year=False) + (f"<br>{a.year}" if year_line else ""))
    if mode == "years":
        for y in range(start.year, end.year + 1):
            lo, hi = max(dt.date(y, 1, 1), start), min(dt.date(y + 1, 1, 1), end + dt.timedelta(days=1))
            if (hi - lo).days >= 120:
                vals.append(_iso(lo + (hi - lo) / 2))
                texts.append(str(y))
    return grid, vals, texts


def _date_axis(fig: go.Figure, frame: Frame, lang: str) -> int:
    """Range = the period; labelled quarters (or months), a dark gridline per year and a lighter one per
    quarter (month). Returns the tick labels' height in pixels."""
    grid, vals, texts = time_ticks(frame, lang)
    for x, colour in grid:
        fig.add_shape(
            type="line", xref="x", yref="paper", x0=x, x1=x, y0=0, y1=1, layer="below",
            line={"color": colour, "width": 1.5 if colour == YEAR_GRID else 1}, name="grid",
        )  # fmt: skip
    fig.update_xaxes(
        type="date",
        range=[_iso(frame.start), _iso(frame.end + dt.timedelta(days=1))],
        tickmode="array",
        tickvals=vals,
        ticktext=texts,
        ticks="",
        tickfont={"size": FONT_SIZE, "color": AXIS_TEXT},
        showgrid=False,
        showline=True,
        linecolor="#000000",
        automargin=False,  # the date labels' room is kept below the plot (the returned height), no more
    )
    return LINE_PX * (2 if any("<br>" in t for t in texts) else 1) + 6


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
            "type": "date", "overlaying": "x", "matches": "x", "side": "top", "tickmode": "array",
            "tickvals": x.tickvals, "ticktext": x.ticktext, "ticks": "", "showgrid": False,
            "tickfont": {"size": FONT_SIZE, "color": AXIS_TEXT}, "showline": True, "linecolor": "#000000",
            "automargin": True,
        }
    )  # fmt: skip


def _rows_axis(fig: go.Figure, tickvals: list[float], ticktext: list[str], total: float) -> None:
    """Rows top to bottom on a numeric axis, each label at its row's centre (so equal titles stay separate
    rows); `total` is the rows' height in row units, label levels included."""
    fig.update_yaxes(
        tickmode="array",
        tickvals=tickvals,
        ticktext=ticktext,
        range=[max(total, 1), 0],
        showgrid=False,
        zeroline=False,
        automargin=True,
        fixedrange=True,
        tickfont={"size": FONT_SIZE, "color": AXIS_TEXT},
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


LEGEND_ROW_PX = 22


def legend_rows(fig: go.Figure, width: int = LAYOUT_WIDTH) -> int:
    """Rows a horizontal legend takes at `width`: its entries packed left to right as plotly does."""
    widths = [80 + text_px(_plain(tr.name)) for tr in fig.data if tr.showlegend is not False and tr.name]
    room = width - 2 * MARGIN_L - MARGIN_R
    if not widths or sum(widths) <= room:
        return 1 if widths else 0
    per_row = max(1, int(room // max(widths)))  # wrapped, plotly sets the entries in columns of the widest
    return -(-len(widths) // per_row)


def _style(
    fig: go.Figure,
    title: str,
    plot_px: float,
    legend_title: str | None = None,
    *,
    width: int = LAYOUT_WIDTH,
    axis_px: int = LINE_PX + 12,
    top_px: int = LINE_PX + 10,
) -> go.Figure:
    """White, print-friendly layout, no pixel wasted: the title at the top left (clear of the edge),
    `top_px` for what stands above the plot (today's label), the plot `plot_px` tall, the date labels,
    and the legend below them in as many rows as it needs at `width`."""
    n_legend = legend_rows(fig, width)
    legend_px = LEGEND_ROW_PX * n_legend + (LINE_PX + 6 if legend_title and n_legend else 0) + (6 if n_legend else 0)
    top = (TITLE_PX if title else 2) + top_px
    bottom = axis_px + legend_px + 4
    fig.update_layout(
        template="plotly_white",
        paper_bgcolor="#FFFFFF",
        plot_bgcolor="#FFFFFF",
        font={"size": FONT_SIZE, "color": "#000000", "family": FONT_FAMILY},
        title={
            "text": title,
            "x": 0,
            "xref": "container",
            "xanchor": "left",
            "y": 1,
            "yref": "container",
            "yanchor": "top",
            "pad": {"l": MARGIN_L, "t": 12},
            "font": {"size": FONT_SIZE + 8},
        },  # fmt: skip
        hoverlabel={"font": {"size": FONT_SIZE}},
        legend={
            # Anchored to the figure's bottom edge, inside the bottom margin kept for it: the same
            # place in the exported image and in the page's (differently sized) interactive chart.
            "orientation": "h",
            "yref": "container",
            "yanchor": "bottom",
            "y": 0,
            "x": MARGIN_L / width,
            "xref": "container",
            "xanchor": "left",
            "font": {"size": FONT_SIZE},
            "title": {"text": legend_title or "", "side": "top"},
            "traceorder": "normal",
            "itemwidth": 30,
        },
        margin={"l": MARGIN_L, "r": MARGIN_R, "t": top, "b": bottom, "autoexpand": True},
        height=round(top + plot_px + bottom),
    )
    return fig


def untitled(fig: go.Figure) -> go.Figure:
    """The figure without its title and the band kept for it: for a report or slide whose heading names it."""
    if fig.layout.title.text:
        fig.update_layout(
            title_text="", margin_t=max(fig.layout.margin.t - TITLE_PX + 2, 2), height=fig.layout.height - TITLE_PX + 2
        )
    return fig


def _empty_note(fig: go.Figure, text: str) -> None:
    fig.add_annotation(
        text=text, xref="paper", yref="paper", x=0.5, y=0.5, showarrow=False, font={"size": FONT_SIZE + 4}
    )


# ---------------------------------------------------------------- milestone labels


@dataclasses.dataclass(frozen=True)
class Placed:
    """A milestone label's place: its level below the marker's row (0 = the first), its side, its lines."""

    level: int
    left: bool
    lines: tuple[str, ...]


LABEL_GAP_PX = 12  # between two labels on one level
LEVEL_PAD_PX = 6


def place_labels(xs: list[float], texts: list[str], frame: Frame) -> list[Placed]:
    """Levels for milestone labels so that no two overlap: each label wraps to MILESTONE_WRAP characters
    a line, goes right of its marker (left when it would run off the chart) on the first level where it
    meets no other label, trying the other side before going a level down."""
    levels: list[list[tuple[float, float]]] = []
    out: list[Placed | None] = [None] * len(xs)
    for i in sorted(range(len(xs)), key=lambda i: (xs[i], i)):
        lines = tuple(_wrap(texts[i], MILESTONE_WRAP, MILESTONE_LINES))
        w = max(text_px(line) for line in lines) + 8
        x = xs[i]
        right = (x, x + w)
        left = (x - w, x)
        fits_right = right[1] <= frame.plot + MARGIN_R
        fits_left = left[0] >= 0  # never over the row labels
        sides = [s for s, ok in ((False, fits_right), (True, fits_left)) if ok] or [x > frame.plot / 2]
        for k in range(len(levels) + 1):
            if k == len(levels):
                levels.append([])
            taken = levels[k]
            side = next(
                (s for s in sides if all(
                    (left if s else right)[1] + LABEL_GAP_PX <= a or b + LABEL_GAP_PX <= (left if s else right)[0]
                    for a, b in taken
                )),
                None,
            )  # fmt: skip
            if side is not None:
                taken.append(left if side else right)
                out[i] = Placed(k, side, lines)
                break
    return [p for p in out if p is not None]


def _level_heights(placed: list[Placed]) -> list[float]:
    """Each level's height in row units: its tallest label."""
    n = max((p.level for p in placed), default=-1) + 1
    px = [max((len(p.lines) for p in placed if p.level == k), default=1) * LINE_PX + LEVEL_PAD_PX for k in range(n)]
    return [h / ROW_PX for h in px]


def _draw_labels(
    fig: go.Figure, items: list[tuple[dt.date, str]], placed: list[Placed], row_y: float, first_top: float,
    heights: list[float], bg: str,
) -> None:  # fmt: skip
    """Each label at its level's top below the marker's row, joined to its marker by a thin leader line."""
    tops = [first_top + sum(heights[:k]) for k in range(len(heights))]
    for (day, _), p in zip(items, placed, strict=True):
        top = tops[p.level] + LEVEL_PAD_PX / 2 / ROW_PX
        fig.add_shape(
            type="line", xref="x", yref="y", x0=_iso(day), x1=_iso(day), y0=row_y, y1=top + 0.3,
            line={"color": "#555555", "width": 1}, layer="below", name="leader",
        )  # fmt: skip
        fig.add_annotation(
            x=_iso(day), y=top, xref="x", yref="y", xanchor="right" if p.left else "left", yanchor="top",
            xshift=-3 if p.left else 3, text="<br>".join(escape(line) for line in p.lines),
            align="right" if p.left else "left", showarrow=False, bgcolor=bg, borderpad=0,
            font={"size": FONT_SIZE, "color": "#000000"}, name="milestone_label",
        )  # fmt: skip


def _milestone_block(
    fig: go.Figure, ms: list[MilestoneView], frame: Frame, row_y: float, below: float, bg: str
) -> float:
    """Labels of a row's milestones in levels from `below` down; returns the levels' height in row units."""
    # A milestone dated outside the period (saved with a warning) has no place on the axis: no label either.
    items = [(m.date, m.title) for m in ms if frame.start <= m.date <= frame.end]
    if not items:
        return 0.0
    placed = place_labels([frame.x(d) for d, _ in items], [t for _, t in items], frame)
    heights = _level_heights(placed)
    _draw_labels(fig, items, placed, row_y, below, heights, bg)
    return sum(heights)


def _diamonds(fig: go.Figure, xs: list[str], ys: list[float], customdata: list[list[str]], lang: str) -> None:
    fig.add_scatter(
        x=xs,
        y=ys,
        mode="markers",
        name=_label("roadmap_charts.milestone", lang),
        marker={"symbol": "diamond", "size": 16, "color": MILESTONE_COLOUR, "line": {"color": "#FFFFFF", "width": 1}},
        cliponaxis=False,
        customdata=customdata,
        hovertemplate="<b>%{customdata[0]}</b><br>%{customdata[1]}<br>%{customdata[2]}<extra></extra>",
        meta={"role": "milestones"},
    )


# ---------------------------------------------------------------- Gantt


def lead_style(index: int) -> tuple[str, str]:
    """(colour, hatching) of the index-th lead actor: LEAD_COLOURS first plain, then each hatched in turn."""
    colour = LEAD_COLOURS[index % len(LEAD_COLOURS)]
    return colour, LEAD_PATTERNS[(index // len(LEAD_COLOURS)) % len(LEAD_PATTERNS)]


def lead_order(acts: Iterable[ActivityView]) -> list[int]:
    """The lead actors' ids in the order their colours are given (by name): a roadmap drawn in parts
    passes its whole order to each part, so an actor keeps one colour on every slide."""
    leads = {a.lead for a in acts if a.lead is not None}
    return [r.id for r in sorted(leads, key=lambda r: (r.name.casefold(), r.id))]


def _groups(
    acts: Iterable[ActivityView], color_by: str, lang: str, order: Sequence[int] | None = None
) -> list[tuple[str, str, str, list[ActivityView], str]]:
    """(key, legend name, colour, activities, hatching) per colour group, in legend order; a lead
    actor's key is actor:<id>, and its colour and hatching are lead_style's for its place in `order`
    (lead_order of these activities by default)."""
    acts = list(acts)
    if color_by == "status":
        return [
            (s, status_name(s, lang), STATUS_COLOURS[s], [a for a in acts if a.status == s], "")
            for s in ACTIVITY_STATUSES
            if any(a.status == s for a in acts)
        ] + [
            (s, escape(s), "#666666", [a for a in acts if a.status == s], "")
            for s in sorted({a.status for a in acts} - set(ACTIVITY_STATUSES))
        ]
    mine = lead_order(acts)
    given = list(order or ())
    place = {aid: i for i, aid in enumerate(given + [aid for aid in mine if aid not in given])}
    names = {a.lead.id: a.lead.name for a in acts if a.lead is not None}
    out = [
        (f"actor:{aid}", escape(names[aid]), *_styled(place[aid], [a for a in acts if a.lead and a.lead.id == aid]))
        for aid in sorted(mine, key=place.__getitem__)
    ]
    if without := [a for a in acts if a.lead is None]:  # not possible through the app, but never crash
        out.append(("actor:none", "–", "#666666", without, ""))
    return out


def _styled(index: int, acts: list[ActivityView]) -> tuple[str, list[ActivityView], str]:
    colour, hatch = lead_style(index)
    return colour, acts, hatch


def gantt_figure(
    rm: RoadmapView,
    lang: str,
    *,
    color_by: str = "lead",
    today: dt.date | None = None,
    width: int = LAYOUT_WIDTH,
    leads: Sequence[int] | None = None,
) -> go.Figure:
    """One bar per activity under its goal (goal order, then activity order; first row at the top).

    Colour by lead actor (one trace and legend entry per actor, each its own colour and hatching) or, with
    color_by="status", by activity status. Goals are bold header rows on a light band with a thin
    grey bar over their activities' span; milestones are diamonds on their goal's row, or on a
    top row when they belong to no goal, each labelled in full (wrapped) below its row, in as many levels as
    keep the labels apart when the chart is `width` pixels wide (or wider). A dashed line marks today.
    `leads` is the order the lead actors' colours are given in (lead_order), for a part of a roadmap.
    """
    if color_by not in ("lead", "status"):
        raise ValueError(f"color_by must be 'lead' or 'status', not {color_by!r}")
    today = today or dt.date.today()
    goal_ids = {g.id for g in rm.goals}
    loose = sorted((m for m in rm.milestones if m.goal_id not in goal_ids), key=lambda m: (m.date, m.id))
    by_goal = {
        g.id: sorted((m for m in rm.milestones if m.goal_id == g.id), key=lambda m: (m.date, m.id)) for g in rm.goals
    }
    milestones_label = f"<b>{_label('roadmap_charts.milestones_row', lang)}</b>"
    names = [milestones_label] if loose else []
    for g in rm.goals:
        names += [f"<b>{escape(shorten(g.title))}</b>", *(escape(shorten(a.title)) for a in g.activities)]
    frame = _frame(rm.period_start, rm.period_end, width, names)

    fig = go.Figure()
    tickvals: list[float] = []
    ticktext: list[str] = []
    goal_row: dict[int, float] = {}
    act_row: dict[int, float] = {}
    top = 0.0
    if loose:
        tickvals.append(top + 0.5)
        ticktext.append(milestones_label)
        top += 1 + _milestone_block(fig, loose, frame, top + 0.5, top + 1, "#FFFFFF")
    for g in rm.goals:
        y = goal_row[g.id] = top + 0.5
        tickvals.append(y)
        ticktext.append(f"<b>{escape(shorten(g.title))}</b>")
        band = 1 + _milestone_block(fig, by_goal[g.id], frame, y, top + 1, GOAL_BAND)
        fig.add_shape(
            type="rect", xref="paper", yref="y", x0=0, x1=1, y0=top, y1=top + band,
            fillcolor=GOAL_BAND, line={"width": 0}, layer="below", name="goal_band",
        )  # fmt: skip
        top += band
        for a in g.activities:
            act_row[a.id] = top + 0.5
            tickvals.append(top + 0.5)
            ticktext.append(escape(shorten(a.title)))
            top += 1
    # The goal bands go under everything else drawn below the plot (gridlines, leader lines).
    fig.layout.shapes = [s for s in fig.layout.shapes if s.name == "goal_band"] + [
        s for s in fig.layout.shapes if s.name != "goal_band"
    ]

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
    for key, name, colour, acts, hatch in _groups(rm.activities, color_by, lang, leads):
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

    ms = sorted([*loose, *(m for g in rm.goals for m in by_goal[g.id])], key=lambda m: (m.date, m.id))
    if ms:
        _diamonds(
            fig,
            [_iso(m.date) for m in ms],
            [goal_row.get(m.goal_id, 0.5) for m in ms],  # 0.5: the milestones row, first when one is needed
            [[escape(m.title), _iso(m.date), goal_title.get(m.goal_id, "")] for m in ms],
            lang,
        )

    if not rm.activities and not rm.milestones:
        _empty_note(fig, _label("roadmap_charts.no_activities", lang))
    fig.update_layout(barmode="overlay", bargap=0)
    _rows_axis(fig, tickvals, ticktext, top)
    axis_px = _date_axis(fig, frame, lang)
    tall = len(tickvals) > TOP_AXIS_ROWS
    if tall:
        _top_date_axis(fig, rm.period_start)
    _today_line(fig, today, rm.period_start, rm.period_end, lang, above_px=axis_px if tall else 0)
    legend = "roadmap_charts.legend.status" if color_by == "status" else "roadmap_charts.legend.lead"
    return _style(
        fig, escape(rm.title), max(top, 3) * ROW_PX, _label(legend, lang), width=width, axis_px=axis_px,
        top_px=LINE_PX + 10 + (axis_px if tall else 0),
    )  # fmt: skip


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


def kpi_panel_title(kpi: KpiView, lang: str, today: dt.date | None = None) -> str:
    """The KPI's name wrapped to fit half a chart, and under it its status as a word in the status's colour."""
    status = kpi_status(kpi, today)
    name = "<br>".join(escape(line) for line in _wrap(kpi.name, KPI_TITLE_WRAP, 3))
    word = escape(kpi_status_name(status, lang))
    return f"{name}<br><span style='color:{KPI_STATUS_COLOURS[status]}'><b>■ {word}</b></span>"


def kpi_range(kpis: Iterable[KpiView]) -> tuple[dt.date, dt.date]:
    """One date range for all KPI panels: from the first baseline or measurement to the last target or
    measurement, with a little room on both sides for the markers."""
    days = [d for k in kpis for d in (k.baseline_date, k.target_date, *(m.date for m in k.measurements))]
    lo, hi = min(days), max(days)
    pad = dt.timedelta(days=max(15, (hi - lo).days // 30))
    return lo - pad, hi + pad


def kpi_figure(kpi: KpiView, lang: str) -> go.Figure:
    """One KPI: baseline, measurements, target and the dashed plan line; its status in the title as a word
    in the status's colour."""
    fig = go.Figure(_kpi_traces(kpi, lang))
    fig.update_yaxes(title_text=escape(kpi.unit), automargin=True, gridcolor=PERIOD_GRID, zeroline=False)
    lo, hi = kpi_range([kpi])
    fig.update_xaxes(
        type="date", range=[_iso(lo), _iso(hi)], tickformat="%Y-%m", automargin=True, gridcolor=PERIOD_GRID,
        showline=True, linecolor="#000000", tickfont={"color": AXIS_TEXT},
    )  # fmt: skip
    status = kpi_status(kpi)
    word = f"<span style='color:{KPI_STATUS_COLOURS[status]}'><b>■ {escape(kpi_status_name(status, lang))}</b></span>"
    title = _tr("roadmap_charts.kpi.title", lang, name=escape(kpi.name), status=word)
    return _style(fig, title, 300, axis_px=LINE_PX + 16)


KPI_PANEL_PX = 240


def kpis_figure(
    rm: RoadmapView,
    lang: str,
    *,
    width: int = LAYOUT_WIDTH,
    x_range: tuple[dt.date, dt.date] | None = None,
    cols: int | None = None,
) -> go.Figure:
    """Every KPI of a roadmap as small multiples, two per row, on one shared date range (`x_range`, by
    default kpi_range of these KPIs); each panel titled with the KPI's name (wrapped, never cut) and its
    status as a coloured word. `cols` fixes the columns (a slide with one KPI of several keeps half width)."""
    kpis = rm.kpis
    if not kpis:
        fig = go.Figure()
        fig.update_xaxes(visible=False)
        fig.update_yaxes(visible=False)
        _empty_note(fig, _label("roadmap_charts.kpis.none", lang))
        return _style(fig, escape(rm.title), 160)
    cols = cols or (2 if len(kpis) > 1 else 1)
    rows = math.ceil(len(kpis) / cols)
    titles = [kpi_panel_title(k, lang) for k in kpis]
    title_px = max(t.count("<br>") + 1 for t in titles) * (LINE_PX + 1) + 8
    gap_px = title_px + LINE_PX + 24  # the panel above's date labels, then this panel's title
    plot_px = rows * KPI_PANEL_PX + (rows - 1) * gap_px
    fig = make_subplots(
        rows=rows,
        cols=cols,
        subplot_titles=titles,
        vertical_spacing=gap_px / plot_px if rows > 1 else 0.0,
        horizontal_spacing=0.1,
    )
    for i, kpi in enumerate(kpis):
        row, col = i // cols + 1, i % cols + 1
        for trace in _kpi_traces(kpi, lang, legend=i == 0):
            fig.add_trace(trace, row=row, col=col)
        fig.update_yaxes(title_text=escape(kpi.unit), row=row, col=col)
    lo, hi = x_range or kpi_range(kpis)
    fig.update_xaxes(
        type="date", range=[_iso(lo), _iso(hi)], tickformat="%Y-%m", gridcolor=PERIOD_GRID, showline=True,
        linecolor="#000000", automargin=True, tickfont={"color": AXIS_TEXT}, matches="x",
    )  # fmt: skip
    # Ticks outside both axes keep a panel's first date clear of its lowest value in the corner.
    fig.update_xaxes(ticks="outside", ticklen=6, tickcolor="#000000")
    fig.update_yaxes(
        gridcolor=PERIOD_GRID, zeroline=False, automargin=True, tickfont={"color": AXIS_TEXT}, ticks="outside",
        ticklen=6, tickcolor="#000000",
    )  # fmt: skip
    fig.update_annotations(font_size=FONT_SIZE + 1, yanchor="bottom")  # the panel titles
    return _style(fig, escape(rm.title), plot_px, width=width, axis_px=LINE_PX + 16, top_px=title_px)


# ---------------------------------------------------------------- portfolio


def progress_share(rm: RoadmapView) -> float | None:
    """Share of a roadmap's activities that are done (cancelled ones not counted); None without activities."""
    counted = [a for a in rm.activities if a.status != "cancelled"]
    return sum(a.status == "done" for a in counted) / len(counted) if counted else None


def progress_text(rm: RoadmapView, lang: str) -> str:
    share = progress_share(rm)
    if share is None:
        return _tr("roadmap_charts.portfolio.no_activities", lang)
    return _tr("roadmap_charts.portfolio.progress", lang, pct=round(100 * share))


PORTFOLIO_ROW = 1.6  # a roadmap's row in row units: its bar, and two lines of label (title, progress)


def portfolio_figure(
    pr: ProcessRoadmaps, lang: str, today: dt.date | None = None, *, width: int = LAYOUT_WIDTH
) -> go.Figure:
    """Every roadmap of a process on one timeline: a bar per roadmap over its period, outlined in its
    status's colour and filled as far as its share of done activities ("45 % klart" under its name), its
    milestones as diamonds on the bar with their labels below it (never overlapping), and today's line."""
    today = today or dt.date.today()
    rms = list(pr.roadmaps)
    title = _tr("roadmap_charts.portfolio.title", lang, process=escape(pr.process_title))
    fig = go.Figure()
    if not rms:
        fig.update_xaxes(visible=False)
        fig.update_yaxes(visible=False)
        _empty_note(fig, _label("roadmap_charts.portfolio.none", lang))
        return _style(fig, title, 160)
    start, end = min(r.period_start for r in rms), max(r.period_end for r in rms)
    labels = [f"{escape(shorten(r.title))}<br>{escape(progress_text(r, lang))}" for r in rms]
    frame = _frame(start, end, width, [line for lb in labels for line in lb.split("<br>")])
    row_y: list[float] = []
    top = 0.0
    for r in rms:
        y = top + PORTFOLIO_ROW / 2
        row_y.append(y)
        ms = sorted(r.milestones, key=lambda m: (m.date, m.id))
        top += PORTFOLIO_ROW + _milestone_block(fig, ms, frame, y, top + PORTFOLIO_ROW, "#FFFFFF")
    hover = (
        "<b>%{customdata[0]}</b><br>%{customdata[1]} – %{customdata[2]}<br>"
        + _label("roadmap_charts.hover.status", lang)
        + ": %{customdata[3]}<br>"
        + _label("roadmap_charts.hover.owner", lang)
        + ": %{customdata[4]}<br>%{customdata[5]}<extra></extra>"
    )
    statuses = [s for s in ROADMAP_STATUSES if any(r.status == s for r in rms)]
    statuses += sorted({r.status for r in rms} - set(ROADMAP_STATUSES))
    for s in statuses:
        rows = [(i, r) for i, r in enumerate(rms) if r.status == s]
        known = s in ROADMAP_STATUSES
        colour = ROADMAP_STATUS_COLOURS.get(s, "#666666")
        cd = [
            [
                escape(r.title),
                _iso(r.period_start),
                _iso(r.period_end),
                roadmap_status_name(r.status, lang) if known else escape(r.status),
                escape(r.owner.name) if r.owner else "–",
                escape(progress_text(r, lang)),
            ]  # fmt: skip
            for _, r in rows
        ]
        fig.add_bar(  # the whole period, outlined in the status's colour
            y=[row_y[i] for i, _ in rows],
            base=[_iso(r.period_start) for _, r in rows],
            x=[_days_ms(r.period_start, r.period_end) for _, r in rows],
            orientation="h",
            width=0.7,
            name=roadmap_status_name(s, lang) if known else escape(s),
            marker={"color": "#FFFFFF", "line": {"color": colour, "width": 2}},
            showlegend=False,
            customdata=cd,
            hovertemplate=hover,
            meta={"role": "roadmaps", "status": s},
        )
        fig.add_bar(  # filled as far as the share of done activities
            y=[row_y[i] for i, _ in rows],
            base=[_iso(r.period_start) for _, r in rows],
            x=[(progress_share(r) or 0) * _days_ms(r.period_start, r.period_end) for _, r in rows],
            orientation="h",
            width=0.7,
            name=roadmap_status_name(s, lang) if known else escape(s),
            marker={"color": colour, "line": {"color": colour, "width": 2}},
            customdata=cd,
            hovertemplate=hover,
            meta={"role": "progress", "status": s, "shares": [progress_share(r) for _, r in rows]},
        )
    ms = [(i, r, m) for i, r in enumerate(rms) for m in sorted(r.milestones, key=lambda m: (m.date, m.id))]
    if ms:
        _diamonds(
            fig,
            [_iso(m.date) for _, _, m in ms],
            [row_y[i] for i, _, _ in ms],
            [[escape(m.title), _iso(m.date), escape(r.title)] for _, r, m in ms],
            lang,
        )
    fig.update_layout(barmode="overlay", bargap=0)
    _rows_axis(fig, row_y, labels, top)
    axis_px = _date_axis(fig, frame, lang)
    _today_line(fig, today, start, end, lang)
    return _style(
        fig, title, top * ROW_PX, _label("roadmap_charts.legend.progress", lang), width=width, axis_px=axis_px
    )
