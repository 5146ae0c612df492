"""The process leader's roadmap page through AppTest, on a copy of the demo: sign-in, creating a
roadmap from a priority, a refused update, the four tables changed row by row in forms (and whole in
the grid behind its toggle), Gantt, follow-up links, English labels, and user text shown literally.

Every test checks the database too, not only the screen.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import io
import json
import re
from pathlib import Path

from streamlit.testing.v1 import AppTest

from edp import accounts, demo, i18n
from edp import workshop as ops
from edp.access import SYSTEM
from edp.errors import Conflict, ValidationError
from edp.queries import overview
from edp.roadmap.operations import create_roadmap, linked_actors
from edp.roadmap.views import roadmap_summaries, roadmap_view
from tests.app.support import APP, TIMEOUT_S, as_organiser, ok, organiser_token

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def sv(key: str, **params) -> str:
    return i18n.t(key, "sv", **params)


def summary_of(template: Path) -> dict:
    return json.loads((template.parent / "summary.json").read_text())


def signed_in(engine, workshop_id: int, *, lang: str | None = None, roadmap: int | None = None) -> AppTest:  # noqa: ARG001
    """The roadmap page, signed in as the demo's organiser (an admin, the demo process's leader)."""
    token = accounts.password_sign_in(engine, demo.DEMO_ORGANISER, demo.DEMO_PASSWORD_DEFAULT)
    state = {"lang": lang} if lang else {}
    at = AppTest.from_file(str(APP), default_timeout=TIMEOUT_S)
    at.session_state["org_token"] = token
    for key, value in state.items():
        at.session_state[key] = value
    if roadmap is not None:
        at.query_params["roadmap"] = str(roadmap)
    ok(at.run())
    return ok(at.switch_page("pages/roadmaps.py").run())


def demo_page(use_db, demo_template, **kwargs):  # noqa: ANN201
    engine = use_db(demo_template)
    summary = summary_of(demo_template)
    return engine, summary, signed_in(engine, summary["completed_workshop_id"], **kwargs)


def submit(at: AppTest, prefix: str) -> AppTest:
    """Click the submit button of the form whose key starts with `prefix`."""
    [button] = [b for b in at.button if b.key and b.key.startswith(f"FormSubmitter:{prefix}")]
    return ok(button.click().run())


def editor_key(at: AppTest, table: str) -> str:
    [key] = [d.key for d in at.data_editor if d.key and f"-{table}-" in d.key]
    return key


def texts(at: AppTest) -> list[str]:
    return [e.value for e in at.text]


def markdown(at: AppTest) -> str:
    return "\n".join(e.value for e in [*at.markdown, *at.caption, *at.error, *at.warning, *at.success, *at.info])


# ------------------------------------------------------------------ access


def test_a_visitor_and_a_passcode_console_get_no_roadmap_page(use_db, demo_template):
    engine = use_db(demo_template)
    summary = summary_of(demo_template)
    console = ops.login_facilitator(engine, summary["open_workshop_id"], demo.DEMO_PASSCODE_DEFAULT)
    for state in ({}, {"fac_token": console, "fac_workshop": summary["open_workshop_id"]}):
        at = AppTest.from_file(str(APP), default_timeout=TIMEOUT_S)
        for key, value in state.items():
            at.session_state[key] = value
        ok(at.run())
        # Not in their menu; by its address, the page asks them to sign in and shows no roadmap.
        at = ok(at.switch_page("pages/roadmaps.py").run())
        assert [i.value for i in at.info] == [sv("ui.rm.sign_in_first")]
        assert not at.data_editor and not at.tabs and not at.dataframe and not at.button


def test_the_page_itself_asks_a_visitor_to_sign_in(use_db, demo_template):
    use_db(demo_template)
    page = APP.parent / "pages" / "roadmaps.py"
    at = ok(AppTest.from_file(str(page), default_timeout=TIMEOUT_S).run())
    assert [i.value for i in at.info] == [sv("ui.rm.sign_in_first")]
    assert not at.data_editor and not at.tabs and not at.dataframe


def test_an_observer_reads_the_roadmaps_but_gets_no_editor_and_no_links(use_db, demo_template):
    engine = use_db(demo_template)
    summary = summary_of(demo_template)
    at = as_organiser(organiser_token(engine, observes=summary["process_id"]), "pages/roadmaps.py")
    assert sv("ui.rm.read_only") in [c.value for c in at.caption]
    assert at.selectbox(key="rm-pick").options
    assert not at.data_editor
    assert not [
        b for b in at.button if b.key in ("rm-issue-links", "rm-followed-" + str(at.selectbox(key="rm-pick").value))
    ]
    assert at.dataframe  # the tables, read only


def test_a_leader_of_another_process_sees_none_of_its_roadmaps(use_db, demo_template):
    engine = use_db(demo_template)
    other = ops.create_process(engine, SYSTEM, "Hållbar energi")
    at = as_organiser(organiser_token(engine, leads=other.id), "pages/roadmaps.py")
    assert at.selectbox(key="rm-process-pick").options == ["Hållbar energi"]
    assert sv("ui.rm.no_roadmaps") in [i.value for i in at.info]
    assert not at.data_editor


def test_signed_in_sees_the_process_roadmaps_and_the_portfolio(use_db, demo_template):
    engine, summary, at = demo_page(use_db, demo_template)

    table = at.dataframe[0].value
    assert list(table[sv("ui.rm.col.title")]) == [
        s.title for s in roadmap_summaries(engine, SYSTEM, summary["process_id"])
    ]
    assert at.selectbox(key="rm-pick").options == list(table[sv("ui.rm.col.title")])
    assert at.query_params["roadmap"] == str(at.selectbox(key="rm-pick").value)
    assert len(at.get("plotly_chart")) >= 2  # the portfolio and the selected roadmap's charts


# ------------------------------------------------------------------ create


def test_create_from_a_priority_prefills_the_theme_and_selects_the_new_roadmap(use_db, demo_template):
    engine, summary, at = demo_page(use_db, demo_template)
    before = {s.id for s in roadmap_summaries(engine, SYSTEM, summary["process_id"])}
    [ws] = [w for p in overview(engine) for w in p["workshops"] if w["id"] == summary["completed_workshop_id"]]
    second = ws["priorities"][1]  # priority 1 already has a demo roadmap; the page offers the next one

    prio = at.selectbox(key="rm-new-priority")
    assert sv("ui.rm.has_roadmap") in prio.options[0] and second["title"] in prio.options[1]
    assert at.text_input(key=f"rm-new-p-{prio.value}-title").value == second["title"]
    at = submit(at, f"rm-new-p-{prio.value}")

    assert [s.value for s in at.success] == [sv("ui.rm.created")]
    [new] = [s for s in roadmap_summaries(engine, SYSTEM, summary["process_id"]) if s.id not in before]
    assert new.title == second["title"] and new.priority_title == second["title"]
    assert at.selectbox(key="rm-pick").value == new.id
    assert at.query_params["roadmap"] == str(new.id)
    assert new.title in list(at.dataframe[0].value[sv("ui.rm.col.title")])
    rm = roadmap_view(engine, SYSTEM, new.id)
    chosen = sv("ui.rm.chosen_at", workshop=rm.priority.workshop_title, date=rm.priority.workshop_date, rank=2)
    assert chosen in texts(at)


def test_create_from_the_s3_template_adds_the_eu_kpis(use_db, demo_template):
    engine, summary, at = demo_page(use_db, demo_template)
    at.radio(key="rm-new-way").set_value("template").run()
    at.text_input(key="rm-new-t-title").input("Mall-färdplan")
    at.selectbox(key="rm-new-t-owner").select_index(1)
    at = submit(at, "rm-new-t")

    rid = at.selectbox(key="rm-pick").value
    rm = roadmap_view(engine, SYSTEM, rid)
    assert rm.title == "Mall-färdplan"
    assert {"RCO16", "RCO101"} <= {k.eu_code for k in rm.kpis}


def test_template_without_an_owner_is_refused_before_anything_is_written(use_db, demo_template):
    engine, summary, at = demo_page(use_db, demo_template)
    count = len(roadmap_summaries(engine, SYSTEM, summary["process_id"]))
    at.radio(key="rm-new-way").set_value("template").run()
    at.text_input(key="rm-new-t-title").input("Utan ägare")
    at = submit(at, "rm-new-t")

    assert [e.value for e in at.error] == [ValidationError("input.required", field="owner").message("sv")]
    assert len(roadmap_summaries(engine, SYSTEM, summary["process_id"])) == count


# ------------------------------------------------------------------ overview tab


def test_end_before_start_is_refused_naming_the_field_and_nothing_changes(use_db, demo_template):
    engine, summary, at = demo_page(use_db, demo_template)
    rid = at.selectbox(key="rm-pick").value
    before = roadmap_view(engine, SYSTEM, rid)
    key = f"rm-edit-{rid}-{before.version}"
    at.text_input(key=f"{key}-title").input("Ny rubrik")
    at.date_input(key=f"{key}-end").set_value(before.period_start.replace(year=before.period_start.year - 1))
    at = submit(at, key)

    [message] = [e.value for e in at.error]
    assert i18n.field_label("roadmap_end", "sv") in message
    after = roadmap_view(engine, SYSTEM, rid)
    assert (after.title, after.period_end, after.version) == (before.title, before.period_end, before.version)
    assert at.text_input(key=f"{key}-title").value == "Ny rubrik"  # what was typed is kept


def test_a_good_update_is_saved_and_confirmed(use_db, demo_template):
    engine, summary, at = demo_page(use_db, demo_template)
    rid = at.selectbox(key="rm-pick").value
    key = f"rm-edit-{rid}-{roadmap_view(engine, SYSTEM, rid).version}"
    at.text_input(key=f"{key}-title").input("Kulturarv 2.0")
    at.selectbox(key=f"{key}-status").select("completed")
    at = submit(at, key)

    assert sv("ui.rm.saved") in [s.value for s in at.success]
    rm = roadmap_view(engine, SYSTEM, rid)
    assert (rm.title, rm.status) == ("Kulturarv 2.0", "completed")


# ------------------------------------------------------------------ the tables, one row at a time in forms


def form_prefix(at: AppTest, rid: int, table: str, row: int | str = "new") -> str:
    """The key prefix of the row form that is shown (it carries a generation number)."""
    pattern = re.compile(rf"^(rm-f-{rid}-{table}-{row}-\d+)-")
    found = {
        m.group(1) for w in [*at.text_input, *at.selectbox, *at.date_input] if w.key and (m := pattern.match(w.key))
    }
    assert len(found) == 1, found
    return found.pop()


def pick_row(at: AppTest, rid: int, table: str, row_id: int) -> AppTest:
    return ok(at.selectbox(key=f"rm-row-{rid}-{table}").set_value(row_id).run())


def remove_row(at: AppTest, rid: int, table: str, row_id: int) -> AppTest:
    assert at.button(key=f"rm-remove-{rid}-{table}-{row_id}").disabled  # not before the confirmation
    at = ok(at.checkbox(key=f"rm-remove-sure-{rid}-{table}-{row_id}").check().run())
    return ok(at.button(key=f"rm-remove-{rid}-{table}-{row_id}").click().run())


def unplaced(rows) -> list:  # noqa: ANN001
    """Rows without their position numbers (a row added in the middle renumbers those after it), in order."""
    return [dataclasses.replace(r, position=0) for r in rows]


def successes(at: AppTest) -> list[str]:
    return [s.value for s in at.success]


def test_an_activity_is_added_changed_and_removed_through_the_form(use_db, demo_template):
    engine, summary, at = demo_page(use_db, demo_template)
    rid = at.selectbox(key="rm-pick").value
    rm = roadmap_view(engine, SYSTEM, rid)
    lead, partner = rm.activities[0].lead, rm.activities[1].lead
    picker = at.selectbox(key=f"rm-row-{rid}-activities")
    assert picker.label == sv("ui.rm.pick_row.activities")
    assert picker.options[0] == sv("ui.rm.new_row.activities") and picker.value == 0
    assert picker.options[1:] == [f"{n}. {a.title}" for n, a in enumerate(rm.activities, start=1)]
    key = form_prefix(at, rid, "activities")
    assert at.selectbox(key=f"{key}-lead_actor").placeholder == sv("ui.rm.ph.lead")
    assert at.multiselect(key=f"{key}-partners").placeholder == sv("ui.rm.ph.partners")

    # Add: after the roadmap's period, so the save also warns about the dates.
    at.selectbox(key=f"{key}-goal").set_value(rm.goals[0].id)
    at.text_input(key=f"{key}-title").input("Efter perioden")
    at.date_input(key=f"{key}-start").set_value(dt.date(2035, 1, 1))
    at.date_input(key=f"{key}-end").set_value(dt.date(2035, 6, 30))
    at.selectbox(key=f"{key}-lead_actor").set_value(lead.id)
    at.multiselect(key=f"{key}-partners").set_value([partner.id])
    at.text_input(key=f"{key}-budget_sek").input("125 000")
    at = submit(at, key)

    assert sv("ui.rm.row_added.activities") in successes(at)
    assert any(sv("roadmap.warn_activity_outside", title="Efter perioden") in x for x in texts(at))
    after = roadmap_view(engine, SYSTEM, rid)
    [added] = [a for a in after.activities if a.id not in {b.id for b in rm.activities}]
    assert unplaced(a for a in after.activities if a.id != added.id) == unplaced(rm.activities)  # the others kept
    assert added == [a for a in after.activities if a.goal_id == rm.goals[0].id][-1]  # last of its goal
    assert (added.title, added.goal_id, added.lead.id, added.budget_sek, added.status) == (
        "Efter perioden", rm.goals[0].id, lead.id, 125000, "planned",
    )  # fmt: skip
    assert [p.id for p in added.partners] == [partner.id]
    new_key = form_prefix(at, rid, "activities")
    assert new_key != key and at.text_input(key=f"{new_key}-title").value == ""  # a fresh form for the next one

    # Change: pick it, the form shows it; a new title and status.
    at = pick_row(at, rid, "activities", added.id)
    key = form_prefix(at, rid, "activities", added.id)
    assert at.text_input(key=f"{key}-title").value == "Efter perioden"
    assert at.text_input(key=f"{key}-budget_sek").value == "125000"
    at.text_input(key=f"{key}-title").input("Inom perioden")
    at.date_input(key=f"{key}-start").set_value(rm.period_start)
    at.date_input(key=f"{key}-end").set_value(rm.period_start + dt.timedelta(days=30))
    at.selectbox(key=f"{key}-status").set_value("ongoing")
    at = submit(at, key)

    assert sv("ui.rm.row_saved") in successes(at)
    changed = roadmap_view(engine, SYSTEM, rid)
    assert unplaced(a for a in changed.activities if a.id != added.id) == unplaced(rm.activities)
    [again] = [a for a in changed.activities if a.id == added.id]
    assert (again.title, again.status, again.end) == (
        "Inom perioden",
        "ongoing",
        rm.period_start + dt.timedelta(days=30),
    )
    assert at.selectbox(key=f"rm-row-{rid}-activities").value == added.id  # still on the row just saved

    # Remove, after the confirmation.
    at = remove_row(at, rid, "activities", added.id)
    assert sv("ui.rm.row_removed.activities") in successes(at)
    assert unplaced(roadmap_view(engine, SYSTEM, rid).activities) == unplaced(rm.activities)
    assert at.selectbox(key=f"rm-row-{rid}-activities").value == 0


def test_end_before_start_in_the_activity_form_names_the_field_writes_nothing_and_keeps_the_typing(
    use_db, demo_template
):
    engine, summary, at = demo_page(use_db, demo_template)
    rid = at.selectbox(key="rm-pick").value
    rm = roadmap_view(engine, SYSTEM, rid)
    first = rm.activities[0]
    at = pick_row(at, rid, "activities", first.id)
    key = form_prefix(at, rid, "activities", first.id)
    at.text_input(key=f"{key}-title").input("Ny rubrik")
    at.date_input(key=f"{key}-end").set_value(first.start - dt.timedelta(days=1))
    at = submit(at, key)

    expected = ValidationError("roadmap.end_before_start", field="end", start=first.start.isoformat()).message("sv")
    assert [e.value for e in at.error] == [expected]
    assert i18n.field_label("end", "sv") in expected
    assert roadmap_view(engine, SYSTEM, rid).activities == rm.activities and not successes(at)
    assert form_prefix(at, rid, "activities", first.id) == key  # the same form, with what was typed
    assert at.text_input(key=f"{key}-title").value == "Ny rubrik"
    assert at.date_input(key=f"{key}-end").value == first.start - dt.timedelta(days=1)


def test_a_title_over_the_limit_is_refused_naming_the_field_and_kept_as_typed(use_db, demo_template):
    """No max_chars (tests/unit/test_widget_limits.py): a paste over the limit reaches the engine, whose
    refusal names the field, the limit and how much too long it is; nothing is written, the text stays."""
    from edp.roadmap import operations as limits

    engine, summary, at = demo_page(use_db, demo_template)
    rid = at.selectbox(key="rm-pick").value
    before = roadmap_view(engine, SYSTEM, rid).goals
    goals = form_prefix(at, rid, "goals")
    assert not at.text_input(key=f"{goals}-title").max_chars  # no cap in the browser
    pasted = "x" * (limits.TITLE_MAX + 5)
    at.text_input(key=f"{goals}-title").set_value(pasted)
    at = submit(at, goals)
    expected = ValidationError(
        "input.too_long", field="title", max=limits.TITLE_MAX, length=len(pasted), over=5
    ).message("sv")
    assert expected in [e.value for e in at.error]
    assert str(limits.TITLE_MAX) in expected and i18n.field_label("title", "sv") in expected
    assert roadmap_view(engine, SYSTEM, rid).goals == before and not successes(at)
    assert at.text_input(key=f"{goals}-title").value == pasted


def test_a_bad_budget_and_a_target_before_the_baseline_are_refused_naming_the_field(use_db, demo_template):
    engine, summary, at = demo_page(use_db, demo_template)
    rid = at.selectbox(key="rm-pick").value
    rm = roadmap_view(engine, SYSTEM, rid)
    first = rm.activities[0]
    at = pick_row(at, rid, "activities", first.id)
    key = form_prefix(at, rid, "activities", first.id)
    at.text_input(key=f"{key}-budget_sek").input("mycket")
    at = submit(at, key)
    expected = ValidationError("input.not_integer", field="budget_sek").message("sv")
    assert [e.value for e in at.error] == [expected] and i18n.field_label("budget_sek", "sv") in expected
    assert at.text_input(key=f"{key}-budget_sek").value == "mycket"

    kpi = rm.kpis[0]
    at = pick_row(at, rid, "kpis", kpi.id)
    key = form_prefix(at, rid, "kpis", kpi.id)
    at.date_input(key=f"{key}-target_date").set_value(kpi.baseline_date)
    at = submit(at, key)
    expected = ValidationError(
        "roadmap.target_not_after_baseline", field="target_date", baseline=kpi.baseline_date.isoformat()
    ).message("sv")
    assert expected in [e.value for e in at.error]
    after = roadmap_view(engine, SYSTEM, rid)
    assert (after.activities, after.kpis, after.version) == (rm.activities, rm.kpis, rm.version)  # nothing written


def test_a_goal_is_added_renamed_and_removed_and_one_with_activities_is_kept(use_db, demo_template):
    engine, summary, at = demo_page(use_db, demo_template)
    rid = at.selectbox(key="rm-pick").value
    rm = roadmap_view(engine, SYSTEM, rid)
    key = form_prefix(at, rid, "goals")
    at.text_input(key=f"{key}-title").input("Fler besökare")
    at.text_area(key=f"{key}-description").input("Året runt")
    at = submit(at, key)
    assert sv("ui.rm.row_added.goals") in successes(at)
    goals = roadmap_view(engine, SYSTEM, rid).goals
    assert [g.id for g in goals[:-1]] == [g.id for g in rm.goals]
    assert (goals[-1].title, goals[-1].description) == ("Fler besökare", "Året runt")

    at = pick_row(at, rid, "goals", goals[-1].id)
    key = form_prefix(at, rid, "goals", goals[-1].id)
    at.text_input(key=f"{key}-title").input("Fler besökare året runt")
    at = submit(at, key)
    assert roadmap_view(engine, SYSTEM, rid).goals[-1].title == "Fler besökare året runt"

    at = remove_row(at, rid, "goals", goals[-1].id)
    assert [g.id for g in roadmap_view(engine, SYSTEM, rid).goals] == [g.id for g in rm.goals]

    busy = next(g for g in rm.goals if g.activities)
    at = pick_row(at, rid, "goals", busy.id)
    at = remove_row(at, rid, "goals", busy.id)
    refused = Conflict("roadmap.goal_has_activities", field="goal", title=busy.title, count=len(busy.activities))
    assert refused.message("sv") in texts(at)  # it quotes the goal's title: plain text, below a fixed alert
    assert sv("ui.rm.row_removed.goals") not in successes(at)
    assert roadmap_view(engine, SYSTEM, rid).goals == rm.goals


def test_a_milestone_is_added_changed_and_removed(use_db, demo_template):
    engine, summary, at = demo_page(use_db, demo_template)
    rid = at.selectbox(key="rm-pick").value
    rm = roadmap_view(engine, SYSTEM, rid)
    key = form_prefix(at, rid, "milestones")
    assert at.selectbox(key=f"{key}-goal").options[0] == sv("ui.rm.no_goal")
    at.text_input(key=f"{key}-title").input("Halvtid")
    at.date_input(key=f"{key}-date").set_value(rm.period_start + dt.timedelta(days=100))
    at = submit(at, key)
    assert sv("ui.rm.row_added.milestones") in successes(at)
    [added] = [m for m in roadmap_view(engine, SYSTEM, rid).milestones if m.title == "Halvtid"]
    assert added.goal_id is None

    at = pick_row(at, rid, "milestones", added.id)
    key = form_prefix(at, rid, "milestones", added.id)
    at.selectbox(key=f"{key}-goal").set_value(rm.goals[0].id)
    at = submit(at, key)
    [changed] = [m for m in roadmap_view(engine, SYSTEM, rid).milestones if m.id == added.id]
    assert (changed.title, changed.goal_id) == ("Halvtid", rm.goals[0].id)

    at = remove_row(at, rid, "milestones", added.id)
    assert sv("ui.rm.row_removed.milestones") in successes(at)
    assert roadmap_view(engine, SYSTEM, rid).milestones == rm.milestones


def test_a_kpi_is_added_with_a_decimal_comma_changed_and_removed(use_db, demo_template):
    engine, summary, at = demo_page(use_db, demo_template)
    rid = at.selectbox(key="rm-pick").value
    rm = roadmap_view(engine, SYSTEM, rid)
    lead = rm.kpis[0].lead
    key = form_prefix(at, rid, "kpis")
    at.text_input(key=f"{key}-name").input("Besökare per år")
    at.text_input(key=f"{key}-unit").input("tusental")
    at.text_input(key=f"{key}-baseline_value").input("12,5")
    at.date_input(key=f"{key}-baseline_date").set_value(dt.date(2025, 1, 1))
    at.text_input(key=f"{key}-target_value").input("20")
    at.date_input(key=f"{key}-target_date").set_value(dt.date(2027, 12, 31))
    at.selectbox(key=f"{key}-lead_actor").set_value(lead.id)
    at.selectbox(key=f"{key}-kind").set_value("result")
    at.text_input(key=f"{key}-eu_code").input("rcr03")
    at = submit(at, key)
    assert sv("ui.rm.row_added.kpis") in successes(at)
    kpis = roadmap_view(engine, SYSTEM, rid).kpis
    assert [k.id for k in kpis[:-1]] == [k.id for k in rm.kpis]
    k = kpis[-1]
    assert (k.name, k.unit, k.baseline_value, k.target_value, k.kind, k.eu_code, k.lead.id) == (
        "Besökare per år", "tusental", 12.5, 20.0, "result", "RCR03", lead.id,
    )  # fmt: skip

    at = pick_row(at, rid, "kpis", k.id)
    key = form_prefix(at, rid, "kpis", k.id)
    assert at.text_input(key=f"{key}-baseline_value").value == "12,5"  # as a Swede types it
    at.text_input(key=f"{key}-target_value").input("22,75")
    at = submit(at, key)
    assert roadmap_view(engine, SYSTEM, rid).kpis[-1].target_value == 22.75

    at = remove_row(at, rid, "kpis", k.id)
    assert sv("ui.rm.row_removed.kpis") in successes(at)
    assert roadmap_view(engine, SYSTEM, rid).kpis == rm.kpis


def test_a_form_save_over_someone_elses_change_is_refused_and_keeps_both(use_db, demo_template):
    """A leader edits an activity while its lead actor sets the status through their link: saving the
    stale row would undo that status, so it is refused; the leader's typing stays until they reload."""
    from edp.roadmap import operations as rmo

    engine, summary, at = demo_page(use_db, demo_template)
    rid = at.selectbox(key="rm-pick").value
    first = roadmap_view(engine, SYSTEM, rid).activities[0]
    at = pick_row(at, rid, "activities", first.id)
    key = form_prefix(at, rid, "activities", first.id)
    at.text_input(key=f"{key}-title").input("Ny rubrik")
    token = rmo.issue_links(engine, SYSTEM, summary["process_id"], [first.lead.id])[first.lead.id]
    new_status = "delayed" if first.status != "delayed" else "ongoing"
    rmo.actor_set_status(engine, token, first.id, new_status, "Försenad leverans")
    at = submit(at, key)

    assert sv("roadmap.changed_meanwhile") in [e.value for e in at.error]
    assert sv("ui.rm.row_changed") in [w.value for w in at.warning]
    after = roadmap_view(engine, SYSTEM, rid).activities[0]
    assert (after.title, after.status) == (first.title, new_status)  # nothing overwritten
    assert at.text_input(key=f"{key}-title").value == "Ny rubrik"  # the leader's typing is kept

    at = ok(at.button(key=f"rm-row-reload-{rid}-activities").click().run())
    key = form_prefix(at, rid, "activities", first.id)
    assert sv("ui.rm.row_changed") not in [w.value for w in at.warning]
    assert at.text_input(key=f"{key}-title").value == first.title
    assert at.selectbox(key=f"{key}-status").value == new_status


def test_an_untouched_form_simply_follows_other_peoples_changes(use_db, demo_template):
    from edp.roadmap import operations as rmo

    engine, summary, at = demo_page(use_db, demo_template)
    rid = at.selectbox(key="rm-pick").value
    first = roadmap_view(engine, SYSTEM, rid).activities[0]
    at = pick_row(at, rid, "activities", first.id)
    key = form_prefix(at, rid, "activities", first.id)
    token = rmo.issue_links(engine, SYSTEM, summary["process_id"], [first.lead.id])[first.lead.id]
    new_status = "cancelled" if first.status != "cancelled" else "done"
    rmo.actor_set_status(engine, token, first.id, new_status)
    at = ok(at.run())
    assert sv("ui.rm.row_changed") not in [w.value for w in at.warning]
    assert at.selectbox(key=f"{key}-status").value == new_status


def test_the_forms_english_labels(use_db, demo_template):
    engine, summary, at = demo_page(use_db, demo_template, lang="en")
    rid = at.selectbox(key="rm-pick").value
    picker = at.selectbox(key=f"rm-row-{rid}-activities")
    assert (picker.label, picker.options[0]) == ("Choose an activity to change", "New activity")
    key = form_prefix(at, rid, "activities")
    assert at.selectbox(key=f"{key}-lead_actor").placeholder == "Choose the lead actor"
    assert at.toggle(key=f"rm-grid-{rid}-activities").label == "Edit as a table (advanced)"


# ------------------------------------------------------------------ the grid, behind its toggle


def open_grid(at: AppTest, rid: int, table: str) -> AppTest:
    assert not [d for d in at.data_editor if d.key and f"-{table}-" in d.key]  # forms by default
    return ok(at.toggle(key=f"rm-grid-{rid}-{table}").set_value(True).run())


def test_a_refused_table_save_lists_each_bad_row_and_keeps_the_edits(use_db, demo_template):
    engine, summary, at = demo_page(use_db, demo_template)
    rid = at.selectbox(key="rm-pick").value
    before = roadmap_view(engine, SYSTEM, rid)
    at = open_grid(at, rid, "activities")
    key = editor_key(at, "activities")
    at.session_state[key] = {
        "edited_rows": {0: {"end": "2001-01-01"}},
        "added_rows": [{"title": "Utan mål", "start": "2026-01-01", "end": "2026-02-01"}],
        "deleted_rows": [],
    }
    at = ok(at.button(key=f"rm-save-{rid}-activities").click().run())

    assert [e.value for e in at.error] == [sv("ui.rm.rows_refused", n=2)]
    [lines] = [x for x in texts(at) if x.startswith(sv("ui.rm.row_error", row=1, message=""))]
    assert i18n.field_label("end", "sv") in lines.splitlines()[0]
    assert lines.splitlines()[1].startswith(sv("ui.rm.row_error", row=len(before.activities) + 1, message=""))
    assert i18n.field_label("goal", "sv") in lines.splitlines()[1]
    assert roadmap_view(engine, SYSTEM, rid).activities == before.activities
    assert editor_key(at, "activities") == key  # same editor: the user's edits are still in it


def test_a_good_table_save_writes_the_rows_and_shows_period_warnings(use_db, demo_template):
    engine, summary, at = demo_page(use_db, demo_template)
    rid = at.selectbox(key="rm-pick").value
    rm = roadmap_view(engine, SYSTEM, rid)
    lead = rm.activities[0].lead.name
    at = open_grid(at, rid, "activities")
    at.session_state[editor_key(at, "activities")] = {
        "edited_rows": {},
        "added_rows": [
            {
                "goal": rm.goals[0].title,
                "title": "Efter perioden",
                "start": "2035-01-01",
                "end": "2035-06-30",
                "lead_actor": lead,
                "partners": [rm.activities[1].lead.name],
                "budget_sek": 125000,
            }
        ],
        "deleted_rows": [],
    }
    at = ok(at.button(key=f"rm-save-{rid}-activities").click().run())

    assert sv("ui.rm.table_saved") in [s.value for s in at.success]
    [added] = [a for a in roadmap_view(engine, SYSTEM, rid).activities if a.title == "Efter perioden"]
    assert (added.title, added.lead.name, added.budget_sek) == ("Efter perioden", lead, 125000)
    assert [p.name for p in added.partners] == [rm.activities[1].lead.name]
    assert added.status == "planned"
    assert any(sv("roadmap.warn_activity_outside", title="Efter perioden") in x for x in texts(at))


# ------------------------------------------------------------------ Gantt, measurements, follow-up


def test_the_gantt_tab_draws_the_chart_and_the_toggle_colours_by_status(use_db, demo_template):
    engine, summary, at = demo_page(use_db, demo_template)
    rid = at.selectbox(key="rm-pick").value
    [tab] = [tab for tab in at.tabs if tab.label == sv("ui.rm.tab.gantt")]
    assert len(tab.get("plotly_chart")) == 1
    legend = {t.get("legendgroup") or t.get("name") for t in json.loads(tab.get("plotly_chart")[0].proto.spec)["data"]}
    assert any(a.lead.name in str(legend) for a in roadmap_view(engine, SYSTEM, rid).activities)

    at = ok(at.toggle(key=f"rm-gantt-status-{rid}").set_value(True).run())
    [tab] = [tab for tab in at.tabs if tab.label == sv("ui.rm.tab.gantt")]
    names = " ".join(str(t.get("name")) for t in json.loads(tab.get("plotly_chart")[0].proto.spec)["data"])
    assert sv("roadmap_charts.status.done") in names


def test_a_measurement_with_a_bad_value_is_refused_naming_the_field(use_db, demo_template):
    engine, summary, at = demo_page(use_db, demo_template)
    rid = at.selectbox(key="rm-pick").value
    rm = roadmap_view(engine, SYSTEM, rid)
    kpi = rm.kpis[0]
    key = f"rm-measure-{kpi.id}-{rm.version}"
    at.text_input(key=f"{key}-value").input("många")
    at = submit(at, key)

    assert [e.value for e in at.error] == [ValidationError("input.not_number", field="value").message("sv")]
    assert roadmap_view(engine, SYSTEM, rid).kpis[0].measurements == kpi.measurements

    at.text_input(key=f"{key}-value").input("12,5")
    at = submit(at, key)
    assert sv("ui.rm.measurement_added") in [s.value for s in at.success]
    assert 12.5 in [m.value for m in roadmap_view(engine, SYSTEM, rid).kpis[0].measurements]


def test_issued_links_are_shown_once_as_full_urls_and_recorded(use_db, demo_template, monkeypatch):
    monkeypatch.setenv("EDP_PUBLIC_URL", "https://edp.example.se")
    engine, summary, at = demo_page(use_db, demo_template)
    at = ok(at.button(key="rm-issue-links").click().run())

    [links] = [d.value for d in at.dataframe if sv("ui.rm.col.link") in d.value.columns]
    assert all(url.startswith("https://edp.example.se/?u=") for url in links[sv("ui.rm.col.link")])
    assert len(links) == len(linked_actors(engine, SYSTEM, summary["process_id"])) > 0
    assert not any(b.key == "rm-issue-links" for b in at.button)  # no second batch while these are shown

    at = ok(at.button(key="rm-links-done").click().run())
    assert not [d for d in at.dataframe if sv("ui.rm.col.link") in d.value.columns]
    assert any(b.key == "rm-issue-links" for b in at.button)


def test_mark_followed_up_empties_the_change_list(use_db, demo_template):
    engine, summary, at = demo_page(use_db, demo_template)
    rid = at.selectbox(key="rm-pick").value
    at = ok(at.button(key=f"rm-followed-{rid}").click().run())

    assert roadmap_view(engine, SYSTEM, rid).followed_up_at is not None
    assert sv("ui.rm.no_changes") in [i.value for i in at.info]


# ------------------------------------------------------------------ language and user text


def test_english_labels_when_the_language_is_english(use_db, demo_template):
    engine, summary, at = demo_page(use_db, demo_template, lang="en")

    assert at.title[0].value == "Roadmaps"
    assert [tab.label for tab in at.tabs][:3] == ["Overview", "Goals", "Activities"]
    assert "Roadmap" in at.dataframe[0].value.columns
    assert at.selectbox(key="rm-pick").label == "Roadmap"


def test_user_text_with_markup_is_shown_literally(use_db, demo_template):
    engine = use_db(demo_template)
    summary = summary_of(demo_template)
    rid = create_roadmap(
        engine,
        SYSTEM,
        summary["process_id"],
        {"title": "<b>Fet</b> **stjärna**", "vision": "[länk](javascript:alert(1))", "period_start": "2026-01-01",
         "period_end": "2027-12-31"},
    )  # fmt: skip
    at = signed_in(engine, summary["completed_workshop_id"], roadmap=rid)

    assert at.selectbox(key="rm-pick").value == rid
    assert "<b>Fet</b> **stjärna**" in texts(at)
    assert "[länk](javascript:alert(1))" in texts(at)
    assert "<b>" not in markdown(at) and "stjärna" not in markdown(at)


# ------------------------------------------------------------------ import and delete


def exported_workbook(engine, roadmap_id: int, *, bad_end: bool = False) -> bytes:
    """The demo roadmap's XLSX export, optionally with its first activity ending before it starts."""
    from openpyxl import load_workbook

    from edp.roadmap.io import to_xlsx

    data = to_xlsx(roadmap_view(engine, SYSTEM, roadmap_id))
    if not bad_end:
        return data
    book = load_workbook(io.BytesIO(data))
    sheet = book["activities"]
    header = [c.value for c in sheet[1]]
    sheet.cell(row=2, column=header.index("end") + 1, value="2001-01-01")
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def open_import(at: AppTest) -> AppTest:
    return ok(at.radio(key="rm-new-way").set_value("file").run())


def test_an_exported_workbook_imports_as_a_new_selected_roadmap(use_db, demo_template):
    engine, summary, at = demo_page(use_db, demo_template)
    source = roadmap_view(engine, SYSTEM, summary["roadmap_ids"][0])
    at = open_import(at)
    at.file_uploader(key="rm-import-file").upload("fardplan.xlsx", exported_workbook(engine, source.id), XLSX)
    at = ok(at.run())
    at = ok(at.button(key="rm-import-go").click().run())

    assert [s.value for s in at.success] == [sv("ui.rm.imported")]
    rid = at.selectbox(key="rm-pick").value
    assert rid not in summary["roadmap_ids"]
    copy = roadmap_view(engine, SYSTEM, rid)
    assert copy.title == source.title
    assert [a.title for a in copy.activities] == [a.title for a in source.activities]


def test_a_bad_workbook_lists_sheet_and_row_and_imports_nothing(use_db, demo_template):
    engine, summary, at = demo_page(use_db, demo_template)
    count = len(roadmap_summaries(engine, SYSTEM, summary["process_id"]))
    at = open_import(at)
    data = exported_workbook(engine, summary["roadmap_ids"][0], bad_end=True)
    at.file_uploader(key="rm-import-file").upload("fardplan.xlsx", data, XLSX)
    at = ok(at.run())
    at = ok(at.button(key="rm-import-go").click().run())

    assert at.error
    lines = [x for x in texts(at) if x.startswith(sv("ui.rm.sheet.activities"))]
    assert lines and lines[0].startswith(
        sv("ui.rm.sheet_row_error", sheet=sv("ui.rm.sheet.activities"), row=2, message="")
    )
    assert len(roadmap_summaries(engine, SYSTEM, summary["process_id"])) == count


def test_delete_needs_the_confirmation_and_then_removes_the_roadmap(use_db, demo_template):
    engine, summary, at = demo_page(use_db, demo_template)
    rid = at.selectbox(key="rm-pick").value
    assert at.button(key=f"rm-delete-{rid}").disabled
    at = ok(at.checkbox(key=f"rm-delete-sure-{rid}").check().run())
    at = ok(at.button(key=f"rm-delete-{rid}").click().run())

    assert sv("ui.rm.deleted") in [s.value for s in at.success]
    assert rid not in {s.id for s in roadmap_summaries(engine, SYSTEM, summary["process_id"])}
    assert at.selectbox(key="rm-pick").value != rid


def test_a_save_over_someone_elses_change_is_refused_and_keeps_both(use_db, demo_template):
    """A leader edits the activities while a lead actor sets a status through their link: saving the
    stale table would undo that status, so it is refused; the leader's edits stay until they reload."""
    from edp.roadmap import operations as rmo

    engine, summary, at = demo_page(use_db, demo_template)
    rid = at.selectbox(key="rm-pick").value
    rm = roadmap_view(engine, SYSTEM, rid)
    first = rm.activities[0]
    at = open_grid(at, rid, "activities")
    key = editor_key(at, "activities")
    at.session_state[key] = {"edited_rows": {0: {"title": "Ny rubrik"}}, "added_rows": [], "deleted_rows": []}
    token = rmo.issue_links(engine, SYSTEM, rm.process_id, [first.lead.id])[first.lead.id]
    new_status = "delayed" if first.status != "delayed" else "ongoing"
    rmo.actor_set_status(engine, token, first.id, new_status, "Försenad leverans")
    at = ok(at.run())
    assert sv("ui.rm.table_changed") in [w.value for w in at.warning]
    assert editor_key(at, "activities") == key  # the leader's edits are still in the same editor

    at = ok(at.button(key=f"rm-save-{rid}-activities").click().run())
    assert sv("roadmap.changed_meanwhile") in [e.value for e in at.error]
    after = roadmap_view(engine, SYSTEM, rid).activities[0]
    assert (after.title, after.status) == (first.title, new_status)  # nothing overwritten

    at = ok(at.button(key=f"rm-reload-{rid}-activities").click().run())
    assert sv("ui.rm.table_changed") not in [w.value for w in at.warning]
    assert editor_key(at, "activities") != key  # a fresh editor on the latest table


def test_without_edits_the_table_simply_follows_other_peoples_changes(use_db, demo_template):
    from edp.roadmap import operations as rmo

    engine, summary, at = demo_page(use_db, demo_template)
    rid = at.selectbox(key="rm-pick").value
    rm = roadmap_view(engine, SYSTEM, rid)
    first = rm.activities[0]
    at = open_grid(at, rid, "activities")
    token = rmo.issue_links(engine, SYSTEM, rm.process_id, [first.lead.id])[first.lead.id]
    rmo.actor_set_status(engine, token, first.id, "cancelled" if first.status != "cancelled" else "done")
    at = ok(at.run())
    assert sv("ui.rm.table_changed") not in [w.value for w in at.warning]
    [editor] = [d for d in at.data_editor if d.key and "-activities-" in d.key]
    assert list(editor.value["status"])[0] == roadmap_view(engine, SYSTEM, rid).activities[0].status
