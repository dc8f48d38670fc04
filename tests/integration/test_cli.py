"""`iop-coverage verify` on a fresh SQLite file, in-process, for every file in examples/."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = sorted((ROOT / "examples").glob("*.json"))
EXPECTED = {
    # Starts 7 Dec 2026: the plan year and its $1,500 deductible restart on 1 January 2027.
    "commercial-ppo.json": ("needs_review", "3120.00"),
    "medicare.json": ("needs_review", "2299.59"),
    "medicaid-sud.json": ("needs_review", "0.00"),
    "inactive-coverage.json": ("needs_review", "9600.00"),
    "unknown-member.json": ("needs_info", None),
    "payer-unavailable.json": ("needs_review", "1920.00"),
    "self-pay.json": ("needs_review", "7200.00"),
}


def _cli(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("IOP_COVERAGE_")}
    env |= {
        "IOP_COVERAGE_DATABASE_URL": f"sqlite:///{tmp_path / 'fresh.db'}",
        "IOP_COVERAGE_RULES_DIR": str(ROOT / "payer_rules"),
        "IOP_COVERAGE_RETRY_BASE_SECONDS": "0.2",
    }
    return subprocess.run(
        [sys.executable, "-m", "coverage.cli", *args],
        env=env,
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=120,
    )


def test_every_example_is_listed() -> None:
    assert {p.name for p in EXAMPLES} == set(EXPECTED)


@pytest.mark.parametrize("example", EXAMPLES, ids=lambda p: p.name)
def test_verify_runs_the_pipeline_in_process_on_a_fresh_sqlite_file(
    tmp_path: Path, example: Path
) -> None:
    proc = _cli(tmp_path, "verify", str(example), "--json")
    assert proc.returncode == 0, proc.stderr
    detail = json.loads(proc.stdout)
    status, patient_total = EXPECTED[example.name]
    assert detail["status"] == status
    if patient_total is None:
        assert detail["result"] is None
        assert detail["message"].startswith("The payer did not find this member.")
    else:
        assert detail["result"]["estimate"]["patient_total"] == patient_total


def test_readable_output_shows_totals_and_the_week_table(tmp_path: Path) -> None:
    proc = _cli(tmp_path, "verify", str(ROOT / "examples" / "commercial-ppo.json"))
    assert proc.returncode == 0, proc.stderr
    assert "needs_review" in proc.stdout.splitlines()[0]
    assert "Estimate: allowed $8,400.00, payer $5,280.00, patient $3,120.00" in proc.stdout
    assert "  If authorization is not granted: payer $0.00, patient $9,600.00" in proc.stdout
    assert "     1  2026-12-07     3   1050.00   600.00   450.00" in proc.stdout


def test_a_bad_file_names_the_field_and_exits_1(tmp_path: Path) -> None:
    bad = json.loads((ROOT / "examples" / "commercial-ppo.json").read_text())
    bad["plan"]["days_per_week"] = 9
    (tmp_path / "bad.json").write_text(json.dumps(bad))
    proc = _cli(tmp_path, "verify", str(tmp_path / "bad.json"))
    assert proc.returncode == 1
    assert (
        proc.stderr.strip()
        == f"{tmp_path / 'bad.json'}: plan.days_per_week: Input should be less than or equal to 7"
    )


def test_users_add_prints_a_token_once(tmp_path: Path) -> None:
    proc = _cli(tmp_path, "users", "add", "pat", "--role", "billing")
    assert proc.returncode == 0, proc.stderr
    assert len(proc.stdout.strip()) == 43
    again = _cli(tmp_path, "users", "add", "pat", "--role", "billing")
    assert (again.returncode, again.stderr.strip()) == (1, "user 'pat' already exists")
