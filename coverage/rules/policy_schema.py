"""Shapes of the coverage_policy and medical_necessity rule files. Unknown keys are refused.

A sub-section's `status` and `source` default to the file's, so every fact carries both.
"""

from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import Field, StringConstraints, model_validator

from coverage.domain.eligibility import InsuranceType
from coverage.domain.findings import Outcome, Referral
from coverage.domain.payer import PayerConfig
from coverage.domain.request import LevelOfCare, Modality, Program, StateCode
from coverage.rules.expressions import VARIABLES, fact_type_problem
from coverage.rules.schema import Amount, RuleFileHeader, RuleModel, Status, Text

Slug = Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9-]*$", max_length=64)]
Hours = Annotated[Decimal, Field(ge=0, le=168)]
Share = Annotated[Decimal, Field(ge=0, le=1)]
Percent = Annotated[Decimal, Field(ge=0)]
# Higher levels of care a criterion can point to instead of IOP.
Setting = Literal[
    "hospital_outpatient", "cmhc", "cah", "rhc", "fqhc", "otp", "licensed_program", "office"
]


class Sourced(RuleModel):
    status: Status | None = None
    source: Text | None = None


class Scope(RuleModel):
    """Which payers a file applies to; every list given must match (an empty list matches all)."""

    payers: list[Slug] = Field(default_factory=list)
    payer_types: list[InsuranceType] = Field(default_factory=list)
    states: list[StateCode] = Field(default_factory=list)
    programs: list[Program] = Field(default_factory=list)
    self_pay: bool = False  # also applies when there is no insurance

    def matches(self, payer: PayerConfig | None, program: Program) -> bool:
        if self.programs and program not in self.programs:
            return False
        if payer is None:
            return self.self_pay or not (self.payers or self.payer_types or self.states)
        return (
            (not self.payers or payer.id in self.payers)
            and (not self.payer_types or payer.type in self.payer_types)
            and (not self.states or payer.state in self.states)
        )


class Criterion(Sourced):
    """One CEL condition that must hold for IOP to fit; the reason texts are shown to staff."""

    id: Slug
    expr: Annotated[str, StringConstraints(min_length=1, max_length=2000)]
    met: Text
    not_met: Text
    refer_to: Referral | None = None  # not met: suggest this level instead of IOP


class Example(RuleModel):
    """A rule test: facts in, the expected outcome per check id out."""

    name: Text
    facts: dict[str, Any]
    expect: dict[Slug, Outcome] = Field(min_length=1)

    @model_validator(mode="after")
    def _known_facts(self) -> "Example":
        unknown = sorted(set(self.facts) - set(VARIABLES))
        if unknown:
            raise ValueError(
                f"facts: unknown fact {unknown[0]!r}; known: {', '.join(sorted(VARIABLES))}"
            )
        for name, value in self.facts.items():
            problem = fact_type_problem(name, value)
            if problem:
                raise ValueError(f"facts: {name}: {problem}")
        return self


class HoursBand(Sourced):
    """Hours-per-week bounds for an age band (ages inclusive; open where not given)."""

    label: Text
    min_age: int | None = Field(default=None, ge=0, le=120)
    max_age: int | None = Field(default=None, ge=0, le=120)
    min_per_week: Hours
    max_per_week: Hours | None = None
    above_max: Referral | None = None  # e.g. php: 20+ hours a week is partial hospitalization
    below_min: Text | None = None  # why too few hours fails, e.g. the 9-hour certification
    min_hours_per_day: Hours | None = None
    min_days_per_week: int | None = Field(default=None, ge=1, le=7)

    @model_validator(mode="after")
    def _bounds(self) -> "HoursBand":
        if self.max_per_week is not None and self.max_per_week < self.min_per_week:
            raise ValueError("max_per_week: below min_per_week")
        if self.min_age is not None and self.max_age is not None and self.max_age < self.min_age:
            raise ValueError("max_age: below min_age")
        return self

    def covers(self, age: int) -> bool:
        return (self.min_age is None or age >= self.min_age) and (
            self.max_age is None or age <= self.max_age
        )


class BillingCode(Sourced):
    code: Annotated[
        str, StringConstraints(pattern=r"^([A-Z][0-9]{4}|[0-9]{4})$")
    ]  # HCPCS or revenue
    use: Text


class Covered(Sourced):
    """What the payer covers as IOP; an empty list means not restricted by this file."""

    programs: list[Program] = Field(default_factory=list)
    levels_of_care: list[LevelOfCare] = Field(default_factory=list)
    diagnosis_prefixes: list[
        Annotated[str, StringConstraints(pattern=r"^[A-Z][0-9A-Z.]{0,6}$")]
    ] = Field(default_factory=list)
    settings: list[Setting] = Field(default_factory=list)
    modalities: list[Modality] = Field(default_factory=list)
    codes: list[BillingCode] = Field(default_factory=list)
    condition_code: Annotated[str, StringConstraints(pattern=r"^[0-9A-Z]{2}$")] | None = None


class PriorAuthorization(Sourced):
    required: Literal["always", "never", "plan_decides"]
    lead_days: int = Field(default=0, ge=0, le=60)  # ask this many days before the first day
    exempt_first_weeks: int | None = Field(default=None, ge=1)
    exempt_first_visits: int | None = Field(default=None, ge=1)
    notify_within_business_days: int | None = Field(default=None, ge=0)
    consult_by_day: int | None = Field(default=None, ge=1)
    note: Text | None = None


class Certification(Sourced):
    required: bool
    min_hours_per_week: Hours | None = None
    recertify_every_months: int | None = Field(default=None, ge=1, le=12)
    plan_review_every_months: int | None = Field(default=None, ge=1, le=12)
    documentation: list[Text] = Field(default_factory=list)


class PerDiemTier(Sourced):
    """A national unadjusted per diem; `rate` stays empty (and draft) until an analyst fills it
    from that year's OPPS Addendum A: never a guessed number."""

    year: int = Field(ge=2024, le=2100)
    provider: Literal["hospital", "cmhc"]
    services_per_day: Literal["3", "4+"]
    apc: Annotated[str, StringConstraints(pattern=r"^[0-9]{4}$")] | None = None
    rate: Amount | None = None

    @model_validator(mode="after")
    def _missing_rate_is_draft(self) -> "PerDiemTier":
        if self.rate is None and self.status != "draft":
            raise ValueError("a per diem without a rate must be status: draft")
        return self


class ConcurrentReview(Sourced):
    every_sessions: int | None = Field(default=None, ge=1)
    every_days: int | None = Field(default=None, ge=1)


class Limits(Sourced):
    days_per_year: int | None = Field(default=None, ge=1)
    visits_per_year: int | None = Field(default=None, ge=1)
    benefit: Literal["mental_health", "substance_use", "both"] = "both"


class ReferralRequirement(Sourced):
    """A gatekeeper referral (HMO primary care, DC Level I-AR assessment) before IOP starts."""

    required: bool
    by: Text


class CopayBand(Sourced):
    """Medicaid maximum copay for one poverty band, (above_percent, up_to_percent]."""

    above_percent: Percent | None = None
    up_to_percent: Percent | None = None
    max_per_day: Amount | None = None
    max_share_of_payment: Share | None = None

    @model_validator(mode="after")
    def _one_cap(self) -> "CopayBand":
        if (self.max_per_day is None) == (self.max_share_of_payment is None):
            raise ValueError("give exactly one of max_per_day and max_share_of_payment")
        return self

    def covers(self, percent: Decimal) -> bool:
        return (self.above_percent is None or percent > self.above_percent) and (
            self.up_to_percent is None or percent <= self.up_to_percent
        )


class PartBReference(Sourced):
    """Medicare Part B cost sharing: the deductible and coinsurance by calendar year live in the
    `medicare_part_b` kind's data, the one source the estimate reads too."""

    terms_from: Literal["medicare_part_b"] = "medicare_part_b"


class CostSharingRules(Sourced):
    qmb_owes_nothing: bool = False
    part_b: PartBReference | None = None
    copay_caps: list[CopayBand] = Field(default_factory=list)
    household_cap_share_of_income: Share | None = None
    household_cap_period: Literal["monthly", "quarterly"] | None = None
    payer_of_last_resort: bool = False
    no_balance_billing: bool = False


class RuleTestsMixin(RuleModel):
    stable: bool = False  # stable files must carry examples
    examples: list[Example] = Field(default_factory=list)

    @model_validator(mode="after")
    def _stable_has_examples(self) -> "RuleTestsMixin":
        if self.stable and not self.examples:
            raise ValueError("a stable rule file must carry examples")
        return self


class CoveragePolicyFile(RuleFileHeader, RuleTestsMixin):
    kind: Literal["coverage_policy"]
    id: Slug
    name: Text
    applies_to: Scope
    covered: Covered | None = None
    hours_per_week: list[HoursBand] = Field(default_factory=list)
    prior_authorization: PriorAuthorization | None = None
    referral: ReferralRequirement | None = None
    certification: Certification | None = None
    concurrent_review: ConcurrentReview | None = None
    limits: Limits | None = None
    cost_sharing: CostSharingRules | None = None
    per_diem_tiers: list[PerDiemTier] = Field(default_factory=list)
    criteria: list[Criterion] = Field(default_factory=list)
    notes: list[Text] = Field(default_factory=list)


class MedicalNecessityFile(RuleFileHeader, RuleTestsMixin):
    kind: Literal["medical_necessity"]
    id: Slug
    name: Text
    applies_to: Scope
    instrument: Text  # the criteria set the clinician's recorded level and ratings come from
    criteria: list[Criterion] = Field(min_length=1)
