"""One verification, start to finish, as a plain function of a job ID.

Called by the Celery task and, in-process, by the CLI. Each stage commits on its own, so a crash
leaves the job `running` for the sweeper, never half-stored: the result and the final state
change commit together.
"""

import hashlib
import logging
import random
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, timedelta
from decimal import Decimal
from typing import Any, NamedTuple

from sqlalchemy.exc import OperationalError
from sqlmodel import Session

from coverage.adapters import phone_merge
from coverage.adapters.base import PayerAdapter, load_adapters
from coverage.adapters.guard import PayerDeferred, payer_guard
from coverage.core.answer_reuse import cache_seconds, reuse, subject_hash
from coverage.core.reverification import changes_since
from coverage.core.rule_book import RuleBookUnavailable, current_rulebook
from coverage.domain.access import WORKER
from coverage.domain.benefit_choice import choose
from coverage.domain.calendar import service_dates
from coverage.domain.consent import (
    Part2Consent,
    RecipientKind,
    RecipientMatch,
    check_consent,
    consent_needed,
)
from coverage.domain.eligibility import (
    TERM_FIELDS,
    BenefitSplit,
    EligibilityRequest,
    EligibilityResponse,
    OtherPayerRole,
    TermOrigin,
)
from coverage.domain.findings import Assessment
from coverage.domain.gfe import Facility
from coverage.domain.job_state import JobStatus
from coverage.domain.payer import PayerConfig
from coverage.domain.phone import PhoneAnswer, PhoneAnswerRequest
from coverage.domain.request import BehavioralBenefit, Program, VerificationRequest
from coverage.domain.result import PolicyCoverage, VerificationResult
from coverage.errors import (
    ConflictError,
    PayerError,
    PayerPermanentError,
    PayerTransientError,
    RawReply,
)
from coverage.pricing.episode import PricedEpisode, price_episode
from coverage.rules.assessment import assess
from coverage.rules.book import RuleBook
from coverage.rules.errors import RuleLookupError
from coverage.settings import get_settings
from coverage.store import audit, jobs, payer_calls, phone_answers, results
from coverage.store.db import session_scope
from coverage.store.tables import PayerCall, utcnow

log = logging.getLogger(__name__)
# What a result keeps of each payer's answer: PolicyCoverage's own fields.
ANSWERED = set(PolicyCoverage.model_fields) - {"payer_id", "payer_name", "network"}


@dataclass(frozen=True)
class Outcome:
    """What became of one run. `retry_in` is set when the job was released to be tried again."""

    status: JobStatus | None
    retry_in: float | None = None


def backoff(attempt: int, retry_after: float | None = None) -> float:
    """Capped exponential backoff with jitter; never earlier than the payer's Retry-After."""
    settings = get_settings()
    ceiling = min(settings.retry_cap_seconds, settings.retry_base_seconds * 2 ** (attempt - 1))
    delay = ceiling / 2 + random.uniform(0, ceiling / 2)
    return float(max(delay, retry_after or 0.0))


def run(
    job_id: uuid.UUID,
    *,
    rulebook: RuleBook | None = None,
    adapters: dict[str, PayerAdapter] | None = None,
) -> Outcome:
    with session_scope() as session:
        if not jobs.claim(session, job_id=job_id, actor=WORKER):
            log.info("job %s is not due or already taken; nothing to do", job_id)
            return Outcome(status=None)
    with session_scope() as session:
        inputs = jobs.load_inputs(session, job_id=job_id)
        audit.record(
            session,
            actor=WORKER,
            action="enrollee.read",
            entity_type="enrollee",
            entity_id=inputs.job.enrollee_id,
            part2=inputs.job.part2,
        )
    attempt = inputs.job.attempts
    log.info("job %s attempt %d started", job_id, attempt)
    try:
        return _attempt(job_id, attempt, inputs, rulebook, adapters)
    except ConflictError:
        # It ran past the running deadline: the sweeper released the job (or failed it at the
        # attempt cap) and a later attempt owns it now, whose outcome this one must not replace.
        log.warning(
            "job %s attempt %d outlived the running deadline; its outcome is dropped",
            job_id,
            attempt,
        )
        return Outcome(status=None)


def _attempt(
    job_id: uuid.UUID,
    attempt: int,
    inputs: jobs.JobInputs,
    rulebook: RuleBook | None,
    adapters: dict[str, PayerAdapter] | None,
) -> Outcome:
    try:
        book = rulebook or current_rulebook()
        responses = _check_policies(
            job_id, attempt, inputs, book, adapters or dict(load_adapters())
        )
        result, rule_files = _result(inputs.request, responses, book)
        if inputs.job.reverifies is not None:
            with session_scope() as session:
                changes = changes_since(session, inputs.job.reverifies, result)
            result = result.model_copy(update={"coverage_changes": changes})
    except PayerDeferred as exc:
        return _defer(job_id, attempt, exc)
    except PayerTransientError as exc:
        return _release_or_fail(job_id, attempt, exc)
    except PayerPermanentError as exc:
        return _finish(job_id, attempt, JobStatus.NEEDS_INFO, exc.action)
    except RuleBookUnavailable:  # a fresh install whose rules directory has never loaded
        return _finish(
            job_id,
            attempt,
            JobStatus.FAILED,
            "No rule book could be loaded yet, so nothing can be verified. An operator must "
            "fix the rule book (the Rule book page names each problem); then re-run.",
        )
    except RuleLookupError as exc:  # a gap in the rule data, not in the request
        return _finish(
            job_id,
            attempt,
            JobStatus.FAILED,
            f"Rule book gap: {exc}. An operator must fix the rule book (iop-coverage rules "
            "check names the file); then re-run.",
        )
    except OperationalError:
        raise  # the database is unreachable: the task retries, the sweeper has the job otherwise
    except Exception as exc:
        # A bug must not loop, and its text may carry PHI: record only its type.
        log.error("job %s failed: unexpected %s", job_id, type(exc).__name__)
        return _finish(
            job_id,
            attempt,
            JobStatus.FAILED,
            f"Unexpected error ({type(exc).__name__}); the worker log has the details. Re-run once it is fixed.",
        )
    return _finish(
        job_id,
        attempt,
        JobStatus.NEEDS_REVIEW,
        result.review_message,
        result=(result.stored(), rule_files, book.version),
    )


# X12 service types asked (ASC X12 005010X279A1 EQ01): 30 health benefit plan coverage, MH mental
# health, AI substance abuse.
_ASKED = {
    Program.MENTAL_HEALTH: ("30", "MH"),
    Program.SUBSTANCE_USE: ("30", "AI"),
    Program.CO_OCCURRING: ("30", "MH", "AI"),
}


def service_types(program: Program, payer: PayerConfig) -> tuple[str, ...]:
    """A co-occurring program, or any program at a payer whose file says it splits the two
    benefits, asks both: their answers are reconciled when the episode is priced."""
    if payer.splits_mental_health_and_substance_use:
        return _ASKED[Program.CO_OCCURRING]
    return _ASKED[program]


def _check_policies(
    job_id: uuid.UUID,
    attempt: int,
    inputs: jobs.JobInputs,
    book: RuleBook,
    adapters: dict[str, PayerAdapter],
) -> list[tuple[PayerConfig, EligibilityResponse]]:
    request = inputs.request
    days = service_dates(request.plan)
    answers = []
    for policy, policy_id in zip(request.policies, inputs.policy_ids, strict=True):
        payer = book.payers.get(policy.payer_id)
        if payer is None:
            raise PayerPermanentError(
                "unknown payer",
                action=f"Payer {policy.payer_id!r} is not in the payer directory; "
                "pick a listed payer or ask an operator to add it.",
            )
        eligibility = EligibilityRequest(
            payer_id=payer.id,
            provider_npi=get_settings().provider_npi,
            member_id=policy.member_id,
            group_number=policy.group_number,
            first_name=request.enrollee.first_name,
            last_name=request.enrollee.last_name,
            birth_date=request.enrollee.birth_date,
            sex=request.enrollee.sex,
            relationship=policy.relationship,
            subscriber=policy.subscriber,
            service_start=days[0],
            service_end=days[-1],
            service_types=service_types(request.intake.program, payer),
            trace_number=f"{job_id.hex[:20]}{attempt:02d}",
            attempt=attempt,
        )
        asked = _Asker(
            adapters,
            job_id=job_id,
            policy_id=policy_id,
            fresh=inputs.job.fresh_check,
            part2_consents=request.consents if inputs.job.part2 else None,
        )
        answers.append(_with_carve_out(payer, asked(payer, eligibility), eligibility, book, asked))
    return answers


class _Asker:
    """One policy's payer question: a recent answer reused, or the payer asked through its guard.
    For a Part 2 job (`part2_consents` not None) nothing reaches a payer that no valid consent
    names (42 CFR 2.31, 2.33)."""

    def __init__(
        self,
        adapters: dict[str, PayerAdapter],
        *,
        job_id: uuid.UUID,
        policy_id: uuid.UUID,
        fresh: bool,
        part2_consents: list[Part2Consent] | None = None,
    ) -> None:
        self.adapters, self.job_id, self.policy_id, self.fresh = adapters, job_id, policy_id, fresh
        self.part2_consents = part2_consents

    def consent_refusal(self, name: str, *aliases: str) -> str | None:
        """Why this Part 2 job may not contact the recipient (None: it may, or not Part 2)."""
        if self.part2_consents is None:
            return None
        found = check_consent(
            self.part2_consents, is_recipient=RecipientMatch(name, *aliases), today=utcnow().date()
        )
        return None if found.consent else found.refusal

    def __call__(self, payer: PayerConfig, eligibility: EligibilityRequest) -> EligibilityResponse:
        consent = None
        if self.part2_consents is not None:
            found = check_consent(
                self.part2_consents,
                is_recipient=RecipientMatch(payer.id, payer.name, *payer.aliases),
                today=utcnow().date(),
            )
            if found.consent is None:
                raise PayerPermanentError(
                    "part 2 consent", action=consent_needed(payer.name, found.refusal)
                )
            consent = found.consent
        adapter = self.adapters.get(payer.adapter)
        if adapter is None:
            raise PayerPermanentError(
                "no adapter",
                action=f"Payer {payer.id!r} uses adapter {payer.adapter!r}, "
                "which is not installed; an operator must fix the payer file.",
            )
        by_phone = getattr(adapter, "reads_phone_answers", False)
        if by_phone:
            eligibility = _with_phone_answer(eligibility)
        ids = {"job_id": self.job_id, "policy_id": self.policy_id}
        reused = None
        if not self.fresh and cache_seconds(payer) > 0:  # no unit of work when reuse is off
            with session_scope() as session:
                reused = reuse(session, eligibility, payer, **ids)
        if reused is not None:
            response = reused
        else:
            with payer_guard().call(payer):
                response = _ask(adapter, eligibility, payer, disclosure=consent, **ids)
        if by_phone:
            return response
        # A call staff recorded for this job is combined with the electronic answer, whether
        # that answer was just asked for or reused.
        call = _recorded_call(eligibility)
        response = _electronic_origins(response)
        if call is None:
            return response
        return phone_merge.merge(response, call, eligibility)


def _electronic_origins(response: EligibilityResponse) -> EligibilityResponse:
    """An electronic answer without origins (reused from a call stored before origins were
    kept): the terms it states are the electronic answer's."""
    if all(cs.origins for cs in response.cost_sharing):
        return response
    filled = tuple(
        cs
        if cs.origins
        else cs.model_copy(
            update={
                "origins": tuple(
                    TermOrigin(term=term, source="electronic")
                    for term in TERM_FIELDS
                    if cs.stated(term)
                )
            }
        )
        for cs in response.cost_sharing
    )
    return response.model_copy(update={"cost_sharing": filled})


def _recorded_call(eligibility: EligibilityRequest) -> PhoneAnswer | None:
    """The latest call staff recorded for this job, payer and member."""
    with session_scope() as session:
        return phone_answers.latest(
            session,
            trace_number=eligibility.trace_number,
            payer_id=eligibility.payer_id,
            member_id=eligibility.member_id,
        )


def _with_phone_answer(eligibility: EligibilityRequest) -> PhoneAnswerRequest:
    """A payer verified by phone is answered by the call staff recorded for this job."""
    return PhoneAnswerRequest(**dict(eligibility), phone_answer=_recorded_call(eligibility))


def _with_carve_out(
    payer: PayerConfig,
    response: EligibilityResponse,
    eligibility: EligibilityRequest,
    book: RuleBook,
    asked: _Asker,
) -> tuple[PayerConfig, EligibilityResponse]:
    """When the payer names a behavioral-health administrator that has a payer file, asks it once
    and uses its benefits; both answers stay stored as the policy's checks."""
    named = [o for o in response.other_payers if o.role is OtherPayerRole.CARVE_OUT]
    if not named:
        return payer, response
    other = named[0]
    administrator = next(
        (
            p
            for p in book.payers.values()
            if p.id != payer.id and p.known_as(other.name, other.payer_id)
        ),
        None,
    )
    if administrator is None:
        called = other.name or other.payer_id or "the administrator"
        phone = response.administrator_phone(other.name)
        reach = f" (phone {phone})" if phone else ""
        note = (
            f"{payer.name} names {called}{reach} as its behavioral-health "
            "administrator; no payer file matches it, so staff must verify IOP benefits with it."
        )
        refusal = asked.consent_refusal(called, other.payer_id or "")
        if refusal is not None:  # staff are referred to it: say consent comes first
            note += " " + consent_needed(called, refusal).split(". Record")[0] + "."
        return payer, response.model_copy(update={"assumptions": (*response.assumptions, note)})
    follow_up = asked(administrator, eligibility.model_copy(update={"payer_id": administrator.id}))
    note = (
        f"IOP benefits from {administrator.name}, the behavioral-health administrator "
        f"{payer.name} named (carve-out); {payer.name}'s answer is kept with the payer calls."
    )
    # The administrator's contacts came in the medical payer's answer: keep them with the result.
    related = tuple(dict.fromkeys((*response.related_entities, *follow_up.related_entities)))
    return administrator, follow_up.model_copy(
        update={"assumptions": (*follow_up.assumptions, note), "related_entities": related}
    )


def _ask(
    adapter: PayerAdapter,
    eligibility: EligibilityRequest,
    payer: PayerConfig,
    *,
    job_id: uuid.UUID,
    policy_id: uuid.UUID,
    disclosure: Part2Consent | None = None,
) -> EligibilityResponse:
    """One payer call, recorded whatever its outcome (the raw reply encrypted, with its hash);
    for a Part 2 job, with the audit entry of the disclosure and its recipient."""
    check = PayerCall(
        job_id=job_id,
        policy_id=policy_id,
        adapter=payer.adapter,
        outcome="error",  # until the adapter answers or raises a classified error
        payer_id=payer.id,
        subject_hash=subject_hash(eligibility),
        service_start=eligibility.service_start,
        service_end=eligibility.service_end,
    )
    started = time.monotonic()
    try:
        response = adapter.check(eligibility, payer=payer)
    except PayerError as exc:
        check.outcome = "permanent_error" if exc.permanent else "transient_error"
        check.error = exc.action[:500]
        check.reject_code = exc.reject_code
        if exc.reply is not None:
            _keep(check, exc.reply)
            # Kept (encrypted) now: the error travels on without the reply's PHI.
            exc.reply = None
        raise
    else:
        check.outcome = "ok"
        _keep(check, RawReply(payload=response.raw_payload, media_type=response.raw_media_type))
        check.normalized = response.model_dump(mode="json", exclude={"raw_payload"})
        return response
    finally:
        check.elapsed_ms = int((time.monotonic() - started) * 1000)
        with session_scope() as session:
            payer_calls.record(session, call=check)
            if disclosure is not None:
                _audit_disclosure(session, job_id, payer, disclosure.recipient_kind)


def _keep(check: PayerCall, reply: RawReply) -> None:
    """The reply as received, encrypted with the row, and its hash; a reply over the size cap was
    never read, so only that is recorded."""
    if reply.payload is None:
        check.raw = {"media_type": reply.media_type, "payload": None, "not_kept": reply.not_kept}
        return
    check.raw = {"media_type": reply.media_type, "payload": reply.payload}
    check.raw_sha256 = hashlib.sha256(reply.payload.encode()).hexdigest()


def _audit_disclosure(
    session: Session, job_id: uuid.UUID, payer: PayerConfig, kind: RecipientKind
) -> None:
    """A Part 2 record went to a payer: who received it (no PHI: the payer and its role)."""
    audit.record(
        session,
        actor=WORKER,
        action="part2.disclose",
        entity_type="job",
        entity_id=job_id,
        part2=True,
        detail=f"to {payer.name} ({payer.id}), {kind.value.replace('_', ' ')}, purpose payment",
    )


def _result(
    request: VerificationRequest,
    responses: list[tuple[PayerConfig, EligibilityResponse]],
    book: RuleBook,
) -> tuple[VerificationResult, list[dict[str, Any]]]:
    """The one place a result is made: the rule book's findings, then the priced episode."""
    settings = get_settings()
    facility = Facility(
        name=settings.facility_name,
        npi=settings.provider_npi,
        tin=settings.facility_tin,
        address=settings.facility_address,
        state=settings.facility_state,
    )
    issued_on = utcnow().date()

    def price(answers: list[tuple[PayerConfig, EligibilityResponse]]) -> _Priced:
        assessment = assess(request, answers, book)
        episode = price_episode(
            request, answers, book, assessment=assessment, facility=facility, issued_on=issued_on
        )
        return _Priced(assessment, episode)

    responses = _reconciled(request, responses, lambda a: price(a).episode.estimate.patient_total)
    assessment, priced = price(responses)
    result = VerificationResult(
        part2=request.part2,
        coverage=[
            PolicyCoverage(
                payer_id=p.id,
                payer_name=p.name,
                network=p.network_status,
                **r.model_dump(include=ANSWERED),
            )
            for p, r in responses
        ],
        assessment=assessment,
        estimate=priced.estimate,
        sliding_scale=priced.sliding_scale,
        good_faith_estimate=priced.good_faith_estimate,
        drafts_used=list(dict.fromkeys(priced.drafts_used + assessment.drafts_used)),
    )
    return result, [f.model_dump(mode="json") for f in assessment.files]


class _Priced(NamedTuple):
    assessment: Assessment
    episode: PricedEpisode


def _reconciled(
    request: VerificationRequest,
    responses: list[tuple[PayerConfig, EligibilityResponse]],
    patient_total: Callable[[list[tuple[PayerConfig, EligibilityResponse]]], Decimal],
) -> list[tuple[PayerConfig, EligibilityResponse]]:
    """Each answer that holds both benefits priced with one (coverage/domain/benefit_choice.py),
    in policy order: a later policy's choice sees the earlier ones already made."""
    answers = list(responses)
    for index, (payer, response) in enumerate(answers):
        if response.split is not None:
            chosen = _one_benefit(request, answers, index, response.split, patient_total)
            answers[index] = (payer, chosen)
    return answers


def _one_benefit(
    request: VerificationRequest,
    answers: list[tuple[PayerConfig, EligibilityResponse]],
    index: int,
    split: BenefitSplit,
    patient_total: Callable[[list[tuple[PayerConfig, EligibilityResponse]]], Decimal],
) -> EligibilityResponse:
    payer, response = answers[index]

    def using(benefit: BehavioralBenefit) -> EligibilityResponse:
        return response.model_copy(update={"cost_sharing": split.of(benefit), "priced_by": benefit})

    def cost(benefit: BehavioralBenefit) -> Decimal:
        trial = list(answers)
        trial[index] = (payer, using(benefit))
        return patient_total(trial)

    choice = choose(split, request.intake, payer.name, cost)
    chosen = using(choice.benefit)
    return chosen.model_copy(update={"assumptions": (*chosen.assumptions, choice.assumption)})


def _release_or_fail(job_id: uuid.UUID, attempt: int, exc: PayerTransientError) -> Outcome:
    settings = get_settings()
    if attempt >= settings.max_attempts:
        return _finish(
            job_id,
            attempt,
            JobStatus.FAILED,
            f"The payer did not answer after {attempt} attempts ({exc.action}) "
            "Re-run the verification when the payer is back.",
        )
    return _requeue(
        job_id,
        attempt,
        backoff(attempt, exc.retry_after),
        f"Payer unavailable; retry {attempt + 1} of {settings.max_attempts} scheduled",
    )


def _defer(job_id: uuid.UUID, attempt: int, exc: PayerDeferred) -> Outcome:
    """No payer was called: the job waits for it without spending the attempt."""
    limit = get_settings().payer_wait_limit_seconds
    with session_scope() as session:
        created = jobs.get_or_raise(session, job_id=job_id).created_at
    if (utcnow() - created.replace(tzinfo=created.tzinfo or UTC)).total_seconds() > limit:
        return _finish(
            job_id,
            attempt,
            JobStatus.FAILED,
            f"{exc.action} It has not answered for {limit / 3600:g} hours; "
            "re-run the verification when the payer is back.",
        )
    delay = (exc.retry_after or 0.0) + random.uniform(0, 1)  # spread the waiting jobs out
    return _requeue(
        job_id, attempt, delay, f"Waiting for the payer: {exc.action}", attempts=attempt - 1
    )


def _requeue(
    job_id: uuid.UUID, attempt: int, delay: float, message: str, **changes: Any
) -> Outcome:
    with session_scope() as session:
        jobs.transition(
            session,
            job_id=job_id,
            current=JobStatus.RUNNING,
            target=JobStatus.QUEUED,
            actor=WORKER,
            attempt=attempt,
            message=message,
            not_before=utcnow() + timedelta(seconds=delay),
            **changes,
        )
    log.info("job %s released for retry in %.1fs", job_id, delay)
    return Outcome(status=JobStatus.QUEUED, retry_in=delay)


def _finish(
    job_id: uuid.UUID,
    attempt: int,
    status: JobStatus,
    message: str,
    *,
    result: tuple[dict[str, Any], list[dict[str, Any]], str] | None = None,
) -> Outcome:
    """Ends the run; a result and the state change that announces it commit together."""
    with session_scope() as session:
        if result is not None:
            body, rule_files, version = result
            results.save(
                session,
                job_id=job_id,
                body=body,
                rule_files=rule_files,
                rule_book_version=version,
            )
        jobs.transition(
            session,
            job_id=job_id,
            current=JobStatus.RUNNING,
            target=status,
            actor=WORKER,
            attempt=attempt,
            message=message,
        )
    log.info("job %s ended %s", job_id, status.value)
    return Outcome(status=status)


def due_in(job_id: uuid.UUID) -> float | None:
    """Seconds until a queued job may be claimed (0: now); None when it is not queued."""
    with session_scope() as session:
        job = jobs.get_or_raise(session, job_id=job_id)
    if job.status != JobStatus.QUEUED.value:
        return None
    if job.not_before is None:
        return 0.0
    not_before = job.not_before.replace(tzinfo=job.not_before.tzinfo or UTC)
    return max(0.0, (not_before - utcnow()).total_seconds())
