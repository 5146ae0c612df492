"""Plotly figures for round results, turnout and the funnel: data in, figure out (no Streamlit).

Colours are Okabe–Ito (colour-blind safe), one fixed colour per helix group on every chart.
Results are broken out by the groups the tally reports (edp.voting.tally.reporting_groups): helix groups
with fewer than 3 voters appear together as "other", and a round whose "other" would be smaller
than that is not broken out at all.
Plotly renders a subset of HTML in labels and hover text, so every text a user typed goes
through `escape` before it reaches a figure; hover text is passed as customdata, never
spliced into a hovertemplate.
"""

from __future__ import annotations

import html
import math
import textwrap
from typing import Any

import plotly.graph_objects as go

from edp import i18n, voting
from edp.funnel import Funnel
from edp.models import HELIX_GROUPS
from edp.voting.results import CriterionInfo, RoundResultDict, ThemeResult, Turnout
from edp.voting.tally import OTHER, helix_note

HELIX_COLOURS = {
    "business": "#E69F00",  # orange
    "academia": "#56B4E9",  # sky blue
    "public": "#009E73",  # bluish green
    "civil": "#CC79A7",  # reddish purple
    OTHER: "#999999",  # grey: the small groups together
}
# Marker shapes as a second cue where colour alone would carry the group (score rounds).
HELIX_SYMBOLS = {"business": "circle", "academia": "diamond", "public": "square", "civil": "triangle-up", OTHER: "x"}
TOTAL_COLOUR = "#0072B2"  # blue: all voters together
TIE_COLOUR = "#D55E00"  # vermillion: tie marks
TIE_TEXT_LIGHT = "#A84300"  # the tie colour darkened for text on white: 6.1:1 (vermillion itself is 3.9:1)
LABEL_MAX = 60
TIE_MARK = "="
# The projector is designed for 1920×1080 and scales with the screen's height: 28 px text at 1080p.
PROJECTOR_WIDTH, PROJECTOR_HEIGHT, PROJECTOR_FONT = 1840, 860, 28
PROJECTOR_LABEL_SHARE = 0.42  # of the chart's width, at most, for the theme names
PROJECTOR_LABEL_LINES = 3  # a name longer than this many lines is shortened (120 characters fit on 1280×720)
GLYPH_EM = 0.55  # a character's mean width in em in the app's sans-serif, on the safe side


def escape(text: str) -> str:
    """Plain text for a plotly label: `<`, `>` and `&` become entities, so nothing is markup."""
    return html.escape(str(text), quote=False)


def _tr(key: str, lang: str, **params: Any) -> str:
    return i18n.t(key, lang, **params)


def helix_name(group: str, lang: str) -> str:
    return _tr(f"helix.{group}", lang)


def chart_groups(result: RoundResultDict) -> list[str] | None:
    """The groups a chart of this result shows, in order: every helix group that is not folded
    (one that cast no ballot stays, so its absence shows), then "other" if it holds ballots.
    None when the result is not broken out by group at all."""
    breakdown = result.get("helix_breakdown") or {}
    if breakdown.get("withheld"):
        return None
    folded = set(breakdown.get("folded", ()))
    return [g for g in HELIX_GROUPS if g not in folded] + ([OTHER] if OTHER in breakdown.get("shown", ()) else [])


def group_label(group: str, result: RoundResultDict, lang: str) -> str:
    """A group's name in a legend; "other" names the groups it holds."""
    folded = (result.get("helix_breakdown") or {}).get("folded", ())
    if group == OTHER and folded:
        return f"{helix_name(OTHER, lang)} ({', '.join(helix_name(g, lang) for g in folded)})"
    return helix_name(group, lang)


def number(value: float | None, lang: str, decimals: int = 1, *, trim: bool = True) -> str:
    """`value` for a label: whole numbers without decimals (unless trim is off), the language's decimal mark."""
    if value is None:
        return "–"
    text = f"{value:.0f}" if trim and float(value).is_integer() else f"{value:.{decimals}f}"
    return text.replace(".", ",") if lang == "sv" else text


def _short(title: str, max_len: int) -> str:
    return title if len(title) <= max_len else title[: max_len - 1].rstrip() + "…"


def wrap_label(text: str, width: int, lines: int) -> str:
    """`text` escaped and broken at spaces into lines of at most `width` characters (plotly's `<br>`,
    the only markup in it); shortened with "…" only if it needs more than `lines` lines."""
    parts = textwrap.wrap(text, width, break_long_words=False, break_on_hyphens=False) or [text]
    if len(parts) > lines:
        parts = [*parts[: lines - 1], _short(" ".join(parts[lines - 1 :]), width)]
    return "<br>".join(escape(p) for p in parts)


def theme_labels(
    themes: list[ThemeResult], max_len: int = LABEL_MAX, *, wrap: int | None = None, lines: int = 1
) -> list[str]:
    """Axis labels in ranking order: `1. Title`, ties as `8= Title`; escaped and unique. With `wrap`,
    a title is whole, broken into lines of `wrap` characters (at most `lines` of them), not shortened."""
    labels: list[str] = []
    for t in themes:
        mark = TIE_MARK if t.get("tied") else "."
        if wrap:
            label = wrap_label(f"{t['rank']}{mark} {t['title']}", wrap, lines)
        else:
            label = escape(f"{t['rank']}{mark} {_short(t['title'], max_len)}")
        if label in labels:  # identical titles at one rank would merge into one bar
            label = f"{label} (#{t['theme_id']})"
        labels.append(label)
    return labels


def value_title(method: str, lang: str) -> str:
    return _tr(f"ui.res.chart.value.{method}", lang)


def _style(
    fig: go.Figure, *, projector: bool, dark: bool, height: int | None = None, font: int | None = None
) -> go.Figure:
    base = font or (PROJECTOR_FONT if projector else 14)
    fg, bg = ("#FFFFFF", "#000000") if dark else ("#000000", "#FFFFFF")
    # The projector's legend sits on one line above the plot: the top margin holds exactly that line.
    margin = {"l": 10, "r": 30, "t": round(base * 2.2), "b": round(base * 2.4)} if projector else {
        "l": 10, "r": 30, "t": 60, "b": 40,
    }  # fmt: skip
    fig.update_layout(
        template="plotly_dark" if dark else "plotly_white",
        font={"size": base, "color": fg},
        paper_bgcolor=bg if projector else None,
        plot_bgcolor=bg if projector else None,
        margin=margin,
        legend={"orientation": "h", "yanchor": "bottom", "y": 1.0, "x": 0, "font": {"size": base}},
        height=height,
    )
    return fig


def projector_font(screen_height: int) -> int:
    """The projector's text size for a screen `screen_height` px tall: 28 px at 1080p, the same share of any screen."""
    return max(12, math.ceil(PROJECTOR_FONT * screen_height / 1080))


def label_chars(width: int, font: int) -> int:
    """How many characters of a theme name fit on one line of the ranking's labels on a chart `width` px wide."""
    return max(16, int(width * PROJECTOR_LABEL_SHARE / (font * GLYPH_EM)))


def _height(rows: int, projector: bool) -> int:
    # On the projector the chart must fit the screen without scrolling, so rows shrink as they multiply.
    return min(150 + rows * 38, 980) if projector else 160 + rows * 34


TIE_SLACK = 2  # how far a tie at the cut may stretch the list before the whole tie is left out


def top_themes(themes: list[ThemeResult], top: int | None) -> list[ThemeResult]:
    """The first `top` themes in ranking order with any that tie with the last of them; a tie that
    would stretch the list past top + TIE_SLACK is left out whole (never cut in the middle)."""
    if top is None or len(themes) <= top:
        return themes
    cut = themes[top - 1]["rank"]
    shown = [t for t in themes if t["rank"] <= cut]
    if len(shown) > top + TIE_SLACK:
        shown = [t for t in themes if t["rank"] < cut] or shown
    return shown


def ranking_figure(
    result: RoundResultDict,
    lang: str,
    *,
    projector: bool = False,
    dark: bool = False,
    top: int | None = None,
    width: int | None = None,
    height: int | None = None,
    font: int | None = None,
) -> go.Figure:
    """The method's main figure: horizontal bars in ranking order (first at the top).

    Dots, rank and approval stack the helix groups' shares of each total; score shows the mean of
    all voters as a bar and each group's mean as a marker. Totals are written at the bar end,
    ties are marked there and in the axis label. A group that cast no ballot stays in the legend.
    `top` keeps the first themes only (ties at the cut included), for a screen that must not scroll.
    On the projector the figure is sized for a chart `width` × `height` px with `font` px text (a
    1080p screen's by default): theme names wrap onto up to three lines instead of being cut.
    Elsewhere `height` fixes the chart's height (a slide's shape), else it grows with the themes.
    """
    themes = top_themes(result["themes"], top)
    method = result["method"]
    # A method whose total is a mean compares its groups as means (markers), not as parts of a sum.
    averages = method in voting.REGISTRY and voting.method(method).averages
    font = font or PROJECTOR_FONT
    if projector:
        wrap = label_chars(width or PROJECTOR_WIDTH, font)
        labels = theme_labels(themes, wrap=wrap, lines=PROJECTOR_LABEL_LINES)
    else:
        labels = theme_labels(themes, LABEL_MAX)
    titles = [escape(t["title"]) for t in themes]
    fig = go.Figure()
    no_ballots = _tr("ui.res.chart.no_ballots", lang)

    groups = chart_groups(result)

    def group_name(g: str) -> str:
        voted = any(t["by_helix"].get(g) is not None for t in themes)
        name = group_label(g, result, lang)
        return name if voted or not themes else f"{name} ({no_ballots})"

    if averages:
        fig.add_bar(
            y=labels,
            x=[t["total"] for t in themes],
            orientation="h",
            name=_tr("ui.res.chart.all_voters", lang),
            marker_color=TOTAL_COLOUR,
            customdata=[[title, number(t["total"], lang)] for title, t in zip(titles, themes, strict=True)],
            hovertemplate="%{customdata[0]}<br>%{customdata[1]}<extra></extra>",
            meta={"role": "total"},
        )
        for g in groups or ():
            values = [t["by_helix"].get(g) for t in themes]
            fig.add_scatter(
                y=labels,
                x=values,
                mode="markers",
                name=group_name(g),
                marker={
                    "color": HELIX_COLOURS[g],
                    "symbol": HELIX_SYMBOLS[g],
                    "size": 16 if projector else 11,
                    "line": {"width": 1, "color": "#000000"},
                },
                customdata=[
                    [title, helix_name(g, lang), number(v, lang)] for title, v in zip(titles, values, strict=True)
                ],
                hovertemplate="%{customdata[0]}<br>%{customdata[1]}: %{customdata[2]}<extra></extra>",
                meta={"helix": g},
            )
    elif groups is None:  # not broken out: one bar of all voters
        fig.add_bar(
            y=labels,
            x=[t["total"] for t in themes],
            orientation="h",
            name=_tr("ui.res.chart.all_voters", lang),
            marker_color=TOTAL_COLOUR,
            customdata=[[title, number(t["total"], lang)] for title, t in zip(titles, themes, strict=True)],
            hovertemplate="%{customdata[0]}<br>%{customdata[1]}<extra></extra>",
            meta={"role": "total"},
        )
    else:
        for g in groups:
            values = [t["by_helix"].get(g) or 0.0 for t in themes]
            fig.add_bar(
                y=labels,
                x=values,
                orientation="h",
                name=group_name(g),
                marker_color=HELIX_COLOURS[g],
                customdata=[
                    [title, helix_name(g, lang), number(v, lang)] for title, v in zip(titles, values, strict=True)
                ],
                hovertemplate="%{customdata[0]}<br>%{customdata[1]}: %{customdata[2]}<extra></extra>",
                meta={"helix": g},
            )
    tied = _tr("ui.res.chart.tied", lang)
    totals = [t["total"] for t in themes]
    # Score rounds draw group means beyond the bar end, so their totals stand in a column of their own.
    highest = max([*totals, *(v for t in themes for v in t["by_helix"].values() if v is not None), 0.0])
    fig.add_scatter(
        y=labels,
        x=[highest * 1.04] * len(themes) if averages else totals,
        mode="text",
        text=[f"  {number(t['total'], lang)}" + (f" ({tied})" if t.get("tied") else "") for t in themes],
        textposition="middle right",
        textfont={
            "color": [
                (TIE_COLOUR if dark else TIE_TEXT_LIGHT) if t.get("tied") else ("#FFFFFF" if dark else "#000000")
                for t in themes
            ]
        },
        showlegend=False,
        hoverinfo="skip",
        cliponaxis=False,
        meta={"role": "totals"},
    )
    fig.update_layout(barmode="stack", legend_traceorder="normal")
    if not projector:  # on the projector the legend must fit on one line
        fig.update_layout(legend_title_text=_tr("ui.res.chart.helix", lang))
    fig.update_yaxes(categoryorder="array", categoryarray=labels, autorange="reversed", automargin=True)
    room = 1.55 if any(t.get("tied") for t in themes) else 1.25  # for "(tied)" after the total
    fig.update_xaxes(title_text=value_title(method, lang), range=[0, highest * room or 1], automargin=True)
    if not projector:
        return _style(fig, projector=False, dark=dark, height=height or _height(len(themes), False))
    # Every name is drawn (plotly would skip category labels it thinks crowded); the totals at the
    # bar ends say the values, so the x axis shows its title only.
    fig.update_yaxes(tickmode="array", tickvals=labels, ticktext=labels, ticks="", ticklabelstandoff=font // 2)
    fig.update_xaxes(showticklabels=False, showgrid=False, zeroline=False)
    fig.update_layout(bargap=0.25)
    return _style(fig, projector=True, dark=dark, height=height or _height(len(themes), True), font=font)


def helix_breakdown_figure(result: RoundResultDict, lang: str) -> go.Figure:
    """Each reported group's own figure per theme (sum, or mean for score), side by side; when the
    round is not broken out by group, an empty chart that says so."""
    themes = result["themes"]
    labels = theme_labels(themes)
    titles = [escape(t["title"]) for t in themes]
    fig = go.Figure()
    groups = chart_groups(result)
    if groups is None:
        note = helix_note(result["helix_breakdown"], lang) or ""
        fig.add_annotation(text=escape(note), showarrow=False, xref="paper", yref="paper", x=0.5, y=0.5)
        fig.update_xaxes(visible=False)
        fig.update_yaxes(visible=False)
        return _style(fig, projector=False, dark=False, height=240)
    for g in groups:
        values = [t["by_helix"].get(g) for t in themes]
        fig.add_bar(
            y=labels,
            x=values,
            orientation="h",
            name=group_label(g, result, lang),
            marker_color=HELIX_COLOURS[g],
            customdata=[[title, helix_name(g, lang), number(v, lang)] for title, v in zip(titles, values, strict=True)],
            hovertemplate="%{customdata[0]}<br>%{customdata[1]}: %{customdata[2]}<extra></extra>",
            meta={"helix": g},
        )
    fig.update_layout(barmode="group", legend_title_text=_tr("ui.res.chart.helix", lang))
    fig.update_yaxes(categoryorder="array", categoryarray=labels, autorange="reversed", automargin=True)
    fig.update_xaxes(title_text=_tr(f"ui.res.chart.by_helix.{result['method']}", lang), automargin=True)
    return _style(fig, projector=False, dark=False, height=_height(len(themes) * 2, False))


def criterion_name(criterion: CriterionInfo, lang: str) -> str:
    return criterion["name_sv"] if lang == "sv" else criterion["name_en"]


def criteria_heatmap(result: RoundResultDict, lang: str) -> go.Figure:
    """Score rounds: the mean score per theme (rows, ranking order) and criterion (columns)."""
    themes, criteria = result["themes"], result["criteria"]
    labels = theme_labels(themes)
    names = [escape(criterion_name(c, lang)) for c in criteria]
    z = [[t.get("criteria_means", {}).get(c["name_en"]) for c in criteria] for t in themes]
    lo = min((c["scale_min"] for c in criteria), default=0)
    hi = max((c["scale_max"] for c in criteria), default=1)
    fig = go.Figure(
        go.Heatmap(
            z=z,
            x=names,
            y=labels,
            zmin=lo,
            zmax=hi,
            colorscale="Cividis",
            text=[[number(v, lang, 1, trim=False) for v in row] for row in z],
            texttemplate="%{text}",
            customdata=[[[escape(t["title"]), name] for name in names] for t in themes],
            hovertemplate="%{customdata[0]}<br>%{customdata[1]}: %{text}<extra></extra>",
            colorbar={"title": {"text": _tr("ui.res.chart.mean_score", lang)}},
        )
    )
    fig.update_yaxes(autorange="reversed", automargin=True)
    fig.update_xaxes(side="top", automargin=True)
    return _style(fig, projector=False, dark=False, height=_height(len(themes), False))


def turnout_figure(turnout: Turnout, lang: str) -> go.Figure:
    """Ballots against participants per helix group, as a share, with the counts written out."""
    groups = list(HELIX_GROUPS)
    rows = [turnout["by_helix"][g] for g in groups]
    fig = go.Figure()
    fig.add_bar(
        x=[helix_name(g, lang) for g in groups],
        y=[(r["rate"] or 0.0) * 100 for r in rows],
        marker_color=[HELIX_COLOURS[g] for g in groups],
        text=[f"{r['ballots']} / {r['participants']}" for r in rows],
        textposition="outside",
        hoverinfo="skip",
        showlegend=False,
    )
    fig.update_yaxes(title_text=_tr("ui.res.chart.turnout_pct", lang), range=[0, 115])
    return _style(fig, projector=False, dark=False, height=360)


def funnel_stage_label(stage: Any, lang: str) -> str:  # noqa: ANN401 - a FunnelStage
    if stage.kind == "round":
        return _tr("ui.res.funnel.round", lang, seq=stage.round_seq)
    return _tr(f"ui.res.funnel.{stage.kind}", lang)


def funnel_figure(
    funnel: Funnel,
    lang: str,
    *,
    projector: bool = False,
    dark: bool = False,
    height: int | None = None,
    font: int | None = None,
) -> go.Figure:
    """From every proposal to the priorities, one bar per stage (on the projector `height` px tall, `font` px text)."""
    fig = go.Figure(
        go.Funnel(
            y=[funnel_stage_label(s, lang) for s in funnel.stages],
            x=funnel.counts(),
            textinfo="value",
            # White on the blue bars is 5.1:1; a count too wide for its bar stands beside it in the text colour.
            textfont={"color": "#FFFFFF"},
            outsidetextfont={"color": "#FFFFFF" if dark else "#000000"},
            marker={"color": TOTAL_COLOUR},
            connector={"fillcolor": "#56B4E9"},
            hoverinfo="skip",
        )
    )
    fig.update_yaxes(automargin=True)
    if projector:
        fig.update_yaxes(ticklabelstandoff=(font or PROJECTOR_FONT) // 2)
        fig.update_xaxes(showticklabels=False, showgrid=False, zeroline=False)
    default = 140 + len(funnel.stages) * (80 if projector else 50)
    fig = _style(fig, projector=projector, dark=dark, height=height or default, font=font)
    if projector:
        fig.update_layout(margin={"t": 10, "b": 10})
    return fig
