"""Good Faith Estimate for uninsured and self-pay enrollees (45 CFR 149.610, PHS Act 2799B-6).

Every content element of 149.610(c)(1) is a field here, in the regulation's order; the texts of
the disclaimers follow the CMS standard form (CMS-10791). One GFE may cover recurring services for
up to 12 months, stating timeframe, frequency and total count; care past that needs a new GFE.
"""

import datetime
from datetime import date, timedelta
from decimal import Decimal
from typing import Literal

from coverage.domain.calendar import add_months
from coverage.domain.eligibility import Frozen
from coverage.domain.money import Money, cents

# 45 CFR 149.620(a)(2)(ii): billed total at least $400 over the GFE total for that provider.
DISPUTE_THRESHOLD = Decimal("400.00")
# CMS standard GFE form and consumer material: start within 120 calendar days of the first bill;
# $25 administrative fee (set by HHS under 149.620(g); re-check every year).
DISPUTE_DAYS = 120
DISPUTE_FEE = Decimal("25.00")
MAX_MONTHS = 12

DISCLAIMERS = (
    # (viii)
    "The convening provider or facility may recommend additional items or services as part of "
    "your care that must be scheduled or requested separately and are not reflected in this "
    "Good Faith Estimate.",
    # (ix)
    "This Good Faith Estimate shows the costs of items and services that are reasonably expected "
    "for your health care needs for an item or service. The estimate is based on information "
    "known at the time the estimate was created. It does not include any unknown or unexpected "
    "costs that may arise during treatment. You could be charged more if complications or "
    "special circumstances occur.",
    # (x)
    f"If you are billed for more than this Good Faith Estimate, you have the right to dispute the "
    f"bill. You may contact the provider or facility listed to let them know the billed charges "
    f"are higher than the Good Faith Estimate, ask them to update the bill to match it, ask to "
    f"negotiate the bill, or ask if there is financial assistance available. You may also start "
    f"a dispute resolution process with the U.S. Department of Health and Human Services (HHS) "
    f"if you are billed at least ${DISPUTE_THRESHOLD:,.2f} more than this Good Faith Estimate for "
    f"a provider or facility. You must start the dispute process within {DISPUTE_DAYS} calendar "
    f"days (about 4 months) of the date on the original bill. There is a "
    f"${DISPUTE_FEE:,.2f} fee to use the dispute process; if the agency reviewing your dispute "
    f"agrees with you, you will have to pay the price on this Good Faith Estimate, reduced by "
    f"the ${DISPUTE_FEE:,.2f} fee. Starting a dispute will not affect the quality of your care. "
    f"To learn more and get a form to start the process, go to www.cms.gov/nosurprises or call "
    f"the HHS No Surprises Help Desk.",
    # Not a contract (CMS standard form)
    "This Good Faith Estimate is not a contract and does not require you to obtain the items or "
    "services from any of the providers or facilities identified in it.",
    "Keep a copy of this Good Faith Estimate in a safe place or take pictures of it; you may need "
    "it if you are billed a higher amount.",
)
SEPARATE_SCHEDULING_STATEMENT = (
    "The items and services below are expected to be scheduled separately, before or after this "
    "period of care. A separate Good Faith Estimate will be issued for them when they are "
    "scheduled or at your request; their service codes, expected charges and provider details "
    "are therefore not listed here. Ask the facility's front desk or billing office for those "
    "Good Faith Estimates."
)


def is_business_day(day: date) -> bool:
    """Monday to Friday. 45 CFR 149.610 (86 FR 56135-56137) as read gives no holiday list, so none
    are skipped (the GFE states this)."""
    return day.weekday() < 5


def add_business_days(start: date, count: int) -> date:
    """The `count`-th business day after `start` (a weekend start counts from the next Monday)."""
    day = start
    while count:
        day += timedelta(days=1)
        count -= is_business_day(day)
    return day


def business_days_ahead(scheduled_on: date, service_on: date) -> int:
    """Business days after the scheduling day up to and including the service day."""
    days = (service_on - scheduled_on).days
    return sum(is_business_day(scheduled_on + timedelta(days=n)) for n in range(1, days + 1))


class DeliveryDeadline(Frozen):
    """When the GFE must reach the patient (45 CFR 149.610(b)(1)(vi))."""

    due_by: date
    trigger: Literal["scheduled", "requested"]
    paragraph: str
    rule: str
    holidays_considered: bool = False


def _deadlines(
    start: date, scheduled_on: date | None, requested_on: date | None
) -> list[DeliveryDeadline]:
    found = []
    if scheduled_on is not None:
        ahead = business_days_ahead(scheduled_on, start)
        if ahead >= 10:
            found.append(
                DeliveryDeadline(
                    due_by=add_business_days(scheduled_on, 3),
                    trigger="scheduled",
                    paragraph="45 CFR 149.610(b)(1)(vi)(B)",
                    rule=f"Scheduled {ahead} business days ahead (at least 10): within 3 "
                    "business days after scheduling.",
                )
            )
        elif ahead >= 3:
            found.append(
                DeliveryDeadline(
                    due_by=add_business_days(scheduled_on, 1),
                    trigger="scheduled",
                    paragraph="45 CFR 149.610(b)(1)(vi)(A)",
                    rule=f"Scheduled {ahead} business days ahead (at least 3): within 1 business "
                    "day after scheduling.",
                )
            )
    if requested_on is not None:
        found.append(
            DeliveryDeadline(
                due_by=add_business_days(requested_on, 3),
                trigger="requested",
                paragraph="45 CFR 149.610(b)(1)(vi)(C)",
                rule="Requested by the patient: within 3 business days after the request.",
            )
        )
    return found


def delivery_deadline(
    start: date, *, scheduled_on: date | None, requested_on: date | None
) -> DeliveryDeadline | None:
    """The earliest deadline that applies; None when neither a scheduling date (at least 3
    business days ahead) nor a request date is known."""
    return min(_deadlines(start, scheduled_on, requested_on), key=lambda d: d.due_by, default=None)


class Facility(Frozen):
    """The convening facility (from settings): name, identifiers and where it furnishes care."""

    name: str
    npi: str
    tin: str
    address: str
    state: str


class GfeLine(Frozen):
    description: str
    service_code: str
    diagnosis_codes: tuple[str, ...]
    unit: Literal["day"] = "day"
    units_per_week: int
    weeks: int
    total_units: int
    full_rate: Money
    rate: Money  # after any sliding-scale discount (an expected charge reflects such discounts)
    discount: str | None
    total: Money


class GfeProvider(Frozen):
    role: Literal["convening_facility", "co_provider"]
    facility: Facility
    lines: tuple[GfeLine, ...]
    total: Money


class GoodFaithEstimate(Frozen):
    reason: Literal["uninsured", "self_pay"]
    issued_on: date
    valid_through: date
    deliver_by: DeliveryDeadline | None  # weekends only are non-business days (no holidays)
    patient_name: str  # (i)
    patient_birth_date: date  # (i)
    primary_service: str  # (ii)
    scheduled_start: date  # (ii)
    period_start: date
    period_end: date
    frequency: str  # recurring scope: timeframe, frequency, total count
    total_visits: int
    providers: tuple[GfeProvider, ...]  # (iii)-(v), grouped by provider
    co_provider_note: str
    separately_scheduled_statement: str  # (vi)-(vii)
    separately_scheduled: tuple[str, ...]
    disclaimers: tuple[str, ...]  # (viii)-(x) and "not a contract"
    total_expected_charges: Money
    beyond_twelve_months: int  # planned days left out: they need a new GFE
    retention_note: str


def build_gfe(
    *,
    reason: Literal["uninsured", "self_pay"],
    issued_on: datetime.date,
    patient_name: str,
    patient_birth_date: datetime.date,
    service_dates: list[datetime.date],
    days_per_week: int,
    hours_per_day: float,
    service_code: str,
    service_description: str,
    diagnosis_codes: tuple[str, ...],
    full_rate: Decimal,
    rate: Decimal,
    discount: str | None,
    facility: Facility,
    separately_scheduled: tuple[str, ...] = (),
    scheduled_on: datetime.date | None = None,
    requested_on: datetime.date | None = None,
) -> GoodFaithEstimate:
    start = service_dates[0]
    limit = add_months(start, MAX_MONTHS)
    covered = [d for d in service_dates if d < limit]
    weeks = (covered[-1] - start).days // 7 + 1
    line = GfeLine(
        description=f"{service_description} ({hours_per_day:g} hours per service day)",
        service_code=service_code,
        diagnosis_codes=diagnosis_codes,
        units_per_week=days_per_week,
        weeks=weeks,
        total_units=len(covered),
        full_rate=cents(full_rate),
        rate=cents(rate),
        discount=discount,
        total=cents(rate) * len(covered),
    )
    provider = GfeProvider(
        role="convening_facility", facility=facility, lines=(line,), total=line.total
    )
    return GoodFaithEstimate(
        reason=reason,
        issued_on=issued_on,
        valid_through=add_months(issued_on, MAX_MONTHS),
        deliver_by=delivery_deadline(start, scheduled_on=scheduled_on, requested_on=requested_on),
        patient_name=patient_name,
        patient_birth_date=patient_birth_date,
        primary_service="Intensive outpatient program (IOP): group and individual therapy, "
        f"{days_per_week} days a week, {hours_per_day:g} hours a day",
        scheduled_start=start,
        period_start=start,
        period_end=covered[-1],
        frequency=f"{days_per_week} service days a week for {weeks} weeks, "
        f"{len(covered)} service days in total",
        total_visits=len(covered),
        providers=(provider,),
        co_provider_note="No co-provider or co-facility is expected to furnish items or services "
        "with this program; if one is added, a new Good Faith Estimate will be issued.",
        separately_scheduled_statement=SEPARATE_SCHEDULING_STATEMENT,
        separately_scheduled=separately_scheduled,
        disclaimers=DISCLAIMERS,
        total_expected_charges=provider.total,
        beyond_twelve_months=len(service_dates) - len(covered),
        retention_note="The facility keeps a copy of this Good Faith Estimate for at least 6 "
        "years as part of the medical record.",
    )
