"""Exporting a roadmap to XLSX and importing the file gives back the same roadmap (SQLite and PostgreSQL)."""

from __future__ import annotations

import dataclasses

import pytest

from edp import demo
from edp.access import SYSTEM
from edp.errors import SheetErrors
from edp.roadmap.io import parse_xlsx, to_xlsx
from edp.roadmap.operations import import_roadmap, save_activities
from edp.roadmap.views import RoadmapView, roadmap_view
from tests.conftest import table_counts


def content(rm: RoadmapView) -> dict:
    """Everything a user entered, without database ids and bookkeeping."""
    return {
        "roadmap": (
            rm.title,
            rm.vision,
            rm.period_start,
            rm.period_end,
            rm.owner.name if rm.owner else None,
            rm.status,
        ),
        "goals": [(g.title, g.description) for g in rm.goals],
        "activities": [
            (
                rm.goal_title(a.goal_id),
                a.title,
                a.description,
                a.start,
                a.end,
                a.status,
                a.lead.name,
                [p.name for p in a.partners],
                a.budget_sek,
                a.funding_source,
            )
            for a in rm.activities
        ],  # fmt: skip
        "milestones": [(rm.goal_title(m.goal_id), m.title, m.date) for m in rm.milestones],
        "kpis": [
            (
                rm.goal_title(k.goal_id),
                k.name,
                k.unit,
                k.kind,
                k.baseline_value,
                k.baseline_date,
                k.target_value,
                k.target_date,
                k.lead.name,
                k.source,
                k.eu_code,
                [(m.date, m.value, m.note) for m in k.measurements],
            )
            for k in rm.kpis
        ],  # fmt: skip
    }


@pytest.fixture
def demo_roadmaps(engine):  # noqa: ANN001, ANN201
    return demo.load(engine)


def test_export_then_import_gives_back_the_same_roadmap(engine, demo_roadmaps):
    for rid in demo_roadmaps.roadmap_ids:
        original = roadmap_view(engine, SYSTEM, rid)
        copy = roadmap_view(
            engine, SYSTEM, import_roadmap(engine, SYSTEM, original.process_id, parse_xlsx(to_xlsx(original)))
        )
        assert copy.id != original.id
        assert content(copy) == content(original)


def test_text_that_looks_like_a_formula_or_markup_survives_the_round_trip(engine, demo_roadmaps):
    rid = demo_roadmaps.roadmap_ids[0]
    rm = roadmap_view(engine, SYSTEM, rid)
    rows = [
        {"id": a.id, "goal": rm.goal_title(a.goal_id), "title": a.title, "start": a.start, "end": a.end,
         "lead_actor": a.lead.name, "funding_source": a.funding_source}
        for a in rm.activities
    ]  # fmt: skip
    rows[0] |= {"title": '=HYPERLINK("http://x") <b>fet</b> 🌲', "funding_source": "+46 ERUF"}
    save_activities(engine, SYSTEM, rid, rows)
    original = roadmap_view(engine, SYSTEM, rid)
    copy = roadmap_view(
        engine, SYSTEM, import_roadmap(engine, SYSTEM, original.process_id, parse_xlsx(to_xlsx(original)))
    )
    assert content(copy) == content(original)
    assert copy.activities[0].title.startswith("=HYPERLINK")


def test_a_file_from_another_process_is_refused_whole(engine, demo_roadmaps):
    """Its actors are not this process's: every row naming one is reported, nothing is imported."""
    from tests.factory import make_setup

    other = make_setup(engine)
    data = parse_xlsx(to_xlsx(roadmap_view(engine, SYSTEM, demo_roadmaps.roadmap_ids[1])))
    before = table_counts(engine)
    with pytest.raises(SheetErrors) as info:
        import_roadmap(engine, SYSTEM, other.process_id, data)
    assert table_counts(engine) == before
    sheets = {sheet for sheet, _, _ in info.value.rows}
    assert sheets == {"roadmap", "activities", "kpis"}
    assert all(err.field in {"owner", "lead_actor", "partners"} for _, _, err in info.value.rows)


def test_content_helper_sees_a_changed_field():
    """The comparison above is not vacuous: one changed field makes the contents differ."""
    from tests.roadmap_sample import sample_roadmap

    rm = sample_roadmap()
    goals = list(rm.goals)
    goals[0] = dataclasses.replace(goals[0], description="ändrad")
    assert content(dataclasses.replace(rm, goals=tuple(goals))) != content(rm)
