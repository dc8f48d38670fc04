"""Findings from the rule book for one verification: coverage for IOP, medical necessity,
requirements, limits, a referral suggestion and the cost-sharing rules the estimate must apply.

The pipeline calls `assess()`; everything it decides comes from payer_rules/ data, and every
check records the file, reason and inputs behind it (`GET /api/verifications/{id}`,
`iop-coverage rules explain JOB_ID`).
"""

from collections import Counter
from datetime import date
from typing import Any, Literal

from coverage.domain.calendar import (
    plan_year_anchor,
    plan_year_label,
    plan_year_start,
    service_dates,
)
from coverage.domain.eligibility import EligibilityResponse, InsuranceType
from coverage.domain.findings import (
    Assessment,
    CoverageFinding,
    CriterionResult,
    LimitFinding,
    NecessityFinding,
    PricingRules,
    ReferralSuggestion,
    Requirement,
    RuleFileRef,
)
from coverage.domain.money import cents
from coverage.domain.payer import PayerConfig
from coverage.domain.request import LevelOfCare, Plan, VerificationRequest
from coverage.domain.sliding_scale import HUNDRED, pick_guideline
from coverage.rules.book import LoadedRules, RuleBook, carried_note
from coverage.rules.errors import RuleLookupError
from coverage.rules.evaluate import evaluate, facts_for
from coverage.rules.expressions import activation
from coverage.rules.policy_schema import CostSharingRules, CoveragePolicyFile
from coverage.rules.requirements import requirements_for, status_of

_HIGHER = {LevelOfCare.PHP, LevelOfCare.RESIDENTIAL, LevelOfCare.INPATIENT}
PARITY_NOTE = (
    "Parity (MHPAEA): a day or visit limit on a mental-health or substance-use benefit may not be "
    "more restrictive than the plan's limits on comparable medical/surgical benefits; ask the plan "
    "for its comparative analysis before accepting the limit."
)


def assess(
    request: VerificationRequest,
    responses: list[tuple[PayerConfig, EligibilityResponse]],
    book: RuleBook,
) -> Assessment:
    plan = request.plan
    start = plan.start_date
    program = request.intake.program
    used: dict[str, LoadedRules] = {}
    coverage: list[CoverageFinding] = []
    checks: list[CriterionResult] = []
    requirements: list[Requirement] = []
    limits: list[LimitFinding] = []
    cost_sharing: list[PricingRules] = []
    for payer, response in responses:
        facts = facts_for(request, payer, response)
        policies = [
            r
            for r in book.rules_for(payer, program, start)
            if isinstance(r.model, CoveragePolicyFile)
        ]
        used.update({r.display: r for r in policies})
        bound = activation(facts)
        results = [c for r in policies for c in evaluate(r, facts, bound)]
        checks += results
        found = _coverage(payer, response, policies, results)
        coverage.append(found.model_copy(update={"policies": [r.model.id for r in policies]}))
        for rules in policies:
            model = rules.model
            assert isinstance(model, CoveragePolicyFile)
            requirements += requirements_for(payer, model, plan)
            if model.limits is not None:
                limits.append(_limit(payer, response, model, plan))
            if model.cost_sharing is not None:
                cost_sharing.append(
                    _cost_sharing(request, payer, response, model, model.cost_sharing, book)
                )
        reported = _reported_prior_authorization(payer, response, policies, start)
        requirements += [reported] if reported else []

    primary = responses[0][0] if responses else None
    necessity_files = [
        r
        for r in book.rules_for(primary, program, start)
        if not isinstance(r.model, CoveragePolicyFile)
    ]
    used.update({r.display: r for r in necessity_files})
    facts = facts_for(request, *(responses[0] if responses else (None, None)))
    bound = activation(facts)
    criteria = [c for r in necessity_files for c in evaluate(r, facts, bound)]
    necessity = _necessity(criteria, bool(necessity_files))
    referral = _referral(request, checks + criteria)
    unknown = [c.rule for c in checks + criteria if c.outcome == "unknown"]
    return Assessment(
        coverage=coverage,
        medical_necessity=necessity,
        requirements=requirements,
        limits=limits,
        referral=referral,
        pricing_rules=cost_sharing,
        coverage_criteria=checks,
        unknown_rules=unknown,
        drafts_used=_drafts(book, request, responses, checks + criteria, used),
        files=_files(book, request, responses, used),
    )


def _reported_prior_authorization(
    payer: PayerConfig, response: EligibilityResponse, policies: list[LoadedRules], start: date
) -> Requirement | None:
    """The payer's own answer, unless a policy already asks for prior authorization; where a
    policy says none is needed (a state law), the disagreement is shown, not resolved."""
    if not any(cs.prior_auth_required for cs in response.cost_sharing):
        return None
    said = {
        r.model.prior_authorization.required
        for r in policies
        if isinstance(r.model, CoveragePolicyFile) and r.model.prior_authorization
    }
    if "always" in said:
        return None
    text = f"{payer.name} reports prior authorization required for IOP."
    if "never" in said:
        text += " The rule book says none is needed (e.g. a state law); confirm with the payer."
    return Requirement(
        code="prior_authorization",
        text=text,
        due=start,
        rule=f"{payer.id}/eligibility-response",
        status="verified",
    )


def _coverage(
    payer: PayerConfig,
    response: EligibilityResponse,
    policies: list[LoadedRules],
    results: list[CriterionResult],
) -> CoverageFinding:
    if not response.active:
        return CoverageFinding(
            payer_id=payer.id,
            status="not_covered",
            why=[f"{payer.name}: coverage not active for the service dates."],
        )
    if not policies:
        return CoverageFinding(
            payer_id=payer.id,
            status="unknown",
            why=[f"No coverage policy in the rule book applies to {payer.name}."],
        )
    failed = [c.reason for c in results if c.outcome == "not_met"]
    unknown = [f"{c.rule}: {c.reason}" for c in results if c.outcome == "unknown"]
    # Name the policies that say what is covered, not those holding only cost-sharing data.
    covering = [r for r in policies if isinstance(r.model, CoveragePolicyFile) and r.model.covered]
    names = ", ".join(r.model.name for r in covering or policies)
    if failed:
        return CoverageFinding(payer_id=payer.id, status="not_covered", why=failed)
    if unknown:
        return CoverageFinding(payer_id=payer.id, status="unknown", why=unknown)
    carve_out = payer.carve_out_administrators
    why = [f"{payer.name}: IOP covered under {names}."]
    why += [f"Managed by {c.name} ({', '.join(c.programs)})." for c in carve_out]
    return CoverageFinding(payer_id=payer.id, status="covered", why=why)


def _necessity(criteria: list[CriterionResult], any_files: bool) -> NecessityFinding:
    if not any_files:
        return NecessityFinding(
            status="needs_clinical_review",
            why=["No medical-necessity criteria in the rule book apply; a clinician must review."],
            criteria=[],
        )
    failed = [c.reason for c in criteria if c.outcome == "not_met"]
    unknown = [f"{c.rule}: {c.reason}" for c in criteria if c.outcome == "unknown"]
    if failed:
        return NecessityFinding(status="not_met", why=failed, criteria=criteria)
    if unknown:
        return NecessityFinding(status="needs_clinical_review", why=unknown, criteria=criteria)
    return NecessityFinding(status="met", why=["Every criterion is met."], criteria=criteria)


def _referral(
    request: VerificationRequest, results: list[CriterionResult]
) -> ReferralSuggestion | None:
    why = [c.reason for c in results if c.refer_to]
    targets: list[str] = [c.refer_to for c in results if c.refer_to]
    recorded = request.intake.recommended_level_of_care
    if recorded is not None and recorded in _HIGHER:
        why.append(f"The clinician recorded {recorded.value} as the level of care.")
        targets.append(recorded.value)
    if not targets:
        return None
    # Most intensive first: the safest suggestion when several triggers fire.
    order = ["inpatient", "withdrawal_management", "residential", "php", "outpatient"]
    return ReferralSuggestion(to=min(targets, key=order.index), why=list(dict.fromkeys(why)))


def _limit(
    payer: PayerConfig, response: EligibilityResponse, model: CoveragePolicyFile, plan: Plan
) -> LimitFinding:
    """The limit against the planned days of each plan year (it resets with the plan year: the
    payer's reported plan dates, else 1 January), as the estimate counts them."""
    limits = model.limits
    assert limits is not None
    allowed = limits.days_per_year or limits.visits_per_year or 0
    unit: Literal["days", "visits"] = "days" if limits.days_per_year else "visits"
    days = service_dates(plan)
    anchor, _ = plan_year_anchor(
        days[0],
        plan_begin=response.plan_begin,
        plan_end=response.plan_end,
        calendar_year=payer.type is InsuranceType.MEDICARE,
    )
    per_year = Counter(plan_year_start(d, anchor) for d in days)
    over = {start: max(count - allowed, 0) for start, count in per_year.items()}
    planned = len(days)
    text = f"{payer.name} allows {allowed} IOP {unit} a plan year; {planned} planned"
    if len(per_year) == 1:
        text += f": {sum(over.values())} over the limit." if any(over.values()) else "."
    else:
        parts = [
            f"{count} in {plan_year_label(start)}"
            + (f" ({over[start]} over the limit)" if over[start] else "")
            for start, count in sorted(per_year.items())
        ]
        text += ": " + ", ".join(parts) + "."
    parity = PARITY_NOTE if payer.type is InsuranceType.COMMERCIAL else None
    return LimitFinding(
        payer_id=payer.id,
        text=text,
        allowed=allowed,
        planned=planned,
        exceeded=any(over.values()),
        unit=unit,
        over=sum(over.values()),
        parity_note=parity,
        rule=f"{model.id}/limits",
    )


def _cost_sharing(
    request: VerificationRequest,
    payer: PayerConfig,
    response: EligibilityResponse,
    model: CoveragePolicyFile,
    rules: CostSharingRules,
    book: RuleBook,
) -> PricingRules:
    fields: dict[str, Any] = {
        "payer_id": payer.id,
        "rule": f"{model.id}/cost-sharing",
        "status": status_of(model, rules),
        "payer_of_last_resort": rules.payer_of_last_resort,
        "no_balance_billing": rules.no_balance_billing,
    }
    if rules.part_b is not None:
        year = request.plan.start_date.year
        part_b = book.part_b(year)
        fields["part_b_coinsurance"] = part_b.terms.coinsurance
        if part_b.carried(year):  # a year not in the rule book yet: not a verified figure
            fields["status"] = "draft"
    if rules.qmb_owes_nothing and response.medicare_qmb:
        fields["patient_owes_nothing"] = True
        fields["reason"] = (
            "Qualified Medicare Beneficiary: owes no Medicare deductible, coinsurance or copay; "
            "bill Medicaid for the cost sharing, never the patient."
        )
    household = request.household
    if (rules.copay_caps or rules.household_cap_share_of_income) and household is not None:
        start = request.plan.start_date
        guideline = pick_guideline(book.guidelines, state=request.enrollee.state, on=start)
        percent = household.annual_income / guideline.amount(household.size) * HUNDRED
        fields["percent_of_poverty"] = cents(percent)
        band = next((b for b in rules.copay_caps if b.covers(percent)), None)
        if band is not None:
            if band.max_per_day is not None:
                fields["copay_cap_per_day"] = band.max_per_day
            elif band.max_share_of_payment is not None:
                try:
                    paid = book.payer_rate(payer.id, payer.network_status, start).rate.per_day
                except RuleLookupError:
                    paid = None
                if paid is not None:
                    fields["copay_cap_per_day"] = cents(paid * band.max_share_of_payment)
            if band.status == "draft":
                fields["status"] = "draft"
        if rules.household_cap_share_of_income is not None:
            months = 3 if rules.household_cap_period == "quarterly" else 1
            fields["household_cap"] = cents(
                household.annual_income * rules.household_cap_share_of_income * months / 12
            )
            fields["household_cap_period"] = rules.household_cap_period or "monthly"
    return PricingRules(**fields)


def _drafts(
    book: RuleBook,
    request: VerificationRequest,
    responses: list[tuple[PayerConfig, EligibilityResponse]],
    results: list[CriterionResult],
    used: dict[str, LoadedRules],
) -> list[str]:
    start, state = request.plan.start_date, request.enrollee.state
    notes = [f"{c.file}: {c.rule} is draft" for c in results if c.status == "draft"]
    notes += [
        f"{d}: {r.model.kind} {r.model.id} is draft"
        for d, r in used.items()
        if r.model.status == "draft"
    ]
    notes += book.drafts_used(on=start, state=state)
    if any(p.type is InsuranceType.MEDICARE for p, _ in responses) and book.part_b_files:
        part_b = book.part_b(start.year)
        if part_b.carried(start.year):
            notes.append(
                carried_note(
                    f"the Medicare Part B {part_b.year} amounts",
                    part_b.display,
                    date(part_b.year, 12, 31),
                )
            )
    return list(dict.fromkeys(notes))


def _files(
    book: RuleBook,
    request: VerificationRequest,
    responses: list[tuple[PayerConfig, EligibilityResponse]],
    used: dict[str, LoadedRules],
) -> list[RuleFileRef]:
    """The files this verification read: payers, policies and criteria, the fee schedules and
    poverty guidelines in force, and the sliding-scale policy."""
    start = request.plan.start_date
    displays = set(used)
    displays |= {book.payer_files[p.id] for p, _ in responses}
    displays |= book.files_in_force(start, state=request.enrollee.state)
    return [book.ref(d) for d in sorted(displays)]
