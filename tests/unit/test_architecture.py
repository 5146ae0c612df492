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


# ---------------------------------------------------------------- imports between modules

ROOT = EDP.parent
PRODUCT = [*sorted(EDP.rglob("*.py")), ROOT / "app.py", *sorted((ROOT / "pages").glob("*.py"))]


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {module_name(p) for p in EDP.rglob("*.py")}


def owner(name: str) -> str | None:
    """The edp module that defines `name` (a module path, or a module path and an attribute)."""
    while name and name not in MODULES:
        name = name.rpartition(".")[0]
    return name or None


def imports_of(path: Path) -> list[tuple[int, str, str | None]]:
    """(line, module imported, name imported from it or None) for every edp import in the file:
    at the top, inside functions and under TYPE_CHECKING alike (a hidden import is still a dependency)."""
    out = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            out += [(node.lineno, a.name, None) for a in node.names if a.name.split(".")[0] == "edp"]
        elif (
            isinstance(node, ast.ImportFrom) and node.level == 0 and node.module and node.module.split(".")[0] == "edp"
        ):
            for a in node.names:
                sub = f"{node.module}.{a.name}"
                out.append((node.lineno, sub, None) if sub in MODULES else (node.lineno, node.module, a.name))
    return out


def private_uses(path: Path) -> list[str]:
    """Another module's private names used here: `from edp.x import _y`, or `x._y` where x is an
    imported edp module. A name a module keeps private may change without its callers knowing."""
    me = module_name(path)
    found, aliases = [], {}
    tree = ast.parse(path.read_text(encoding="utf-8"))
    for line, mod, name in imports_of(path):
        if name is not None and name.startswith("_") and owner(mod) != me:
            found.append(f"{path.relative_to(ROOT)}:{line} imports {mod}.{name}")
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.split(".")[0] == "edp":
            for a in node.names:
                if f"{node.module}.{a.name}" in MODULES:
                    aliases[a.asname or a.name] = f"{node.module}.{a.name}"
        elif isinstance(node, ast.Import):
            for a in node.names:
                if a.asname and a.name in MODULES:
                    aliases[a.asname] = a.name
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Attribute)
            and isinstance(node.value, ast.Name)
            and node.value.id in aliases
            and aliases[node.value.id] != me
            and node.attr.startswith("_")
            and not node.attr.startswith("__")
        ):
            found.append(f"{path.relative_to(ROOT)}:{node.lineno} uses {aliases[node.value.id]}.{node.attr}")
    return found


def dependency_graph(paths: list[Path], level: int | None = None) -> dict[str, set[str]]:
    """Module -> the edp modules it imports; with `level`, names are cut to that many parts
    (level 2: edp.ui.setup -> edp.ui), so the graph is between subpackages."""

    def cut(name: str) -> str:
        return ".".join(name.split(".")[:level]) if level else name

    graph: dict[str, set[str]] = {}
    for path in paths:
        me = cut(module_name(path))
        deps = graph.setdefault(me, set())
        for _, mod, _name in imports_of(path):
            target = owner(mod)
            if target and target != "edp" and cut(target) != me:
                deps.add(cut(target))
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components of more than one node (Tarjan), each sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        for w in sorted(graph.get(v, ())):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            group = []
            while True:
                w = stack.pop()
                group.append(w)
                if w == v:
                    break
            if len(group) > 1:
                found.append(sorted(group))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return sorted(found)


def test_no_module_uses_another_modules_private_names():
    offenders = [use for p in PRODUCT for use in private_uses(p)]
    assert offenders == []


def test_no_import_cycles_between_engine_modules_or_subpackages():
    engine = sorted(EDP.rglob("*.py"))
    assert cycles(dependency_graph(engine)) == []
    assert cycles(dependency_graph(engine, level=2)) == []


def test_the_private_name_check_sees_both_spellings(tmp_path, monkeypatch):
    sample = EDP / "_architecture_sample.py"
    monkeypatch.setattr("tests.unit.test_architecture.MODULES", MODULES | {"edp._architecture_sample"}, raising=True)
    try:
        sample.write_text(
            "from edp.workshop import _hidden, public\nfrom edp import live\n\nlive._theme_cache\nlive.theme_views\n"
        )
        assert private_uses(sample) == [
            "edp/_architecture_sample.py:1 imports edp.workshop._hidden",
            "edp/_architecture_sample.py:4 uses edp.live._theme_cache",
        ]
    finally:
        sample.unlink()


def test_the_cycle_check_sees_a_cycle_hidden_in_a_function():
    graph = {"edp.a": {"edp.b"}, "edp.b": {"edp.c"}, "edp.c": {"edp.a"}, "edp.d": {"edp.a"}}
    assert cycles(graph) == [["edp.a", "edp.b", "edp.c"]]
    assert cycles({"edp.a": {"edp.b"}, "edp.b": set()}) == []
