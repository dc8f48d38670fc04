"""Builders for estimate tests: a plan, a policy's terms and prices, and the real rule book."""

from collections.abc import Sequence
from datetime import date
from decimal import Decimal as D
from pathlib import Path
from typing import Any

from coverage.adapters.sandbox import SandboxAdapter
from coverage.domain.calendar import service_dates
from coverage.domain.eligibility import (
    CostSharing,
    EligibilityRequest,
    EligibilityResponse,
    InsuranceType,
    Network,
)
from coverage.domain.estimate import DayPrice, PolicyTerms, YearTerms
from coverage.domain.gfe import Facility
from coverage.domain.payer import PayerConfig
from coverage.domain.request import Plan, Priority, VerificationRequest
from coverage.pricing.episode import price_episode
from coverage.rules.assessment import assess
from coverage.rules.book import RuleBook
from tests.factories import PERSONA_MEMBER, request_body

RULES = Path(__file__).resolve().parents[2] / "payer_rules"
MONDAY = date(2026, 2, 2)
FACILITY = Facility(
    name="Test IOP",
    npi="1234567893",
    tin="12-3456789",
    address="1 Main St, Richmond, VA",
    state="VA",
)


def plan(days_per_week: int = 3, weeks: int = 8, start: date = MONDAY, **extra: Any) -> Plan:
    return Plan(
        days_per_week=days_per_week, hours_per_day=3, weeks=weeks, start_date=start, **extra
    )


def terms(
    the_plan: Plan,
    cs: CostSharing,
    *,
    allowed: str = "350.00",
    charge: str = "400.00",
    payer_id: str = "test-payer",
    priority: Priority = Priority.PRIMARY,
    insurance_type: InsuranceType = InsuranceType.COMMERCIAL,
    network: Network = Network.IN,
    next_years: tuple[YearTerms, ...] = (),
    **extra: Any,
) -> PolicyTerms:
    days = service_dates(the_plan)
    first = date(days[0].year, 1, 1)
    return PolicyTerms(
        payer_id=payer_id,
        payer_name=payer_id,
        priority=priority,
        insurance_type=insurance_type,
        network=network,
        auth_required=cs.prior_auth_required,
        year_anchor=date(2026, 1, 1),
        years=(YearTerms(start=first, cost_sharing=cs, source="payer_response"), *next_years),
        prices=tuple(DayPrice(date=d, allowed=D(allowed), charge=D(charge)) for d in days),
        **extra,
    )


def ppo(**overrides: Any) -> CostSharing:
    values: dict[str, Any] = {
        "deductible_remaining": D("300.00"),
        "coinsurance": D("0.20"),
        "oop_remaining": D("3000.00"),
    }
    values.update(overrides)
    return CostSharing.model_validate(values)


def sandbox(
    book: RuleBook, req: VerificationRequest
) -> list[tuple[PayerConfig, EligibilityResponse]]:
    """Ask the sandbox payer for each policy, as the pipeline does."""
    days = service_dates(req.plan)
    answers = []
    for policy in req.policies:
        payer = book.payers[policy.payer_id]
        ask = EligibilityRequest(
            payer_id=payer.id, provider_npi="1234567893", member_id=policy.member_id,
            first_name="A", last_name="B", birth_date=date(1950, 1, 1), sex="F",
            relationship="self", service_start=days[0], service_end=days[-1],
            trace_number="t", attempt=1,
        )  # fmt: skip
        answers.append((payer, SandboxAdapter().check(ask, payer=payer)))
    return answers


def estimated(
    req: VerificationRequest,
    answers: Sequence[tuple[PayerConfig, EligibilityResponse]],
    book: RuleBook,
    *,
    issued_on: date = date(2026, 11, 25),
) -> tuple[dict[str, Any], list[str]]:
    """price_episode as the pipeline calls it (after assess() over the same answers), as the
    result's JSON shows it, with the draft rule facts it used."""
    assessment = assess(req, list(answers), book)
    priced = price_episode(
        req, answers, book, assessment=assessment, facility=FACILITY, issued_on=issued_on
    )
    gfe = priced.good_faith_estimate
    body = {
        "estimate": priced.estimate.model_dump(mode="json"),
        "sliding_scale": priced.sliding_scale.model_dump(mode="json"),
        "good_faith_estimate": gfe.model_dump(mode="json") if gfe else None,
    }
    return body, priced.drafts_used


def dual(*order: str, start: str = "2026-02-02") -> dict[str, Any]:
    """Medicare primary and Medicaid secondary (4 days, one week), listed in `order`."""
    body = request_body("medicare", start_date=start, days_per_week=4, weeks=1)
    members = {"medicare": PERSONA_MEMBER["medicare"], "medicaid": PERSONA_MEMBER["medicaid"]}
    body["policies"] = [
        {"payer_id": members[name][0], "member_id": members[name][1],
         "priority": "primary" if name == "medicare" else "secondary"}
        for name in order
    ]  # fmt: skip
    return body
