"""Showing text that users typed: always as plain text, never as Markdown or HTML."""

from __future__ import annotations

import re

_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|>~<$:])")


def escape_markdown(value: str) -> str:
    """Backslash-escape every Markdown/LaTeX/emoji-shortcode trigger, so text renders literally."""
    return _MD_SPECIAL.sub(r"\\\1", value).replace("\n", "  \n")
