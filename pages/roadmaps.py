"""The process leader's roadmaps (färdplaner): the process's overview and portfolio, a new roadmap
(from a priority, empty, from the S3 template or from a workbook), then one roadmap in tabs:
overview, goals, activities, milestones, KPIs, measurements, Gantt, follow-up and export.
A signed-in organiser sees the processes they lead (and may change) or observe (and may read);
?roadmap=ID picks one."""

import streamlit as st
from sqlalchemy.exc import SQLAlchemyError

from edp.errors import EdpError
from edp.roadmap.views import process_roadmaps, summaries_of
from edp.ui import roadmap as ui
from edp.ui.common import engine, t
from edp.ui.session import organiser_token
from edp.ui.text import plain

st.title(t("ui.rm.title"))
ui.roadmap_style()

wv = ui.process_context()
if wv is None:
    ui.sign_in_hint()
    st.stop()

try:
    portfolio = process_roadmaps(engine(), organiser_token(), wv.process_id)  # every roadmap, once per run
    summaries = summaries_of(portfolio)
except (EdpError, SQLAlchemyError):
    st.error(t("ui.database_error"))
    st.stop()

plain(wv.process_title, key="rm-process", kind="strong")
st.caption(t("ui.rm.intro"))

with st.container(key="rm-overview-section"), ui.guard():
    ui.overview_table(summaries)
    ui.portfolio_chart(portfolio)

ui.flash_slot("create")
if wv.can_edit:
    with st.expander(t("ui.rm.new_heading"), expanded=not summaries, icon=":material/add:"), ui.guard():
        ui.create_panel(wv, portfolio)
else:
    st.caption(t("ui.rm.read_only"))

roadmap_id = ui.pick_roadmap(summaries)
if roadmap_id is None:
    st.stop()
rm = next(r for r in portfolio.roadmaps if r.id == roadmap_id)

actors = ui.actor_names(wv)
with st.container(border=True, key="rm-header"):
    ui.roadmap_header(rm)
labels = [
    t("ui.rm.tab.overview"),
    t("ui.rm.tab.goals"),
    t("ui.rm.tab.activities"),
    t("ui.rm.tab.milestones"),
    t("ui.rm.tab.kpis"),
    t("ui.rm.tab.measurements"),
    t("ui.rm.tab.gantt"),
    t("ui.rm.tab.follow_up"),
    t("ui.rm.tab.export"),
]
overview, goals, activities, milestones, kpis, measurements, gantt, follow_up, export = st.tabs(labels)

with overview, ui.guard():
    ui.traceability(rm)
    ui.period_notices(rm)
    if wv.can_edit:
        ui.overview_form(rm, actors)
        with st.expander(t("ui.rm.delete_heading"), icon=":material/delete:"):
            ui.delete_panel(rm)
for tab, table in zip((goals, activities, milestones, kpis), ui.TABLES, strict=True):
    with tab, ui.guard():
        if wv.can_edit:
            ui.table_panel(rm, table, actors)
        else:
            ui.table_view(rm, table)
with measurements, ui.guard():
    ui.measurements_panel(rm, can_edit=wv.can_edit)
with gantt, ui.guard():
    ui.gantt_panel(rm)
with follow_up, ui.guard():
    ui.follow_up_panel(rm, can_edit=wv.can_edit)
    if wv.can_edit:
        st.subheader(t("ui.rm.links_heading"))
        ui.links_panel(wv)
with export, ui.guard():
    ui.export_panel(rm, wv.process_id, ui.fingerprint(portfolio))
