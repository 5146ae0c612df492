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


CHOOSERS = ("selectbox", "multiselect")


def choosers_without_placeholder() -> list[str]:
    """file:line of every st.selectbox / st.multiselect call (st., st.sidebar., a column) that does not
    pass placeholder=: Streamlit would fill it with its own English "Choose an option"."""
    out = []
    for path in SOURCES:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and node.func.attr in CHOOSERS
                and not any(kw.arg in ("placeholder", None) for kw in node.keywords)
            ):
                out.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    return out


def test_every_select_box_carries_our_own_placeholder_not_streamlits_english_one():
    assert choosers_without_placeholder() == []


def test_the_placeholder_check_finds_select_boxes(tmp_path, monkeypatch):
    bad = tmp_path / "bad.py"
    bad.write_text(
        'import streamlit as st\nst.sidebar.selectbox("x", [1])\ncol.multiselect("y", [2], placeholder="z")\n'
    )
    monkeypatch.setattr(f"{__name__}.SOURCES", [bad])
    monkeypatch.setattr(f"{__name__}.ROOT", tmp_path)
    assert choosers_without_placeholder() == ["bad.py:2"]
