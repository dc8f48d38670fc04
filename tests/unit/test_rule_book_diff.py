"""`rules diff`: what an edit changes (payers, allowed amounts, criteria, limits) before it takes
effect, in the words an operator checks."""

import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from coverage.cli import app
from coverage.rules.diff import diff
from tests.rule_files import read_book

RULES = Path(__file__).resolve().parents[2] / "payer_rules"


@pytest.fixture
def edited(tmp_path: Path) -> Path:
    target = tmp_path / "payer_rules"
    shutil.copytree(RULES, target)

    def replace(relative: str, old: str, new: str) -> None:
        path = target / relative
        assert old in path.read_text(), old
        path.write_text(path.read_text().replace(old, new, 1))

    replace(
        "payers/harbor-hmo.yaml", "network_status: in_network", "network_status: out_of_network"
    )
    replace(
        "fee_schedules/commercial-examples-2026.yaml",
        '  harbor-hmo:\n    - network: in_network\n      per_day: "320.00"',
        '  harbor-hmo:\n    - network: out_of_network\n      per_day: "300.00"',
    )
    replace("coverage/ridge-hdhp.yaml", "visits_per_year: 20", "visits_per_year: 24")
    replace(
        "medical_necessity/mental-health-iop.yaml",
        "expr: recommended_level == 'iop'",
        "expr: recommended_level in ['iop', 'php']",
    )
    (target / "payers" / "summit-choice.yaml").unlink()
    (target / "coverage" / "summit-choice.yaml").unlink()
    return target


def test_every_kind_of_change_is_listed(edited: Path) -> None:
    changes = [str(c) for c in diff(read_book(RULES), read_book(edited))]
    assert changes == [
        "allowed amount harbor-hmo in network from 2024-01-01: removed",
        "allowed amount harbor-hmo out of network from 2024-01-01: added",
        "coverage policy ridge-hdhp-iop from 2024-01-01: changed (limits.visits_per_year: "
        "20 -> 24)",
        "coverage policy summit-choice-mh-iop from 2024-01-01: removed",
        "criterion mental-health-iop/recorded-level-iop: changed (expr: recommended_level == "
        "'iop' -> recommended_level in ['iop', 'php'])",
        "payer harbor-hmo: changed (network_status: in_network -> out_of_network)",
        "payer summit-choice: removed",
    ]


def test_rules_diff_compares_a_candidate_directory(edited: Path) -> None:
    result = CliRunner().invoke(app, ["rules", "diff", str(edited), "--against", str(RULES)])
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0] == f"7 change(s) against {RULES}:"
    assert "payer:" in lines
    assert "  harbor-hmo: changed (network_status: in_network -> out_of_network)" in lines
    same = CliRunner().invoke(app, ["rules", "diff", str(RULES), "--against", str(RULES)])
    assert same.stdout == f"no changes against {RULES}\n"
