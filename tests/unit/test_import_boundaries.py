"""Arrows point inward. One table says what each part of the service may import; every import
form counts (top-level, lazy inside a function, `from coverage import store`, relative, and
`importlib.import_module("…")` / `__import__("…")` with a literal name)."""

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
WEB = {"fastapi", "starlette", "jinja2", "markupsafe", "uvicorn"}
BROKER = {"celery", "kombu", "redis"}
DATABASE = {"sqlmodel", "sqlalchemy", "alembic"}
NETWORK = {"requests", "httpx"}
COMMAND_LINE = {"typer"}
GUARDED = WEB | BROKER | DATABASE | NETWORK | COMMAND_LINE
BASE = {"domain", "errors", "settings"}

# part -> (parts of this project it may import, guarded libraries it may import). A part is a
# package of coverage/ (or workers/), or one of the top-level modules (the service's face).
ARROWS: dict[str, tuple[set[str], set[str]]] = {
    "errors": (set(), set()),
    "settings": (set(), set()),
    "domain": ({"errors"}, set()),
    "x12": ({"domain", "errors"}, set()),
    "fhir": ({"domain", "errors", "x12"}, set()),
    "rules": ({"domain", "errors"}, set()),
    "pricing": ({"domain", "errors", "rules"}, set()),
    "store": (BASE, DATABASE),
    "sandbox": ({"domain", "errors", "x12", "fhir"}, COMMAND_LINE),
    "adapters": (BASE | {"x12", "fhir", "sandbox"}, NETWORK | {"redis"}),
    # core hands the rule book the installed adapters' settings models (adapters.base), and
    # shows billing a payer's reply as an X12 tree (x12.reply_tree)
    "core": (BASE | {"rules", "x12", "fhir", "store", "adapters"}, DATABASE),
    "service": (BASE | {"core", "store"}, DATABASE),
    "pipeline": (BASE | {"core", "store", "rules", "pricing", "adapters"}, DATABASE),
    "embedded": (BASE | {"pipeline"}, set()),
    "batches": (BASE | {"core", "store", "service"}, DATABASE),
    "workers": (BASE | {"core", "service", "pipeline"}, BROKER | DATABASE),
    "api": (
        BASE | {"core", "store", "service", "batches", "embedded", "adapters", "workers"},
        WEB | DATABASE,
    ),
    "cli": (
        BASE
        | {"core", "store", "service", "batches", "embedded", "rules", "sandbox", "workers"}
        | {"adapters"},
        COMMAND_LINE | DATABASE | {"uvicorn"},
    ),
}


def part_of(module: str) -> str | None:
    """`coverage.store.jobs` -> "store"; `coverage.service` -> "service"; `workers.x` ->
    "workers"; anything else (the standard library, third parties) -> None."""
    names = module.split(".")
    if names[0] == "workers":
        return "workers"
    if names[0] == "coverage" and len(names) > 1:
        return names[1]
    return None


def module_name(path: Path) -> str:
    names = list(path.relative_to(ROOT).with_suffix("").parts)
    return ".".join(names[:-1] if names[-1] == "__init__" else names)


def imported(source: str, module: str, *, package: bool) -> Iterator[tuple[int, str]]:
    """(line, dotted name) of everything a module's source imports, in any form."""
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            yield from ((node.lineno, alias.name) for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:  # relative: from the module's own package upwards
                here = module.split(".") if package else module.split(".")[:-1]
                here = here[: len(here) - node.level + 1]
                base = ".".join([*here, base] if base else here)
            if base == "coverage":  # `from coverage import store` imports coverage.store
                yield from ((node.lineno, f"{base}.{alias.name}") for alias in node.names)
            else:
                yield node.lineno, base
        elif (
            isinstance(node, ast.Call)
            and (
                (isinstance(node.func, ast.Attribute) and node.func.attr == "import_module")
                or (isinstance(node.func, ast.Name) and node.func.id == "__import__")
            )
            and node.args
            and isinstance(node.args[0], ast.Constant)
            and isinstance(node.args[0].value, str)
        ):
            yield node.lineno, node.args[0].value


def offences(path: Path, source: str) -> list[str]:
    module = module_name(path)
    part = part_of(module)
    assert part in ARROWS, f"{module}: add its part to ARROWS"
    parts, libraries = ARROWS[part]
    found = []
    for line, name in imported(source, module, package=path.name == "__init__.py"):
        target = part_of(name)
        if target is not None and target not in (part, *parts):
            found.append(f"{path.relative_to(ROOT)}:{line}: {part} imports {name}")
        elif target is None and name.split(".")[0] in GUARDED - libraries:
            found.append(f"{path.relative_to(ROOT)}:{line}: {part} imports {name}")
    return found


def sources() -> list[Path]:
    return sorted(
        p
        for folder in ("coverage", "workers")
        for p in (ROOT / folder).rglob("*.py")
        if "migrations" not in p.parts
    )


def test_every_part_of_the_service_is_in_the_table() -> None:
    parts = {part_of(module_name(p)) for p in sources()}
    assert parts - {None} == set(ARROWS)


@pytest.mark.parametrize("part", sorted(ARROWS))
def test_each_part_imports_only_what_the_table_allows(part: str) -> None:
    found = [
        offence
        for path in sources()
        if part_of(module_name(path)) == part
        for offence in offences(path, path.read_text())
    ]
    assert found == []


@pytest.mark.parametrize(
    ("where", "source"),
    [
        ("coverage/domain/x.py", "import coverage.store.db"),
        ("coverage/domain/x.py", "from coverage.store import jobs"),
        ("coverage/domain/x.py", "from coverage import store"),
        ("coverage/domain/x.py", "def f():\n    from coverage.api import app\n"),
        ("coverage/domain/x.py", "import importlib\nimportlib.import_module('coverage.pipeline')"),
        ("coverage/domain/x.py", "__import__('coverage.service')"),
        ("coverage/rules/x.py", "from ..store import jobs"),
        ("coverage/rules/__init__.py", "from .. import store"),
        ("coverage/domain/x.py", "import sqlmodel"),
        ("coverage/pricing/x.py", "from fastapi import Request"),
        ("coverage/adapters/x.py", "from coverage.store.db import session_scope"),
        ("coverage/x12/x.py", "import requests"),
        ("workers/x.py", "from coverage.api import app"),
    ],
)
def test_a_forbidden_import_is_caught_in_any_form(where: str, source: str) -> None:
    found = offences(ROOT / where, source)
    assert len(found) == 1, found
    assert found[0].startswith(f"{where}:")


def test_an_allowed_import_is_not_an_offence() -> None:
    assert offences(ROOT / "coverage/pipeline.py", "from coverage.store import jobs") == []
    assert offences(ROOT / "coverage/api/x.py", "from coverage import service") == []
    assert offences(ROOT / "coverage/store/x.py", "from sqlmodel import Session") == []


@pytest.mark.parametrize("part", ["api", "cli"])
def test_routes_pages_and_commands_never_commit(part: str) -> None:
    """The service owns every write: an entry point neither commits nor opens a unit of work."""
    found = [
        f"{path.relative_to(ROOT)}:{node.lineno}"
        for path in sources()
        if part_of(module_name(path)) == part
        for node in ast.walk(ast.parse(path.read_text()))
        if isinstance(node, ast.Attribute)
        and node.attr == "commit"
        or isinstance(node, ast.Name)
        and node.id == "session_scope"
    ]
    assert found == []
