"""edp is a real package: ranges in pyproject.toml, exact pins in the requirement files, nothing of the
tests on a server, and a wheel that carries everything edp reads from its own folder at run time."""

from __future__ import annotations

import ast
import fnmatch
import glob
import importlib
import os
import shutil
import subprocess
import sys
import tomllib
import zipfile
from importlib.metadata import PackageNotFoundError, distribution, packages_distributions, version
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

import edp
from edp import db

ROOT = Path(__file__).resolve().parents[2]
EDP = Path(edp.__file__).resolve().parent
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
# What must never ship to a server; pytest's plugins by their prefix.
TEST_AND_LINT_TOOLS = ("pytest", "pytest-*", "playwright", "axe-playwright-python", "hypothesis", "ruff",
                       "oidc-provider-mock", "flask")  # fmt: skip


def pins(name: str) -> dict[str, Requirement]:
    """The exact pins of one requirement file (not those it includes with -r), by canonical name."""
    found: dict[str, Requirement] = {}
    for line in (ROOT / name).read_text(encoding="utf-8").splitlines():
        line = line.split("#", 1)[0].strip()
        if not line or line.startswith("-r "):
            continue
        req = Requirement(line)
        assert [s.operator for s in req.specifier] == ["=="], f"{name}: {line} is not an exact pin"
        assert canonicalize_name(req.name) not in found, f"{name} pins {req.name} twice"
        found[canonicalize_name(req.name)] = req
    return found


def pinned_version(req: Requirement) -> Version:
    return Version(next(iter(req.specifier)).version)


def runtime_dependencies() -> list[Requirement]:
    return [Requirement(r) for r in PYPROJECT["project"]["dependencies"]]


def dev_group() -> list[Requirement]:
    return [Requirement(r) for r in PYPROJECT["dependency-groups"]["dev"]]


def build_requirements() -> list[Requirement]:
    return [Requirement(r) for r in PYPROJECT["build-system"]["requires"]]


def needs(roots: list[Requirement]) -> tuple[set[str], set[str]]:
    """What installing `roots` installs here, read from the installed packages' metadata: (needed, and
    needed on another platform or Python only). An extra's requirements count only when it is asked for.
    A needed package that is not installed fails here: its own needs could not be read, and the checks
    below would blame the pins instead of the venv."""
    needed: set[str] = set()
    absent: set[str] = set()
    elsewhere: set[str] = set()
    stack = [(r, False) for r in roots]
    seen = set()
    while stack:
        req, conditional = stack.pop()
        name = canonicalize_name(req.name)
        if (name, frozenset(req.extras), conditional) in seen:
            continue
        seen.add((name, frozenset(req.extras), conditional))
        (elsewhere if conditional else needed).add(name)
        try:
            requires = distribution(name).requires or []
        except PackageNotFoundError:
            if not conditional:  # another platform's need may well be absent here
                absent.add(name)
            continue
        for line in requires:
            sub = Requirement(line)
            if sub.marker is None or any(sub.marker.evaluate({"extra": e}) for e in req.extras or [""]):
                stack.append((sub, conditional))
            elif "extra" not in str(sub.marker):  # e.g. watchdog off macOS: a pin for the servers that need it
                stack.append((sub, True))
    assert absent == set(), "needed but not installed in this venv (make setup installs the pins)"
    return needed, elsewhere - needed


def is_tool(name: str) -> bool:
    return any(fnmatch.fnmatch(name, pattern) for pattern in TEST_AND_LINT_TOOLS)


def tracked(folder: str) -> set[str]:
    """The files git tracks under `folder` (relative to it); every file but caches outside a checkout."""
    try:
        out = subprocess.run(["git", "ls-files", "-z", "--", folder], cwd=ROOT, capture_output=True, check=True)
        names = {n.removeprefix(f"{folder}/") for n in out.stdout.decode().split("\0") if n}
    except (OSError, subprocess.CalledProcessError):
        names = set()
    if not names:
        names = {p.relative_to(ROOT / folder).as_posix() for p in (ROOT / folder).rglob("*") if p.is_file()}
        names = {n for n in names if "__pycache__" not in n}
    return {n for n in names if (ROOT / folder / n).is_file()}


def third_party_imports(*paths: Path) -> dict[str, str]:
    """Top-level module -> a file that imports it, for every module neither the standard library nor ours."""
    found: dict[str, str] = {}
    for path in paths:
        for file in sorted(path.rglob("*.py")) if path.is_dir() else [path]:
            for node in ast.walk(ast.parse(file.read_text(encoding="utf-8"))):
                if isinstance(node, ast.Import):
                    modules = [a.name for a in node.names]
                elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                    modules = [node.module]
                else:
                    continue
                for top in (m.split(".")[0] for m in modules):
                    if top not in sys.stdlib_module_names and top not in ("edp", "__future__"):
                        found.setdefault(top, str(file.relative_to(ROOT)))
    return found


def test_every_package_the_app_imports_is_a_declared_runtime_dependency() -> None:
    """Not only through another one: a dependency that drops it would break edp without a word."""
    declared = {canonicalize_name(r.name) for r in runtime_dependencies()}
    owners = packages_distributions()
    imports = third_party_imports(EDP, ROOT / "app.py", ROOT / "pages")
    assert {"streamlit", "sqlalchemy", "alembic", "kaleido", "psycopg"} <= set(imports)  # the scan itself
    undeclared = {
        module: where
        for module, where in imports.items()
        if not {canonicalize_name(d) for d in owners.get(module, [])} & declared
    }
    assert undeclared == {}, "imported at run time but not in pyproject.toml's dependencies"


def test_every_runtime_dependency_is_pinned_in_requirements_txt_within_its_range() -> None:
    runtime = pins("requirements.txt")
    for req in runtime_dependencies():
        name = canonicalize_name(req.name)
        assert req.specifier, f"{req} has no range"
        assert name in runtime, f"{req} is not pinned in requirements.txt"
        assert req.specifier.contains(pinned_version(runtime[name]), prereleases=True), (req, runtime[name])


def test_every_dev_tool_and_the_build_backend_is_pinned_in_requirements_dev_txt_within_its_range() -> None:
    dev, runtime = pins("requirements-dev.txt"), pins("requirements.txt")
    for req in [*dev_group(), *build_requirements()]:
        name = canonicalize_name(req.name)
        assert name in dev and name not in runtime, f"{req} must be pinned in requirements-dev.txt only"
        assert req.specifier.contains(pinned_version(dev[name]), prereleases=True), (req, dev[name])


def test_requirements_txt_pins_exactly_what_the_runtime_dependencies_need() -> None:
    """Complete, so a server installing it gets all edp needs; nothing more, so no test tool sneaks in."""
    needed, elsewhere = needs(runtime_dependencies())
    pinned = set(pins("requirements.txt"))
    assert needed - pinned == set(), "needed at run time but not pinned in requirements.txt"
    assert pinned - needed - elsewhere == set(), "pinned in requirements.txt but not needed at run time"


def test_requirements_dev_txt_adds_exactly_what_the_dev_group_and_the_build_need_beyond_run_time() -> None:
    runtime_needed, _ = needs(runtime_dependencies())
    needed, elsewhere = needs([*dev_group(), *build_requirements()])
    dev = set(pins("requirements-dev.txt"))
    assert needed - runtime_needed - dev == set(), "needed by the tests or the build but pinned nowhere"
    assert dev - needed - elsewhere == set(), "pinned in requirements-dev.txt but needed by no dev tool"


def test_every_package_is_pinned_in_one_file_only_and_requirements_dev_txt_includes_requirements_txt() -> None:
    assert set(pins("requirements.txt")) & set(pins("requirements-dev.txt")) == set()
    lines = [line.strip() for line in (ROOT / "requirements-dev.txt").read_text(encoding="utf-8").splitlines()]
    assert [line for line in lines if line and not line.startswith("#")][0] == "-r requirements.txt"


def test_no_test_or_lint_tool_is_a_runtime_dependency_or_pinned_in_requirements_txt() -> None:
    needed, _ = needs(runtime_dependencies())
    declared = {canonicalize_name(r.name) for r in runtime_dependencies()}
    assert {n for n in declared | set(pins("requirements.txt")) | needed if is_tool(n)} == set()
    # The check itself: the tools are where they belong.
    assert {"pytest", "pytest-playwright", "playwright", "hypothesis", "ruff"} <= set(pins("requirements-dev.txt"))
    assert all(is_tool(n) for n in ("pytest", "pytest-playwright", "flask")) and not is_tool("streamlit")


def test_the_edp_command_is_declared_and_runs_the_clis_main() -> None:
    target = PYPROJECT["project"]["scripts"]["edp"]
    module, _, attr = target.partition(":")
    main = getattr(importlib.import_module(module), attr)
    assert callable(main)
    with pytest.raises(SystemExit) as stop:
        main(["--help"])
    assert stop.value.code == 0


def test_the_edp_command_names_itself_in_its_usage_and_python_m_edp_likewise() -> None:
    edp = Path(sys.executable).with_name("edp")
    by_command = subprocess.run([edp, "--help"], capture_output=True, text=True, check=True).stdout
    by_module = subprocess.run([sys.executable, "-m", "edp", "--help"], capture_output=True, text=True, check=True)
    assert by_command.startswith("usage: edp ") and by_module.stdout.startswith("usage: python -m edp ")


def test_the_package_data_covers_every_file_edp_reads_from_its_own_folder() -> None:
    """setuptools' own reading of the globs: relative to edp/, ** recursive, files only."""
    globs = PYPROJECT["tool"]["setuptools"]["package-data"]["edp"]
    packaged = {Path(p).as_posix() for g in globs for p in glob.glob(g, root_dir=EDP, recursive=True)}
    data = {n for n in tracked("edp") if not n.endswith(".py")}
    assert data, "no data files found under edp/"
    assert data - packaged == set(), "not in [tool.setuptools.package-data]: a wheel would lack them"
    assert {"migrations/script.py.mako", "ui/favicon.svg", "fonts/NotoEmoji-Regular.ttf"} <= packaged
    assert any(n.startswith("locales/sv/") and n.endswith(".po") for n in packaged)


def test_the_migrations_live_inside_the_package() -> None:
    assert db.MIGRATIONS.is_relative_to(EDP)
    assert (db.MIGRATIONS / "env.py").is_file() and (db.MIGRATIONS / "script.py.mako").is_file()
    assert sorted((db.MIGRATIONS / "versions").glob("0001_*.py"))
    assert not (ROOT / "migrations").exists(), "a second migrations/ next to the package"


def test_make_installs_the_pins_and_edp_itself_and_again_when_either_changes() -> None:
    lines = (ROOT / "Makefile").read_text(encoding="utf-8").splitlines()
    at = next(i for i, line in enumerate(lines) if line.startswith("$(BIN)/.installed:"))
    assert set(lines[at].split(":", 1)[1].split()) == {"pyproject.toml", "requirements.txt", "requirements-dev.txt"}
    recipe = []
    for line in lines[at + 1 :]:
        if not line.startswith("\t"):
            break
        recipe.append(line)
    dev = next(i for i, line in enumerate(recipe) if "-r requirements-dev.txt" in line)
    editable = next(i for i, line in enumerate(recipe) if "--no-deps" in line and line.endswith("-e ."))
    assert dev < editable


def test_a_wheel_holds_every_file_of_the_package_migrations_catalogues_and_fonts_included(tmp_path) -> None:  # noqa: ANN001
    """Built from a copy of pyproject.toml and edp/ only, offline, with the setuptools make installs."""
    try:
        have = Version(version("setuptools"))
    except PackageNotFoundError:
        have = None
    wanted = next(r for r in build_requirements() if canonicalize_name(r.name) == "setuptools")
    if have is None or not wanted.specifier.contains(have):
        pytest.skip(f"this venv's setuptools ({have}) is not {wanted}; make setup installs requirements-dev.txt's")
    src = tmp_path / "src"
    src.mkdir()
    shutil.copy(ROOT / "pyproject.toml", src)
    shutil.copytree(EDP, src / "edp", ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    out = tmp_path / "dist"
    cmd = [sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "--no-build-isolation", "--no-index"]
    env = {**os.environ, "PIP_NO_INPUT": "1"}
    done = subprocess.run([*cmd, "-w", str(out), str(src)], capture_output=True, text=True, env=env, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    (wheel,) = out.glob("edp_workshop-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    assert {f"edp/{n}" for n in tracked("edp")} - names == set()
    assert {"edp/migrations/env.py", "edp/migrations/script.py.mako", "edp/fonts/NotoEmoji-Regular.ttf"} <= names
    assert "edp/locales/sv/LC_MESSAGES/edp.po" in names
    assert not {n for n in names if n.split("/")[0] in ("bench", "tests", "pages", "data", "migrations")}
    entry_points = zipfile.ZipFile(wheel).read(next(n for n in names if n.endswith("entry_points.txt"))).decode()
    assert "edp = edp.__main__:main" in entry_points
