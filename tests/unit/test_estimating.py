"""The glue from payer answers and the real rule book to the result's money parts, exact cents."""

from datetime import date
from decimal import Decimal as D
from typing import Any

import pytest
from pydantic import ValidationError

from coverage.domain.eligibility import CostSharing, EligibilityResponse, InsuranceType, Network
from coverage.domain.request import VerificationRequest
from coverage.rules.book import RuleBook
from tests.factories import request_body
from tests.rule_files import read_book
from tests.unit.estimate_builders import RULES, dual, estimated, sandbox

ISSUED = date(2026, 11, 25)


@pytest.fixture(scope="module")
def book() -> RuleBook:
    return read_book(RULES)


def run(book: RuleBook, body: dict[str, Any]) -> tuple[dict[str, Any], list[str]]:
    req = VerificationRequest.model_validate(body)
    return estimated(req, sandbox(book, req), book, issued_on=ISSUED)


def test_commercial_episode_crossing_1_january(book: RuleBook) -> None:
    # PPO persona, 3 days a week from Mon 7 Dec 2026 for 8 weeks, $350 a day, calendar-year plan.
    # 2026 (12 days): $300 ded + 20% of $50 = $310, then 11 * $70 = $770 -> $1,080.
    # 2027 (12 days, full $1,500 deductible again): 4 * $350 = $1,400; day 5 $100 ded + 20% of
    # $250 = $150; 7 * $70 = $490 -> $2,040. Patient $3,120; payer 8400 - 3120 = $5,280.
    body, drafts = run(book, request_body("ppo"))
    est = body["estimate"]
    assert (est["patient_total"], est["payer_total"], est["allowed_total"]) == (
        "3120.00", "5280.00", "8400.00",
    )  # fmt: skip
    by_year: dict[str, list[D]] = {}
    for day in est["days"]:
        by_year.setdefault(day["plan_year"], []).append(D(day["patient"]))
    assert {y: (len(v), sum(v)) for y, v in by_year.items()} == {
        "2026-01-01": (12, D("1080.00")),
        "2027-01-01": (12, D("2040.00")),
    }
    assert est["plan_years"] == [
        {"start": "2026-01-01", "first_day": "2026-12-07", "last_day": "2026-12-30", "days": 12,
         "patient": "1080.00", "payer": "3120.00", "oop_remaining": "3000.00"},
        {"start": "2027-01-01", "first_day": "2027-01-04", "last_day": "2027-01-27", "days": 12,
         "patient": "2040.00", "payer": "2160.00", "oop_remaining": "4000.00"},
    ]  # fmt: skip
    assert est["days"][12]["flags"] == ["new_plan_year", "covered_if_authorized"]
    assert est["days"][16]["flags"] == ["covered_if_authorized", "deductible_met"]
    assert {"text": "Sandbox Commercial PPO: from 2027-01-01 the full deductible $1,500.00 applies again",
            "source": "payer_response"} in est["assumptions"]  # fmt: skip
    assert {"text": "Sandbox Commercial PPO: the fee schedule's allowed amounts end 2026-12-31; "
            "$350.00 is carried forward for later service days (not verified)",
            "source": "default"} in est["assumptions"]  # fmt: skip
    assert drafts == [
        "payer_rules/fee_schedules/sandbox-2026.yaml: the sandbox-commercial in_network allowed "
        "amount ended 2026-12-31; carried forward until newer data is added (not verified)"
    ]
    assert {a["source"] for a in est["assumptions"]} == {"payer_response", "rule_file", "default"}
    # Prior authorization required and not yet requested: both outcomes, 24 days at $400.
    assert est["if_not_authorized"]["patient_total"] == "9600.00"
    assert body["good_faith_estimate"] is None


def test_medicare_episode_crossing_1_january_uses_next_years_part_b(book: RuleBook) -> None:
    # 4 days a week from Mon 15 Dec 2025, 4 weeks, $259.13 a day: 11 days in 2025, 5 in 2026.
    # 2025 ($257 deductible): day 1 $257 + 20% of $2.13 = 0.426 -> $0.43 = $257.43;
    # 10 * $51.83 = $518.30 -> $775.73. 2026 (Part B $283 from the rule book): $259.13;
    # $23.87 + 20% of $235.26 = $47.05 -> $70.92; 3 * $51.83 = $155.49 -> $485.54.
    # Patient $1,261.27; allowed 16 * 259.13 = $4,146.08; payer $2,884.81.
    body, drafts = run(
        book, request_body("medicare", start_date="2025-12-15", days_per_week=4, weeks=4)
    )
    est = body["estimate"]
    assert [d["date"] for d in est["days"][10:12]] == ["2025-12-31", "2026-01-01"]
    assert [d["patient"] for d in est["days"][:2]] == ["257.43", "51.83"]
    assert [d["patient"] for d in est["days"][11:14]] == ["259.13", "70.92", "51.83"]
    assert (est["patient_total"], est["payer_total"], est["allowed_total"]) == (
        "1261.27", "2884.81", "4146.08",
    )  # fmt: skip
    assert {"text": "Sandbox Medicare Part B: from 2026-01-01 the 2026 Part B deductible $283.00 "
            "and 20% coinsurance apply (payer_rules/medicare/part_b.yaml)",
            "source": "rule_file"} in est["assumptions"]  # fmt: skip
    assert drafts == [
        "payer_rules/fee_schedules/sandbox-2026.yaml: sandbox-medicare in_network allowed amount "
        "$259.13 is draft"
    ]


def test_a_part_b_year_not_yet_in_the_rule_book_carries_the_last_one_flagged(
    book: RuleBook,
) -> None:
    # 2027 is a gap in the rule book: the 2026 deductible ($283) and 20% apply again from
    # 1 January, flagged. 4 days at $259.13 in 2027: $259.13 + ($23.87 + 20% of $235.26 = $70.92)
    # + 2 * $51.83 = $433.71.
    body, drafts = run(
        book, request_body("medicare", start_date="2026-12-14", days_per_week=4, weeks=4)
    )
    est = body["estimate"]
    assert [(y["start"], y["days"], y["patient"]) for y in est["plan_years"]] == [
        ("2026-01-01", 12, "848.35"),
        ("2027-01-01", 4, "433.71"),
    ]
    assert {"text": "Sandbox Medicare Part B: the 2027 Part B amounts are not in the rule book "
            "yet; from 2027-01-01 the 2026 deductible $283.00 and 20% coinsurance are carried "
            "forward (payer_rules/medicare/part_b.yaml)", "source": "default"} in est["assumptions"]  # fmt: skip
    assert drafts == [
        "payer_rules/fee_schedules/sandbox-2026.yaml: sandbox-medicare in_network allowed amount "
        "$259.13 is draft",
        "payer_rules/fee_schedules/sandbox-2026.yaml: the sandbox-medicare in_network allowed "
        "amount ended 2026-12-31; carried forward until newer data is added (not verified)",
        "payer_rules/medicare/part_b.yaml: the Medicare Part B 2026 amounts ended 2026-12-31; "
        "carried forward until newer data is added (not verified)",
    ]


def test_primary_medicare_plus_medicaid_in_any_order(book: RuleBook) -> None:
    # Same arithmetic as the domain test: patient $0, Medicaid pays 210 + 70.92 + 2 * 51.83 =
    # $384.58, Medicare 188.21 + 2 * 207.30 = $602.81, $49.13 written off on day 1.
    first, _ = run(book, dual("medicare", "medicaid"))
    second, _ = run(book, dual("medicaid", "medicare"))
    assert first == second
    est = first["estimate"]
    assert (est["patient_total"], est["payer_total"], est["write_off_total"]) == (
        "0.00",
        "987.39",
        "49.13",
    )
    assert [(p["payer_id"], p["priority"], p["paid_total"]) for p in est["per_policy"]] == [
        ("sandbox-medicare", "primary", "602.81"),
        ("sandbox-medicaid", "secondary", "384.58"),
    ]


def test_a_listed_medicaid_primary_still_pays_last(book: RuleBook) -> None:
    body = dual("medicare", "medicaid")
    body["policies"][0]["priority"], body["policies"][1]["priority"] = "secondary", "primary"
    est = run(book, body)[0]["estimate"]
    assert [p["payer_id"] for p in est["per_policy"]] == ["sandbox-medicare", "sandbox-medicaid"]
    assert est["patient_total"] == "0.00"


def test_a_qmb_persona_owes_nothing(book: RuleBook) -> None:
    body = request_body("medicare", days_per_week=4, weeks=1, start_date="2026-02-02")
    body["policies"][0]["member_id"] = "SBX-QMB-77"
    est = run(book, body)[0]["estimate"]
    assert (est["patient_total"], est["payer_total"], est["write_off_total"]) == (
        "0.00",
        "602.81",
        "433.71",
    )
    assert {
        "text": "Sandbox Medicare Part B: Qualified Medicare Beneficiary: the patient owes no Medicare "
        "deductible or coinsurance (rule medicare-iop/cost-sharing)",
        "source": "rule_file",
    } in est["assumptions"]


@pytest.mark.parametrize(
    ("income", "percent", "klass", "per_day", "total"),
    [
        # Household of 4 in VA, 2026 guideline $33,000; 24 days at a $400 full rate.
        ("33000.00", "100.00", "A", "25.00", "600.00"),  # exactly 100%: nominal $25 a day
        ("33330.00", "101.00", "B", "80.00", "1920.00"),  # 101%: 80% off
        ("66000.00", "200.00", "E", "320.00", "7680.00"),  # exactly 200%: 20% off
        ("66330.00", "201.00", "F", "400.00", "9600.00"),  # 201%: no discount
    ],
)
def test_uninsured_sliding_scale_classes_at_their_boundaries(
    book: RuleBook, income: str, percent: str, klass: str, per_day: str, total: str
) -> None:
    body = request_body(
        "ppo", start_date="2026-02-02", household={"size": 4, "annual_income": income}
    )
    body["policies"] = []
    result, _ = run(book, body)
    scale, gfe = result["sliding_scale"], result["good_faith_estimate"]
    assert (scale["percent_of_poverty"], scale["discount_class"]) == (percent, klass)
    assert scale["discounted_price"] == total
    assert [o["kind"] for o in scale["options"]] == (
        ["full_price"] if klass == "F" else ["full_price", "sliding_scale"]
    )
    assert gfe["reason"] == "uninsured"
    [line] = gfe["providers"][0]["lines"]
    assert (line["rate"], line["total_units"], line["total"]) == (per_day, 24, total)
    assert gfe["total_expected_charges"] == total
    # The estimate itself is at the full charge; the discount is an option the patient takes up.
    assert result["estimate"]["patient_total"] == "9600.00"


def test_self_pay_enrollee_with_insurance_gets_a_gfe_and_no_claim(book: RuleBook) -> None:
    body = request_body("ppo", start_date="2026-02-02")
    body["self_pay"] = True
    result, _ = run(book, body)
    assert result["good_faith_estimate"]["reason"] == "self_pay"
    assert result["estimate"]["per_policy"] == []
    assert result["estimate"]["patient_total"] == "9600.00"


def test_the_gfe_says_when_it_must_be_delivered(book: RuleBook) -> None:
    # Start Mon 2 Feb 2026, scheduled Fri 16 Jan: 19-23, 26-30 Jan and 2 Feb = 11 business days
    # ahead (>= 10), so within 3 business days: Mon 19, Tue 20, Wed 21 Jan. Weekends only.
    body = request_body("ppo", start_date="2026-02-02")
    body["self_pay"] = True
    body["plan"]["scheduled_on"] = "2026-01-16"
    gfe = run(book, body)[0]["good_faith_estimate"]
    assert gfe["deliver_by"] == {
        "due_by": "2026-01-21",
        "trigger": "scheduled",
        "paragraph": "45 CFR 149.610(b)(1)(vi)(B)",
        "rule": "Scheduled 11 business days ahead (at least 10): within 3 business days after "
        "scheduling.",
        "holidays_considered": False,
    }
    # Asked for on Thu 29 Jan with no scheduling date: Fri 30 Jan, Mon 2, Tue 3 Feb.
    del body["plan"]["scheduled_on"]
    body["gfe_requested_on"] = "2026-01-29"
    assert run(book, body)[0]["good_faith_estimate"]["deliver_by"]["due_by"] == "2026-02-03"


def test_a_scheduling_date_after_the_start_is_rejected_naming_the_field() -> None:
    body = request_body("ppo", start_date="2026-02-02")
    body["plan"]["scheduled_on"] = "2026-02-03"
    with pytest.raises(ValidationError, match="scheduled_on: must not be after start_date"):
        VerificationRequest.model_validate(body)


def test_hardship_is_an_option_for_insured_patients_never_applied(book: RuleBook) -> None:
    # PPO, Feb 2026, 24 days: $310 + 23 * $70 = $1,920 patient share. Household of 3 at $30,000 =
    # 109.81% of $27,320 -> class B, $80 a day = $1,920 for the episode: not lower, no option.
    # At $20,000 (73.21%, class A, $25 a day = $600) the option offers $600, not applied.
    body = request_body(
        "ppo", start_date="2026-02-02", household={"size": 3, "annual_income": "20000.00"}
    )
    result, _ = run(book, body)
    assert result["estimate"]["patient_total"] == "1920.00"
    hardship = [o for o in result["sliding_scale"]["options"] if o["kind"] == "hardship_discount"]
    assert [(o["total"], o["applied"]) for o in hardship] == [("600.00", False)]
    assert hardship[0]["requires"].startswith(
        "a documented, individual financial-hardship determination"
    )
    body["household"]["annual_income"] = "30000.00"
    options = run(book, body)[0]["sliding_scale"]["options"]
    assert "hardship_discount" not in [o["kind"] for o in options]


def test_missing_income_needs_income_not_an_error(book: RuleBook) -> None:
    body = request_body("ppo", start_date="2026-02-02")
    body["policies"] = []
    result, _ = run(book, body)
    assert result["sliding_scale"]["status"] == "needs_income"
    assert (
        result["sliding_scale"]["message"]
        == "needs household size and income to offer a sliding scale"
    )
    assert result["good_faith_estimate"]["total_expected_charges"] == "9600.00"


def _answer(**fields: Any) -> EligibilityResponse:
    return EligibilityResponse(active=True, raw_payload="{}", **fields)


def test_the_payer_files_network_status_picks_the_benefit_and_balance_billing(
    book: RuleBook,
) -> None:
    # The payer reports both networks; our facility is out of network with this payer (payer file),
    # so the out-of-network benefit applies: allowed $280, charge $400, $500 deductible, 40%.
    # Day 1: $280 ded + $120 balance = $400; day 2: $220 ded + $24 + $120 = $364;
    # day 3: $112 + $120 = $232. Patient $996; payer $204.
    payer = book.payers["sandbox-commercial"].model_copy(
        update={"network_status": Network.OUT, "balance_billing": True}
    )
    response = _answer(
        insurance_type=InsuranceType.COMMERCIAL,
        cost_sharing=(
            CostSharing(network=Network.IN, coinsurance=D("0.10")),
            CostSharing(
                network=Network.OUT, deductible_remaining=D("500.00"), coinsurance=D("0.40")
            ),
        ),
    )
    req = VerificationRequest.model_validate(request_body("ppo", start_date="2026-02-02", weeks=1))
    est = estimated(req, [(payer, response)], book, issued_on=ISSUED)[0]["estimate"]
    assert [d["patient"] for d in est["days"]] == ["400.00", "364.00", "232.00"]
    assert (est["patient_total"], est["payer_total"], est["balance_bill_total"]) == (
        "996.00",
        "204.00",
        "360.00",
    )


def test_a_payer_without_a_contract_is_priced_at_the_facilitys_charge_and_says_so(
    book: RuleBook,
) -> None:
    # contract: none: no allowed amount on file, so the $400 charge is taken as allowed.
    # $500 deductible, then 40%: day 1 $400; day 2 $100 + 40% of $300 = $220; day 3 $160.
    payer = book.payers["beacon-oon"].model_copy(update={"contract": "none"})
    response = _answer(
        insurance_type=InsuranceType.COMMERCIAL,
        cost_sharing=(
            CostSharing(
                network=Network.OUT, deductible_remaining=D("500.00"), coinsurance=D("0.40")
            ),
        ),
    )
    body = request_body("ppo", start_date="2026-02-02", weeks=1)
    body["policies"][0]["payer_id"] = "beacon-oon"
    req = VerificationRequest.model_validate(body)
    est = estimated(req, [(payer, response)], book, issued_on=ISSUED)[0]["estimate"]
    assert [(d["allowed"], d["patient"]) for d in est["days"]] == [
        ("400.00", "400.00"),
        ("400.00", "220.00"),
        ("400.00", "160.00"),
    ]
    assert {
        "text": "Beacon Mutual (out of network): no contract and no allowed amount on file: the "
        "facility's full charge is taken as the allowed amount; the plan's out-of-network "
        "allowance is often lower, so the payer may pay less and the patient owe more",
        "source": "default",
    } in est["assumptions"]


def test_medicare_advantage_uses_its_plans_own_year_and_amounts(book: RuleBook) -> None:
    # An MA plan year from 1 Jul: no reset on 1 January and no Part B rule used. 20% of $259.13
    # = $51.83 a day after a $100 deductible: day 1 $100 + 20% of $159.13 = 31.826 -> $131.83,
    # then 11 x $51.83 = $570.13. Patient $701.96 over 12 days from 14 Dec 2026 into 2027.
    payer = book.payers["sandbox-medicare"].model_copy(
        update={"type": InsuranceType.MEDICARE_ADVANTAGE}
    )
    response = _answer(
        insurance_type=InsuranceType.MEDICARE_ADVANTAGE,
        plan_begin=date(2026, 7, 1),
        plan_end=date(2027, 6, 30),
        cost_sharing=(CostSharing(deductible_remaining=D("100.00"), coinsurance=D("0.20")),),
    )
    body = request_body("medicare", start_date="2026-12-14", days_per_week=3, weeks=4)
    req = VerificationRequest.model_validate(body)
    est = estimated(req, [(payer, response)], book, issued_on=ISSUED)[0]["estimate"]
    assert {d["plan_year"] for d in est["days"]} == {"2026-07-01"}
    assert est["patient_total"] == "701.96"
    assert not any("Part B deductible" in a["text"] for a in est["assumptions"])
    assert not any(a["text"].endswith("runs by calendar year") for a in est["assumptions"])
