"""The instance admin's page: the region and its S3 strategy, its strength areas, its processes
with their process leaders, and the organiser accounts with their roles. A region starts here."""

import streamlit as st

from edp.ui import admin
from edp.ui.common import t
from edp.ui.facilitator import guard, show_flash
from edp.ui.session import organiser_page

st.title(t("ui.admin.title"))
organiser_page(admin=True)
st.caption(t("ui.admin.intro"))
show_flash()
region, areas, processes, users = st.tabs(
    [t("ui.admin.tab.region"), t("ui.admin.tab.areas"), t("ui.admin.tab.processes"), t("ui.admin.tab.users")]
)
with region, guard():
    admin.region_form()
with areas, guard():
    admin.areas_panel()
with processes, guard():
    admin.processes_panel()
with users, guard():
    admin.users_panel()
