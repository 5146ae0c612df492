"""Cached round results for screens, and the widgets the results and projector pages share.

A tally runs once per (round, workshop revision), not once per viewer rerun; the funnel likewise.
"""

from __future__ import annotations

import functools

import pandas as pd
import streamlit as st

from edp.charts import chart_groups, group_label, number, value_title
from edp.funnel import Funnel, workshop_funnel
from edp.io.exporters import EXPORTERS, Options, Source
from edp.live import WorkshopView
from edp.models import HELIX_GROUPS
from edp.ui.common import engine, lang, t
from edp.voting.results import RoundResultDict, ThemeResult
from edp.voting.tally import BALANCED_LABEL, helix_note, round_results

# On screen every result figure has one decimal and the language's decimal mark, as the charts and
# the phones write it (edp.charts.number: 19,7 in Swedish, 19.7 in English); consensus, a 0–1
# figure, keeps two. The downloads keep the tally's full precision.
DECIMALS = 1
CONSENSUS_DECIMALS = 2


def _figure(value: float | None, language: str, decimals: int = DECIMALS) -> str:
    """A figure for a table cell, written as the chart and the phone write it ("–" for none)."""
    return number(value, language, decimals)


@st.cache_data(max_entries=256, show_spinner=False)
def _results(url: str, round_id: int, revision: int, who: str | None) -> RoundResultDict:  # noqa: ARG001 - revision is the cache key
    return round_results(engine(), who, round_id).as_dict()


def cached_results(round_id: int, revision: int, who: str | None = None) -> RoundResultDict:
    """RoundResult.as_dict() for the round; recomputed only when the workshop's revision moves.
    The engine decides who may see it (`who` None: the public, for results shown to the room); an
    entry is cached per viewer's token, so one viewer's results never reach another."""
    return _results(str(engine().url), round_id, revision, who)


@st.cache_data(max_entries=128, show_spinner=False)
def _funnel(url: str, workshop_id: int, revision: int) -> Funnel:  # noqa: ARG001 - revision is the cache key
    return workshop_funnel(engine(), workshop_id)


def cached_funnel(workshop_id: int, revision: int) -> Funnel:
    return _funnel(str(engine().url), workshop_id, revision)


# ---------------------------------------------------------------- which rounds may be shown


def viewer() -> str | None:
    """The credential the results page shows rounds for: a signed-in organiser's, or this tab's console."""
    from edp.ui.session import facilitator_token, organiser_token

    return organiser_token() or facilitator_token()


def visible_round_ids(wv: WorkshopView, who: str | None) -> list[int]:
    """Rounds whose results this viewer may see, in order: revealed ones, the current round if the
    facilitator shows it live, and for the process's organisers and the workshop's console every
    closed round (the engine's rule: edp.voting.tally.check_results_visible)."""
    from edp.voting.tally import results_readers

    live = wv.current.id if wv.current is not None and wv.current.results_visible else None
    own = who is not None and results_readers(engine(), who, wv.id)
    return [r.id for r in wv.rounds if (r.phase == "closed" and (r.revealed or own)) or r.id == live]


def round_label(wv: WorkshopView, round_id: int) -> str:
    r = next(r for r in wv.rounds if r.id == round_id)
    label = t("ui.res.round_option", seq=r.seq, method=t(f"method.{r.method}"))
    if not r.revealed:
        label += " – " + (t("ui.res.not_revealed") if r.phase == "closed" else t("ui.res.live"))
    return label


# ---------------------------------------------------------------- tables


def _rank_text(row: ThemeResult) -> str:
    return f"{row['rank']}=" if row.get("tied") else str(row["rank"])


def ranking_table(result: RoundResultDict, language: str | None = None) -> pd.DataFrame:
    """The ranking as shown on screen: cells are data (st.dataframe never renders markup), figures
    are text written as the chart writes them (19,7), the rows already in ranking order."""
    language = language or lang()
    rows = []
    for r in result["themes"]:
        row = {
            t("ui.res.col.rank"): _rank_text(r),
            t("ui.res.col.title"): r["title"],
            value_title(result["method"], language): _figure(r["total"], language),
            t("ui.res.col.voters"): r["voters"],
            t("ui.res.col.balanced"): _figure(r["balanced"], language),
            t("ui.res.col.consensus"): _figure(r["consensus"], language, CONSENSUS_DECIMALS),
        }
        # The reported groups only: a folded group has no column, and nothing broken out has none.
        row.update(
            {
                group_label(g, result, language): _figure(r["by_helix"].get(g), language)
                for g in chart_groups(result) or ()
            }
        )
        rows.append(row)
    return pd.DataFrame(rows)


def score_help(result: RoundResultDict, language: str | None = None) -> str | None:
    """What a score round's figure is (a weighted sum over the criteria, averaged over the scorers)
    and the range it lies in; None for the other methods, whose unit says it all."""
    if result.get("method") != "score" or not result.get("criteria"):
        return None
    language = language or lang()
    crit = result["criteria"]
    low = sum(c["weight"] * c["scale_min"] for c in crit)
    high = sum(c["weight"] * c["scale_max"] for c in crit)
    return t("ui.res.score_help", low=number(low, language), high=number(high, language))


def helix_notice(result: RoundResultDict, *, key: str) -> None:
    """Says which helix groups are folded into "other", or that nothing is broken out by group."""
    if note := helix_note(result.get("helix_breakdown") or {}, lang()):
        with st.container(key=key):
            st.caption(note)


def balanced_tables(result: RoundResultDict, language: str | None = None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The raw ranking and the helix-balanced one (competition ranks on the balanced figure)."""
    language = language or lang()
    rank_col, title_col = t("ui.res.col.rank"), t("ui.res.col.title")
    raw = pd.DataFrame(
        {
            rank_col: [_rank_text(r) for r in result["themes"]],
            title_col: [r["title"] for r in result["themes"]],
            value_title(result["method"], language): [_figure(r["total"], language) for r in result["themes"]],
        }
    )
    order = sorted(result["themes"], key=lambda r: -r["balanced"])  # stable: ties keep the raw order
    values = pd.Series([round(r["balanced"], 9) for r in order])
    ranks = values.rank(method="min", ascending=False).astype(int)
    tied = ranks.map(ranks.value_counts()) > 1
    balanced = pd.DataFrame(
        {
            rank_col: [f"{k}=" if tie else str(k) for k, tie in zip(ranks, tied, strict=True)],
            title_col: [r["title"] for r in order],
            t("ui.res.col.balanced"): [_figure(r["balanced"], language) for r in order],
        }
    )
    return raw, balanced


def balanced_label(lang: str) -> str:
    return BALANCED_LABEL.get(lang, BALANCED_LABEL["en"])


# ---------------------------------------------------------------- widgets


def turnout_metrics(participants: dict[str, int], ballots: dict[str, int], *, key: str, compact: bool = False) -> None:
    """Ballots against participants, overall and per helix group, as big numbers each over its own bar;
    `compact`: all on one row without bars (above live results, which need the screen)."""
    total_p, total_b = sum(participants.values()), sum(ballots.values())
    if compact:
        with st.container(key=f"{key}-overall", horizontal=True, gap="large"):
            st.metric(t("ui.res.turnout_overall"), f"{total_b} / {total_p}")
            for g in HELIX_GROUPS:
                st.metric(t(f"helix.{g}"), f"{ballots.get(g, 0)} / {participants.get(g, 0)}")
        return
    with st.container(key=f"{key}-overall"):
        st.metric(t("ui.res.turnout_overall"), f"{total_b} / {total_p}")
        st.progress(min(1.0, total_b / total_p) if total_p else 0.0)
    with st.container(key=f"{key}-helix", horizontal=True, gap="large"):
        for g in HELIX_GROUPS:
            cast, present = ballots.get(g, 0), participants.get(g, 0)
            with st.container(key=f"{key}-helix-{g}"):
                st.metric(t(f"helix.{g}"), f"{cast} / {present}")
                st.progress(min(1.0, cast / present) if present else 0.0)


# The round's files (edp.io.exporters), each with the end of its file name and its button's key.
ROUND_FILES = (("tally.csv", "tally", "dl-tally-csv"), ("tally.xlsx", "tally", "dl-tally-xlsx"),
               ("ballots.csv", "ballots", "dl-ballots-csv"))  # fmt: skip


def downloads(round_id: int, lang: str, who: str | None = None) -> None:
    """Tally as CSV and XLSX, ballots as CSV; each file is built only when its button is clicked,
    read then through the engine's check of who may see the round's results."""
    source, options = Source(engine(), who, round_id=round_id), Options(lang=lang)
    with st.container(key="res-downloads", horizontal=True):
        for identifier, end, key in ROUND_FILES:
            exporter = EXPORTERS[identifier]
            st.download_button(
                t(exporter.name),
                functools.partial(exporter.render, source, options),
                file_name=exporter.file_name(f"edp-round-{round_id}-{end}"),
                mime=exporter.mime_type,
                key=f"{key}-{round_id}",
                on_click="ignore",
                icon=":material/download:",
            )


# The results page's charts and tables without Streamlit's and plotly's own toolbars: their
# buttons and tooltips are in English only ("Download as CSV", "Zoom in"); the page has its own downloads.
CHART_CONFIG = {"displayModeBar": False}
RESULTS_CSS = """
<style>
[class*="st-key-res-view"] [data-testid="stElementToolbar"] { display: none !important; }
</style>
"""


def results_style() -> None:
    """The results page's CSS (our own, fixed text)."""
    st.html(RESULTS_CSS)


def turnout_caption(result: RoundResultDict, lang: str) -> str:
    o = result["turnout"]["overall"]
    rate = number((o["rate"] or 0) * 100, lang, 0)
    return t("ui.res.turnout_line", ballots=o["ballots"], participants=o["participants"], rate=rate)


# ---------------------------------------------------------------- projector CSS (our own, fixed text)

# The projector is laid out for 1920×1080 and scales with the screen's height: --pf is its smallest
# text, 28 px at 1080p and the same share of a smaller screen (19 px at 720p); all else is a multiple.
# Text is black on white or white on black (21:1); captions too, so nothing is faint.
PROJECTOR_CSS = """
<style>
:root { --pf: max(19px, 2.6vh); }
[data-testid="stHeader"], [data-testid="stToolbar"], [data-testid="stDecoration"],
[data-testid="stStatusWidget"], [data-testid="stElementToolbar"], [data-testid="stSidebar"],
[data-testid="stSidebarCollapsedControl"], [data-testid="stHeaderActionElements"] { display: none !important; }
[data-testid="stMainBlockContainer"] { padding: 2vh 2.5vw 0 2.5vw !important; max-width: 100%; }
.stApp, [data-testid="stMain"] { color: #000000; }
[data-testid="stText"], [data-testid="stText"] * { font-size: var(--pf); line-height: 1.3; }
[data-testid="stMarkdownContainer"] p { font-size: var(--pf); }
[data-testid="stCaptionContainer"], [data-testid="stCaptionContainer"] p {
  font-size: var(--pf) !important; line-height: 1.35; color: #1A1A1A !important;
}
[data-testid="stHeading"] h3 { font-size: calc(var(--pf) * 1.5); padding: 0; line-height: 1.4; }
.st-key-plain-title-proj-ws [data-testid="stText"], .st-key-plain-title-proj-ws [data-testid="stText"] * {
  font-size: calc(var(--pf) * 1.5); font-weight: 700; line-height: 1.25;
}
.st-key-plain-body-proj-code [data-testid="stText"], .st-key-plain-body-proj-code [data-testid="stText"] * {
  font-size: min(calc(var(--pf) * 4.5), 9vw); font-weight: 800; letter-spacing: 0.12em;
  font-family: ui-monospace, "DejaVu Sans Mono", monospace; line-height: 1.05;
}
.st-key-plain-body-proj-url [data-testid="stText"], .st-key-plain-body-proj-url [data-testid="stText"] * {
  font-size: calc(var(--pf) * 1.3); word-break: break-all;
}
.st-key-proj-corner .st-key-plain-body-proj-code [data-testid="stText"],
.st-key-proj-corner .st-key-plain-body-proj-code [data-testid="stText"] * { font-size: calc(var(--pf) * 2.4); }
.st-key-proj-corner .st-key-plain-body-proj-url [data-testid="stText"],
.st-key-proj-corner .st-key-plain-body-proj-url [data-testid="stText"] * { font-size: var(--pf); }
.st-key-proj-themes [data-testid="stVerticalBlock"] { gap: 12px; }
[data-testid="stMetricValue"], [data-testid="stMetricValue"] * {
  font-size: calc(var(--pf) * 2.6) !important; line-height: 1.1; font-weight: 700;
}
[data-testid="stMetricLabel"], [data-testid="stMetricLabel"] p { font-size: calc(var(--pf) * 1.1) !important; }
.st-key-proj-corner [data-testid="stMetricValue"], .st-key-proj-corner [data-testid="stMetricValue"] * {
  font-size: calc(var(--pf) * 1.8) !important;
}
.st-key-proj-turnout-overall [data-testid="stMetricValue"], .st-key-proj-turnout-overall [data-testid="stMetricValue"] * {
  font-size: calc(var(--pf) * 4) !important;
}
.st-key-proj-turnout-helix { margin-top: 5vh; }
[class*="st-key-proj-turnout-helix-"] { flex: 1 1 0; min-width: 0; }
[class*="st-key-proj-turnout-helix-"] [data-testid="stMetricValue"], [class*="st-key-proj-turnout-helix-"] [data-testid="stMetricValue"] * {
  font-size: calc(var(--pf) * 3.4) !important;
}
.st-key-proj-live-overall [data-testid="stMetricValue"], .st-key-proj-live-overall [data-testid="stMetricValue"] * {
  font-size: calc(var(--pf) * 1.5) !important;
}
[data-testid="stProgressBarTrack"] { height: calc(var(--pf) * 0.9); background-color: #DDDDDD; outline: 1px solid #767676; }
[data-testid="stAlert"] p { font-size: calc(var(--pf) * 1.2); }
</style>
"""

PROJECTOR_DARK_CSS = """
<style>
.stApp, [data-testid="stAppViewContainer"], [data-testid="stMain"] { background-color: #000000 !important; }
.stApp, [data-testid="stText"], [data-testid="stText"] *, [data-testid="stMarkdownContainer"] p, [data-testid="stHeading"] h3,
[data-testid="stCaptionContainer"], [data-testid="stCaptionContainer"] p, [data-testid="stMetricLabel"] p,
[data-testid="stMetricValue"], [data-testid="stMetricValue"] * {
  color: #FFFFFF !important;
}
[data-testid="stAlert"] { background-color: #1A1A1A !important; border: 2px solid #FFFFFF; }
[data-testid="stProgressBarTrack"] { background-color: #444444 !important; outline-color: #AAAAAA; }
[data-testid="stProgressBarTrack"] > div { background-color: #56B4E9 !important; }
</style>
"""


def projector_style(dark: bool) -> None:
    st.html(PROJECTOR_CSS + (PROJECTOR_DARK_CSS if dark else ""))
