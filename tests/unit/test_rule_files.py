"""Operators' view of the rule book: `rules check/test/list` on the shipped files, and bad files of
every kind refused with file:line:column while the previous rule book stays in force."""

from collections.abc import Callable
from datetime import date
from pathlib import Path

import pytest
from typer.testing import CliRunner

from coverage.cli import app
from coverage.core import rule_book
from coverage.core.rule_book_status import status
from coverage.domain.request import Program
from coverage.rules.parsing import MAX_DEPTH
from tests.factories import errors_printed
from tests.rule_files import CRITERIA, PAYER, replace_in

RULES = Path(__file__).resolve().parents[2] / "payer_rules"
runner = CliRunner()


def test_every_shipped_file_passes_rules_check() -> None:
    result = runner.invoke(app, ["rules", "check", str(RULES), "--today", "2026-06-01"])
    assert result.exit_code == 0, result.output
    # 36 files with medicare/part_b.yaml; nothing runs out within 60 days of 1 June 2026
    assert result.stdout.startswith("ok: 36 files, 12 payers, 14 criteria; version ")


def test_rules_check_warns_weeks_before_data_runs_out() -> None:
    """With the clock at 15 November 2026, every file ending 31 December 2026 is named."""
    result = runner.invoke(app, ["rules", "check", str(RULES), "--today", "2026-11-15"])
    assert result.exit_code == 0, result.output
    warnings = [line for line in result.stdout.splitlines() if line.startswith("warning: ")]
    assert warnings == [
        "warning: payer_rules/fee_schedules/commercial-examples-2026.yaml:8: allowed amounts for "
        "beacon-oon, harbor-hmo, keystone-ppo, ridge-hdhp, summit-choice end on 2026-12-31 "
        "(in 46 days); later service days use the last amount, flagged on every estimate as "
        "carried forward: add the next fee schedule",
        "warning: payer_rules/fee_schedules/sandbox-2026.yaml:8: allowed amounts for "
        "sandbox-commercial, sandbox-medicaid, sandbox-medicaid-ca, sandbox-medicaid-dc, "
        "sandbox-medicaid-ny, sandbox-medicare-advantage end on 2026-12-31 (in 46 days); later "
        "service days use the last amount, flagged on every estimate as carried forward: add "
        "the next fee schedule",
        "warning: payer_rules/fee_schedules/sandbox-2026.yaml:35: allowed amounts for "
        "sandbox-medicare end on 2026-12-31 (in 46 days); later service days use the last "
        "amount, flagged on every estimate as carried forward: add the next fee schedule",
        "warning: payer_rules/medicare/part_b.yaml:26: Medicare Part B amounts end on 2026-12-31 "
        "(in 46 days): 2026 is the last year; from 1 January 2027 the 2026 deductible and "
        "coinsurance are carried forward, flagged on every estimate: add 2027 when CMS announces "
        "it",
    ]
    strict = runner.invoke(app, ["rules", "check", str(RULES), "--today", "2026-11-15", "--strict"])
    assert strict.exit_code == 1
    listed = runner.invoke(app, ["rules", "list", str(RULES), "--today", "2026-11-15"])
    assert listed.stdout.startswith("Warnings:\n  payer_rules/fee_schedules/commercial-examples")


def test_every_shipped_example_passes_rules_test() -> None:
    result = runner.invoke(app, ["rules", "test", str(RULES)])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert not [line for line in lines if line.startswith("FAIL")]
    assert (
        "PASS payer_rules/coverage/medicare-iop.yaml: 20 hours a week is partial hospitalization"
        in lines
    )
    assert lines[-1] == f"{sum(line.startswith('PASS') for line in lines)} passed, 0 failed"


def test_a_failing_example_refuses_the_book_with_the_case_and_the_check(rules: Path) -> None:
    """A file's examples are its tests: an edit they fail never takes effect."""
    good = rule_book.current_rulebook()
    path = rules / "coverage" / "medicare-iop.yaml"
    path.write_text(
        path.read_text().replace(
            "expect: {hours-per-week: not_met, program: met}",
            "expect: {hours-per-week: met, program: met}",
        )
    )
    line = next(
        n
        for n, text in enumerate(path.read_text().splitlines(), 1)
        if "expect: {hours-per-week: met, program: met}" in text
    )
    expected = (
        f"error: payer_rules/coverage/medicare-iop.yaml:{line}:5: examples.2 (8 hours a week "
        "fails the 9-hour certification): hours-per-week: expected met, got not_met (Planned 8 "
        "hours/week, below the 9 minimum for Medicare beneficiaries: fails the certification of "
        "need for at least 9 hours a week (42 CFR 424.24(d)))"
    )
    for command in ("test", "check"):
        result = runner.invoke(app, ["rules", command, str(rules)])
        assert (result.exit_code, errors_printed(result.stderr)) == (1, [expected])
    assert rule_book.current_rulebook() is good


def test_rules_list_shows_payers_and_effective_dates() -> None:
    result = runner.invoke(app, ["rules", "list", str(RULES)])
    assert result.exit_code == 0
    assert (
        "  summit-choice                commercial          NY  in_network      adapter=sandbox  Summit Choice PPO"
        in result.output
    )
    assert (
        "  coverage_policy   medicare-iop               2024-01-01..open       v2026.2 verified "
        "payer_rules/coverage/medicare-iop.yaml" in result.output
    )
    assert "Poverty guidelines: 2024, 2025, 2026" in result.output


def _replace(relative: str, old: str, new: str) -> Callable[[Path], None]:
    return lambda rules: replace_in(rules, relative, old, new)


def _write(relative: str, text: str) -> Callable[[Path], None]:
    def edit(rules: Path) -> None:
        (rules / relative).write_text(text)

    return edit


ACME = "payers: [acme]"

# kind, edit, expected error ("path:line:column: what was expected")
BAD_FILES = [
    (
        "payer: unknown adapter",
        _write(
            "payers/acme.yaml",
            PAYER.format(id="acme", network="out_of_network", extra="contract: none\n").replace(
                "adapter: sandbox", "adapter: carrier_pigeon"
            ),
        ),
        "payer_rules/payers/acme.yaml:5:1: adapter: unknown adapter 'carrier_pigeon'; "
        "installed: clearinghouse_json, core_x12, fhir, manual, sandbox",
    ),
    (
        "payer: a setting the adapter does not take",
        _write(
            "payers/acme.yaml",
            PAYER.format(
                id="acme", network="out_of_network", extra="contract: none\nsettings:\n  url: x\n"
            ),
        ),
        "payer_rules/payers/acme.yaml:9:3: settings.url: Extra inputs are not permitted "
        "(settings of adapter 'sandbox')",
    ),
    (
        "payer: misspelled key",
        _replace("payers/harbor-hmo.yaml", "network_status:", "network_stauts:"),
        "payer_rules/payers/harbor-hmo.yaml:8:1: network_stauts: Extra inputs are not permitted "
        "(did you mean 'network_status'?)",
    ),
    (
        "payer: a split flag that is not true or false",
        _replace(
            "payers/harbor-hmo.yaml",
            "network_status:",
            "splits_mental_health_and_substance_use: sometimes\nnetwork_status:",
        ),
        "payer_rules/payers/harbor-hmo.yaml:8:1: splits_mental_health_and_substance_use: "
        "Input should be a valid boolean",
    ),
    (
        "fee_schedule: unknown code",
        _replace("fee_schedules/commercial-examples-2026.yaml", "code: S9480", "code: S948"),
        "payer_rules/fee_schedules/commercial-examples-2026.yaml:11:3: service.code: String "
        "should match pattern '^[A-Z0-9]{5}$'",
    ),
    (
        "fee_schedule: wrong type",
        _replace(
            "fee_schedules/commercial-examples-2026.yaml", 'per_day: "375.00"', "per_day: lots"
        ),
        "payer_rules/fee_schedules/commercial-examples-2026.yaml:16:7: "
        "payers.keystone-ppo.0.per_day: Input should be a valid decimal",
    ),
    (
        "poverty_guidelines: a geography missing",
        _replace("poverty_guidelines/2026.yaml", "  hawaii:\n", "  hawai:\n"),
        "payer_rules/poverty_guidelines/2026.yaml:25:3: geographies.hawai.[key]: Input should be "
        "'contiguous', 'alaska' or 'hawaii'",
    ),
    (
        "sliding_scale_policy: unquoted decimal",
        _replace("sliding_scale/policy.yaml", 'discount: "0.60"', "discount: 0.60"),
        "payer_rules/sliding_scale/policy.yaml:27:15: write 0.60 as a quoted string so it stays "
        "an exact decimal",
    ),
    (
        "coverage_policy: overlapping effective dates",
        _write(
            "coverage/medicare-iop-2026.yaml",
            (RULES / "coverage/medicare-iop.yaml")
            .read_text()
            .replace("effective: 2024-01-01", "effective: 2026-01-01"),
        ),
        "payer_rules/coverage/medicare-iop.yaml:13:1: effective-date range overlaps "
        "payer_rules/coverage/medicare-iop-2026.yaml (same coverage_policy id 'medicare-iop'); "
        "give the earlier version an 'expires' date",
    ),
    (
        "coverage_policy: unknown program",
        _replace("coverage/ridge-hdhp.yaml", "programs: [mental_health,", "programs: [gambling,"),
        "payer_rules/coverage/ridge-hdhp.yaml:13:14: covered.programs.0: Input should be "
        "'mental_health', 'substance_use' or 'co_occurring'",
    ),
    (
        "medical_necessity: stable without examples",
        _write(
            "medical_necessity/acme.yaml",
            CRITERIA.format(applies_to=ACME, expr="true") + "stable: true\n",
        ),
        "payer_rules/medical_necessity/acme.yaml:1:1: Value error, a stable rule file must carry "
        "examples",
    ),
    (
        "medical_necessity: CEL syntax error",
        _write(
            "medical_necessity/acme.yaml", CRITERIA.format(applies_to=ACME, expr="hours_per_week <")
        ),
        "payer_rules/medical_necessity/acme.yaml:11:28: criteria.0.expr: CEL error at column 17 "
        "of the expression: Syntax error: mismatched input '<EOF>' expecting {'[', '{', '(', '.', "
        "'-', '!', 'true', 'false', 'null', NUM_FLOAT, NUM_INT, NUM_UINT, STRING, BYTES, IDENTIFIER}",
    ),
    (
        "medical_necessity: a fact that does not exist",
        _write(
            "medical_necessity/acme.yaml",
            CRITERIA.format(applies_to=ACME, expr="hours_per_wek < 20.0"),
        ),
        "payer_rules/medical_necessity/acme.yaml:11:12: criteria.0.expr: CEL error at column 1 of "
        "the expression: undeclared reference to 'hours_per_wek' (in container '')",
    ),
    (
        "medical_necessity: a type mismatch",
        _write(
            "medical_necessity/acme.yaml",
            CRITERIA.format(applies_to=ACME, expr="hours_per_week < 20"),
        ),
        "payer_rules/medical_necessity/acme.yaml:11:27: criteria.0.expr: CEL error at column 16 of "
        "the expression: found no matching overload for '_<_' applied to '(double, int)'",
    ),
    (
        "medical_necessity: YAML alias",
        _write("medical_necessity/acme.yaml", "kind: medical_necessity\na: &x [1]\nb: *x\n"),
        "payer_rules/medical_necessity/acme.yaml:3:4: YAML aliases (*name) are not allowed in "
        "rule files",
    ),
    (
        "any kind: nested too deeply",
        _write(
            "medical_necessity/acme.yaml",
            "kind: medical_necessity\nx: " + "[" * (MAX_DEPTH + 1) + "]" * (MAX_DEPTH + 1) + "\n",
        ),
        f"payer_rules/medical_necessity/acme.yaml:2:{MAX_DEPTH + 3}: nested deeper than "
        f"{MAX_DEPTH} levels",
    ),
]


@pytest.mark.parametrize(
    ("edit", "expected"), [c[1:] for c in BAD_FILES], ids=[c[0] for c in BAD_FILES]
)
def test_a_bad_file_is_refused_with_its_location_and_the_old_book_stays(
    rules: Path, edit: Callable[[Path], None], expected: str
) -> None:
    good = rule_book.current_rulebook()
    edit(rules)
    assert rule_book.current_rulebook() is good
    refused = status().refused
    assert refused is not None
    assert [e.text for e in refused.errors] == [expected]
    checked = runner.invoke(app, ["rules", "check", str(rules)])
    assert checked.exit_code == 1
    assert errors_printed(checked.stderr) == [f"error: {expected}"]


def test_next_years_version_is_added_in_advance_and_chosen_by_service_date(rules: Path) -> None:
    now = rules / "coverage" / "medicare-iop.yaml"
    text = now.read_text()
    now.write_text(
        text.replace("effective: 2024-01-01\n", "effective: 2024-01-01\nexpires: 2026-12-31\n")
    )
    (rules / "coverage" / "medicare-iop-2027.yaml").write_text(
        text.replace('version: "2026.2"', 'version: "2027.1"').replace(
            "effective: 2024-01-01", "effective: 2027-01-01"
        )
    )
    book = rule_book.current_rulebook()
    payer = book.payers["sandbox-medicare"]

    def chosen(on: date) -> list[tuple[str, str]]:
        found = book.rules_for(payer, Program.MENTAL_HEALTH, on)
        return [(r.display, r.model.version) for r in found if r.model.kind == "coverage_policy"]

    assert chosen(date(2026, 12, 31)) == [("payer_rules/coverage/medicare-iop.yaml", "2026.2")]
    assert chosen(date(2027, 1, 4)) == [("payer_rules/coverage/medicare-iop-2027.yaml", "2027.1")]
