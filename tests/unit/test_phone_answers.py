"""A phone verification becomes the same normalized response as an electronic answer."""

from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import pytest
from pydantic import ValidationError

from coverage.adapters.manual import MEDIA_TYPE, normalize
from coverage.domain.eligibility import (
    CostSharing,
    CostTerm,
    InsuranceType,
    Network,
    TermOrigin,
)
from coverage.domain.phone import PhoneAnswer
from coverage.x12.iop_benefit import IopContext

CONTEXT = IopContext(service_date=date(2026, 3, 2))


def entry(**changes: Any) -> dict[str, Any]:
    return {
        "representative_name": "Dana R.",
        "call_reference": "REF-20260301-77",
        "call_date": "2026-03-01",
        "active": True,
        "plan_name": "Example PPO Gold",
        "insurance_type": "commercial",
        "plan_begin": "2026-01-01",
        "plan_end": "2026-12-31",
        "benefits": [
            {
                "kind": "deductible",
                "network": "in_network",
                "time_period": "calendar_year",
                "amount": "1500.00",
            },
            {
                "kind": "deductible",
                "network": "in_network",
                "time_period": "remaining",
                "amount": "400.00",
            },
            {
                "kind": "coinsurance",
                "service_types": ["CH"],
                "network": "in_network",
                "percent": "0.10",
                "auth_required": True,
            },
            {"kind": "coinsurance", "network": "out_of_network", "percent": "0.40"},
            {"kind": "copay", "network": "in_network", "time_period": "day", "amount": "25.00"},
            {
                "kind": "out_of_pocket",
                "network": "in_network",
                "time_period": "remaining",
                "amount": "3200.00",
            },
            {
                "kind": "limitations",
                "network": "in_network",
                "time_period": "remaining",
                "visits": 30,
            },
        ],
        "notes": "Rep said IOP needs auth within 48 hours of admission",
        **changes,
    }


def _from_call(*terms: CostTerm) -> tuple[TermOrigin, ...]:
    return tuple(
        TermOrigin(
            term=t, source="phone", call_date=date(2026, 3, 1), call_reference="REF-20260301-77"
        )
        for t in terms
    )


def test_the_call_is_normalized_by_the_x12_rules() -> None:
    result = normalize(PhoneAnswer.model_validate(entry()), CONTEXT)
    assert result.active is True
    assert result.plan_name == "Example PPO Gold"
    assert result.insurance_type is InsuranceType.COMMERCIAL
    assert (result.plan_begin, result.plan_end) == (date(2026, 1, 1), date(2026, 12, 31))
    assert result.cost_sharing == (
        CostSharing(
            network=Network.IN,
            deductible_remaining=Decimal("400.00"),
            coinsurance=Decimal("0.10"),
            # Benefits recorded without a service type are the IOP benefit (here CH, the most
            # specific IOP type): the copay and the 30 days join the CH coinsurance's line.
            copay_per_day=Decimal("25.00"),
            oop_remaining=Decimal("3200.00"),
            prior_auth_required=True,
            prior_auth_stated=True,
            day_limit_remaining=30,
            origins=_from_call("deductible", "out_of_pocket", "copay", "coinsurance", "day_limit"),
        ),
        CostSharing(
            network=Network.OUT,
            deductible_remaining=Decimal("0"),
            coinsurance=Decimal("0.40"),
            copay_per_day=Decimal("0"),
            oop_remaining=None,
            prior_auth_required=False,
            origins=_from_call("coinsurance"),
        ),
    )
    assert result.assumptions[0] == (
        "phone verification on 2026-03-01 with Dana R. (call reference REF-20260301-77); "
        "line #1 is the coverage status, #2 on the benefits in the order entered"
    )
    assert "Rep said IOP needs auth within 48 hours of admission" in result.messages
    assert result.raw_media_type == MEDIA_TYPE
    assert PhoneAnswer.model_validate_json(result.raw_payload) == PhoneAnswer.model_validate(
        entry()
    )


def test_an_inactive_policy_has_no_cost_sharing() -> None:
    result = normalize(PhoneAnswer.model_validate(entry(active=False, benefits=[])), CONTEXT)
    assert (result.active, result.cost_sharing) == (False, ())


@pytest.mark.parametrize(
    ("changes", "location", "message"),
    [
        ({"call_reference": ""}, ("call_reference",), "at least 1 character"),
        ({"call_date": (date.today() + timedelta(days=1)).isoformat()}, ("call_date",), "future"),
        ({"benefits": [{"kind": "copay"}]}, ("benefits", 0), "a copay benefit needs amount"),
        (
            {"benefits": [{"kind": "coinsurance", "percent": "20"}]},
            ("benefits", 0, "percent"),
            "less than or equal to 1",
        ),
        (
            {"benefits": [{"kind": "copay", "amount": "5", "service_types": ["mh"]}]},
            ("benefits", 0, "service_types"),
            "X12 service type",
        ),
        ({"plan_end": "2025-01-01"}, (), "plan_end is before plan_begin"),
    ],
)
def test_bad_entries_name_the_field(
    changes: dict[str, Any], location: tuple[Any, ...], message: str
) -> None:
    with pytest.raises(ValidationError) as caught:
        PhoneAnswer.model_validate(entry(**changes))
    error = caught.value.errors()[0]
    assert tuple(error["loc"]) == location
    assert message in error["msg"]


def call(*benefits: dict[str, Any], **changes: Any) -> PhoneAnswer:
    return PhoneAnswer.model_validate(
        entry(benefits=list(benefits), plan_begin=None, plan_end=None, **changes)
    )


def test_an_iop_coinsurance_and_copay_given_together_are_one_iop_benefit() -> None:
    # Neither names a service type: both are the facility IOP benefit the script asks about.
    result = normalize(
        call(
            {"kind": "coinsurance", "network": "in_network", "percent": "0.20"},
            {"kind": "copay", "network": "in_network", "amount": "30.00"},
        ),
        CONTEXT,
    )
    [cs] = result.cost_sharing
    assert (cs.coinsurance, cs.copay_per_day, cs.copay_applies_after_deductible) == (
        Decimal("0.20"),
        Decimal("30.00"),
        True,
    )
    assert [b.service_types for b in result.benefits[1:]] == [("CH",), ("CH",)]


def test_a_copay_not_subject_to_the_deductible_is_read_as_a_payer_says_it() -> None:
    result = normalize(
        call(
            {
                "kind": "copay",
                "network": "in_network",
                "amount": "30.00",
                "copay_applies_after_deductible": False,
            }
        ),
        CONTEXT,
    )
    assert result.cost_sharing[0].copay_applies_after_deductible is False
    assert (
        "in_network copay: EB #2 says the deductible does not apply; the copay is charged from "
        "the first day" in result.assumptions
    )


def test_the_deductible_flag_belongs_to_a_copay() -> None:
    with pytest.raises(ValidationError) as caught:
        call({"kind": "coinsurance", "percent": "0.2", "copay_applies_after_deductible": False})
    assert "for a copay benefit only" in caught.value.errors()[0]["msg"]


def test_an_office_copay_is_not_charged_on_iop_days() -> None:
    result = normalize(
        call(
            {"kind": "coinsurance", "network": "in_network", "percent": "0.20"},
            {"kind": "copay", "network": "in_network", "amount": "40.00", "place_of_service": "11"},
        ),
        CONTEXT,
    )
    [cs] = result.cost_sharing
    assert (cs.coinsurance, cs.copay_per_day) == (Decimal("0.20"), Decimal("0"))
    assert [o.term for o in cs.origins] == ["coinsurance"]
    assert (
        "in_network copay: none on the chosen IOP line EB #2 (CH, no place of service); used "
        "0.00; not used: EB #3 (office place of service 11, not the facility IOP benefit)"
        in result.assumptions
    )


def test_next_plan_years_amounts_are_kept_apart() -> None:
    result = normalize(
        call(
            {"kind": "deductible", "time_period": "remaining", "amount": "100.00"},
            {"kind": "coinsurance", "percent": "0.20"},
            {"kind": "deductible", "amount": "1000.00", "plan_year": "next"},
            {"kind": "coinsurance", "percent": "0.25", "plan_year": "next"},
        ),
        CONTEXT,
    )
    [now] = result.cost_sharing
    [following] = result.next_year_cost_sharing
    assert (now.deductible_remaining, now.coinsurance) == (Decimal("100.00"), Decimal("0.20"))
    assert (following.deductible_remaining, following.coinsurance) == (
        Decimal("1000.00"),
        Decimal("0.25"),
    )
    assert [o.term for o in following.origins] == ["deductible", "coinsurance"]
    assert (
        "benefits #4, #5 are next plan year's amounts: they apply from the plan year reset on"
        in result.assumptions
    )


def test_qmb_and_plan_type_come_from_the_call() -> None:
    result = normalize(call(insurance_type="medicare", medicare_qmb=True), CONTEXT)
    assert (result.insurance_type, result.medicare_qmb) == (InsuranceType.MEDICARE, True)
    assert normalize(call(), CONTEXT).medicare_qmb is False


def test_a_place_of_service_is_two_digits() -> None:
    with pytest.raises(ValidationError) as caught:
        call({"kind": "copay", "amount": "5", "place_of_service": "office"})
    assert tuple(caught.value.errors()[0]["loc"]) == ("benefits", 0, "place_of_service")
