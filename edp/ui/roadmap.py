"""Widgets for the roadmap pages: the process leader's (pages/roadmaps.py) and the lead actor's
update page (pages/update.py). Operations go through `attempt`, which shows a refusal where it
happened (row by row for a table or a workbook); a success is reported by `flash` in the same
section after a rerun, so the screen shows the new state. User text is shown with `plain`,
in tables (st.dataframe / st.data_editor, which never interpret it), as select options or in
charts (escaped there). The four tables are edited one row at a time in forms (`table_panel`).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import streamlit as st
from sqlalchemy.exc import SQLAlchemyError

from edp import config, i18n
from edp.charts import number
from edp.errors import Conflict, EdpError, RowErrors, SheetErrors, ValidationError
from edp.imports import list_actors
from edp.io.exporters import EXPORTERS, Options, Source, mime_type
from edp.io.exports import safe_csv
from edp.models import ACTIVITY_STATUSES, KPI_KINDS, ROADMAP_STATUSES
from edp.queries import overview
from edp.roadmap import charts as roadmap_charts
from edp.roadmap import operations as ops
from edp.roadmap.status import kpi_status
from edp.roadmap.views import KpiView, PriorityChoice, ProcessRoadmaps, RoadmapSummary, RoadmapView, priority_choices
from edp.ui import actions
from edp.ui.actions import guard, notice_lines  # noqa: F401 - guard: the pages' section guard, re-exported
from edp.ui.common import engine, lang, local_clock, t
from edp.ui.session import organiser_token, principal, sign_in_link
from edp.ui.text import metric, plain, show_error

log = logging.getLogger(__name__)

PICK = "rm-pick"  # the chosen roadmap (selectbox key); mirrored in the URL as ?roadmap=ID
PICK_NEXT = "_rm_pick_next"  # a roadmap to select on the next run (a widget's value is set before it is drawn)
FILES = "_rm_files"  # generated downloads, so a rerun keeps them: name -> {file name: (bytes, file name, label, mime)}
LINKS = "_rm_links"  # update links just issued, shown until dismissed: process id -> [(actor, link)]
QUERY = "roadmap"
TABLES = ("goals", "activities", "milestones", "kpis")
SAVE = {
    "goals": ops.save_goals,
    "activities": ops.save_activities,
    "milestones": ops.save_milestones,
    "kpis": ops.save_kpis,
}
DATE_COLUMNS = ("start", "end", "date", "baseline_date", "target_date")
# Streamlit's and plotly's own toolbars speak English only ("Download as CSV", "Search", "Zoom in")
# and the page has its own downloads: hidden, except on the advanced table editor, which needs its toolbar.
CHART_CONFIG = {"displayModeBar": False}
ROADMAP_CSS = """
<style>
[data-testid="stMain"] [data-testid="stElementToolbar"]:not([class*="st-key-rm-gridbox-"] *) { display: none !important; }
</style>
"""
# ---------------------------------------------------------------- calling operations


def roadmap_style() -> None:
    """The page's CSS (our own, fixed text)."""
    st.html(ROADMAP_CSS)


def refusal(err: EdpError) -> None:
    """The engine's message; a table's or workbook's bad rows one line each, as plain text
    (a row's message can quote what the user typed)."""
    if isinstance(err, RowErrors):  # a table save (the engine's own wording speaks of an import)
        st.error(t("ui.rm.rows_refused", n=len(err.rows)))
        lines = [t("ui.rm.row_error", row=n, message=e.message(lang())) for n, e in err.rows]
    elif isinstance(err, SheetErrors):
        show_error(err)
        lines = [
            t("ui.rm.sheet_row_error", sheet=t(f"ui.rm.sheet.{sheet}"), row=n, message=e.message(lang()))
            for sheet, n, e in err.rows
        ]
    else:
        show_error(err)
        return
    with st.container(border=True, key="rm-row-errors"):
        plain("\n".join(lines), key="rm-row-errors")


def attempt(fn: Callable[..., Any], *args: Any, **kwargs: Any) -> tuple[bool, Any]:
    """actions.attempt with the organiser's token: the engine checks their role in the roadmap's
    process; a table's or workbook's bad rows are listed one line each (refusal)."""
    return actions.attempt(fn, organiser_token(), *args, refusal=refusal, **kwargs)


def flash(section: str, message: str, notices: Iterable[ops.Notice] = ()) -> None:
    """Report success in `section` on the next run (which shows the new state) and rerun now."""
    actions.flash(message, slot=section, notices=[n.message(lang()) for n in notices])


def flash_slot(section: str) -> None:
    actions.flash_slot(section, key=f"rm-flash-{section}")


# ---------------------------------------------------------------- access and reading


@dataclass(frozen=True)
class ProcessContext:
    """The process whose roadmaps are shown, its actors, and whether this organiser may change them."""

    process_id: int
    process_title: str
    actors: tuple[tuple[int, str, str], ...]  # (id, name, helix)
    can_edit: bool


PROCESS = "rm-process-pick"


def process_context() -> ProcessContext | None:
    """The signed-in organiser's choice among the processes they lead or observe; None if none."""
    p = principal()
    if p is None:
        return None
    processes = [proc for proc in overview(engine()) if p.may_read(proc["id"])]
    if not processes:
        st.info(t("ui.rm.no_processes"), icon=":material/info:")
        st.stop()
    titles = {proc["id"]: proc["title"] for proc in processes}
    if st.session_state.get(PROCESS) not in titles:
        st.session_state.pop(PROCESS, None)
    pid = st.selectbox(
        t("ui.setup.process"),
        list(titles),
        format_func=titles.__getitem__,
        key=PROCESS,
        placeholder=t("ui.rm.ph.choose"),
    )
    ok, actors = attempt(list_actors, pid)
    if not ok:
        st.stop()
    return ProcessContext(pid, titles[pid], tuple((a["id"], a["name"], a["helix"]) for a in actors), p.may_lead(pid))


def sign_in_hint() -> None:
    st.info(t("ui.rm.sign_in_first"), icon=":material/lock:")
    if principal() is None:
        sign_in_link()


def process_priorities(process_id: int) -> list[PriorityChoice]:
    return priority_choices(engine(), organiser_token(), process_id)


def actor_names(ctx: ProcessContext) -> dict[int, str]:
    return {aid: name for aid, name, _ in ctx.actors}


# Status names as the charts and reports word them.
def roadmap_status_label(code: str) -> str:
    return roadmap_charts.roadmap_status_name(code, lang())


def activity_status_label(code: str) -> str:
    return roadmap_charts.status_name(code, lang())


def kpi_status_label(code: str) -> str:
    return roadmap_charts.kpi_status_name(code, lang())


def kpi_kind_label(code: str) -> str:
    return t(f"ui.rm.kpi_kind.{code}")


def period_text(start: dt.date, end: dt.date) -> str:
    return f"{start.isoformat()} – {end.isoformat()}"


def local_time(at: dt.datetime) -> str:
    return local_clock(at, "%Y-%m-%d %H:%M")


def value_text(value: float | None, unit: str = "") -> str:
    return f"{number(value, lang(), 2)} {unit}".strip()


def latest_measurement(kpi: KpiView) -> float | None:
    return max(kpi.measurements, key=lambda m: (m.date, m.id)).value if kpi.measurements else None


# ---------------------------------------------------------------- the process overview


def overview_table(summaries: Sequence[RoadmapSummary]) -> None:
    if not summaries:
        st.info(t("ui.rm.no_roadmaps"))
        return
    frame = pd.DataFrame(
        [
            {
                t("ui.rm.col.title"): s.title,
                t("ui.rm.col.status"): roadmap_status_label(s.status),
                t("ui.rm.col.period"): period_text(s.period_start, s.period_end),
                t("ui.rm.col.owner"): s.owner or "–",
                t("ui.rm.col.goals"): s.goals,
                t("ui.rm.col.activities"): s.activities,
                t("ui.rm.col.kpis"): s.kpis,
                t("ui.rm.col.priority"): s.priority_title or "–",
            }
            for s in summaries
        ]
    )
    st.dataframe(frame, hide_index=True, key="rm-overview")


def portfolio_chart(pr: ProcessRoadmaps) -> None:
    if pr.roadmaps:
        st.plotly_chart(
            roadmap_charts.portfolio_figure(pr, lang()),
            key="rm-portfolio",
            width="stretch",
            theme=None,
            config=CHART_CONFIG,
        )


# ---------------------------------------------------------------- choosing a roadmap


def select_next(roadmap_id: int) -> None:
    st.session_state[PICK_NEXT] = roadmap_id


def pick_roadmap(summaries: Sequence[RoadmapSummary]) -> int | None:
    """The selectbox of the process's roadmaps; the choice is kept in session_state and the URL."""
    ids = [s.id for s in summaries]
    if not ids:
        st.query_params.pop(QUERY, None)
        return None
    titles = {s.id: s.title for s in summaries}
    wanted = st.session_state.pop(PICK_NEXT, None)
    raw = st.query_params.get(QUERY, "")
    from_url = int(raw) if raw.isdigit() else None
    if wanted in ids:
        st.session_state[PICK] = wanted
    elif st.session_state.get(PICK) not in ids:
        st.session_state[PICK] = from_url if from_url in ids else ids[0]
    rid = st.selectbox(t("ui.rm.pick"), ids, format_func=titles.__getitem__, key=PICK, placeholder=t("ui.rm.ph.choose"))
    st.query_params[QUERY] = str(rid)
    return rid


# ---------------------------------------------------------------- creating a roadmap

WAYS = ("priority", "empty", "template", "file")


def _default_period() -> tuple[dt.date, dt.date]:
    year = dt.date.today().year
    return dt.date(year, 1, 1), dt.date(year + 2, 12, 31)


def _roadmap_fields(key: str, actors: Mapping[int, str], defaults: Mapping[str, Any]) -> dict[str, Any]:
    """Title, vision, period and owner inputs (inside a form); returns the roadmap's data."""
    title = st.text_input(t("field.title"), defaults.get("title", ""), key=f"{key}-title")
    vision = st.text_area(t("field.vision"), defaults.get("vision", ""), key=f"{key}-vision")
    a, b = st.columns(2)
    start = a.date_input(t("field.roadmap_start"), defaults["period_start"], key=f"{key}-start", format="YYYY-MM-DD")
    end = b.date_input(t("field.roadmap_end"), defaults["period_end"], key=f"{key}-end", format="YYYY-MM-DD")
    owners = [None, *actors]
    owner = st.selectbox(
        t("field.owner"),
        owners,
        index=owners.index(defaults.get("owner")) if defaults.get("owner") in owners else 0,
        format_func=lambda i: actors[i] if i is not None else t("ui.rm.no_owner"),
        key=f"{key}-owner",
        placeholder=t("ui.rm.ph.choose"),
    )
    return {
        "title": title,
        "vision": vision,
        "period_start": start,
        "period_end": end,
        "owner": owner,
    }


def create_panel(wv: ProcessContext, pr: ProcessRoadmaps) -> None:
    """Four ways to a new roadmap: from a priority, empty, from the S3 template, from a workbook."""
    way = st.radio(
        t("ui.rm.new_how"),
        WAYS,
        format_func=lambda w: t(f"ui.rm.new_way.{w}"),
        horizontal=True,
        key="rm-new-way",
    )
    actors = actor_names(wv)
    if way == "priority":
        _create_from_priority(wv, pr, actors)
    elif way == "file":
        import_panel(wv.process_id)
    else:
        _create_blank(wv, actors, template=way == "template")


def _create_from_priority(wv: ProcessContext, pr: ProcessRoadmaps, actors: Mapping[int, str]) -> None:
    choices = {p.id: p for p in process_priorities(wv.process_id)}
    if not choices:
        st.info(t("ui.rm.no_priorities"))
        return
    planned = {rm.priority.id for rm in pr.roadmaps if rm.priority}

    def label(pid: int) -> str:
        p = choices[pid]
        mark = f" ({t('ui.rm.has_roadmap')})" if pid in planned else ""
        return f"#{p.rank} {p.title} – {p.workshop_title}{mark}"

    ids = list(choices)
    first_open = next((i for i in ids if i not in planned), ids[0])
    pid = st.selectbox(
        t("ui.rm.pick_priority"),
        ids,
        index=ids.index(first_open),
        format_func=label,
        key="rm-new-priority",
        placeholder=t("ui.rm.ph.choose"),
    )
    p = choices[pid]
    when = p.workshop_date.isoformat() if p.workshop_date else t("ui.rm.no_date")
    plain(t("ui.rm.chosen_at", workshop=p.workshop_title, date=when, rank=p.rank), key="rm-new-chosen-at")
    ok, defaults = attempt(ops.priority_defaults, pid)
    if not ok:
        return
    with st.form(f"rm-new-p-{pid}"):
        data = _roadmap_fields(f"rm-new-p-{pid}", actors, defaults)
        if not st.form_submit_button(t("ui.rm.create"), type="primary"):
            return
    ok, rid = attempt(ops.create_from_priority, pid, data)
    if ok:
        select_next(rid)
        flash("create", t("ui.rm.created"))


def _create_blank(wv: ProcessContext, actors: Mapping[int, str], *, template: bool) -> None:
    start, end = _default_period()
    if template:
        st.caption(t("ui.rm.template_help"))
    key = "rm-new-t" if template else "rm-new-e"
    with st.form(key):
        data = _roadmap_fields(key, actors, {"period_start": start, "period_end": end})
        if not st.form_submit_button(t("ui.rm.create"), type="primary"):
            return
    if template and data["owner"] is None:
        # The template's KPIs need a lead actor; check before anything is written.
        refusal(ValidationError("input.required", field="owner"))
        return
    ok, rid = attempt(ops.create_roadmap, wv.process_id, data)
    if not ok:
        return
    if template:
        ok, _ = attempt(ops.add_template_kpis, rid, lang())
        if not ok:
            select_next(rid)  # the roadmap exists; its KPIs can be added in the KPI table
            return
    select_next(rid)
    flash("create", t("ui.rm.created"))


def import_panel(process_id: int) -> None:
    """A workbook in the export layout (XLSX) becomes a new roadmap; nothing is written if any row is bad."""
    from edp.roadmap import io as roadmap_io

    st.caption(t("ui.rm.import_help"))
    from edp.files import megabytes, read_capped

    limit = megabytes(roadmap_io.MAX_BYTES)
    upload = st.file_uploader(
        t("ui.rm.import_file"), type=["xlsx"], key="rm-import-file",
        max_upload_size=limit, help=t("file.upload_limit", max=limit),
    )  # fmt: skip
    clicked = st.button(t("ui.rm.import_button"), key="rm-import-go", icon=":material/upload:", disabled=upload is None)
    if not clicked or upload is None:  # a file removed as the button was clicked: nothing to import
        return
    try:
        sheets = roadmap_io.parse_xlsx(read_capped(upload, roadmap_io.MAX_BYTES))
    except EdpError as err:
        refusal(err)
        return
    ok, rid = attempt(ops.import_roadmap, process_id, sheets)
    if ok:
        select_next(rid)
        flash("create", t("ui.rm.imported"))


# ---------------------------------------------------------------- tab: overview


def overview_form(rm: RoadmapView, actors: Mapping[int, str]) -> None:
    flash_slot("overview")
    # The form's key changes with each saved version: after a save it shows the stored values,
    # after a refusal (nothing written, same version) it keeps what was typed.
    key = f"rm-edit-{rm.id}-{rm.version}"
    with st.form(key):
        data = _roadmap_fields(
            key,
            actors,
            {
                "title": rm.title,
                "vision": rm.vision,
                "period_start": rm.period_start,
                "period_end": rm.period_end,
                "owner": rm.owner.id if rm.owner else None,
            },
        )
        data["status"] = st.selectbox(
            t("field.status"),
            ROADMAP_STATUSES,
            index=ROADMAP_STATUSES.index(rm.status),
            format_func=roadmap_status_label,
            key=f"{key}-status",
            placeholder=t("ui.rm.ph.choose"),
        )
        if not st.form_submit_button(t("ui.rm.save"), type="primary"):
            return
    ok, notices = attempt(ops.update_roadmap, rm.id, data)
    if ok:
        flash("overview", t("ui.rm.saved"), notices)


def roadmap_header(rm: RoadmapView) -> None:
    """The chosen roadmap: title, then status, period and owner, then the vision (all plain text)."""
    plain(rm.title, key=f"rm-{rm.id}-title", kind="title")
    facts = [roadmap_status_label(rm.status), period_text(rm.period_start, rm.period_end)]
    plain(" · ".join([*facts, rm.owner.name] if rm.owner else facts), key=f"rm-{rm.id}-facts")
    if rm.vision:
        plain(rm.vision, key=f"rm-{rm.id}-vision")


def traceability(rm: RoadmapView) -> None:
    """Where the roadmap came from: the workshop and the priority that chose it."""
    p = rm.priority
    if p is None:
        st.caption(t("ui.rm.no_priority_link"))
        return
    when = p.workshop_date.isoformat() if p.workshop_date else t("ui.rm.no_date")
    plain(t("ui.rm.chosen_at", workshop=p.workshop_title, date=when, rank=p.rank), key=f"rm-{rm.id}-chosen-at")
    params = {"round": str(p.round_ids[-1])} if p.round_ids else None
    st.page_link("pages/results.py", label=t("ui.rm.see_results"), icon=":material/leaderboard:", query_params=params)


def period_notices(rm: RoadmapView) -> None:
    notice_lines([n.message(lang()) for n in ops.period_warnings(rm)], key=f"period-{rm.id}")


def delete_panel(rm: RoadmapView) -> None:
    st.caption(t("ui.rm.delete_help"))
    sure = st.checkbox(t("ui.rm.delete_confirm"), key=f"rm-delete-sure-{rm.id}")
    if st.button(t("ui.rm.delete"), key=f"rm-delete-{rm.id}", icon=":material/delete:", disabled=not sure):
        ok, _ = attempt(ops.delete_roadmap, rm.id)
        if ok:
            st.session_state.pop(PICK, None)
            st.query_params.pop(QUERY, None)
            flash("create", t("ui.rm.deleted"))


# ---------------------------------------------------------------- tabs: the four tables


def _dates(values: Iterable[dt.date | None]) -> pd.Series:
    return pd.Series(pd.to_datetime(list(values)), dtype="datetime64[ns]")


def table_frame(rm: RoadmapView, table: str) -> pd.DataFrame:
    """A table as the editor shows it: an id column (hidden; empty for new rows) and the columns
    of the workbook layout, with goals and actors by name."""
    if table == "goals":
        rows = [{"id": g.id, "title": g.title, "description": g.description} for g in rm.goals]
    elif table == "activities":
        rows = [
            {
                "id": a.id,
                "goal": rm.goal_title(a.goal_id),
                "title": a.title,
                "description": a.description,
                "start": a.start,
                "end": a.end,
                "status": a.status,
                "lead_actor": a.lead.name,
                "partners": [p.name for p in a.partners],
                "budget_sek": a.budget_sek,
                "funding_source": a.funding_source,
            }
            for a in rm.activities
        ]
    elif table == "milestones":
        rows = [
            {"id": m.id, "goal": rm.goal_title(m.goal_id) or None, "title": m.title, "date": m.date}
            for m in rm.milestones
        ]
    else:
        rows = [
            {
                "id": k.id,
                "goal": rm.goal_title(k.goal_id) or None,
                "name": k.name,
                "unit": k.unit,
                "kind": k.kind,
                "baseline_value": k.baseline_value,
                "baseline_date": k.baseline_date,
                "target_value": k.target_value,
                "target_date": k.target_date,
                "lead_actor": k.lead.name,
                "source": k.source,
                "eu_code": k.eu_code,
            }
            for k in rm.kpis
        ]
    from edp.roadmap.io import SHEETS

    columns = ["id", *SHEETS[table]]
    frame = pd.DataFrame(rows, columns=columns)
    frame["id"] = frame["id"].astype("Int64")
    for col in DATE_COLUMNS:
        if col in frame:
            frame[col] = _dates(frame[col])
    for col in ("budget_sek", "baseline_value", "target_value"):
        if col in frame:
            frame[col] = frame[col].astype("float64")
    return frame


def _cell(value: Any) -> Any:
    """An editor cell as a plain value for the engine: None for empty, a date, int/float, str, list."""
    if isinstance(value, list | tuple | np.ndarray):  # a multiselect cell
        return [str(v) for v in list(value)]
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return None
    if isinstance(value, pd.Timestamp | dt.datetime):
        return value.date()
    if hasattr(value, "item"):  # a numpy scalar
        value = value.item()
    return value


def rows_from_frame(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """The editor's table as row dicts for the save_* operations, in the order shown."""
    rows = []
    for record in frame.to_dict("records"):
        row = {k: _cell(v) for k, v in record.items()}
        if isinstance(row.get("id"), float):
            row["id"] = int(row["id"])
        if isinstance(row.get("budget_sek"), float) and row["budget_sek"].is_integer():
            row["budget_sek"] = int(row["budget_sek"])
        rows.append(row)
    return rows


def save_rows(table: str, roadmap_id: int, rows: Sequence[Mapping[str, Any]]) -> bool:
    """Save a whole table; on success show the stored table afresh and report the save (and any
    period warnings) after a rerun."""
    ok, notices = attempt(SAVE[table], roadmap_id, rows)
    if ok:
        _unpin(roadmap_id, table)
        flash(table, t("ui.rm.table_saved"), notices or ())
    return ok


def _column_config(table: str, goals: list[str], actors: list[str]) -> dict[str, Any]:
    cc = st.column_config
    text = lambda name, **kw: cc.TextColumn(t(f"field.{name}"), **kw)  # noqa: E731
    date = lambda name: cc.DateColumn(t(f"field.{name}"), format="YYYY-MM-DD")  # noqa: E731
    goal = cc.SelectboxColumn(t("field.goal"), options=goals, help=t("ui.rm.help.goal"))
    lead = cc.SelectboxColumn(t("field.lead_actor"), options=actors, help=t("ui.rm.help.lead"))
    config: dict[str, Any] = {"id": None}
    if table == "goals":
        config |= {"title": text("title", width="medium"), "description": text("description", width="large")}
    elif table == "activities":
        config |= {
            "goal": goal,
            "title": text("title", width="medium"),
            "description": text("description"),
            "start": date("start"),
            "end": date("end"),
            "status": cc.SelectboxColumn(
                t("field.status"), options=ACTIVITY_STATUSES, default="planned", format_func=activity_status_label
            ),
            "lead_actor": lead,
            "partners": cc.MultiselectColumn(t("field.partners"), options=actors, help=t("ui.rm.help.partners")),
            "budget_sek": cc.NumberColumn(t("field.budget_sek"), min_value=0, step=1, format="%d"),
            "funding_source": text("funding_source"),
        }
    elif table == "milestones":
        config |= {"goal": goal, "title": text("title", width="medium"), "date": date("date")}
    else:
        config |= {
            "goal": goal,
            "name": text("name", width="medium"),
            "unit": text("unit", width="small"),
            "kind": cc.SelectboxColumn(
                t("field.kind"),
                options=KPI_KINDS,
                default="output",
                format_func=kpi_kind_label,
                help=t("ui.rm.help.kind"),
            ),
            "baseline_value": cc.NumberColumn(t("field.baseline_value")),
            "baseline_date": date("baseline_date"),
            "target_value": cc.NumberColumn(t("field.target_value")),
            "target_date": date("target_date"),
            "lead_actor": lead,
            "source": text("source"),
            "eu_code": text("eu_code", width="small", help=t("ui.rm.help.eu_code")),
        }
    return config


def table_fingerprint(frame: pd.DataFrame, config_bits: Sequence[Any]) -> str:
    """What the stored table (and its choices) look like: it changes when anyone changes them."""
    raw = frame.to_json(date_format="iso", default_handler=str) + json.dumps(list(config_bits), default=str)
    return hashlib.sha1(raw.encode()).hexdigest()[:12]


def _pin_key(rm_id: int, table: str) -> str:
    return f"rm-pin-{rm_id}-{table}"


def _unpin(rm_id: int, table: str) -> None:
    """Show the stored table afresh (in a new editor) on the next run."""
    pin = st.session_state.pop(_pin_key(rm_id, table), None)
    st.session_state[f"rm-gen-{rm_id}-{table}"] = (pin or {}).get("gen", 0) + 1


def table_editor(rm: RoadmapView, table: str, actors: Mapping[int, str]) -> None:
    """One table, edited in place and saved whole.

    The editor keeps the table as it was when the user started (its "pin"), so their edits
    survive every rerun. If someone else changes the table meanwhile (a lead actor's status
    update, another leader), saving is refused with a clear message instead of undoing that
    change; the user can then load the latest table. It is the advanced way (behind a toggle in
    `table_panel`): the grid's own buttons and menus are Streamlit's, in English, and need a mouse."""
    goals = [g.title for g in rm.goals]
    names = list(actors.values())
    fresh = table_frame(rm, table)
    fingerprint_now = table_fingerprint(fresh, [goals, names, lang()])
    pin = st.session_state.get(_pin_key(rm.id, table))
    if pin is None:
        gen = st.session_state.get(f"rm-gen-{rm.id}-{table}", 0)
        pin = {"frame": fresh, "fingerprint": fingerprint_now, "gen": gen, "goals": goals, "names": names}
        st.session_state[_pin_key(rm.id, table)] = pin
    stale = pin["fingerprint"] != fingerprint_now
    editor = f"rm-editor-{rm.id}-{table}-{pin['gen']}"
    edits = st.session_state.get(editor) or {}
    if stale and not any(edits.get(k) for k in ("edited_rows", "added_rows", "deleted_rows")):
        # Nothing typed yet: simply show the latest table.
        pin = {"frame": fresh, "fingerprint": fingerprint_now, "gen": pin["gen"] + 1, "goals": goals, "names": names}
        st.session_state[_pin_key(rm.id, table)] = pin
        editor, stale = f"rm-editor-{rm.id}-{table}-{pin['gen']}", False
    if stale:
        st.warning(t("ui.rm.table_changed"), icon=":material/sync_problem:")
        if st.button(t("ui.rm.table_reload"), key=f"rm-reload-{rm.id}-{table}", icon=":material/refresh:"):
            _unpin(rm.id, table)
            st.rerun()
    edited = st.data_editor(
        pin["frame"],
        num_rows="dynamic",
        hide_index=True,
        column_config=_column_config(table, pin["goals"], pin["names"]),
        key=editor,
        width="stretch",
    )
    if st.button(t("ui.rm.save_table"), key=f"rm-save-{rm.id}-{table}", type="primary", icon=":material/save:"):
        if stale:
            show_error(Conflict("roadmap.changed_meanwhile"))
        else:
            save_rows(table, rm.id, rows_from_frame(edited))


def table_view(rm: RoadmapView, table: str) -> None:
    """A table for an observer: read only."""
    st.caption(t(f"ui.rm.help.{table}"))
    rows_list(rm, table)


# ---------------------------------------------------------------- tabs: the four tables, one row at a time

# The forms are the main way to change a table: native, labelled widgets that work with the keyboard
# and speak the page's language. A save sends the whole table, as the engine takes it: the stored rows
# in their order, with the one row changed, added or removed.
NEW = 0  # the "new row" choice in a table's row picker (row ids are positive)
FIELDS = {
    "goals": ("title", "description"),
    "activities": (
        "goal", "title", "description", "start", "end", "status", "lead_actor", "partners", "budget_sek",
        "funding_source",
    ),
    "milestones": ("goal", "title", "date"),
    "kpis": (
        "goal", "name", "unit", "kind", "baseline_value", "baseline_date", "target_value", "target_date",
        "lead_actor", "source", "eu_code",
    ),
}  # fmt: skip
NUMBERS = ("budget_sek", "baseline_value", "target_value")  # typed as text: "250 000", "12,5"
TEXT_LIMITS = {
    "title": ops.TITLE_MAX,
    "name": ops.TITLE_MAX,
    "description": ops.TEXT_MAX,
    "unit": ops.UNIT_MAX,
    "source": ops.SOURCE_MAX,
    "funding_source": ops.SOURCE_MAX,
    "eu_code": ops.EU_CODE_MAX,
}
EARLIEST, LATEST = dt.date(2000, 1, 1), dt.date(2100, 12, 31)  # the engine's range for a date


def stored_rows(rm: RoadmapView, table: str) -> list[dict[str, Any]]:
    """A table as the engine's save takes it, in the stored order; goals and actors by id."""
    if table == "goals":
        return [{"id": g.id, "title": g.title, "description": g.description} for g in rm.goals]
    if table == "activities":
        return [
            {
                "id": a.id,
                "goal": a.goal_id,
                "title": a.title,
                "description": a.description,
                "start": a.start,
                "end": a.end,
                "status": a.status,
                "lead_actor": a.lead.id,
                "partners": [p.id for p in a.partners],
                "budget_sek": a.budget_sek,
                "funding_source": a.funding_source,
            }
            for a in rm.activities
        ]
    if table == "milestones":
        return [{"id": m.id, "goal": m.goal_id, "title": m.title, "date": m.date} for m in rm.milestones]
    return [
        {
            "id": k.id,
            "goal": k.goal_id,
            "name": k.name,
            "unit": k.unit,
            "kind": k.kind,
            "baseline_value": k.baseline_value,
            "baseline_date": k.baseline_date,
            "target_value": k.target_value,
            "target_date": k.target_date,
            "lead_actor": k.lead.id,
            "source": k.source,
            "eu_code": k.eu_code,
        }
        for k in rm.kpis
    ]


def row_title(row: Mapping[str, Any]) -> str:
    return row.get("title", row.get("name", "")) or ""


def _number_text(value: float | None) -> str:
    """A stored figure as the user would type it: no ".0", the language's decimal mark."""
    if value is None:
        return ""
    if float(value).is_integer():
        return str(int(value))
    text = repr(float(value))
    return text.replace(".", ",") if lang() == "sv" else text


def _widget_value(field: str, value: Any) -> Any:
    if field in NUMBERS:
        return _number_text(value)
    if field == "partners":
        return list(value or [])
    return "" if value is None and field in TEXT_LIMITS else value


def _new_row(rm: RoadmapView, table: str) -> dict[str, Any]:
    """What a new row's form starts with: the first day inside the period from today, its end, no choices made."""
    start = min(max(dt.date.today(), rm.period_start), rm.period_end)
    one_goal = rm.goals[0].id if len(rm.goals) == 1 else None
    if table == "goals":
        return {"title": "", "description": ""}
    if table == "activities":
        return {"goal": one_goal, "title": "", "description": "", "start": start, "end": rm.period_end,
                "status": "planned", "lead_actor": None, "partners": [], "budget_sek": None, "funding_source": ""}  # fmt: skip
    if table == "milestones":
        return {"goal": None, "title": "", "date": start}
    return {"goal": None, "name": "", "unit": "", "kind": "output", "baseline_value": None, "baseline_date": start,
            "target_value": None, "target_date": rm.period_end, "lead_actor": None, "source": "", "eu_code": ""}  # fmt: skip


def rows_list(rm: RoadmapView, table: str) -> None:
    """The table, read only, numbered as in the row picker (st.dataframe never interprets user text)."""
    frame = table_frame(rm, table).drop(columns=["id"])
    if frame.empty:
        st.caption(t("ui.rm.empty_table"))
        return
    for col in DATE_COLUMNS:
        if col in frame:
            frame[col] = [d.date().isoformat() if not pd.isna(d) else "" for d in frame[col]]
    if "status" in frame:
        frame["status"] = frame["status"].map(activity_status_label)
    if "kind" in frame:
        frame["kind"] = frame["kind"].map(kpi_kind_label)
    if "partners" in frame:
        frame["partners"] = frame["partners"].map(", ".join)
    frame.insert(0, "nr", range(1, len(frame) + 1))
    labels = {c: t("ui.rm.col.nr") if c == "nr" else t(f"field.{c}") for c in frame.columns}
    st.dataframe(frame.rename(columns=labels), hide_index=True, key=f"rm-list-{rm.id}-{table}", width="stretch")


def _pick_row(rm: RoadmapView, table: str, rows: Sequence[Mapping[str, Any]]) -> int:
    """The row to change, or NEW. Its options are plain text (a selectbox never interprets them)."""
    key = f"rm-row-{rm.id}-{table}"
    ids = [NEW, *(r["id"] for r in rows)]
    if st.session_state.get(key) not in ids:
        st.session_state[key] = NEW
    names = {r["id"]: f"{n}. {row_title(r)}" for n, r in enumerate(rows, start=1)}
    return st.selectbox(
        t(f"ui.rm.pick_row.{table}"),
        ids,
        format_func=lambda i: t(f"ui.rm.new_row.{table}") if i == NEW else names[i],
        key=key,
        placeholder=t("ui.rm.ph.choose"),
    )


def _gen_key(rm_id: int, table: str) -> str:
    return f"_rm_form_gen_{rm_id}_{table}"


def _next_form(rm_id: int, table: str) -> None:
    """Show the stored values in a new form on the next run (after a save or on request)."""
    st.session_state[_gen_key(rm_id, table)] = st.session_state.get(_gen_key(rm_id, table), 0) + 1


def _row_fields(prefix: str, table: str, rm: RoadmapView, actors: Mapping[int, str]) -> dict[str, Any]:
    """The form's widgets (their values live in session_state under `prefix`-field); returns the row.
    No help icons: each is one more Tab stop with an English name ("Help for …"); hints are captions
    and placeholders, in the page's language."""
    goals = {g.id: g.title for g in rm.goals}
    k = lambda f: f"{prefix}-{f}"  # noqa: E731
    label = lambda f: t(f"field.{f}")  # noqa: E731

    def text(f: str, column: Any = st, **kw: Any) -> str:  # noqa: ANN401
        return column.text_input(label(f), key=k(f), **kw)

    def date(f: str, column: Any = st) -> dt.date:  # noqa: ANN401
        return column.date_input(label(f), min_value=EARLIEST, max_value=LATEST, format="YYYY-MM-DD", key=k(f))

    def actor(f: str, column: Any = st) -> int | None:  # noqa: ANN401
        return column.selectbox(
            label(f), list(actors), format_func=actors.__getitem__, key=k(f), placeholder=t("ui.rm.ph.lead")
        )

    def goal(*, required: bool) -> int | None:
        options = list(goals) if required else [None, *goals]
        return st.selectbox(label("goal"), options, key=k("goal"), placeholder=t("ui.rm.ph.goal"),
                            format_func=lambda i: t("ui.rm.no_goal") if i is None else goals[i])  # fmt: skip

    def figure(f: str, column: Any, placeholder: str) -> str:  # noqa: ANN401
        return column.text_input(label(f), key=k(f), placeholder=t(placeholder))

    row: dict[str, Any] = {}
    if table == "goals":
        row["title"] = text("title")
        row["description"] = st.text_area(label("description"), key=k("description"))
    elif table == "activities":
        row["goal"] = goal(required=True)
        row["title"] = text("title")
        row["description"] = st.text_area(label("description"), key=k("description"))
        a, b, c = st.columns(3)
        row["start"], row["end"] = date("start", a), date("end", b)
        row["status"] = c.selectbox(label("status"), ACTIVITY_STATUSES, format_func=activity_status_label,
                                    key=k("status"), placeholder=t("ui.rm.ph.status"))  # fmt: skip
        a, b = st.columns(2)
        row["lead_actor"] = actor("lead_actor", a)
        row["partners"] = b.multiselect(label("partners"), list(actors), format_func=actors.__getitem__,
                                        key=k("partners"), placeholder=t("ui.rm.ph.partners"),
                                        select_all=False)  # fmt: skip
        a, b = st.columns(2)
        row["budget_sek"] = figure("budget_sek", a, "ui.rm.help.budget_ph")
        row["funding_source"] = text("funding_source", b)
    elif table == "milestones":
        row["goal"] = goal(required=False)
        row["title"] = text("title")
        row["date"] = date("date")
    else:
        st.caption(t("ui.rm.help.kind"))
        row["goal"] = goal(required=False)
        a, b, c = st.columns([3, 1, 1])
        row["name"] = text("name", a)
        row["unit"] = text("unit", b)
        row["kind"] = c.selectbox(label("kind"), KPI_KINDS, format_func=kpi_kind_label, key=k("kind"),
                                  placeholder=t("ui.rm.ph.kind"))  # fmt: skip
        a, b = st.columns(2)
        row["baseline_value"] = figure("baseline_value", a, "ui.rm.help.number_ph")
        row["baseline_date"] = date("baseline_date", b)
        a, b = st.columns(2)
        row["target_value"] = figure("target_value", a, "ui.rm.help.number_ph")
        row["target_date"] = date("target_date", b)
        a, b, c = st.columns([2, 2, 1])
        row["lead_actor"] = actor("lead_actor", a)
        row["source"] = text("source", b)
        row["eu_code"] = text("eu_code", c, placeholder=t("ui.rm.ph.eu_code"))
    return row


def _save_table(
    rm: RoadmapView,
    table: str,
    rows: Sequence[Mapping[str, Any]],
    at: int | None,
    slot: Any,  # noqa: ANN401
) -> tuple[bool, Any]:
    """Save the whole table; a refusal of row `at` (0-based; the form's row) is shown in `slot`, next
    to the form, naming the field; refusals of other rows are listed by row. Nothing is written then."""
    try:
        return True, SAVE[table](engine(), organiser_token(), rm.id, rows, expected_version=rm.version)
    except RowErrors as err:
        own = [e for n, e in err.rows if at is not None and n == at + 1]
        others = [(n, e) for n, e in err.rows if at is None or n != at + 1]
        with slot:
            for e in own:
                show_error(e)
            if others:
                refusal(RowErrors(others))
    except EdpError as err:
        with slot:
            refusal(err)
    except SQLAlchemyError:
        with slot:
            st.error(t("ui.database_error"))
    return False, None


def row_form(rm: RoadmapView, table: str, actors: Mapping[int, str]) -> None:
    """Pick a row (or a new one), change it in a form, save it; or remove it after a confirmation.

    A form's values are loaded once into session_state, so a refused save keeps what was typed.
    If someone else changes the row meanwhile, an untouched form simply shows the change; an edited
    one is not saved over it (the user can load the latest values)."""
    rows = stored_rows(rm, table)
    rid = _pick_row(rm, table, rows)
    index = next((n for n, r in enumerate(rows) if r["id"] == rid), None)
    stored = rows[index] if index is not None else None
    gen = st.session_state.get(_gen_key(rm.id, table), 0)
    prefix = f"rm-f-{rm.id}-{table}-{rid or 'new'}-{gen}"
    pin_key = f"_rm_pin_{prefix}"
    fields = FIELDS[table]
    keys = {f: f"{prefix}-{f}" for f in fields}
    loaded = pin_key in st.session_state and all(key in st.session_state for key in keys.values())
    pin = st.session_state.get(pin_key)
    untouched = (
        loaded and pin is not None and all(st.session_state[keys[f]] == _widget_value(f, pin.get(f)) for f in fields)
    )
    if not loaded or (stored is not None and stored != pin and untouched):
        shown = stored if stored is not None else _new_row(rm, table)
        for f in fields:
            st.session_state[keys[f]] = _widget_value(f, shown.get(f))
        st.session_state[pin_key] = pin = stored
    stale = stored is not None and stored != pin
    if stale:
        st.warning(t("ui.rm.row_changed"), icon=":material/sync_problem:")
        if st.button(t("ui.rm.row_reload"), key=f"rm-row-reload-{rm.id}-{table}", icon=":material/refresh:"):
            _next_form(rm.id, table)
            st.rerun()

    with st.form(prefix, border=True):
        row = _row_fields(prefix, table, rm, actors)
        slot = st.container(key=f"{prefix}-errors")
        label = t("ui.rm.save_row") if stored is not None else t(f"ui.rm.add_row.{table}")
        submitted = st.form_submit_button(label, type="primary", icon=":material/save:")
    if submitted:
        if stale:
            with slot:
                show_error(Conflict("roadmap.changed_meanwhile"))
        else:
            row = {"id": rid or None, **row}
            new_rows = [row if r["id"] == rid else r for r in rows] if stored is not None else [*rows, row]
            if table == "activities":  # shown goal by goal: a new or moved activity goes last in its goal
                goal_order = {g.id: n for n, g in enumerate(rm.goals)}
                new_rows.sort(key=lambda r: goal_order.get(r["goal"], len(goal_order)))
            at = next(n for n, r in enumerate(new_rows) if r is row)
            ok, notices = _save_table(rm, table, new_rows, at, slot)
            if ok:
                _next_form(rm.id, table)
                done = "ui.rm.row_saved" if stored is not None else f"ui.rm.row_added.{table}"
                flash(table, t(done), notices or ())
    if stored is not None:
        _remove_row(rm, table, rows, index)


def _remove_row(rm: RoadmapView, table: str, rows: Sequence[Mapping[str, Any]], index: int) -> None:
    """Remove the picked row: a confirmation, then the whole table without it."""
    rid = rows[index]["id"]
    with st.container(key=f"rm-remove-{rm.id}-{table}"):
        sure = st.checkbox(t(f"ui.rm.remove_sure.{table}"), key=f"rm-remove-sure-{rm.id}-{table}-{rid}")
        if st.button(t("ui.rm.remove_row"), key=f"rm-remove-{rm.id}-{table}-{rid}", icon=":material/delete:",
                     disabled=not sure):  # fmt: skip
            slot = st.container()
            ok, notices = _save_table(rm, table, [r for r in rows if r["id"] != rid], None, slot)
            if ok:
                st.session_state.pop(f"rm-row-{rm.id}-{table}", None)
                _next_form(rm.id, table)
                flash(table, t(f"ui.rm.row_removed.{table}"), notices or ())


def rows_text(rm: RoadmapView, table: str) -> str:
    """The rows in a few words each, numbered as in the row picker (shown as plain text: no Tab
    stops and no toolbar, unlike a grid); activities under their goal."""
    L = lang()
    if table == "goals":
        lines = [f"{n}. {g.title}" for n, g in enumerate(rm.goals, start=1)]
    elif table == "activities":
        lines, n = [], 0
        for g in rm.goals:
            if g.activities:
                lines.append(g.title)
            for a in g.activities:
                n += 1
                facts = [period_text(a.start, a.end), activity_status_label(a.status), a.lead.name]
                lines.append(f"   {n}. {a.title} · " + " · ".join(facts))
    elif table == "milestones":
        lines = [
            " · ".join([f"{n}. {m.title}", m.date.isoformat(), *([rm.goal_title(m.goal_id)] if m.goal_id else [])])
            for n, m in enumerate(rm.milestones, start=1)
        ]
    else:
        lines = [
            f"{n}. {k.name} · {number(k.baseline_value, L, 2)} → {value_text(k.target_value, k.unit)}"
            f" ({k.target_date.isoformat()}) · {kpi_kind_label(k.kind)} · {k.lead.name}"
            for n, k in enumerate(rm.kpis, start=1)
        ]
    return "\n".join(lines)


def table_panel(rm: RoadmapView, table: str, actors: Mapping[int, str]) -> None:
    """One of the four tables for its leader: the rows, and a form for one row; or, behind a
    toggle at the end, the whole table in the grid editor. A save is confirmed just below the form
    (or the grid), where the user's eyes and focus are."""
    st.caption(t(f"ui.rm.help.{table}"))
    toggle = f"rm-grid-{rm.id}-{table}"
    if st.session_state.get(toggle):
        with st.container(key=f"rm-gridbox-{rm.id}-{table}"):
            table_editor(rm, table, actors)
    else:
        text = rows_text(rm, table)
        if text:
            plain(text, key=f"rm-rows-{rm.id}-{table}")
        else:
            st.caption(t("ui.rm.empty_table"))
        if table == "activities" and not rm.goals:
            st.info(t("ui.rm.goals_first"), icon=":material/info:")
        else:
            row_form(rm, table, actors)
    flash_slot(table)
    st.toggle(t("ui.rm.grid_toggle"), key=toggle, help=t("ui.rm.grid_help"))


# ---------------------------------------------------------------- tab: measurements


def kpi_status_badge(kpi: KpiView) -> None:
    status = kpi_status(kpi)
    colour = {"on_track": "green", "at_risk": "orange", "off_track": "red"}.get(status, "gray")
    st.badge(kpi_status_label(status), color=colour)


def kpi_metrics(kpi: KpiView, *, key: str, columns: Sequence[Any] | None = None) -> None:
    """The latest value and the target, with the KPI's unit, which its author typed: plain text,
    never st.metric (whose value is Markdown: a unit "[x](http://…)" would be a live link)."""
    latest, target = columns or (st.container(), st.container())
    with latest:
        metric(t("ui.rm.latest"), value_text(latest_measurement(kpi), kpi.unit), key=f"{key}-latest")
    with target:
        metric(
            t("ui.rm.target"),
            value_text(kpi.target_value, kpi.unit),
            key=f"{key}-target",
            help=kpi.target_date.isoformat(),
        )


def measurement_form(key: str, on_submit: Callable[[dict[str, Any]], bool]) -> None:
    """Date, value and note; `on_submit(data)` saves and returns whether it did."""
    with st.form(key):
        a, b = st.columns(2)
        date = a.date_input(t("field.date"), dt.date.today(), key=f"{key}-date", format="YYYY-MM-DD")
        value = b.text_input(t("field.value"), key=f"{key}-value", help=t("ui.rm.help.value"))
        note = st.text_input(t("field.note"), key=f"{key}-note")
        if st.form_submit_button(t("ui.rm.add_measurement"), type="primary"):
            on_submit({"date": date, "value": value, "note": note})


def measurements_panel(rm: RoadmapView, *, can_edit: bool = True) -> None:
    flash_slot("measurements")
    if not rm.kpis:
        st.info(t("ui.rm.no_kpis"))
        return
    kpis = {k.id: k for k in rm.kpis}
    kid = st.selectbox(
        t("ui.rm.pick_kpi"),
        list(kpis),
        format_func=lambda i: kpis[i].name,
        key=f"rm-kpi-{rm.id}",
        placeholder=t("ui.rm.ph.choose"),
    )
    kpi = kpis[kid]
    left, right = st.columns([3, 2])
    with left:
        st.plotly_chart(
            roadmap_charts.kpi_figure(kpi, lang()),
            key=f"rm-kpi-chart-{kid}",
            width="stretch",
            theme=None,
            config=CHART_CONFIG,
        )
    with right:
        kpi_status_badge(kpi)
        st.caption(t("ui.rm.kpi_rule"))
        kpi_metrics(kpi, key=f"rm-kpi-{kid}")

    if kpi.measurements:
        rows = [
            {
                t("field.date"): m.date.isoformat(),
                t("field.value"): m.value,
                t("field.note"): m.note,
                t("ui.rm.col.recorded_by"): m.recorded_by or t("ui.rm.process_leader"),
            }
            for m in sorted(kpi.measurements, key=lambda m: (m.date, m.id))
        ]
        st.dataframe(pd.DataFrame(rows), hide_index=True, key=f"rm-measurements-{kid}")
    else:
        st.caption(t("ui.rm.no_measurements"))

    if not can_edit:
        return

    def add(data: dict[str, Any]) -> bool:
        ok, _ = attempt(ops.add_measurement, kid, data)
        if ok:
            flash("measurements", t("ui.rm.measurement_added"))
        return ok

    measurement_form(f"rm-measure-{kid}-{rm.version}", add)
    if kpi.measurements:
        with st.expander(t("ui.rm.delete_measurement")):
            ms = {m.id: m for m in kpi.measurements}
            mid = st.selectbox(
                t("ui.rm.pick_measurement"),
                list(ms),
                format_func=lambda i: f"{ms[i].date.isoformat()}: {value_text(ms[i].value, kpi.unit)}",
                key=f"rm-measure-del-pick-{kid}",
                placeholder=t("ui.rm.ph.choose"),
            )
            if st.button(t("ui.rm.delete_measurement"), key=f"rm-measure-del-{kid}", icon=":material/delete:"):
                ok, _ = attempt(ops.delete_measurement, mid)
                if ok:
                    flash("measurements", t("ui.rm.measurement_deleted"))


# ---------------------------------------------------------------- tab: Gantt


def gantt_panel(rm: RoadmapView) -> None:
    by_status = st.toggle(t("ui.rm.colour_by_status"), key=f"rm-gantt-status-{rm.id}", help=t("ui.rm.colour_help"))
    if not rm.activities:
        st.info(t("ui.rm.no_activities"))
    fig = roadmap_charts.gantt_figure(rm, lang(), color_by="status" if by_status else "lead")
    st.plotly_chart(fig, key=f"rm-gantt-{rm.id}", width="stretch", theme=None, config=CHART_CONFIG)  # as exported


# ---------------------------------------------------------------- tab: follow-up

_FIELDS = {"period_start": "roadmap_start", "period_end": "roadmap_end", "owner_actor_id": "owner"}


def change_text(c: ops.Change) -> str:
    """What an audit event did, in words (its details are user text: shown in a table, never as Markdown)."""
    d, L = c.detail, lang()
    if c.kind == "activity.status":
        text = t(
            "ui.rm.change.status",
            activity=d.get("activity", ""),
            before=activity_status_label(d.get("before", "")),
            after=activity_status_label(d.get("after", "")),
        )
        return f"{text} – {d['comment']}" if d.get("comment") else text
    if c.kind == "roadmap.updated":
        fields = [i18n.field_label(_FIELDS.get(k, k), L) for k in d.get("changed", {})]
        return t("ui.rm.change.updated", fields=", ".join(fields) or "–")
    if c.kind in ("measurement.added", "measurement.deleted"):
        return t(
            f"ui.rm.change.{c.kind}", kpi=d.get("kpi", ""), value=value_text(d.get("value")), date=d.get("date", "")
        )
    if c.kind.endswith(".saved"):
        return t(f"ui.rm.change.{c.kind}", rows=d.get("rows", 0), changed=d.get("changed", 0))
    if c.kind == "roadmap.created":
        return t("ui.rm.change.created", title=d.get("title", ""))
    if c.kind == "roadmap.imported":
        return t("ui.rm.change.imported", goals=d.get("goals", 0), kpis=d.get("kpis", 0))
    if c.kind == "kpis.template":
        return t("ui.rm.change.template", n=d.get("added", 0))
    return c.kind


def changes_table(rm: RoadmapView) -> None:
    ok, changes = attempt(ops.changes_since_follow_up, rm.id)
    if not ok:
        return
    since = local_time(rm.followed_up_at) if rm.followed_up_at else None
    st.caption(t("ui.rm.changes_since", when=since) if since else t("ui.rm.changes_all"))
    if not changes:
        st.info(t("ui.rm.no_changes"))
        return
    rows = [
        {
            t("ui.rm.col.when"): local_time(c.at),
            t("ui.rm.col.who"): c.actor or t("ui.rm.process_leader"),
            t("ui.rm.col.what"): change_text(c),
        }
        for c in changes
    ]
    st.dataframe(pd.DataFrame(rows), hide_index=True, key=f"rm-changes-{rm.id}")


def follow_up_panel(rm: RoadmapView, *, can_edit: bool = True) -> None:
    flash_slot("follow-up")
    changes_table(rm)
    if can_edit and st.button(
        t("ui.rm.mark_followed_up"), key=f"rm-followed-{rm.id}", type="primary", icon=":material/task_alt:"
    ):
        ok, _ = attempt(ops.mark_followed_up, rm.id)
        if ok:
            flash("follow-up", t("ui.rm.followed_up"))


def links_panel(wv: ProcessContext) -> None:
    """Personal update links for the lead actors of every roadmap of the process."""
    flash_slot("links")
    st.caption(t("ui.rm.links_help"))
    actors = actor_names(wv)
    ok, linked = attempt(ops.linked_actors, wv.process_id)
    if ok and linked:
        rows = [
            {t("ui.rm.col.actor"): actors.get(aid, str(aid)), t("ui.rm.col.since"): local_time(at)}
            for aid, at in sorted(linked.items(), key=lambda kv: actors.get(kv[0], ""))
        ]
        st.dataframe(pd.DataFrame(rows), hide_index=True, key="rm-linked")
    elif ok:
        st.caption(t("ui.rm.no_links"))

    fresh = st.session_state.get(LINKS, {}).get(wv.process_id)
    if fresh:
        st.warning(t("ui.rm.links_once"), icon=":material/key:")
        frame = pd.DataFrame(fresh, columns=[t("ui.rm.col.actor"), t("ui.rm.col.link")])
        st.dataframe(
            frame,
            hide_index=True,
            key="rm-fresh-links",
            column_config={t("ui.rm.col.link"): st.column_config.TextColumn(width="large")},
        )
        a, b = st.columns(2)
        a.download_button(
            t("ui.rm.links_csv"),
            safe_csv(frame),
            file_name=f"uppdateringslankar-{wv.process_id}.csv",
            mime=mime_type("csv"),
            key="rm-links-csv",
            on_click="ignore",
            icon=":material/download:",
        )
        if b.button(t("ui.rm.links_done"), key="rm-links-done"):
            st.session_state[LINKS].pop(wv.process_id, None)
            st.rerun()
        return
    base = config.public_url(st.get_option("server.port"))
    if config.is_loopback(base):
        st.warning(t("ui.fac.loopback"))
    if st.button(t("ui.rm.issue_links"), key="rm-issue-links", icon=":material/link:"):
        ok, tokens = attempt(ops.issue_links, wv.process_id)
        if not ok:
            return
        if not tokens:
            st.info(t("ui.rm.no_lead_actors"))
            return
        st.session_state.setdefault(LINKS, {})[wv.process_id] = sorted(
            (actors.get(aid, str(aid)), f"{base}/?u={token}") for aid, token in tokens.items()
        )
        flash("links", t("ui.rm.links_issued", n=len(tokens)))


# ---------------------------------------------------------------- tab: export


def _progress_bar() -> Callable[[float, str], None]:
    bar = st.progress(0.0)
    return lambda share, text: bar.progress(min(1.0, max(0.0, share)), text=text)


def _generate(name: str, label: str, make: Callable[[Callable[[float, str], None]], dict[str, tuple]]) -> None:
    """Run a slow export on a button press, with progress; keep its files for the download buttons."""
    with st.status(label, expanded=True) as status:
        progress = _progress_bar()
        try:
            files = make(progress)
        except EdpError as err:
            status.update(label=t("ui.rm.export_failed"), state="error")
            refusal(err)
            return
        except Exception:  # a browser for the images may be missing or crash: say so, keep the page
            log.exception("export %s failed", name)
            status.update(label=t("ui.rm.export_failed"), state="error")
            st.error(t("ui.rm.export_failed_help"))
            return
        progress(1.0, t("ui.rm.export_ready"))
        status.update(label=t("ui.rm.export_ready"), state="complete", expanded=False)
    st.session_state.setdefault(FILES, {})[name] = files


def _downloads(name: str) -> None:
    files = st.session_state.get(FILES, {}).get(name, {})
    cols = st.columns(max(len(files), 1))
    for col, (fid, (data, file_name, label, mime)) in zip(cols, files.items(), strict=False):
        col.download_button(
            label,
            data,
            file_name=file_name,
            mime=mime,
            key=f"rm-dl-{name}-{fid}",
            on_click="ignore",
            icon=":material/download:",
        )


# The roadmap's files (edp.io.exporters), each with what follows "fardplan-ID" in its file name.
ROADMAP_FILES = (("roadmap.xlsx", ""), ("roadmap.csv.zip", "-csv"), ("roadmap.ics", ""))


def export_panel(rm: RoadmapView, process_id: int, fingerprint: str) -> None:
    """Images (slow: rendered on request), roadmap files (built when their button is clicked) and the process's reports."""
    L = lang()
    st.markdown(f"**{t('ui.rm.export_images')}**")
    st.caption(t("ui.rm.export_images_help"))
    images = f"images-{rm.id}-{rm.version}-{L}"
    if st.button(t("ui.rm.make_images"), key=f"rm-make-images-{rm.id}", icon=":material/image:"):
        _generate(images, t("ui.rm.making_images"), lambda p: _images(rm, L, p))
    _downloads(images)

    st.markdown(f"**{t('ui.rm.export_files')}**")
    # Built when clicked (deferred), not on every rerun of this busy page; read then, for this organiser.
    source, options = Source(engine(), organiser_token(), roadmap_id=rm.id), Options(lang=L)
    for col, (identifier, suffix) in zip(st.columns(len(ROADMAP_FILES)), ROADMAP_FILES, strict=True):
        exporter = EXPORTERS[identifier]
        file_name = exporter.file_name(f"fardplan-{rm.id}{suffix}")
        col.download_button(
            t(exporter.name),
            lambda exporter=exporter: exporter.render(source, options),
            file_name=file_name,
            mime=exporter.mime_type,
            key=f"rm-dl-{file_name}",
            on_click="ignore",
            icon=":material/download:",
        )

    st.markdown(f"**{t('ui.rm.export_reports')}**")
    st.caption(t("ui.rm.export_reports_help"))
    reports = f"reports-{process_id}-{fingerprint}-{L}"
    if st.button(t("ui.rm.make_reports"), key="rm-make-reports", icon=":material/description:"):
        _generate(reports, t("ui.rm.making_reports"), lambda p: _reports(process_id, L, p))
    _downloads(reports)


def _made(
    jobs: Sequence[tuple[str, Options, str, str | None]],
    source: Source,
    progress: Callable[[float, str], None],
    start: float = 0.0,
) -> dict[str, tuple]:
    """Each job (exporter, options, file name's stem, label or None for the exporter's name) rendered
    in turn, with progress from `start` to 1: file name -> (bytes, file name, label, mime)."""
    out = {}
    for n, (identifier, options, stem, label) in enumerate(jobs):
        exporter = EXPORTERS[identifier]
        file_name = exporter.file_name(stem)
        progress(start + (1 - start) * n / len(jobs), t("ui.rm.making_file", name=file_name))
        data = exporter.render(source, options)
        out[file_name] = (data, file_name, label or t(exporter.name), exporter.mime_type)
    return out


def _images(rm: RoadmapView, lang_: str, progress: Callable[[float, str], None]) -> dict[str, tuple]:
    """Each chart drawn for its medium (the registry's roadmap.png/svg/pdf/html): PNG and SVG for a
    projector, the Gantt's PDF on an A4 and on an A3 landscape page."""
    stem, gantt = f"fardplan-{rm.id}", Options(lang=lang_)
    jobs = [
        ("roadmap.png", gantt, f"{stem}-gantt", t("ui.rm.dl.gantt_png")),
        ("roadmap.svg", gantt, f"{stem}-gantt", t("ui.rm.dl.gantt_svg")),
        ("roadmap.pdf", gantt, f"{stem}-gantt-a4", t("ui.rm.dl.gantt_pdf")),
        ("roadmap.pdf", Options(lang=lang_, page_size="A3"), f"{stem}-gantt-a3", t("ui.rm.dl.gantt_pdf_a3")),
        ("roadmap.html", gantt, f"{stem}-gantt", t("ui.rm.dl.gantt_html")),
    ]
    if rm.kpis:
        jobs.append(("roadmap.png", Options(lang=lang_, chart="kpis"), f"{stem}-kpi", t("ui.rm.dl.kpi_png")))
    return _made(jobs, Source(engine(), organiser_token(), roadmap_id=rm.id), progress)


def _reports(process_id: int, lang_: str, progress: Callable[[float, str], None]) -> dict[str, tuple]:
    """The follow-up report (DOCX, PDF) and the steering deck (PPTX), from one rendering of the charts."""
    from edp.io.reports import report_images

    source = Source(engine(), organiser_token(), process_id=process_id)
    images = report_images(source.report(lang_), lang_, deck=True, progress=lambda f, m: progress(0.6 * f, m))
    options = Options(lang=lang_, images=images)
    jobs = [
        ("report.docx", options, f"uppfoljningsrapport-{process_id}", None),
        ("report.pdf", options, f"uppfoljningsrapport-{process_id}", None),
        ("roadmap.pptx", options, f"styrgrupp-{process_id}", None),
    ]
    return _made(jobs, source, progress, start=0.6)


def fingerprint(pr: ProcessRoadmaps) -> str:
    """Changes whenever any roadmap of the process changes, so old reports are not offered as new."""
    return hashlib.sha1(repr([(rm.id, rm.version) for rm in pr.roadmaps]).encode()).hexdigest()[:10]


# ---------------------------------------------------------------- the lead actor's update page


def activity_update_form(token: str, a: Any) -> None:  # noqa: ANN401 - an ActivityView
    """One of the actor's activities: what it is, its status, and a form to change the status."""
    section = f"act-{a.id}"
    with st.container(border=True, key=f"upd-act-{a.id}"):
        plain(a.title, key=f"upd-act-{a.id}-title", kind="strong")
        st.caption(
            t("ui.upd.activity_line", period=period_text(a.start, a.end), status=activity_status_label(a.status))
        )
        flash_slot(section)
        # A new form after each save (an empty comment); a refused save keeps what was typed.
        key = f"upd-act-{a.id}-{st.session_state.get(f'_upd_gen_{a.id}', 0)}"
        with st.form(key):
            left, right = st.columns([1, 2])
            status = left.selectbox(
                t("field.status"),
                ACTIVITY_STATUSES,
                index=ACTIVITY_STATUSES.index(a.status),
                format_func=activity_status_label,
                key=f"{key}-status",
                placeholder=t("ui.rm.ph.choose"),
            )
            comment = right.text_input(t("ui.upd.comment"), key=f"{key}-comment")
            if st.form_submit_button(t("ui.upd.save_status"), type="primary"):
                try:
                    ops.actor_set_status(engine(), token, a.id, status, comment)
                except EdpError as err:
                    show_error(err)
                except SQLAlchemyError:
                    st.error(t("ui.database_error"))
                else:
                    st.session_state[f"_upd_gen_{a.id}"] = st.session_state.get(f"_upd_gen_{a.id}", 0) + 1
                    flash(section, t("ui.upd.status_saved"))


def kpi_update_form(token: str, roadmap: str, kpi: KpiView) -> None:
    """One of the actor's KPIs: latest value, target and status, and a form for a new measurement."""
    section = f"kpi-{kpi.id}"
    with st.container(border=True, key=f"upd-kpi-{kpi.id}"):
        plain(kpi.name, key=f"upd-kpi-{kpi.id}-name", kind="strong")
        plain(roadmap, key=f"upd-kpi-{kpi.id}-where")
        a, b, c = st.columns(3)
        kpi_metrics(kpi, key=f"upd-kpi-{kpi.id}", columns=(a, b))
        c.metric(t("ui.upd.kpi_status"), kpi_status_label(kpi_status(kpi)))
        flash_slot(section)

        def add(data: dict[str, Any]) -> bool:
            try:
                ops.actor_add_measurement(engine(), token, kpi.id, data)
            except EdpError as err:
                show_error(err)
                return False
            except SQLAlchemyError:
                st.error(t("ui.database_error"))
                return False
            flash(section, t("ui.rm.measurement_added"))
            return True

        measurement_form(f"upd-kpi-form-{kpi.id}-{len(kpi.measurements)}", add)
