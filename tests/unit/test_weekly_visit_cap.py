"""A payer's weekly visit cap (X12 HSD on the chosen IOP line) in the priced episode: days over it
in a calendar week are not covered by that policy, priced as days past a day limit are."""

from datetime import date
from pathlib import Path

from coverage.domain.request import VerificationRequest
from coverage.x12.iop_benefit import IopContext, read_eligibility
from tests.factories import request_body
from tests.rule_files import read_book
from tests.unit.estimate_builders import RULES, estimated

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures/x12/synthetic/iop-weekly-visit-cap.271"


def test_days_over_the_payers_weekly_cap_are_not_covered_and_the_estimate_says_so() -> None:
    book = read_book(RULES)
    body = request_body("ppo", start_date="2026-02-02", days_per_week=4, weeks=3)
    req = VerificationRequest.model_validate(body)
    answer = read_eligibility(FIXTURE.read_text(), IopContext(service_date=date(2026, 2, 2)))
    payer = book.payers[req.policies[0].payer_id]
    result, _ = estimated(req, [(payer, answer)], book)
    est = result["estimate"]
    uncovered = [d for d in est["days"] if not d["covered"]]
    # 4 days a week (Monday to Thursday) for 3 weeks = 12 days; 3 visits a week are covered, so
    # each Thursday is not: 3 days at the $400.00 self-pay rate = $1,200.00. The 9 covered days
    # at $350.00 allowed, no deductible left, 20% coinsurance: patient 9 x $70.00 = $630.00,
    # payer 9 x $280.00 = $2,520.00. Patient $1,830.00; allowed 9 x $350 + 3 x $400 = $4,350.00.
    assert [d["date"] for d in uncovered] == ["2026-02-05", "2026-02-12", "2026-02-19"]
    assert all(d["flags"] == ["beyond_weekly_limit"] for d in uncovered)
    assert [d["patient"] for d in uncovered] == ["400.00"] * 3
    assert (est["patient_total"], est["payer_total"], est["allowed_total"]) == (
        "1830.00",
        "2520.00",
        "4350.00",
    )
    assert {
        "text": f"{payer.name}: the payer allows 3 visits a week; 3 of the 12 planned days fall "
        "over that and are priced as not covered",
        "source": "payer_response",
    } in est["assumptions"]
