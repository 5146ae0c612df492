"""Showing text that users typed: always through st.text, which never interprets Markdown, HTML,
icons or links. Headings of user text are st.text in a keyed container that page_style() enlarges.

Every other element renders Markdown in what it is given, links and images included: st.markdown,
st.caption, the alerts, st.metric (label, value, delta and help), every widget's label and help,
radio options and captions, button, expander, tab and status labels, badges, progress text and
toasts (tests/e2e/test_text_hygiene_browser.py checks the list). They get our own fixed text only.
Select and multiselect options, dataframes and plotly figures (escaped by edp.charts) do not."""

from __future__ import annotations

import re

import streamlit as st

KINDS = ("title", "strong", "body", "metric")

STYLE = """
<style>
[class*="st-key-plain-title-"] [data-testid="stText"] { font-size: 1.5rem; font-weight: 600; line-height: 1.3; }
[class*="st-key-plain-strong-"] [data-testid="stText"] { font-weight: 600; }
[class*="st-key-plain-metric-"] [data-testid="stText"] { font-size: 2.25rem; line-height: 1.2; }
[data-testid="stText"] { font-family: inherit; white-space: pre-wrap; }
/* Captions: Streamlit draws them in its text colour at 60% alpha (#828180 on white, 3.9:1); WCAG 2.1 AA asks
   4.5:1 for small text. The text colour at 80% opacity stays quieter than body text, light or dark (7:1). */
[data-testid="stMarkdown"] [data-testid="stCaptionContainer"] { color: inherit; opacity: 0.8; }
/* The push listener (edp.ui.live): out of the page's flow, so it takes no room and adds no gap. */
.st-key-edp-live, [class*="st-key-edp-mark-"] { position: absolute; width: 0; height: 0; overflow: visible; }
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


def plain_in(value: str) -> None:
    """User text, literally, as plain() shows it, without a keyed container of its own: for a spot
    whose enclosing container already has a unique key (a ballot's theme card), styled through
    that key. A 20-theme scoring ballot draws some 200 fewer elements so, on every vote."""
    st.text(value)


def metric(label: str, value: str, *, key: str, help: str | None = None) -> None:  # noqa: A002
    """A figure under its label, as st.metric shows one, with the value as plain text: a value that
    carries user text (a KPI's unit) would be Markdown in st.metric. `label` and `help` are ours."""
    with st.container(key=f"metric-{key}", gap=None):
        st.caption(label, help=help)
        plain(value, key=key, kind="metric")


# Message parameters that are our own words (field labels, phases, limits, dates, our sheet and column names,
# a character's Unicode name). Any other text parameter may be what a user typed.
FIXED_PARAMS = frozenset(
    {"field", "phase", "current", "requested", "options", "min", "max", "start", "baseline", "sheet", "column"}
    | {"char", "example"}
)

# A value of ASCII letters and digits only (a join code as the engine read it) has no character that
# Markdown or HTML could act on: the alert shows it as it is.
INERT = re.compile(r"[A-Za-z0-9]{1,40}")


def show_error(err: object, language: str | None = None) -> None:
    """An engine refusal. A message that quotes user text is shown as a fixed alert with the
    message itself below it in plain text; any other message goes into the alert directly."""
    from edp.ui.common import lang, t

    message = err.message(language or lang())  # type: ignore[attr-defined]
    params = getattr(err, "params", {})
    if not any(isinstance(v, str) and not INERT.fullmatch(v) for k, v in params.items() if k not in FIXED_PARAMS):
        st.error(message)
        return
    st.error(t("ui.refused_quoting"))
    n = st.session_state.get("_plain_error_n", 0) + 1
    st.session_state["_plain_error_n"] = n
    plain(message, key=f"error-{n}")
