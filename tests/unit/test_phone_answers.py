"""A phone verification becomes the same normalized response as an electronic answer."""

from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import pytest
from pydantic import ValidationError

from coverage.adapters.manual import MEDIA_TYPE, normalize
from coverage.domain.eligibility import CostSharing, InsuranceType, Network
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
            # The $25 copay and the 30 visits were recorded for MH, not the chosen CH line.
            copay_per_day=Decimal("0"),
            oop_remaining=Decimal("3200.00"),
            prior_auth_required=True,
            day_limit_remaining=None,
        ),
        CostSharing(
            network=Network.OUT,
            deductible_remaining=Decimal("0"),
            coinsurance=Decimal("0.40"),
            copay_per_day=Decimal("0"),
            oop_remaining=None,
            prior_auth_required=False,
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
