"""The house rules that keep the layers apart, checked on the source itself."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("core", "db", "extractors", "fetchers", "flows")


def imports(package: str) -> set[str]:
    """Top-level names of every module imported anywhere in a package's source."""
    found = set()
    for path in (ROOT / package).glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                found.update(a.name.split(".")[0] for a in node.names)
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                found.add(node.module.split(".")[0])
    return found


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
    code = "import sys, db; print(' '.join(sorted(m for m in sys.modules if m.split('.')[0] in {'httpx', 'feedparser', 'lxml', 'trafilatura', 'prefect'})))"  # noqa: E501
    loaded = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    assert loaded.stdout.strip() == ""


def test_no_sql_outside_db():
    for package in ("flows", "fetchers", "extractors", "core"):
        for path in (ROOT / package).glob("*.py"):
            text = path.read_text()
            assert "sqlite" not in text and "execute(" not in text, path
