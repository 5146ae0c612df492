"""The process leader's roadmap page through AppTest, on a copy of the demo: sign-in, creating a
roadmap from a priority, a refused update, the table editors' save path, Gantt, follow-up links,
English labels, and user text shown literally.

Every test checks the database too, not only the screen.
"""

from __future__ import annotations

import io
import json
from pathlib import Path

from streamlit.testing.v1 import AppTest

from edp import accounts, demo, i18n
from edp import workshop as ops
from edp.access import SYSTEM
from edp.errors import ValidationError
from edp.queries import overview
from edp.roadmap_views import roadmap_summaries, roadmap_view
from edp.roadmaps import create_roadmap, linked_actors
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


# ------------------------------------------------------------------ table editors


def test_a_refused_table_save_lists_each_bad_row_and_keeps_the_edits(use_db, demo_template):
    engine, summary, at = demo_page(use_db, demo_template)
    rid = at.selectbox(key="rm-pick").value
    before = roadmap_view(engine, SYSTEM, rid)
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

    from edp.roadmap_io import to_xlsx

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
    from edp import roadmaps as rmo

    engine, summary, at = demo_page(use_db, demo_template)
    rid = at.selectbox(key="rm-pick").value
    rm = roadmap_view(engine, SYSTEM, rid)
    first = rm.activities[0]
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
    from edp import roadmaps as rmo

    engine, summary, at = demo_page(use_db, demo_template)
    rid = at.selectbox(key="rm-pick").value
    rm = roadmap_view(engine, SYSTEM, rid)
    first = rm.activities[0]
    token = rmo.issue_links(engine, SYSTEM, rm.process_id, [first.lead.id])[first.lead.id]
    rmo.actor_set_status(engine, token, first.id, "cancelled" if first.status != "cancelled" else "done")
    at = ok(at.run())
    assert sv("ui.rm.table_changed") not in [w.value for w in at.warning]
    [editor] = [d for d in at.data_editor if d.key and "-activities-" in d.key]
    assert list(editor.value["status"])[0] == roadmap_view(engine, SYSTEM, rid).activities[0].status
