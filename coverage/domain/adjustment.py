"""What billing chose for the patient's printed estimate: one of the result's price options
(`sliding_scale.options[*].kind`) and, if that option offers them, a payment plan in months.

The stored form is the review decision's `adjustment`: {"option": kind, "plan_months": n or null};
{"option": null} goes back to the plain estimate. The latest adjustment wins.
"""

from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from coverage.domain.result import VerificationResult
from coverage.domain.sliding_scale import PaymentPlan
from coverage.errors import InputError


class Adjustment(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    option: str | None = Field(default=None, max_length=40)
    plan_months: int | None = Field(default=None, ge=1, le=120)


class PatientPrice(BaseModel):
    """The amount the printed estimate tells the patient, and how it was arrived at."""

    model_config = ConfigDict(frozen=True)

    label: str
    total: Decimal
    option: str | None  # None: the plain estimate
    requires: str | None = None
    plan: PaymentPlan | None = None


# How the patient's page names an option (the result's labels are written for staff).
PATIENT_LABELS = {
    "full_price": "Self-pay at the full price",
    "hardship_discount": "Your share after a financial-hardship reduction",
}


def check(result: VerificationResult, adjustment: Adjustment) -> Adjustment:
    """The adjustment if this result offers it; otherwise InputError naming what is wrong (field
    and the choices offered, never a patient's value)."""
    if adjustment.option is None:
        if adjustment.plan_months is not None:
            raise InputError("plan_months: choose a price option before a payment plan")
        return adjustment
    options = result.sliding_scale.options
    offered: list[str] = [o.kind for o in options]
    if adjustment.option not in offered:
        raise InputError(
            "option: not a price option of this result; it offers "
            + (", ".join(offered) if offered else "none")
        )
    if adjustment.plan_months is None:
        return adjustment
    chosen = options[offered.index(adjustment.option)]
    months = [p.months for p in chosen.payment_plans]
    if adjustment.plan_months not in months:
        raise InputError(
            "plan_months: not a payment plan of this option; it offers "
            + (", ".join(f"{m} months" for m in months) if months else "none")
        )
    return adjustment


def latest(decisions: Sequence[Mapping[str, Any]]) -> Adjustment | None:
    """The newest "adjust" decision's adjustment (decisions in the order they were made)."""
    for decision in reversed(decisions):
        if decision.get("decision") == "adjust" and decision.get("adjustment") is not None:
            return Adjustment.model_validate(decision["adjustment"])
    return None


def patient_price(result: VerificationResult, adjustment: Adjustment | None) -> PatientPrice:
    """The plain estimate's patient total, or the chosen option (and plan) when billing chose one.

    An adjustment the current result no longer offers (a re-run changed the options) falls back
    to the plain estimate rather than print a price that no longer applies.
    """
    plain = PatientPrice(
        label="Estimated amount you owe",
        total=result.estimate.patient_total,
        option=None,
    )
    if adjustment is None or adjustment.option is None:
        return plain
    try:
        check(result, adjustment)
    except InputError:
        return plain
    chosen = next(o for o in result.sliding_scale.options if o.kind == adjustment.option)
    return PatientPrice(
        label=PATIENT_LABELS.get(adjustment.option, chosen.label),
        total=chosen.total,
        option=adjustment.option,
        requires=chosen.requires,
        plan=next((p for p in chosen.payment_plans if p.months == adjustment.plan_months), None),
    )
