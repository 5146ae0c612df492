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


# Message parameters that carry what a user typed (an actor's name, a theme's or goal's title).
USER_TEXT_PARAMS = ("name", "title")


def show_error(err: object, language: str | None = None) -> None:
    """An engine refusal. A message that quotes user text is shown as a fixed alert with the
    message itself below it in plain text; any other message goes into the alert directly."""
    from edp.ui.common import lang, t

    message = err.message(language or lang())  # type: ignore[attr-defined]
    params = getattr(err, "params", {})
    if not any(isinstance(params.get(p), str) for p in USER_TEXT_PARAMS):
        st.error(message)
        return
    st.error(t("ui.refused_quoting"))
    n = st.session_state.get("_plain_error_n", 0) + 1
    st.session_state["_plain_error_n"] = n
    plain(message, key=f"error-{n}")
