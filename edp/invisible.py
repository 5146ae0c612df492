"""Invisible characters in typed text: which ones a field may hold, by field kind.

Bidi controls reorder what is shown (U+202E turns "gpj.exe" into "exe.jpg"), and zero-width
characters make two names that look the same compare different, so a look-alike duplicate
passes every check. The Unicode properties come from ICU (PyICU), never from hand-kept lists.

- Every text: the bidi embeddings and overrides (U+202A–U+202E) are refused. Running text that
  mixes directions needs at most the isolates and marks, which stay allowed in multi-line text.
- Single-line fields (names, titles, codes, units): every bidi control and every
  Default_Ignorable_Code_Point is refused, except where it is part of what the text shows:
  a zero-width joiner inside an emoji sequence (👩🏽‍🌾), a joiner or non-joiner between two
  letters of a script that joins or forms conjuncts (Persian, Hindi, Sinhala, ...), a variation
  selector after a character it selects a form of (an emoji, a CJK ideograph), and the tag
  characters of an emoji tag sequence (the flag of Scotland).
"""

from __future__ import annotations

import re
import unicodedata

import icu

_P = icu.UProperty


def _char_class(pattern: str) -> re.Pattern[str]:
    ranges = icu.UnicodeSet(pattern).ranges()
    return re.compile("[" + "".join(f"{re.escape(a)}-{re.escape(b)}" for a, b in ranges) + "]")


# Candidates found fast with one regular expression; each is then judged in its context.
_BIDI = _char_class("[:Bidi_Control:]")
_IGNORABLE = _char_class("[[:Default_Ignorable_Code_Point:][:Bidi_Control:]]")
_ALWAYS_REFUSED = re.compile("[\u202a-\u202e]")  # embeddings (LRE, RLE, PDF) and overrides (LRO, RLO)

ZWNJ, ZWJ = "\u200c", "\u200d"
_EMOJI_VS = ("\ufe0e", "\ufe0f")  # text and emoji presentation
_OTHER_VS = re.compile("[\ufe00-\ufe0d\U000e0100-\U000e01ef\u180b-\u180d\u180f]")
_TAGS = re.compile("[\U000e0020-\U000e007f]")
_BLACK_FLAG = "\U0001f3f4"
# Scripts in which a joiner between two letters changes nothing that is shown: there it only hides a difference.
_NON_JOINING = {"Latn", "Grek", "Cyrl", "Armn", "Geor", "Zyyy", "Zinh", "Zzzz", "Hani", "Hira", "Kana", "Hang", "Bopo"}


def describe(ch: str) -> str:
    """`U+202E RIGHT-TO-LEFT OVERRIDE`: how an invisible character is named in a message."""
    return f"U+{ord(ch):04X} {unicodedata.name(ch, '')}".strip()


def _has(ch: str, prop: int) -> bool:
    return bool(icu.Char.hasBinaryProperty(ch, prop))


def _script(ch: str) -> str:
    return icu.Script.getScript(ord(ch)).getShortName()


def _letter(ch: str) -> bool:
    return unicodedata.category(ch)[0] in "LM"


def _joining_letters(before: str, after: str) -> bool:
    """Both neighbours are letters (or marks) of one script whose letters join or form conjuncts."""
    if not (before and after and _letter(before) and _letter(after)):
        return False
    a, b = _script(before), _script(after)
    if a == "Zinh":  # a combining mark (a virama, a vowel sign) takes its base's script
        return b not in _NON_JOINING
    return a == b and a not in _NON_JOINING


def _emoji_part(ch: str) -> bool:
    return bool(ch) and (
        _has(ch, _P.EXTENDED_PICTOGRAPHIC) or _has(ch, _P.EMOJI_MODIFIER) or ch in _EMOJI_VS or ch == "\U000e007f"
    )


def _legitimate(text: str, i: int) -> bool:
    """Whether the ignorable character at text[i] belongs to what its neighbours show."""
    ch = text[i]
    before = text[i - 1] if i > 0 else ""
    after = text[i + 1] if i + 1 < len(text) else ""
    if ch == ZWJ:
        return (_emoji_part(before) and bool(after) and _has(after, _P.EXTENDED_PICTOGRAPHIC)) or _joining_letters(
            before, after
        )
    if ch == ZWNJ:
        return _joining_letters(before, after)
    if ch in _EMOJI_VS:
        return bool(before) and _has(before, _P.EMOJI)
    if _OTHER_VS.fullmatch(ch):
        return (
            bool(before)
            and not before.isspace()
            and not _IGNORABLE.fullmatch(before)
            and _script(before)
            not in (
                "Latn",
                "Grek",
                "Cyrl",
            )
        )
    if _TAGS.fullmatch(ch):
        return before == _BLACK_FLAG or (
            bool(before) and _TAGS.fullmatch(before) is not None and before != "\U000e007f"
        )
    return False


def find_invisible(text: str, *, multiline: bool) -> tuple[bool, int, str] | None:
    """The first invisible character `text` may not hold, as (whether it is a bidi control,
    its 1-based position, its description), or None."""
    if multiline:
        found = _ALWAYS_REFUSED.search(text)
        return (True, found.start() + 1, describe(found.group())) if found else None
    for found in _IGNORABLE.finditer(text):
        i, ch = found.start(), found.group()
        if _BIDI.fullmatch(ch):
            return True, i + 1, describe(ch)
        if not _legitimate(text, i):
            return False, i + 1, describe(ch)
    return None
