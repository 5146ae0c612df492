"""Input checks shared by the operations; each failure names the field and the limit."""

from __future__ import annotations

import datetime as dt
import re
import unicodedata

from edp.errors import ValidationError
from edp.invisible import find_invisible
from edp.security import JOIN_CODE_MAX, JOIN_CODE_MIN, is_join_alphabet

DESCRIPTION_MAX = 2000  # any long free text: a description, a prompt, a criterion's explanation

# C0 and C1 control characters (tab, LF and CR are text), and lone surrogates: those cannot be
# encoded as UTF-8, so the database driver would fail on them instead of the input being refused.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff]")
# What breaks a single line: refused there, never folded into a space behind the user's back.
_LINE_BREAK = re.compile("[\n\r\t\u2028\u2029]")


def text(value: object, field: str, *, max_len: int, min_len: int = 0, multiline: bool = True) -> str:
    """Trimmed, NFC-normalised text within [min_len, max_len] characters.

    Nothing else is changed: NFC and CRLF -> LF change no character that is shown, and a trimmed
    edge holds none. Whatever would be changed instead is refused with a message that says what
    to change: a line break or tab in a single-line field, a control character anywhere, a bidi
    control or an invisible character where edp.invisible does not allow it.
    """
    if value is None:
        value = ""
    if not isinstance(value, str):
        raise ValidationError("input.not_text", field=field)
    value = unicodedata.normalize("NFC", value.replace("\r\n", "\n")).strip()
    if _CONTROL.search(value):
        raise ValidationError("input.control_characters", field=field)
    if not multiline and (found := _LINE_BREAK.search(value)):
        raise ValidationError("input.line_break", field=field, position=found.start() + 1)
    if min_len and len(value) < min_len:
        if min_len == 1:
            raise ValidationError("input.required", field=field)
        raise ValidationError("input.too_short", field=field, min=min_len, length=len(value))
    if len(value) > max_len:
        raise too_long(field, max_len, len(value))
    if invisible := find_invisible(value, multiline=multiline):
        bidi, position, char = invisible
        key = "input.bidi_control" if bidi else "input.invisible_character"
        raise ValidationError(key, field=field, position=position, char=char)
    return value


def too_long(field: str, max_len: int, length: int) -> ValidationError:
    """The refusal of a text over its limit: the limit, the length and how much to take away."""
    return ValidationError("input.too_long", field=field, max=max_len, length=length, over=length - max_len)


def integer(value: object, field: str, *, lo: int, hi: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValidationError("input.not_integer", field=field)
    if not lo <= value <= hi:
        raise ValidationError("input.out_of_range", field=field, min=lo, max=hi, value=value)
    return value


def number(value: object, field: str, *, lo: float, hi: float) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or value != value:
        raise ValidationError("input.not_number", field=field)
    if not lo <= value <= hi:
        raise ValidationError("input.out_of_range", field=field, min=lo, max=hi, value=value)
    return float(value)


def year(value: object, field: str) -> int | None:
    if value is None:
        return None
    return integer(value, field, lo=2000, hi=2100)


def date(value: object, field: str) -> dt.date | None:
    if value is None or value == "":
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str):
        try:
            return dt.date.fromisoformat(value.strip())
        except ValueError:
            pass
    raise ValidationError("input.not_date", field=field)


def choice(value: object, field: str, options: tuple[str, ...]) -> str:
    if value not in options:
        raise ValidationError("input.not_a_choice", field=field, options=", ".join(options))
    return str(value)


def join_code(value: object, field: str = "join_code") -> str:
    """A join code the facilitator chose: JOIN_CODE_MIN to JOIN_CODE_MAX characters of the join
    alphabet (no look-alikes such as 0/O or 1/I). Only letter case and surrounding spaces are
    ignored; a code with anything else is refused, never rewritten."""
    try:
        code = text(value, field, min_len=1, max_len=JOIN_CODE_MAX, multiline=False).upper()
    except ValidationError as refused:
        if refused.key != "input.line_break":
            raise
        # "Replace it with a space" is not what a code needs (a space is refused too): the code's own rule is.
        raise ValidationError("workshop.join_code_format", field=field) from None
    if len(code) < JOIN_CODE_MIN:
        raise ValidationError("input.too_short", field=field, min=JOIN_CODE_MIN, length=len(code))
    if not is_join_alphabet(code):
        raise ValidationError("workshop.join_code_format", field=field)
    return code
