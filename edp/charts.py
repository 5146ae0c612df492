"""Plotly figures for round results, turnout and the funnel: data in, figure out (no Streamlit).

Colours are Okabe–Ito (colour-blind safe), one fixed colour per helix group on every chart.
Results are broken out by the groups the tally reports (edp.tally.reporting_groups): helix groups
with fewer than 3 voters appear together as "other", and a round whose "other" would be smaller
than that is not broken out at all.
Plotly renders a subset of HTML in labels and hover text, so every text a user typed goes
through `escape` before it reaches a figure; hover text is passed as customdata, never
spliced into a hovertemplate.
"""

from __future__ import annotations

import html
from typing import Any

import plotly.graph_objects as go

from edp import i18n
from edp.funnel import Funnel
from edp.models import HELIX_GROUPS
from edp.tally import OTHER, helix_note

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
LABEL_MAX = 60
LABEL_MAX_PROJECTOR = 42
TIE_MARK = "="


def escape(text: str) -> str:
    """Plain text for a plotly label: `<`, `>` and `&` become entities, so nothing is markup."""
    return html.escape(str(text), quote=False)


def _tr(key: str, lang: str, **params: Any) -> str:
    return i18n.t(key, lang, **params)


def helix_name(group: str, lang: str) -> str:
    return _tr(f"helix.{group}", lang)


def chart_groups(result: dict[str, Any]) -> list[str] | None:
    """The groups a chart of this result shows, in order: every helix group that is not folded
    (one that cast no ballot stays, so its absence shows), then "other" if it holds ballots.
    None when the result is not broken out by group at all."""
    breakdown = result.get("helix_breakdown") or {}
    if breakdown.get("withheld"):
        return None
    folded = set(breakdown.get("folded", ()))
    return [g for g in HELIX_GROUPS if g not in folded] + ([OTHER] if OTHER in breakdown.get("shown", ()) else [])


def group_label(group: str, result: dict[str, Any], lang: str) -> str:
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


def theme_labels(themes: list[dict[str, Any]], max_len: int = LABEL_MAX) -> list[str]:
    """Axis labels in ranking order: `1. Title`, ties as `8= Title`; escaped and unique."""
    labels: list[str] = []
    for t in themes:
        mark = TIE_MARK if t.get("tied") else "."
        label = escape(f"{t['rank']}{mark} {_short(t['title'], max_len)}")
        if label in labels:  # identical titles at one rank would merge into one bar
            label = f"{label} (#{t['theme_id']})"
        labels.append(label)
    return labels


def value_title(method: str, lang: str) -> str:
    return _tr(f"ui.res.chart.value.{method}", lang)


def _style(fig: go.Figure, *, projector: bool, dark: bool, height: int | None = None) -> go.Figure:
    base = 20 if projector else 14
    fg, bg = ("#FFFFFF", "#000000") if dark else ("#000000", "#FFFFFF")
    fig.update_layout(
        template="plotly_dark" if dark else "plotly_white",
        font={"size": base, "color": fg},
        paper_bgcolor=bg if projector else None,
        plot_bgcolor=bg if projector else None,
        margin={"l": 10, "r": 30, "t": 60, "b": 40},
        legend={"orientation": "h", "yanchor": "bottom", "y": 1.02, "x": 0, "font": {"size": base}},
        height=height,
    )
    return fig


def _height(rows: int, projector: bool) -> int:
    # On the projector the chart must fit the screen without scrolling, so rows shrink as they multiply.
    return min(150 + rows * 38, 980) if projector else 160 + rows * 34


TIE_SLACK = 2  # how far a tie at the cut may stretch the list before the whole tie is left out


def top_themes(themes: list[dict[str, Any]], top: int | None) -> list[dict[str, Any]]:
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
    result: dict[str, Any], lang: str, *, projector: bool = False, dark: bool = False, top: int | None = None
) -> go.Figure:
    """The method's main figure: horizontal bars in ranking order (first at the top).

    Dots, rank and approval stack the helix groups' shares of each total; score shows the mean of
    all voters as a bar and each group's mean as a marker. Totals are written at the bar end,
    ties are marked there and in the axis label. A group that cast no ballot stays in the legend.
    `top` keeps the first themes only (ties at the cut included), for a screen that must not scroll.
    """
    themes = top_themes(result["themes"], top)
    method = result["method"]
    labels = theme_labels(themes, LABEL_MAX_PROJECTOR if projector else LABEL_MAX)
    titles = [escape(t["title"]) for t in themes]
    fig = go.Figure()
    no_ballots = _tr("ui.res.chart.no_ballots", lang)

    groups = chart_groups(result)

    def group_name(g: str) -> str:
        voted = any(t["by_helix"].get(g) is not None for t in themes)
        name = group_label(g, result, lang)
        return name if voted or not themes else f"{name} ({no_ballots})"

    if method == "score":
        fig.add_bar(
            y=labels,
            x=[t["total"] for t in themes],
            orientation="h",
            name=_tr("ui.res.chart.all_voters", lang),
            marker_color=TOTAL_COLOUR,
            customdata=[[title, number(t["total"], lang, 2)] for title, t in zip(titles, themes, strict=True)],
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
                    [title, helix_name(g, lang), number(v, lang, 2)] for title, v in zip(titles, values, strict=True)
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
        x=[highest * 1.04] * len(themes) if method == "score" else totals,
        mode="text",
        text=[f"  {number(t['total'], lang)}" + (f" ({tied})" if t.get("tied") else "") for t in themes],
        textposition="middle right",
        textfont={"color": [TIE_COLOUR if t.get("tied") else ("#FFFFFF" if dark else "#000000") for t in themes]},
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
    return _style(fig, projector=projector, dark=dark, height=_height(len(themes), projector))


def helix_breakdown_figure(result: dict[str, Any], lang: str) -> go.Figure:
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
            customdata=[
                [title, helix_name(g, lang), number(v, lang, 2)] for title, v in zip(titles, values, strict=True)
            ],
            hovertemplate="%{customdata[0]}<br>%{customdata[1]}: %{customdata[2]}<extra></extra>",
            meta={"helix": g},
        )
    fig.update_layout(barmode="group", legend_title_text=_tr("ui.res.chart.helix", lang))
    fig.update_yaxes(categoryorder="array", categoryarray=labels, autorange="reversed", automargin=True)
    fig.update_xaxes(title_text=_tr(f"ui.res.chart.by_helix.{result['method']}", lang), automargin=True)
    return _style(fig, projector=False, dark=False, height=_height(len(themes) * 2, False))


def criterion_name(criterion: dict[str, Any], lang: str) -> str:
    return criterion["name_sv"] if lang == "sv" else criterion["name_en"]


def criteria_heatmap(result: dict[str, Any], lang: str) -> go.Figure:
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


def turnout_figure(turnout: dict[str, Any], lang: str) -> go.Figure:
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


def funnel_figure(funnel: Funnel, lang: str, *, projector: bool = False, dark: bool = False) -> go.Figure:
    """From every proposal to the priorities, one bar per stage."""
    fig = go.Figure(
        go.Funnel(
            y=[funnel_stage_label(s, lang) for s in funnel.stages],
            x=funnel.counts(),
            textinfo="value",
            marker={"color": TOTAL_COLOUR},
            connector={"fillcolor": "#56B4E9"},
            hoverinfo="skip",
        )
    )
    fig.update_yaxes(automargin=True)
    return _style(fig, projector=projector, dark=dark, height=140 + len(funnel.stages) * (80 if projector else 50))
