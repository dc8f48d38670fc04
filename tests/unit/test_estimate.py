"""Estimate math: exact cents, day by day, with amounts worked out by hand in the comments."""

from datetime import date
from decimal import Decimal as D

from coverage.domain.eligibility import CostSharing
from coverage.domain.estimate import estimate_episode, service_dates
from coverage.domain.request import Plan

MONDAY = date(2026, 2, 2)


def plan(days_per_week: int = 3, weeks: int = 8, start: date = MONDAY) -> Plan:
    return Plan(days_per_week=days_per_week, hours_per_day=3, weeks=weeks, start_date=start)


def ppo(**overrides: object) -> CostSharing:
    values: dict[str, object] = {
        "deductible_remaining": D("300.00"),
        "coinsurance": D("0.20"),
        "oop_remaining": D("3000.00"),
    }
    values.update(overrides)
    return CostSharing.model_validate(values)


def test_service_dates_take_weekdays_from_the_start_date() -> None:
    assert service_dates(plan(weeks=2)) == [
        date(2026, 2, 2), date(2026, 2, 3), date(2026, 2, 4),
        date(2026, 2, 9), date(2026, 2, 10), date(2026, 2, 11),
    ]  # fmt: skip
    # Starting on a Thursday: Thu, Fri, then the following Mon (still inside the 7-day week).
    assert service_dates(plan(weeks=1, start=date(2026, 2, 5))) == [
        date(2026, 2, 5), date(2026, 2, 6), date(2026, 2, 9),
    ]  # fmt: skip


def test_service_dates_add_weekend_days_only_beyond_five() -> None:
    week = service_dates(plan(days_per_week=6, weeks=1))
    assert week == [date(2026, 2, d) for d in (2, 3, 4, 5, 6, 7)]
    assert len(service_dates(plan(days_per_week=7, weeks=2))) == 14


def test_commercial_ppo_deductible_then_coinsurance() -> None:
    estimate = estimate_episode(plan=plan(), allowed_per_day=D("350.00"), cost_sharing=ppo())

    # Day 1: $300 deductible + 20% of the remaining $50 = $310; payer $40.
    first = estimate.days[0]
    assert (first.deductible, first.coinsurance, first.copay) == (D("300.00"), D("10.00"), D("0"))
    assert (first.patient, first.payer, first.covered) == (D("310.00"), D("40.00"), True)
    # Days 2-24: 20% of $350 = $70; payer $280.
    assert {(d.deductible, d.patient, d.payer) for d in estimate.days[1:]} == {
        (D("0.00"), D("70.00"), D("280.00"))
    }
    week1 = estimate.weeks[0]
    assert (week1.week, week1.start, week1.days) == (1, MONDAY, 3)
    assert (week1.allowed, week1.patient, week1.payer) == (D("1050.00"), D("450.00"), D("600.00"))
    assert len(estimate.days) == 24 and len(estimate.weeks) == 8
    assert estimate.allowed_total == D("8400.00")
    assert estimate.patient_total == D("1920.00")  # 310 + 23 * 70
    assert estimate.payer_total == D("6480.00")  # 8400 - 1920
    assert estimate.deductible_applied == D("300.00")
    assert estimate.oop_reached is False
    assert "Per-diem allowed amount $350.00 per service day" in estimate.assumptions
    assert "Deductible remaining $300.00 applied first" in estimate.assumptions


def test_out_of_pocket_maximum_binds_mid_episode() -> None:
    estimate = estimate_episode(
        plan=plan(), allowed_per_day=D("350.00"), cost_sharing=ppo(oop_remaining=D("1000.00"))
    )
    # 310 + 9 * 70 = 940 after day 10; day 11 pays the last $60; nothing after that.
    assert [d.patient for d in estimate.days[9:12]] == [D("70.00"), D("60.00"), D("0.00")]
    assert estimate.days[10].coinsurance == D("60.00")
    assert estimate.days[10].payer == D("290.00")
    assert estimate.days[11].payer == D("350.00")
    assert estimate.patient_total == D("1000.00")
    assert estimate.payer_total == D("7400.00")
    assert estimate.oop_reached is True


def test_family_amounts_bind_when_lower() -> None:
    estimate = estimate_episode(
        plan=plan(weeks=1),
        allowed_per_day=D("350.00"),
        cost_sharing=ppo(family_deductible_remaining=D("100.00"), family_oop_remaining=D("200.00")),
    )
    # Day 1: family deductible $100 + 20% of $250 = $150; day 2: $70 capped to the $50 left.
    assert [d.deductible for d in estimate.days] == [D("100.00"), D("0.00"), D("0.00")]
    assert [d.patient for d in estimate.days] == [D("150.00"), D("50.00"), D("0.00")]
    assert estimate.patient_total == D("200.00")
    assert estimate.oop_reached is True


def test_copay_after_deductible() -> None:
    cs = CostSharing(deductible_remaining=D("500.00"), copay_per_day=D("40.00"))
    estimate = estimate_episode(plan=plan(weeks=1), allowed_per_day=D("350.00"), cost_sharing=cs)
    # Day 1: $350 all deductible; day 2: $150 deductible + $40 copay on the $200 left; day 3: $40.
    assert [(d.deductible, d.copay, d.patient) for d in estimate.days] == [
        (D("350.00"), D("0.00"), D("350.00")),
        (D("150.00"), D("40.00"), D("190.00")),
        (D("0.00"), D("40.00"), D("40.00")),
    ]
    assert estimate.patient_total == D("580.00")
    assert estimate.payer_total == D("470.00")


def test_copay_not_subject_to_deductible_is_charged_from_day_one() -> None:
    cs = CostSharing(
        deductible_remaining=D("500.00"),
        copay_per_day=D("40.00"),
        copay_applies_after_deductible=False,
    )
    estimate = estimate_episode(plan=plan(weeks=1), allowed_per_day=D("350.00"), cost_sharing=cs)
    # Copay first, then the deductible on the remaining $310: 310 + 40, 190 + 40, 0 + 40.
    assert [(d.copay, d.deductible) for d in estimate.days] == [
        (D("40.00"), D("310.00")),
        (D("40.00"), D("190.00")),
        (D("40.00"), D("0.00")),
    ]
    assert estimate.patient_total == D("620.00")


def test_medicare_part_b_deductible_and_coinsurance_without_cap() -> None:
    cs = CostSharing(deductible_remaining=D("283.00"), coinsurance=D("0.20"))
    estimate = estimate_episode(plan=plan(), allowed_per_day=D("259.13"), cost_sharing=cs)
    # Day 1: all $259.13 to the deductible. Day 2: $23.87 deductible + 20% of $235.26 = 47.052
    # -> $47.05. Days 3-24: 20% of $259.13 = 51.826 -> $51.83.
    assert estimate.days[0].patient == D("259.13")
    assert (estimate.days[1].deductible, estimate.days[1].coinsurance) == (D("23.87"), D("47.05"))
    assert estimate.days[1].patient == D("70.92")
    assert estimate.days[2].patient == D("51.83")
    assert estimate.patient_total == D("1470.31")  # 259.13 + 70.92 + 22 * 51.83
    assert estimate.payer_total == D("4748.81")  # 24 * 259.13 - 1470.31
    assert estimate.deductible_applied == D("283.00")
    assert estimate.oop_reached is False
    assert "No out-of-pocket maximum: the patient's share is not capped" in estimate.assumptions


def test_coinsurance_rounds_half_up_per_day() -> None:
    cs = CostSharing(coinsurance=D("0.10"))
    estimate = estimate_episode(plan=plan(weeks=1), allowed_per_day=D("100.25"), cost_sharing=cs)
    # 10.025 -> 10.03 (half-even would give 10.02); the total is the sum of rounded days.
    assert estimate.days[0].coinsurance == D("10.03")
    assert estimate.patient_total == D("30.09")
    assert estimate.payer_total == D("270.66")


def test_no_coverage_is_self_pay() -> None:
    estimate = estimate_episode(plan=plan(), allowed_per_day=D("400.00"), cost_sharing=None)
    assert all(not d.covered and d.payer == D("0.00") for d in estimate.days)
    assert estimate.patient_total == D("9600.00")
    assert estimate.payer_total == D("0.00")
    assert estimate.weeks[0].patient == D("1200.00")
    assert estimate.assumptions[-1] == (
        "No coverage for IOP: the patient pays the full amount per day (self-pay)"
    )


def test_days_beyond_the_remaining_day_limit_are_self_pay() -> None:
    cs = CostSharing(coinsurance=D("0.20"), day_limit_remaining=2)
    estimate = estimate_episode(plan=plan(weeks=1), allowed_per_day=D("350.00"), cost_sharing=cs)
    assert [(d.covered, d.patient) for d in estimate.days] == [
        (True, D("70.00")),
        (True, D("70.00")),
        (False, D("350.00")),
    ]
