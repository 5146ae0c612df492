"""Landing page: the processes, their workshops and rounds, and any priorities set."""

import streamlit as st
from sqlalchemy.exc import OperationalError

from edp.queries import overview
from edp.ui.common import engine, lang, t
from edp.ui.text import escape_markdown as esc

st.title(t("ui.app_title"))
st.caption(t("ui.home_intro"))

try:
    processes = overview(engine())
except OperationalError:
    st.error(t("ui.database_error"))
    st.stop()

st.header(t("ui.processes"))
if not processes:
    st.info(t("ui.no_processes"))

for proc in processes:
    with st.container(border=True, key=f"process-{proc['id']}"):
        st.subheader(esc(proc["title"]))
        if proc["description"]:
            st.text(proc["description"])
        areas = ", ".join(a["name_sv"] if lang() == "sv" else a["name_en"] for a in proc["strength_areas"])
        period = f"{proc['period_start'] or ''}–{proc['period_end'] or ''}"
        cols = st.columns(3)
        cols[0].metric(t("ui.strength_areas"), areas or "–")
        cols[1].metric(t("ui.financier"), proc["financier"] or "–")
        cols[2].metric(t("ui.period"), period)
        for ws in proc["workshops"]:
            status = t("ui.workshop_open", code=ws["join_code"]) if ws["status"] == "open" else t("ui.workshop_closed")
            st.markdown(f"**{esc(ws['title'])}** · {esc(ws['date'] or '')} · {esc(ws['venue'])} · {esc(status)}")
            for rnd in ws["rounds"]:
                st.text(
                    t(
                        "ui.round_line",
                        seq=rnd["seq"],
                        method=t(f"method.{rnd['method']}"),
                        phase=t(f"phase.{rnd['phase']}"),
                    )
                )
            if ws["priorities"]:
                st.markdown(f"*{t('ui.priorities')}*")
                for pr in ws["priorities"]:
                    st.text(f"{pr['rank']}. {pr['title']}")
