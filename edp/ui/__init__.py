"""Streamlit-only helpers shared by the pages. The only part of edp that may import streamlit."""
