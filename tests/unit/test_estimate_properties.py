"""Properties of the estimate over generated plans and benefits (hypothesis)."""

from datetime import date, timedelta
from decimal import Decimal as D
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from coverage.domain.eligibility import CostSharing, EligibilityResponse, InsuranceType
from coverage.domain.estimate import estimate_episode
from coverage.domain.request import Authorization, Plan, VerificationRequest
from tests.factories import request_body
from tests.rule_files import read_book
from tests.unit.estimate_builders import RULES, estimated, terms

BOOK = read_book(RULES)


def money(low: str, high: str) -> st.SearchStrategy[D]:
    return st.decimals(
        min_value=D(low), max_value=D(high), places=2, allow_nan=False, allow_infinity=False
    )


def optional(strategy: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    return st.one_of(st.none(), strategy)


cost_sharing = st.builds(
    CostSharing,
    deductible_remaining=money("0", "3000"),
    family_deductible_remaining=optional(money("0", "5000")),
    coinsurance=st.sampled_from([D("0"), D("0.10"), D("0.125"), D("0.20"), D("0.333"), D("0.50")]),
    copay_per_day=st.sampled_from([D("0"), D("0"), D("25.00"), D("40.50")]),
    copay_applies_after_deductible=st.booleans(),
    oop_remaining=optional(money("0", "6000")),
    family_oop_remaining=optional(money("0", "9000")),
    prior_auth_required=st.booleans(),
    day_limit_remaining=optional(st.integers(min_value=0, max_value=60)),
)
# Episodes inside calendar year 2026, so one set of accumulators applies.
plans = st.builds(
    Plan,
    days_per_week=st.integers(min_value=1, max_value=7),
    hours_per_day=st.just(3),
    weeks=st.integers(min_value=1, max_value=12),
    start_date=st.dates(min_value=date(2026, 1, 5), max_value=date(2026, 9, 1)),
)
auths = st.sampled_from(
    [Authorization(), Authorization(status="pending"), Authorization(status="denied"),
     Authorization(status="approved"), Authorization(status="approved", approved_days=7)]
)  # fmt: skip


@settings(max_examples=300, deadline=None)
@given(
    plan=plans,
    cs=cost_sharing,
    allowed=money("50.00", "500.00"),
    extra_charge=money("0", "200.00"),
    auth=auths,
)
def test_day_and_total_invariants(
    plan: Plan, cs: CostSharing, allowed: D, extra_charge: D, auth: Authorization
) -> None:
    policy = terms(
        plan, cs, allowed=str(allowed), charge=str(allowed + extra_charge), authorization=auth
    )
    estimate = estimate_episode(plan=plan, policies=[policy], self_pay=[])
    for day in estimate.days:
        # One in-network policy: patient + payer = allowed on every day.
        assert day.patient + day.payer == day.allowed
        assert day.patient >= 0 and day.payer >= 0
        assert day.patient == day.deductible + day.copay + day.coinsurance or not day.covered
    # Totals are the sums of the (rounded) days, and the weeks add up to the same totals.
    assert estimate.patient_total == sum((d.patient for d in estimate.days), D("0"))
    assert estimate.payer_total == sum((d.payer for d in estimate.days), D("0"))
    assert estimate.allowed_total == sum((d.allowed for d in estimate.days), D("0"))
    assert estimate.patient_total == sum((w.patient for w in estimate.weeks), D("0"))
    assert sum(w.days for w in estimate.weeks) == len(estimate.days) == plan.service_days
    # The patient never pays more than the out-of-pocket room plus the days not covered.
    room = min(
        (x for x in (cs.oop_remaining, cs.family_oop_remaining) if x is not None), default=None
    )
    if room is not None:
        not_covered = sum((d.patient for d in estimate.days if not d.covered), D("0"))
        assert estimate.patient_total <= room + not_covered


def _answer(kind: InsuranceType, cs: CostSharing) -> EligibilityResponse:
    return EligibilityResponse(
        active=True, insurance_type=kind, cost_sharing=(cs,), raw_payload="{}"
    )


def _responses(first: CostSharing, second: CostSharing) -> list[Any]:
    return [
        (BOOK.payers["sandbox-commercial"], _answer(InsuranceType.COMMERCIAL, first)),
        (BOOK.payers["sandbox-medicare"], _answer(InsuranceType.MEDICARE, second)),
    ]


@settings(max_examples=60, deadline=None)
@given(
    first=cost_sharing,
    second=cost_sharing,
    weeks=st.integers(min_value=1, max_value=6),
    offset=st.integers(min_value=0, max_value=200),
    secondary_first=st.booleans(),
)
def test_results_do_not_depend_on_the_order_policies_are_listed_in(
    first: CostSharing, second: CostSharing, weeks: int, offset: int, secondary_first: bool
) -> None:
    start = (date(2026, 2, 2) + timedelta(days=offset)).isoformat()
    body = request_body("ppo", start_date=start, weeks=weeks)
    body["policies"] = [
        {"payer_id": "sandbox-commercial", "member_id": "SBX-PPO-1", "priority": "primary"},
        {"payer_id": "sandbox-medicare", "member_id": "SBX-MCR-1", "priority": "secondary"},
    ]
    listed = VerificationRequest.model_validate(body)
    body["policies"].reverse()
    reversed_ = VerificationRequest.model_validate(body)
    answers = _responses(first, second)
    a = estimated(listed, answers, BOOK, issued_on=date(2026, 1, 5))
    b = estimated(reversed_, answers[::-1], BOOK, issued_on=date(2026, 1, 5))
    assert a == b
    for day in a[0]["estimate"]["days"]:
        # With two payers: patient + payers + write-off = allowed + balance bill.
        assert D(day["patient"]) + D(day["payer"]) + D(day["write_off"]) == D(day["allowed"]) + D(
            day["balance_bill"]
        )
