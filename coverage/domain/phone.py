"""A phone verification of benefits (VOB): what the payer's representative said on the call.

Behavioral-health benefits are often missing from electronic answers, so staff call the payer
and record the answer here; the manual adapter turns it into the same normalized response.
"""

from datetime import date
from decimal import Decimal
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from coverage.domain.eligibility import (
    CoverageLevel,
    EligibilityRequest,
    InsuranceType,
    Network,
    TimePeriod,
)
from coverage.domain.money import Money

PhoneBenefitKind = Literal[
    "deductible", "out_of_pocket", "copay", "coinsurance", "limitations", "non_covered"
]
_NEEDS = {
    "deductible": "amount",
    "out_of_pocket": "amount",
    "copay": "amount",
    "coinsurance": "percent",
    "limitations": "visits",
}


class _Frozen(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class PhoneBenefit(_Frozen):
    """One benefit as the representative stated it."""

    kind: PhoneBenefitKind
    # Empty: the facility IOP benefit the call script asks about (the manual adapter gives it
    # the program's most specific IOP service type, so every term lands on one IOP line).
    service_types: tuple[str, ...] = Field(
        default=(), max_length=10, description="X12 service type codes; empty: the IOP benefit"
    )
    network: Network | None = Field(default=None, description="None: applies to both")
    coverage_level: CoverageLevel = CoverageLevel.INDIVIDUAL
    time_period: TimePeriod | None = Field(
        default=None, description="remaining: the amount still to meet or use"
    )
    amount: Money | None = Field(default=None, ge=0, max_digits=9, decimal_places=2)
    percent: Decimal | None = Field(default=None, ge=0, le=1, description="0.20 = 20%")
    visits: int | None = Field(default=None, ge=0, le=1000, description="visit or day limit")
    auth_required: bool | None = None
    copay_applies_after_deductible: bool | None = Field(
        default=None, description="copay only: False = owed from day one, deductible or not"
    )
    place_of_service: str | None = Field(
        default=None, pattern=r"^[0-9]{2}$", description="CMS place of service, e.g. 11 = office"
    )
    plan_year: Literal["current", "next"] = Field(
        default="current", description="next: next plan year's amount, when it differs"
    )
    note: str | None = Field(default=None, max_length=300)

    @field_validator("service_types")
    @classmethod
    def _codes(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        for code in value:
            if not (1 <= len(code) <= 2 and code.isalnum() and code == code.upper()):
                raise ValueError(f"{code!r} is not an X12 service type code (e.g. MH, CH, A8, 30)")
        return value

    @model_validator(mode="after")
    def _value_given(self) -> "PhoneBenefit":
        needed = _NEEDS.get(self.kind)
        if needed is not None and getattr(self, needed) is None:
            raise ValueError(f"a {self.kind} benefit needs {needed}")
        return self

    @model_validator(mode="after")
    def _copay_flag_on_copay(self) -> "PhoneBenefit":
        if self.copay_applies_after_deductible is not None and self.kind != "copay":
            raise ValueError("copay_applies_after_deductible is for a copay benefit only")
        return self


class PhoneAnswer(_Frozen):
    """The call and everything the representative said about one policy."""

    representative_name: str = Field(min_length=1, max_length=80)
    call_reference: str = Field(min_length=1, max_length=40)
    call_date: date
    active: bool
    plan_name: str | None = Field(default=None, max_length=120)
    insurance_type: InsuranceType | None = None
    medicare_qmb: bool | None = Field(
        default=None, description="Qualified Medicare Beneficiary: owes no Medicare cost sharing"
    )
    plan_begin: date | None = None
    plan_end: date | None = None
    benefits: tuple[PhoneBenefit, ...] = Field(default=(), max_length=50)
    notes: str | None = Field(default=None, max_length=500)

    @field_validator("call_date")
    @classmethod
    def _not_future(cls, value: date) -> date:
        if value > date.today():
            raise ValueError("the call cannot be in the future")
        return value

    @model_validator(mode="after")
    def _plan_dates(self) -> "PhoneAnswer":
        if self.plan_begin and self.plan_end and self.plan_end < self.plan_begin:
            raise ValueError("plan_end is before plan_begin")
        return self


class PhoneAnswerRequest(EligibilityRequest):
    """The question to a payer verified by phone, with the latest call staff recorded for this
    job, payer and member (None until one is recorded). The pipeline reads the call from the
    store, so the adapter never touches it."""

    phone_answer: PhoneAnswer | None = None
