"""Which benefit prices an IOP episode when a payer answered mental health and substance use
separately (docs/mental-health-and-substance-use.md).

The claim is billed under one first-listed diagnosis (ICD-10-CM Official Guidelines for Coding
and Reporting, Section IV), and the payer applies the benefit of that condition. A mental-health
or substance-use program is billed under its own condition; a co-occurring one under the
condition the intake names as primary. When the intake names none, the benefit that costs the
patient more prices the episode: an estimate that is too low is the harm to avoid.
"""

from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal

from coverage.domain.eligibility import BenefitSplit
from coverage.domain.money import usd
from coverage.domain.request import BehavioralBenefit, Intake, Program

MH, SUD = BehavioralBenefit.MENTAL_HEALTH, BehavioralBenefit.SUBSTANCE_USE


@dataclass(frozen=True, slots=True)
class BenefitChoice:
    benefit: BehavioralBenefit
    assumption: str  # both benefits in plain words, and which one priced and why


def billed_under(intake: Intake) -> tuple[BehavioralBenefit | None, str]:
    """The condition the claim is billed under, and where that comes from (None: not known)."""
    if intake.program is Program.MENTAL_HEALTH:
        return MH, "the program"
    if intake.program is Program.SUBSTANCE_USE:
        return SUD, "the program"
    if intake.primary_condition is not None:
        return intake.primary_condition, "the primary condition on the intake"
    return None, ""


def choose(
    split: BenefitSplit,
    intake: Intake,
    payer_name: str,
    patient_cost: Callable[[BehavioralBenefit], Decimal],
) -> BenefitChoice:
    """`patient_cost` prices the whole episode with one benefit; it is called only when the
    intake does not settle the choice and both benefits have cost sharing."""
    said = (
        f"{payer_name} answers mental health and substance use benefits separately: mental "
        f"health: {split.mental_health_said}; substance use: {split.substance_use_said}."
    )
    billed, why = billed_under(intake)
    if billed is not None:
        return BenefitChoice(
            billed,
            f"{said} The claim is billed under {billed.label} ({why}), so the {billed.label} "
            "benefit prices the episode.",
        )
    priced = [b for b in (MH, SUD) if split.of(b)]
    if len(priced) == 1:
        [only] = priced
        other = SUD if only is MH else MH
        return BenefitChoice(
            only,
            f"{said} Only the {only.label} benefit has cost sharing to price with, so it prices "
            f"the episode; if the claim is billed under {other.label}, this estimate does not "
            "hold.",
        )
    if not priced:
        return BenefitChoice(
            MH,
            f"{said} Neither states cost sharing; the episode is priced as mental health.",
        )
    costs = {b: patient_cost(b) for b in (MH, SUD)}
    if costs[MH] == costs[SUD]:
        return BenefitChoice(
            MH,
            f"{said} The intake names no primary condition; both cost the patient "
            f"{usd(costs[MH])} for the episode, priced here with the mental health benefit.",
        )
    costlier = max(costs, key=lambda b: costs[b])
    other = SUD if costlier is MH else MH
    return BenefitChoice(
        costlier,
        f"{said} The intake names no primary condition, so the episode is priced with the "
        f"{costlier.label} benefit, the one that costs the patient more ({usd(costs[costlier])} "
        f"against {usd(costs[other])} with the {other.label} benefit): an estimate that is too "
        "low is the harm to avoid.",
    )
