"""The router: page config, language, then the page set."""

import streamlit as st

from edp.ui.common import language_switch, t
from edp.ui.text import page_style

st.set_page_config(page_title="EDP", page_icon=":material/groups:", layout="wide")
page_style()
language_switch()
page = st.navigation([st.Page("pages/home.py", title=t("ui.home"), icon=":material/home:", default=True)])
page.run()
