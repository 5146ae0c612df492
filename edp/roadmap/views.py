"""Read models of roadmaps: frozen dataclasses that charts, exports, reports and pages consume.

Everything here is loaded in one read transaction and holds plain values (no ORM objects),
so a view can be cached, passed between threads, or rendered after the session is gone.
Text in these views is what users typed: show it as plain text, escape it in charts.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session, selectinload

from edp.access import Credential, acting, require_read
from edp.db import read
from edp.errors import NotFound
from edp.models import (
    Activity,
    Actor,
    Goal,
    Kpi,
    Priority,
    Process,
    Roadmap,
    Round,
    Theme,
    Workshop,
)


@dataclass(frozen=True)
class ActorRef:
    id: int
    name: str
    helix: str


@dataclass(frozen=True)
class ActivityView:
    id: int
    goal_id: int
    title: str
    description: str
    start: dt.date
    end: dt.date
    status: str  # one of models.ACTIVITY_STATUSES
    lead: ActorRef
    partners: tuple[ActorRef, ...]
    budget_sek: int | None
    funding_source: str
    position: int


@dataclass(frozen=True)
class GoalView:
    id: int
    title: str
    description: str
    position: int
    activities: tuple[ActivityView, ...]


@dataclass(frozen=True)
class MilestoneView:
    id: int
    goal_id: int | None
    title: str
    date: dt.date


@dataclass(frozen=True)
class MeasurementView:
    id: int
    date: dt.date
    value: float
    note: str
    recorded_by: str | None  # the lead actor's name when recorded through their link, else None (the leader)


@dataclass(frozen=True)
class KpiView:
    id: int
    goal_id: int | None
    name: str
    unit: str
    kind: str  # "output" | "result"
    baseline_value: float
    baseline_date: dt.date
    target_value: float
    target_date: dt.date
    lead: ActorRef
    source: str
    eu_code: str
    position: int
    measurements: tuple[MeasurementView, ...]


@dataclass(frozen=True)
class PriorityRef:
    """Where a roadmap came from: the priority and the workshop result that chose it."""

    id: int
    rank: int
    title: str
    rationale: str
    workshop_id: int
    workshop_title: str
    workshop_date: dt.date | None
    round_ids: tuple[int, ...]  # the workshop's closed rounds, for the results that chose it


@dataclass(frozen=True)
class RoadmapView:
    id: int
    process_id: int
    process_title: str
    title: str
    vision: str
    period_start: dt.date
    period_end: dt.date
    owner: ActorRef | None
    status: str  # one of models.ROADMAP_STATUSES
    version: int
    followed_up_at: dt.datetime | None
    priority: PriorityRef | None
    goals: tuple[GoalView, ...]
    milestones: tuple[MilestoneView, ...]
    kpis: tuple[KpiView, ...]

    @property
    def activities(self) -> tuple[ActivityView, ...]:
        return tuple(a for g in self.goals for a in g.activities)

    def goal_title(self, goal_id: int | None) -> str:
        return next((g.title for g in self.goals if g.id == goal_id), "")


@dataclass(frozen=True)
class RoadmapSummary:
    id: int
    title: str
    status: str
    period_start: dt.date
    period_end: dt.date
    owner: str | None
    priority_title: str | None
    goals: int
    activities: int
    kpis: int


@dataclass(frozen=True)
class ProcessRoadmaps:
    process_id: int
    process_title: str
    roadmaps: tuple[RoadmapView, ...] = field(default_factory=tuple)


def _actor(a: Actor | None) -> ActorRef | None:
    return _ref(a) if a is not None else None


def _ref(a: Actor) -> ActorRef:
    """An actor that must be there: a lead or a partner (the database refuses a missing one)."""
    return ActorRef(a.id, a.name, a.helix)


def _priority(s: Session, priority_id: int | None) -> PriorityRef | None:
    if priority_id is None:
        return None
    p = s.get(Priority, priority_id)
    if p is None:
        return None
    theme = s.get(Theme, p.theme_id)
    ws = s.get(Workshop, p.workshop_id)
    rounds = s.scalars(
        select(Round.id).where(Round.workshop_id == p.workshop_id, Round.phase == "closed").order_by(Round.seq)
    ).all()
    return PriorityRef(
        p.id, p.rank, theme.title if theme else "", p.rationale, p.workshop_id, ws.title if ws else "",
        ws.date if ws else None, tuple(rounds),
    )  # fmt: skip


def _roadmap_view(s: Session, rm: Roadmap, process_title: str) -> RoadmapView:
    goals = tuple(
        GoalView(
            g.id,
            g.title,
            g.description,
            g.position,
            tuple(
                ActivityView(
                    a.id,
                    a.goal_id,
                    a.title,
                    a.description,
                    a.start,
                    a.end,
                    a.status,
                    _ref(a.lead_actor),
                    tuple(_ref(p) for p in a.partners),
                    a.budget_sek,
                    a.funding_source,
                    a.position,
                )  # fmt: skip
                for a in g.activities
            ),
        )
        for g in rm.goals
    )
    # A measurement may name no actor: names.get(None) is None.
    names: dict[int | None, str] = {
        a.id: a.name for a in s.scalars(select(Actor).where(Actor.process_id == rm.process_id))
    }
    kpis = tuple(
        KpiView(
            k.id,
            k.goal_id,
            k.name,
            k.unit,
            k.kind,
            k.baseline_value,
            k.baseline_date,
            k.target_value,
            k.target_date,
            _ref(k.lead_actor),
            k.source,
            k.eu_code,
            k.position,
            tuple(MeasurementView(m.id, m.date, m.value, m.note, names.get(m.actor_id)) for m in k.measurements),
        )  # fmt: skip
        for k in rm.kpis
    )
    milestones = tuple(MilestoneView(m.id, m.goal_id, m.title, m.date) for m in rm.milestones)
    owner = s.get(Actor, rm.owner_actor_id) if rm.owner_actor_id else None
    return RoadmapView(
        rm.id, rm.process_id, process_title, rm.title, rm.vision, rm.period_start, rm.period_end, _actor(owner),
        rm.status, rm.version, rm.followed_up_at, _priority(s, rm.priority_id), goals, milestones, kpis,
    )  # fmt: skip


_LOAD = (
    selectinload(Roadmap.goals).selectinload(Goal.activities).selectinload(Activity.lead_actor),
    selectinload(Roadmap.goals).selectinload(Goal.activities).selectinload(Activity.partners),
    selectinload(Roadmap.milestones),
    selectinload(Roadmap.kpis).selectinload(Kpi.measurements),
    selectinload(Roadmap.kpis).selectinload(Kpi.lead_actor),
)


def roadmap_view(engine: Engine, who: Credential | None, roadmap_id: int) -> RoadmapView:
    """One roadmap in full, for its process's leaders and observers."""
    with read(engine) as s:
        rm = s.scalar(select(Roadmap).where(Roadmap.id == roadmap_id).options(*_LOAD))
        if rm is None:
            raise NotFound("roadmap.not_found", id=roadmap_id)
        require_read(acting(s, who), rm.process_id)
        return _roadmap_view(s, rm, s.get_one(Process, rm.process_id).title)


def process_roadmaps(engine: Engine, who: Credential | None, process_id: int) -> ProcessRoadmaps:
    """Every roadmap of a process, in full (for the portfolio chart, the report and the deck)."""
    with read(engine) as s:
        proc = s.get(Process, process_id) if isinstance(process_id, int) else None
        if proc is None:
            raise NotFound("process.not_found", id=process_id)
        require_read(acting(s, who), proc.id)
        rms = s.scalars(
            select(Roadmap)
            .where(Roadmap.process_id == process_id)
            .order_by(Roadmap.period_start, Roadmap.id)
            .options(*_LOAD)
        ).all()
        return ProcessRoadmaps(proc.id, proc.title, tuple(_roadmap_view(s, rm, proc.title) for rm in rms))


def roadmap_summaries(engine: Engine, who: Credential, process_id: int) -> list[RoadmapSummary]:
    """The process overview: one line per roadmap."""
    return summaries_of(process_roadmaps(engine, who, process_id))


def summaries_of(pr: ProcessRoadmaps) -> list[RoadmapSummary]:
    """One overview line per roadmap of already loaded roadmaps."""
    return [
        RoadmapSummary(
            r.id,
            r.title,
            r.status,
            r.period_start,
            r.period_end,
            r.owner.name if r.owner else None,
            r.priority.title if r.priority else None,
            len(r.goals),
            len(r.activities),
            len(r.kpis),
        )  # fmt: skip
        for r in pr.roadmaps
    ]


@dataclass(frozen=True)
class PriorityChoice:
    id: int
    rank: int
    title: str
    workshop_title: str
    workshop_date: dt.date | None


def priority_choices(engine: Engine, who: Credential | None, process_id: int) -> list[PriorityChoice]:
    """The priorities set at the process's workshops (what a roadmap can be made from), oldest workshop first, by rank."""
    q = (
        select(Priority.id, Priority.rank, Theme.title, Workshop.title, Workshop.date)
        .join(Theme, Theme.id == Priority.theme_id)
        .join(Workshop, Workshop.id == Priority.workshop_id)
        .where(Workshop.process_id == process_id)
        .order_by(Workshop.date, Workshop.id, Priority.rank)
    )
    with read(engine) as s:
        require_read(acting(s, who), process_id)
        return [PriorityChoice(*row) for row in s.execute(q).all()]
