"""Set-up: create a process and a workshop (which signs the facilitator in), then manage the
process's actors and the workshop's rounds."""

import streamlit as st
from sqlalchemy.exc import SQLAlchemyError

from edp.errors import EdpError, PermissionDenied
from edp.live import facilitator_view
from edp.ui import facilitator as fac
from edp.ui.common import engine, lang, t
from edp.ui.session import facilitator_token, sign_out_facilitator
from edp.ui.text import plain

st.title(t("ui.setup.title"))
fac.show_flash()

wv = None
if facilitator_token():
    try:
        wv = facilitator_view(engine(), facilitator_token())
    except PermissionDenied as err:
        sign_out_facilitator()
        st.warning(err.message(lang()))
    except (EdpError, SQLAlchemyError):
        st.error(t("ui.database_error"))
        st.stop()

if wv is None:
    st.caption(t("ui.setup.intro"))
    with fac.guard():
        fac.create_workshop_form(None)
    st.stop()

with st.container(border=True, key="setup-signed-in"):
    st.caption(t("ui.setup.signed_in"))
    plain(f"{wv.title} – {wv.process_title}", key="setup-ws-title", kind="strong")
    st.caption(t("ui.setup.join_code_is", code=wv.join_code))
    st.page_link("pages/facilitate.py", label=t("ui.setup.go_console"), icon=":material/tune:")

actors, rounds, another = st.tabs([t("ui.setup.tab_actors"), t("ui.setup.tab_rounds"), t("ui.setup.tab_new")])
with actors, fac.guard():
    fac.actor_list()
    with st.expander(t("ui.setup.add_actor"), expanded=not wv.actors):
        fac.actor_add_form()
    with st.expander(t("ui.setup.edit_actor")):
        fac.actor_edit_form()
    with st.expander(t("ui.setup.import_heading"), expanded=True):
        fac.actor_import()
with rounds, fac.guard():
    if not wv.rounds:
        st.info(t("ui.setup.no_rounds"))
    for r in wv.rounds:
        st.caption(t("ui.round_line", seq=r.seq, method=t(f"method.{r.method}"), phase=t(f"phase.{r.phase}")))
    fac.add_round_form("setup-round")
with another, fac.guard():
    st.caption(t("ui.setup.new_workshop_help"))
    fac.create_workshop_form(wv)
