"""Finds every message key the engine can raise, by reading its source (used by the tests and tools)."""

from __future__ import annotations

import ast
from pathlib import Path

ERROR_CLASSES = {
    "EdpError", "ValidationError", "NotFound", "PhaseError", "PermissionDenied", "Conflict", "Throttled",
}  # fmt: skip
PACKAGE = Path(__file__).parent


def error_keys(root: Path = PACKAGE) -> dict[str, set[str]]:
    """message key -> the field names raised with it (f-string keys are expanded by hand below)."""
    keys: dict[str, set[str]] = {}
    for path in root.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in ERROR_CLASSES):
                continue
            if not node.args:
                continue
            first = node.args[0]
            fields = {
                kw.value.value
                for kw in node.keywords
                if kw.arg == "field" and isinstance(kw.value, ast.Constant) and isinstance(kw.value.value, str)
            }
            branches = [first.body, first.orelse] if isinstance(first, ast.IfExp) else [first]
            for b in branches:
                if isinstance(b, ast.Constant) and isinstance(b.value, str):
                    keys.setdefault(b.value, set()).update(fields)
            if isinstance(first, ast.JoinedStr):
                prefix = "".join(
                    v.value for v in first.values if isinstance(v, ast.Constant) and isinstance(v.value, str)
                )
                for k in DYNAMIC.get(prefix, ()):
                    keys.setdefault(k, set()).update(fields)
    return keys


# Keys built with f-strings, listed so that the catalogue check still sees them.
DYNAMIC = {"theme.not_": ("theme.not_active", "theme.not_withdrawn")}


def field_names(root: Path = PACKAGE) -> set[str]:
    """Every field= literal passed to a validation helper or an error."""
    names: set[str] = set()
    for path in root.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call):
                for kw in node.keywords:
                    if kw.arg == "field" and isinstance(kw.value, ast.Constant) and isinstance(kw.value.value, str):
                        names.add(kw.value.value)
                fn = node.func
                name = fn.attr if isinstance(fn, ast.Attribute) else getattr(fn, "id", "")
                if (
                    name
                    in {
                        "text",
                        "integer",
                        "number",
                        "year",
                        "date",
                        "choice",
                        "_int",
                        "_date",
                        "_number",
                        "_actor",
                        "_status",
                        "_optional_int",
                    }
                    and len(node.args) >= 2
                ):
                    arg = node.args[1]
                    if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
                        names.add(arg.value)
    return names
