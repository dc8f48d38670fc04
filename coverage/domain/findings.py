"""What the rule book found for one verification: coverage for IOP per payer, each criterion's
outcome with what it looked at, requirements, limits, a referral suggestion and the pricing rules
the estimate must apply (built by coverage.rules.assessment; stored in the result)."""

from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from coverage.domain.money import ZERO, Money

Outcome = Literal["met", "not_met", "unknown"]

Referral = Literal["php", "residential", "inpatient", "withdrawal_management", "outpatient"]


class RuleFileRef(BaseModel):
    """Provenance of one loaded file, stored with each result (model_dump gives JSON)."""

    model_config = ConfigDict(frozen=True)

    path: Path  # relative to the rules directory
    kind: str
    version: str
    sha256: str


class Finding(BaseModel):
    model_config = ConfigDict(frozen=True)

    code: str
    status: Literal["met", "not_met", "unknown"]
    reason: str
    source: str = ""


class CriterionResult(BaseModel):
    """One criterion's outcome, with what it looked at: the explanation staff and auditors read."""

    model_config = ConfigDict(frozen=True)

    rule: str  # "<file id>/<check id>", named in needs_review messages
    file: str
    check: str
    outcome: Outcome
    reason: str
    inputs: dict[str, Any]
    status: str  # verified | draft
    refer_to: Referral | None = None
    # The rule engine's own words when the outcome is unknown: for operators, never for staff.
    error: str | None = None


class Requirement(BaseModel):
    model_config = ConfigDict(frozen=True)

    code: str  # prior_authorization, referral, certification, recertification, ...
    text: str
    due: date | None = None
    rule: str  # "<policy id>/<section>"
    status: str  # verified | draft


class Frozen(BaseModel):
    model_config = ConfigDict(frozen=True)


class CoverageFinding(Frozen):
    payer_id: str
    status: Literal["covered", "not_covered", "unknown"]
    why: list[str]
    # Ids of the coverage policies that apply (for the estimate; the stored findings already
    # name them in `why` and the result's rule files).
    policies: list[str] = Field(default_factory=list, exclude=True)


class NecessityFinding(Frozen):
    status: Literal["met", "not_met", "needs_clinical_review"]
    why: list[str]
    criteria: list[CriterionResult]


class LimitFinding(Frozen):
    """A coverage policy's IOP day or visit limit per plan year, against the planned days (one
    visit per service day), counted in each plan year the episode touches."""

    payer_id: str
    text: str
    allowed: int
    planned: int
    exceeded: bool
    unit: Literal["days", "visits"] = "days"
    over: int = 0  # planned days past the limit, summed over the plan years
    parity_note: str | None = None
    rule: str


class ReferralSuggestion(Frozen):
    to: str
    why: list[str]


class PricingRules(Frozen):
    """What the estimate must apply for one payer, read from the rule book (not computed here)."""

    payer_id: str
    rule: str
    patient_owes_nothing: bool = False
    reason: str | None = None
    part_b_coinsurance: Decimal | None = None  # for the first service day's year
    percent_of_poverty: Money | None = None
    copay_cap_per_day: Money | None = None
    household_cap: Money | None = None
    household_cap_period: str | None = None
    payer_of_last_resort: bool = False
    no_balance_billing: bool = False
    status: str


class Assessment(Frozen):
    coverage: list[CoverageFinding]
    medical_necessity: NecessityFinding
    requirements: list[Requirement]
    limits: list[LimitFinding]
    referral: ReferralSuggestion | None
    pricing_rules: list[PricingRules]
    coverage_criteria: list[CriterionResult]  # each coverage rule's criteria, per payer in order
    unknown_rules: list[str]
    # Kept apart from the stored assessment: the result lists both once, as drafts_used and as
    # the result's rule files.
    drafts_used: list[str] = Field(default_factory=list, exclude=True)
    files: list[RuleFileRef] = Field(default_factory=list, exclude=True)

    def limit_for(self, payer_id: str) -> LimitFinding | None:
        """The tightest coverage-policy limit on this payer's IOP days, if any policy sets one."""
        found = [lim for lim in self.limits if lim.payer_id == payer_id]
        return min(found, key=lambda lim: lim.allowed, default=None)

    def has_policy(self, payer_id: str) -> bool:
        """Whether any coverage policy in the rule book applies to this payer."""
        return any(c.policies for c in self.coverage if c.payer_id == payer_id)

    def pricing_rules_for(self, payer_id: str) -> PricingRules | None:
        """One payer's cost-sharing rules merged over the policies that state them: any policy's
        protection applies, and the lowest cap binds."""
        found = [c for c in self.pricing_rules if c.payer_id == payer_id]
        if len(found) <= 1:
            return found[0] if found else None
        household = min(
            (c for c in found if c.household_cap is not None),
            key=lambda c: c.household_cap or ZERO,
            default=None,
        )
        caps = [c.copay_cap_per_day for c in found if c.copay_cap_per_day is not None]
        return PricingRules(
            payer_id=payer_id,
            rule=", ".join(c.rule for c in found),
            patient_owes_nothing=any(c.patient_owes_nothing for c in found),
            reason=next((c.reason for c in found if c.reason), None),
            part_b_coinsurance=next(
                (c.part_b_coinsurance for c in found if c.part_b_coinsurance is not None), None
            ),
            percent_of_poverty=next(
                (c.percent_of_poverty for c in found if c.percent_of_poverty is not None), None
            ),
            copay_cap_per_day=min(caps) if caps else None,
            household_cap=household.household_cap if household else None,
            household_cap_period=household.household_cap_period if household else None,
            payer_of_last_resort=any(c.payer_of_last_resort for c in found),
            no_balance_billing=any(c.no_balance_billing for c in found),
            status="draft" if any(c.status == "draft" for c in found) else found[0].status,
        )

    def findings(self) -> list[Finding]:
        """One flat list for screens that show a line per finding."""
        status: dict[str, Outcome] = {
            "covered": "met",
            "not_covered": "not_met",
            "unknown": "unknown",
        }
        flat = [
            Finding(
                code="coverage", status=status[c.status], reason=" ".join(c.why), source=c.payer_id
            )
            for c in self.coverage
        ] or [
            Finding(
                code="coverage", status="not_met", reason="No insurance policy given: self-pay."
            )
        ]
        flat += [
            Finding(code=c.rule, status=c.outcome, reason=c.reason, source=c.file)
            for c in self.coverage_criteria + self.medical_necessity.criteria
        ]
        flat += [
            Finding(
                code=r.code,
                status="unknown",
                reason=(f"By {r.due.isoformat()}: " if r.due else "") + r.text,
                source=r.rule,
            )
            for r in self.requirements
        ]
        flat += [
            Finding(
                code="limit",
                status="not_met" if lim.exceeded else "met",
                reason=lim.text + (f" {lim.parity_note}" if lim.parity_note else ""),
                source=lim.rule,
            )
            for lim in self.limits
        ]
        if self.referral:
            flat.append(
                Finding(
                    code="referral",
                    status="not_met",
                    reason=f"Consider {self.referral.to} instead of IOP: "
                    + " ".join(self.referral.why),
                )
            )
        return flat

    def review_message(self) -> str:
        if not self.unknown_rules:
            return "Ready for billing review"
        return "Ready for billing review; needs clinical review: could not evaluate " + ", ".join(
            self.unknown_rules
        )
