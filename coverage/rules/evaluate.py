"""Run one coverage_policy or medical_necessity file over a verification's facts.

Pure: facts in, one CriterionResult per check out. The pipeline and `iop-coverage rules test` both
call it, so an example case in a rule file exercises exactly what a verification runs.
"""

from datetime import date
from decimal import Decimal
from typing import Any

from coverage.domain.eligibility import EligibilityResponse
from coverage.domain.findings import CriterionResult, Outcome, Referral
from coverage.domain.payer import PayerConfig
from coverage.domain.request import VerificationRequest
from coverage.rules.book import LoadedRules
from coverage.rules.expressions import VARIABLES, Evaluation, activation
from coverage.rules.policy_schema import CoveragePolicyFile, Criterion, HoursBand, Sourced

_DOUBLE, _INT = VARIABLES["hours_per_week"], VARIABLES["age"]


def age_on(birth: date, on: date) -> int:
    return on.year - birth.year - ((on.month, on.day) < (birth.month, birth.day))


def facts_for(
    request: VerificationRequest,
    payer: PayerConfig | None = None,
    response: EligibilityResponse | None = None,
) -> dict[str, Any]:
    """The declared CEL variables for one verification; unknown values stay None (unbound)."""
    intake, plan = request.intake, request.plan
    return {
        "age": age_on(request.enrollee.birth_date, plan.start_date),
        "state": request.enrollee.state,
        "program": intake.program.value,
        "diagnoses": list(intake.diagnoses),
        "has_sud_diagnosis": intake.has_sud_diagnosis,
        "recommended_level": intake.recommended_level_of_care.value
        if intake.recommended_level_of_care
        else None,
        "ratings": {k: v for k, v in intake.ratings.model_dump().items() if v is not None},
        "needs_withdrawal_management": intake.needs_withdrawal_management,
        "imminent_danger": intake.imminent_danger,
        "stable_housing": intake.stable_housing,
        "level_of_care": plan.level_of_care.value,
        "modality": plan.modality.value,
        "hours_per_week": plan.hours_per_week,
        "hours_per_day": plan.hours_per_day,
        "days_per_week": plan.days_per_week,
        "weeks": plan.weeks,
        "service_days": plan.service_days,
        "payer_type": payer.type.value if payer else None,
        "network": payer.network_status.value if payer else None,
        "coverage_active": response.active if response else None,
        "medicare_qmb": response.medicare_qmb if response else None,
    }


def coerce(facts: dict[str, Any]) -> dict[str, Any]:
    """Example facts come from YAML, where 12 is an int and "12.5" a string: give CEL its types."""
    typed: dict[str, Any] = {}
    for name, value in facts.items():
        kind = VARIABLES[name]
        if value is None:
            typed[name] = None
        elif kind == _DOUBLE:
            typed[name] = float(Decimal(str(value)))
        elif kind == _INT and not isinstance(value, bool):
            typed[name] = int(value)
        else:
            typed[name] = value
    return typed


def evaluate(rules: LoadedRules, facts: dict[str, Any], bound: Any = None) -> list[CriterionResult]:
    """`bound`: the facts' CEL activation, when the caller evaluates several files over them."""
    model = rules.model
    results: list[CriterionResult] = []

    def add(
        check: str,
        outcome: Outcome,
        reason: str,
        inputs: dict[str, Any],
        part: Sourced | None,
        refer_to: Referral | None = None,
        error: str | None = None,
    ) -> None:
        results.append(
            CriterionResult(
                rule=f"{model.id}/{check}",
                file=rules.display,
                check=check,
                outcome=outcome,
                reason=reason,
                inputs=inputs,
                status=(part.status if part and part.status else None) or model.status,
                refer_to=refer_to,
                error=error,
            )
        )

    if isinstance(model, CoveragePolicyFile):
        _coverage_checks(model, facts, add)
    if model.criteria and bound is None:
        bound = activation(facts)
    for criterion in model.criteria:
        compiled = rules.compiled[criterion.id]
        found = compiled.evaluate(bound)
        inputs = {name: facts.get(name) for name in compiled.inputs}
        add(
            criterion.id,
            found.outcome,
            _reason(criterion, found),
            inputs,
            criterion,
            criterion.refer_to if found.outcome == "not_met" else None,
            found.error,
        )
    return results


def _reason(criterion: Criterion, found: Evaluation) -> str:
    if found.outcome == "met":
        return criterion.met
    if found.outcome == "not_met":
        return criterion.not_met
    why = found.why or "the rule could not be evaluated"
    if found.missing is not None:
        why = f"not enough information: {why}"
    return f"{why[0].upper()}{why[1:]}. A clinician must review: {criterion.not_met}"


def _coverage_checks(model: CoveragePolicyFile, facts: dict[str, Any], add: Any) -> None:
    covered = model.covered
    if covered is not None:
        for check, values, fact in (
            ("program", covered.programs, "program"),
            ("level-of-care", covered.levels_of_care, "level_of_care"),
            ("modality", covered.modalities, "modality"),
        ):
            if not values:
                continue
            allowed = [str(v) for v in values]
            value = facts.get(fact)
            if value is None:
                add(check, "unknown", f"No {fact} recorded.", {fact: None}, covered)
            else:
                inside = value in allowed
                add(
                    check,
                    "met" if inside else "not_met",
                    f"{model.name}: {fact.replace('_', ' ')} {value} is "
                    f"{'' if inside else 'not '}covered (covered: {', '.join(allowed)}).",
                    {fact: value},
                    covered,
                )
        if covered.diagnosis_prefixes:
            diagnoses = facts.get("diagnoses") or []
            hit = any(d.startswith(tuple(covered.diagnosis_prefixes)) for d in diagnoses)
            add(
                "diagnosis",
                "met" if hit else "not_met",
                f"{model.name}: {'a' if hit else 'no'} diagnosis in the covered range "
                f"({', '.join(p + '*' for p in covered.diagnosis_prefixes)}).",
                {"diagnoses": diagnoses},
                covered,
            )
    if model.hours_per_week:
        _hours(model, facts, add)


def _hours(model: CoveragePolicyFile, facts: dict[str, Any], add: Any) -> None:
    age, hours = facts.get("age"), facts.get("hours_per_week")
    inputs = {"age": age, "hours_per_week": hours}
    band: HoursBand | None = next(
        (b for b in model.hours_per_week if age is not None and b.covers(age)), None
    )
    if band is None or hours is None:
        add("hours-per-week", "unknown", f"{model.name}: no hours band for this age.", inputs, None)
        return
    weekly = Decimal(str(hours))
    shown = f"{weekly.normalize():f}"
    bounds = (
        f"{band.min_per_week:f}-{band.max_per_week if band.max_per_week is not None else 'any'}"
    )
    if weekly < band.min_per_week:
        add(
            "hours-per-week",
            "not_met",
            f"Planned {shown} hours/week, below the {band.min_per_week:f} minimum for {band.label}"
            + (f": {band.below_min}" if band.below_min else "."),
            inputs,
            band,
        )
    elif band.max_per_week is not None and weekly > band.max_per_week:
        target = f"; {band.above_max.upper()} level of care" if band.above_max else ""
        add(
            "hours-per-week",
            "not_met",
            f"Planned {shown} hours/week is above the {band.max_per_week:f}-hour IOP maximum for "
            f"{band.label}{target}, not IOP.",
            inputs,
            band,
            band.above_max,
        )
    else:
        add(
            "hours-per-week",
            "met",
            f"Planned {shown} hours/week is within {bounds} for {band.label}.",
            inputs,
            band,
        )
    per_day, days = facts.get("hours_per_day"), facts.get("days_per_week")
    if band.min_hours_per_day is not None and per_day is not None:
        ok = Decimal(str(per_day)) >= band.min_hours_per_day
        add(
            "hours-per-day",
            "met" if ok else "not_met",
            f"Planned {Decimal(str(per_day)).normalize():f} hours per service day; {band.label} "
            f"need at least {band.min_hours_per_day:f}.",
            {"hours_per_day": per_day},
            band,
        )
    if band.min_days_per_week is not None and days is not None:
        ok = days >= band.min_days_per_week
        add(
            "days-per-week",
            "met" if ok else "not_met",
            f"Planned {days} days a week; {band.label} need at least {band.min_days_per_week}.",
            {"days_per_week": days},
            band,
        )
