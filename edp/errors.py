"""Typed domain errors. Each carries a message key and parameters; edp.i18n renders them."""

from __future__ import annotations

from typing import Any

from edp.i18n import error_message


class EdpError(Exception):
    """Base of every error the engine raises on misuse.

    `key` names a message in the gettext catalogues; `params` fill its placeholders.
    `field` names the input at fault, when there is one, so a form can point at it.
    """

    def __init__(self, key: str, *, field: str | None = None, **params: Any) -> None:
        self.key = key
        self.field = field
        self.params = dict(params)
        if field is not None:
            self.params.setdefault("field", field)
        super().__init__(f"{key} {self.params}" if self.params else key)

    def message(self, lang: str = "en") -> str:
        return error_message(self, lang)


class ValidationError(EdpError):
    """An input is missing, too long, out of range or malformed."""


class NotFound(EdpError):
    """A referenced thing does not exist (or not where it was looked for)."""


class PhaseError(EdpError):
    """The operation is not allowed in the round's or workshop's current phase."""


class PermissionDenied(EdpError):
    """The caller's passcode or token does not allow this."""


class Throttled(EdpError):
    """Too many attempts in a short time; `params["seconds"]` says how long to wait. Nothing was written."""


class Conflict(EdpError):
    """The operation clashes with existing data (a duplicate, a cycle)."""


class RowErrors(ValidationError):
    """A file import with bad rows; nothing was imported. `rows` pairs a 1-based line number with its error."""

    def __init__(self, rows: list[tuple[int, EdpError]]) -> None:
        super().__init__("import.rows_invalid", count=len(rows))
        self.rows = rows


class SheetErrors(ValidationError):
    """A workbook import with bad rows; nothing was imported. `rows` holds (sheet, 1-based row, error)."""

    def __init__(self, rows: list[tuple[str, int, EdpError]]) -> None:
        super().__init__("import.sheet_rows_invalid", count=len(rows))
        self.rows = rows
