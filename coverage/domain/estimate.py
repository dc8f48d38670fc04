"""The coverage estimate: each policy walked day by day, then combined (coordination of benefits).

Every amount is rounded half-up to the cent per service day and totals are sums of rounded days,
so a statement matches. On every day: patient + payer + write_off = allowed + balance_bill.
"""

import datetime
from collections.abc import Sequence
from datetime import date
from decimal import Decimal
from typing import Literal

from pydantic import Field

from coverage.domain.calendar import plan_year_start, week_of, week_start
from coverage.domain.cob import combine
from coverage.domain.cost_sharing import Accumulators, lowest, split_day
from coverage.domain.day import PolicyDay
from coverage.domain.eligibility import CostSharing, Frozen, InsuranceType, Network
from coverage.domain.money import ZERO, Money, cents
from coverage.domain.request import Authorization, AuthStatus, Plan, Priority

Source = Literal["payer_response", "rule_file", "default"]


class Assumption(Frozen):
    """One thing the estimate took as given, and where the amount in it came from."""

    text: str
    source: Source


class YearTerms(Frozen):
    """The IOP benefit in force for one plan year (first year: remaining amounts; later: annual)."""

    start: date
    cost_sharing: CostSharing
    source: Source


class DayPrice(Frozen):
    date: date
    allowed: Money  # the payer's allowed amount for the day (fee schedule)
    charge: Money  # the facility's full charge (self-pay rate): non-covered days, balance bills


class PolicyTerms(Frozen):
    """Everything the walk needs to know about one policy, already chosen and typed."""

    payer_id: str
    payer_name: str
    priority: Priority
    insurance_type: InsuranceType
    network: Network
    balance_billing: bool = False  # the payer file lets the facility balance-bill out of network
    # From the rule book's cost-sharing rules for this payer (coverage.rules.assessment):
    patient_owes_nothing: bool = False  # QMB protection: cost sharing is written off
    payer_of_last_resort: bool = False  # coordinated after every other payer
    no_balance_billing: bool = False  # payment in full: no balance bill, nothing left to patient
    copay_cap_per_day: Money | None = None  # Medicaid maximum cost sharing per service day
    household_cap: Money | None = None  # Medicaid 5 % cap on the household's cost sharing
    household_cap_period: Literal["monthly", "quarterly"] | None = None
    auth_required: bool = False
    authorization: Authorization = Authorization()
    year_anchor: date = Field(description="Plan years renew on this date's month and day")
    years: tuple[YearTerms, ...] = Field(min_length=1)
    prices: tuple[DayPrice, ...]

    def terms_for(self, start: date) -> YearTerms:
        for terms in self.years:
            if terms.start == start:
                return terms
        raise ValueError(f"{self.payer_id}: no benefit terms for the plan year from {start}")

    def auth_flag(self, index: int) -> str | None:
        """Day `index` (0-based in the episode) needs an authorization not (yet) given."""
        status = self.authorization.status
        if not self.auth_required:
            return None
        if status is AuthStatus.DENIED:
            return "not_authorized"
        if status is AuthStatus.APPROVED and (
            self.authorization.approved_days is None or index < self.authorization.approved_days
        ):
            return None
        return "covered_if_authorized"

    def may_balance_bill(self) -> bool:
        return (
            self.network is Network.OUT
            and self.balance_billing
            and not self.patient_owes_nothing
            and not self.no_balance_billing
        )


def cap_period(day: date, period: str) -> date:
    """First day of the calendar month or quarter the household cap runs over."""
    month = day.month if period == "monthly" else (day.month - 1) // 3 * 3 + 1
    return date(day.year, month, 1)


def calendar_week(day: date) -> date:
    """Monday of the day's week: the week a payer's weekly visit cap counts over."""
    return day - datetime.timedelta(days=day.weekday())


def over_weekly_cap(days: Sequence[date], cap: int) -> list[date]:
    """The service days past `cap` in their calendar week."""
    seen: dict[date, int] = {}
    over = []
    for day in days:
        week = calendar_week(day)
        seen[week] = seen.get(week, 0) + 1
        if seen[week] > cap:
            over.append(day)
    return over


def _not_covered(price: DayPrice, plan_year: date, flags: list[str]) -> PolicyDay:
    return PolicyDay(
        date=price.date,
        plan_year=plan_year,
        allowed=price.charge,
        patient=price.charge,
        covered=False,
        flags=tuple(flags),
    )


def walk_policy(policy: PolicyTerms, *, deny_pending: bool = False) -> list[PolicyDay]:
    """Split each day for one policy with running accumulators reset at each plan year."""
    days: list[PolicyDay] = []
    year: date | None = None
    run: Accumulators | None = None
    cs: CostSharing | None = None
    used = 0  # covered days this plan year, for the day limit
    weekly: dict[date, int] = {}  # covered days per calendar week, for a weekly visit cap
    household_paid: dict[date, Decimal] = {}  # patient share per household-cap period
    for index, price in enumerate(policy.prices):
        flags: list[str] = []
        start = plan_year_start(price.date, policy.year_anchor)
        if start != year:
            cs = policy.terms_for(start).cost_sharing
            run, year, used = Accumulators(cs), start, 0
            if days:
                flags.append("new_plan_year")
        assert cs is not None and run is not None
        week = calendar_week(price.date)
        if cs.day_limit_remaining is not None and used >= cs.day_limit_remaining:
            days.append(_not_covered(price, start, [*flags, "beyond_day_limit"]))
            continue
        if cs.visits_per_week is not None and weekly.get(week, 0) >= cs.visits_per_week:
            days.append(_not_covered(price, start, [*flags, "beyond_weekly_limit"]))
            continue
        auth = policy.auth_flag(index)
        if auth == "not_authorized" or (auth == "covered_if_authorized" and deny_pending):
            days.append(_not_covered(price, start, [*flags, "not_authorized"]))
            continue
        if auth is not None:
            flags.append(auth)
        used += 1
        weekly[week] = weekly.get(week, 0) + 1
        deductible_before, oop_before = run.deductible_room(), run.oop_room()
        period = cap_period(price.date, policy.household_cap_period or "monthly")
        household_room = (
            None
            if policy.household_cap is None
            else max(policy.household_cap - household_paid.get(period, ZERO), ZERO)
        )
        limit = lowest(policy.copay_cap_per_day, household_room)
        split = split_day(price.allowed, cs, run, limit)
        household_paid[period] = household_paid.get(period, ZERO) + split.patient
        if deductible_before > 0 and run.deductible_room() == 0:
            flags.append("deductible_met")
        if oop_before is not None and oop_before > 0 and run.oop_room() == 0:
            flags.append("oop_max_reached")
        day_cap = policy.copay_cap_per_day
        household_binds = household_room is not None and household_room < (
            lowest(split.uncapped, day_cap) or ZERO
        )
        if day_cap is not None and split.uncapped > day_cap and not household_binds:
            flags.append("copay_cap_per_day")
        if household_binds:
            flags.append("household_cap_reached")
        balance = ZERO
        if policy.may_balance_bill():
            balance = max(price.charge - price.allowed, ZERO)
            if balance:
                flags.append("balance_billed")
        patient, write_off = split.patient + balance, ZERO
        if policy.patient_owes_nothing and split.patient:
            # QMB: no Medicare deductible, coinsurance or copay may be billed to the patient.
            patient, write_off = ZERO, split.patient
            flags.append("qmb_no_cost_sharing")
        days.append(
            PolicyDay(
                date=price.date,
                plan_year=start,
                allowed=price.allowed,
                deductible=split.deductible,
                copay=split.copay,
                coinsurance=split.coinsurance,
                balance_bill=balance,
                patient=patient,
                payer=price.allowed - split.patient,
                write_off=write_off,
                covered=True,
                flags=tuple(flags),
            )
        )
    return days


def self_pay_days(prices: Sequence[DayPrice]) -> list[PolicyDay]:
    return [
        PolicyDay(
            date=p.date,
            plan_year=date(p.date.year, 1, 1),
            allowed=p.charge,
            patient=p.charge,
            covered=False,
            flags=("self_pay",),
        )
        for p in prices
    ]


class EstimateDay(Frozen):
    date: datetime.date
    week: int  # 1-based week of the episode
    plan_year: datetime.date  # first day of the plan year this day falls in
    allowed: Money
    deductible: Money
    coinsurance: Money
    copay: Money
    balance_bill: Money
    patient: Money
    payer: Money  # all payers together
    secondary_payer: Money  # the part of `payer` the secondary policy pays
    write_off: Money
    covered: bool
    flags: tuple[str, ...]


class EstimateWeek(Frozen):
    week: int
    start: date
    days: int
    allowed: Money
    patient: Money
    payer: Money


class PlanYearTotal(Frozen):
    """Which service days fell in which plan year (accumulators reset between them)."""

    start: date
    first_day: date
    last_day: date
    days: int
    patient: Money
    payer: Money
    # What the first policy's out-of-pocket maximum (individual or family, whichever has less)
    # had left when this plan year's days began; None: no maximum known (or self-pay).
    oop_remaining: Money | None = None


class PolicyTotal(Frozen):
    payer_id: str
    payer_name: str
    priority: Priority
    insurance_type: InsuranceType
    network: Network
    covered_days: int
    allowed_total: Money  # this payer's allowed amounts on the days it covers
    paid_total: Money  # what this payer pays in the combined estimate
    patient_if_only_payer: Money  # the patient's share had this been the only policy


class Outcome(Frozen):
    """The estimate's totals under another assumption (authorization not granted)."""

    patient_total: Money
    payer_total: Money
    allowed_total: Money
    days_affected: int
    note: str


class Estimate(Frozen):
    allowed_total: Money
    patient_total: Money
    payer_total: Money
    write_off_total: Money
    balance_bill_total: Money
    days: list[EstimateDay]
    weeks: list[EstimateWeek]
    plan_years: list[PlanYearTotal]
    per_policy: list[PolicyTotal]
    assumptions: list[Assumption]
    if_not_authorized: Outcome | None = None


def _total(values: Sequence[Decimal]) -> Decimal:
    return cents(sum(values, ZERO))


def _weeks(plan: Plan, days: Sequence[EstimateDay]) -> list[EstimateWeek]:
    weeks = []
    for week in range(1, plan.weeks + 1):
        in_week = [d for d in days if d.week == week]
        weeks.append(
            EstimateWeek(
                week=week,
                start=week_start(plan, week),
                days=len(in_week),
                allowed=_total([d.allowed for d in in_week]),
                patient=_total([d.patient for d in in_week]),
                payer=_total([d.payer for d in in_week]),
            )
        )
    return weeks


def _oop_left(policy: PolicyTerms | None, start: date) -> Decimal | None:
    terms = next((t for t in policy.years if t.start == start), None) if policy else None
    return None if terms is None else Accumulators(terms.cost_sharing).oop_room()


def _plan_years(days: Sequence[EstimateDay], first: PolicyTerms | None) -> list[PlanYearTotal]:
    starts = sorted({d.plan_year for d in days})
    totals = []
    for start in starts:
        in_year = [d for d in days if d.plan_year == start]
        totals.append(
            PlanYearTotal(
                start=start,
                first_day=in_year[0].date,
                last_day=in_year[-1].date,
                days=len(in_year),
                patient=_total([d.patient for d in in_year]),
                payer=_total([d.payer for d in in_year]),
                oop_remaining=_oop_left(first, start),
            )
        )
    return totals


def _combined_days(
    plan: Plan, policies: Sequence[PolicyTerms], self_pay: Sequence[DayPrice], deny_pending: bool
) -> tuple[list[EstimateDay], list[list[PolicyDay]]]:
    if not policies:
        walked = [self_pay_days(self_pay)]
        combined = combine(walked[0], None, secondary_no_balance_billing=False)
    else:
        walked = [walk_policy(p, deny_pending=deny_pending) for p in policies[:2]]
        combined = combine(
            walked[0],
            walked[1] if len(walked) > 1 else None,
            secondary_no_balance_billing=len(policies) > 1 and policies[1].no_balance_billing,
        )
    days = [EstimateDay(week=week_of(plan, d.date), **d.model_dump()) for d in combined]
    return days, walked


def estimate_episode(
    *,
    plan: Plan,
    policies: Sequence[PolicyTerms],
    self_pay: Sequence[DayPrice],
    assumptions: Sequence[Assumption] = (),
) -> Estimate:
    """Primary first, then secondary; no policy (or none usable) means self-pay at the full charge.

    `policies` must already be in coordination order (estimating.coordination_key), at most two.
    """
    days, walked = _combined_days(plan, policies, self_pay, deny_pending=False)
    per_policy = [
        PolicyTotal(
            payer_id=p.payer_id,
            payer_name=p.payer_name,
            priority=p.priority,
            insurance_type=p.insurance_type,
            network=p.network,
            covered_days=sum(1 for d in own if d.covered),
            allowed_total=_total([d.allowed for d in own if d.covered]),
            paid_total=_total(
                [d.secondary_payer if i else d.payer - d.secondary_payer for d in days]
            ),
            patient_if_only_payer=_total([d.patient for d in own]),
        )
        for i, (p, own) in enumerate(zip(policies, walked, strict=False))
    ]
    pending = sum(1 for d in days if any(f.endswith("covered_if_authorized") for f in d.flags))
    outcome = None
    if pending:
        denied, _ = _combined_days(plan, policies, self_pay, deny_pending=True)
        outcome = Outcome(
            patient_total=_total([d.patient for d in denied]),
            payer_total=_total([d.payer for d in denied]),
            allowed_total=_total([d.allowed for d in denied]),
            days_affected=pending,
            note=f"If authorization is not granted, the {pending} days marked "
            "covered_if_authorized are not covered: the patient is shown at the self-pay rate "
            "for them (an in-network contract may forbid billing the member; then the facility "
            "absorbs it).",
        )
    return Estimate(
        allowed_total=_total([d.allowed for d in days]),
        patient_total=_total([d.patient for d in days]),
        payer_total=_total([d.payer for d in days]),
        write_off_total=_total([d.write_off for d in days]),
        balance_bill_total=_total([d.balance_bill for d in days]),
        days=days,
        weeks=_weeks(plan, days),
        plan_years=_plan_years(days, policies[0] if policies else None),
        per_policy=per_policy,
        assumptions=list(assumptions),
        if_not_authorized=outcome,
    )
