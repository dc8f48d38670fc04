"""A coverage policy's visit or day limit ends coverage in the estimate per plan year, as a limit
the payer reports does; where both give one, the tighter applies and the assumption says which.

Ridge High-Deductible Health Plan, in network: allowed $330.00 a day (fee schedule), facility
charge $400.00. The payer's answer below: no deductible left, 20% coinsurance, no out-of-pocket
maximum, so a covered day is patient $66.00 + payer $264.00 and a day past the limit is patient
$400.00 (the self-pay rate) + payer $0.00.
"""

import shutil
from datetime import date
from decimal import Decimal as D
from pathlib import Path
from typing import Any

import pytest

from coverage.domain.eligibility import CostSharing, EligibilityResponse, InsuranceType
from coverage.domain.request import VerificationRequest
from coverage.rules.assessment import assess
from coverage.x12.iop_benefit import IopContext, read_eligibility
from tests.factories import request_body
from tests.rule_files import read_book, replace_in
from tests.unit.estimate_builders import RULES, estimated

# The payer's 271 for the same plan: active, no deductible left, 20% IOP coinsurance in network,
# no out-of-pocket maximum and no visit limit of its own: the rule book's limit alone applies.
ANSWER_271 = (
    Path(__file__).resolve().parents[1] / "fixtures/x12/synthetic/iop-rule-book-limit-new-year.271"
)

RIDGE = "Ridge High-Deductible Health Plan"


@pytest.fixture
def rules(tmp_path: Path) -> Path:
    target = tmp_path / "payer_rules"
    shutil.copytree(RULES, target)
    return target


def _request(start: str) -> VerificationRequest:
    # Four days a week (Monday to Thursday) for nine weeks: 36 planned days.
    body = request_body("ppo", start_date=start, days_per_week=4, weeks=9)
    body["policies"][0]["payer_id"] = "ridge-hdhp"
    return VerificationRequest.model_validate(body)


def _answer(**cost_sharing: Any) -> EligibilityResponse:
    cs = CostSharing(deductible_remaining=D("0"), coinsurance=D("0.20"), **cost_sharing)
    return EligibilityResponse(
        active=True, insurance_type=InsuranceType.COMMERCIAL, cost_sharing=(cs,), raw_payload="{}"
    )


def _estimate(rules: Path, start: str, answer: EligibilityResponse) -> dict[str, Any]:
    book = read_book(rules)
    req = _request(start)
    est: dict[str, Any] = estimated(req, [(book.payers["ridge-hdhp"], answer)], book)[0]["estimate"]
    return est


def _not_covered(est: dict[str, Any]) -> list[str]:
    return [d["date"] for d in est["days"] if not d["covered"]]


def _texts(est: dict[str, Any]) -> list[str]:
    return [a["text"] for a in est["assumptions"]]


def test_a_visit_limit_counts_each_plan_year_across_1_january(rules: Path) -> None:
    # The shipped policy: 20 visits a plan year. From Monday 2026-11-23, Monday to Thursday:
    # 2026: Nov 23-26, Nov 30-Dec 3, Dec 7-10, 14-17, 21-24, 28-31 = 6 weeks x 4 = 24 days;
    # 2027: Jan 4-7, 11-14, 18-21 = 3 weeks x 4 = 12 days. 36 in all.
    # 2026: the first 20 covered (to Dec 24), the 21st-24th (Dec 28-31) not covered;
    # 2027: the limit starts again: all 12 covered.
    # Patient: 20 x 66.00 + 4 x 400.00 + 12 x 66.00 = 1,320.00 + 1,600.00 + 792.00 = 3,712.00.
    # Payer: (20 + 12) x 264.00 = 8,448.00.
    est = _estimate(rules, "2026-11-23", _answer())
    assert _not_covered(est) == ["2026-12-28", "2026-12-29", "2026-12-30", "2026-12-31"]
    assert all("beyond_day_limit" in d["flags"] for d in est["days"] if not d["covered"])
    assert (est["patient_total"], est["payer_total"]) == ("3712.00", "8448.00")
    years = [(y["start"], y["days"], y["patient"], y["payer"]) for y in est["plan_years"]]
    assert years == [
        ("2026-01-01", 24, "2920.00", "5280.00"),
        ("2027-01-01", 12, "792.00", "3168.00"),
    ]
    policy = (
        f"{RIDGE}: the plan's coverage policy allows 20 IOP visits per plan year (counted by "
        "calendar year)"
    )
    assert f"{policy}; days after the 20th in 2026 are priced as not covered" in _texts(est)
    assert f"{policy}; days after the 20th in 2027 are priced as not covered" in _texts(est)


def test_a_payers_271_without_a_limit_gets_the_rule_books_limit_per_plan_year(
    rules: Path,
) -> None:
    # The same 36 days as above, priced from the payer's 271 as a job reads it: the same figures.
    answer = read_eligibility(ANSWER_271.read_text(), IopContext(service_date=date(2026, 11, 23)))
    assert answer.cost_sharing[0].day_limit_remaining is None  # the payer states no limit
    est = _estimate(rules, "2026-11-23", answer)
    assert _not_covered(est) == ["2026-12-28", "2026-12-29", "2026-12-30", "2026-12-31"]
    assert (est["patient_total"], est["payer_total"]) == ("3712.00", "8448.00")
    assert [(y["start"], y["patient"]) for y in est["plan_years"]] == [
        ("2026-01-01", "2920.00"),
        ("2027-01-01", "792.00"),
    ]


def test_the_limit_finding_counts_each_plan_year(rules: Path) -> None:
    book = read_book(rules)
    (limit,) = assess(_request("2026-11-23"), [(book.payers["ridge-hdhp"], _answer())], book).limits
    assert limit.text == (
        f"{RIDGE} allows 20 IOP visits a plan year; 36 planned: 24 in 2026 (4 over the limit), "
        "12 in 2027."
    )
    assert (limit.allowed, limit.planned, limit.exceeded, limit.over) == (20, 36, True, 4)


def test_the_limit_finding_uses_the_plan_year_the_payer_reported(rules: Path) -> None:
    # Plan year from 2026-07-01: the whole episode (2026-11-23 to 2027-01-21) is in one.
    book = read_book(rules)
    answer = _answer().model_copy(
        update={"plan_begin": date(2026, 7, 1), "plan_end": date(2027, 6, 30)}
    )
    (limit,) = assess(_request("2026-11-23"), [(book.payers["ridge-hdhp"], answer)], book).limits
    assert limit.text == f"{RIDGE} allows 20 IOP visits a plan year; 36 planned: 16 over the limit."
    est = _estimate(rules, "2026-11-23", answer)
    assert len(_not_covered(est)) == 16
    assert (
        f"{RIDGE}: the plan's coverage policy allows 20 IOP visits per plan year (counted by the "
        "plan year the payer reported); days after the 20th in the plan year from 2026-07-01 are "
        "priced as not covered"
    ) in _texts(est)


def test_the_payers_tighter_limit_applies(rules: Path) -> None:
    # All 36 days in 2026 (from Monday 2026-02-02). The payer reports 15 covered days left, the
    # policy allows 20: 15 covered, 21 not.
    # Patient: 15 x 66.00 + 21 x 400.00 = 990.00 + 8,400.00 = 9,390.00; payer 15 x 264.00.
    est = _estimate(rules, "2026-02-02", _answer(day_limit_remaining=15))
    assert len(_not_covered(est)) == 21
    # Feb 2-5, 9-12, 16-19 (12 days), Feb 23-25 (the 13th to 15th): Feb 26 is the first not covered.
    assert _not_covered(est)[0] == "2026-02-26"
    assert (est["patient_total"], est["payer_total"]) == ("9390.00", "3960.00")
    assert (
        f"{RIDGE}: the payer reports 15 covered days left in 2026, within the 20 IOP visits per "
        "plan year the plan's coverage policy allows (counted by calendar year); the payer's "
        "count applies: days after the 15th in 2026 are priced as not covered"
    ) in _texts(est)


def test_the_rule_books_tighter_limit_applies(rules: Path) -> None:
    # The payer reports 30 covered days left, the policy allows 20 days: 20 covered, 16 not.
    # Patient: 20 x 66.00 + 16 x 400.00 = 1,320.00 + 6,400.00 = 7,720.00; payer 20 x 264.00.
    replace_in(rules, "coverage/ridge-hdhp.yaml", "visits_per_year: 20", "days_per_year: 20")
    est = _estimate(rules, "2026-02-02", _answer(day_limit_remaining=30))
    assert len(_not_covered(est)) == 16
    assert (est["patient_total"], est["payer_total"]) == ("7720.00", "5280.00")
    assert (
        f"{RIDGE}: the plan's coverage policy allows 20 IOP days per plan year (counted by "
        "calendar year), fewer than the 30 the payer reports; days after the 20th in 2026 are "
        "priced as not covered"
    ) in _texts(est)
