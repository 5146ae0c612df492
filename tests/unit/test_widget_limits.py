"""No widget caps what is typed or pasted with max_chars: Streamlit drops a paste that would pass the cap
whole (tests/e2e/test_text_hygiene_browser.py shows it), so the box stays empty and the form then says the
field is required. Limits live in the engine, whose refusal names the field, the limit and the excess."""

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def max_chars_calls(path: Path) -> list[int]:
    return [
        node.lineno
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
        if isinstance(node, ast.Call) and any(kw.arg == "max_chars" for kw in node.keywords)
    ]


def screen_files() -> list[Path]:
    return [ROOT / "app.py", *(ROOT / "pages").glob("*.py"), *(ROOT / "edp" / "ui").glob("*.py")]


def test_no_widget_on_any_screen_has_max_chars():
    offenders = {str(p.relative_to(ROOT)): lines for p in screen_files() if (lines := max_chars_calls(p))}
    assert offenders == {}


def test_the_check_itself_sees_max_chars_on_a_widget_and_a_column(tmp_path):
    sample = tmp_path / "x.py"
    sample.write_text('st.text_input("a", max_chars=9)\nst.column_config.TextColumn("b",\n  max_chars=3)\n')
    assert max_chars_calls(sample) == [1, 2]
    assert len(screen_files()) > 10
