"""First findings over the intake, the plan and the payers' answers; the rule book issue makes them data."""

from typing import Literal

from pydantic import BaseModel, ConfigDict

from coverage.domain.eligibility import EligibilityResponse
from coverage.domain.payer import PayerConfig
from coverage.domain.request import LevelOfCare, VerificationRequest


class Finding(BaseModel):
    model_config = ConfigDict(frozen=True)

    code: str
    status: Literal["met", "not_met", "unknown"]
    reason: str
    source: str = ""


def assess(
    request: VerificationRequest, responses: list[tuple[PayerConfig, EligibilityResponse]]
) -> list[Finding]:
    findings: list[Finding] = []
    plan, intake = request.plan, request.intake
    if not responses:
        findings.append(
            Finding(
                code="coverage_active",
                status="not_met",
                reason="No insurance policy given: self-pay.",
            )
        )
    for payer, response in responses:
        findings.append(
            Finding(
                code="coverage_active",
                status="met" if response.active else "not_met",
                reason=f"{payer.name}: coverage {'active' if response.active else 'not active'} for the service dates.",
                source=payer.id,
            )
        )
        if any(cs.prior_auth_required for cs in response.cost_sharing):
            findings.append(
                Finding(
                    code="prior_authorization",
                    status="unknown",
                    source=payer.id,
                    reason=f"{payer.name} requires prior authorization before the first IOP day.",
                )
            )
        low, high = payer.hours_per_week_min, payer.hours_per_week_max
        if low is not None or high is not None:
            inside = (low is None or plan.hours_per_week >= low) and (
                high is None or plan.hours_per_week <= high
            )
            findings.append(
                Finding(
                    code="hours_per_week",
                    status="met" if inside else "not_met",
                    source=payer.id,
                    reason=f"Planned {plan.hours_per_week:g} hours/week; {payer.name} covers IOP at "
                    f"{low or 0:g}-{'any' if high is None else format(high, 'g')} hours/week.",
                )
            )
    if intake.imminent_danger or intake.needs_withdrawal_management:
        findings.append(
            Finding(
                code="level_of_care",
                status="not_met",
                reason="Intake records imminent danger or a need for withdrawal management: "
                "assess for a higher level of care before IOP.",
            )
        )
    elif intake.recommended_level_of_care not in (None, LevelOfCare.IOP):
        findings.append(
            Finding(
                code="level_of_care",
                status="not_met",
                reason=f"The clinician recommends {intake.recommended_level_of_care}, not IOP.",
            )
        )
    return findings
