"""Landing page: the way in for a participant (Join a workshop), then the processes, their
workshops and rounds, and any priorities set. A join code is listed only where the workshop's
facilitator chose to show it (edp.queries.overview): the code is for the room, not the web."""

import streamlit as st
from sqlalchemy.exc import OperationalError

from edp.queries import overview
from edp.region import region
from edp.security import typed_join_code
from edp.ui.common import engine, lang, t
from edp.ui.text import plain

# Our own, fixed CSS: the ways to join are buttons of at least 44 px, not small text links.
HOME_CSS = """
<style>
.st-key-home-join [data-testid="stPageLink"] a { min-height: 44px; display: inline-flex; align-items: center; }
[class*="st-key-home-join-"] [data-testid="stPageLink"] a {
  padding: 0 0.9rem; border: 1px solid currentColor; border-radius: 0.5rem;
}
.st-key-home-join [data-testid="stPageLink"] a:focus-visible { outline: 3px solid #1F78D1; outline-offset: 2px; }
.st-key-home-join button, .st-key-home-join [data-baseweb="input"] { min-height: 44px; }
[class*="st-key-home-join-"] { justify-content: space-between; flex-wrap: wrap; }
</style>
"""

st.title(t("ui.app_title"), anchor=False)
st.caption(t("ui.home_intro"))
join_box = st.container(border=True, key="home-join")
with join_box:
    st.page_link("pages/join.py", label=t("ui.home.join"), icon=":material/login:")
    st.caption(t("ui.home.join_help"))

try:
    processes = overview(engine())
    described = region(engine())
except OperationalError:
    st.error(t("ui.database_error"))
    st.stop()

with join_box:
    # One tap from the plain address: a Join button per open workshop whose code the facilitator
    # shows, and a code field for the others (the join page checks the code and counts wrong ones).
    for proc in processes:
        for ws in proc["workshops"]:
            if ws["status"] == "open" and ws["join_code"]:
                with st.container(key=f"home-join-{ws['id']}", horizontal=True, vertical_alignment="center"):
                    plain(ws["title"], key=f"home-join-title-{ws['id']}", kind="strong")
                    st.page_link(
                        "pages/join.py", label=t("ui.home.join_open"), icon=":material/login:",
                        query_params={"join": ws["join_code"]},
                    )  # fmt: skip
    with st.form("home-join-code", border=False, enter_to_submit=True):
        code = st.text_input(t("ui.join.code"), key="home-code", placeholder=t("ui.home.code_placeholder"))
        go = st.form_submit_button(t("ui.home.join_open"), type="primary", icon=":material/login:")
    if go:
        if typed_join_code(code):
            st.switch_page("pages/join.py", query_params={"join": typed_join_code(code)})
        st.error(t("ui.home.code_missing"))
st.html(HOME_CSS)

if described is not None:
    with st.container(key="home-region"):
        plain(described.name, key="region-name", kind="strong")
        period = f"{described.period_start or ''}–{described.period_end or ''}" if described.period_start else ""
        # A strategy titled "… 2021–2027" already names its period: it is not printed twice.
        title = described.strategy_title or ""
        plain(title if period in title else f"{title} {period}".strip(), key="region-strategy")

st.header(t("ui.processes"), anchor=False)
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
