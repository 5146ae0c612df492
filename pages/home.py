"""Landing page: the way in for a participant (Join a workshop), then the processes, their
workshops and rounds, and any priorities set. A join code is listed only where the workshop's
facilitator chose to show it (edp.queries.overview): the code is for the room, not the web."""

import streamlit as st
from sqlalchemy.exc import OperationalError

from edp.queries import overview
from edp.region import region
from edp.ui.common import engine, lang, t
from edp.ui.text import plain

st.title(t("ui.app_title"))
st.caption(t("ui.home_intro"))
with st.container(border=True, key="home-join"):
    st.page_link("pages/join.py", label=t("ui.home.join"), icon=":material/login:")
    st.caption(t("ui.home.join_help"))

try:
    processes = overview(engine())
    described = region(engine())
except OperationalError:
    st.error(t("ui.database_error"))
    st.stop()

if described is not None:
    with st.container(key="home-region"):
        plain(described.name, key="region-name", kind="strong")
        period = f"{described.period_start or ''}–{described.period_end or ''}" if described.period_start else ""
        # A strategy titled "… 2021–2027" already names its period: it is not printed twice.
        title = described.strategy_title or ""
        plain(title if period in title else f"{title} {period}".strip(), key="region-strategy")

st.header(t("ui.processes"))
if not processes:
    st.info(t("ui.no_processes"))

for proc in processes:
    pid = proc["id"]
    with st.container(border=True, key=f"process-{pid}"):
        plain(proc["title"], key=f"process-{pid}", kind="title")
        if proc["description"]:
            plain(proc["description"], key=f"process-{pid}-description")
        areas = ", ".join(a["name_sv"] if lang() == "sv" else a["name_en"] for a in proc["strength_areas"])
        facts = [
            f"{t('ui.strength_areas')}: {areas or '–'}",
            f"{t('ui.financier')}: {proc['financier'] or '–'}",
            f"{t('ui.period')}: {proc['period_start'] or ''}–{proc['period_end'] or ''}",
        ]
        plain("\n".join(facts), key=f"process-{pid}-facts")
        for ws in proc["workshops"]:
            wid = ws["id"]
            if ws["status"] != "open":
                status = t("ui.workshop_closed")
            elif ws["join_code"]:
                status = t("ui.workshop_open", code=ws["join_code"])
            else:
                status = t("ui.workshop_open_no_code")
            line = " · ".join(x for x in (ws["title"], ws["date"], ws["venue"], status) if x)
            plain(line, key=f"workshop-{wid}", kind="strong")
            rounds = [
                t("ui.round_line", seq=r["seq"], method=t(f"method.{r['method']}"), phase=t(f"phase.{r['phase']}"))
                for r in ws["rounds"]
            ]
            if rounds:
                plain("\n".join(rounds), key=f"workshop-{wid}-rounds")
            if ws["priorities"]:
                st.markdown(f"*{t('ui.priorities')}*")
                plain(
                    "\n".join(f"{p['rank']}. {p['title']}" for p in ws["priorities"]), key=f"workshop-{wid}-priorities"
                )
