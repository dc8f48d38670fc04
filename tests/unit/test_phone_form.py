"""The phone-answer form's fields become the PhoneAnswer the manual adapter reads."""

from datetime import date
from decimal import Decimal

import pytest

from coverage.domain.eligibility import Network, TimePeriod
from coverage.domain.phone_form import PhoneFormError, to_phone_answer
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
    "place_of_service": "11",
    "next_year": "yes",
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
        assert (line.place_of_service, line.plan_year) == ("11", "next")
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
        "place_of_service": "two digits, e.g. 11 for an office, 53 for a community mental "
        "health center",
    }
    with pytest.raises(PhoneFormError) as dates:
        to_phone_answer(
            FORM | {"plan_begin": "2026-06-01", "plan_end": "2026-01-01"},
            program=Program.MENTAL_HEALTH,
        )
    assert dates.value.errors == {"plan_end": "before the plan year begins"}
