"""`rules check` proves the book can price and assess a verification: conflicts, unpriced payers,
references to nothing and criteria the runtime gives up on are refused at load, each with
file:line and the fix, instead of failing every matching job."""

import shutil
from datetime import date
from decimal import Decimal as D
from pathlib import Path

from typer.testing import CliRunner

from coverage.cli import app
from coverage.domain.eligibility import Network
from coverage.rules.evaluate import evaluate
from coverage.rules.examples import run_examples
from tests.conftest import ROOT
from tests.factories import errors_printed
from tests.rule_files import (
    CRITERIA,
    EXHAUSTING,
    FEE_SCHEDULE,
    PAYER,
    read_book,
    refused,
    replace_in,
)

RULES = ROOT / "payer_rules"


def _line(path: Path, text: str) -> int:
    return next(n for n, line in enumerate(path.read_text().splitlines(), 1) if text in line)


def test_two_self_pay_rates_in_force_on_one_day_are_refused_with_both_places(rules: Path) -> None:
    extra = rules / "fee_schedules" / "facility-2026b.yaml"
    extra.write_text(
        FEE_SCHEDULE.format(effective="2026-06-01", body='self_pay_per_day: "425.00"\n')
    )
    here = _line(extra, "self_pay_per_day")
    error = (
        f"payer_rules/fee_schedules/facility-2026b.yaml:{here}:1: two self-pay rates in force on "
        "2026-06-01: payer_rules/fee_schedules/{other} says 400.00, "
        f"payer_rules/fee_schedules/facility-2026b.yaml:{here} says 425.00; keep one"
    )
    assert refused(rules) == [
        error.format(other="commercial-examples-2026.yaml:12"),
        error.format(other="sandbox-2026.yaml:15"),
    ]


def test_a_later_self_pay_rate_replaces_the_earlier_one_without_conflict(rules: Path) -> None:
    (rules / "fee_schedules" / "facility-2027.yaml").write_text(
        FEE_SCHEDULE.format(effective="2027-01-01", body='self_pay_per_day: "425.00"\n')
    )
    book = read_book(rules)
    assert book.self_pay_per_day(date(2026, 12, 31)) == D("400.00")
    assert book.self_pay_per_day(date(2027, 1, 4)) == D("425.00")
    # Open-ended: no schedule in force in 2028, and the facility's price still holds.
    assert book.self_pay_per_day(date(2028, 6, 1)) == D("425.00")


def test_two_allowed_amounts_for_one_payer_and_day_are_refused(rules: Path) -> None:
    extra = rules / "fee_schedules" / "keystone-2026.yaml"
    extra.write_text(
        FEE_SCHEDULE.format(
            effective="2026-03-02",
            body='payers:\n  keystone-ppo:\n    - network: in_network\n      per_day: "380.00"\n',
        )
    )
    assert refused(rules) == [
        "payer_rules/fee_schedules/keystone-2026.yaml:11:7: two allowed amounts for keystone-ppo "
        "in network on 2026-03-02: payer_rules/fee_schedules/commercial-examples-2026.yaml:16 "
        "says 375.00, payer_rules/fee_schedules/keystone-2026.yaml:11 says 380.00; keep one, or "
        "end the earlier one with an expires date"
    ]


def test_a_payer_without_an_allowed_amount_is_refused_with_the_fix(rules: Path) -> None:
    (rules / "payers" / "acme.yaml").write_text(
        PAYER.format(id="acme", network="in_network", extra="")
    )
    assert refused(rules) == [
        "payer_rules/payers/acme.yaml:6:1: no fee schedule gives acme an allowed amount in "
        "network: add one under payers: acme in a fee schedule, or, with no contract, set "
        "'contract: none' and network_status: out_of_network"
    ]


def test_no_contract_is_an_explicit_out_of_network_payer_priced_at_the_charge(
    rules: Path,
) -> None:
    payer = rules / "payers" / "acme.yaml"
    payer.write_text(PAYER.format(id="acme", network="out_of_network", extra="contract: none\n"))
    assert read_book(rules).payers["acme"].contract == "none"
    payer.write_text(PAYER.format(id="acme", network="in_network", extra="contract: none\n"))
    assert refused(rules) == [
        "payer_rules/payers/acme.yaml:7:1: contract: none needs network_status: out_of_network"
    ]
    payer.write_text(PAYER.format(id="acme", network="out_of_network", extra="contract: none\n"))
    fees = rules / "fee_schedules" / "commercial-examples-2026.yaml"
    fees.write_text(
        fees.read_text() + '  acme:\n    - network: out_of_network\n      per_day: "200.00"\n'
    )
    assert refused(rules) == [
        "payer_rules/payers/acme.yaml:7:1: contract: none, but "
        "payer_rules/fee_schedules/commercial-examples-2026.yaml:31 gives acme an allowed "
        "amount; remove one of the two"
    ]


def test_references_to_payers_and_data_that_do_not_exist_are_refused(rules: Path) -> None:
    (rules / "medical_necessity" / "acme.yaml").write_text(
        CRITERIA.format(applies_to="payers: [keystone-pp0]", expr="age >= 18")
    )
    (rules / "medicare" / "part_b.yaml").unlink()
    line = _line(rules / "coverage" / "medicare-iop.yaml", "  part_b:")
    assert refused(rules) == [
        f"payer_rules/coverage/medicare-iop.yaml:{line}:3: cost_sharing.part_b: reads the Part B "
        "amounts by year, but there is no medicare_part_b file; add one",
        "payer_rules/medical_necessity/acme.yaml:8:23: applies_to.payers.0: no payer "
        "'keystone-pp0' (payer files: beacon-oon, harbor-hmo, keystone-ppo, ridge-hdhp, "
        "sandbox-commercial, sandbox-medicaid, sandbox-medicaid-ca, sandbox-medicaid-dc, "
        "sandbox-medicaid-ny, sandbox-medicare, sandbox-medicare-advantage, summit-choice); fix "
        "the id or add the payer",
        "payer_rules/payers/sandbox-medicare.yaml:4:1: a Medicare payer needs the Part B "
        "deductible by year: add a medicare_part_b file",
    ]


def test_a_criterion_the_runtime_gives_up_on_is_refused_at_load(rules: Path) -> None:
    (rules / "medical_necessity" / "acme.yaml").write_text(
        CRITERIA.format(applies_to="payers: [keystone-ppo]", expr=EXHAUSTING)
    )
    (error,) = refused(rules)
    assert error.startswith(
        "payer_rules/medical_necessity/acme.yaml:11:11: criteria.0.expr: the rule could not be "
        "evaluated: it took too long (with every fact recorded: "
    )
    assert "Iteration budget exceeded" in error
    assert error.endswith("); simplify the expression")
    checked = CliRunner().invoke(app, ["rules", "check", str(rules)])
    assert (checked.exit_code, errors_printed(checked.stderr)) == (1, [f"error: {error}"])
    tested = CliRunner().invoke(app, ["rules", "test", str(rules)])
    assert (tested.exit_code, errors_printed(tested.stderr)) == (1, [f"error: {error}"])
    assert tested.exception is None or isinstance(tested.exception, SystemExit)


def test_a_criterion_that_errs_with_every_fact_recorded_is_refused(rules: Path) -> None:
    (rules / "medical_necessity" / "acme.yaml").write_text(
        CRITERIA.format(applies_to="payers: [keystone-ppo]", expr="age % (days_per_week - 4) == 1")
    )
    assert refused(rules) == [
        "payer_rules/medical_necessity/acme.yaml:11:11: criteria.0.expr: the rule could not be "
        "evaluated with the recorded facts (with every fact recorded: INVALID_ARGUMENT: modulus "
        "by zero); simplify the expression"
    ]


def test_a_criterion_that_gives_up_only_on_rare_facts_is_unknown_in_words_for_staff(
    rules: Path,
) -> None:
    (rules / "medical_necessity" / "acme.yaml").write_text(
        CRITERIA.format(applies_to="payers: [keystone-ppo]", expr=f"age < 100 || {EXHAUSTING}")
    )
    book = read_book(rules)  # every trial stops at age < 100
    loaded = next(r for r in book.rules if r.model.id == "acme-criteria")
    (check,) = evaluate(loaded, {"age": 101})
    assert (check.outcome, check.reason) == (
        "unknown",
        "The rule could not be evaluated: it took too long. A clinician must review: does not fit",
    )
    assert check.error is not None and "Iteration budget exceeded" in check.error
    assert run_examples(book)  # the shipped examples still run


def test_files_the_service_ignores_are_warned_about(rules: Path) -> None:
    (rules / "criteria.yaml").write_text("kind: future_kind\nversion: '1'\n")
    fees = rules / "fee_schedules" / "commercial-examples-2026.yaml"
    fees.write_text(
        fees.read_text() + '  keystone-pp0:\n    - network: in_network\n      per_day: "1.00"\n'
    )
    book = read_book(rules)
    line = _line(fees, "keystone-pp0:")
    assert [str(n) for n in book.notices] == [
        "payer_rules/criteria.yaml:1: kind 'future_kind' is not one this service reads; the file "
        "is ignored",
        f"payer_rules/fee_schedules/commercial-examples-2026.yaml:{line}: allowed amounts for "
        "'keystone-pp0', which has no payer file; they are not used (a misspelled payer id?)",
    ]
    assert book.payer_rate("keystone-ppo", Network.IN, date(2026, 3, 2)).rate.per_day == D("375.00")


def test_every_problem_is_reported_at_once_across_files(rules: Path) -> None:
    """A broken file does not hide the whole-book problems of the files that did validate."""
    replace_in(rules, "payers/ridge-hdhp.yaml", "network_status:", "netwrok_status:")
    (rules / "fee_schedules" / "keystone-2026.yaml").write_text(
        FEE_SCHEDULE.format(
            effective="2026-06-01",
            body='payers:\n  keystone-ppo:\n    - network: in_network\n      per_day: "999.00"\n',
        )
    )
    assert [e.split(": ", 1)[1][:40] for e in refused(rules)] == [
        "two allowed amounts for keystone-ppo in ",
        "netwrok_status: Extra inputs are not per",
    ]


def test_an_impossible_date_is_an_error_at_its_line(rules: Path) -> None:
    replace_in(
        rules, "coverage/keystone-ppo.yaml", "effective: 2024-01-01", "effective: 2026-02-29"
    )
    (error,) = refused(rules)
    line = _line(rules / "coverage" / "keystone-ppo.yaml", "effective: 2026-02-29")
    assert error == (
        f"payer_rules/coverage/keystone-ppo.yaml:{line}:1: effective: Input should be a valid "
        "date or datetime, day value is outside expected range"
    )
    checked = CliRunner().invoke(app, ["rules", "check", str(rules)])
    assert (checked.exit_code, errors_printed(checked.stderr)) == (1, [f"error: {error}"])


def test_mistakes_that_would_fail_every_matching_job_are_refused(rules: Path) -> None:
    """Each of these loaded before and then failed verifications, one after another."""
    shutil.copy(rules / "medicare" / "part_b.yaml", rules / "medicare" / "part_b_copy.yaml")
    replace_in(
        rules,
        "fee_schedules/commercial-examples-2026.yaml",
        'per_day: "375.00"',
        'per_day: "3.5E+30"',
    )
    replace_in(
        rules,
        "medical_necessity/asam-2-1-sud.yaml",
        "kind: medical_necessity",
        "kind: medical-necessity",
    )
    replace_in(
        rules, "payers/keystone-ppo.yaml", "network_status:", "settings: {}\nnetwork_status:"
    )
    errors = refused(rules)
    assert [e.split(": ", 1)[1] for e in errors] == [
        "payers.keystone-ppo.0.per_day: Input should be less than or equal to 1000000",
        "kind: unknown kind 'medical-necessity' (did you mean 'medical_necessity'?)",
        "years.2024: also in payer_rules/medicare/part_b.yaml; keep one",
        "years.2025: also in payer_rules/medicare/part_b.yaml; keep one",
        "years.2026: also in payer_rules/medicare/part_b.yaml; keep one",
    ]


def test_a_book_that_cannot_price_an_episode_starting_today_is_refused(rules: Path) -> None:
    for relative in (
        "fee_schedules/commercial-examples-2026.yaml",
        "fee_schedules/sandbox-2026.yaml",
    ):
        replace_in(rules, relative, "effective: 2024-01-01\n", "effective: 2027-06-01\n")
        replace_in(rules, relative, "expires: 2026-12-31\n", "expires: 2027-12-31\n")
    shutil.rmtree(rules / "poverty_guidelines")
    (rules / "poverty_guidelines").mkdir()
    shutil.copy(
        RULES / "poverty_guidelines" / "2026.yaml", rules / "poverty_guidelines" / "2026.yaml"
    )
    replace_in(
        rules, "poverty_guidelines/2026.yaml", "effective: 2026-01-13", "effective: 2027-01-13"
    )
    replace_in(rules, "poverty_guidelines/2026.yaml", "expires: 2027-01-31", "expires: 2028-01-31")
    messages = [e.split(": ", 1)[1] for e in refused(rules, today=date(2026, 12, 5))]
    assert messages[:2] == [
        "no self-pay rate before 2027-06-01: every verification starting earlier (today is "
        "2026-12-05) would fail; give a schedule in force today a self_pay_per_day",
        "no poverty guidelines before 2027-01-13: every verification starting earlier (today is "
        "2026-12-05) would fail; keep the current year's file",
    ]


def test_a_first_allowed_amount_far_ahead_is_refused_and_a_near_one_warned(rules: Path) -> None:
    (rules / "payers" / "acme.yaml").write_text(
        PAYER.format(id="acme", network="in_network", extra="")
    )
    fees = rules / "fee_schedules" / "acme.yaml"
    body = 'payers:\n  acme:\n    - network: in_network\n      per_day: "300.00"\n'
    fees.write_text(FEE_SCHEDULE.format(effective="2062-01-01", body=body))
    (error,) = refused(rules, today=date(2026, 12, 5))
    assert error.endswith(
        "the first allowed amount for acme starts 2062-01-01, more than 400 days ahead (a "
        "mistyped date?); until then its members cannot be verified"
    )
    fees.write_text(FEE_SCHEDULE.format(effective="2027-03-01", body=body))
    assert read_book(rules, today=date(2026, 12, 5)).payers["acme"].name == "Acme Health"


def test_examples_of_the_wrong_type_and_impossible_bands_are_named_at_their_line(
    rules: Path,
) -> None:
    replace_in(
        rules,
        "coverage/medicare-iop.yaml",
        "facts: {age: 70, hours_per_week: 20,",
        "facts: {age: seventy, hours_per_week: 20,",
    )
    replace_in(rules, "coverage/medicare-iop.yaml", "max_per_week: 19", "max_per_week: 8")
    line = _line(rules / "coverage" / "medicare-iop.yaml", "age: seventy")
    assert [e.split(": ", 1)[1] for e in refused(rules)] == [
        "hours_per_week.0.max_per_week: below min_per_week",
        "examples.1.facts: age: write a whole number",
    ]
    assert f"payer_rules/coverage/medicare-iop.yaml:{line}:" in refused(rules)[1]


def test_a_payer_file_may_not_send_the_services_own_settings(rules: Path) -> None:
    payer = PAYER.format(id="acme", network="out_of_network", extra="contract: none\n")
    (rules / "payers" / "acme.yaml").write_text(
        payer.replace("adapter: sandbox", "adapter: fhir")
        + "settings:\n  url: https://payer.example/fhir\n  payer_identifier: X\n"
        "  token_env: IOP_COVERAGE_DATABASE_URL\n"
    )
    (error,) = refused(rules)
    assert error.endswith(
        "settings.token_env: IOP_COVERAGE_* variables hold the service's own keys and database "
        "address; name the variable that holds this payer's credential"
    )


def test_rules_check_takes_any_date_without_a_traceback() -> None:
    far = CliRunner().invoke(app, ["rules", "check", str(RULES), "--today", "9999-12-31"])
    assert far.exit_code == 0, far.output
    assert "ended on 2026-12-31" in far.stdout
