"""The lead actor's update page (?u=TOKEN) through AppTest, on a copy of the demo: a stale link,
only the actor's own work, setting a status (audited under the actor's name), measurements.
"""

from __future__ import annotations

import json
from pathlib import Path

from streamlit.testing.v1 import AppTest

from edp import i18n
from edp.access import SYSTEM
from edp.errors import ValidationError
from edp.roadmap.operations import actor_work, changes_since_follow_up, issue_links
from edp.roadmap.views import roadmap_view
from tests.app.support import APP, TIMEOUT_S, ok


def sv(key: str, **params) -> str:
    return i18n.t(key, "sv", **params)


def summary_of(template: Path) -> dict:
    return json.loads((template.parent / "summary.json").read_text())


def update_page(token: str) -> AppTest:
    at = AppTest.from_file(str(APP), default_timeout=TIMEOUT_S)
    at.query_params["u"] = token
    return ok(at.run())


def submit(at: AppTest, prefix: str) -> AppTest:
    [button] = [b for b in at.button if b.key and b.key.startswith(f"FormSubmitter:{prefix}")]
    return ok(button.click().run())


def texts(at: AppTest) -> list[str]:
    return [e.value for e in at.text]


def lead_with_activities_and_kpis(engine, summary: dict) -> tuple[str, object]:
    """A token for a demo actor who leads activities and KPIs, with their work."""
    tokens = issue_links(engine, SYSTEM, summary["process_id"])
    works = [actor_work(engine, token) for token in tokens.values()]
    work = max(works, key=lambda w: (bool(w.kpis), len(w.activities)))
    assert work.activities and work.kpis
    token = next(tok for tok in tokens.values() if actor_work(engine, tok).actor_id == work.actor_id)
    return token, work


def test_an_unknown_link_shows_a_friendly_error_and_nothing_else(use_db, demo_template):
    use_db(demo_template)
    at = update_page("not-a-real-token")

    assert [e.value for e in at.error] == [sv("link.invalid")]
    assert not at.text and not at.form and not at.dataframe
    assert [s.key for s in at.selectbox] == ["lang_select"]
    assert not at.get("page_link")


def test_a_replaced_link_no_longer_works(use_db, demo_template):
    engine = use_db(demo_template)
    summary = summary_of(demo_template)
    old, work = lead_with_activities_and_kpis(engine, summary)
    issue_links(engine, SYSTEM, summary["process_id"], [work.actor_id])

    at = update_page(old)
    assert [e.value for e in at.error] == [sv("link.invalid")]
    assert work.actor_name not in texts(at)


def test_the_page_shows_only_the_actors_own_activities_and_kpis(use_db, demo_template):
    engine = use_db(demo_template)
    summary = summary_of(demo_template)
    token, work = lead_with_activities_and_kpis(engine, summary)
    at = update_page(token)

    assert work.actor_name in texts(at)
    mine = {a.title for _, _, a in work.activities}
    others = {
        a.title
        for rid in summary["roadmap_ids"]
        for a in roadmap_view(engine, SYSTEM, rid).activities
        if a.lead.id != work.actor_id
    } - mine
    shown = set(texts(at))
    assert mine <= shown and not (others & shown)
    assert {k.name for _, k in work.kpis} <= shown
    status_boxes = [s for s in at.selectbox if s.key.startswith("upd-act-")]
    assert len(status_boxes) == len(work.activities)
    assert not at.data_editor and not at.get("page_link")  # nothing of the leader's page


def test_setting_a_status_saves_it_and_the_leader_sees_who_did_it(use_db, demo_template):
    engine = use_db(demo_template)
    summary = summary_of(demo_template)
    token, work = lead_with_activities_and_kpis(engine, summary)
    roadmap_title, _, activity = work.activities[0]
    new = "delayed" if activity.status != "delayed" else "ongoing"
    at = update_page(token)
    at.selectbox(key=f"upd-act-{activity.id}-0-status").select(new)
    at.text_input(key=f"upd-act-{activity.id}-0-comment").input("Väntar på besked om medfinansiering")
    at = submit(at, f"upd-act-{activity.id}-0")

    assert [s.value for s in at.success] == [sv("ui.upd.status_saved")]
    [rid] = [rid for rid in summary["roadmap_ids"] if roadmap_view(engine, SYSTEM, rid).title == roadmap_title]
    [saved] = [a for a in roadmap_view(engine, SYSTEM, rid).activities if a.id == activity.id]
    assert saved.status == new
    [change] = [c for c in changes_since_follow_up(engine, SYSTEM, rid) if c.kind == "activity.status"]
    assert change.actor == work.actor_name
    assert change.detail["after"] == new and change.detail["comment"] == "Väntar på besked om medfinansiering"
    assert at.text_input(key=f"upd-act-{activity.id}-1-comment").value == ""  # a fresh form


def test_a_bad_measurement_value_is_refused_naming_the_field(use_db, demo_template):
    engine = use_db(demo_template)
    summary = summary_of(demo_template)
    token, work = lead_with_activities_and_kpis(engine, summary)
    _, kpi = work.kpis[0]
    key = f"upd-kpi-form-{kpi.id}-{len(kpi.measurements)}"
    at = update_page(token)
    at.text_input(key=f"{key}-value").input("ungefär tio")
    at = submit(at, key)

    [message] = [e.value for e in at.error]
    assert message == ValidationError("input.not_number", field="value").message("sv")
    assert i18n.field_label("value", "sv") in message
    [again] = [k for _, k in actor_work(engine, token).kpis if k.id == kpi.id]
    assert again.measurements == kpi.measurements
    assert at.text_input(key=f"{key}-value").value == "ungefär tio"  # kept for correcting


def test_a_good_measurement_is_recorded_under_the_actors_name(use_db, demo_template):
    engine = use_db(demo_template)
    summary = summary_of(demo_template)
    token, work = lead_with_activities_and_kpis(engine, summary)
    _, kpi = work.kpis[0]
    key = f"upd-kpi-form-{kpi.id}-{len(kpi.measurements)}"
    at = update_page(token)
    at.text_input(key=f"{key}-value").input("7,5")
    at = submit(at, key)

    assert [s.value for s in at.success] == [sv("ui.rm.measurement_added")]
    [again] = [k for _, k in actor_work(engine, token).kpis if k.id == kpi.id]
    [m] = [m for m in again.measurements if m not in kpi.measurements]
    assert (m.value, m.recorded_by) == (7.5, work.actor_name)


def test_english_when_the_language_is_english(use_db, demo_template):
    engine = use_db(demo_template)
    token, _ = lead_with_activities_and_kpis(engine, summary_of(demo_template))
    at = AppTest.from_file(str(APP), default_timeout=TIMEOUT_S)
    at.query_params["u"] = token
    at.session_state["lang"] = "en"
    at = ok(at.run())

    assert at.title[0].value == "Update the roadmap"
    assert [h.value for h in at.subheader] == ["Your activities", "Your KPIs"]
