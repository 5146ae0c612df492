"""The router: page config, language, role, then that role's page set.

`streamlit run app.py` finds `app` at the bottom and serves it as an st.App: the pages, plus the
password sign-in route (edp/ui/routes.py), the live screens' push socket (edp/ui/push.py) and the
start-up work (edp/ui/server.py). Each page view
runs this file as a script (__main__), which routes.
"""

import logging
from typing import Literal

import streamlit as st


def main() -> None:
    from sqlalchemy.exc import SQLAlchemyError

    from edp.ui.common import FAVICON, language_switch, t
    from edp.ui.live import database_unavailable, mark_pending
    from edp.ui.session import JOIN_PATH, joins_by_default, principal, role
    from edp.ui.text import page_style

    st.set_page_config(page_title="EDP", page_icon=FAVICON, layout="wide")
    page_style()
    log = logging.getLogger("edp.app")

    def pages_for(who: str) -> list:
        if who == "participant":
            return [
                st.Page(
                    "pages/participate.py", title=t("ui.nav.participate"), icon=":material/how_to_vote:", default=True
                )
            ]
        if who == "actor":
            return [st.Page("pages/update.py", title=t("ui.nav.update"), icon=":material/edit_note:", default=True)]
        if who == "projector":
            return [st.Page("pages/projector.py", title=t("ui.nav.projector"), icon=":material/tv:", default=True)]
        joining = joins_by_default()
        # URL paths differ from the file names on purpose: on a fresh server, Streamlit resolves a
        # first request for /<file name> through its old pages/ folder routing, skipping this router.
        pages = [
            st.Page("pages/home.py", title=t("ui.home"), icon=":material/home:", default=not joining),
            st.Page(
                "pages/join.py", url_path=JOIN_PATH, title=t("ui.nav.join"), icon=":material/login:", default=joining
            ),
            st.Page("pages/facilitate.py", url_path="leda", title=t("ui.nav.facilitate"), icon=":material/tune:"),
        ]
        pages.append(
            st.Page("pages/register.py", url_path="anmalan", title=t("ui.nav.register"), icon=":material/badge:",
                    visibility="visible" if who in ("organiser", "facilitator") else "hidden")
        )  # fmt: skip
        pages.append(
            st.Page("pages/results.py", url_path="resultat", title=t("ui.nav.results"), icon=":material/leaderboard:")
        )
        # The organiser's pages. Someone else opening one by its address (an expired session, a
        # bookmark) gets the page's own "sign in" hint rather than Streamlit's "page not found":
        # the pages are listed, hidden from the menu, and each stops before it reads anything.
        organiser = who == "organiser"
        shown: Literal["visible", "hidden"] = "visible" if organiser else "hidden"
        p = principal() if organiser else None
        pages += [
            st.Page("pages/setup.py", url_path="forbered", title=t("ui.nav.setup"), icon=":material/settings:",
                    visibility=shown),
            st.Page("pages/roadmaps.py", url_path="fardplaner", title=t("ui.nav.roadmaps"), icon=":material/timeline:",
                    visibility=shown),
            st.Page("pages/admin.py", url_path="administration", title=t("ui.nav.admin"),
                    icon=":material/admin_panel_settings:", visibility="visible" if p and p.is_admin else "hidden"),
            st.Page("pages/account.py", url_path="konto", title=t("ui.nav.account"), icon=":material/person:",
                    visibility=shown),
        ]  # fmt: skip
        if not organiser:
            pages.append(
                st.Page("pages/signin.py", url_path="inloggning", title=t("ui.nav.signin"), icon=":material/key:")
            )
        return pages

    try:
        who = role()
        if who != "projector":
            language_switch()
        hidden = who in ("participant", "projector", "actor")
        try:
            st.navigation(pages_for(who), position="hidden" if hidden else "sidebar").run()
        finally:
            mark_pending()  # after all the page drew, also when it stopped early (edp.ui.live.mark)
    except SQLAlchemyError:  # the database went away mid-run (a restart, a network cut): no traceback
        log.warning("database unavailable during a run", exc_info=True)
        database_unavailable()


if __name__ == "__main__":
    main()
else:  # imported by `streamlit run app.py`: the server, with its own routes beside the pages
    from edp.ui import push, routes
    from edp.ui.server import lifespan

    app = st.App(__file__, routes=[*routes.ROUTES, *push.ROUTES], lifespan=lifespan)
