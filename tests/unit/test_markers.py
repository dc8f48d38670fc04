"""`pytest -m …` selects by what a test needs: the folder a test lives in marks it."""

import subprocess
import sys

from tests.conftest import ROOT


def collected(expression: str) -> list[str]:
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "--collect-only", "-q", "-p", "no:cacheprovider"]
        + ["-m", expression],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    return [line for line in done.stdout.splitlines() if "::" in line]


def test_the_quick_run_and_the_slow_run_split_the_suite_by_folder() -> None:
    quick = collected("not e2e and not browser")
    slow = collected("e2e or browser")
    assert {test.split("/")[1] for test in quick} == {"unit", "integration", "proof"}
    assert {test.split("/")[1] for test in slow} == {"e2e", "browser"}
