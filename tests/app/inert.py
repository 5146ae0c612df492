"""Where a screen (AppTest) shows text as Markdown or HTML, and whether user text got there.

Deny by default: every text field of every element's message counts as rendered Markdown, except the
fields listed in PLAIN, which Streamlit shows as plain text (each checked in a real browser by
tests/e2e/test_text_hygiene_browser.py). A new element that shows user text fails until it is plain.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator

from google.protobuf.message import Message
from streamlit.testing.v1 import AppTest

# (element type, field path) shown as plain text: st.text, the options and value of select boxes, what
# an input holds, dataframes' column settings, code. Plotly figures are checked for raw tags instead.
PLAIN = {
    ("text", ".body"),
    ("selectbox", ".options"),
    ("selectbox", ".raw_value"),
    ("multiselect", ".options"),
    ("multiselect", ".raw_values"),
    ("text_input", ".default"),
    ("text_input", ".value"),
    ("text_area", ".default"),
    ("text_area", ".value"),
    ("dataframe", ".columns"),
    ("code", ".code_text"),
}
FIGURES = {("plotly_chart", ".spec")}
HIDDEN = (".id", ".form_id")  # identifiers, never shown
# Plotly renders a few HTML tags in text (links among them): a figure may hold user text only escaped.
_RAW_TAG = re.compile(r"(<|\\u003c)\s*(a|img)\b", re.IGNORECASE)


def _strings(msg: Message, path: str = "") -> Iterator[tuple[str, str]]:
    for fd, value in msg.ListFields():
        values = value if hasattr(value, "__len__") and not isinstance(value, str | bytes | Message) else [value]
        for v in values:
            if isinstance(v, Message):
                yield from _strings(v, f"{path}.{fd.name}")
            elif isinstance(v, str):
                yield f"{path}.{fd.name}", v


def _nodes(node: object) -> Iterator[object]:
    yield node
    for child in getattr(node, "children", {}).values():
        yield from _nodes(child)


def markdown_leaks(at: AppTest, needles: Iterable[str]) -> list[tuple[str, str, str]]:
    """(element type, field, text) wherever one of `needles` is in text that is rendered as Markdown
    or HTML, or is a raw link or image tag in a figure."""
    needles = [n for n in needles if n]
    leaks = []
    for node in _nodes(at._tree):  # noqa: SLF001 - the element tree has no public walk
        proto = getattr(node, "proto", None)
        if not isinstance(proto, Message):
            continue
        kind = getattr(node, "type", type(node).__name__)
        for path, text in _strings(proto):
            if path.endswith(HIDDEN) or not any(n in text for n in needles):
                continue
            if (kind, path) in FIGURES:
                if _RAW_TAG.search(text):
                    leaks.append((kind, path, _RAW_TAG.search(text).group()))
            elif (kind, path) not in PLAIN:
                leaks.append((kind, path, text[:160]))
    return leaks


def markdown_texts(at: AppTest) -> list[str]:
    """Every text that is rendered as Markdown or HTML on the screen."""
    return [
        text
        for node in _nodes(at._tree)  # noqa: SLF001
        if isinstance(proto := getattr(node, "proto", None), Message)
        for path, text in _strings(proto)
        if (getattr(node, "type", ""), path) not in PLAIN | FIGURES and not path.endswith(HIDDEN)
    ]


def plain_texts(at: AppTest) -> list[str]:
    """Every text the screen shows as plain text: st.text, select options, inputs, tables' cells."""
    out = []
    for node in _nodes(at._tree):  # noqa: SLF001
        proto = getattr(node, "proto", None)
        if not isinstance(proto, Message):
            continue
        kind = getattr(node, "type", "")
        out += [text for path, text in _strings(proto) if (kind, path) in PLAIN]
        if kind == "dataframe":
            out += [str(cell) for row in node.value.itertuples(index=False) for cell in row]
    return out
