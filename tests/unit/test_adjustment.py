"""What billing may choose for the printed estimate, and what the patient then reads."""

from decimal import Decimal as D
from typing import Any

import pytest

from coverage.domain.adjustment import Adjustment, check, latest, patient_price
from coverage.domain.estimate import Estimate
from coverage.domain.result import VerificationResult
from coverage.domain.sliding_scale import PaymentPlan, PriceOption, SlidingScaleOptions
from coverage.errors import InputError
from tests.partial import partial


def plans(*months_monthly: tuple[int, str]) -> list[PaymentPlan]:
    return [
        PaymentPlan(months=m, monthly=D(a), last_month=D(a), needs_reg_z_disclosures=m > 4)
        for m, a in months_monthly
    ]


# The PPO persona with a household at 121 % of poverty: insured share $3,120, class B $80 a day.
# Only the parts an adjustment reads are built.
RESULT = partial(VerificationResult,
    estimate=partial(Estimate, patient_total=D("3120.00")),
    sliding_scale=partial(SlidingScaleOptions,
        options=[
            partial(PriceOption,
                kind="full_price", label="Self-pay at the full price", total=D("9600.00"),
                requires=None, payment_plans=plans((3, "3200.00"), (6, "1600.00")),
            ),
            partial(PriceOption,
                kind="hardship_discount",
                label="Financial-hardship reduction (option, not applied)",
                total=D("1920.00"), requires="a documented determination",
                payment_plans=plans((3, "640.00")),
            ),
        ]
    ),
)  # fmt: skip


def test_an_offered_option_and_plan_are_accepted() -> None:
    chosen = Adjustment(option="hardship_discount", plan_months=3)
    assert check(RESULT, chosen) == chosen
    assert check(RESULT, Adjustment()) == Adjustment()  # back to the plain estimate


@pytest.mark.parametrize(
    ("adjustment", "message"),
    [
        (
            Adjustment(option="sliding_scale"),
            "option: not a price option of this result; it offers full_price, hardship_discount",
        ),
        (
            Adjustment(option="hardship_discount", plan_months=6),
            "plan_months: not a payment plan of this option; it offers 3 months",
        ),
        (
            Adjustment(option=None, plan_months=3),
            "plan_months: choose a price option before a payment plan",
        ),
    ],
)
def test_what_the_result_does_not_offer_is_refused(adjustment: Adjustment, message: str) -> None:
    with pytest.raises(InputError) as refused:
        check(RESULT, adjustment)
    assert str(refused.value) == message


def test_the_patient_reads_the_plain_estimate_or_the_chosen_option() -> None:
    plain = patient_price(RESULT, None)
    assert (plain.label, plain.total, plain.plan) == (
        "Estimated amount you owe",
        D("3120.00"),
        None,
    )
    chosen = patient_price(RESULT, Adjustment(option="hardship_discount", plan_months=3))
    assert (chosen.label, chosen.total, chosen.requires) == (
        "Your share after a financial-hardship reduction",
        D("1920.00"),
        "a documented determination",
    )
    assert chosen.plan is not None and (chosen.plan.months, chosen.plan.monthly) == (3, D("640.00"))


def test_an_option_a_rerun_no_longer_offers_falls_back_to_the_plain_estimate() -> None:
    price = patient_price(RESULT, Adjustment(option="sliding_scale"))
    assert (price.option, price.total) == (None, D("3120.00"))


def test_the_latest_adjustment_wins() -> None:
    decisions: list[dict[str, Any]] = [
        {"decision": "adjust", "adjustment": {"option": "full_price", "plan_months": 6}},
        {"decision": "adjust", "adjustment": {"option": "hardship_discount", "plan_months": None}},
        {"decision": "note", "adjustment": None},
    ]
    assert latest(decisions) == Adjustment(option="hardship_discount")
    assert latest(decisions[2:]) is None
