"""A verification's stored result: one typed model, built once by the pipeline and read by
attribute everywhere (API, pages, CLI, re-verification, adjustments).

Stored as `stored()` gives it; `read()` takes any stored body, including those written before
this model existed (format 1: the findings list stored beside the assessment it is made from, and
the assessment's `checks` and `cost_sharing`, now `coverage_criteria` and `pricing_rules`).
"""

from datetime import date
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, computed_field

from coverage.domain.eligibility import (
    TERM_FIELDS,
    TERM_LABELS,
    CostSharing,
    CostTerm,
    InsuranceType,
    Network,
    RelatedEntity,
    term_text,
)
from coverage.domain.estimate import Estimate
from coverage.domain.findings import Assessment, Finding
from coverage.domain.gfe import GoodFaithEstimate
from coverage.domain.request import BehavioralBenefit
from coverage.domain.sliding_scale import SlidingScaleOptions

FORMAT = 2


class PolicyCoverage(BaseModel):
    """What one payer said about one insurance policy (the payer that answered: after a carve-out,
    the behavioral-health administrator)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    payer_id: str
    payer_name: str
    network: Network
    insurance_type: InsuranceType
    active: bool
    plan_name: str | None = None
    plan_begin: date | None = None
    plan_end: date | None = None
    # PHI-light, still never logged: shown to staff only on the job page.
    group_number: str | None = None
    plan_number: str | None = None
    # Who the payer points to (carve-out administrator, UM organization, PCP...) and how to reach them.
    related_entities: tuple[RelatedEntity, ...] = ()
    disclaimers: tuple[str, ...] = ()
    messages: tuple[str, ...] = ()
    # The IOP benefit per network with each term's origin (electronic answer or phone call);
    # empty on results stored before it was kept.
    cost_sharing: tuple[CostSharing, ...] = ()
    next_year_cost_sharing: tuple[CostSharing, ...] = ()
    # How the payer's answer was read, e.g. which of duplicated benefit lines was used.
    assumptions: tuple[str, ...] = ()
    # Which benefit priced the episode: mental health or substance use (None: stored before it
    # was recorded).
    priced_by: BehavioralBenefit | None = None

    def term_rows(self) -> list[tuple[str, str, str, str]]:
        """(network, term, amount, where it came from) for each IOP cost-sharing term, in plain
        words for staff; next plan year's terms (from a phone call) after this year's."""
        rows = []
        for year, sharing in (
            ("", self.cost_sharing),
            ("Next plan year: ", self.next_year_cost_sharing),
        ):
            for cs in sharing:
                network = "In network" if cs.network is Network.IN else "Out of network"
                for term in TERM_FIELDS:
                    if year and cs.origin(term) is None:
                        continue  # next year: only what the call stated
                    label = TERM_LABELS[term] if not year else year + TERM_LABELS[term].lower()
                    rows.append((network, label, _amount(cs, term), _origin(cs, term)))
        return rows


def _amount(cs: CostSharing, term: CostTerm) -> str:
    value = cs.value(term)
    shown = term_text(term, value)
    if term == "copay" and value:
        shown += (
            ", after the deductible"
            if cs.copay_applies_after_deductible
            else ", from the first day (not subject to the deductible)"
        )
    return shown


def _origin(cs: CostSharing, term: CostTerm) -> str:
    found = cs.origin(term)
    if found is not None:
        return found.describe()
    if not cs.origins and cs.stated(term):
        return "from the payer's electronic answer"
    return "not reported: assumed"


class VerificationResult(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    format: int = FORMAT
    part2: bool
    coverage: list[PolicyCoverage]
    assessment: Assessment
    estimate: Estimate
    sliding_scale: SlidingScaleOptions
    good_faith_estimate: GoodFaithEstimate | None = None
    drafts_used: list[str] = Field(
        default_factory=list, description="Rule data marked draft that this result used"
    )
    coverage_changes: list[str] | None = Field(
        default=None,
        description="Set on a monthly re-verification: what the payers say now that they did "
        "not say at the last verification (empty: no change)",
    )

    @computed_field  # type: ignore[prop-decorator]
    @property
    def findings(self) -> list[Finding]:
        """One flat line per finding, as staff screens list them (derived, never stored)."""
        return self.assessment.findings()

    @property
    def review_message(self) -> str:
        """What the job says while it waits for billing: ready, or what needs clinical review."""
        message = self.assessment.review_message()
        if self.coverage_changes is None:
            return message
        changed = "coverage changed" if self.coverage_changes else "no change"
        return f"Monthly re-verification: {changed}. {message}"

    def stored(self) -> dict[str, Any]:
        """The body the store keeps (JSON, encrypted at rest)."""
        return self.model_dump(mode="json", exclude={"findings"})

    @classmethod
    def read(cls, body: dict[str, Any]) -> "VerificationResult":
        """A stored body of any format."""
        if body.get("format", 1) == 1:
            body = {k: v for k, v in body.items() if k != "findings"}
            assessment = dict(body["assessment"])
            assessment["coverage_criteria"] = assessment.pop("checks")
            assessment["pricing_rules"] = assessment.pop("cost_sharing")
            body["assessment"] = assessment
        return cls.model_validate(body)
