"""The house rules that keep the layers apart, checked on the source itself."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("core", "db", "extractors", "fetchers", "flows")


def _part(name: str) -> str:
    """The part of paperboy (core, db, …) or the other library a module name names."""
    parts = name.split(".")
    return parts[1] if parts[0] == "paperboy" and len(parts) > 1 else parts[0]


def imports(package: str) -> set[str]:
    """Parts of paperboy and other libraries a package's source imports anywhere."""
    found = set()
    for path in (ROOT / package).rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                found.update(_part(a.name) for a in node.names)
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module == "paperboy":
                found.update(a.name for a in node.names)
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                found.add(_part(node.module))
    return found


def test_paperboy_is_imported_as_one_package():
    """`from core import …` would load a second copy of a module beside paperboy.core's (the folders
    are importable from the checkout too): every import names paperboy."""
    bare = []
    for folder in (*PACKAGES, "tests", "bench"):
        for path in (ROOT / folder).rglob("*.py"):
            for node in ast.walk(ast.parse(path.read_text())):
                names = [a.name for a in node.names] if isinstance(node, ast.Import) else []
                if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                    names = [node.module]
                bare += [f"{path.relative_to(ROOT)}: {n}" for n in names if n.split(".")[0] in PACKAGES]
    assert bare == []


@pytest.mark.parametrize("package", PACKAGES)
def test_each_part_exports_what_it_names(package):
    """Every name a part's `__all__` lists is there, and a lazily loaded name is the one type
    checkers are shown (the `TYPE_CHECKING` imports), so the two lists cannot drift."""
    import importlib

    module = importlib.import_module(f"paperboy.{package}")
    missing = [name for name in getattr(module, "__all__", ()) if not hasattr(module, name)]
    assert missing == []
    lazy = getattr(module, "_LAZY", {})
    shown = {}
    for node in ast.walk(ast.parse((ROOT / package / "__init__.py").read_text())):
        if isinstance(node, ast.If) and getattr(node.test, "id", "") == "TYPE_CHECKING":
            for imp in node.body:
                assert isinstance(imp, ast.ImportFrom)
                shown.update({a.name: imp.module.lstrip("_") for a in imp.names})
    assert shown == {name: where.lstrip("_") for name, where in lazy.items()}


def test_the_installed_package_is_paperboy_alone(tmp_path):
    """What `pip install .` puts in site-packages: the wheel's top-level names."""
    import zipfile

    subprocess.run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w",
                    str(tmp_path), str(ROOT)], check=True, capture_output=True)  # fmt: skip
    [wheel] = tmp_path.glob("paperboy-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    assert {n.split("/")[0] for n in names} == {"paperboy", wheel.name.split("-py3")[0] + ".dist-info"}
    assert "paperboy/flows/browse/templates/paperboy_story.html" in names and "paperboy/core/models.py" in names


@pytest.mark.parametrize(
    "package, allowed",
    [
        ("core", set()),
        ("db", {"core"}),
        ("extractors", {"core"}),
        ("fetchers", {"core"}),
        ("flows", {"core", "db", "extractors", "fetchers", "flows"}),
    ],
)
def test_imports_run_one_way(package, allowed):
    assert imports(package) & set(PACKAGES) <= allowed | {package}


@pytest.mark.parametrize("library, owner", [("prefect", "flows"), ("sqlite_utils", "db"), ("httpx", "fetchers")])
def test_one_package_speaks_to_each_library(library, owner):
    assert [p for p in PACKAGES if library in imports(p)] == [owner]


def test_storage_loads_no_network_or_html_library():
    code = "import sys, paperboy.db; print(' '.join(sorted(m for m in sys.modules if m.split('.')[0] in {'httpx', 'feedparser', 'lxml', 'trafilatura', 'prefect'})))"  # noqa: E501
    loaded = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    assert loaded.stdout.strip() == ""


def test_no_sql_outside_db():
    for package in ("flows", "fetchers", "extractors", "core"):
        for path in (ROOT / package).glob("*.py"):
            text = path.read_text()
            assert "sqlite" not in text and "execute(" not in text, path


FLOWS = ROOT / "flows"


def _module(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(("paperboy", *(parts[:-1] if parts[-1] == "__init__" else parts)))


def _flows_modules() -> dict[str, Path]:
    return {_module(p): p for p in FLOWS.rglob("*.py") if "plugins" not in p.parts}


def flows_imports(path: Path, known: dict[str, Path]) -> set[str]:
    """The modules of flows/ a module of it imports (anywhere in it, lazy imports included)."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            submodules = {f"{node.module}.{a.name}" for a in node.names} & known.keys()
            found.update(submodules or {node.module})  # `from package import module`: that module
    return {name for name in found if name in known}


def _wing(module: str) -> str:
    """commands (the CLI), engines (extraction), browse (the Datasette plugin) or flows (the flows)."""
    parts = module.split(".")
    return parts[2] if len(parts) >= 3 and parts[2] in ("commands", "engines", "browse") else "flows"


# Which wing's modules each wing may import: the CLI calls the rest; the flows take an engine; an
# engine runs jobs and may use the process plumbing the flows share, nothing else of them.
MAY_IMPORT = {
    "commands": {"commands", "engines", "browse", "flows"},
    "flows": {"flows", "engines", "browse"},  # (browse: where its server shows a pass's articles)
    "browse": {"browse", "flows"},
    "engines": {"engines"},
}
SHARED_WITH_ENGINES = {"paperboy.flows.processes"}


def test_the_wings_of_flows_import_one_way():
    known = _flows_modules()
    wrong = []
    for module, path in known.items():
        for imported in flows_imports(path, known) - SHARED_WITH_ENGINES - {"paperboy.flows"}:
            if _wing(imported) not in MAY_IMPORT[_wing(module)]:
                wrong.append(f"{module} -> {imported}")
    assert wrong == []


def test_only_the_command_line_imports_click():
    users = {_module(p) for p in FLOWS.rglob("*.py") if "click" in imports_of(p)}
    assert users and {_wing(m) for m in users} == {"commands"}


def imports_of(path: Path) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names.update(a.name.split(".")[0] for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module.split(".")[0])
    return names


def test_the_modules_of_flows_import_no_circle():
    known = _flows_modules()
    graph = {m: flows_imports(p, known) - {m} for m, p in known.items()}
    state: dict[str, int] = {}  # 1: on the path walked, 2: done

    def walk(m: str, path: list[str]) -> list[str] | None:
        state[m] = 1
        for n in sorted(graph[m]):
            if state.get(n) == 1:
                return [*path[path.index(n) :], n] if n in path else [m, n]
            if n not in state and (circle := walk(n, [*path, n])):
                return circle
        state[m] = 2
        return None

    for m in sorted(graph):
        if m not in state:
            assert walk(m, [m]) is None, " -> ".join(walk(m, [m]) or [])
