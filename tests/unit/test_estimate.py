"""Estimate math on typed inputs: exact cents, day by day, with the arithmetic in the comments."""

from datetime import date
from decimal import Decimal as D

import pytest
from pydantic import ValidationError

from coverage.domain.calendar import plan_year_start, service_dates
from coverage.domain.eligibility import CostSharing, InsuranceType, Network
from coverage.domain.estimate import Estimate, estimate_episode, self_pay_days
from coverage.domain.request import Authorization, Priority
from tests.unit.estimate_builders import MONDAY, plan, ppo, terms


def one_policy(the_plan, cs, **kwargs) -> Estimate:  # type: ignore[no-untyped-def]
    return estimate_episode(plan=the_plan, policies=[terms(the_plan, cs, **kwargs)], self_pay=[])


def amounts(estimate: Estimate, *fields: str) -> list[tuple[D, ...]]:
    return [tuple(getattr(d, f) for f in fields) for d in estimate.days]


# ---- calendar ---------------------------------------------------------------------------------


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
    assert service_dates(plan(days_per_week=6, weeks=1)) == [
        date(2026, 2, d) for d in (2, 3, 4, 5, 6, 7)
    ]
    assert len(service_dates(plan(days_per_week=7, weeks=2))) == 14


def test_explicit_weekdays_give_the_days_and_the_days_per_week() -> None:
    from coverage.domain.request import Plan

    p = Plan.model_validate(
        {
            "weekdays": ["mon", "wed", "fri"],
            "hours_per_day": 3.5,
            "weeks": 2,
            "start_date": "2026-02-03",
        }
    )
    assert (p.days_per_week, p.hours_per_week, p.service_days) == (3, 10.5, 6)
    # Week 1 is Tue 3 .. Mon 9 Feb: Wed 4, Fri 6, Mon 9; week 2: Wed 11, Fri 13, Mon 16.
    assert service_dates(p) == [date(2026, 2, d) for d in (4, 6, 9, 11, 13, 16)]
    with pytest.raises(ValidationError, match="days_per_week: 2 does not match the 3 weekdays"):
        Plan.model_validate(
            {"weekdays": ["mon", "wed", "fri"], "days_per_week": 2, "hours_per_day": 3,
             "weeks": 2, "start_date": "2026-02-03"}
        )  # fmt: skip


def test_plan_year_start_follows_the_plan_anniversary() -> None:
    assert plan_year_start(date(2026, 6, 30), date(2025, 7, 1)) == date(2025, 7, 1)
    assert plan_year_start(date(2026, 7, 1), date(2025, 7, 1)) == date(2026, 7, 1)
    assert plan_year_start(date(2027, 3, 1), date(2024, 2, 29)) == date(2027, 2, 28)


def test_authorization_days_only_with_an_approval() -> None:
    with pytest.raises(
        ValidationError, match="approved_days: only allowed when status is approved"
    ):
        Authorization(status="pending", approved_days=3)
    assert Authorization(status="approved", approved_days=3).approved_days == 3


# ---- the hand-computed cases ----------------------------------------------------------------


def test_deductible_met_mid_week() -> None:
    # 5 days a week at $350, deductible $800 left, 20%:
    # Mon $350 ded, Tue $350 ded ($100 left), Wed $100 ded + 20% of $250 = $50 -> $150 (payer $200),
    # Thu and Fri 20% of $350 = $70. Patient 350 + 350 + 150 + 70 + 70 = $990; payer 1750 - 990 = $760.
    estimate = one_policy(plan(days_per_week=5, weeks=1), ppo(deductible_remaining=D("800.00")))
    assert amounts(estimate, "deductible", "coinsurance", "patient", "payer") == [
        (D("350.00"), D("0.00"), D("350.00"), D("0.00")),
        (D("350.00"), D("0.00"), D("350.00"), D("0.00")),
        (D("100.00"), D("50.00"), D("150.00"), D("200.00")),
        (D("0.00"), D("70.00"), D("70.00"), D("280.00")),
        (D("0.00"), D("70.00"), D("70.00"), D("280.00")),
    ]
    assert "deductible_met" in estimate.days[2].flags
    assert (estimate.patient_total, estimate.payer_total) == (D("990.00"), D("760.00"))


def test_out_of_pocket_maximum_reached_mid_episode() -> None:
    # $300 ded + 20% of $50 = $310 on day 1, then $70 a day: 310 + 9 * 70 = $940 after day 10;
    # day 11 pays the last $60 of the $1,000 left; nothing after. Payer 8400 - 1000 = $7,400.
    estimate = one_policy(plan(), ppo(oop_remaining=D("1000.00")))
    assert [d.patient for d in estimate.days[9:12]] == [D("70.00"), D("60.00"), D("0.00")]
    assert estimate.days[10].coinsurance == D("60.00")
    assert estimate.days[10].flags == ("oop_max_reached",)
    assert estimate.days[11].payer == D("350.00")
    assert (estimate.patient_total, estimate.payer_total) == (D("1000.00"), D("7400.00"))


def test_copay_plan_with_deductible() -> None:
    # Deductible $500 left, $40 copay after it: day 1 $350 deductible; day 2 $150 deductible + $40
    # copay on the $200 left = $190; day 3 $40. Patient $580; payer 1050 - 580 = $470.
    cs = CostSharing(deductible_remaining=D("500.00"), copay_per_day=D("40.00"))
    estimate = one_policy(plan(weeks=1), cs)
    assert amounts(estimate, "deductible", "copay", "patient") == [
        (D("350.00"), D("0.00"), D("350.00")),
        (D("150.00"), D("40.00"), D("190.00")),
        (D("0.00"), D("40.00"), D("40.00")),
    ]
    assert (estimate.patient_total, estimate.payer_total) == (D("580.00"), D("470.00"))


def test_copay_plan_without_deductible() -> None:
    # Copay not subject to the deductible: $40 first each day, then the deductible on the rest:
    # 40 + 310, 40 + 190 (deductible met), 40 + 0. Patient $620; payer $430.
    cs = CostSharing(
        deductible_remaining=D("500.00"),
        copay_per_day=D("40.00"),
        copay_applies_after_deductible=False,
    )
    estimate = one_policy(plan(weeks=1), cs)
    assert amounts(estimate, "copay", "deductible") == [
        (D("40.00"), D("310.00")), (D("40.00"), D("190.00")), (D("40.00"), D("0.00")),
    ]  # fmt: skip
    assert (estimate.patient_total, estimate.payer_total) == (D("620.00"), D("430.00"))


def test_family_deductible_binding_before_individual() -> None:
    # Individual $300 left but family only $100: day 1 $100 ded + 20% of $250 = $150; then $70.
    # Patient 150 + 70 + 70 = $290; payer 1050 - 290 = $760.
    estimate = one_policy(plan(weeks=1), ppo(family_deductible_remaining=D("100.00")))
    assert [d.deductible for d in estimate.days] == [D("100.00"), D("0.00"), D("0.00")]
    assert [d.patient for d in estimate.days] == [D("150.00"), D("70.00"), D("70.00")]
    assert (estimate.patient_total, estimate.payer_total) == (D("290.00"), D("760.00"))


def test_a_30_day_limit_reached_in_week_10() -> None:
    # 3 days a week for 12 weeks, 30 covered days left, 20% of $350 = $70 a day: days 1-30 (weeks
    # 1-10) $70 each = $2,100; days 31-36 (weeks 11-12) not covered, self-pay $400 = $2,400.
    # Patient $4,500; payer 30 * 280 = $8,400; allowed 30 * 350 + 6 * 400 = $12,900.
    estimate = one_policy(
        plan(weeks=12), CostSharing(coinsurance=D("0.20"), day_limit_remaining=30)
    )
    assert estimate.days[29].week == 10 and estimate.days[29].covered
    assert [(d.covered, d.patient, d.flags) for d in estimate.days[29:31]] == [
        (True, D("70.00"), ()),
        (False, D("400.00"), ("beyond_day_limit",)),
    ]
    assert estimate.weeks[10].patient == D("1200.00")
    assert (estimate.patient_total, estimate.payer_total, estimate.allowed_total) == (
        D("4500.00"), D("8400.00"), D("12900.00"),
    )  # fmt: skip


def test_authorization_pending_shows_both_outcomes() -> None:
    # Authorized: $310 + 5 * $70 = $660, payer 2100 - 660 = $1,440. Not authorized: all 6 days
    # not covered at the $400 self-pay rate = $2,400, payer $0.
    cs = ppo(prior_auth_required=True)
    estimate = one_policy(plan(weeks=2), cs, authorization=Authorization(status="pending"))
    assert all("covered_if_authorized" in d.flags for d in estimate.days)
    assert (estimate.patient_total, estimate.payer_total) == (D("660.00"), D("1440.00"))
    alt = estimate.if_not_authorized
    assert alt is not None
    assert (alt.patient_total, alt.payer_total, alt.days_affected) == (D("2400.00"), D("0.00"), 6)


def test_authorization_approved_for_four_days_marks_the_rest() -> None:
    # Days 1-4 approved; days 5-6 covered only if the extension is granted. Not authorized:
    # 310 + 3 * 70 + 2 * 400 = $1,320, payer 40 + 3 * 280 = $880.
    cs = ppo(prior_auth_required=True)
    estimate = one_policy(
        plan(weeks=2), cs, authorization=Authorization(status="approved", approved_days=4)
    )
    assert [("covered_if_authorized" in d.flags) for d in estimate.days] == [False] * 4 + [True] * 2
    assert estimate.patient_total == D("660.00")
    alt = estimate.if_not_authorized
    assert alt is not None and (alt.patient_total, alt.payer_total) == (D("1320.00"), D("880.00"))


def test_authorization_denied_is_not_covered() -> None:
    cs = ppo(prior_auth_required=True)
    estimate = one_policy(plan(weeks=1), cs, authorization=Authorization(status="denied"))
    assert [d.flags for d in estimate.days] == [("not_authorized",)] * 3
    assert (estimate.patient_total, estimate.if_not_authorized) == (D("1200.00"), None)


def test_out_of_network_with_balance_billing() -> None:
    # Out of network: allowed $280, charge $400, deductible $500 left, 40%, balance bill $120 a day.
    # Day 1: $280 ded + $120 = $400 (payer $0). Day 2: $220 ded + 40% of $60 = $24 + $120 = $364
    # (payer $36). Day 3: 40% of $280 = $112 + $120 = $232 (payer $168).
    # Patient $996, payer $204; patient + payer = allowed $840 + balance bills $360.
    cs = CostSharing(network=Network.OUT, deductible_remaining=D("500.00"), coinsurance=D("0.40"))
    kwargs = {"allowed": "280.00", "network": Network.OUT}
    billed = one_policy(plan(weeks=1), cs, balance_billing=True, **kwargs)
    assert amounts(billed, "deductible", "coinsurance", "balance_bill", "patient", "payer") == [
        (D("280.00"), D("0.00"), D("120.00"), D("400.00"), D("0.00")),
        (D("220.00"), D("24.00"), D("120.00"), D("364.00"), D("36.00")),
        (D("0.00"), D("112.00"), D("120.00"), D("232.00"), D("168.00")),
    ]
    assert (billed.patient_total, billed.payer_total) == (D("996.00"), D("204.00"))
    assert (billed.allowed_total, billed.balance_bill_total) == (D("840.00"), D("360.00"))
    # The payer file says we may not balance-bill: the patient owes cost sharing only, $636.
    assert one_policy(plan(weeks=1), cs, **kwargs).patient_total == D("636.00")


def test_primary_commercial_plus_secondary_commercial() -> None:
    # Primary: $300 ded, 20%; secondary: $100 ded left, 10%, both allow $350.
    # Day 1: primary leaves $310 (pays $40); secondary as primary would pay 350 - (100 + 25) =
    # $225, so it pays $225; patient $85. Days 2-3: primary leaves $70; secondary would pay $315,
    # pays $70; patient $0. Patient $85, payers 1050 - 85 = $965 (primary $600, secondary $365).
    p = plan(weeks=1)
    primary = terms(p, ppo(), payer_id="primary-ppo")
    secondary = terms(
        p,
        CostSharing(deductible_remaining=D("100.00"), coinsurance=D("0.10")),
        payer_id="second-ppo",
        priority=Priority.SECONDARY,
    )
    estimate = estimate_episode(plan=p, policies=[primary, secondary], self_pay=[])
    assert amounts(estimate, "patient", "payer", "secondary_payer") == [
        (D("85.00"), D("265.00"), D("225.00")),
        (D("0.00"), D("350.00"), D("70.00")),
        (D("0.00"), D("350.00"), D("70.00")),
    ]
    assert (estimate.patient_total, estimate.payer_total) == (D("85.00"), D("965.00"))
    assert [(p.payer_id, p.paid_total, p.patient_if_only_payer) for p in estimate.per_policy] == [
        ("primary-ppo", D("600.00"), D("450.00")),
        ("second-ppo", D("365.00"), D("195.00")),
    ]


def test_medicaid_secondary_leaves_the_patient_nothing_on_covered_days() -> None:
    # Medicare $283 deductible, 20% of $259.13; Medicaid would pay $210 as primary.
    # Day 1: Medicare leaves $259.13; Medicaid pays $210; $49.13 written off; patient $0.
    # Day 2: Medicare leaves $23.87 + $47.05 = $70.92; Medicaid pays it. Days 3-4: $51.83 each.
    p = plan(days_per_week=4, weeks=1)
    medicare = terms(
        p, CostSharing(deductible_remaining=D("283.00"), coinsurance=D("0.20")),
        allowed="259.13", payer_id="medicare", insurance_type=InsuranceType.MEDICARE,
    )  # fmt: skip
    medicaid = terms(
        p, CostSharing(oop_remaining=D("0.00")), allowed="210.00", payer_id="medicaid",
        priority=Priority.SECONDARY, insurance_type=InsuranceType.MEDICAID,
        payer_of_last_resort=True, no_balance_billing=True,
    )  # fmt: skip
    estimate = estimate_episode(plan=p, policies=[medicare, medicaid], self_pay=[])
    assert amounts(estimate, "patient", "secondary_payer", "write_off") == [
        (D("0.00"), D("210.00"), D("49.13")),
        (D("0.00"), D("70.92"), D("0.00")),
        (D("0.00"), D("51.83"), D("0.00")),
        (D("0.00"), D("51.83"), D("0.00")),
    ]
    assert (estimate.patient_total, estimate.payer_total, estimate.write_off_total) == (
        D("0.00"), D("987.39"), D("49.13"),
    )  # fmt: skip
    assert all("medicaid_last_resort" in d.flags for d in estimate.days)


def test_a_qmb_enrollee_owes_no_medicare_cost_sharing() -> None:
    # Same Medicare days: cost sharing 259.13 + 70.92 + 51.83 + 51.83 = $433.71 is never the
    # patient's (billed to the state or written off); Medicare pays 1036.52 - 433.71 = $602.81.
    p = plan(days_per_week=4, weeks=1)
    medicare = terms(
        p, CostSharing(deductible_remaining=D("283.00"), coinsurance=D("0.20")),
        allowed="259.13", insurance_type=InsuranceType.MEDICARE, patient_owes_nothing=True,
    )  # fmt: skip
    estimate = estimate_episode(plan=p, policies=[medicare], self_pay=[])
    assert [d.patient for d in estimate.days] == [D("0.00")] * 4
    assert (estimate.patient_total, estimate.payer_total, estimate.write_off_total) == (
        D("0.00"), D("602.81"), D("433.71"),
    )  # fmt: skip
    assert estimate.days[0].flags == ("qmb_no_cost_sharing",)


def test_coinsurance_rounds_half_up_per_day() -> None:
    # 10% of $100.25 = 10.025 -> $10.03 (half-even would give 10.02); totals sum rounded days.
    estimate = one_policy(plan(weeks=1), CostSharing(coinsurance=D("0.10")), allowed="100.25")
    assert estimate.days[0].coinsurance == D("10.03")
    assert (estimate.patient_total, estimate.payer_total) == (D("30.09"), D("270.66"))


def test_no_policy_is_self_pay_at_the_full_charge() -> None:
    from coverage.domain.estimate import DayPrice

    p = plan()
    prices = [DayPrice(date=d, allowed=D("400.00"), charge=D("400.00")) for d in service_dates(p)]
    estimate = estimate_episode(plan=p, policies=[], self_pay=prices)
    assert all(
        not d.covered and d.payer == D("0.00") and d.flags == ("self_pay",) for d in estimate.days
    )
    assert (estimate.patient_total, estimate.payer_total) == (D("9600.00"), D("0.00"))
    assert estimate.weeks[0].patient == D("1200.00")
    assert len(self_pay_days(prices)) == 24


def test_amounts_serialize_as_two_place_strings() -> None:
    dumped = one_policy(plan(weeks=1), ppo()).model_dump(mode="json")
    assert (dumped["patient_total"], dumped["days"][0]["deductible"]) == ("450.00", "300.00")
    assert dumped["days"][1]["copay"] == "0.00"
    assert dumped["weeks"][0] == {
        "week": 1, "start": MONDAY.isoformat(), "days": 3,
        "allowed": "1050.00", "patient": "450.00", "payer": "600.00",
    }  # fmt: skip


def test_medicaid_caps_per_day_and_per_household_quarter() -> None:
    # Medicaid alone, $50 copay a day on $350 allowed, capped at $4.00 a day and $10.00 a quarter.
    # Mon 23 Mar 2026, 3 days a week, 2 weeks: 23, 24, 25, 30, 31 Mar (Q1) and 1 Apr (Q2).
    # Q1: $4 + $4 + $2 (10 - 8 left) + $0 + $0 = $10.00; Q2 starts again: $4. Patient $14.00,
    # Medicaid pays 6 x 350 - 14 = $2,086.00.
    p = plan(weeks=2, start=date(2026, 3, 23))
    medicaid = terms(
        p, CostSharing(copay_per_day=D("50.00")), insurance_type=InsuranceType.MEDICAID,
        copay_cap_per_day=D("4.00"), household_cap=D("10.00"), household_cap_period="quarterly",
    )  # fmt: skip
    estimate = estimate_episode(plan=p, policies=[medicaid], self_pay=[])
    assert [(d.date.isoformat(), d.copay, d.patient, d.payer, d.flags) for d in estimate.days] == [
        ("2026-03-23", D("4.00"), D("4.00"), D("346.00"), ("copay_cap_per_day",)),
        ("2026-03-24", D("4.00"), D("4.00"), D("346.00"), ("copay_cap_per_day",)),
        ("2026-03-25", D("2.00"), D("2.00"), D("348.00"), ("household_cap_reached",)),
        ("2026-03-30", D("0.00"), D("0.00"), D("350.00"), ("household_cap_reached",)),
        ("2026-03-31", D("0.00"), D("0.00"), D("350.00"), ("household_cap_reached",)),
        ("2026-04-01", D("4.00"), D("4.00"), D("346.00"), ("copay_cap_per_day",)),
    ]
    assert (estimate.patient_total, estimate.payer_total) == (D("14.00"), D("2086.00"))
