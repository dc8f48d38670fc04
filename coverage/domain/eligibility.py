"""Normalized eligibility: what every payer adapter turns its answer into."""

from datetime import date
from decimal import Decimal
from enum import StrEnum
from typing import Literal

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


class PeriodKind(StrEnum):
    """X12 2110 DTP01 date qualifiers kept on a benefit line."""

    PLAN = "plan"  # 291
    BENEFIT = "benefit"  # 292
    PLAN_BEGIN = "plan_begin"  # 346
    PLAN_END = "plan_end"  # 347
    BENEFIT_BEGIN = "benefit_begin"  # 348
    BENEFIT_END = "benefit_end"  # 349
    ELIGIBILITY_BEGIN = "eligibility_begin"  # 356
    ELIGIBILITY_END = "eligibility_end"  # 357
    ELIGIBILITY = "eligibility"  # 307
    LATEST_VISIT = "latest_visit"  # 304
    ADMISSION = "admission"  # 435
    OTHER = "other"


class BenefitPeriod(Frozen):
    """A date or date range the payer put on one benefit line (start = end for a single date)."""

    kind: PeriodKind
    qualifier: str = Field(description="X12 DTP01 as sent, e.g. 292")
    start: date
    end: date


class LimitUnit(StrEnum):
    """X12 HSD01 quantity qualifier: what is counted."""

    VISITS = "visits"  # VS
    DAYS = "days"  # DY
    HOURS = "hours"  # HS
    UNITS = "units"  # FL
    MONTHS = "months"  # MN
    OTHER = "other"


class LimitPer(StrEnum):
    """The period a limit runs over (X12 HSD05, the EB06 list, or HSD03 unit of measurement)."""

    DAY = "day"  # 7 / DA
    WEEK = "week"  # 35 / WK
    MONTH = "month"  # 34 / MO
    YEARS = "years"  # 21 / YR
    SERVICE_YEAR = "service_year"  # 22
    CALENDAR_YEAR = "calendar_year"  # 23
    VISIT = "visit"  # 27
    HOUR = "hour"  # 6
    OTHER = "other"


class VisitLimit(Frozen):
    """An X12 HSD service-delivery limit on a benefit line, e.g. 3 visits per 1 week."""

    quantity: Decimal
    unit: LimitUnit
    per: LimitPer | None = None
    periods: Decimal | None = Field(default=None, description="HSD06: per 2 weeks = 2")
    raw_unit: str = Field(default="", description="Codes as sent: HSD01/HSD03/HSD05")
    sample_modulus: Decimal | None = None  # HSD04
    frequency: str | None = Field(default=None, description="HSD07 as sent (not interpreted)")
    pattern: str | None = Field(default=None, description="HSD08 as sent (not interpreted)")
    text: str = Field(description="In plain words, e.g. '3 visits per 1 week'")

    @property
    def per_week(self) -> int | None:
        """The count allowed in one calendar week, when that is what the limit says."""
        if self.per is LimitPer.WEEK and self.periods in (None, Decimal(1)):
            if self.unit in (LimitUnit.VISITS, LimitUnit.DAYS):
                return int(self.quantity)
        return None


class ContactKind(StrEnum):
    """X12 PER communication number qualifiers."""

    PHONE = "phone"  # TE
    FAX = "fax"  # FX
    EMAIL = "email"  # EM
    URL = "url"  # UR
    OTHER = "other"  # ED (EDI access number) and anything else, kept as sent


class Contact(Frozen):
    """One way to reach a related entity (PER); a phone's EX extension rides on it."""

    kind: ContactKind
    value: str
    extension: str | None = None
    qualifier: str = Field(description="X12 PER qualifier as sent, e.g. TE")
    name: str | None = Field(default=None, description="PER02 contact name")


CARVE_OUT_ROLE = "behavioral-health administrator"


class RelatedEntity(Frozen):
    """A 2120C/D benefit-related entity: who the payer points to for one benefit line."""

    role: str = Field(description="In plain words, e.g. 'behavioral-health administrator'")
    entity_code: str = Field(description="X12 NM101 as sent")
    name: str | None = None
    id: str | None = None
    id_qualifier: str | None = None
    contacts: tuple[Contact, ...] = ()
    service_types: tuple[str, ...] = Field(
        default=(), description="EB03 of the benefit line it belongs to"
    )

    @property
    def phone(self) -> str | None:
        found = next((c for c in self.contacts if c.kind is ContactKind.PHONE), None)
        if found is None:
            return None
        return found.value + (f" ext. {found.extension}" if found.extension else "")


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
    entities: tuple[RelatedEntity, ...] = ()
    periods: tuple[BenefitPeriod, ...] = ()
    limits: tuple[VisitLimit, ...] = ()
    # The line's place in the answer, as assumptions cite it ("EB #15"); None where not numbered.
    segment_number: int | None = None


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


CostTerm = Literal[
    "deductible",
    "family_deductible",
    "out_of_pocket",
    "family_out_of_pocket",
    "copay",
    "coinsurance",
    "day_limit",
]
# The CostSharing field each term is; the copay's deductible flag travels with the copay.
TERM_FIELDS: dict[CostTerm, str] = {
    "deductible": "deductible_remaining",
    "family_deductible": "family_deductible_remaining",
    "out_of_pocket": "oop_remaining",
    "family_out_of_pocket": "family_oop_remaining",
    "copay": "copay_per_day",
    "coinsurance": "coinsurance",
    "day_limit": "day_limit_remaining",
}
TERM_LABELS: dict[CostTerm, str] = {
    "deductible": "Deductible remaining",
    "family_deductible": "Family deductible remaining",
    "out_of_pocket": "Out-of-pocket maximum remaining",
    "family_out_of_pocket": "Family out-of-pocket maximum remaining",
    "copay": "Copay per day",
    "coinsurance": "Coinsurance",
    "day_limit": "Covered days remaining",
}


class TermOrigin(Frozen):
    """Where one cost-sharing term came from: the payer's electronic answer or a phone call."""

    term: CostTerm
    source: Literal["electronic", "phone"]
    call_date: date | None = None
    call_reference: str | None = Field(default=None, max_length=40)

    def describe(self) -> str:
        """In plain words, as staff read it next to the term."""
        if self.source == "electronic":
            return "from the payer's electronic answer"
        when = f" on {day_text(self.call_date)}" if self.call_date else ""
        ref = f", ref {self.call_reference}" if self.call_reference else ""
        return f"from the phone call{when}{ref}"


def term_text(term: CostTerm, value: Decimal | int | None) -> str:
    """A term's amount as staff read it: $30.00, 20%, 18 days."""
    if value is None:
        return "none"
    if term == "coinsurance":
        return f"{(Decimal(value) * 100).normalize():f}%"
    if term == "day_limit":
        return f"{value} days"
    return usd(Decimal(value))


def day_text(day: date) -> str:
    """3 Dec 2026."""
    return f"{day.day} {day:%b %Y}"


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
    # Whether the payer said if the copay waits for the deductible (else the flag is assumed).
    copay_deductible_stated: bool = False
    oop_remaining: Money | None = Field(
        default=None, description="None: the plan has no out-of-pocket maximum"
    )
    family_oop_remaining: Money | None = None
    prior_auth_required: bool = False
    # Whether the payer said yes or no (EB11 Y/N or an authorization reason): False with
    # prior_auth_required False is "not stated", which the estimate treats as not required.
    prior_auth_stated: bool = False
    day_limit_remaining: int | None = None
    visits_per_week: int | None = Field(
        default=None, description="The payer's weekly visit cap (HSD): days over it not covered"
    )
    # The terms the answer stated, each with its source; a term not listed was not reported
    # (its value above is the default the interpretation assumed). Empty on answers stored
    # before origins were kept.
    origins: tuple[TermOrigin, ...] = ()

    def origin(self, term: CostTerm) -> TermOrigin | None:
        return next((o for o in self.origins if o.term == term), None)

    def value(self, term: CostTerm) -> Decimal | int | None:
        found: Decimal | int | None = getattr(self, TERM_FIELDS[term])
        return found

    def stated(self, term: CostTerm) -> bool:
        """The answer gave this term (without origins: it differs from the default)."""
        if self.origins:
            return self.origin(term) is not None
        default = CostSharing.model_fields[TERM_FIELDS[term]].default
        return bool(self.value(term) != default)

    def prior_auth_text(self) -> str:
        """required / not required / not stated: an unmentioned authorization is no "no"."""
        if self.prior_auth_required:
            return "required"
        return "not required" if self.prior_auth_stated else "not stated"

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
    group_number: str | None = Field(default=None, description="REF 6P/1L/IG; PHI: never log")
    plan_number: str | None = Field(default=None, description="REF 18")
    medicare_qmb: bool = Field(
        default=False, description="Qualified Medicare Beneficiary: owes no Medicare cost sharing"
    )
    cost_sharing: tuple[CostSharing, ...] = ()
    next_year_cost_sharing: tuple[CostSharing, ...] = Field(
        default=(),
        description="Next plan year's terms where a phone call stated them (only the terms in "
        "each one's origins); the estimate uses them from the plan year reset on",
    )
    benefits: tuple[Benefit, ...] = ()
    other_payers: tuple[OtherPayer, ...] = ()
    issues: tuple[PayerIssue, ...] = ()
    related_entities: tuple[RelatedEntity, ...] = ()
    disclaimers: tuple[str, ...] = Field(
        default=(), description="EB01 P benefit disclaimer lines (their MSG text)"
    )
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

    def administrator_phone(self, name: str | None) -> str | None:
        """The phone the payer gave for the behavioral-health administrator it named."""
        return next(
            (
                e.phone
                for e in self.related_entities
                if e.role == CARVE_OUT_ROLE and e.phone and (name is None or e.name == name)
            ),
            None,
        )

    def next_year_for(self, network: Network) -> CostSharing | None:
        return next((cs for cs in self.next_year_cost_sharing if cs.network is network), None)
