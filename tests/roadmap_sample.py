"""Roadmap views built in memory (no database), for chart, export and report tests.

`sample_roadmap()` is small and readable; `sample_roadmap(activities=500)` is a big one for
legibility checks. Titles include text a user might type that must stay inert: `<b>`, `&`, `=`.
"""

from __future__ import annotations

import datetime as dt

from edp.roadmap.views import (
    ActivityView,
    ActorRef,
    GoalView,
    KpiView,
    MeasurementView,
    MilestoneView,
    PriorityRef,
    ProcessRoadmaps,
    RoadmapView,
)

ACTORS = (
    ActorRef(1, "Region Jämtland Härjedalen", "public"),
    ActorRef(2, "Mittuniversitetet", "academia"),
    ActorRef(3, "Torsta AB", "business"),
    ActorRef(4, "Eldrimner", "public"),
    ActorRef(5, "LRF Jämtland", "civil"),
)
STATUSES = ("planned", "ongoing", "done", "delayed", "cancelled")
START = dt.date(2026, 1, 1)
END = dt.date(2028, 12, 31)


def sample_roadmap(
    activities: int = 6, *, roadmap_id: int = 1, title: str = "Hållbar livsmedelsproduktion"
) -> RoadmapView:
    goals_n = 3 if activities < 30 else max(3, activities // 25)
    per_goal: list[list[ActivityView]] = [[] for _ in range(goals_n)]
    for i in range(activities):
        g = i % goals_n
        start = START + dt.timedelta(days=(i * 37) % 800)
        long = i == 1  # one long title, to check shortening
        name = (
            "Förstudie om <b>förädling</b> & lokala livsmedelskedjor i hela Jämtland och Härjedalen, med fokus på småskaliga producenter"
            if long
            else f"Aktivitet {i + 1}"
        )
        per_goal[g].append(
            ActivityView(
                id=100 + i,
                goal_id=10 + g,
                title=name,
                description=f"Beskrivning {i + 1}",
                start=start,
                end=start + dt.timedelta(days=60 + (i * 13) % 300),
                status=STATUSES[i % len(STATUSES)],
                lead=ACTORS[i % len(ACTORS)],
                partners=(ACTORS[(i + 1) % len(ACTORS)],),
                budget_sek=None if i % 3 else 250_000 + i,
                funding_source="ERUF mål 1.4" if i % 2 else "=SUM(A1)",
                position=i,
            )  # fmt: skip
        )
    goals = tuple(
        GoalView(10 + g, f"Mål {g + 1}: {'Ökad förädling' if g == 0 else 'Kompetens'}", "", g, tuple(per_goal[g]))
        for g in range(goals_n)
    )
    milestones = (
        MilestoneView(200, None, "Halvtidsutvärdering", dt.date(2027, 6, 30)),
        MilestoneView(201, 10, "Pilot klar", dt.date(2026, 11, 15)),
    )
    kpis = (
        KpiView(
            300,
            None,
            "Företag som får stöd",
            "antal",
            "output",
            0.0,
            dt.date(2025, 12, 31),
            40.0,
            dt.date(2028, 12, 31),
            ACTORS[0],
            "Tillväxtverket",
            "RCO01",
            0,
            (MeasurementView(400, dt.date(2026, 12, 31), 15.0, "Första året", None),),
        ),  # fmt: skip
        KpiView(
            301,
            10,
            "Deltagare i EDP",
            "antal",
            "output",
            10.0,
            dt.date(2025, 1, 1),
            110.0,
            dt.date(2027, 1, 1),
            ACTORS[1],
            "Regionen",
            "RCO16",
            1,
            (MeasurementView(401, dt.date(2026, 1, 1), 20.0, "", "Mittuniversitetet"),),
        ),  # fmt: skip
        KpiView(
            302,
            None,
            "Förädlingsvärde",
            "MSEK",
            "result",
            120.0,
            dt.date(2025, 1, 1),
            150.0,
            dt.date(2028, 1, 1),
            ACTORS[2],
            "SCB",
            "",
            2,
            (),
        ),  # fmt: skip
    )
    priority = PriorityRef(
        7, 1, "Livsmedel & förädling", "Stark bas i regionen", 3, "EDP-workshop 2026", dt.date(2026, 3, 12), (5,)
    )
    return RoadmapView(
        id=roadmap_id, process_id=1, process_title="S3 Jämtland Härjedalen", title=title,
        vision="Mer mat förädlas i länet.", period_start=START, period_end=END, owner=ACTORS[0], status="active",
        version=1, followed_up_at=None, priority=priority, goals=goals, milestones=milestones, kpis=kpis,
    )  # fmt: skip


def sample_process() -> ProcessRoadmaps:
    return ProcessRoadmaps(
        1,
        "S3 Jämtland Härjedalen",
        (sample_roadmap(), sample_roadmap(4, roadmap_id=2, title="Besöksnäring & kulturarv")),
    )
