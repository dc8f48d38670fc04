"""The phone-answer form's fields become the PhoneAnswer the manual adapter reads."""

from datetime import date
from decimal import Decimal

import pytest

from coverage.domain.eligibility import Network, TimePeriod
from coverage.domain.phone_form import PhoneFormError, to_form_values, to_phone_answer
from coverage.domain.request import Program

FORM = {
    "representative_name": " Dana Rep ",
    "call_reference": "CALLREF-7781",
    "call_date": "2026-03-02",
    "active": "yes",
    "network": "in_network",
    "deductible_remaining": "$500",
    "copay": "25",
    "copay_after_deductible": "no",
    "coinsurance": "20",
    "auth_required": "no",
    "place_of_service": "57",
}


def test_each_amount_becomes_a_benefit_line_of_the_program() -> None:
    answer = to_phone_answer(FORM, program=Program.SUBSTANCE_USE)
    assert (answer.representative_name, answer.call_date, answer.active) == (
        "Dana Rep",
        date(2026, 3, 2),
        True,
    )
    lines = [(b.kind, b.amount, b.percent, b.time_period) for b in answer.benefits]
    assert lines == [
        ("deductible", Decimal("500.00"), None, TimePeriod.REMAINING),
        ("copay", Decimal("25.00"), None, TimePeriod.DAY),
        ("coinsurance", None, Decimal("0.2"), None),
    ]
    for line in answer.benefits:
        assert (line.service_types, line.network, line.auth_required) == (
            ("AI",),
            Network.IN,
            False,
        )
        assert (line.place_of_service, line.plan_year) == ("57", "current")
    assert answer.benefits[1].copay_applies_after_deductible is False


def test_refusals_name_their_fields() -> None:
    with pytest.raises(PhoneFormError) as refused:
        to_phone_answer(
            FORM
            | {
                "call_reference": "",
                "active": "",
                "copay": "twenty",
                "place_of_service": "1A",
                "plan_begin": "2026-06-01",
                "plan_end": "2026-01-01",
            },
            program=Program.MENTAL_HEALTH,
        )
    assert refused.value.errors == {
        "call_reference": "required",
        "active": "choose yes or no",
        "copay": "not an amount (e.g. 25 or 1,250.00)",
        "place_of_service": "two digits, e.g. 53 for a community mental health center",
        "plan_end": "before the plan year begins",
    }
    with pytest.raises(PhoneFormError) as dates:
        to_phone_answer(
            FORM | {"plan_begin": "2026-06-01", "plan_end": "2026-01-01"},
            program=Program.MENTAL_HEALTH,
        )
    assert dates.value.errors == {"plan_end": "before the plan year begins"}


@pytest.mark.parametrize("place", ["11", "02", "10"])
def test_an_office_or_telehealth_place_of_service_is_refused_not_priced_as_self_pay(
    place: str,
) -> None:
    with pytest.raises(PhoneFormError) as refused:
        to_phone_answer(FORM | {"place_of_service": place}, program=Program.MENTAL_HEALTH)
    assert refused.value.errors == {
        "place_of_service": "an office (11) or telehealth (02, 10) amount is not the IOP "
        "benefit; leave it blank, or enter the IOP program's place of service, e.g. 22 "
        "on-campus outpatient hospital, 53 community mental health center, 57 non-residential "
        "substance abuse treatment facility"
    }
    kept = to_phone_answer(FORM | {"place_of_service": "53"}, program=Program.MENTAL_HEALTH)
    assert {b.place_of_service for b in kept.benefits} == {"53"}


@pytest.mark.parametrize("text", ["²", "١٢", "1e3", "-1", "12.5", "1001", "00001"])
def test_a_number_box_refuses_what_is_not_a_plain_whole_number(text: str) -> None:
    with pytest.raises(PhoneFormError) as refused:
        to_phone_answer(FORM | {"visit_limit": text}, program=Program.MENTAL_HEALTH)
    assert refused.value.errors == {"visit_limit": "must be a whole number from 0 to 1000"}


@pytest.mark.parametrize("place", ["²²", "١٢"])
def test_a_place_of_service_is_two_ascii_digits(place: str) -> None:
    with pytest.raises(PhoneFormError) as refused:
        to_phone_answer(FORM | {"place_of_service": place}, program=Program.MENTAL_HEALTH)
    assert refused.value.errors == {
        "place_of_service": "two digits, e.g. 53 for a community mental health center"
    }


def test_a_number_box_reads_a_padded_whole_number() -> None:
    answer = to_phone_answer(FORM | {"visit_limit": " 12 "}, program=Program.MENTAL_HEALTH)
    assert [b.visits for b in answer.benefits if b.kind == "limitations"] == [12]


def test_the_day_limit_is_the_plan_years_and_days_left_cannot_exceed_it() -> None:
    answer = to_phone_answer(
        FORM | {"visit_limit": "30", "visits_remaining": "28"}, program=Program.MENTAL_HEALTH
    )
    limits = [(b.visits, b.time_period) for b in answer.benefits if b.kind == "limitations"]
    assert limits == [(30, TimePeriod.SERVICE_YEAR), (28, TimePeriod.REMAINING)]
    with pytest.raises(PhoneFormError) as refused:
        to_phone_answer(
            FORM | {"visit_limit": "30", "visits_remaining": "31"}, program=Program.MENTAL_HEALTH
        )
    assert refused.value.errors == {"visits_remaining": "more than the limit of 30"}


def test_a_saved_call_opens_the_form_with_what_it_holds() -> None:
    typed = FORM | {
        "plan_name": "Gold",
        "plan_begin": "2026-01-01",
        "plan_end": "2026-12-31",
        "oop_remaining": "3,000",
        "visit_limit": "30",
        "visits_remaining": "28",
        "next_deductible": "1000",
        "next_coinsurance": "30",
    }
    answer = to_phone_answer(typed, program=Program.MENTAL_HEALTH)
    values = to_form_values(answer, policy=1)
    assert values == {
        "policy": "1",
        "representative_name": "Dana Rep",
        "call_reference": "CALLREF-7781",
        "call_date": "2026-03-02",
        "active": "yes",
        "plan_name": "Gold",
        "insurance_type": "",
        "plan_begin": "2026-01-01",
        "plan_end": "2026-12-31",
        "medicare_qmb": "",
        "notes": "",
        "network": "in_network",
        "place_of_service": "57",
        "auth_required": "no",
        "deductible_remaining": "500.00",
        "oop_remaining": "3000.00",
        "copay": "25.00",
        "copay_after_deductible": "no",
        "coinsurance": "20",
        "visit_limit": "30",
        "visits_remaining": "28",
        "next_deductible": "1000.00",
        "next_coinsurance": "30",
    }
    assert to_phone_answer(values, program=Program.MENTAL_HEALTH) == answer
    following = [(b.kind, b.amount, b.percent) for b in answer.benefits if b.plan_year == "next"]
    assert following == [
        ("deductible", Decimal("1000.00"), None),
        ("coinsurance", None, Decimal("0.3")),
    ]


def test_the_models_own_checks_are_reported_with_the_forms_in_one_round() -> None:
    with pytest.raises(PhoneFormError) as refused:
        to_phone_answer(
            FORM
            | {
                "call_date": "2999-01-01",
                "representative_name": "R" * 81,
                "copay": "-5",
                "plan_begin": "2026-06-01",
                "plan_end": "2026-01-01",
            },
            program=Program.MENTAL_HEALTH,
        )
    assert refused.value.errors == {
        "call_date": "the call cannot be in the future",
        "representative_name": "at most 80 characters",
        "copay": "must be between $0 and $9,999,999.99",
        "plan_end": "before the plan year begins",
    }
