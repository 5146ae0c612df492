"""The facilitator's console: sign in with the workshop passcode, then drive the rounds,
moderate the themes, watch the turnout, enter paper ballots and set the priorities."""

import streamlit as st
from sqlalchemy.exc import SQLAlchemyError

from edp.errors import EdpError, PermissionDenied
from edp.events import Screen
from edp.live import facilitator_view
from edp.ui import facilitator as fac
from edp.ui import moderation as mod
from edp.ui.common import engine, lang, t
from edp.ui.live import follow
from edp.ui.session import facilitator_token, principal, sign_out_facilitator

st.title(t("ui.fac.title"))

fac_token = facilitator_token()
if not fac_token:
    fac.show_flash()
    with fac.guard():
        fac.organiser_consoles()
    with fac.guard():
        fac.login_panel()
    st.stop()

try:
    wv = facilitator_view(engine(), fac_token)
except PermissionDenied as err:
    # The console no longer holds (it expired, the role was taken away, the database was reset).
    sign_out_facilitator()
    st.warning(err.message(lang()))
    with fac.guard():
        fac.organiser_consoles()
    with fac.guard():
        fac.login_panel()
    st.stop()
except (EdpError, SQLAlchemyError):
    st.error(t("ui.database_error"))
    st.stop()

live = st.sidebar.toggle(t("ui.fac.live_updates"), value=True, key="fac-live", help=t("ui.fac.live_updates_help"))

fac.show_flash()
focus = None
with fac.guard():
    fac.console_header(wv)
    focus = fac.focus_round(wv)
    fac.phase_driver(wv, focus)

st.subheader(t("ui.fac.turnout"))
with fac.guard():
    fac.turnout_panel(wv)

moderation, paper, priorities, more = st.tabs(
    [t("ui.fac.tab_moderation"), t("ui.fac.tab_paper"), t("ui.fac.tab_priorities"), t("ui.fac.tab_more")]
)
with moderation, fac.guard():
    mod.moderation_queue(wv, focus)
with paper, fac.guard():
    fac.paper_panel(wv, focus)
with priorities, fac.guard():
    fac.priorities_panel(wv)
with more, fac.guard():
    st.markdown(f"**{t('ui.fac.rounds')}**")
    for r in wv.rounds:
        state = t("ui.fac.revealed_mark") if r.revealed else ""
        st.caption(t("ui.round_line", seq=r.seq, method=t(f"method.{r.method}"), phase=t(f"phase.{r.phase}")) + state)
    fac.add_round_form("more-round")
    st.markdown(f"**{t('ui.fac.workshop_settings')}**")
    fac.workshop_settings(wv)
    fac.passcode_form()
    if principal() is not None:
        st.page_link("pages/setup.py", label=t("ui.fac.go_setup"), icon=":material/settings:")

if live:
    # Last, after this run has handled any click; only changes after what it drew count.
    follow(wv.id, seen_revision=wv.revision, screen=Screen("console", wv.id))
