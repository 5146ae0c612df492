"""Every UI string a page or UI helper asks for exists in Swedish and in English."""

import ast
from pathlib import Path

import pytest

from edp import i18n

ROOT = Path(__file__).resolve().parents[2]
SOURCES = [ROOT / "app.py", *sorted((ROOT / "pages").glob("*.py")), *sorted((ROOT / "edp" / "ui").glob("*.py"))]


def ui_keys() -> dict[str, str]:
    """key -> file, for every t("literal", ...) and i18n.t("literal", ...) call."""
    keys = {}
    for path in SOURCES:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.Call) or not node.args:
                continue
            name = node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", "")
            first = node.args[0]
            if name in ("t", "gettext") and isinstance(first, ast.Constant) and isinstance(first.value, str):
                keys[first.value] = path.name
    return keys


def test_the_scanner_finds_the_pages_strings():
    keys = ui_keys()
    assert "ui.processes" in keys and "ui.nav.join" in keys


@pytest.mark.parametrize("lang", ["sv", "en"])
def test_every_ui_string_is_translated(lang):
    missing = {k: f for k, f in ui_keys().items() if k not in i18n.catalogue(lang)}
    assert missing == {}
