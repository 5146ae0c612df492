"""The annual follow-up (uppföljningsrapport) as DOCX and PDF, and a steering-group deck as PPTX.

`report_data` loads everything in one read; the builders are pure (ReportData in, bytes out), so
tests and a recount can build the same documents from data made in memory. DOCX and PDF share
one outline (`report_blocks`), so both carry the same content in the same order. Each chart is
rendered once per document through `edp.io.imaging.export_figure`; pass `images` (from
`report_images`) to build several documents from one rendering. User text goes in as plain text.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import io
import itertools
import logging
import struct
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import plotly.graph_objects as go
from babel.dates import format_date
from docx import Document
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Cm, Pt
from fpdf import FPDF, FontFace
from pptx import Presentation
from pptx.util import Emu, Inches
from pptx.util import Pt as PptPt
from sqlalchemy import Engine, select

from edp import charts
from edp.access import Credential
from edp.db import read
from edp.errors import EdpError, NotFound
from edp.i18n import t
from edp.io import cards, imaging
from edp.models import ACTIVITY_STATUSES, Priority, Process, Round, Theme, Workshop
from edp.roadmap import charts as roadmap_charts
from edp.roadmap.views import ActivityView, KpiView, ProcessRoadmaps, RoadmapView, process_roadmaps
from edp.voting.tally import REPORT_GROUPS, helix_note, load_round_results

Progress = Callable[[float, str], None]
_log = logging.getLogger(__name__)

RANKING_TOP = 10  # ranking lines per workshop (ties at the cut kept whole, as on the results page)
KPI_STATUSES = ("on_track", "at_risk", "off_track", "no_data")
OFF_TRACK_MAX = 10  # lines in the summary's "needs attention" list before "and N more"
# Each chart is laid out for where it is shown, its smallest text 14 CSS px (roadmap_charts.FONT_SIZE):
# in the report's 16-17 cm column (DOCX 16 cm = 454 pt, PDF 17 cm = 482 pt) a 780 px layout prints 14 px
# at 8.1-8.7 pt; on a slide's 12.33 x 5.4 in body (888 x 389 pt) a 1000 px layout shows it at 12.4 pt, as
# long as the chart is no taller than DECK_MAX_H_PX (a taller Gantt goes over several slides).
REPORT_WIDTH_PX = 780
REPORT_MAX_H_PX = 1040  # a chart of at most this height fits a portrait A4 page under the header at full width
DECK_WIDTH_PX = 1000
DECK_MAX_H_PX = 438  # 1000 px x 389/888: the slide body's shape
DECK_RANKING_WIDTH_PX = 560  # the ranking beside its table on 64 % of the body
DECK_RANKING_HEIGHT_PX = 460  # and the body's height: 14 px text at 12.7 pt
DECK_KPIS_PER_SLIDE = 2  # one row of two KPI panels fills a slide at 12 pt
IMAGE_SCALE = 2  # twice the pixels: sharp on a projector and in print, with the layout's text size
CHART_SHARE = 0.85  # of the progress bar: rendering charts; the rest is writing the file


# ---------------------------------------------------------------- data


@dataclass(frozen=True)
class PriorityLine:
    id: int
    rank: int
    theme_id: int
    theme_title: str
    rationale: str
    recommendation: str = ""


@dataclass(frozen=True)
class RankingLine:
    theme_id: int
    rank: int
    tied: bool
    title: str
    total: float
    by_helix: tuple[tuple[str, float | None], ...] = ()


@dataclass(frozen=True)
class WorkshopResults:
    """A workshop's priorities and the ranking of its last closed, revealed round (the one that chose them)."""

    workshop_id: int
    title: str
    date: dt.date | None
    priorities: tuple[PriorityLine, ...]
    round_id: int | None = None
    round_seq: int | None = None
    method: str | None = None
    ballots: int = 0
    participants: int = 0
    ranking: tuple[RankingLine, ...] = ()  # the first RANKING_TOP lines
    ranked: int = 0  # themes in the whole ranking
    # Which helix groups the ranking breaks out (RoundResult.helix_breakdown): small ones are folded.
    helix_breakdown: Mapping[str, Any] = field(default_factory=dict)

    def result_dict(self) -> dict[str, Any]:
        """The ranking in the shape `charts.ranking_figure` takes."""
        return {
            "method": self.method or "dots",
            "helix_breakdown": dict(self.helix_breakdown),
            "themes": [
                {
                    "theme_id": r.theme_id,
                    "rank": r.rank,
                    "tied": r.tied,
                    "title": r.title,
                    "total": r.total,
                    "by_helix": {g: dict(r.by_helix).get(g) for g in REPORT_GROUPS},
                }
                for r in self.ranking
            ],
        }


@dataclass(frozen=True)
class ReportData:
    process_id: int
    process_title: str
    lang: str
    roadmaps: ProcessRoadmaps
    workshops: tuple[WorkshopResults, ...] = ()
    description: str = ""
    financier: str = ""


def _ranking(result: dict[str, Any]) -> tuple[RankingLine, ...]:
    return tuple(
        RankingLine(
            int(th["theme_id"]),
            int(th["rank"]),
            bool(th.get("tied")),
            th["title"],
            float(th["total"] or 0.0),
            tuple((g, th["by_helix"].get(g)) for g in REPORT_GROUPS),
        )
        for th in charts.top_themes(result["themes"], RANKING_TOP)
    )


def report_data(engine: Engine, who: Credential | None, process_id: int, lang: str) -> ReportData:
    """The process, its roadmaps, and per workshop with priorities the result that chose them
    (for the process's leaders and observers: process_roadmaps checks `who`)."""
    roadmaps = process_roadmaps(engine, who, process_id)
    with read(engine) as s:
        proc = s.get(Process, process_id)
        if proc is None:
            raise NotFound("process.not_found", id=process_id)
        workshops: list[WorkshopResults] = []
        for ws in s.scalars(
            select(Workshop).where(Workshop.process_id == process_id).order_by(Workshop.date, Workshop.id)
        ):
            rows = s.execute(
                select(Priority, Theme.title)
                .join(Theme, Theme.id == Priority.theme_id)
                .where(Priority.workshop_id == ws.id)
                .order_by(Priority.rank)
            ).all()
            if not rows:
                continue
            priorities = tuple(
                PriorityLine(p.id, p.rank, p.theme_id, title, p.rationale, p.recommendation) for p, title in rows
            )
            rnd = s.scalars(
                select(Round)
                .where(Round.workshop_id == ws.id, Round.phase == "closed", Round.revealed.is_(True))
                .order_by(Round.seq.desc())
            ).first()
            if rnd is None:
                workshops.append(WorkshopResults(ws.id, ws.title, ws.date, priorities))
                continue
            res = load_round_results(s, rnd.id)
            workshops.append(
                WorkshopResults(
                    ws.id,
                    ws.title,
                    ws.date,
                    priorities,
                    rnd.id,
                    rnd.seq,
                    rnd.method,
                    res.ballots,
                    res.participants,
                    _ranking(res.as_dict()),
                    len(res.themes),
                    res.helix_breakdown,
                )
            )
        return ReportData(
            proc.id, proc.title, lang, roadmaps, tuple(workshops), proc.description or "", proc.financier or ""
        )


def only_roadmap(data: ReportData, roadmap_id: int) -> ReportData:
    """The same report for one roadmap: that roadmap, and the workshop whose priority it comes from."""
    rm = next((r for r in data.roadmaps.roadmaps if r.id == roadmap_id), None)
    if rm is None:
        raise NotFound("roadmap.not_found", id=roadmap_id)
    source = rm.priority.workshop_id if rm.priority else None
    return dataclasses.replace(
        data,
        roadmaps=dataclasses.replace(data.roadmaps, roadmaps=(rm,)),
        workshops=tuple(ws for ws in data.workshops if ws.workshop_id == source),
    )


# ---------------------------------------------------------------- facts shared by every format


def _today(today: dt.date | None) -> dt.date:
    return today or dt.date.today()


def _date(d: dt.date | None) -> str:
    return d.isoformat() if d else "–"


def long_date(d: dt.date, lang: str) -> str:
    return format_date(d, format="long", locale="sv_SE" if lang == "sv" else "en_GB")


def latest(kpi: KpiView, today: dt.date | None = None) -> float | None:
    """The latest measured value (as of `today`, like kpi_status), or None."""
    ms = [m for m in kpi.measurements if today is None or m.date <= today]
    return max(ms, key=lambda m: (m.date, m.id)).value if ms else None


def _value(v: float | None, unit: str, lang: str) -> str:
    return "–" if v is None else f"{charts.number(v, lang, 2)} {unit}".strip()


def kpi_label(status: str, lang: str) -> str:
    return roadmap_charts.kpi_status_name(status, lang)  # the words the charts use


def activity_label(status: str, lang: str) -> str:
    return roadmap_charts.status_name(status, lang)


def overdue(a: ActivityView, today: dt.date) -> bool:
    """Past its end date and neither done nor cancelled (a status nobody has updated)."""
    return a.end < today and a.status in ("planned", "ongoing")


@dataclass(frozen=True)
class Summary:
    kpis: dict[str, int]
    activities: dict[str, int]
    attention: tuple[str, ...]  # what is off track, one line each
    more: int  # lines left out of `attention`
    statuses: dict[int, tuple[str, ...]] = field(default_factory=dict)  # roadmap id -> KPI statuses


def summary(data: ReportData, lang: str, today: dt.date) -> Summary:
    kpis: Counter[str] = Counter()
    acts: Counter[str] = Counter()
    lines: list[str] = []
    statuses: dict[int, tuple[str, ...]] = {}
    for rm in data.roadmaps.roadmaps:
        st = tuple(roadmap_charts.kpi_status(k, today=today) for k in rm.kpis)
        statuses[rm.id] = st
        kpis.update(st)
        for k, s in zip(rm.kpis, st, strict=True):
            if s == "off_track":
                lines.append(
                    t(
                        "report.attention.kpi",
                        lang,
                        roadmap=rm.title,
                        kpi=k.name,
                        latest=_value(latest(k, today), k.unit, lang),
                        target=_value(k.target_value, k.unit, lang),
                        date=_date(k.target_date),
                    )
                )
        for a in rm.activities:
            acts[a.status] += 1
            if a.status == "delayed":
                lines.append(t("report.attention.delayed", lang, roadmap=rm.title, activity=a.title, end=_date(a.end)))
            elif overdue(a, today):
                lines.append(t("report.attention.overdue", lang, roadmap=rm.title, activity=a.title, end=_date(a.end)))
    return Summary(
        {s: kpis[s] for s in KPI_STATUSES},
        {s: acts[s] for s in ACTIVITY_STATUSES},
        tuple(lines[:OFF_TRACK_MAX]),
        max(0, len(lines) - OFF_TRACK_MAX),
        statuses,
    )


def priority_text(rm: RoadmapView, lang: str) -> str:
    p = rm.priority
    if p is None:
        return t("report.roadmap.no_priority", lang)
    return t(
        "report.roadmap.priority_from",
        lang,
        rank=p.rank,
        title=p.title,
        workshop=p.workshop_title,
        date=_date(p.workshop_date),
    )


def ranking_caption(ws: WorkshopResults, lang: str) -> str:
    text = t(
        "report.ranking.caption",
        lang,
        seq=ws.round_seq or "",
        method=t(f"method.{ws.method}", lang).lower(),
        ballots=ws.ballots,
        participants=ws.participants,
    )
    if ws.ranked > len(ws.ranking):
        text += t("report.ranking.cut", lang, shown=len(ws.ranking), ranked=ws.ranked)
    if note := helix_note(dict(ws.helix_breakdown), lang):
        text += ". " + note
    return text


def workshop_heading(ws: WorkshopResults) -> str:
    return f"{ws.title} ({_date(ws.date)})" if ws.date else ws.title


# ---------------------------------------------------------------- the outline of the DOCX and PDF


@dataclass(frozen=True)
class Heading:
    level: int  # 0 = the document title
    text: str


@dataclass(frozen=True)
class Para:
    text: str
    label: str = ""  # written bold before the text


@dataclass(frozen=True)
class Bullets:
    items: tuple[str, ...]


@dataclass(frozen=True)
class Table:
    header: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    widths: tuple[float, ...]  # relative column widths


@dataclass(frozen=True)
class Image:
    key: str
    alt: str


@dataclass(frozen=True)
class PageBreak:
    pass


Block = Heading | Para | Bullets | Table | Image | PageBreak


def _priorities_blocks(data: ReportData, lang: str) -> list[Block]:
    out: list[Block] = [Heading(1, t("report.priorities", lang))]
    if not data.workshops:
        return [*out, Para(t("report.priorities.none", lang))]
    out.append(Para(t("report.priorities.intro", lang)))
    for ws in data.workshops:
        out.append(Heading(2, workshop_heading(ws)))
        out.append(
            Table(
                (t("report.col.rank", lang), t("report.col.theme", lang), t("report.col.rationale", lang)),
                tuple((str(p.rank), p.theme_title, p.rationale) for p in ws.priorities),
                (1, 5, 9),
            )
        )
        if not ws.ranking:
            out.append(Para(t("report.ranking.none", lang)))
            continue
        chosen = {p.theme_id: p.rank for p in ws.priorities}
        out.append(Para(ranking_caption(ws, lang), label=t("report.ranking", lang)))
        out.append(
            Table(
                (
                    t("report.col.rank", lang),
                    t("report.col.theme", lang),
                    charts.value_title(ws.method or "dots", lang),
                    t("report.col.priority", lang),
                ),
                tuple(
                    (
                        f"{r.rank}{charts.TIE_MARK if r.tied else ''}",
                        r.title,
                        charts.number(r.total, lang, 2),
                        str(chosen[r.theme_id]) if r.theme_id in chosen else "",
                    )
                    for r in ws.ranking
                ),
                (1.2, 8, 2.5, 2.3),
            )
        )
    return out


def _roadmap_blocks(rm: RoadmapView, statuses: tuple[str, ...], lang: str, today: dt.date) -> list[Block]:
    out: list[Block] = [PageBreak(), Heading(1, rm.title)]
    if rm.vision:
        out.append(Para(rm.vision, label=t("report.roadmap.vision", lang)))
    out.append(Para(priority_text(rm, lang), label=t("report.roadmap.priority", lang)))
    out.append(Para(f"{_date(rm.period_start)} – {_date(rm.period_end)}", label=t("report.roadmap.period", lang)))
    out.append(Para(rm.owner.name if rm.owner else "–", label=t("report.roadmap.owner", lang)))
    out.append(Para(roadmap_charts.roadmap_status_name(rm.status, lang), label=t("report.roadmap.status", lang)))

    out.append(Heading(2, t("report.goals", lang)))
    if rm.goals:
        out.append(
            Bullets(
                tuple(
                    t(
                        "report.goal.line",
                        lang,
                        title=g.title,
                        n=len(g.activities),
                        done=sum(a.status == "done" for a in g.activities),
                    )
                    + (f" – {g.description}" if g.description else "")
                    for g in rm.goals
                )
            )
        )
    else:
        out.append(Para(t("report.goals.none", lang)))

    out.append(Heading(2, t("report.activities", lang)))
    if rm.activities:
        out.append(
            Table(
                tuple(t(f"report.col.{c}", lang) for c in ("goal", "activity", "lead", "start", "end", "status")),
                tuple(
                    (
                        rm.goal_title(a.goal_id),
                        a.title,
                        a.lead.name if a.lead else "",
                        _date(a.start),
                        _date(a.end),
                        activity_label(a.status, lang),
                    )
                    for a in rm.activities
                ),
                (3.8, 4.5, 3, 2.1, 2.1, 2),
            )
        )
        out.append(Image(f"gantt:{rm.id}", t("report.alt.gantt", lang, roadmap=rm.title)))
    else:
        out.append(Para(t("report.activities.none", lang)))
    if rm.milestones:
        out.append(Para("", label=t("report.milestones", lang)))
        out.append(Bullets(tuple(f"{_date(m.date)}  {m.title}" for m in sorted(rm.milestones, key=lambda m: m.date))))

    out.append(Heading(2, t("report.kpis", lang)))
    if rm.kpis:
        out.append(
            Table(
                tuple(t(f"report.col.{c}", lang) for c in ("kpi", "unit", "baseline", "latest", "target", "status")),
                tuple(
                    (
                        k.name + (f" ({k.eu_code})" if k.eu_code else ""),
                        k.unit,
                        f"{charts.number(k.baseline_value, lang, 2)} ({_date(k.baseline_date)})",
                        _value(latest(k, today), "", lang),
                        f"{charts.number(k.target_value, lang, 2)} ({_date(k.target_date)})",
                        kpi_label(s, lang),
                    )
                    for k, s in zip(rm.kpis, statuses, strict=True)
                ),
                (4.5, 1.8, 2.8, 1.8, 2.8, 2.2),
            )
        )
        out.append(Image(f"kpis:{rm.id}", t("report.alt.kpis", lang, roadmap=rm.title)))
    else:
        out.append(Para(t("report.kpis.none", lang)))
    return out


def report_blocks(data: ReportData, lang: str, *, today: dt.date | None = None) -> list[Block]:
    """The follow-up report's outline; the DOCX and the PDF each write exactly these blocks."""
    day = _today(today)
    summ = summary(data, lang, day)
    rms = data.roadmaps.roadmaps
    out: list[Block] = [
        Heading(0, t("report.title", lang, process=data.process_title)),
        Para(t("report.subtitle", lang)),
        Para(long_date(day, lang), label=t("report.date", lang)),
    ]
    if data.financier:
        out.append(Para(data.financier, label=t("report.financier", lang)))
    out += [PageBreak(), Heading(1, t("report.summary", lang))]
    out.append(
        Para(
            t(
                "report.summary.intro",
                lang,
                roadmaps=len(rms),
                goals=sum(len(r.goals) for r in rms),
                activities=sum(len(r.activities) for r in rms),
                kpis=sum(len(r.kpis) for r in rms),
                date=_date(day),
            )
        )
    )
    if rms:
        out.append(Para("", label=t("report.summary.kpis", lang)))
        out.append(
            Table(
                (t("report.col.status", lang), t("report.col.count", lang)),
                tuple((kpi_label(s, lang), str(n)) for s, n in summ.kpis.items()),
                (3, 1),
            )
        )
        out.append(Para("", label=t("report.summary.activities", lang)))
        out.append(
            Table(
                (t("report.col.status", lang), t("report.col.count", lang)),
                tuple((activity_label(s, lang), str(n)) for s, n in summ.activities.items()),
                (3, 1),
            )
        )
        out.append(Para("", label=t("report.summary.attention", lang)))
        if summ.attention:
            more = (t("report.summary.more", lang, n=summ.more),) if summ.more else ()
            out.append(Bullets(summ.attention + more))
        else:
            out.append(Para(t("report.summary.all_on_track", lang)))
    else:
        out.append(Para(t("report.roadmaps.none", lang)))
    out += _priorities_blocks(data, lang)
    for rm in rms:
        out += _roadmap_blocks(rm, summ.statuses[rm.id], lang, day)
    return out


# ---------------------------------------------------------------- charts, rendered once


def gantt_parts(rm: RoadmapView, lang: str, today: dt.date, *, width: int, max_h: int) -> list[go.Figure]:
    """The Gantt as one figure, or, when it would be taller than `max_h` at `width`, as several: whole goals
    each (in order), as many as fit; a roadmap's milestones without a goal go with the first part."""
    goal_ids = {g.id for g in rm.goals}
    leads = roadmap_charts.lead_order(rm.activities)  # an actor keeps its colour on every part

    def part(goals: list[Any], first: bool) -> go.Figure:
        ids = {g.id for g in goals}
        ms = tuple(m for m in rm.milestones if m.goal_id in ids or (first and m.goal_id not in goal_ids))
        sub = dataclasses.replace(rm, goals=tuple(goals), milestones=ms)
        return roadmap_charts.untitled(roadmap_charts.gantt_figure(sub, lang, today=today, width=width, leads=leads))

    goals = list(rm.goals)
    made: dict[tuple[int, int], go.Figure] = {}

    def group(i: int, j: int) -> go.Figure:  # goals i..j-1, drawn once
        if (i, j) not in made:
            made[i, j] = part(goals[i:j], i == 0)
        return made[i, j]

    # As few parts as whole goals allow (greedy), then the cuts that make the tallest part least tall,
    # so the slides look alike rather than a full one and a near-empty one.
    cuts, i = [0], 0
    while i < len(goals):
        j = i + 1
        while j < len(goals) and group(i, j + 1).layout.height <= max_h:
            j += 1
        cuts.append(j)
        i = j
    n = len(cuts) - 1
    if n > 1 and len(goals) <= BALANCE_GOALS_MAX:
        best = min(
            itertools.combinations(range(1, len(goals)), n - 1),
            key=lambda c: max(group(a, b).layout.height for a, b in itertools.pairwise((0, *c, len(goals)))),
        )
        cuts = [0, *best, len(goals)]
    return [group(a, b) for a, b in itertools.pairwise(cuts)] if goals else [part([], True)]


BALANCE_GOALS_MAX = 10  # up to this many goals the parts are balanced (at most 126 trial figures)


def _kpi_parts(rm: RoadmapView, lang: str, *, width: int, per: int) -> list[go.Figure]:
    """The KPI panels `per` a figure, every panel on the roadmap's one date range and of one size."""
    kpis, span = rm.kpis, roadmap_charts.kpi_range(rm.kpis)
    cols = 2 if len(kpis) > 1 else 1
    return [
        roadmap_charts.untitled(
            roadmap_charts.kpis_figure(
                dataclasses.replace(rm, kpis=kpis[i : i + per]), lang, width=width, x_range=span, cols=cols
            )
        )
        for i in range(0, len(kpis), per)
    ]


def part_keys(images: Mapping[str, bytes], key: str) -> list[str]:
    """A chart's image keys in order: `key`, then `key#2`, `key#3` … for a chart drawn in parts."""
    keys = [key] if key in images else []
    while f"{key}#{len(keys) + 1}" in images:
        keys.append(f"{key}#{len(keys) + 1}")
    return keys


def _figures(
    data: ReportData, lang: str, today: dt.date, *, deck: bool
) -> dict[str, tuple[int, Callable[[], list[go.Figure]]]]:
    """key -> (layout width, factory of the figure's parts), for the images a document shows, in order.
    The report's charts are laid out for a page's column, the deck's ("deck:" keys) for a slide."""
    figs: dict[str, tuple[int, Callable[[], list[go.Figure]]]] = {}
    rw, dw = REPORT_WIDTH_PX, DECK_WIDTH_PX
    if deck:
        for ws in data.workshops:
            if ws.ranking:
                figs[f"ranking:{ws.workshop_id}"] = (
                    DECK_RANKING_WIDTH_PX,
                    lambda ws=ws: [charts.ranking_figure(ws.result_dict(), lang, height=DECK_RANKING_HEIGHT_PX)],
                )
    for rm in data.roadmaps.roadmaps:
        if rm.activities:
            figs[f"gantt:{rm.id}"] = (rw, lambda rm=rm: gantt_parts(rm, lang, today, width=rw, max_h=REPORT_MAX_H_PX))
            if deck:
                figs[f"deck:gantt:{rm.id}"] = (
                    dw, lambda rm=rm: gantt_parts(rm, lang, today, width=dw, max_h=DECK_MAX_H_PX)
                )  # fmt: skip
        if rm.kpis:
            figs[f"kpis:{rm.id}"] = (rw, lambda rm=rm: _kpi_parts(rm, lang, width=rw, per=len(rm.kpis)))
            if deck:
                figs[f"deck:kpis:{rm.id}"] = (dw, lambda rm=rm: _kpi_parts(rm, lang, width=dw, per=DECK_KPIS_PER_SLIDE))
    if deck and data.roadmaps.roadmaps:
        figs["portfolio"] = (
            dw, lambda: [roadmap_charts.untitled(roadmap_charts.portfolio_figure(data.roadmaps, lang, today, width=dw))]
        )  # fmt: skip
    return figs


def _step(progress: Progress | None, share: float, message: str) -> None:
    if progress is not None:
        progress(min(1.0, max(0.0, share)), message)


def report_images(
    data: ReportData,
    lang: str,
    *,
    today: dt.date | None = None,
    deck: bool = False,
    have: Mapping[str, bytes] | None = None,
    progress: Progress | None = None,
    share: float = 1.0,
) -> dict[str, bytes]:
    """PNG per chart key: the report's charts, with deck=True also the ranking and portfolio charts.
    Charts already in `have` are not rendered again; progress runs from 0 to `share`.

    A chart the server cannot draw (no Chromium, a crashed browser) is left out and logged, so the
    documents still come out, with a note where the chart would be."""
    images = dict(have or {})
    todo = [(k, w, f) for k, (w, f) in _figures(data, lang, _today(today), deck=deck).items() if k not in images]
    for i, (key, width, make) in enumerate(todo):
        _step(progress, share * i / len(todo), t("report.progress.chart", lang, n=i + 1, total=len(todo)))
        try:
            for n, fig in enumerate(make(), start=1):
                # The heading or slide title above names the chart (the roadmap charts are already untitled).
                fig.update_layout(title_text="")
                png = imaging.export_figure(fig, "png", width=width, scale=IMAGE_SCALE)
                images[key if n == 1 else f"{key}#{n}"] = png
        except EdpError as e:
            _log.warning("chart %s left out of the report: %s", key, e)
            if e.key == "export.chromium_missing":
                break
    return images


def png_size(png: bytes) -> tuple[int, int]:
    """(width, height) in pixels from a PNG's header."""
    if png[:8] != b"\x89PNG\r\n\x1a\n":
        raise ValueError("not a PNG")
    return struct.unpack(">II", png[16:24])


def fit(png: bytes, max_w: float, max_h: float) -> tuple[float, float]:
    """The largest (w, h) within max_w x max_h that keeps the image's aspect ratio."""
    w, h = png_size(png)
    scale = min(max_w / w, max_h / h)
    return w * scale, h * scale


# ---------------------------------------------------------------- DOCX


def _docx_lang(doc: Any, lang: str) -> None:  # noqa: ANN401 - a docx Document
    rpr = doc.styles["Normal"].element.get_or_add_rPr()
    for old in rpr.findall(qn("w:lang")):
        rpr.remove(old)
    el = OxmlElement("w:lang")
    el.set(qn("w:val"), "sv-SE" if lang == "sv" else "en-GB")
    rpr.append(el)


def _docx_page_number(section: Any) -> None:  # noqa: ANN401 - a docx Section
    p = section.footer.paragraphs[0]
    p.alignment = WD_ALIGN_PARAGRAPH.CENTER
    fld = OxmlElement("w:fldSimple")
    fld.set(qn("w:instr"), "PAGE")
    run = OxmlElement("w:r")
    text = OxmlElement("w:t")
    text.text = "1"
    run.append(text)
    fld.append(run)
    p._p.append(fld)


def _docx_table(doc: Any, block: Table) -> None:  # noqa: ANN401 - a docx Document
    table = doc.add_table(rows=1 + len(block.rows), cols=len(block.header))
    table.style = "Table Grid"
    table.autofit = False
    total = sum(block.widths)
    widths = [Cm(16 * w / total) for w in block.widths]
    for c, w in enumerate(widths):  # the grid (LibreOffice) and every cell (Word)
        table.columns[c].width = w
    for r, values in enumerate((block.header, *block.rows)):
        row = table.rows[r]
        for c, value in enumerate(values):
            cell = row.cells[c]
            cell.width = widths[c]
            run = cell.paragraphs[0].add_run(value)
            run.font.size = Pt(9)
            run.bold = r == 0
    header = table.rows[0]._tr.get_or_add_trPr()  # repeat the header row on every page
    el = OxmlElement("w:tblHeader")
    el.set(qn("w:val"), "true")
    header.append(el)
    doc.add_paragraph()


def _part_suffix(part: int, parts: int) -> str:
    """ " (1/2)" after the title of a chart drawn in parts; nothing for a whole chart."""
    return f" ({part}/{parts})" if parts > 1 else ""


def caption(block: Image, number: int, part: int, parts: int, lang: str) -> str:
    """ "Figur 2. Tidsplan (Gantt-schema) för …", with "(1/2)" on a chart drawn in parts."""
    return t("report.caption", lang, n=number, text=block.alt + _part_suffix(part, parts))


def _docx_caption(doc: Any, text: str) -> None:  # noqa: ANN401 - a docx Document
    try:
        doc.add_paragraph(text, style="Caption")
    except KeyError:  # a template without the built-in Caption style
        doc.add_paragraph().add_run(text).italic = True


def _docx_document(data: ReportData, lang: str) -> Any:  # noqa: ANN401 - a docx Document
    """An empty A4 Word document with 2.5 cm margins, page numbers, and the report's language and title."""
    doc = Document()
    section = doc.sections[0]
    section.page_width, section.page_height = Cm(21), Cm(29.7)
    for side in ("left_margin", "right_margin", "top_margin", "bottom_margin"):
        setattr(section, side, Cm(2.5))
    _docx_lang(doc, lang)
    _docx_page_number(section)
    doc.core_properties.title = t("report.title", lang, process=data.process_title)
    doc.core_properties.language = "sv-SE" if lang == "sv" else "en-GB"
    return doc


def _docx_para(doc: Any, block: Para) -> None:  # noqa: ANN401 - a docx Document
    p = doc.add_paragraph()
    if block.label:
        p.add_run(f"{block.label}: " if block.text else block.label).bold = True
    p.add_run(block.text)


def _docx_image(doc: Any, block: Image, imgs: Mapping[str, bytes], figure_no: int, lang: str) -> int:  # noqa: ANN401
    """The chart's parts, each with its caption as figure `figure_no` + 1, or a note where the chart could not
    be drawn; returns the number of the last figure written."""
    keys = part_keys(imgs, block.key)
    if not keys:
        doc.add_paragraph(t("report.chart_missing", lang)).runs[0].italic = True
        return figure_no
    figure_no += 1
    for i, key in enumerate(keys, start=1):
        w, h = fit(imgs[key], 16.0, 22.0)
        doc.add_picture(io.BytesIO(imgs[key]), width=Cm(w), height=Cm(h))
        doc.paragraphs[-1].paragraph_format.keep_with_next = True  # the caption stays with its chart
        doc.inline_shapes[-1]._inline.docPr.set("descr", block.alt)
        _docx_caption(doc, caption(block, figure_no, i, len(keys), lang))
    return figure_no


def _docx_block(doc: Any, block: Block, imgs: Mapping[str, bytes], figure_no: int, lang: str) -> int:  # noqa: ANN401
    """Writes one block of the outline; returns the number of the last figure written."""
    if isinstance(block, Heading):
        doc.add_heading(block.text, block.level)  # Word's heading styles keep with the next paragraph
    elif isinstance(block, Para):
        _docx_para(doc, block)
    elif isinstance(block, Bullets):
        for item in block.items:
            doc.add_paragraph(item, style="List Bullet")
    elif isinstance(block, Table):
        _docx_table(doc, block)
    elif isinstance(block, Image):
        return _docx_image(doc, block, imgs, figure_no, lang)
    elif isinstance(block, PageBreak):
        doc.add_page_break()
    return figure_no


def followup_docx(
    data: ReportData,
    lang: str,
    *,
    today: dt.date | None = None,
    images: Mapping[str, bytes] | None = None,
    progress: Progress | None = None,
) -> bytes:
    """The follow-up report as Word: built-in Title/Heading styles, tables, the Gantt and KPI charts."""

    imgs = report_images(data, lang, today=today, have=images, progress=progress, share=CHART_SHARE)
    _step(progress, CHART_SHARE, t("report.progress.writing", lang))
    doc = _docx_document(data, lang)
    figure_no = 0
    for block in report_blocks(data, lang, today=today):
        figure_no = _docx_block(doc, block, imgs, figure_no, lang)
    out = io.BytesIO()
    doc.save(out)
    _step(progress, 1.0, t("report.progress.done", lang))
    return out.getvalue()


# ---------------------------------------------------------------- PDF

_FALLBACK = str.maketrans({"–": "-", "—": "-", "•": "-", "…": "...", "’": "'", "“": '"', "”": '"', "≥": ">="})
_PDF_HEADING_SIZES = {0: 22, 1: 16, 2: 12.5}  # pt by heading level; a deeper one is 11


class _ReportPDF(FPDF):
    """The report's A4 pages in `typeface` (cards.pdf_font): the title in a running header from the second
    page on, "page n of N" in the footer. `charts` are the report's images."""

    def __init__(self, title: str, lang: str, images: Mapping[str, bytes]) -> None:
        super().__init__(format="A4", unit="mm")
        self.report_title, self.report_lang, self.charts = title, lang, images
        self.typeface = cards.pdf_font(self)
        self.set_margins(20, 18, 20)
        self.set_auto_page_break(True, margin=20)
        self.set_title(self.printable(title))
        self.set_lang("sv-SE" if lang == "sv" else "en-GB")
        self.set_creator("edp-workshop")

    @property
    def max_img_h(self) -> float:
        return self.h - self.t_margin - 40  # room for the running header and the caption

    def printable(self, text: str) -> str:
        """The text as the typeface can print it."""
        return text if self.typeface == "DejaVu" else cards.latin1(text.translate(_FALLBACK), self.typeface)

    def header(self) -> None:
        if self.page_no() > 1:
            self.set_font(self.typeface, "", 8)
            self.set_text_color(110, 110, 110)
            self.cell(0, 5, self.printable(self.report_title), align="R", new_x="LMARGIN", new_y="NEXT")
            self.set_text_color(0, 0, 0)
            self.ln(3)

    def footer(self) -> None:
        self.set_y(-14)
        self.set_font(self.typeface, "", 8)
        self.set_text_color(110, 110, 110)
        page = t("report.page", self.report_lang, page=self.page_no(), pages="{nb}")
        self.cell(0, 8, self.printable(page), align="C")
        self.set_text_color(0, 0, 0)


def _pdf_needs(pdf: _ReportPDF, block: Block | None) -> float:
    """Height (mm) the start of a block needs on the page: a heading or label never stands alone."""
    if isinstance(block, Image):
        keys = part_keys(pdf.charts, block.key)
        return fit(pdf.charts[keys[0]], pdf.epw, pdf.max_img_h)[1] + 10 if keys else 12
    return 25 if isinstance(block, Table) else 14


def _pdf_heading(pdf: _ReportPDF, block: Heading, after: Block | None) -> None:
    if block.level == 0:
        pdf.ln(60)
    elif pdf.get_y() + 14 + min(_pdf_needs(pdf, after), pdf.max_img_h) > pdf.page_break_trigger:
        pdf.add_page()  # a heading never stands alone at the foot of a page
    else:
        pdf.ln(4 if block.level == 1 else 2)
    if block.level >= 1:
        pdf.start_section(pdf.printable(block.text), level=block.level - 1, strict=False)
    size = _PDF_HEADING_SIZES.get(block.level, 11)
    pdf.set_font(pdf.typeface, "B", size)
    pdf.multi_cell(0, size * 0.5, pdf.printable(block.text), align="L", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(2)


def _pdf_para(pdf: _ReportPDF, block: Para, after: Block | None) -> None:
    if block.label and not block.text and pdf.get_y() + 8 + min(_pdf_needs(pdf, after), 40) > pdf.page_break_trigger:
        pdf.add_page()  # a label above a list, like a heading, goes with what it names
    if block.label:
        pdf.set_font(pdf.typeface, "B", 10)
        pdf.write(5, pdf.printable(f"{block.label}: " if block.text else block.label))
    pdf.set_font(pdf.typeface, "", 10)
    pdf.write(5, pdf.printable(block.text))
    pdf.ln(7)


def _pdf_bullets(pdf: _ReportPDF, block: Bullets) -> None:
    pdf.set_font(pdf.typeface, "", 10)
    for item in block.items:
        pdf.set_x(pdf.l_margin + 3)
        pdf.multi_cell(pdf.epw - 3, 5, pdf.printable(f"•  {item}"), align="L", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(2)


def _pdf_table(pdf: _ReportPDF, block: Table) -> None:
    pdf.set_font(pdf.typeface, "", 8.5)
    with pdf.table(
        col_widths=block.widths,
        text_align="LEFT",
        width=pdf.epw,
        line_height=4.6,
        headings_style=FontFace(emphasis="BOLD", fill_color=(230, 236, 242)),
        padding=1.2,
    ) as table:
        for values in (block.header, *block.rows):
            row = table.row()
            for value in values:
                row.cell(pdf.printable(value))
    pdf.ln(4)


def _pdf_image(pdf: _ReportPDF, block: Image, figure_no: int) -> int:
    """The chart's parts, each with its caption as figure `figure_no` + 1, or a note where the chart could not
    be drawn; returns the number of the last figure written."""
    keys = part_keys(pdf.charts, block.key)
    if not keys:
        pdf.set_font(pdf.typeface, "", 9)
        pdf.multi_cell(
            0, 5, pdf.printable(t("report.chart_missing", pdf.report_lang)), align="L", new_x="LMARGIN", new_y="NEXT"
        )
        pdf.ln(2)
        return figure_no
    figure_no += 1
    for i, key in enumerate(keys, start=1):
        w, h = fit(pdf.charts[key], pdf.epw, pdf.max_img_h)
        if pdf.get_y() + h + 10 > pdf.page_break_trigger:
            pdf.add_page()
        pdf.image(
            io.BytesIO(pdf.charts[key]), x=pdf.l_margin + (pdf.epw - w) / 2, w=w, h=h, alt_text=pdf.printable(block.alt)
        )
        pdf.ln(1.5)
        pdf.set_font(pdf.typeface, "I" if pdf.typeface != "DejaVu" else "", 9)
        text = caption(block, figure_no, i, len(keys), pdf.report_lang)
        pdf.multi_cell(0, 4.5, pdf.printable(text), align="L", new_x="LMARGIN", new_y="NEXT")
        pdf.ln(4)
    return figure_no


def _pdf_block(pdf: _ReportPDF, block: Block, after: Block | None, figure_no: int) -> int:
    """Writes one block of the outline (`after` is the next one); returns the number of the last figure written."""
    if isinstance(block, Heading):
        _pdf_heading(pdf, block, after)
    elif isinstance(block, Para):
        _pdf_para(pdf, block, after)
    elif isinstance(block, Bullets):
        _pdf_bullets(pdf, block)
    elif isinstance(block, Table):
        _pdf_table(pdf, block)
    elif isinstance(block, Image):
        return _pdf_image(pdf, block, figure_no)
    elif isinstance(block, PageBreak):
        pdf.add_page()
    return figure_no


def followup_pdf(
    data: ReportData,
    lang: str,
    *,
    today: dt.date | None = None,
    images: Mapping[str, bytes] | None = None,
    progress: Progress | None = None,
) -> bytes:
    """The follow-up report as an A4 PDF: the same blocks as the DOCX, page numbers in the footer."""

    imgs = report_images(data, lang, today=today, have=images, progress=progress, share=CHART_SHARE)
    _step(progress, CHART_SHARE, t("report.progress.writing", lang))
    pdf = _ReportPDF(t("report.title", lang, process=data.process_title), lang, imgs)
    pdf.add_page()
    blocks = report_blocks(data, lang, today=today)
    figure_no = 0
    for at, block in enumerate(blocks):
        figure_no = _pdf_block(pdf, block, blocks[at + 1] if at + 1 < len(blocks) else None, figure_no)
    out = bytes(pdf.output())
    _step(progress, 1.0, t("report.progress.done", lang))
    return out


# ---------------------------------------------------------------- PPTX (steering group)


def _pptx_text(frame: Any, text: str, size: int, *, bold: bool = False) -> None:  # noqa: ANN401
    frame.text = text
    for p in frame.paragraphs:
        for r in p.runs:
            r.font.size = PptPt(size)
            r.font.bold = bold


def _pptx_table(
    slide: Any,
    header: Sequence[str],
    rows: Sequence[Sequence[str]],
    box: tuple[int, int, int, int],
    widths: Sequence[float],
    size: int = 12,
) -> None:  # noqa: ANN401
    left, top, width, height = box
    row_h = PptPt(size * 2.1)
    shape = slide.shapes.add_table(1 + len(rows), len(header), left, top, width, min(height, row_h * (1 + len(rows))))
    table = shape.table
    total = sum(widths)
    for c, w in enumerate(widths):
        table.columns[c].width = Emu(int(width * w / total))
    for r, values in enumerate((header, *rows)):
        table.rows[r].height = row_h
        for c, value in enumerate(values):
            _pptx_text(table.cell(r, c).text_frame, value, size, bold=r == 0)


def _pptx_picture(slide: Any, png: bytes, box: tuple[int, int, int, int], alt: str) -> None:  # noqa: ANN401
    left, top, width, height = box
    w, h = fit(png, width, height)
    pic = slide.shapes.add_picture(io.BytesIO(png), int(left + (width - w) / 2), top, int(w), int(h))
    pic._element.nvPicPr.cNvPr.set("descr", alt)


_DECK_MARGIN = Inches(0.5)


def _place(shape: Any, box: tuple[int, int, int, int]) -> None:  # noqa: ANN401
    # The default layouts are 4:3; all four values are set, or the rest would become 0.
    shape.left, shape.top, shape.width, shape.height = box


def _deck_body(prs: Any) -> tuple[int, int, int, int]:  # noqa: ANN401 - a pptx Presentation
    """The box under a slide's title."""
    top = Inches(1.35)
    return (_DECK_MARGIN, top, prs.slide_width - 2 * _DECK_MARGIN, prs.slide_height - top - Inches(0.35))


def _deck_slide(prs: Any, title: str) -> Any:  # noqa: ANN401
    """A new title-only slide; a long title in a smaller size."""
    s = prs.slides.add_slide(prs.slide_layouts[5])  # title only
    _place(s.shapes.title, (_DECK_MARGIN, Inches(0.3), prs.slide_width - 2 * _DECK_MARGIN, Inches(0.95)))
    _pptx_text(s.shapes.title.text_frame, title, 28 if len(title) <= 55 else 22, bold=True)
    return s


def _deck_title_slide(prs: Any, data: ReportData, lang: str, day: dt.date) -> None:  # noqa: ANN401
    first = prs.slides.add_slide(prs.slide_layouts[0])
    width = prs.slide_width - 2 * _DECK_MARGIN
    _place(first.shapes.title, (_DECK_MARGIN, Inches(2.0), width, Inches(1.8)))
    _pptx_text(first.shapes.title.text_frame, t("report.deck.title", lang, process=data.process_title), 40, bold=True)
    _place(first.placeholders[1], (_DECK_MARGIN, Inches(4.0), width, Inches(1.0)))
    _pptx_text(first.placeholders[1].text_frame, t("report.deck.subtitle", lang, date=long_date(day, lang)), 22)


def _deck_summary_slide(prs: Any, summ: Summary, lang: str) -> None:  # noqa: ANN401
    """The KPIs and the activities counted by status side by side, and what needs attention under them."""
    s = _deck_slide(prs, t("report.summary", lang))
    left, top, width, height = _deck_body(prs)
    half = (width - _DECK_MARGIN) // 2
    _pptx_table(
        s,
        (t("report.col.kpi", lang), t("report.col.count", lang)),
        [(kpi_label(k, lang), str(n)) for k, n in summ.kpis.items()],
        (left, top, half, height),
        (3, 1),
        14,
    )
    _pptx_table(
        s,
        (t("report.col.activity", lang), t("report.col.count", lang)),
        [(activity_label(k, lang), str(n)) for k, n in summ.activities.items()],
        (left + half + _DECK_MARGIN, top, half, height),
        (3, 1),
        14,
    )
    if summ.attention:
        box = s.shapes.add_textbox(left, top + Inches(3.1), width, Inches(2))
        frame = box.text_frame
        frame.word_wrap = True
        lines = [t("report.summary.attention", lang), *summ.attention[:5]]
        if len(summ.attention) > 5 or summ.more:
            lines.append(t("report.summary.more", lang, n=len(summ.attention) - 5 + summ.more))
        _pptx_text(frame, "\n".join(lines), 13)
        frame.paragraphs[0].runs[0].font.bold = True


def _deck_results_slide(prs: Any, ws: WorkshopResults, imgs: Mapping[str, bytes], lang: str) -> None:  # noqa: ANN401
    """A workshop's ranking chart beside its priorities (the table alone when the chart is missing)."""
    s = _deck_slide(prs, t("report.deck.results", lang, workshop=workshop_heading(ws)))
    left, top, width, height = _deck_body(prs)
    png = imgs.get(f"ranking:{ws.workshop_id}")
    table_w = width if png is None else int(width * 0.36)
    if png is not None:
        _pptx_picture(s, png, (left, top, width - table_w - Inches(0.2), height), ranking_caption(ws, lang))
    _pptx_table(
        s,
        (t("report.col.rank", lang), t("report.col.priority", lang)),
        [(str(p.rank), p.theme_title) for p in ws.priorities],
        (left + width - table_w, top, table_w, height),
        (1, 5),
        14,
    )


def _deck_gantt_slides(prs: Any, rm: RoadmapView, imgs: Mapping[str, bytes], lang: str) -> None:  # noqa: ANN401
    """The roadmap's Gantt, a tall one over several slides (whole goals each), or a note where there is none."""
    keys = part_keys(imgs, f"deck:gantt:{rm.id}")
    for i, key in enumerate(keys, start=1):
        s = _deck_slide(prs, rm.title + _part_suffix(i, len(keys)))
        _pptx_picture(s, imgs[key], _deck_body(prs), t("report.alt.gantt", lang, roadmap=rm.title))
    if not keys:
        s = _deck_slide(prs, rm.title)
        box = s.shapes.add_textbox(*_deck_body(prs))
        _pptx_text(box.text_frame, t("report.chart_missing" if rm.activities else "report.activities.none", lang), 18)


def _deck_kpi_slides(
    prs: Any,  # noqa: ANN401
    rm: RoadmapView,
    statuses: tuple[str, ...],
    imgs: Mapping[str, bytes],
    lang: str,
    day: dt.date,
) -> None:
    """The roadmap's KPI panels slide-wide, two a slide, then its KPIs' latest values, targets and statuses."""
    keys = part_keys(imgs, f"deck:kpis:{rm.id}")
    for i, key in enumerate(keys, start=1):
        s = _deck_slide(prs, t("report.deck.kpis", lang, roadmap=rm.title) + _part_suffix(i, len(keys)))
        _pptx_picture(s, imgs[key], _deck_body(prs), t("report.alt.kpis", lang, roadmap=rm.title))
    s = _deck_slide(prs, t("report.deck.kpi_table", lang, roadmap=rm.title))
    _pptx_table(
        s,
        (t("report.col.kpi", lang), t("report.col.latest_target", lang), t("report.col.status", lang)),
        [
            (
                k.name,
                f"{_value(latest(k, day), '', lang)} / {charts.number(k.target_value, lang, 2)} {k.unit}".strip(),
                kpi_label(st, lang),
            )
            for k, st in zip(rm.kpis, statuses, strict=True)
        ],
        _deck_body(prs),
        (5, 2.6, 2.2),
        14,
    )


def steering_deck(
    data: ReportData,
    lang: str,
    *,
    today: dt.date | None = None,
    images: Mapping[str, bytes] | None = None,
    progress: Progress | None = None,
) -> bytes:
    """A 16:9 deck for the steering group: title, status, results per workshop, Gantt and KPIs per roadmap, portfolio."""
    day = _today(today)
    imgs = report_images(data, lang, today=day, deck=True, have=images, progress=progress, share=CHART_SHARE)
    _step(progress, CHART_SHARE, t("report.progress.writing", lang))
    summ = summary(data, lang, day)
    prs = Presentation()
    prs.slide_width, prs.slide_height = Emu(12192000), Emu(6858000)
    prs.core_properties.title = t("report.deck.title", lang, process=data.process_title)
    prs.core_properties.language = "sv-SE" if lang == "sv" else "en-GB"
    _deck_title_slide(prs, data, lang, day)
    rms = data.roadmaps.roadmaps
    if rms:
        _deck_summary_slide(prs, summ, lang)
    for ws in data.workshops:
        _deck_results_slide(prs, ws, imgs, lang)
    for rm in rms:
        _deck_gantt_slides(prs, rm, imgs, lang)
        if rm.kpis:
            _deck_kpi_slides(prs, rm, summ.statuses[rm.id], imgs, lang, day)
    png = imgs.get("portfolio")
    if png is not None:
        s = _deck_slide(prs, t("report.deck.portfolio", lang))
        _pptx_picture(s, png, _deck_body(prs), t("report.deck.portfolio", lang))
    out = io.BytesIO()
    prs.save(out)
    _step(progress, 1.0, t("report.progress.done", lang))
    return out.getvalue()
