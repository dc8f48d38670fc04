"""Rule data the estimate adds: Medicare Part B by year, per-hour fee units, balance billing."""

import shutil
from datetime import date
from decimal import Decimal as D
from pathlib import Path

import pytest

from coverage.domain.eligibility import Network
from coverage.domain.request import VerificationRequest
from coverage.rules.book import RuleBook
from coverage.rules.errors import RuleBookError, RuleLookupError
from tests.factories import request_body
from tests.rule_files import read_book
from tests.unit.estimate_builders import RULES, estimated, sandbox


@pytest.fixture(scope="module")
def book() -> RuleBook:
    return read_book(RULES)


@pytest.fixture
def rules(tmp_path: Path) -> Path:
    target = tmp_path / "payer_rules"
    shutil.copytree(RULES, target)
    return target


def test_part_b_deductible_and_coinsurance_per_year(book: RuleBook) -> None:
    # CMS Part B deductible announcements (2024-11-08, 2025-11-14): $240 (2024), $257 (2025),
    # $283 (2026); 20% coinsurance.
    for year, deductible in ((2024, "240.00"), (2025, "257.00"), (2026, "283.00")):
        found = book.part_b(year)
        part_b = found.terms
        assert (part_b.deductible, part_b.coinsurance, part_b.status) == (
            D(deductible),
            D("0.20"),
            "verified",
        )
        assert (found.display, found.carried(year)) == ("payer_rules/medicare/part_b.yaml", False)
    with pytest.raises(RuleLookupError, match="no Medicare Part B deductible for 2023"):
        book.part_b(2023)


def test_a_bad_part_b_amount_names_the_file_and_line(rules: Path) -> None:
    path = rules / "medicare" / "part_b.yaml"
    text = path.read_text().replace('deductible: "283.00"', 'deductible: "283.005"')
    path.write_text(text)
    line = text.splitlines().index('    deductible: "283.005"') + 1
    with pytest.raises(RuleBookError) as caught:
        read_book(rules)
    assert str(caught.value) == (
        f"payer_rules/medicare/part_b.yaml:{line}:5: years.2026.deductible: "
        "Decimal input should have no more than 2 decimal places"
    )


def test_payer_files_default_to_no_balance_billing(book: RuleBook) -> None:
    assert {p.balance_billing for p in book.payers.values()} == {False}


def test_a_per_hour_rate_is_multiplied_by_the_hours_of_a_service_day(rules: Path) -> None:
    path = rules / "fee_schedules" / "sandbox-2026.yaml"
    path.write_text(
        path.read_text().replace(
            '    - network: in_network\n      per_day: "350.00"\n',
            '    - network: in_network\n      per_day: "95.50"\n      unit: per_hour\n',
        )
    )
    book = read_book(rules)
    found = book.payer_rate("sandbox-commercial", Network.IN, date(2026, 3, 2))
    assert (found.rate.per_day, found.rate.unit, found.status) == (
        D("95.50"),
        "per_hour",
        "verified",
    )
    body = request_body("ppo", start_date="2026-03-02", hours_per_day=3.5, weeks=1)
    req = VerificationRequest.model_validate(body)
    result, _ = estimated(req, sandbox(book, req), book, issued_on=date(2026, 3, 1))
    # $95.50 x 3.5 hours = $334.25 a day. Day 1: $300 deductible + 20% of $34.25 = 6.85 -> $306.85.
    assert [d["allowed"] for d in result["estimate"]["days"]] == ["334.25"] * 3
    assert result["estimate"]["days"][0]["patient"] == "306.85"
    assert {
        "text": "Sandbox Commercial PPO: allowed $95.50 per hour x 3.5 hours per service day",
        "source": "rule_file",
    } in result["estimate"]["assumptions"]
