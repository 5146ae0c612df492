"""One's own organiser account: who one is and which roles one has, a new password, signing out
here or in every browser at once."""

import streamlit as st

from edp.ui import signin
from edp.ui.common import t
from edp.ui.facilitator import guard, show_flash
from edp.ui.session import organiser_page

st.title(t("ui.account.title"))
organiser_page()
show_flash()
with guard():
    signin.who_am_i()
with guard():
    signin.password_section()
st.subheader(t("ui.account.sign_out_heading"))
with guard():
    signin.sign_out_buttons()
