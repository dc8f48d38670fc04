"""Normalized eligibility: what every payer adapter turns its answer into."""

from datetime import date
from decimal import Decimal
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field

from coverage.domain.money import Money
from coverage.domain.request import Relationship, Sex


class InsuranceType(StrEnum):
    COMMERCIAL = "commercial"
    MEDICARE = "medicare"
    MEDICARE_ADVANTAGE = "medicare_advantage"
    MEDICAID = "medicaid"
    OTHER = "other"


class Network(StrEnum):
    IN = "in_network"
    OUT = "out_of_network"


class Frozen(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class EligibilityRequest(Frozen):
    """What an adapter needs to ask one payer about one policy. Holds PHI: never log it."""

    payer_id: str
    provider_npi: str
    member_id: str
    group_number: str | None = None
    first_name: str
    last_name: str
    birth_date: date
    sex: Sex
    relationship: Relationship
    service_start: date
    service_end: date
    service_types: tuple[str, ...] = ("30", "MH")
    trace_number: str = Field(description="Ties the reply to our job and attempt (X12 TRN)")
    attempt: int = Field(ge=1)


class CostSharing(Frozen):
    """The benefit that applies to an IOP day, already chosen among the payer's duplicates."""

    network: Network = Network.IN
    deductible_remaining: Money = Decimal("0")
    family_deductible_remaining: Money | None = None
    coinsurance: Decimal = Field(
        default=Decimal("0"), ge=0, le=1, description="Patient's share, 0.20 = 20%"
    )
    copay_per_day: Money = Decimal("0")
    copay_applies_after_deductible: bool = True
    oop_remaining: Money | None = Field(
        default=None, description="None: the plan has no out-of-pocket maximum"
    )
    family_oop_remaining: Money | None = None
    prior_auth_required: bool = False
    day_limit_remaining: int | None = None


class EligibilityResponse(Frozen):
    active: bool
    plan_name: str | None = None
    insurance_type: InsuranceType = InsuranceType.OTHER
    plan_begin: date | None = None
    plan_end: date | None = None
    cost_sharing: CostSharing | None = None
    messages: tuple[str, ...] = ()
    raw_payload: str = Field(
        repr=False, description="The payer's reply as received; stored encrypted"
    )
    raw_media_type: str = "application/json"
