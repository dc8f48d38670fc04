"""Income-based sliding-scale price for self-pay patients, measured against HHS poverty guidelines.

Eligibility rests only on household size and income, the same way for everyone (HRSA Compliance
Manual ch. 9). Bands are half-open on the exact percentage, (above, up_to], so 100.4% can never
fall into a gap between "0-100%" and "101-125%".
"""

from collections.abc import Sequence
from datetime import date
from decimal import Decimal
from enum import StrEnum
from typing import Literal

from pydantic import Field, field_validator

from coverage.domain.money import Money, cents
from coverage.domain.request import US_STATES, Household, Strict

HUNDRED = Decimal(100)
# Regulation Z: a written plan payable in more than four installments makes a provider that does
# this regularly a "creditor" owing closed-end credit disclosures (12 CFR 1026.2(a)(17)(i)).
REG_Z_MAX_INSTALLMENTS = 4


class Geography(StrEnum):
    CONTIGUOUS = "contiguous"  # the 48 contiguous states and DC
    ALASKA = "alaska"
    HAWAII = "hawaii"


def geography_for_state(state: str) -> Geography:
    """Alaska and Hawaii residents have their own tables; everyone else in the 50 states and DC
    uses the contiguous table. Territories have no table here, so they are refused."""
    if state == "AK":
        return Geography.ALASKA
    if state == "HI":
        return Geography.HAWAII
    if state not in US_STATES:
        raise ValueError(f"no poverty guideline geography for state {state!r} (50 states and DC)")
    return Geography.CONTIGUOUS


class PovertyGuideline(Strict):
    year: int
    effective: date
    geography: Geography
    first_person: Money = Field(gt=0)
    per_additional_person: Money = Field(gt=0)

    def amount(self, household_size: int) -> Decimal:
        # Every published table is exactly linear in household size, including sizes above 8.
        if household_size < 1:
            raise ValueError("household size must be at least 1")
        return self.first_person + (household_size - 1) * self.per_additional_person


class DiscountClass(Strict):
    name: str = Field(min_length=1, max_length=40)
    above_percent: Decimal | None = Field(default=None, ge=0)  # exclusive; None = from 0 inclusive
    up_to_percent: Decimal | None = Field(default=None, gt=0)  # inclusive; None = no upper bound
    discount: Decimal = Field(default=Decimal("0"), ge=0, le=1)  # 0.80 = 80% off the full price
    nominal_per_day: Money | None = Field(default=None, ge=0)  # flat charge instead of a discount

    @field_validator("nominal_per_day")
    @classmethod
    def _nominal_is_cents(cls, value: Decimal | None) -> Decimal | None:
        if value is not None and value != cents(value):
            raise ValueError("nominal charge must be a whole number of cents")
        return value

    def contains(self, percent: Decimal) -> bool:
        above_ok = self.above_percent is None or percent > self.above_percent
        below_ok = self.up_to_percent is None or percent <= self.up_to_percent
        return above_ok and below_ok and percent >= 0

    def price_per_day(self, full_per_day: Decimal) -> Decimal:
        if self.nominal_per_day is not None:
            return self.nominal_per_day
        return cents(full_per_day * (1 - self.discount))


class SlidingScalePolicy(Strict):
    classes: list[DiscountClass] = Field(min_length=1)
    installment_months: list[int] = Field(min_length=1)
    minimum_monthly_payment: Money = Field(ge=0)

    @field_validator("classes")
    @classmethod
    def _contiguous_classes(cls, classes: list[DiscountClass]) -> list[DiscountClass]:
        """Classes must tile [0, infinity) in order, so every income lands in exactly one class."""
        if classes[0].above_percent is not None:
            raise ValueError(
                f"class {classes[0].name}: the first class must start at 0 (no above_percent)"
            )
        for previous, current in zip(classes, classes[1:], strict=False):
            if previous.up_to_percent is None:
                raise ValueError(f"class {previous.name}: only the last class may be unbounded")
            if current.above_percent != previous.up_to_percent:
                raise ValueError(
                    f"class {current.name}: must start where class {previous.name} ends "
                    f"(above_percent {previous.up_to_percent}), found {current.above_percent}"
                )
        for cls_ in classes:
            if (
                cls_.above_percent is not None
                and cls_.up_to_percent is not None
                and cls_.up_to_percent <= cls_.above_percent
            ):
                raise ValueError(f"class {cls_.name}: up_to_percent must be above above_percent")
            if cls_.nominal_per_day is not None and cls_.discount != 0:
                raise ValueError(f"class {cls_.name}: set a nominal charge or a discount, not both")
        if classes[-1].up_to_percent is not None:
            raise ValueError(f"class {classes[-1].name}: the last class must have no upper bound")
        names = [c.name for c in classes]
        if len(names) != len(set(names)):
            raise ValueError("class names must be unique")
        return classes

    @field_validator("installment_months")
    @classmethod
    def _positive_months(cls, months: list[int]) -> list[int]:
        if any(m < 1 for m in months) or len(months) != len(set(months)):
            raise ValueError("installment months must be distinct whole numbers of at least 1")
        return sorted(months)

    def class_for(self, percent: Decimal) -> DiscountClass:
        for discount_class in self.classes:
            if discount_class.contains(percent):
                return discount_class
        raise ValueError(f"no discount class for {percent}% of poverty")  # unreachable if valid


def check_nominal_charges(policy: SlidingScalePolicy, *, full_per_day: Decimal) -> None:
    """HRSA: a nominal charge must be less than the fee in the first discount class above 100%.

    It depends on the full price, which lives in the fee schedule, not the policy, so it is
    checked here: by the rule-book loader for every fee schedule, and again by sliding_scale().
    """
    above_100 = [
        c for c in policy.classes if c.above_percent is not None and c.above_percent >= HUNDRED
    ]
    if not above_100:
        return
    first_above = above_100[0]
    limit = first_above.price_per_day(full_per_day)
    for discount_class in policy.classes:
        nominal = discount_class.nominal_per_day
        if nominal is not None and discount_class is not first_above and nominal >= limit:
            raise ValueError(
                f"class {discount_class.name}: nominal charge ${nominal} per day must be less "
                f"than class {first_above.name}'s ${limit} per day "
                f"at a full price of ${cents(full_per_day)}"
            )


class PaymentPlan(Strict):
    months: int
    monthly: Money
    last_month: Money  # takes the rounding remainder so the plan sums to the price exactly
    # More than 4 installments: Truth in Lending (Regulation Z) disclosures are owed before the
    # plan starts; the caller must produce them or not offer the plan.
    needs_reg_z_disclosures: bool


class PriceOption(Strict):
    """One way the patient could pay. `applied` is never set by the service on its own."""

    kind: Literal["full_price", "sliding_scale", "hardship_discount"]
    label: str
    total: Money
    per_week: Money
    requires: str | None = None
    applied: bool = False
    payment_plans: list[PaymentPlan]


# OIG (42 U.S.C. 1320a-7a(i)(6); OIG 2004 paper): reducing an insured patient's cost sharing is
# lawful only after an individual, documented finding of financial need, never routinely or
# advertised; the claim still goes to the payer at the full charge.
HARDSHIP_REQUIREMENT = (
    "a documented, individual financial-hardship determination approved by billing staff "
    "(not routine, not advertised); the claim still goes to the payer at the full charge"
)


class SlidingScaleOptions(Strict):
    status: Literal["offered", "needs_income"]
    message: str
    guideline_year: int | None
    percent_of_poverty: Decimal | None  # 2 dp for display; classification used the exact value
    discount_class: str | None
    full_price: Money
    discounted_price: Money | None
    per_week: Money | None
    payment_plans: list[PaymentPlan]
    options: list[PriceOption] = []


def _per_week(total: Decimal, weeks: int) -> Decimal:
    return cents(total / weeks) if weeks > 0 else total


def _hardship(
    patient_share: Decimal, class_price: Decimal, weeks: int, policy: "SlidingScalePolicy"
) -> PriceOption | None:
    """HRSA element k shape: an insured patient pays no more than the pay class would charge."""
    if class_price >= patient_share:
        return None
    return PriceOption(
        kind="hardship_discount",
        label="Financial-hardship reduction of the patient's share (option, not applied)",
        total=class_price,
        per_week=_per_week(class_price, weeks),
        requires=HARDSHIP_REQUIREMENT,
        payment_plans=payment_plans(class_price, policy),
    )


def pick_guideline(
    guidelines: Sequence[PovertyGuideline], *, state: str, on: date
) -> PovertyGuideline:
    """The latest table for the state's geography whose HHS effective date is on or before `on`."""
    geography = geography_for_state(state)
    candidates = [g for g in guidelines if g.geography is geography and g.effective <= on]
    if not candidates:
        raise ValueError(f"no {geography} poverty guideline in effect on {on.isoformat()}")
    return max(candidates, key=lambda g: g.effective)


def payment_plans(price: Decimal, policy: SlidingScalePolicy) -> list[PaymentPlan]:
    """Equal monthly payments, the last month absorbing rounding; plans whose monthly payment is
    below the policy minimum are dropped, but the shortest plan is always offered."""
    if price <= 0:
        return []
    plans: list[PaymentPlan] = []
    for position, months in enumerate(policy.installment_months):  # sorted ascending
        monthly = cents(price / months)
        if position > 0 and monthly < policy.minimum_monthly_payment:
            continue
        plans.append(
            PaymentPlan(
                months=months,
                monthly=monthly,
                last_month=price - monthly * (months - 1),
                needs_reg_z_disclosures=months > REG_Z_MAX_INSTALLMENTS,
            )
        )
    return plans


def sliding_scale(
    *,
    household: Household | None,
    state: str,
    start_date: date,
    service_days: int,
    weeks: int,
    self_pay_per_day: Decimal,
    guidelines: Sequence[PovertyGuideline],
    policy: SlidingScalePolicy,
    insured_patient_share: Decimal | None = None,
) -> SlidingScaleOptions:
    """Sliding-scale price for an episode; the guideline table is picked by the start date.

    `insured_patient_share` is the estimate's patient total when insurance pays: then a
    hardship reduction is listed as an option that needs documented hardship, never applied.
    """
    full_per_day = cents(self_pay_per_day)
    full_price = full_per_day * service_days
    full_option = PriceOption(
        kind="full_price",
        label="Self-pay at the full price",
        total=full_price,
        per_week=_per_week(full_price, weeks),
        payment_plans=payment_plans(full_price, policy),
    )
    if household is None:
        # Not an error: the patient can still be offered the full price and a payment plan.
        return SlidingScaleOptions(
            status="needs_income",
            message="needs household size and income to offer a sliding scale",
            guideline_year=None,
            percent_of_poverty=None,
            discount_class=None,
            full_price=full_price,
            discounted_price=None,
            per_week=None,
            payment_plans=full_option.payment_plans,
            options=[full_option],
        )
    check_nominal_charges(policy, full_per_day=full_per_day)
    guideline = pick_guideline(guidelines, state=state, on=start_date)
    percent = household.annual_income / guideline.amount(household.size) * HUNDRED
    chosen = policy.class_for(percent)
    per_day = chosen.price_per_day(full_per_day)
    price = per_day * service_days
    shown = cents(percent)
    if chosen.nominal_per_day is not None:
        detail = f"nominal charge ${per_day} per service day"
    elif chosen.discount:
        detail = (
            f"{(chosen.discount * HUNDRED).normalize():f}% discount, ${per_day} per service day"
        )
    else:
        detail = f"no discount, full price ${per_day} per service day"
    options = [full_option]
    if price < full_price:
        options.append(
            PriceOption(
                kind="sliding_scale",
                label=f"Sliding scale, class {chosen.name}",
                total=price,
                per_week=_per_week(price, weeks),
                requires="proof of household size and income per the facility's policy",
                payment_plans=payment_plans(price, policy),
            )
        )
    if insured_patient_share is not None:
        hardship = _hardship(insured_patient_share, price, weeks, policy)
        if hardship is not None:
            options.append(hardship)
    return SlidingScaleOptions(
        status="offered",
        message=f"{shown}% of the {guideline.year} poverty guideline: "
        f"class {chosen.name}, {detail}",
        guideline_year=guideline.year,
        percent_of_poverty=shown,
        discount_class=chosen.name,
        full_price=full_price,
        discounted_price=price,
        per_week=cents(price / weeks) if weeks > 0 else None,
        payment_plans=payment_plans(price, policy),
        options=options,
    )
