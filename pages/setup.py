"""Set-up for a process leader: the processes they lead, each with its workshops (a new one; open a
workshop's console), its actors and its description. Rounds are added in a workshop's console."""

import streamlit as st

from edp.ui import setup
from edp.ui.common import t
from edp.ui.facilitator import guard, show_flash
from edp.ui.session import organiser_page

st.title(t("ui.setup.title"))
organiser_page()
show_flash()

with guard():
    processes = setup.led_processes()
if not processes:
    st.info(t("ui.setup.no_led_processes"), icon=":material/info:")
    st.stop()

proc = setup.pick_process(processes)
workshops, actors, details = st.tabs([t("ui.setup.tab_workshops"), t("ui.setup.tab_actors"), t("ui.setup.tab_process")])
with workshops, guard():
    setup.workshop_list(proc)
    with st.expander(t("ui.setup.new_workshop"), expanded=not proc["workshops"], icon=":material/add:"):
        setup.create_workshop_form(proc["id"])
with actors, guard():
    listed = setup.actor_list(proc["id"])
    with st.expander(t("ui.setup.add_actor"), expanded=not listed):
        setup.actor_add_form(proc["id"])
    with st.expander(t("ui.setup.edit_actor")):
        setup.actor_edit_form(proc["id"])
    with st.expander(t("ui.setup.import_heading"), expanded=not listed):
        setup.actor_import(proc["id"])
with details, guard():
    setup.process_form(proc)
