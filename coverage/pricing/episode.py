"""Glue: payer answers + rule book -> the estimate, sliding scale and Good Faith Estimate of a result.

Everything here is choosing inputs and saying where they came from; the arithmetic lives in
coverage/domain (calendar, cost_sharing, estimate, cob, sliding_scale, gfe).
"""

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any, Literal, NamedTuple

from coverage.domain.calendar import (
    plan_year_anchor,
    plan_year_label,
    plan_year_start,
    service_dates,
)
from coverage.domain.cost_sharing import lowest
from coverage.domain.eligibility import (
    TERM_FIELDS,
    TERM_LABELS,
    Benefit,
    BenefitKind,
    CostSharing,
    CoverageLevel,
    EligibilityResponse,
    InsuranceType,
    Network,
    TimePeriod,
    term_text,
)
from coverage.domain.estimate import (
    Assumption,
    DayPrice,
    Estimate,
    PolicyTerms,
    Source,
    YearTerms,
    estimate_episode,
    over_weekly_cap,
)
from coverage.domain.findings import Assessment, LimitFinding, PricingRules
from coverage.domain.gfe import Facility, GoodFaithEstimate, build_gfe
from coverage.domain.money import cents, usd
from coverage.domain.payer import PayerConfig
from coverage.domain.request import AuthStatus, PolicyIn, Priority, VerificationRequest
from coverage.domain.sliding_scale import SlidingScaleOptions, sliding_scale
from coverage.rules.book import RuleBook, carried_note

ANNUAL = {TimePeriod.CALENDAR_YEAR, TimePeriod.SERVICE_YEAR, TimePeriod.CONTRACT}
# Only for a payer no coverage policy applies to (the behaviour before the rule book said it).
QMB_TYPES = {InsuranceType.MEDICARE, InsuranceType.MEDICARE_ADVANTAGE}


class PricedEpisode(NamedTuple):
    estimate: Estimate
    sliding_scale: SlidingScaleOptions
    good_faith_estimate: GoodFaithEstimate | None
    drafts_used: list[str]


@dataclass
class _Notes:
    """Assumptions in the order they were made, plus draft rule facts used."""

    items: list[Assumption] = field(default_factory=list)
    drafts: list[str] = field(default_factory=list)

    def add(self, text: str, source: Source) -> None:
        if all(a.text != text for a in self.items):
            self.items.append(Assumption(text=text, source=source))


def _percent(rate: Decimal) -> str:
    return f"{(rate * 100).normalize():f}%"


def _benefit_notes(name: str, cs: CostSharing, medicare: bool, notes: _Notes) -> None:
    if cs.deductible_remaining:
        notes.add(
            f"{name}: deductible remaining {usd(cs.deductible_remaining)} applied first",
            "payer_response",
        )
    else:
        notes.add(f"{name}: no deductible left to meet", "payer_response")
    if medicare:
        pass  # Medicare Part B has no family deductible
    elif cs.family_deductible_remaining is None:
        notes.add(f"{name}: family deductible not reported, individual used", "default")
    else:
        notes.add(
            f"{name}: family deductible remaining {usd(cs.family_deductible_remaining)}; "
            "the lower of individual and family binds",
            "payer_response",
        )
    if cs.copay_per_day:
        when = (
            "after the deductible"
            if cs.copay_applies_after_deductible
            else "from the first day, outside the deductible"
        )
        notes.add(
            f"{name}: copay {usd(cs.copay_per_day)} per service day, {when}", "payer_response"
        )
    if cs.coinsurance:
        notes.add(
            f"{name}: coinsurance {_percent(cs.coinsurance)} of the allowed amount after the "
            "deductible and copay",
            "payer_response",
        )
    oop = lowest(cs.oop_remaining, cs.family_oop_remaining)
    if oop is None:
        notes.add(
            f"{name}: no out-of-pocket maximum reported: the patient's share is not capped",
            "default",
        )
    else:
        notes.add(
            f"{name}: out-of-pocket maximum remaining {usd(oop)} caps the patient's share",
            "payer_response",
        )
    if cs.day_limit_remaining is not None:
        notes.add(
            f"{name}: {cs.day_limit_remaining} covered days remain this plan year; later days are "
            "not covered and shown at the self-pay rate",
            "payer_response",
        )


def _weekly_cap_note(name: str, cs: CostSharing, days: list[date], notes: _Notes) -> None:
    cap = cs.visits_per_week
    if cap is None:
        return
    over = len(over_weekly_cap(days, cap))
    notes.add(
        f"{name}: the payer allows {cap} visits a week; {over} of the {len(days)} planned days "
        "fall over that and are priced as not covered",
        "payer_response",
    )


def _annual(
    benefits: Sequence[Benefit], kind: BenefitKind, level: CoverageLevel, network: Network
) -> Decimal | None:
    """The plan amount (not the remaining one) for the next plan year, if the payer sent it."""
    for benefit in benefits:
        if (
            benefit.kind is kind
            and benefit.coverage_level is level
            and benefit.time_period in ANNUAL
            and benefit.network in (None, network)
            and benefit.amount is not None
        ):
            return benefit.amount
    return None


def _day_limit(benefits: Sequence[Benefit], network: Network) -> int | None:
    for benefit in benefits:
        if (
            benefit.kind is BenefitKind.LIMITATIONS
            and benefit.time_period in ANNUAL
            and benefit.network in (None, network)
            and benefit.quantity is not None
            and benefit.quantity_unit in ("days", "visits")
        ):
            return int(benefit.quantity)
    return None


def _year_anchor(
    payer: PayerConfig, response: EligibilityResponse, start: date, notes: _Notes
) -> date:
    medicare = payer.type is InsuranceType.MEDICARE
    anchor, reported = plan_year_anchor(
        start, plan_begin=response.plan_begin, plan_end=response.plan_end, calendar_year=medicare
    )
    if medicare:
        notes.add(f"{payer.name}: Part B cost sharing runs by calendar year", "rule_file")
    elif reported and response.plan_end is not None:
        notes.add(
            f"{payer.name}: plan year ends {response.plan_end.isoformat()} (payer response); it is "
            "assumed to renew with the same benefits",
            "payer_response",
        )
    elif reported and response.plan_begin is not None:
        notes.add(
            f"{payer.name}: plan year renews on the plan begin date's anniversary "
            f"({response.plan_begin.strftime('%m-%d')})",
            "payer_response",
        )
    else:
        notes.add(f"{payer.name}: plan dates not reported: calendar-year plan assumed", "default")
    return anchor


def _ordinal(n: int) -> str:
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def _apply_limit(
    payer: PayerConfig,
    years: list[YearTerms],
    limit: LimitFinding | None,
    reported_dates: bool,
    notes: _Notes,
) -> list[YearTerms]:
    """A coverage policy's day or visit limit ends coverage as a payer-reported one does (through
    day_limit_remaining, per plan year); where both give one, the tighter applies and the notes
    say which."""
    if limit is None:
        return years
    name, allowed, unit = payer.name, limit.allowed, limit.unit
    counted = (
        "counted by the plan year the payer reported"
        if reported_dates
        else "counted by calendar year"
    )
    per_year = f"{allowed} IOP {unit} per plan year"
    policy = f"the plan's coverage policy allows {per_year} ({counted})"
    out = []
    for index, year in enumerate(years):
        label = plan_year_label(year.start)
        reported = year.cost_sharing.day_limit_remaining
        if reported is not None and reported <= allowed:
            notes.add(
                f"{name}: the payer reports {reported} covered days left in {label}, within the "
                f"{per_year} the plan's coverage policy allows ({counted}); the payer's count "
                f"applies: days after the {_ordinal(reported)} in {label} are priced as not "
                "covered",
                "payer_response",
            )
            out.append(year)
            continue
        than = "" if reported is None else f", fewer than the {reported} the payer reports"
        notes.add(
            f"{name}: {policy}{than}; days after the {_ordinal(allowed)} in {label} are priced "
            "as not covered",
            "rule_file",
        )
        if index == 0 and reported is None:
            notes.add(
                f"{name}: no IOP {unit} used earlier in {label} are known, so all {allowed} the "
                "coverage policy allows are counted as left",
                "default",
            )
        terms = year.cost_sharing.model_copy(update={"day_limit_remaining": allowed})
        out.append(year.model_copy(update={"cost_sharing": terms}))
    return out


def _next_year_terms(
    payer: PayerConfig,
    response: EligibilityResponse,
    first: CostSharing,
    year_start: date,
    book: RuleBook,
    notes: _Notes,
) -> YearTerms:
    label = year_start.isoformat()
    if payer.type is InsuranceType.MEDICARE:
        found = book.part_b(year_start.year)
        part_b, display = found.terms, found.display
        if part_b.status == "draft":
            notes.drafts.append(f"Medicare Part B {year_start.year} ({display})")
        if found.carried(year_start.year):
            notes.add(
                f"{payer.name}: the {year_start.year} Part B amounts are not in the rule book "
                f"yet; from {label} the {found.year} deductible {usd(part_b.deductible)} and "
                f"{_percent(part_b.coinsurance)} coinsurance are carried forward ({display})",
                "default",
            )
            carried = carried_note(
                f"the Medicare Part B {found.year} amounts", display, date(found.year, 12, 31)
            )
            if carried not in notes.drafts:
                notes.drafts.append(carried)
        else:
            notes.add(
                f"{payer.name}: from {label} the {year_start.year} Part B deductible "
                f"{usd(part_b.deductible)} and {_percent(part_b.coinsurance)} coinsurance apply "
                f"({display})",
                "rule_file",
            )
        terms = first.model_copy(
            update={
                "deductible_remaining": part_b.deductible,
                "coinsurance": part_b.coinsurance,
                "family_deductible_remaining": None,
                "day_limit_remaining": None,
            }
        )
        return YearTerms(start=year_start, cost_sharing=terms, source="rule_file")
    network = payer.network_status
    update: dict[str, Any] = {}
    source: Source = "payer_response"
    stated = response.next_year_for(network)
    for field_name, kind, level, what in (
        ("deductible_remaining", BenefitKind.DEDUCTIBLE, CoverageLevel.INDIVIDUAL, "deductible"),
        (
            "family_deductible_remaining",
            BenefitKind.DEDUCTIBLE,
            CoverageLevel.FAMILY,
            "family deductible",
        ),
        (
            "oop_remaining",
            BenefitKind.OUT_OF_POCKET,
            CoverageLevel.INDIVIDUAL,
            "out-of-pocket maximum",
        ),
        (
            "family_oop_remaining",
            BenefitKind.OUT_OF_POCKET,
            CoverageLevel.FAMILY,
            "family out-of-pocket maximum",
        ),
    ):
        if stated is not None and any(TERM_FIELDS[o.term] == field_name for o in stated.origins):
            continue  # a phone call gave next year's amount: used below
        amount = _annual(response.benefits, kind, level, network)
        current = getattr(first, field_name)
        if amount is not None:
            update[field_name] = amount
            notes.add(
                f"{payer.name}: from {label} the full {what} {usd(amount)} applies again",
                "payer_response",
            )
        elif current is not None:
            update[field_name] = current
            source = "default"
            notes.add(
                f"{payer.name}: the plan's full {what} was not reported; from {label} this year's "
                f"remaining {usd(current)} is used, so the patient may owe more",
                "default",
            )
    if first.day_limit_remaining is not None:
        limit = _day_limit(response.benefits, network)
        update["day_limit_remaining"] = limit if limit is not None else first.day_limit_remaining
        if limit is None:
            source = "default"
            notes.add(
                f"{payer.name}: annual day limit not reported; this year's remaining count is used from {label}",
                "default",
            )
    if stated is not None:
        for origin in stated.origins:
            value = stated.value(origin.term)
            update[TERM_FIELDS[origin.term]] = value
            if origin.term == "copay":
                update["copay_applies_after_deductible"] = stated.copay_applies_after_deductible
            notes.add(
                f"{payer.name}: from {label} next plan year's "
                f"{TERM_LABELS[origin.term].lower().removesuffix(' remaining')} "
                f"{term_text(origin.term, value)} "
                f"({origin.describe()})",
                "payer_response",
            )
        update["origins"] = (
            tuple(o for o in first.origins if stated.origin(o.term) is None) + stated.origins
        )
    return YearTerms(start=year_start, cost_sharing=first.model_copy(update=update), source=source)


def _payer_rules(
    payer: PayerConfig, response: EligibilityResponse, assessment: Assessment, notes: _Notes
) -> PricingRules:
    """The rule book's cost-sharing rules for one payer, as the assessment read them.

    A payer no coverage policy applies to keeps the behaviour by payer type (Medicaid pays last
    and may not balance-bill; a QMB owes no Medicare cost sharing), and the estimate says so."""
    found = assessment.pricing_rules_for(payer.id)
    if found is not None:
        return found
    if assessment.has_policy(payer.id):
        return PricingRules(payer_id=payer.id, rule="none", status="verified")
    medicaid = payer.type is InsuranceType.MEDICAID
    notes.add(
        f"{payer.name}: no coverage policy in the rule book applies; payer of last resort, no "
        f"balance billing and QMB protection are taken from the payer type ({payer.type.value})",
        "default",
    )
    return PricingRules(
        payer_id=payer.id,
        rule="default",
        status="default",
        patient_owes_nothing=response.medicare_qmb and payer.type in QMB_TYPES,
        payer_of_last_resort=medicaid,
        no_balance_billing=medicaid,
    )


def _caps(
    payer: PayerConfig, rules: PricingRules, notes: _Notes
) -> tuple[Decimal | None, Decimal | None, Literal["monthly", "quarterly"] | None]:
    """Medicaid's per-day copay cap and household cap from the assessment, with their notes."""
    name, where = payer.name, f"rule {rules.rule}"
    if rules.copay_cap_per_day is not None:
        notes.add(
            f"{name}: cost sharing capped at {usd(rules.copay_cap_per_day)} per service day for "
            f"a household at {rules.percent_of_poverty}% of poverty ({where})",
            "rule_file",
        )
        if rules.status == "draft":
            notes.drafts.append(f"Medicaid copay cap per day ({rules.rule})")
    period: Literal["monthly", "quarterly"] | None = None
    if rules.household_cap is not None:
        period = "quarterly" if rules.household_cap_period == "quarterly" else "monthly"
        notes.add(
            f"{name}: the household's cost sharing is capped at {usd(rules.household_cap)} per "
            f"calendar {'quarter' if period == 'quarterly' else 'month'} (5% of income, {where})",
            "rule_file",
        )
        notes.add(
            f"{name}: no other cost sharing paid by the household in a cap period is known, so "
            "only this episode's counts toward the household cap",
            "default",
        )
    if rules.copay_cap_per_day is not None or rules.household_cap is not None:
        notes.add(
            f"{name}: cost sharing above a cap is paid by the payer (its payment is reduced only "
            "by what the patient may be charged)",
            "default",
        )
    return rules.copay_cap_per_day, rules.household_cap, period


def _coverage_notes(
    payer: PayerConfig, policy: PolicyIn, cs: CostSharing, rules: PricingRules, notes: _Notes
) -> None:
    """What the estimate assumed about protections, network and authorization for one policy."""
    name = payer.name
    if rules.patient_owes_nothing:
        notes.add(
            f"{name}: Qualified Medicare Beneficiary: the patient owes no Medicare deductible or "
            f"coinsurance (rule {rules.rule})",
            "rule_file" if rules.status != "default" else "default",
        )
    if payer.type is InsuranceType.MEDICARE_ADVANTAGE:
        notes.add(
            f"{name}: Medicare Advantage is estimated with its plan's own benefits",
            "payer_response",
        )
    if payer.network_status is Network.OUT:
        if (
            payer.balance_billing
            and not rules.patient_owes_nothing
            and not rules.no_balance_billing
        ):
            notes.add(
                f"{name}: out of network; the facility may balance-bill charge minus allowed (payer file)",
                "rule_file",
            )
        else:
            notes.add(f"{name}: out of network; no balance billing", "rule_file")
    if cs.prior_auth_required:
        auth = policy.authorization
        if auth.status is AuthStatus.APPROVED:
            how = (
                "approved for all days"
                if auth.approved_days is None
                else f"approved for {auth.approved_days} days"
            )
        else:
            how = auth.status.value.replace("_", " ")
        notes.add(f"{name}: prior authorization required; {how} (admissions)", "payer_response")


def _policy_terms(
    request: VerificationRequest,
    policy: PolicyIn,
    priority: Priority,
    payer: PayerConfig,
    response: EligibilityResponse,
    cs: CostSharing,
    days: list[date],
    charges: dict[date, Decimal],
    book: RuleBook,
    rules: PricingRules,
    limit: LimitFinding | None,
    notes: _Notes,
) -> PolicyTerms:
    plan = request.plan
    name = payer.name
    notes.add(
        f"{name}: network status {payer.network_status.value} from the payer file (our contract), "
        "not from the payer response's network flag alone",
        "rule_file",
    )
    for text in response.assumptions:
        notes.add(f"{name}: {text}", "payer_response")
    _benefit_notes(name, cs, payer.type is InsuranceType.MEDICARE, notes)
    _weekly_cap_note(name, cs, days, notes)

    def allowed_on(day: date) -> Decimal:
        if payer.contract == "none":
            notes.add(
                f"{name}: no contract and no allowed amount on file: the facility's full charge "
                "is taken as the allowed amount; the plan's out-of-network allowance is often "
                "lower, so the payer may pay less and the patient owe more",
                "default",
            )
            return charges[day]
        found = book.payer_rate(payer.id, payer.network_status, day)
        rate, display, network = found.rate, found.entry.display, payer.network_status
        drafts = []
        if found.status == "draft":
            drafts.append(
                f"{display}: {payer.id} {network} allowed amount ${rate.per_day} is draft"
            )
        if found.carried_from is not None:
            what = f"the {payer.id} {network} allowed amount"
            drafts.append(carried_note(what, display, found.carried_from))
            notes.add(
                f"{name}: the fee schedule's allowed amounts end {found.carried_from.isoformat()}; "
                f"{usd(rate.per_day)} is carried forward for later service days (not verified)",
                "default",
            )
        notes.drafts += [d for d in drafts if d not in notes.drafts]
        if rate.unit == "per_hour":
            if found.carried_from is None:
                notes.add(
                    f"{name}: allowed {usd(rate.per_day)} per hour x {plan.hours_per_day:g} hours "
                    "per service day",
                    "rule_file",
                )
            return cents(rate.per_day * Decimal(str(plan.hours_per_day)))
        if found.carried_from is None:
            notes.add(
                f"{name}: allowed amount {usd(rate.per_day)} per service day (fee schedule, per "
                "diem)",
                "rule_file",
            )
        return rate.per_day

    allowed = {day: cents(allowed_on(day)) for day in days}
    anchor = _year_anchor(payer, response, days[0], notes)
    starts = sorted({plan_year_start(d, anchor) for d in days})
    years = [YearTerms(start=starts[0], cost_sharing=cs, source="payer_response")]
    years += [_next_year_terms(payer, response, cs, s, book, notes) for s in starts[1:]]
    reported_dates = payer.type is not InsuranceType.MEDICARE and (
        response.plan_begin is not None or response.plan_end is not None
    )
    years = _apply_limit(payer, years, limit, reported_dates, notes)
    _coverage_notes(payer, policy, cs, rules, notes)
    copay_cap, household_cap, period = _caps(payer, rules, notes)
    return PolicyTerms(
        payer_id=payer.id,
        payer_name=name,
        priority=priority,
        insurance_type=payer.type,
        network=payer.network_status,
        balance_billing=payer.balance_billing,
        patient_owes_nothing=rules.patient_owes_nothing,
        payer_of_last_resort=rules.payer_of_last_resort,
        no_balance_billing=rules.no_balance_billing,
        copay_cap_per_day=copay_cap,
        household_cap=household_cap,
        household_cap_period=period,
        auth_required=cs.prior_auth_required,
        authorization=policy.authorization,
        year_anchor=anchor,
        years=tuple(years),
        prices=tuple(DayPrice(date=d, allowed=allowed[d], charge=charges[d]) for d in days),
    )


def coordination_key(
    last_resort: bool, priority: Priority, payer_id: str
) -> tuple[bool, bool, str]:
    """Coordination order: the request's priority, except a payer of last resort pays last.

    Sorting on these keys (never on list position) makes the result independent of input order.
    """
    return (last_resort, priority is not Priority.PRIMARY, payer_id)


def _gfe(
    request: VerificationRequest,
    reason: Literal["uninsured", "self_pay"],
    days: list[date],
    scale: SlidingScaleOptions,
    book: RuleBook,
    full_per_day: Decimal,
    facility: Facility,
    issued_on: date,
) -> GoodFaithEstimate:
    rate, discount = full_per_day, None
    if scale.discount_class is not None:
        chosen = next(
            c for c in book.sliding_scale_policy.classes if c.name == scale.discount_class
        )
        rate = chosen.price_per_day(full_per_day)
        discount = f"sliding scale class {chosen.name}" if rate < full_per_day else None
    service = book.self_pay_schedule(days[0])[1].service  # the schedule that priced the first day
    return build_gfe(
        reason=reason,
        issued_on=issued_on,
        patient_name=f"{request.enrollee.first_name} {request.enrollee.last_name}",
        patient_birth_date=request.enrollee.birth_date,
        service_dates=days,
        days_per_week=request.plan.days_per_week,
        hours_per_day=request.plan.hours_per_day,
        service_code=service.code,
        service_description=service.description,
        diagnosis_codes=tuple(request.intake.diagnoses),
        full_rate=full_per_day,
        rate=rate,
        discount=discount,
        facility=facility,
        scheduled_on=request.plan.scheduled_on,
        requested_on=request.gfe_requested_on,
    )


def price_episode(
    request: VerificationRequest,
    responses: Sequence[tuple[PayerConfig, EligibilityResponse]],
    book: RuleBook,
    *,
    assessment: Assessment,
    facility: Facility,
    issued_on: date,
) -> PricedEpisode:
    """The estimate, sliding scale and Good Faith Estimate of a result, and the draft rule facts
    they used. `responses` are in the order of request.policies; `assessment` is
    assess() over the same responses: its cost-sharing rules drive protections and caps."""
    plan = request.plan
    days = service_dates(plan)
    notes = _Notes()
    notes.add(
        f"{len(days)} service days: {plan.days_per_week} per week for {plan.weeks} weeks"
        + (
            f" on {', '.join(w.value for w in plan.weekdays)}"
            if plan.weekdays
            else ", weekdays first"
        )
        + f", {plan.hours_per_day:g} hours a day ({plan.hours_per_week:g} hours a week); holidays not considered",
        "default",
    )
    charges = {day: cents(book.self_pay_per_day(day)) for day in days}
    notes.add(
        f"Facility charge (self-pay rate) {usd(charges[days[0]])} per service day (fee schedule)",
        "rule_file",
    )
    terms: list[PolicyTerms] = []
    if request.self_pay:
        notes.add(
            "The enrollee chose to pay themselves: no claim goes to any payer (self-pay)", "default"
        )
    rules = {p.id: _payer_rules(p, r, assessment, notes) for p, r in responses}
    pairs = sorted(
        zip(request.policies, responses, strict=True),
        key=lambda pr: coordination_key(
            rules[pr[1][0].id].payer_of_last_resort, pr[0].priority, pr[1][0].id
        ),
    )
    for policy, (payer, response) in pairs:
        if request.self_pay:
            break
        cs = response.cost_sharing_for(payer.network_status) if response.active else None
        if cs is None:
            why = (
                "coverage not active"
                if not response.active
                else f"no IOP benefit reported for {payer.network_status.value}"
            )
            notes.add(
                f"{payer.name}: {why}; this policy is not used in the estimate", "payer_response"
            )
            continue
        role = Priority.SECONDARY if terms else Priority.PRIMARY
        if role is not policy.priority:
            notes.add(
                f"{payer.name}: listed as {policy.priority.value}, estimated as {role.value} "
                "(a payer of last resort pays last; an unusable policy is skipped)",
                "default",
            )
        terms.append(
            _policy_terms(
                request,
                policy,
                role,
                payer,
                response,
                cs,
                days,
                charges,
                book,
                rules[payer.id],
                assessment.limit_for(payer.id),
                notes,
            )
        )
    ordered = terms
    if len(ordered) > 1:
        notes.add(
            f"Coordination of benefits: {ordered[0].payer_name} primary, {ordered[1].payer_name} "
            "secondary; the secondary pays what it would as primary, at most the patient's "
            "remaining share, and its accumulators are walked as if it were primary",
            "default",
        )
        last = ordered[1]
        if last.no_balance_billing:
            source = rules[last.payer_id]
            notes.add(
                f"{last.payer_name} forbids balance billing (rule {source.rule}): on days it "
                "covers as secondary the patient owes $0.00 and the rest is written off",
                "default" if source.status == "default" else "rule_file",
            )
    if not ordered:
        notes.add(
            "No usable coverage for IOP: the patient pays the full charge per day (self-pay)",
            "default",
        )
    if request.household is not None:
        guideline = book.guideline(state=request.enrollee.state, on=plan.start_date)
        if guideline.carried_from is not None:
            notes.add(
                f"The {guideline.guideline.year} poverty guidelines end "
                f"{guideline.carried_from.isoformat()} and are still used wherever the household's "
                "percent of poverty counts (the sliding scale, Medicaid's caps): the newer "
                "guidelines are not in the rule book yet",
                "default",
            )
    self_pay = [DayPrice(date=d, allowed=charges[d], charge=charges[d]) for d in days]
    estimate: Estimate = estimate_episode(
        plan=plan, policies=ordered, self_pay=self_pay, assumptions=notes.items
    )
    scale = sliding_scale(
        household=request.household,
        state=request.enrollee.state,
        start_date=plan.start_date,
        service_days=len(days),
        weeks=plan.weeks,
        self_pay_per_day=charges[days[0]],
        guidelines=book.guidelines,
        policy=book.sliding_scale_policy,
        insured_patient_share=estimate.patient_total if ordered else None,
    )
    uninsured = not request.policies or not any(r.active for _, r in responses)
    reason: Literal["uninsured", "self_pay"] | None = (
        "self_pay" if request.self_pay else "uninsured" if uninsured else None
    )
    gfe = (
        _gfe(request, reason, days, scale, book, charges[days[0]], facility, issued_on)
        if reason
        else None
    )
    return PricedEpisode(estimate, scale, gfe, notes.drafts)
