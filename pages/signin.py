"""Signing in as an organiser: with a password (the sign-in form sets a session cookie) or through the
region's identity provider (OpenID Connect). On an instance without accounts, the first one is made
here with the setup code the server printed when it started."""

import streamlit as st

from edp.accounts import users_exist
from edp.ui import signin
from edp.ui.common import engine, t
from edp.ui.session import OIDC_REFUSED, SIGN_IN_NEXT
from edp.ui.text import show_error

st.title(t("ui.signin.title"))
if refused := st.session_state.pop(OIDC_REFUSED, None):
    show_error(refused)

if st.session_state.get(signin.FIRST_DONE):
    st.success(t("ui.signin.first_done"), icon=":material/check_circle:")
elif not users_exist(engine()):
    signin.first_account_form()
    st.stop()

st.caption(t("ui.signin.intro"))
signin.sign_in_choices(st.query_params.get(SIGN_IN_NEXT) or "/")
st.divider()
st.caption(t("ui.signin.passcode_hint"))
st.page_link("pages/facilitate.py", label=t("ui.signin.go_passcode"), icon=":material/tune:")
