"""A lead actor's update page (?u=TOKEN, their personal link from the process leader): their own
activities, grouped by roadmap and goal, with a status to set, and their own KPIs with a form
for a new measurement. Nothing else of the process is shown, and there is no navigation."""

import streamlit as st
from sqlalchemy.exc import SQLAlchemyError

from edp.errors import EdpError, PermissionDenied
from edp.roadmap.operations import actor_work
from edp.ui import roadmap as ui
from edp.ui.common import engine, lang, t
from edp.ui.session import actor_token
from edp.ui.text import plain

st.title(t("ui.upd.title"))

token = actor_token() or ""  # no link is a link the engine refuses
try:
    work = actor_work(engine(), token)
except PermissionDenied as err:
    st.error(err.message(lang()), icon=":material/link_off:")
    st.stop()
except (EdpError, SQLAlchemyError):
    st.error(t("ui.database_error"))
    st.stop()

plain(work.actor_name, key="upd-actor", kind="title")
plain(work.process_title, key="upd-process")
st.caption(t("ui.upd.intro"))

st.subheader(t("ui.upd.activities"))
if not work.activities:
    st.info(t("ui.upd.no_activities"))
shown: tuple[str, str] | None = None
for roadmap, goal, activity in work.activities:
    if (roadmap, goal) != shown:
        plain(f"{roadmap} › {goal}", key=f"upd-group-{activity.id}", kind="strong")
        shown = (roadmap, goal)
    with ui.guard():
        ui.activity_update_form(token, activity)

st.subheader(t("ui.upd.kpis"))
if not work.kpis:
    st.info(t("ui.upd.no_kpis"))
for roadmap, kpi in work.kpis:
    with ui.guard():
        ui.kpi_update_form(token, roadmap, kpi)
