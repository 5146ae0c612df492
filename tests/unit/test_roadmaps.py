"""Roadmap operations on SQLite and PostgreSQL: create, table saves with row-by-row validation
(nothing written on any error), measurements, update links, follow-up and the sheet import."""

from __future__ import annotations

import datetime as dt

import pytest

from edp import workshop as ops
from edp.access import SYSTEM
from edp.errors import Conflict, EdpError, NotFound, PermissionDenied, RowErrors, SheetErrors, ValidationError
from edp.roadmap import operations as rmo
from edp.roadmap.views import process_roadmaps, roadmap_summaries, roadmap_view
from tests.conftest import table_counts
from tests.factory import make_setup

LEAD, PARTNER, OTHER = "Aktör academia", "Aktör business", "Aktör public"
PERIOD = {"period_start": "2026-01-01", "period_end": "2028-12-31"}


@pytest.fixture
def setup(engine):  # noqa: ANN001, ANN201
    return make_setup(engine)


@pytest.fixture
def roadmap(engine, setup):  # noqa: ANN001, ANN201
    rid = rmo.create_roadmap(engine, SYSTEM, setup.process_id, {"title": "Livsmedel", "owner": OTHER, **PERIOD})
    rmo.save_goals(engine, SYSTEM, rid, [{"title": "Förädling"}, {"title": "Kompetens"}])
    return rid


def activity(**over):  # noqa: ANN003, ANN201
    row = {"goal": "Förädling", "title": "Förstudie", "start": "2026-02-01", "end": "2026-06-30", "lead_actor": LEAD}
    return {**row, **over}


def kpi(**over):  # noqa: ANN003, ANN201
    row = {
        "name": "Företag som får stöd", "unit": "antal", "kind": "output", "baseline_value": 0,
        "baseline_date": "2025-12-31", "target_value": 40, "target_date": "2028-12-31", "lead_actor": LEAD,
        "eu_code": "rco01",
    }  # fmt: skip
    return {**row, **over}


def refused(engine, call, *args, **kwargs):  # noqa: ANN001, ANN002, ANN003, ANN201
    """`call` raises, and nothing at all was written."""
    before = table_counts(engine)
    with pytest.raises(EdpError) as info:
        call(engine, *args, **kwargs)
    assert table_counts(engine) == before
    return info.value


def test_a_roadmap_with_goals_activities_milestones_and_kpis_reads_back(engine, roadmap):
    warnings = rmo.save_activities(
        engine, SYSTEM, roadmap,
        [activity(partners=f"{PARTNER}; {OTHER}", budget_sek="250 000", funding_source="ERUF mål 1.4"),
         activity(goal="kompetens", title="Kurs", start=dt.date(2027, 1, 1), end=dt.date(2027, 3, 1), status="Ongoing")],
    )  # fmt: skip
    assert warnings == []
    rmo.save_milestones(
        engine,
        SYSTEM,
        roadmap,
        [{"title": "Halvtid", "date": "2027-06-30"}, {"goal": "Förädling", "title": "Pilot", "date": "2026-07-01"}],
    )
    rmo.save_kpis(engine, SYSTEM, roadmap, [kpi()])
    view = roadmap_view(engine, SYSTEM, roadmap)
    assert [g.title for g in view.goals] == ["Förädling", "Kompetens"]
    first, second = view.activities
    assert (first.title, first.lead.name, [p.name for p in first.partners]) == ("Förstudie", LEAD, [PARTNER, OTHER])
    assert (first.budget_sek, first.funding_source, first.status) == (250_000, "ERUF mål 1.4", "planned")
    assert (second.goal_id, second.status) == (view.goals[1].id, "ongoing")
    assert [(m.title, m.goal_id) for m in view.milestones] == [("Pilot", view.goals[0].id), ("Halvtid", None)]
    assert view.kpis[0].eu_code == "RCO01" and view.kpis[0].lead.name == LEAD
    assert view.owner.name == OTHER and view.version > 1


def test_saving_a_table_updates_by_id_inserts_new_rows_and_removes_missing_ones(engine, roadmap):
    rmo.save_activities(engine, SYSTEM, roadmap, [activity(), activity(title="Två")])
    a, b = roadmap_view(engine, SYSTEM, roadmap).activities
    rmo.save_activities(engine, SYSTEM, roadmap, [activity(id=b.id, title="Två, ändrad"), activity(title="Tre")])
    after = roadmap_view(engine, SYSTEM, roadmap).activities
    assert [x.title for x in after] == ["Två, ändrad", "Tre"]
    assert after[0].id == b.id and a.id not in {x.id for x in after}


@pytest.mark.parametrize(
    ("row", "field", "words"),
    [
        (activity(end="2026-01-01"), "end", ("Slutdatum", "2026-02-01")),
        (activity(lead_actor="Okänd AB"), "lead_actor", ("Ansvarig aktör", "Okänd AB")),
        (activity(lead_actor=""), "lead_actor", ("Ansvarig aktör",)),
        (activity(partners="Aktör civil; Finns Inte"), "partners", ("Partner", "Finns Inte")),
        (activity(goal="Inget sådant"), "goal", ("Mål", "Inget sådant")),
        (activity(title=""), "title", ()),
        (activity(title="x" * 201), "title", ("200",)),
        (activity(start="31/12/2026"), "start", ("Startdatum", "ÅÅÅÅ-MM-DD")),
        (activity(start="1999-01-01"), "start", ("2000-01-01",)),
        (activity(status="klar"), "status", ("planned",)),
        (activity(budget_sek=-5), "budget_sek", ("Budget",)),
        (activity(budget_sek="mycket"), "budget_sek", ("Budget",)),
        (activity(title="a\x00b"), "title", ()),
    ],
)
def test_every_bad_activity_is_refused_naming_the_field_and_nothing_is_saved(engine, roadmap, row, field, words):
    rmo.save_activities(engine, SYSTEM, roadmap, [activity(title="Befintlig")])
    err = refused(engine, rmo.save_activities, SYSTEM, roadmap, [activity(title="Bra rad"), row])
    assert isinstance(err, RowErrors)
    (line, inner), = err.rows  # fmt: skip
    assert line == 2 and inner.field == field
    sv = inner.message("sv")
    assert all(w in sv for w in words), sv
    assert [a.title for a in roadmap_view(engine, SYSTEM, roadmap).activities] == ["Befintlig"]


@pytest.mark.parametrize(
    ("row", "field", "words"),
    [
        (kpi(target_date="2025-06-01"), "target_date", ("Måldatum", "2025-12-31")),
        (kpi(target_date="2025-12-31"), "target_date", ("Måldatum",)),
        (kpi(baseline_value="många"), "baseline_value", ("Utgångsvärde",)),
        (kpi(target_value=float("inf")), "target_value", ("Målvärde",)),
        (kpi(target_value=None), "target_value", ("Målvärde",)),
        (kpi(kind="impact"), "kind", ("output", "result")),
        (kpi(eu_code="16"), "eu_code", ("RCO16",)),
        (kpi(lead_actor="Någon annan"), "lead_actor", ("Någon annan",)),
        (kpi(unit="u" * 41), "unit", ("40",)),
    ],
)
def test_every_bad_kpi_is_refused_naming_the_field(engine, roadmap, row, field, words):
    err = refused(engine, rmo.save_kpis, SYSTEM, roadmap, [row])
    (line, inner), = err.rows  # fmt: skip
    assert line == 1 and inner.field == field
    assert all(w in inner.message("sv") for w in words), inner.message("sv")


def test_all_bad_rows_are_reported_at_once(engine, roadmap):
    err = refused(
        engine, rmo.save_activities, SYSTEM, roadmap, [activity(end="2026-01-01"), activity(), activity(lead_actor="X")]
    )
    assert [n for n, _ in err.rows] == [1, 3]
    assert "2 rader har fel" in err.message("sv")


def test_dates_outside_the_period_are_saved_with_a_warning(engine, roadmap):
    warnings = rmo.save_activities(engine, SYSTEM, roadmap, [activity(title="Tidig", start="2025-10-01")])
    assert [w.message("en") for w in warnings] == ["The activity “Tidig” lies partly outside the roadmap's period."]
    assert roadmap_view(engine, SYSTEM, roadmap).activities[0].title == "Tidig"
    warnings = rmo.save_milestones(engine, SYSTEM, roadmap, [{"title": "Sent", "date": "2030-01-01"}])
    assert "Sent" in warnings[-1].message("sv")


def test_roadmap_fields_are_validated(engine, setup):
    for data, field in (
        ({"title": "T", "period_start": "2027-01-01", "period_end": "2026-01-01"}, "roadmap_end"),
        ({"title": "", **PERIOD}, "title"),
        ({"title": "T", "period_start": None, "period_end": "2026-01-01"}, "roadmap_start"),
        ({"title": "T", "owner": "Ingen", **PERIOD}, "owner"),
        ({"title": "T", "status": "done", **PERIOD}, "status"),
        ({"title": "T", "period_start": "2026-01-01", "period_end": "2099-01-01"}, "roadmap_end"),
    ):
        err = refused(engine, rmo.create_roadmap, SYSTEM, setup.process_id, data)
        assert err.field == field, (data, err)
    with pytest.raises(NotFound):
        rmo.create_roadmap(engine, SYSTEM, 999_999, {"title": "T", **PERIOD})


def test_goal_titles_are_unique_and_a_goal_with_activities_cannot_be_dropped(engine, roadmap):
    err = refused(engine, rmo.save_goals, SYSTEM, roadmap, [{"title": "A"}, {"title": "a"}])
    assert isinstance(err.rows[0][1], Conflict) and err.rows[0][0] == 2
    rmo.save_activities(engine, SYSTEM, roadmap, [activity()])
    goals = roadmap_view(engine, SYSTEM, roadmap).goals
    err = refused(engine, rmo.save_goals, SYSTEM, roadmap, [{"id": goals[1].id, "title": "Kompetens"}])
    assert "Förädling" in err.message("sv") and "1 aktiviteter" in err.message("sv")
    err = refused(engine, rmo.save_goals, SYSTEM, roadmap, [{"id": 987654, "title": "Främmande"}])
    assert isinstance(err, RowErrors)


def test_a_roadmap_from_a_priority_is_prefilled_and_traceable(engine, setup):
    s = make_setup(engine, themes=3, participants={"business": 1}, phase="voting")
    ops.set_phase(engine, s.fac, s.round_id, "closed")
    ops.set_priorities(engine, s.fac, [ops.PriorityInput(theme_id=s.themes[1], rationale="Starkt stöd")])
    prio = process_roadmaps(engine, SYSTEM, s.process_id)  # no roadmaps yet
    assert prio.roadmaps == ()
    from sqlalchemy import select

    from edp.db import read
    from edp.models import Priority

    with read(engine) as sess:
        pid = sess.scalar(select(Priority.id).where(Priority.workshop_id == s.workshop_id))
    rid = rmo.create_from_priority(engine, SYSTEM, pid)
    view = roadmap_view(engine, SYSTEM, rid)
    assert (view.title, view.vision) == ("Tema 2", "Starkt stöd")
    assert view.priority.workshop_id == s.workshop_id and view.priority.round_ids == (s.round_id,)
    assert view.period_start <= view.period_end
    assert roadmap_summaries(engine, SYSTEM, s.process_id)[0].priority_title == "Tema 2"
    with pytest.raises(NotFound):
        rmo.create_roadmap(
            engine, SYSTEM, setup.process_id, {"title": "X", **PERIOD}, priority_id=pid
        )  # another process


def test_template_kpis_are_the_s3_indicators_once(engine, roadmap):
    assert rmo.add_template_kpis(engine, SYSTEM, roadmap, "en") == len(rmo.S3_KPIS)
    assert rmo.add_template_kpis(engine, SYSTEM, roadmap, "en") == 0
    codes = [k.eu_code for k in roadmap_view(engine, SYSTEM, roadmap).kpis]
    assert {"RCO16", "RCO101"} <= set(codes) and len(codes) == len(set(codes))


def test_measurements_are_validated_against_the_baseline_and_today(engine, roadmap):
    rmo.save_kpis(engine, SYSTEM, roadmap, [kpi()])
    k = roadmap_view(engine, SYSTEM, roadmap).kpis[0]
    rmo.add_measurement(engine, SYSTEM, k.id, {"date": "2026-06-30", "value": "12,5", "note": "Halvår"})
    assert [(m.value, m.note) for m in roadmap_view(engine, SYSTEM, roadmap).kpis[0].measurements] == [(12.5, "Halvår")]
    for data, field in (
        ({"date": "2025-01-01", "value": 1}, "date"),
        ({"date": (dt.date.today() + dt.timedelta(days=10)).isoformat(), "value": 1}, "date"),
        ({"date": "2026-07-01", "value": "?"}, "value"),
        ({"date": "2026-07-01", "value": 1, "note": "n" * 1001}, "note"),
    ):
        err = refused(engine, rmo.add_measurement, SYSTEM, k.id, data)
        assert err.field == field
    with pytest.raises(NotFound):
        rmo.add_measurement(engine, SYSTEM, 424242, {"date": "2026-07-01", "value": 1})


def test_update_links_show_only_the_actors_own_work_and_every_update_is_logged(engine, setup, roadmap):
    rmo.save_activities(engine, SYSTEM, roadmap, [activity(), activity(title="Annans", lead_actor=OTHER)])
    rmo.save_kpis(engine, SYSTEM, roadmap, [kpi(), kpi(name="Annans KPI", lead_actor=OTHER)])
    rmo.mark_followed_up(engine, SYSTEM, roadmap)
    assert rmo.changes_since_follow_up(engine, SYSTEM, roadmap) == []
    tokens = rmo.issue_links(engine, SYSTEM, setup.process_id)
    assert set(tokens) == {setup.actors["academia"], setup.actors["public"]}
    mine = tokens[setup.actors["academia"]]
    work = rmo.actor_work(engine, mine)
    assert [a.title for _, _, a in work.activities] == ["Förstudie"]
    assert [k.name for _, k in work.kpis] == ["Företag som får stöd"]
    own, other = roadmap_view(engine, SYSTEM, roadmap).activities
    rmo.actor_set_status(engine, mine, own.id, "delayed", "Väntar på finansiering")
    rmo.actor_add_measurement(engine, mine, work.kpis[0][1].id, {"date": "2026-03-01", "value": 3})
    for call, args in ((rmo.actor_set_status, (mine, other.id, "done")),
                       (rmo.actor_add_measurement, (mine, roadmap_view(engine, SYSTEM, roadmap).kpis[1].id, {"date": "2026-03-01", "value": 1})),
                       (rmo.actor_set_status, ("fel-token", own.id, "done"))):  # fmt: skip
        err = refused(engine, call, *args)
        assert isinstance(err, PermissionDenied)
    err = refused(engine, rmo.actor_set_status, mine, own.id, "finished")
    assert isinstance(err, ValidationError) and err.field == "status"
    changes = rmo.changes_since_follow_up(engine, SYSTEM, roadmap)
    assert [(c.kind, c.actor) for c in changes] == [("measurement.added", LEAD), ("activity.status", LEAD)]
    assert changes[1].detail == {
        "activity": "Förstudie",
        "before": "planned",
        "after": "delayed",
        "comment": "Väntar på finansiering",
    }
    assert roadmap_view(engine, SYSTEM, roadmap).kpis[0].measurements[0].recorded_by == LEAD
    again = rmo.issue_links(engine, SYSTEM, setup.process_id, [setup.actors["academia"]])  # a new link replaces the old
    with pytest.raises(PermissionDenied):
        rmo.actor_work(engine, mine)
    assert rmo.actor_work(engine, again[setup.actors["academia"]]).actor_name == LEAD


def sheets(**over):  # noqa: ANN003, ANN201
    base = {
        "roadmap": [(2, {"title": "Importerad", "vision": "", "owner": OTHER, "status": "active", **PERIOD})],
        "goals": [(2, {"title": "G1", "description": ""}), (3, {"title": "G2", "description": "d"})],
        "activities": [(2, activity(goal="G1")), (3, activity(goal="G2", title="B", partners=PARTNER))],
        "milestones": [(2, {"goal": None, "title": "M", "date": dt.date(2027, 1, 1)})],
        "kpis": [(2, kpi(goal="G2"))],
        "measurements": [(2, {"kpi": "Företag som får stöd", "date": dt.date(2026, 5, 1), "value": 4, "note": "x"})],
    }
    return {**base, **over}


def test_import_creates_the_whole_roadmap(engine, setup):
    rid = rmo.import_roadmap(engine, SYSTEM, setup.process_id, sheets())
    view = roadmap_view(engine, SYSTEM, rid)
    assert (view.title, view.status, [g.title for g in view.goals]) == ("Importerad", "active", ["G1", "G2"])
    assert [a.partners[0].name for a in view.activities if a.partners] == [PARTNER]
    assert view.kpis[0].measurements[0].value == 4 and view.milestones[0].title == "M"


def test_import_reports_every_bad_row_by_sheet_and_imports_nothing(engine, setup):
    bad = sheets(
        activities=[(2, activity(goal="G1")), (3, activity(goal="G9")), (4, activity(goal="G1", lead_actor="Okänd"))],
        measurements=[(2, {"kpi": "Saknas", "date": dt.date(2026, 5, 1), "value": 1})],
        goals=[(2, {"title": "G1"}), (3, {"title": "G2"}), (4, {"title": "g1"})],
    )
    err = refused(engine, rmo.import_roadmap, SYSTEM, setup.process_id, bad)
    assert isinstance(err, SheetErrors)
    assert [(sheet, line, e.field) for sheet, line, e in err.rows] == [
        ("goals", 4, "title"), ("activities", 3, "goal"), ("activities", 4, "lead_actor"), ("measurements", 2, "kpi"),
    ]  # fmt: skip
    assert "Inget har importerats" in err.message("sv")
    err = refused(engine, rmo.import_roadmap, SYSTEM, setup.process_id, sheets(roadmap=[]))
    assert err.rows[0][0] == "roadmap"


def test_deleting_a_roadmap_removes_everything_in_it_and_nothing_else(engine, setup, roadmap):
    rmo.save_activities(engine, SYSTEM, roadmap, [activity(partners=PARTNER)])
    rmo.save_milestones(engine, SYSTEM, roadmap, [{"goal": "Förädling", "title": "M", "date": "2027-01-01"}])
    rmo.save_kpis(engine, SYSTEM, roadmap, [kpi(goal="Kompetens")])
    rmo.add_measurement(
        engine, SYSTEM, roadmap_view(engine, SYSTEM, roadmap).kpis[0].id, {"date": "2026-05-01", "value": 2}
    )
    keep = rmo.create_roadmap(engine, SYSTEM, setup.process_id, {"title": "Kvar", **PERIOD})
    rmo.delete_roadmap(engine, SYSTEM, roadmap)
    counts = table_counts(engine)
    for table in ("goals", "activities", "activity_partners", "milestones", "kpis", "kpi_measurements"):
        assert counts[table] == 0, table
    assert counts["roadmaps"] == 1 and roadmap_view(engine, SYSTEM, keep).title == "Kvar"
    assert counts["actors"] == len(setup.actors)
    with pytest.raises(NotFound):
        rmo.delete_roadmap(engine, SYSTEM, roadmap)


def test_a_save_read_at_an_older_version_is_refused_and_writes_nothing(engine, roadmap):
    version = roadmap_view(engine, SYSTEM, roadmap).version
    rmo.save_activities(engine, SYSTEM, roadmap, [activity()])  # someone else saves first
    err = refused(
        engine, rmo.save_activities, SYSTEM, roadmap, [activity(title="Min version")], expected_version=version
    )
    assert isinstance(err, Conflict) and "Någon annan har ändrat" in err.message("sv")
    current = roadmap_view(engine, SYSTEM, roadmap).version
    rmo.save_activities(engine, SYSTEM, roadmap, [activity(title="Min version")], expected_version=current)
    assert [a.title for a in roadmap_view(engine, SYSTEM, roadmap).activities] == ["Min version"]
