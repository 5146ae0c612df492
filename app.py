"""The router: page config, language, then the page set."""

import streamlit as st

from edp.ui.common import language_switch, t

st.set_page_config(page_title="EDP", page_icon=":material/groups:", layout="wide")
language_switch()
page = st.navigation([st.Page("pages/home.py", title=t("ui.home"), icon=":material/home:", default=True)])
page.run()
