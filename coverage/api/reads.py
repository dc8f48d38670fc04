"""What staff read: each read of PHI leaves an audit entry; lists carry no PHI."""

import uuid

from sqlmodel import Session

from coverage.api.schemas import CheckPublic, JobDetail, JobList, JobSummary, ReviewPublic
from coverage.domain.access import Actor, Role
from coverage.domain.job_state import JobStatus
from coverage.errors import NotFoundError
from coverage.store import audit, jobs
from coverage.store.tables import VerificationJob


def _visible(job: VerificationJob, actor: Actor) -> bool:
    """Admissions staff see the jobs they submitted; billing sees all."""
    return actor.role is Role.BILLING or job.submitter == actor.name


def job_detail(session: Session, *, job_id: uuid.UUID, actor: Actor) -> JobDetail:
    job = session.get(VerificationJob, job_id)
    if job is None or not _visible(job, actor):
        raise NotFoundError(f"no verification job {job_id}")
    inputs = jobs.load_inputs(session, job_id=job_id)
    result = jobs.get_result(session, job_id=job_id)
    detail = JobDetail(
        id=job.id,
        status=JobStatus(job.status),
        part2=job.part2,
        message=job.message,
        attempts=job.attempts,
        created_at=job.created_at,
        request=inputs.request,
        result=result.body if result else None,
        rule_files=result.rule_files if result else [],
        checks=[
            CheckPublic.model_validate(c, from_attributes=True)
            for c in jobs.checks_for(session, job_id=job_id)
        ],
        reviews=[
            ReviewPublic.model_validate(r, from_attributes=True)
            for r in jobs.reviews_for(session, job_id=job_id)
        ],
    )
    audit.record(
        session,
        actor=actor,
        action="job.read",
        entity_type="job",
        entity_id=job_id,
        part2=job.part2,
    )
    session.commit()
    return detail


def job_list(
    session: Session, *, actor: Actor, status: JobStatus | None, limit: int, offset: int
) -> JobList:
    submitter = None if actor.role is Role.BILLING else actor.name
    rows = jobs.list_(session, status=status, submitter=submitter, limit=limit, offset=offset)
    policies = jobs.policies_by_enrollee(session, enrollee_ids=[job.enrollee_id for job in rows])
    data = [
        JobSummary(
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
