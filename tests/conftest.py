"""Test settings come from the environment before any service module is imported.

IOP_COVERAGE_TEST_DATABASE=sqlite (default) or postgresql picks the database the whole run uses.
"""

import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PG_URL = os.environ.get(
    "IOP_COVERAGE_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
REDIS_URL = os.environ.get("IOP_COVERAGE_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
_TMP = Path(tempfile.mkdtemp(prefix="iop-coverage-tests-"))
BACKEND = os.environ.get("IOP_COVERAGE_TEST_DATABASE", "sqlite")
DATABASE_URL = PG_URL if BACKEND == "postgresql" else f"sqlite:///{_TMP / 'test.db'}"

os.environ.update(
    {
        "IOP_COVERAGE_ENVIRONMENT": "test",
        "IOP_COVERAGE_DATABASE_URL": DATABASE_URL,
        "IOP_COVERAGE_BROKER_URL": REDIS_URL,
        "IOP_COVERAGE_RULES_DIR": str(ROOT / "payer_rules"),
        "IOP_COVERAGE_RETRY_BASE_SECONDS": "0.2",
        "IOP_COVERAGE_RETRY_CAP_SECONDS": "1",
        "IOP_COVERAGE_VISIBILITY_TIMEOUT_SECONDS": "60",
        # Tests reuse member IDs; answer reuse is switched on only by the tests about it.
        "IOP_COVERAGE_ELIGIBILITY_CACHE_SECONDS": "0",
    }
)


# A test's folder says what it needs; one hook marks it, so `-m` selects by need (a conftest's
# `pytestmark` marks only the conftest itself).
MARKS_BY_FOLDER = {
    "unit": "unit",
    "integration": "integration",
    "e2e": "e2e",
    "browser": "browser",
    "proof": "proof",
}


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    tests = ROOT / "tests"
    for item in items:
        folder = item.path.relative_to(tests).parts[0]
        mark = MARKS_BY_FOLDER.get(folder)
        if mark is None:
            raise pytest.UsageError(f"{item.nodeid}: tests live in {', '.join(MARKS_BY_FOLDER)}")
        item.add_marker(mark)


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    from tests.figures import FIGURES

    if FIGURES:
        terminalreporter.section("proof figures")
        width = max(map(len, FIGURES))
        for name, figure in sorted(FIGURES.items()):
            terminalreporter.write_line(f"{name.ljust(width)}  {figure}")


def pytest_report_header() -> str:
    return f"iop-coverage test database: {BACKEND} ({'temporary file' if BACKEND == 'sqlite' else PG_URL})"


@pytest.fixture(scope="session")
def database() -> Iterator[str]:
    """A freshly migrated database for the run (PostgreSQL: the public schema is recreated)."""
    from sqlalchemy import create_engine, text

    from coverage.store.db import upgrade

    if BACKEND == "postgresql":
        engine = create_engine(PG_URL)
        with engine.begin() as conn:
            conn.execute(text("DROP SCHEMA public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
        engine.dispose()
    upgrade(DATABASE_URL)
    yield DATABASE_URL


@pytest.fixture(scope="session")
def sqlite_path() -> Path:
    return _TMP / "test.db"


@pytest.fixture(scope="session")
def tmp_root() -> Path:
    return _TMP


@pytest.fixture
def rules(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A temporary copy of payer_rules/ in force for this test, with the rule book not yet loaded.

    A test module may override it (`def rules(rules: Path) -> Path`) to add files to the copy.
    """
    from coverage.core import rule_book
    from coverage.settings import get_settings

    target = tmp_path / "payer_rules"
    shutil.copytree(ROOT / "payer_rules", target)
    monkeypatch.setattr(get_settings(), "rules_dir", target)
    # This process starts afresh on the copy; the book it held before comes back afterwards.
    monkeypatch.setattr(rule_book, "_state", rule_book._State())
    return target
