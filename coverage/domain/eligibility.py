"""Normalized eligibility: what every payer adapter turns its answer into."""

from datetime import date
from decimal import Decimal
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field, model_validator

from coverage.domain.money import Money, usd
from coverage.domain.request import BehavioralBenefit, Relationship, Sex, Subscriber


class InsuranceType(StrEnum):
    COMMERCIAL = "commercial"
    MEDICARE = "medicare"
    MEDICARE_ADVANTAGE = "medicare_advantage"
    MEDICAID = "medicaid"
    OTHER = "other"


class Network(StrEnum):
    IN = "in_network"
    OUT = "out_of_network"


# X12 service types (EQ01/EB03) by the benefit they name: substance use is AI substance abuse, AJ
# alcoholism, AK drug addiction, CI/CJ substance abuse facility; the other behavioral ones are
# mental health (ASC X12 005010X279A1 service type code list).
SUBSTANCE_USE_SERVICE_TYPES = frozenset({"AI", "AJ", "AK", "CI", "CJ"})
MENTAL_HEALTH_SERVICE_TYPES = frozenset("MH A4 A5 A6 A7 A8 CE CF CG CH BB BC BD RT".split())


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
    # Set when the member ID is the subscriber's and the patient has none: the patient is then
    # asked about as the subscriber's dependent.
    subscriber: Subscriber | None = None
    service_start: date
    service_end: date
    service_types: tuple[str, ...] = ("30", "MH")
    trace_number: str = Field(description="Ties the reply to our job and attempt (X12 TRN)")
    attempt: int = Field(ge=1)

    @property
    def benefits_asked(self) -> frozenset[BehavioralBenefit]:
        """The behavioral benefits the service types ask about (none named: mental health)."""
        asked = set(self.service_types)
        found = {
            benefit
            for benefit, types in (
                (BehavioralBenefit.MENTAL_HEALTH, MENTAL_HEALTH_SERVICE_TYPES),
                (BehavioralBenefit.SUBSTANCE_USE, SUBSTANCE_USE_SERVICE_TYPES),
            )
            if types & asked
        }
        return frozenset(found or {BehavioralBenefit.MENTAL_HEALTH})


class CoverageLevel(StrEnum):
    """X12 EB02 coverage level, reduced to what cost sharing needs."""

    INDIVIDUAL = "individual"  # IND
    FAMILY = "family"  # FAM
    EMPLOYEE_AND_SPOUSE = "employee_and_spouse"  # ESP
    EMPLOYEE_AND_CHILDREN = "employee_and_children"  # ECH
    CHILDREN_ONLY = "children_only"  # CHD
    DEPENDENTS_ONLY = "dependents_only"  # DEP
    EMPLOYEE_ONLY = "employee_only"  # EMP
    SPOUSE_AND_CHILDREN = "spouse_and_children"  # SPC


class BenefitKind(StrEnum):
    """X12 EB01 benefit information codes the service interprets; anything else is OTHER."""

    ACTIVE = "active"  # 1
    INACTIVE = "inactive"  # 6
    NON_COVERED = "non_covered"  # I
    DEDUCTIBLE = "deductible"  # C
    OUT_OF_POCKET = "out_of_pocket"  # G
    COPAY = "copay"  # B
    COINSURANCE = "coinsurance"  # A
    LIMITATIONS = "limitations"  # F
    CONTACT = "contact"  # U: contact following entity (carve-out administrators)
    OTHER = "other"


class TimePeriod(StrEnum):
    """X12 EB06 time period qualifiers the service interprets."""

    CALENDAR_YEAR = "calendar_year"  # 23
    SERVICE_YEAR = "service_year"  # 22
    CONTRACT = "contract"  # 25
    EPISODE = "episode"  # 26
    VISIT = "visit"  # 27
    DAY = "day"  # 7
    REMAINING = "remaining"  # 29
    LIFETIME = "lifetime"  # 32
    LIFETIME_REMAINING = "lifetime_remaining"  # 33
    YEAR_TO_DATE = "year_to_date"  # 24
    OTHER = "other"


class Benefit(Frozen):
    """One normalized benefit line (an X12 EB segment, a JSON benefit, a FHIR benefit, a phone answer)."""

    kind: BenefitKind
    service_types: tuple[str, ...] = Field(default=(), description="X12 service type codes (EB03)")
    coverage_level: CoverageLevel | None = None
    insurance_type_code: str | None = Field(default=None, description="X12 EB04, e.g. MB, MC, C1")
    plan_description: str | None = None
    time_period: TimePeriod | None = None
    amount: Money | None = None
    percent: Decimal | None = Field(default=None, ge=0, le=1, description="0.20 = 20%")
    quantity: Decimal | None = None
    quantity_unit: str | None = Field(default=None, description="visits, days, hours, ...")
    auth_required: bool | None = None  # EB11: None = unknown / not applicable
    network: Network | None = None  # EB12: None = applies to both or not stated
    messages: tuple[str, ...] = ()
    entity_name: str | None = Field(default=None, description="2120C benefit-related entity")
    entity_id: str | None = None


class OtherPayerRole(StrEnum):
    PRIMARY = "primary"
    SECONDARY = "secondary"
    TERTIARY = "tertiary"
    CARVE_OUT = "carve_out"  # behavioral-health administrator named by EB*U / 2120C
    OTHER = "other"


class OtherPayer(Frozen):
    """A payer the response names: coordination of benefits or a carve-out administrator."""

    role: OtherPayerRole
    name: str | None = None
    payer_id: str | None = None
    member_id: str | None = None
    insurance_type_code: str | None = None


class PayerIssue(Frozen):
    """A payer-reported request error (X12 AAA) with a plain-language fix for admissions staff."""

    code: str = Field(description="AAA03 reject reason, e.g. 75")
    follow_up: str | None = Field(default=None, description="AAA04, e.g. C = correct and resubmit")
    loop: str | None = Field(default=None, description="Where it was reported, e.g. 2100C")
    retryable: bool
    hint: str


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

    def describe(self) -> str:
        """Plain words for staff, e.g. "$40.00 copay a day and 10% coinsurance, in network"."""
        terms = []
        if self.copay_per_day:
            terms.append(f"{usd(self.copay_per_day)} copay a day")
        if self.coinsurance:
            terms.append(f"{(self.coinsurance * 100).normalize():f}% coinsurance")
        shares = " and ".join(terms) or "no copay or coinsurance"
        return f"{shares}, {self.network.value.replace('_', ' ')}"


def _one_per_network(cost_sharing: tuple[CostSharing, ...]) -> tuple[CostSharing, ...]:
    networks = [cs.network for cs in cost_sharing]
    if len(networks) != len(set(networks)):
        raise ValueError("cost_sharing: at most one IOP benefit per network")
    return cost_sharing


class BenefitSplit(Frozen):
    """Both IOP benefits of a payer that was asked about mental health and substance use: each
    chosen among its own lines (never borrowing the other's terms), with what the payer said of
    each in plain words. Which one prices the episode is decided with the request in hand."""

    mental_health: tuple[CostSharing, ...] = ()
    substance_use: tuple[CostSharing, ...] = ()
    mental_health_said: str
    substance_use_said: str

    @model_validator(mode="after")
    def _one_benefit_per_network(self) -> "BenefitSplit":
        _one_per_network(self.mental_health)
        _one_per_network(self.substance_use)
        return self

    def of(self, benefit: BehavioralBenefit) -> tuple[CostSharing, ...]:
        if benefit is BehavioralBenefit.SUBSTANCE_USE:
            return self.substance_use
        return self.mental_health

    def said(self, benefit: BehavioralBenefit) -> str:
        if benefit is BehavioralBenefit.SUBSTANCE_USE:
            return self.substance_use_said
        return self.mental_health_said


class EligibilityResponse(Frozen):
    """One payer's answer, normalized. `cost_sharing` holds the IOP benefit per network (at most
    one each); `benefits` keeps every line it was chosen from, and `assumptions` says how."""

    active: bool
    plan_name: str | None = None
    insurance_type: InsuranceType = InsuranceType.OTHER
    plan_begin: date | None = None
    plan_end: date | None = None
    medicare_qmb: bool = Field(
        default=False, description="Qualified Medicare Beneficiary: owes no Medicare cost sharing"
    )
    cost_sharing: tuple[CostSharing, ...] = ()
    benefits: tuple[Benefit, ...] = ()
    other_payers: tuple[OtherPayer, ...] = ()
    issues: tuple[PayerIssue, ...] = ()
    assumptions: tuple[str, ...] = ()
    messages: tuple[str, ...] = ()
    raw_payload: str = Field(
        repr=False, description="The payer's reply as received; stored encrypted"
    )
    raw_media_type: str = "application/json"
    # Which benefit `cost_sharing` is (None: not known, e.g. a manual answer read before this).
    priced_by: BehavioralBenefit | None = None
    # Both benefits, when both were asked; `cost_sharing` is then the one that prices.
    split: BenefitSplit | None = None

    @model_validator(mode="after")
    def _one_benefit_per_network(self) -> "EligibilityResponse":
        _one_per_network(self.cost_sharing)
        return self

    def cost_sharing_for(self, network: Network) -> CostSharing | None:
        return next((cs for cs in self.cost_sharing if cs.network is network), None)
