"""Sliding scale: poverty tables as printed, exact band edges, payment plans to the cent."""

from datetime import date
from decimal import Decimal as D
from pathlib import Path

import pytest

from coverage.domain.request import Household
from coverage.domain.sliding_scale import (
    DiscountClass,
    Geography,
    PovertyGuideline,
    SlidingScaleOptions,
    SlidingScalePolicy,
    check_nominal_charges,
    geography_for_state,
    payment_plans,
    pick_guideline,
    sliding_scale,
)
from coverage.rules.book import RuleBook
from tests.rule_files import read_book

RULES = Path(__file__).resolve().parents[2] / "payer_rules"
START = date(2026, 2, 2)

# HHS poverty guidelines, 89 FR 2961, 90 FR 5917 and 91 FR 1797 (ASPE tables), rows 1-8 as printed.
PRINTED = {
    (2024, Geography.CONTIGUOUS): [15060, 20440, 25820, 31200, 36580, 41960, 47340, 52720],
    (2024, Geography.ALASKA): [18810, 25540, 32270, 39000, 45730, 52460, 59190, 65920],
    (2024, Geography.HAWAII): [17310, 23500, 29690, 35880, 42070, 48260, 54450, 60640],
    (2025, Geography.CONTIGUOUS): [15650, 21150, 26650, 32150, 37650, 43150, 48650, 54150],
    (2025, Geography.ALASKA): [19550, 26430, 33310, 40190, 47070, 53950, 60830, 67710],
    (2025, Geography.HAWAII): [17990, 24320, 30650, 36980, 43310, 49640, 55970, 62300],
    (2026, Geography.CONTIGUOUS): [15960, 21640, 27320, 33000, 38680, 44360, 50040, 55720],
    (2026, Geography.ALASKA): [19950, 27050, 34150, 41250, 48350, 55450, 62550, 69650],
    (2026, Geography.HAWAII): [18360, 24890, 31420, 37950, 44480, 51010, 57540, 64070],
}


@pytest.fixture(scope="module")
def book() -> RuleBook:
    return read_book(RULES)


def offer(
    book: RuleBook, size: int | None, income: str, *, state: str = "VA", on: date = START
) -> SlidingScaleOptions:
    household = None if size is None else Household(size=size, annual_income=D(income))
    return sliding_scale(
        household=household,
        state=state,
        start_date=on,
        service_days=24,
        weeks=8,
        self_pay_per_day=D("400.00"),
        guidelines=book.guidelines,
        policy=book.sliding_scale_policy,
    )


def test_data_files_reproduce_the_printed_tables(book: RuleBook) -> None:
    loaded = {(g.year, g.geography): g for g in book.guidelines}
    assert set(loaded) == set(PRINTED)
    for key, row in PRINTED.items():
        assert [loaded[key].amount(n) for n in range(1, 9)] == [D(v) for v in row], key


def test_household_beyond_eight_adds_the_increment(book: RuleBook) -> None:
    g2026 = pick_guideline(book.guidelines, state="TX", on=START)
    assert g2026.amount(9) == D("61400")  # 55,720 + 5,680


def test_geography_for_state() -> None:
    assert geography_for_state("AK") is Geography.ALASKA
    assert geography_for_state("HI") is Geography.HAWAII
    assert geography_for_state("DC") is Geography.CONTIGUOUS
    with pytest.raises(ValueError, match="'PR'"):
        geography_for_state("PR")


def test_exactly_100_percent_is_class_a_nominal(book: RuleBook) -> None:
    result = offer(book, 4, "33000.00")
    assert result.status == "offered"
    assert (result.guideline_year, result.percent_of_poverty) == (2026, D("100.00"))
    assert result.discount_class == "A"
    assert result.full_price == D("9600.00")
    assert result.discounted_price == D("600.00")  # 24 * $25.00
    assert result.per_week == D("75.00")
    assert [(p.months, p.monthly, p.last_month) for p in result.payment_plans] == [
        (3, D("200.00"), D("200.00")),
        (6, D("100.00"), D("100.00")),
        (12, D("50.00"), D("50.00")),
    ]
    assert result.message == (
        "100.00% of the 2026 poverty guideline: class A, nominal charge $25.00 per service day"
    )


def test_just_above_100_percent_is_class_b(book: RuleBook) -> None:
    result = offer(book, 4, "33132.00")  # 100.4%: in no "101-125%" band, so bands are half-open
    assert (result.percent_of_poverty, result.discount_class) == (D("100.40"), "B")
    assert result.discounted_price == D("1920.00")  # 24 * $80.00 (80% off $400)
    assert result.per_week == D("240.00")


def test_unrounded_percentage_decides_the_band(book: RuleBook) -> None:
    # 33,000.01 / 33,000 = 100.00003%: displays as 100.00 but is above 100, so class B.
    result = offer(book, 4, "33000.01")
    assert (result.percent_of_poverty, result.discount_class) == (D("100.00"), "B")


def test_200_percent_edge(book: RuleBook) -> None:
    at = offer(book, 4, "66000.00")
    above = offer(book, 4, "66000.01")
    assert (at.discount_class, at.discounted_price) == ("E", D("7680.00"))  # $320/day
    assert (above.discount_class, above.discounted_price) == ("F", D("9600.00"))
    assert above.message.endswith("class F, no discount, full price $400.00 per service day")


def test_alaska_and_hawaii_use_their_own_tables(book: RuleBook) -> None:
    assert offer(book, 4, "41250.00", state="AK").discount_class == "A"
    assert offer(book, 4, "41250.00", state="HI").percent_of_poverty == D("108.70")
    assert offer(book, 4, "37950.00", state="HI").discount_class == "A"
    assert offer(book, 4, "37950.00", state="VA").percent_of_poverty == D("115.00")


def test_guideline_year_switches_on_the_effective_date(book: RuleBook) -> None:
    before = offer(book, 4, "33000.00", on=date(2026, 1, 12))
    after = offer(book, 4, "33000.00", on=date(2026, 1, 13))
    assert (before.guideline_year, before.percent_of_poverty) == (2025, D("102.64"))
    assert before.discount_class == "B"
    assert (after.guideline_year, after.discount_class) == (2026, "A")


def test_no_guideline_before_the_first_table(book: RuleBook) -> None:
    with pytest.raises(ValueError, match="2024-01-16"):
        pick_guideline(book.guidelines, state="VA", on=date(2024, 1, 16))


def test_missing_household_needs_income(book: RuleBook) -> None:
    result = offer(book, None, "0")
    assert result.status == "needs_income"
    assert result.message == "needs household size and income to offer a sliding scale"
    assert (result.discount_class, result.discounted_price, result.guideline_year) == (
        None,
        None,
        None,
    )
    assert result.full_price == D("9600.00")
    assert [p.monthly for p in result.payment_plans] == [D("3200.00"), D("1600.00"), D("800.00")]


def test_payment_plans_sum_exactly(book: RuleBook) -> None:
    plans = payment_plans(D("1000.00"), book.sliding_scale_policy)
    assert [(p.months, p.monthly, p.last_month) for p in plans] == [
        (3, D("333.33"), D("333.34")),
        (6, D("166.67"), D("166.65")),
        (12, D("83.33"), D("83.37")),
    ]
    for plan in plans:
        assert plan.monthly * (plan.months - 1) + plan.last_month == D("1000.00")
    assert [p.needs_reg_z_disclosures for p in plans] == [False, True, True]


def test_payment_plans_respect_the_minimum_but_keep_the_shortest(book: RuleBook) -> None:
    policy = book.sliding_scale_policy  # minimum $50.00 a month
    assert [p.months for p in payment_plans(D("450.00"), policy)] == [3, 6]  # 12 -> $37.50
    only = payment_plans(D("90.00"), policy)
    assert [(p.months, p.monthly, p.last_month) for p in only] == [(3, D("30.00"), D("30.00"))]
    assert payment_plans(D("0.00"), policy) == []


def _classes(*bounds: tuple[str | None, str | None]) -> list[DiscountClass]:
    return [
        DiscountClass(
            name=f"C{i}",
            above_percent=None if lo is None else D(lo),
            up_to_percent=None if hi is None else D(hi),
        )
        for i, (lo, hi) in enumerate(bounds)
    ]


@pytest.mark.parametrize(
    ("bounds", "message"),
    [
        ([("0", "100"), ("100", None)], "first class must start at 0"),
        ([(None, "100"), ("110", None)], "must start where class C0 ends"),
        ([(None, "100"), ("90", None)], "must start where class C0 ends"),
        ([(None, "100"), ("100", "200")], "last class must have no upper bound"),
        ([(None, None), (None, None)], "only the last class may be unbounded"),
    ],
)
def test_policy_classes_must_tile_from_zero(
    bounds: list[tuple[str | None, str | None]], message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        SlidingScalePolicy(
            classes=_classes(*bounds), installment_months=[3], minimum_monthly_payment=D("50")
        )


def test_nominal_charge_must_be_below_the_first_class_above_100(book: RuleBook) -> None:
    # At $100 a day class B (80% off) pays $20, less than class A's $25: HRSA forbids that.
    with pytest.raises(ValueError, match=r"nominal charge \$25.00 .* class B's \$20.00"):
        check_nominal_charges(book.sliding_scale_policy, full_per_day=D("100.00"))
    check_nominal_charges(book.sliding_scale_policy, full_per_day=D("400.00"))


def test_guideline_amount_needs_a_person() -> None:
    guideline = PovertyGuideline(
        year=2026,
        effective=date(2026, 1, 13),
        geography=Geography.CONTIGUOUS,
        first_person=D("15960"),
        per_additional_person=D("5680"),
    )
    with pytest.raises(ValueError):
        guideline.amount(0)


def test_poverty_guideline_effective_dates_are_the_notices(book: RuleBook) -> None:
    # 2025: January 15 (90 FR 5917); 2026: January 13 (91 FR 1797); 2024: publication date, draft.
    effective = {g.year: g.effective for g in book.guidelines}
    assert effective == {2024: date(2024, 1, 17), 2025: date(2025, 1, 15), 2026: date(2026, 1, 13)}


def test_options_list_every_way_to_pay_and_never_apply_hardship_by_default(book: RuleBook) -> None:
    result = sliding_scale(
        household=Household(size=4, annual_income=D("33330.00")),  # 101%: class B
        state="VA",
        start_date=START,
        service_days=24,
        weeks=8,
        self_pay_per_day=D("400.00"),
        guidelines=book.guidelines,
        policy=book.sliding_scale_policy,
        insured_patient_share=D("1920.01"),
    )
    assert [(o.kind, o.total, o.per_week, o.applied) for o in result.options] == [
        ("full_price", D("9600.00"), D("1200.00"), False),
        ("sliding_scale", D("1920.00"), D("240.00"), False),
        ("hardship_discount", D("1920.00"), D("240.00"), False),
    ]
    assert result.options[2].requires is not None
    assert [p.months for p in result.options[1].payment_plans] == [3, 6, 12]
