"""The engine never imports streamlit outside edp/ui/."""

import ast
from pathlib import Path

EDP = Path(__file__).resolve().parents[2] / "edp"


def streamlit_imports(path: Path) -> list[int]:
    lines = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        names = []
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module:
            names = [node.module]
        if any(n == "streamlit" or n.startswith("streamlit.") for n in names):
            lines.append(node.lineno)
    return lines


def test_engine_outside_ui_imports_no_streamlit():
    offenders = {
        str(p.relative_to(EDP)): lines
        for p in EDP.rglob("*.py")
        if "ui" not in p.relative_to(EDP).parts[:1] and (lines := streamlit_imports(p))
    }
    assert offenders == {}


def test_the_check_itself_sees_a_streamlit_import(tmp_path):
    sample = tmp_path / "x.py"
    sample.write_text("def f():\n    from streamlit import session_state\n")
    assert streamlit_imports(sample) == [2]
