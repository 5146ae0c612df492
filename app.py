"""The router: page config, language, role, then that role's page set."""

import logging

import streamlit as st
from sqlalchemy.exc import SQLAlchemyError

from edp.ui.common import FAVICON, language_switch, t
from edp.ui.live import database_unavailable
from edp.ui.session import join_code_param, role
from edp.ui.text import page_style

st.set_page_config(page_title="EDP", page_icon=FAVICON, layout="wide")
page_style()
log = logging.getLogger("edp.app")


def main() -> None:
    who = role()
    if who != "projector":
        language_switch()

    if who == "participant":
        pages = [
            st.Page("pages/participate.py", title=t("ui.nav.participate"), icon=":material/how_to_vote:", default=True)
        ]
    elif who == "actor":
        pages = [st.Page("pages/update.py", title=t("ui.nav.update"), icon=":material/edit_note:", default=True)]
    elif who == "projector":
        pages = [st.Page("pages/projector.py", title=t("ui.nav.projector"), icon=":material/tv:", default=True)]
    else:
        joining = bool(join_code_param())
        # URL paths differ from the file names on purpose: on a fresh server, Streamlit resolves a
        # first request for /<file name> through its old pages/ folder routing, skipping this router.
        pages = [
            st.Page("pages/home.py", title=t("ui.home"), icon=":material/home:", default=not joining),
            st.Page(
                "pages/join.py", url_path="anslut", title=t("ui.nav.join"), icon=":material/login:", default=joining
            ),
            st.Page("pages/facilitate.py", url_path="leda", title=t("ui.nav.facilitate"), icon=":material/tune:"),
            st.Page("pages/setup.py", url_path="forbered", title=t("ui.nav.setup"), icon=":material/settings:"),
            st.Page("pages/register.py", url_path="anmalan", title=t("ui.nav.register"), icon=":material/badge:"),
            st.Page("pages/results.py", url_path="resultat", title=t("ui.nav.results"), icon=":material/leaderboard:"),
            st.Page("pages/roadmaps.py", url_path="fardplaner", title=t("ui.nav.roadmaps"), icon=":material/timeline:"),
        ]
    st.navigation(pages, position="hidden" if who in ("participant", "projector", "actor") else "sidebar").run()


try:
    main()
except SQLAlchemyError:  # the database went away mid-run (a restart, a network cut): no traceback
    log.warning("database unavailable during a run", exc_info=True)
    database_unavailable()
