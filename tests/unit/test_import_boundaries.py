"""Arrows point inward: domain and rules import nothing of the edges (store, api, workers, frameworks)."""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2] / "coverage"
FORBIDDEN = {
    "domain": (
        "coverage.store",
        "coverage.api",
        "coverage.adapters",
        "coverage.rules",
        "coverage.pipeline",
        "coverage.service",
        "coverage.settings",
        "workers",
        "fastapi",
        "celery",
        "sqlmodel",
        "sqlalchemy",
    ),
    "x12": (
        "coverage.store",
        "coverage.api",
        "coverage.adapters",
        "coverage.rules",
        "coverage.pipeline",
        "coverage.service",
        "coverage.sandbox",
        "workers",
        "fastapi",
        "celery",
        "sqlmodel",
        "sqlalchemy",
        "requests",
    ),
    "sandbox": (
        "coverage.store",
        "coverage.api",
        "coverage.adapters",
        "coverage.rules",
        "coverage.pipeline",
        "coverage.service",
        "workers",
        "celery",
        "sqlmodel",
        "sqlalchemy",
    ),
    "core": ("coverage.api", "coverage.cli", "workers", "fastapi", "celery"),
    "rules": (
        "coverage.store",
        "coverage.api",
        "coverage.adapters",
        "coverage.pipeline",
        "coverage.service",
        "workers",
        "fastapi",
        "celery",
        "sqlmodel",
        "sqlalchemy",
    ),
}


def _imports(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
    return names


@pytest.mark.parametrize("package", sorted(FORBIDDEN))
def test_inner_packages_do_not_import_the_edges(package: str) -> None:
    offenders = {
        f"{path.relative_to(ROOT)}: {name}"
        for path in (ROOT / package).rglob("*.py")
        for name in _imports(path)
        if name.startswith(FORBIDDEN[package])
    }
    assert offenders == set()
