"""The verification request admissions staff submit (API, CLI, later web form and CSV)."""

import re
from datetime import date, timedelta
from enum import StrEnum
from typing import Annotated

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    field_validator,
    model_validator,
)

from coverage.domain.consent import Part2Consent
from coverage.domain.money import Money
from coverage.domain.text import PersonName, ShortText, visible_text

MemberId = Annotated[
    str,
    StringConstraints(
        strip_whitespace=True, min_length=2, max_length=80, pattern=r"^[A-Za-z0-9-]+$"
    ),
]
PayerId = Annotated[
    str,
    StringConstraints(
        strip_whitespace=True, min_length=2, max_length=64, pattern=r"^[a-z0-9][a-z0-9-]*$"
    ),
]
StateCode = Annotated[str, StringConstraints(min_length=2, max_length=2, pattern=r"^[A-Z]{2}$")]

# ICD-10-CM shape: letter, digit, alphanumeric, then optional dot and up to 4 alphanumerics.
_ICD10_CM = re.compile(r"^[A-TV-Z][0-9][0-9A-Z](\.[0-9A-Z]{1,4})?$")
# F10-F19: mental and behavioural disorders due to psychoactive substance use.
_SUD_PREFIX = re.compile(r"^F1[0-9]")

US_STATES = frozenset(
    "AL AK AZ AR CA CO CT DE DC FL GA HI ID IL IN IA KS KY LA ME MD MA MI MN MS MO MT NE NV NH "
    "NJ NM NY NC ND OH OK OR PA RI SC SD TN TX UT VT VA WA WV WI WY".split()
)

# Dates a clinic would enter: nobody alive was born before 1900, and nobody schedules an episode
# more than 2 years ahead. The bounds also keep every date the pipeline derives (episode end,
# plan years, Good Faith Estimate deadlines) within what a date can hold.
EARLIEST = date(1900, 1, 1)
DAYS_AHEAD = 730


def _latest() -> date:
    return date.today() + timedelta(days=DAYS_AHEAD)


def _birth_date(value: date) -> date:
    if value < EARLIEST:
        raise ValueError("must not be before 1900")
    if value > date.today():
        raise ValueError("must not be in the future")
    return value


def _planned_date(value: date) -> date:
    if value < EARLIEST:
        raise ValueError("must not be before 1900")
    if value > _latest():
        raise ValueError("must be within 2 years from today")
    return value


BirthDate = Annotated[date, AfterValidator(_birth_date)]
PlannedDate = Annotated[date, AfterValidator(_planned_date)]


class Strict(BaseModel):
    """Unknown keys are refused so a typo in a field name never silently drops data."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class Sex(StrEnum):
    FEMALE = "F"
    MALE = "M"
    UNKNOWN = "U"


class Relationship(StrEnum):
    SELF = "self"
    SPOUSE = "spouse"
    CHILD = "child"
    OTHER = "other"


class Priority(StrEnum):
    PRIMARY = "primary"
    SECONDARY = "secondary"


class Program(StrEnum):
    MENTAL_HEALTH = "mental_health"
    SUBSTANCE_USE = "substance_use"
    CO_OCCURRING = "co_occurring"


class BehavioralBenefit(StrEnum):
    """The benefit an IOP episode is priced with: payers split mental health and substance use
    benefits (X12 service types MH and AI), sometimes with different cost sharing."""

    MENTAL_HEALTH = "mental_health"
    SUBSTANCE_USE = "substance_use"

    @property
    def label(self) -> str:
        return self.value.replace("_", " ")


class LevelOfCare(StrEnum):
    OUTPATIENT = "outpatient"
    IOP = "iop"
    PHP = "php"
    RESIDENTIAL = "residential"
    INPATIENT = "inpatient"


class Modality(StrEnum):
    IN_PERSON = "in_person"
    TELEHEALTH = "telehealth"


class Address(Strict):
    line1: ShortText
    line2: ShortText | None = None
    city: ShortText
    state: StateCode
    postal_code: Annotated[str, StringConstraints(pattern=r"^[0-9]{5}(-[0-9]{4})?$")]


class Enrollee(Strict):
    first_name: PersonName
    last_name: PersonName
    birth_date: BirthDate
    sex: Sex
    state: StateCode
    address: Address | None = None

    @field_validator("state")
    @classmethod
    def _known_state(cls, value: str) -> str:
        if value not in US_STATES:
            raise ValueError(f"unknown US state code {value!r} (50 states and DC)")
        return value


class AuthStatus(StrEnum):
    NOT_REQUESTED = "not_requested"
    PENDING = "pending"
    APPROVED = "approved"
    DENIED = "denied"


class Authorization(Strict):
    """What admissions knows about the payer's prior authorization for this episode."""

    status: AuthStatus = AuthStatus.NOT_REQUESTED
    approved_days: int | None = Field(
        default=None, ge=0, le=366, description="Service days approved (status approved only)"
    )

    @model_validator(mode="after")
    def _days_only_when_approved(self) -> "Authorization":
        if self.approved_days is not None and self.status is not AuthStatus.APPROVED:
            raise ValueError("approved_days: only allowed when status is approved")
        return self


class Subscriber(Strict):
    """The policyholder, for a patient covered as their dependent with no member ID of their own:
    the payer finds the subscriber by the member ID, then the patient among their dependents
    (X12 2100C and 2100D)."""

    first_name: PersonName
    last_name: PersonName
    birth_date: BirthDate
    sex: Sex = Sex.UNKNOWN


class PolicyIn(Strict):
    payer_id: PayerId
    member_id: MemberId  # the patient's own, or the subscriber's when `subscriber` is given
    group_number: (
        Annotated[
            str,
            StringConstraints(strip_whitespace=True, max_length=50),
            AfterValidator(visible_text),
        ]
        | None
    ) = None
    relationship: Relationship = Relationship.SELF
    priority: Priority = Priority.PRIMARY
    authorization: Authorization = Authorization()
    subscriber: Subscriber | None = None

    @model_validator(mode="after")
    def _subscriber_only_for_a_dependent(self) -> "PolicyIn":
        if self.subscriber is not None and self.relationship is Relationship.SELF:
            raise ValueError(
                "subscriber: only for a patient who is not the subscriber "
                "(relationship spouse, child or other)"
            )
        return self


class Ratings(Strict):
    """Clinician-entered level-of-care dimension ratings (0-4), where known."""

    withdrawal: int | None = Field(default=None, ge=0, le=4)
    biomedical: int | None = Field(default=None, ge=0, le=4)
    emotional_behavioral: int | None = Field(default=None, ge=0, le=4)
    readiness_to_change: int | None = Field(default=None, ge=0, le=4)
    relapse_potential: int | None = Field(default=None, ge=0, le=4)
    recovery_environment: int | None = Field(default=None, ge=0, le=4)


class Intake(Strict):
    diagnoses: list[
        Annotated[str, StringConstraints(strip_whitespace=True, to_upper=True, max_length=8)]
    ] = Field(min_length=1, max_length=12)
    program: Program
    # Which condition the claim is billed under (its first-listed diagnosis), when the clinician
    # says; for a co-occurring program it chooses the benefit that prices the episode.
    primary_condition: BehavioralBenefit | None = None
    recommended_level_of_care: LevelOfCare | None = None
    ratings: Ratings = Ratings()
    needs_withdrawal_management: bool = False
    imminent_danger: bool = False
    stable_housing: bool = True

    @field_validator("diagnoses")
    @classmethod
    def _icd10_shape(cls, codes: list[str]) -> list[str]:
        for index, code in enumerate(codes):
            if not _ICD10_CM.match(code):
                # The code itself is PHI; name the position only.
                raise ValueError(f"diagnosis {index + 1} is not an ICD-10-CM code (e.g. F33.1)")
        return codes

    @property
    def has_sud_diagnosis(self) -> bool:
        return any(_SUD_PREFIX.match(code) for code in self.diagnoses)


class Weekday(StrEnum):
    MON = "mon"
    TUE = "tue"
    WED = "wed"
    THU = "thu"
    FRI = "fri"
    SAT = "sat"
    SUN = "sun"

    @property
    def number(self) -> int:
        """date.weekday() numbering: Monday 0 .. Sunday 6."""
        return list(Weekday).index(self)


class Plan(Strict):
    level_of_care: LevelOfCare = LevelOfCare.IOP
    # Either days_per_week, or explicit weekdays from which it is derived (never both disagreeing).
    days_per_week: int = Field(ge=1, le=7)
    weekdays: tuple[Weekday, ...] | None = Field(default=None, min_length=1, max_length=7)
    hours_per_day: Annotated[float, Field(gt=0, le=12)]
    weeks: int = Field(ge=1, le=52)
    start_date: PlannedDate
    modality: Modality = Modality.IN_PERSON
    # The day the start was scheduled: sets the Good Faith Estimate's delivery deadline.
    scheduled_on: PlannedDate | None = None

    @model_validator(mode="before")
    @classmethod
    def _derive_days_per_week(cls, data: object) -> object:
        if not isinstance(data, dict) or not data.get("weekdays"):
            return data
        weekdays = data["weekdays"]
        if not isinstance(weekdays, list | tuple) or not all(isinstance(w, str) for w in weekdays):
            return data  # not a list of names: the field's own check says so
        if len(set(weekdays)) != len(weekdays):
            raise ValueError("weekdays: each weekday at most once")
        given = data.get("days_per_week")
        if given is not None and given != len(weekdays):
            raise ValueError(
                f"days_per_week: {given} does not match the {len(weekdays)} weekdays given"
            )
        return {**data, "days_per_week": len(weekdays)}

    @model_validator(mode="after")
    def _scheduled_before_start(self) -> "Plan":
        if self.scheduled_on is not None and self.scheduled_on > self.start_date:
            raise ValueError("scheduled_on: must not be after start_date")
        return self

    @property
    def hours_per_week(self) -> float:
        return self.days_per_week * self.hours_per_day

    @property
    def service_days(self) -> int:
        return self.days_per_week * self.weeks


class Household(Strict):
    size: int = Field(ge=1, le=30)
    annual_income: Money = Field(ge=0, le=100_000_000, decimal_places=2)


class VerificationRequest(Strict):
    enrollee: Enrollee
    policies: list[PolicyIn] = Field(max_length=2)
    intake: Intake
    plan: Plan
    household: Household | None = None
    # The enrollee has coverage but does not want claims submitted (45 CFR 149.610 "self-pay").
    self_pay: bool = False
    # The day the patient asked for a Good Faith Estimate (149.610(b)(1)(vi)(C)), if they did.
    gfe_requested_on: PlannedDate | None = None
    # 42 CFR Part 2 consents for a substance-use (part2) job: without one covering payment a
    # payer is not contacted. Optional, so other jobs and existing clients are unaffected.
    consents: list[Part2Consent] = Field(default_factory=list, max_length=10)

    @model_validator(mode="after")
    def _one_policy_per_priority(self) -> "VerificationRequest":
        priorities = [p.priority for p in self.policies]
        if len(priorities) != len(set(priorities)):
            raise ValueError("policies: at most one primary and one secondary policy")
        if self.policies and Priority.PRIMARY not in priorities:
            raise ValueError("policies: a secondary policy needs a primary policy")
        if self.enrollee.birth_date > self.plan.start_date:
            raise ValueError("enrollee.birth_date: after the plan's start date")
        return self

    @property
    def part2(self) -> bool:
        """42 CFR Part 2 applies to substance-use records: set once at intake, carried everywhere."""
        return self.intake.program is not Program.MENTAL_HEALTH or self.intake.has_sud_diagnosis
