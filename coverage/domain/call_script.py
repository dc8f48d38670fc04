"""The call script: what staff ask a payer's representative when the electronic answer (or the
lack of one) leaves a gap, each question with what is known already and why it is asked.

Pure: built from the request, the payer file, the payer's normalized answer and the result, if
any. Only gaps are asked; what the answer already said is not read aloud again but listed as
`known` (a shorter call, and the representative is not asked to repeat the 271). A question whose
topic is partly known carries that part in its own `known` line, so staff can confirm it in passing.
"""

from datetime import date
from decimal import Decimal
from enum import StrEnum

from pydantic import BaseModel, ConfigDict

from coverage.domain.calendar import service_dates
from coverage.domain.consent import RecipientMatch, check_consent
from coverage.domain.eligibility import (
    CostSharing,
    EligibilityResponse,
    InsuranceType,
    Network,
    OtherPayerRole,
)
from coverage.domain.payer import PayerConfig
from coverage.domain.request import Modality, Program, VerificationRequest
from coverage.domain.result import VerificationResult

MEDICARE = frozenset({InsuranceType.MEDICARE, InsuranceType.MEDICARE_ADVANTAGE})


class Topic(StrEnum):
    BENEFIT = "benefit"
    PLACE_OF_SERVICE = "place_of_service"
    AUTHORIZATION = "authorization"
    LIMITS = "limits"
    CARVE_OUT = "carve_out"
    ACCREDITATION = "accreditation"
    OUT_OF_NETWORK = "out_of_network"
    PLAN_YEAR = "plan_year"
    COST_SHARING = "cost_sharing"
    TELEHEALTH = "telehealth"
    MEDICARE = "medicare"


TOPIC_TITLES = {
    Topic.BENEFIT: "Mental health or substance use benefit",
    Topic.PLACE_OF_SERVICE: "Place of service and revenue code",
    Topic.AUTHORIZATION: "Authorization and who grants it",
    Topic.LIMITS: "Visit or day limits",
    Topic.CARVE_OUT: "Behavioral health administrator",
    Topic.ACCREDITATION: "Accreditation and licensure",
    Topic.OUT_OF_NETWORK: "Out-of-network benefits and balance billing",
    Topic.PLAN_YEAR: "Plan year and amounts left to meet",
    Topic.COST_SHARING: "Copay, deductible and coinsurance",
    Topic.TELEHEALTH: "Telehealth",
    Topic.MEDICARE: "Medicare plan type and QMB",
}


class _Frozen(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Question(_Frozen):
    topic: Topic
    ask: str  # read aloud to the representative
    known: str | None  # what we know already (pre-filled), in plain words
    why: str
    fills: tuple[str, ...]  # the phone-answer form's fields this answer goes in

    @property
    def title(self) -> str:
        return TOPIC_TITLES[self.topic]


class ScriptHeader(_Frozen):
    """PHI (member name, ID and birth date): shown on the page only, never in a URL or a log."""

    payer_name: str
    payer_phone: str | None
    member_name: str
    member_id: str
    member_birth_date: date  # the representative asks for it to find the member
    priority: str
    plan_name: str | None
    service_start: date
    service_end: date
    provider_npi: str


class CallScript(_Frozen):
    policy: int  # 0 = primary
    header: ScriptHeader
    # A Part 2 job without the patient's consent to this payer: the call is not to be made.
    consent_needed: str | None = None
    questions: tuple[Question, ...]
    known: tuple[str, ...]  # what the payer's answer already said: not asked again

    @property
    def topics(self) -> tuple[Topic, ...]:
        return tuple(q.topic for q in self.questions)


def _money(amount: Decimal) -> str:
    return f"${amount:,.2f}".removesuffix(".00")  # amounts arrive in cents already


def _percent(share: Decimal) -> str:
    return f"{(share * 100).normalize():f}%"


def _program_words(program: Program) -> str:
    return {
        Program.MENTAL_HEALTH: "mental health",
        Program.SUBSTANCE_USE: "substance use",
        Program.CO_OCCURRING: "mental health and substance use",
    }[program]


def _cost_words(cs: CostSharing) -> str:
    parts = [
        f"{_money(cs.copay_per_day)} copay a day" if cs.copay_per_day else "no copay",
        f"{_percent(cs.coinsurance)} coinsurance",
        f"{_money(cs.deductible_remaining)} of the deductible left",
    ]
    if cs.oop_remaining is not None:
        parts.append(f"{_money(cs.oop_remaining)} left to the out-of-pocket maximum")
    return ", ".join(parts)


def consent_before_calling(
    request: VerificationRequest, payer: PayerConfig, *, today: date
) -> str | None:
    """What a Part 2 job lacks before its payer may be told of it by phone (the electronic check's
    own consent check, coverage.pipeline); None: nothing (or not Part 2)."""
    if not request.part2:
        return None
    found = check_consent(
        request.consents,
        is_recipient=RecipientMatch(payer.id, payer.name, *payer.aliases),
        today=today,
    )
    if found.consent is not None:
        return None
    return (
        f"Record the patient's consent to disclose to {payer.name} before calling (Part 2 "
        f"consent: {found.refusal})."
    )


def build(
    request: VerificationRequest,
    *,
    policy: int,
    payer: PayerConfig,
    answer: EligibilityResponse | None,
    result: VerificationResult | None,
    provider_npi: str,
) -> CallScript:
    """The script for the `policy`-th policy (0 = primary); `answer` is that payer's latest
    normalized answer (None: it gave none, or it is verified by phone only)."""
    asked = request.policies[policy]
    program = _program_words(request.intake.program)
    network = payer.network_status
    cs = answer.cost_sharing_for(network) if answer else None
    benefits = answer.benefits if answer else ()
    assessment = result.assessment if result else None
    plan = request.plan
    days = service_dates(plan)
    service_end = days[-1]
    questions: list[Question] = []
    known: list[str] = []

    def ask(
        topic: Topic, text: str, why: str, fills: tuple[str, ...], have: str | None = None
    ) -> None:
        questions.append(Question(topic=topic, ask=text, known=have, why=why, fills=fills))

    if answer is not None:
        known.append(
            f"Coverage is {'active' if answer.active else 'not active'}"
            + (f", plan “{answer.plan_name}”" if answer.plan_name else "")
            + "."
        )

    # The IOP benefit itself: without an IOP line, nothing about the program's cost is known.
    no_answer = "The payer has not answered electronically."
    no_line = (
        no_answer
        if answer is None
        else "The electronic answer says the plan is active but has no line for intensive "
        "outpatient treatment."
    )
    if cs is None:
        ask(
            Topic.BENEFIT,
            f"Does the plan cover intensive outpatient {program} treatment for this member, and "
            "under which benefit: mental health or substance use?",
            "Some plans cover intensive outpatient treatment under only one of the two benefits, "
            "with different amounts.",
            ("active", "plan_name"),
            no_line,
        )
        revenue = (
            "revenue code 0905 (intensive outpatient, mental health)"
            if request.intake.program is Program.MENTAL_HEALTH
            else "the intensive outpatient revenue code they expect for substance use treatment"
        )
        ask(
            Topic.PLACE_OF_SERVICE,
            f"Is intensive outpatient treatment covered at our place of service, billed with "
            f"{revenue}?",
            "A plan may cover the program in one setting and not another, or only under some "
            "revenue codes.",
            ("place_of_service",),
        )
    else:
        where = "In network" if network is Network.IN else "Out of network"
        known.append(f"{where}: {_cost_words(cs)}.")

    # Authorization: a 271 says it per line when it says it at all.
    stated_auth = [b.auth_required for b in benefits if b.auth_required is not None]
    rule_auth = [
        r
        for r in (assessment.requirements if assessment else [])
        if r.code == "prior_authorization"
    ]
    if stated_auth:
        known.append(
            "Prior authorization is required."
            if any(stated_auth)
            else "Prior authorization is not required."
        )
    else:
        said = []
        if answer is not None:
            said.append(
                "The electronic answer did not say whether intensive outpatient treatment needs "
                "prior authorization."
            )
        if rule_auth:
            said.append(f"Our rule book says: {rule_auth[0].text}")
        have = " ".join(said) or None
        ask(
            Topic.AUTHORIZATION,
            "Does intensive outpatient treatment need prior authorization, and who grants it "
            "(the plan or another company)? What is their phone or fax number?",
            "Without an authorization the payer may refuse the claim.",
            ("auth_required",),
            have,
        )

    # Limits: a day limit and how many are used.
    limit = assessment.limit_for(asked.payer_id) if assessment else None
    if cs is not None and cs.day_limit_remaining is not None:
        known.append(f"{cs.day_limit_remaining} intensive outpatient days are left this plan year.")
    else:
        ask(
            Topic.LIMITS,
            "Is there a limit on intensive outpatient days or visits per plan year, and how many "
            "has the member used?",
            f"We plan {plan.days_per_week} days a week for {plan.weeks} weeks; days past a limit "
            "are the patient's to pay.",
            ("visit_limit", "visits_remaining"),
            f"Our rule book says: {limit.text}" if limit else None,
        )

    # Carve-out: the company that manages behavioral health, named by the answer or payer file.
    named = [
        p.name
        for p in (answer.other_payers if answer else ())
        if p.role is OtherPayerRole.CARVE_OUT and p.name
    ]
    carve = payer.carve_out_for(request.intake.program)
    if named or carve:
        who = named[0] if named else carve.name if carve else ""
        ask(
            Topic.CARVE_OUT,
            f"Is behavioral health for this member managed by {who}? What is their phone number "
            "for benefits and authorization?",
            "When another company manages behavioral health, its answer decides the benefits; "
            "the call may need to go to them.",
            ("notes",),
            f"{'The electronic answer' if named else 'Our payer file'} names {who}.",
        )
    elif cs is None:
        ask(
            Topic.CARVE_OUT,
            "Is behavioral health managed by another company for this plan? If so, which one, "
            "and what is their phone number?",
            "When another company manages behavioral health, the call may need to go to them.",
            ("notes",),
        )

    if cs is None:
        ask(
            Topic.ACCREDITATION,
            "Does the plan require an accreditation or a state license for intensive outpatient "
            "programs to be paid?",
            "Some plans pay only accredited or licensed programs.",
            ("notes",),
        )

    # Out of network: our facility is not in the plan's network.
    if network is Network.OUT or payer.contract == "none":
        ask(
            Topic.OUT_OF_NETWORK,
            "What does the plan pay out of network for intensive outpatient treatment, and may "
            "the patient be billed the difference (balance billing)?",
            "We are not in this plan's network: the patient's share can be much larger.",
            ("network", "coinsurance", "deductible_remaining", "oop_remaining"),
            "Our payer file says balance billing is "
            + ("allowed." if payer.balance_billing else "not allowed."),
        )

    # Plan year: dates, and next year's amounts when the episode runs past the plan's end (or,
    # the plan's dates unknown, past 31 December).
    plan_end = answer.plan_end if answer else None
    next_fields = ("next_deductible", "next_oop", "next_copay", "next_coinsurance")
    next_amounts = "what will the deductible, out-of-pocket maximum, copay and coinsurance be then?"
    if answer is None or answer.plan_begin is None or plan_end is None:
        crosses = service_end.year > days[0].year
        text = (
            "When does the plan year begin and end? How much of the deductible is left to meet, "
            "and how much of the out-of-pocket maximum?"
        )
        if crosses:
            text += f" If the plan year ends before {service_end:%m/%d/%Y}: {next_amounts}"
        ask(
            Topic.PLAN_YEAR,
            text,
            "Amounts reset at the start of a plan year; what is left to meet sets the patient's "
            "share.",
            ("plan_begin", "plan_end", "deductible_remaining", "oop_remaining")
            + (next_fields if crosses else ()),
        )
    elif plan_end < service_end:
        ask(
            Topic.PLAN_YEAR,
            f"The treatment runs into the next plan year: {next_amounts}",
            "Amounts reset at the start of a plan year and may change.",
            next_fields,
            f"The plan year ends on {plan_end:%m/%d/%Y}.",
        )

    # Cost sharing: all of it when there is no IOP line; the copay's order otherwise.
    if cs is None:
        ask(
            Topic.COST_SHARING,
            "What does the member pay for an intensive outpatient day: a copay, coinsurance, or "
            "both? Is the copay owed only after the deductible is met, or from the first visit?",
            "These amounts make the patient's estimate.",
            ("copay", "copay_after_deductible", "coinsurance"),
        )
    elif cs.copay_per_day and cs.deductible_remaining:
        ask(
            Topic.COST_SHARING,
            f"Is the {_money(cs.copay_per_day)} copay owed only after the deductible is met, or "
            "from the first visit?",
            "The electronic answer cannot say it, and it changes what the patient owes until the "
            "deductible is met.",
            ("copay", "copay_after_deductible"),
            f"The electronic answer says {_cost_words(cs)}.",
        )

    if plan.modality is Modality.TELEHEALTH:
        ask(
            Topic.TELEHEALTH,
            "Is intensive outpatient treatment covered by telehealth, at the same amounts?",
            "The patient is planned to attend by telehealth.",
            ("place_of_service", "notes"),
        )

    insurance = answer.insurance_type if answer else payer.type
    if (insurance in MEDICARE or payer.type in MEDICARE) and not (answer and answer.medicare_qmb):
        ask(
            Topic.MEDICARE,
            "Is this Original Medicare or a Medicare Advantage plan? Is the member a Qualified "
            "Medicare Beneficiary (QMB)?",
            "A QMB owes no Medicare cost sharing and must not be billed for it.",
            ("insurance_type", "medicare_qmb"),
        )

    name = f"{request.enrollee.first_name} {request.enrollee.last_name}"
    header = ScriptHeader(
        payer_name=payer.name,
        payer_phone=payer.settings.get("phone")
        if isinstance(payer.settings.get("phone"), str)
        else None,
        member_name=name,
        member_id=asked.member_id,
        member_birth_date=request.enrollee.birth_date,
        priority=asked.priority.value,
        plan_name=answer.plan_name if answer else None,
        service_start=days[0],
        service_end=service_end,
        provider_npi=provider_npi,
    )
    return CallScript(
        policy=policy,
        header=header,
        questions=tuple(questions),
        known=tuple(known),
        consent_needed=consent_before_calling(request, payer, today=date.today()),
    )
