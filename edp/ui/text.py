"""Showing text that users typed: always through st.text, which never interprets Markdown, HTML,
icons or links. Headings of user text are st.text in a keyed container that page_style() enlarges."""

from __future__ import annotations

import streamlit as st

KINDS = ("title", "strong", "body")

STYLE = """
<style>
[class*="st-key-plain-title-"] [data-testid="stText"] { font-size: 1.5rem; font-weight: 600; line-height: 1.3; }
[class*="st-key-plain-strong-"] [data-testid="stText"] { font-weight: 600; }
[data-testid="stText"] { font-family: inherit; white-space: pre-wrap; }
</style>
"""


def page_style() -> None:
    """The CSS for plain-text headings; it is our own, fixed text, never user input."""
    st.html(STYLE)


def plain(value: str, *, key: str, kind: str = "body") -> None:
    """User text, literally. `key` must be unique on the page; it also gives tests a stable handle."""
    if kind not in KINDS:
        raise ValueError(kind)
    with st.container(key=f"plain-{kind}-{key}"):
        st.text(value)
