"""Findings from the shipped rule book: Medicare, Medicaid, commercial, self-pay."""

import shutil
from datetime import date
from decimal import Decimal as D
from pathlib import Path
from typing import Any

import pytest

from coverage.domain.eligibility import CostSharing, EligibilityResponse, InsuranceType
from coverage.domain.findings import Assessment
from coverage.domain.request import VerificationRequest
from coverage.rules.assessment import PARITY_NOTE, assess
from coverage.rules.book import RuleBook
from tests.factories import request_body
from tests.rule_files import read_book

RULES = Path(__file__).resolve().parents[2] / "payer_rules"


@pytest.fixture(scope="module")
def book() -> RuleBook:
    return read_book(RULES)


def _request(payer_id: str | None, **changes: Any) -> VerificationRequest:
    body = request_body("ppo", start_date="2026-03-02")
    intake, plan = changes.pop("intake", {}), changes.pop("plan", {})
    body["intake"].update(intake)
    body["plan"].update(plan)
    body.update(changes)
    if payer_id is None:
        body["policies"] = []
    else:
        body["policies"][0]["payer_id"] = payer_id
    return VerificationRequest.model_validate(body)


def _response(kind: InsuranceType, **fields: Any) -> EligibilityResponse:
    fields.setdefault("cost_sharing", (CostSharing(),))
    return EligibilityResponse(active=True, insurance_type=kind, raw_payload="{}", **fields)


def _run(book: RuleBook, req: VerificationRequest, **response: Any) -> Assessment:
    payer_id = req.policies[0].payer_id if req.policies else None
    if payer_id is None:
        return assess(req, [], book)
    payer = book.payers[payer_id]
    return assess(req, [(payer, _response(payer.type, **response))], book)


def _check(result: Assessment, rule: str) -> tuple[str, str]:
    found = [
        c for c in result.coverage_criteria + result.medical_necessity.criteria if c.rule == rule
    ]
    assert len(found) == 1, [
        c.rule for c in result.coverage_criteria + result.medical_necessity.criteria
    ]
    return found[0].outcome, found[0].reason


def test_medicare_12_hours_is_covered_with_certification_dates(book: RuleBook) -> None:
    result = _run(book, _request("sandbox-medicare", plan={"days_per_week": 4, "weeks": 10}))
    assert result.coverage[0].status == "covered"
    assert _check(result, "medicare-iop/hours-per-week") == (
        "met",
        "Planned 12 hours/week is within 9-19 for Medicare beneficiaries.",
    )
    dated = [(r.code, r.due) for r in result.requirements if r.rule == "medicare-iop/certification"]
    # Start 2026-03-02, last day (week 10) 2026-05-07: recertification and plan review every
    # other month fall on 2026-05-02.
    assert dated[:3] == [
        ("certification", date(2026, 3, 2)),
        ("recertification", date(2026, 5, 2)),
        ("plan_review", date(2026, 5, 2)),
    ]
    assert result.medical_necessity.status == "met"
    assert result.referral is None


def test_medicare_20_hours_a_week_is_partial_hospitalization_not_iop(book: RuleBook) -> None:
    result = _run(book, _request("sandbox-medicare", plan={"days_per_week": 5, "hours_per_day": 4}))
    assert _check(result, "medicare-iop/hours-per-week") == (
        "not_met",
        "Planned 20 hours/week is above the 19-hour IOP maximum for Medicare beneficiaries; "
        "PHP level of care, not IOP.",
    )
    assert result.coverage[0].status == "not_covered"
    assert result.referral is not None and result.referral.to == "php"


def test_medicare_8_hours_fails_the_9_hour_certification(book: RuleBook) -> None:
    result = _run(book, _request("sandbox-medicare", plan={"days_per_week": 4, "hours_per_day": 2}))
    assert _check(result, "medicare-iop/hours-per-week") == (
        "not_met",
        "Planned 8 hours/week, below the 9 minimum for Medicare beneficiaries: fails the "
        "certification of need for at least 9 hours a week (42 CFR 424.24(d))",
    )
    assert result.coverage[0].status == "not_covered"
    assert result.referral is None


def test_medicare_qmb_owes_nothing_and_part_b_points_at_its_kind(book: RuleBook) -> None:
    result = _run(book, _request("sandbox-medicare"), medicare_qmb=True)
    rules = result.pricing_rules[0]
    assert (rules.rule, rules.patient_owes_nothing, rules.part_b_coinsurance) == (
        "medicare-iop/cost-sharing",
        True,
        D("0.20"),
    )
    assert rules.reason is not None and rules.reason.startswith("Qualified Medicare Beneficiary")
    not_qmb = _run(book, _request("sandbox-medicare"), medicare_qmb=False).pricing_rules[0]
    assert not_qmb.patient_owes_nothing is False


def test_the_part_b_coinsurance_staff_read_comes_from_the_file_the_estimate_uses(
    tmp_path: Path,
) -> None:
    rules = tmp_path / "payer_rules"
    shutil.copytree(RULES, rules)
    part_b = rules / "medicare" / "part_b.yaml"
    text = part_b.read_text()
    year_2026 = text.index("  2026:")
    part_b.write_text(
        text[:year_2026] + text[year_2026:].replace('coinsurance: "0.20"', 'coinsurance: "0.25"', 1)
    )
    edited = read_book(rules)
    assert _run(edited, _request("sandbox-medicare")).pricing_rules[0].part_b_coinsurance == D(
        "0.25"
    )
    # an episode starting in 2025 reads that year's line, left at 20 %
    in_2025 = _request("sandbox-medicare", plan={"start_date": "2025-03-03"})
    assert _run(edited, in_2025).pricing_rules[0].part_b_coinsurance == D("0.20")


@pytest.mark.parametrize(
    ("income", "percent", "cap", "status"),
    [
        # 2026 guideline for 3 people: 15960 + 2 x 5680 = 27320.
        ("20000.00", "73.21", "4.00", "draft"),  # <= 100 %: the $4 base amount (indexing: GAP)
        ("34150.00", "125.00", "21.00", "verified"),  # 101-150 %: 10 % of the $210.00 per diem
        ("54640.00", "200.00", "42.00", "verified"),  # > 150 %: 20 % of $210.00
    ],
)
def test_medicaid_copay_is_capped_by_poverty_band(
    book: RuleBook, income: str, percent: str, cap: str, status: str
) -> None:
    req = _request("sandbox-medicaid", household={"size": 3, "annual_income": income})
    rules = next(
        c for c in _run(book, req).pricing_rules if c.rule == "medicaid-federal/cost-sharing"
    )
    assert (rules.percent_of_poverty, rules.copay_cap_per_day, rules.status) == (
        D(percent),
        D(cap),
        status,
    )
    # 5 % of income, applied monthly.
    assert rules.household_cap == (D(income) * D("0.05") / 12).quantize(D("0.01"))
    assert (rules.payer_of_last_resort, rules.no_balance_billing) == (True, True)


def test_virginia_medicaid_requires_service_authorization(book: RuleBook) -> None:
    result = _run(book, _request("sandbox-medicaid"))
    pa = [r for r in result.requirements if r.code == "prior_authorization"]
    assert [(r.rule, r.due) for r in pa] == [
        ("medicaid-va-iop/prior-authorization", date(2026, 3, 2))
    ]
    assert _check(result, "medicaid-va-iop/hours-per-day") == (
        "met",
        "Planned 3 hours per service day; adults need at least 3.",
    )


def test_missing_rating_is_unknown_and_named_for_review(book: RuleBook) -> None:
    req = _request("sandbox-medicaid", intake={"program": "substance_use", "diagnoses": ["F11.20"]})
    result = _run(book, req)
    outcome, reason = _check(result, "asam-2-1-sud/withdrawal-risk-minimal")
    assert outcome == "unknown"
    assert reason == (
        "Not enough information: the intake has no withdrawal rating. A clinician must review: "
        "Withdrawal risk (dimension 1) above minimal points to withdrawal management."
    )
    assert result.medical_necessity.status == "needs_clinical_review"
    assert result.review_message() == (
        "Ready for billing review; needs clinical review: could not evaluate "
        "asam-2-1-sud/withdrawal-risk-minimal, asam-2-1-sud/no-24-hour-medical-care"
    )


def test_new_york_sud_window_dates(book: RuleBook) -> None:
    req = _request(
        "summit-choice",
        intake={"program": "substance_use", "diagnoses": ["F10.20"], "ratings": {"withdrawal": 0}},
        plan={"days_per_week": 5, "weeks": 8},
    )
    result = _run(book, req)
    by_code = {r.code: r for r in result.requirements}
    assert "prior_authorization" not in by_code
    # 5 days a week: 4 weeks (2026-03-30) comes before visit 29; Monday start + 2 business days.
    assert by_code["no_review_window"].due == date(2026, 3, 30)
    assert by_code["notify_payer"].due == date(2026, 3, 4)
    assert by_code["consultation"].due == date(2026, 3, 15)


def test_a_payer_asking_for_authorization_against_state_law_is_shown_not_resolved(
    book: RuleBook,
) -> None:
    req = _request("summit-choice", intake={"program": "substance_use", "diagnoses": ["F10.20"]})
    result = _run(book, req, cost_sharing=(CostSharing(prior_auth_required=True),))
    (pa,) = [r for r in result.requirements if r.code == "prior_authorization"]
    assert (pa.rule, pa.due, pa.text) == (
        "summit-choice/eligibility-response",
        date(2026, 3, 2),
        "Summit Choice PPO reports prior authorization required for IOP. The rule book says none "
        "is needed (e.g. a state law); confirm with the payer.",
    )


def test_carve_out_administrator_is_named(book: RuleBook) -> None:
    result = _run(book, _request("summit-choice"))
    assert result.coverage[0].why == [
        "Summit Choice PPO: IOP covered under Summit Choice PPO mental health IOP (Meridian).",
        "Managed by Meridian Behavioral Health (administrator) "
        "(mental_health, substance_use, co_occurring).",
    ]


def test_visit_limit_carries_a_parity_note(book: RuleBook) -> None:
    result = _run(book, _request("ridge-hdhp", plan={"days_per_week": 3, "weeks": 8}))
    (limit,) = result.limits
    assert (limit.allowed, limit.planned, limit.exceeded) == (20, 24, True)
    assert (
        limit.text
        == "Ridge High-Deductible Health Plan allows 20 IOP visits a plan year; 24 planned: 4 over the limit."
    )
    assert limit.parity_note == PARITY_NOTE


def test_hmo_needs_a_referral_and_reviews_every_14_days(book: RuleBook) -> None:
    result = _run(book, _request("harbor-hmo", plan={"weeks": 4}))
    codes = [(r.code, r.due) for r in result.requirements]
    assert ("referral", date(2026, 3, 2)) in codes
    assert [d for c, d in codes if c == "concurrent_review"] == [date(2026, 3, 16)]


def test_self_pay_imminent_danger_suggests_inpatient(book: RuleBook) -> None:
    result = _run(book, _request(None, intake={"imminent_danger": True}))
    assert result.referral is not None
    assert (result.referral.to, result.referral.why) == (
        "inpatient",
        ["Imminent danger to self or others needs 24-hour psychiatric care."],
    )
    assert result.findings()[0].reason == "No insurance policy given: self-pay."


def test_a_recorded_higher_level_is_a_referral(book: RuleBook) -> None:
    result = _run(book, _request("sandbox-commercial", intake={"recommended_level_of_care": "php"}))
    assert result.referral is not None and result.referral.to == "php"
    assert result.medical_necessity.status == "not_met"


def test_result_names_the_files_used_and_drafts(book: RuleBook) -> None:
    result = _run(book, _request("sandbox-medicare"))
    paths = {f.path.as_posix() for f in result.files}
    assert {
        "payers/sandbox-medicare.yaml",
        "coverage/medicare-iop.yaml",
        "medical_necessity/medicare-iop.yaml",
        "fee_schedules/sandbox-2026.yaml",
        "poverty_guidelines/2026.yaml",
        "sliding_scale/policy.yaml",
    } <= paths
    assert "coverage/medicaid-va.yaml" not in paths
    assert all(len(f.sha256) == 64 for f in result.files)
    # The allowed amount's draft status is the estimate's to report: it knows the days it priced.
    assert not [d for d in result.drafts_used if "allowed amount" in d]
