"""The floor for bench part c: the cheapest page Streamlit can rerun, served with the same settings."""

import streamlit as st

st.write("ok")
