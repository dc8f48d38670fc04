"""The estimate's protections come from the rule book's cost-sharing rules, not the payer type:
editing a coverage policy's flags changes the estimate with no code change."""

import shutil
from pathlib import Path
from typing import Any

import pytest

from coverage.domain.request import VerificationRequest
from coverage.rules.loader import RuleBook
from tests.factories import request_body
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
    book = RuleBook.load(rules)
    req = VerificationRequest.model_validate(body)
    estimate: dict[str, Any] = estimated(req, sandbox(book, req), book)[0]["estimate"]
    return estimate


def _totals(est: dict[str, Any]) -> tuple[str, str, str]:
    return est["patient_total"], est["payer_total"], est["write_off_total"]


def test_medicaid_without_no_balance_billing_leaves_the_patient_the_rest(rules: Path) -> None:
    # Shipped rules (test_estimating): Medicare leaves $259.13 on day 1, Medicaid pays $210 and
    # $49.13 is written off. With no_balance_billing false the $49.13 is the patient's; days 2-4
    # Medicaid pays all Medicare leaves. Patient $49.13, payers still $987.39, nothing written off.
    assert _totals(_estimate(rules, dual("medicare", "medicaid"))) == ("0.00", "987.39", "49.13")
    _edit(
        rules / "coverage" / "medicaid-federal.yaml",
        "no_balance_billing: true",
        "no_balance_billing: false",
    )
    est = _estimate(rules, dual("medicare", "medicaid"))
    assert _totals(est) == ("49.13", "987.39", "0.00")
    assert [d["patient"] for d in est["days"]] == ["49.13", "0.00", "0.00", "0.00"]
    assert not any("medicaid_last_resort" in d["flags"] for d in est["days"])


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
