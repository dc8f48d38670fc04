"""The estimate's protections come from the rule book's cost-sharing rules, not the payer type:
editing a coverage policy's flags changes the estimate with no code change."""

import shutil
from decimal import Decimal as D
from pathlib import Path
from typing import Any

import pytest

from coverage.domain.eligibility import CostSharing, EligibilityResponse, InsuranceType
from coverage.domain.request import VerificationRequest
from coverage.rules.book import RuleBook
from tests.factories import request_body
from tests.rule_files import read_book
from tests.unit.estimate_builders import RULES, dual, estimated, sandbox


@pytest.fixture
def rules(tmp_path: Path) -> Path:
    target = tmp_path / "payer_rules"
    shutil.copytree(RULES, target)
    return target


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text, f"{path.name} no longer contains {old!r}"
    path.write_text(text.replace(old, new))


def _estimate(rules: Path, body: dict[str, Any]) -> dict[str, Any]:
    book = read_book(rules)
    req = VerificationRequest.model_validate(body)
    estimate: dict[str, Any] = estimated(req, sandbox(book, req), book)[0]["estimate"]
    return estimate


def _totals(est: dict[str, Any]) -> tuple[str, str, str]:
    return est["patient_total"], est["payer_total"], est["write_off_total"]


def test_medicaid_without_no_balance_billing_leaves_the_patient_the_rest(rules: Path) -> None:
    # Shipped rules (test_estimating): Medicare leaves $259.13 on day 1, Medicaid pays $210 and
    # $49.13 is written off. With no_balance_billing false the $49.13 is the patient's; days 2-4
    # Medicaid pays all Medicare leaves. Patient $49.13, payers still $987.39, nothing written off.
    shipped = _estimate(rules, dual("medicare", "medicaid"))
    assert _totals(shipped) == ("0.00", "987.39", "49.13")
    note = {
        "text": "Sandbox State Medicaid forbids balance billing (rule "
        "medicaid-federal/cost-sharing): on days it covers as secondary the patient owes $0.00 "
        "and the rest is written off",
        "source": "rule_file",
    }
    assert note in shipped["assumptions"]
    _edit(
        rules / "coverage" / "medicaid-federal.yaml",
        "no_balance_billing: true",
        "no_balance_billing: false",
    )
    est = _estimate(rules, dual("medicare", "medicaid"))
    assert _totals(est) == ("49.13", "987.39", "0.00")
    assert [d["patient"] for d in est["days"]] == ["49.13", "0.00", "0.00", "0.00"]
    assert not any("medicaid_last_resort" in d["flags"] for d in est["days"])
    assert note not in est["assumptions"]


def test_medicaid_without_payer_of_last_resort_keeps_the_listed_order(rules: Path) -> None:
    body = dual("medicare", "medicaid")
    body["policies"][0]["priority"], body["policies"][1]["priority"] = "secondary", "primary"
    shipped = _estimate(rules, body)
    assert [p["payer_id"] for p in shipped["per_policy"]] == [
        "sandbox-medicare",
        "sandbox-medicaid",
    ]
    _edit(
        rules / "coverage" / "medicaid-federal.yaml",
        "payer_of_last_resort: true",
        "payer_of_last_resort: false",
    )
    # Medicaid listed primary now pays first: $210 allowed, no cost sharing, 4 days = $840.00;
    # it leaves the patient nothing, so Medicare (secondary) pays $0.00.
    est = _estimate(rules, body)
    assert [(p["payer_id"], p["priority"], p["paid_total"]) for p in est["per_policy"]] == [
        ("sandbox-medicaid", "primary", "840.00"),
        ("sandbox-medicare", "secondary", "0.00"),
    ]
    assert _totals(est) == ("0.00", "840.00", "0.00")


def test_without_qmb_protection_a_qmb_pays_medicare_cost_sharing(rules: Path) -> None:
    # Medicare $283 deductible then 20% of $259.13: 259.13 + (23.87 + 47.05) + 51.83 + 51.83 =
    # $433.71 cost sharing; written off under the shipped rule, the patient's without it.
    body = request_body("medicare", days_per_week=4, weeks=1, start_date="2026-02-02")
    body["policies"][0]["member_id"] = "SBX-QMB-77"
    assert _totals(_estimate(rules, body)) == ("0.00", "602.81", "433.71")
    _edit(
        rules / "coverage" / "medicare-iop.yaml",
        "qmb_owes_nothing: true",
        "qmb_owes_nothing: false",
    )
    est = _estimate(rules, body)
    assert _totals(est) == ("433.71", "602.81", "0.00")
    assert not any("Qualified Medicare Beneficiary" in a["text"] for a in est["assumptions"])


def test_a_payer_no_policy_applies_to_keeps_the_payer_type_default(rules: Path) -> None:
    # No Medicaid coverage policy left for the VA sandbox plan: Medicaid still pays last and may
    # not balance-bill (the behaviour by payer type), with the same amounts, and it says so.
    (rules / "coverage" / "medicaid-federal.yaml").unlink()
    (rules / "coverage" / "medicaid-va.yaml").unlink()
    body = dual("medicare", "medicaid")
    body["policies"][0]["priority"], body["policies"][1]["priority"] = "secondary", "primary"
    est = _estimate(rules, body)
    assert _totals(est) == ("0.00", "987.39", "49.13")
    assert [p["payer_id"] for p in est["per_policy"]] == ["sandbox-medicare", "sandbox-medicaid"]
    assert {
        "text": "Sandbox State Medicaid: no coverage policy in the rule book applies; payer of "
        "last resort, no balance billing and QMB protection are taken from the payer type "
        "(medicaid)",
        "source": "default",
    } in est["assumptions"]


def _medicaid_with_copay(book: RuleBook, body: dict[str, Any]) -> dict[str, Any]:
    """The VA sandbox Medicaid plan answering with a $50 copay a day (a state-plan copay)."""
    estimate: dict[str, Any] = _medicaid_result(book, body)[0]["estimate"]
    return estimate


def _medicaid_result(book: RuleBook, body: dict[str, Any]) -> tuple[dict[str, Any], list[str]]:
    response = EligibilityResponse(
        active=True,
        raw_payload="{}",
        insurance_type=InsuranceType.MEDICAID,
        cost_sharing=(CostSharing(copay_per_day=D("50.00")),),
    )
    req = VerificationRequest.model_validate(body)
    return estimated(req, [(book.payers["sandbox-medicaid"], response)], book)


def _medicaid_body(income: str) -> dict[str, Any]:
    body = request_body("medicaid", start_date="2026-02-02", days_per_week=4, weeks=5)
    body["household"] = {"size": 4, "annual_income": income}
    return body


def test_medicaid_copay_capped_by_poverty_band_and_five_percent_household_cap() -> None:
    # medicaid-federal.yaml: household of 4 in VA, 2026 guideline $33,000; $49,500 is 150.00%,
    # the (100%, 150%] band: 10% of the $210.00 Medicaid pays = $21.00 a day. Household cap 5% of
    # $49,500 / 12 = $206.25 a calendar month. 4 days a week from Mon 2 Feb 2026 for 5 weeks:
    # February (16 days): 9 x $21 = $189.00, day 10 $17.25 (206.25 - 189), days 11-16 $0.00
    # -> $206.25; March (4 days): 4 x $21 = $84.00. Patient $290.25; Medicaid 20 x 210 - 290.25
    # = $3,909.75.
    book = read_book(RULES)
    est = _medicaid_with_copay(book, _medicaid_body("49500.00"))
    assert [d["patient"] for d in est["days"]] == (
        ["21.00"] * 9 + ["17.25"] + ["0.00"] * 6 + ["21.00"] * 4
    )
    assert (est["patient_total"], est["payer_total"], est["allowed_total"]) == (
        "290.25", "3909.75", "4200.00",
    )  # fmt: skip
    assert est["days"][9]["flags"] == ["household_cap_reached"]
    assert est["days"][16]["flags"] == ["copay_cap_per_day"]
    texts = [a["text"] for a in est["assumptions"]]
    assert (
        "Sandbox State Medicaid: cost sharing capped at $21.00 per service day for a household at "
        "150.00% of poverty (rule medicaid-federal/cost-sharing)"
    ) in texts
    assert (
        "Sandbox State Medicaid: the household's cost sharing is capped at $206.25 per calendar "
        "month (5% of income, rule medicaid-federal/cost-sharing)"
    ) in texts


def test_above_150_percent_the_cap_is_20_percent_and_quarterly_per_the_file(rules: Path) -> None:
    # $49,830 is 151.00%: 20% of $210.00 = $42.00 a day. With the file switched to a quarterly
    # household cap: 5% of $49,830 x 3 / 12 = $622.875 -> $622.88 a quarter. All 20 days (2 Feb
    # to 5 Mar) fall in Q1: days 1-14 pay $42 (= $588.00), day 15 pays $34.88 (622.88 - 588),
    # days 16-20 $0.00. Patient $622.88; Medicaid 4200 - 622.88 = $3,577.12.
    _edit(
        rules / "coverage" / "medicaid-federal.yaml",
        "household_cap_period: monthly",
        "household_cap_period: quarterly",
    )
    est = _medicaid_with_copay(read_book(rules), _medicaid_body("49830.00"))
    assert [d["patient"] for d in est["days"]] == ["42.00"] * 14 + ["34.88"] + ["0.00"] * 5
    assert (est["patient_total"], est["payer_total"]) == ("622.88", "3577.12")


def test_no_household_income_means_no_medicaid_caps() -> None:
    # Without income the poverty band is unknown: the payer's $50 copay stands, 20 x $50 = $1,000.
    book = read_book(RULES)
    body = request_body("medicaid", start_date="2026-02-02", days_per_week=4, weeks=5)
    est = _medicaid_with_copay(book, body)
    assert est["patient_total"] == "1000.00"


def test_the_draft_100_percent_band_is_used_and_reported_as_draft() -> None:
    # $33,000 is exactly 100%: the $4.00 base amount (draft: the indexed figure is a gap).
    # Household cap $33,000 x 5% / 12 = $137.50 a month, not reached: 20 x $4 = $80.00.
    body, drafts = _medicaid_result(read_book(RULES), _medicaid_body("33000.00"))
    assert body["estimate"]["patient_total"] == "80.00"
    assert "Medicaid copay cap per day (medicaid-federal/cost-sharing)" in drafts
