"""What staff read: each read of PHI leaves an audit entry; lists carry no PHI."""

import uuid
from datetime import datetime

from fhir.resources.R4B.coverageeligibilityresponse import CoverageEligibilityResponse
from sqlmodel import Session

from coverage.core.rule_book import payers_in_force
from coverage.core.views import (
    JobDetail,
    JobList,
    JobSummary,
    PayerCallPublic,
    ReviewPublic,
    StaffJobSummary,
)
from coverage.domain import call_script
from coverage.domain.access import Actor, Role
from coverage.domain.calendar import service_dates
from coverage.domain.call_script import CallScript
from coverage.domain.consent import PART2_NOTICE
from coverage.domain.eligibility import EligibilityResponse
from coverage.domain.findings import RuleFileRef
from coverage.domain.job_state import JobStatus
from coverage.domain.phone import PhoneAnswer
from coverage.domain.result import VerificationResult
from coverage.errors import NotFoundError
from coverage.fhir.writer import PolicyAnswer, coverage_eligibility_response, with_part2_notice
from coverage.settings import get_settings
from coverage.store import audit, jobs, payer_calls, phone_answers, results, reviews
from coverage.store.db import session_scope
from coverage.store.tables import VerificationJob


def visible(job: VerificationJob, actor: Actor) -> bool:
    """Admissions staff see the jobs they submitted; billing sees all."""
    return actor.role is Role.BILLING or job.submitter == actor.name


def _read_job(session: Session, *, job_id: uuid.UUID, actor: Actor) -> VerificationJob:
    """The job if this actor may see it, with the audit entry for reading it (committed by the
    caller with the rest of the read)."""
    job = session.get(VerificationJob, job_id)
    if job is None or not visible(job, actor):
        raise NotFoundError(f"no verification job {job_id}")
    audit.record(
        session,
        actor=actor,
        action="job.read",
        entity_type="job",
        entity_id=job_id,
        part2=job.part2,
    )
    return job


def job_detail(session: Session, *, job_id: uuid.UUID, actor: Actor) -> JobDetail:
    job = _read_job(session, job_id=job_id, actor=actor)
    inputs = jobs.load_inputs(session, job_id=job_id)
    result = results.get(session, job_id=job_id)
    detail = JobDetail(
        id=job.id,
        status=JobStatus(job.status),
        part2=job.part2,
        message=job.message,
        attempts=job.attempts,
        created_at=job.created_at,
        request=inputs.request,
        consent_ids=inputs.consent_ids,
        result=VerificationResult.read(result.body) if result else None,
        rule_files=[RuleFileRef.model_validate(f) for f in result.rule_files] if result else [],
        rule_book_version=result.rule_book_version if result else None,
        payer_calls=[
            PayerCallPublic.model_validate(c, from_attributes=True)
            for c in payer_calls.list_for(session, job_id=job_id)
        ],
        reviews=[
            ReviewPublic.model_validate(r, from_attributes=True)
            for r in reviews.list_for(session, job_id=job_id)
        ],
        stranded=jobs.stranded(session, job_id=job_id),
    )
    session.commit()
    return detail


def job_list(
    session: Session,
    *,
    actor: Actor,
    status: JobStatus | None,
    limit: int,
    offset: int,
    payer_id: str | None = None,
    created_from: datetime | None = None,
    created_before: datetime | None = None,
    oldest_first: bool = False,
    initials: bool = False,
) -> JobList:
    """One page of jobs this actor may see. `initials` adds "J.S." per row (web list only)."""
    submitter = None if actor.role is Role.BILLING else actor.name
    rows = jobs.list_(
        session,
        status=status,
        submitter=submitter,
        payer_id=payer_id,
        created_from=created_from,
        created_before=created_before,
        oldest_first=oldest_first,
        limit=limit,
        offset=offset,
    )
    enrollee_ids = [job.enrollee_id for job in rows]
    policies = jobs.policies_by_enrollee(session, enrollee_ids=enrollee_ids)
    names = jobs.initials_by_enrollee(session, enrollee_ids=enrollee_ids) if initials else {}
    data = [
        (StaffJobSummary if initials else JobSummary)(
            id=job.id,
            status=JobStatus(job.status),
            part2=job.part2,
            message=job.message,
            created_at=job.created_at,
            payer_ids=[p.payer_id for p in policies[job.enrollee_id]],
            # list views show at most the last 4 characters of a member ID
            member_ids=[
                "****" + str(p.member["member_id"])[-4:] for p in policies[job.enrollee_id]
            ],
            **({"initials": names[job.enrollee_id]} if initials else {}),
        )
        for job in rows
    ]
    audit.record(
        session,
        actor=actor,
        action="job.list",
        entity_type="job",
        entity_id="*",
        detail=f"{len(data)} rows, status={status.value if status else 'any'}",
    )
    session.commit()
    return JobList(data=data, count=len(data))


def job_fhir(
    session: Session, *, job_id: uuid.UUID, actor: Actor, policy: int
) -> CoverageEligibilityResponse:
    """The payer's latest answer for one policy (0 = primary) as a FHIR resource; audited."""
    job = _read_job(session, job_id=job_id, actor=actor)
    inputs = jobs.load_inputs(session, job_id=job_id)
    if not 0 <= policy < len(inputs.policy_ids):
        raise NotFoundError(f"verification job {job_id} has no policy {policy}")
    policy_id = inputs.policy_ids[policy]
    payer_id = inputs.request.policies[policy].payer_id
    payer = payers_in_force().get(payer_id)
    checks = [c for c in payer_calls.list_for(session, job_id=job_id) if c.policy_id == policy_id]
    last = max(checks, key=lambda c: c.attempt, default=None)
    answered = last is not None and last.outcome in ("ok", "reused") and last.normalized is not None
    days = service_dates(inputs.request.plan)
    resource = coverage_eligibility_response(
        job_id=job_id,
        enrollee_id=job.enrollee_id,
        created=job.created_at,
        service_period=(days[0], days[-1]),
        program=inputs.request.intake.program,
        provider_npi=get_settings().provider_npi,
        answer=PolicyAnswer(
            policy_id=policy_id,
            payer_id=payer_id,
            payer_name=payer.name if payer else payer_id,
            checked_at=last.created_at if last else None,
            response=EligibilityResponse.model_validate({**last.normalized, "raw_payload": ""})
            if answered and last and last.normalized
            else None,
            error=last.error if last is not None and last.outcome == "permanent_error" else None,
        ),
        disposition=job.message,
    )
    if job.part2:  # 42 CFR 2.32: the notice goes with every disclosure of the record
        resource = with_part2_notice(resource, PART2_NOTICE)
    session.commit()
    return resource


def detail_of(job_id: uuid.UUID, *, actor: Actor) -> JobDetail:
    """job_detail in a unit of work of its own (the command line has no request session)."""
    with session_scope() as session:
        return job_detail(session, job_id=job_id, actor=actor)


def status_of(job_id: uuid.UUID) -> JobStatus:
    """A job's state, unaudited (it says nothing about the enrollee)."""
    with session_scope() as session:
        return JobStatus(jobs.get_or_raise(session, job_id=job_id).status)


def _latest_answer(
    session: Session, *, job_id: uuid.UUID, policy_id: uuid.UUID
) -> EligibilityResponse | None:
    checks = [c for c in payer_calls.list_for(session, job_id=job_id) if c.policy_id == policy_id]
    last = max(checks, key=lambda c: c.attempt, default=None)
    if last is None or last.outcome not in ("ok", "reused") or last.normalized is None:
        return None
    return EligibilityResponse.model_validate({**last.normalized, "raw_payload": ""})


def call_scripts(session: Session, *, detail: JobDetail) -> list[CallScript]:
    """One call script per policy of a job already read (and audited) as `detail`, from each
    payer's latest answer; a policy whose payer left the rule book has none."""
    inputs = jobs.load_inputs(session, job_id=detail.id)
    payers = payers_in_force()
    scripts = []
    for number, (policy, policy_id) in enumerate(
        zip(detail.request.policies, inputs.policy_ids, strict=False)
    ):
        payer = payers.get(policy.payer_id)
        if payer is None:
            continue
        scripts.append(
            call_script.build(
                detail.request,
                policy=number,
                payer=payer,
                answer=_latest_answer(session, job_id=detail.id, policy_id=policy_id),
                result=detail.result,
                provider_npi=get_settings().provider_npi,
            )
        )
    return scripts


def last_phone_answer(session: Session, *, detail: JobDetail) -> tuple[int, PhoneAnswer] | None:
    """The latest call recorded for a job already read (and audited) as `detail`, with the number
    of its policy (0 = primary): the phone-answer form starts from it, so a second call edits the
    first instead of replacing it with what the second form held."""
    found = phone_answers.latest_of_job(session, job_id=detail.id)
    if found is None:
        return None
    policy_id, answer = found
    policy_ids = jobs.load_inputs(session, job_id=detail.id).policy_ids
    return (policy_ids.index(policy_id) if policy_id in policy_ids else 0), answer
