"""First coverage estimate: walk the planned service days and split each day's allowed amount.

Each day is computed from running accumulators (deductible, out-of-pocket) so a deductible met on
day 1 or an out-of-pocket maximum reached in week 4 shows up on the right day. Every component is
rounded half-up to the cent per day; totals are sums of rounded days, so they match a statement.
"""

from datetime import date, timedelta
from decimal import Decimal

from coverage.domain.eligibility import CostSharing, Frozen
from coverage.domain.money import ZERO, Money, cents
from coverage.domain.request import Plan


class EstimateDay(Frozen):
    date: date
    week: int  # 1-based week of the episode
    allowed: Money
    deductible: Money
    coinsurance: Money
    copay: Money
    patient: Money
    payer: Money
    covered: bool


class EstimateWeek(Frozen):
    week: int
    start: date
    days: int
    allowed: Money
    patient: Money
    payer: Money


class Estimate(Frozen):
    days: list[EstimateDay]
    weeks: list[EstimateWeek]
    allowed_total: Money
    patient_total: Money
    payer_total: Money
    deductible_applied: Money
    oop_reached: bool
    assumptions: list[str]


def service_dates(plan: Plan) -> list[date]:
    """Planned service days: a simple model of an IOP calendar, not the program's real schedule.

    Week i covers start_date + 7*i .. +6. Within it, weekdays (Mon-Fri) are taken in date order,
    then Saturday and Sunday only when days_per_week > 5. Holidays are not modelled.
    """
    dates: list[date] = []
    for week in range(plan.weeks):
        window = [plan.start_date + timedelta(days=7 * week + offset) for offset in range(7)]
        weekdays = [d for d in window if d.weekday() < 5]
        weekend = [d for d in window if d.weekday() >= 5]
        dates.extend(sorted((weekdays + weekend)[: plan.days_per_week]))
    return dates


def _usd(amount: Decimal) -> str:
    return f"${amount:,.2f}"


def _percent(rate: Decimal) -> str:
    return f"{(rate * 100).normalize():f}%"


def _lowest(*limits: Decimal | None) -> Decimal | None:
    """The binding limit among individual and family amounts; None means no limit."""
    present = [limit for limit in limits if limit is not None]
    return min(present) if present else None


class _Running:
    """What is left of the deductibles and out-of-pocket maximums as days are walked."""

    def __init__(self, cs: CostSharing) -> None:
        self.deductible = cents(cs.deductible_remaining)
        self.family_deductible = _opt_cents(cs.family_deductible_remaining)
        self.oop = _opt_cents(cs.oop_remaining)
        self.family_oop = _opt_cents(cs.family_oop_remaining)

    def deductible_room(self) -> Decimal:
        room = _lowest(self.deductible, self.family_deductible)
        return max(room if room is not None else ZERO, ZERO)

    def oop_room(self) -> Decimal | None:
        room = _lowest(self.oop, self.family_oop)
        return None if room is None else max(room, ZERO)

    def apply(self, *, deductible: Decimal, patient: Decimal) -> None:
        self.deductible -= deductible
        if self.family_deductible is not None:
            self.family_deductible -= deductible
        if self.oop is not None:
            self.oop -= patient
        if self.family_oop is not None:
            self.family_oop -= patient


def _opt_cents(amount: Decimal | None) -> Decimal | None:
    return None if amount is None else cents(amount)


def _covered_day(
    day: date, week: int, allowed: Decimal, cs: CostSharing, run: _Running
) -> EstimateDay:
    copay = ZERO
    rest = allowed
    if not cs.copay_applies_after_deductible:
        # Copay "not subject to the deductible": charged on every day, before the deductible,
        # and not counted toward it. Plans that waive the deductible entirely for this benefit
        # must be reported with deductible_remaining 0.
        copay = cents(min(cs.copay_per_day, rest))
        rest -= copay
    deductible = cents(min(rest, run.deductible_room()))
    rest -= deductible
    if cs.copay_applies_after_deductible:
        # Any amount left after the deductible is post-deductible, even on the day it is met.
        copay = cents(min(cs.copay_per_day, rest))
        rest -= copay
    # A plan with both a copay and coinsurance applies coinsurance to what the copay leaves.
    coinsurance = cents(rest * cs.coinsurance)

    oop_room = run.oop_room()
    if oop_room is not None and deductible + copay + coinsurance > oop_room:
        # The cap trims coinsurance first, then copay, then deductible: the deductible
        # accumulator then only records what the patient actually paid toward it.
        excess = deductible + copay + coinsurance - oop_room
        for_coins = min(excess, coinsurance)
        coinsurance -= for_coins
        excess -= for_coins
        for_copay = min(excess, copay)
        copay -= for_copay
        excess -= for_copay
        deductible -= excess
    patient = deductible + copay + coinsurance
    run.apply(deductible=deductible, patient=patient)
    return EstimateDay(
        date=day,
        week=week,
        allowed=allowed,
        deductible=deductible,
        coinsurance=coinsurance,
        copay=copay,
        patient=patient,
        payer=allowed - patient,
        covered=True,
    )


def _self_pay_day(day: date, week: int, allowed: Decimal) -> EstimateDay:
    return EstimateDay(
        date=day,
        week=week,
        allowed=allowed,
        deductible=ZERO,
        coinsurance=ZERO,
        copay=ZERO,
        patient=allowed,
        payer=ZERO,
        covered=False,
    )


def _assumptions(plan: Plan, allowed: Decimal, cs: CostSharing | None) -> list[str]:
    # Amounts and plan shape only: no names, member ids or dates (dates of service are PHI).
    notes = [
        f"Per-diem allowed amount {_usd(allowed)} per service day",
        f"{plan.service_days} service days: {plan.days_per_week} per week for {plan.weeks} weeks, "
        "weekdays first, holidays not considered",
    ]
    if cs is None:
        notes.append("No coverage for IOP: the patient pays the full amount per day (self-pay)")
        return notes
    notes.append(f"Deductible remaining {_usd(cs.deductible_remaining)} applied first")
    if cs.family_deductible_remaining is not None:
        notes.append(
            f"Family deductible remaining {_usd(cs.family_deductible_remaining)}; "
            "the lower of individual and family binds"
        )
    if cs.copay_per_day:
        when = "after the deductible" if cs.copay_applies_after_deductible else "from the first day"
        notes.append(f"Copay {_usd(cs.copay_per_day)} per service day, {when}")
    if cs.coinsurance:
        notes.append(
            f"Coinsurance {_percent(cs.coinsurance)} of the allowed amount after the deductible"
        )
    oop = _lowest(cs.oop_remaining, cs.family_oop_remaining)
    if oop is None:
        notes.append("No out-of-pocket maximum: the patient's share is not capped")
    else:
        notes.append(f"Out-of-pocket maximum remaining {_usd(oop)} caps the patient's share")
    if cs.day_limit_remaining is not None:
        notes.append(
            f"{cs.day_limit_remaining} covered days remain; later days are estimated as self-pay"
        )
    if cs.prior_auth_required:
        notes.append("Prior authorization required: the estimate assumes it is approved")
    return notes


def estimate_episode(
    *, plan: Plan, allowed_per_day: Decimal, cost_sharing: CostSharing | None
) -> Estimate:
    """Split the episode's allowed amount between patient and payer, day by day.

    Order per day: deductible (individual or family, whichever is lower), then copay and
    coinsurance on the remainder, then the out-of-pocket cap (individual or family, whichever is
    lower). cost_sharing None means IOP is not covered: the patient pays the allowed amount.
    """
    allowed = cents(allowed_per_day)
    run = _Running(cost_sharing) if cost_sharing is not None else None
    days: list[EstimateDay] = []
    for index, day in enumerate(service_dates(plan)):
        week = index // plan.days_per_week + 1
        beyond_limit = (
            cost_sharing is not None
            and cost_sharing.day_limit_remaining is not None
            and index >= cost_sharing.day_limit_remaining
        )
        if cost_sharing is None or run is None or beyond_limit:
            days.append(_self_pay_day(day, week, allowed))
        else:
            days.append(_covered_day(day, week, allowed, cost_sharing, run))

    oop_room = run.oop_room() if run is not None else None
    return Estimate(
        days=days,
        weeks=_weeks(plan, days),
        allowed_total=sum((d.allowed for d in days), ZERO),
        patient_total=sum((d.patient for d in days), ZERO),
        payer_total=sum((d.payer for d in days), ZERO),
        deductible_applied=sum((d.deductible for d in days), ZERO),
        oop_reached=oop_room is not None and oop_room == ZERO,
        assumptions=_assumptions(plan, allowed, cost_sharing),
    )


def _weeks(plan: Plan, days: list[EstimateDay]) -> list[EstimateWeek]:
    weeks: list[EstimateWeek] = []
    for week in range(1, plan.weeks + 1):
        in_week = [d for d in days if d.week == week]
        weeks.append(
            EstimateWeek(
                week=week,
                start=plan.start_date + timedelta(days=7 * (week - 1)),
                days=len(in_week),
                allowed=sum((d.allowed for d in in_week), ZERO),
                patient=sum((d.patient for d in in_week), ZERO),
                payer=sum((d.payer for d in in_week), ZERO),
            )
        )
    return weeks
