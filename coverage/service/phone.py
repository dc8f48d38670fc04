"""Phone verification: what a payer's representative said, recorded by staff, and the job re-run
with it when the job waits on staff (needs_info, failed) or on billing (needs_review)."""

import logging
import uuid
from typing import NamedTuple

from coverage.core.rule_book import payers_in_force
from coverage.domain.access import Actor
from coverage.domain.call_script import consent_before_calling
from coverage.domain.job_state import JobStatus
from coverage.domain.phone import PhoneAnswer
from coverage.domain.request import VerificationRequest
from coverage.errors import ConflictError
from coverage.service import jobs as job_service
from coverage.store import jobs, phone_answers
from coverage.store.db import session_scope
from coverage.store.tables import utcnow

log = logging.getLogger(__name__)
# A job in one of these states is re-run at once with the answer. Queued: the run to come reads
# it anyway. Running: the run may have read the payers already, so staff re-run it once it ends.
# Approved or rejected: billing decided; the answer is kept, the decision stands.
RERUN_ON_ANSWER = frozenset({JobStatus.NEEDS_INFO, JobStatus.FAILED, JobStatus.NEEDS_REVIEW})


class Recorded(NamedTuple):
    id: uuid.UUID
    rerun: bool  # queued again to use the answer
    status: JobStatus  # the job's state after the answer was saved


def _consent_first(request: VerificationRequest, policy: int) -> None:
    """A Part 2 job's call discloses the patient's substance-use treatment as the electronic
    check would: refused, like the check, without a consent naming the payer."""
    if not 0 <= policy < len(request.policies):
        return  # phone_answers.record names the missing policy
    payer = payers_in_force().get(request.policies[policy].payer_id)
    if payer is None:
        return
    needed = consent_before_calling(request, payer, today=utcnow().date())
    if needed is not None:
        raise ConflictError(needed)


def record(
    job_id: uuid.UUID,
    *,
    policy: int,
    entry: PhoneAnswer,
    actor: Actor,
    enqueue: job_service.Enqueue | None = None,
) -> Recorded:
    """Stores the call for the job's `policy`-th policy (0 = primary) with its audit entry and,
    with `enqueue`, re-runs the job in the same transaction (the transition's audit entry names
    the phone answer). The re-run asks every payer afresh: a reused earlier answer would not
    carry the call."""
    with session_scope() as session:
        job = jobs.get_or_raise(session, job_id=job_id)
        status = JobStatus(job.status)
        _consent_first(jobs.load_inputs(session, job_id=job_id).request, policy)
        row = phone_answers.record(session, job_id=job_id, policy=policy, entry=entry, actor=actor)
        rerun = enqueue is not None and status in RERUN_ON_ANSWER
        if rerun:
            jobs.rerun_from_start(
                session,
                job_id=job_id,
                current=status,
                actor=actor,
                message="Phone answer recorded; re-run with it",
            )
        recorded = Recorded(row.id, rerun, JobStatus.QUEUED if rerun else status)
    if enqueue is not None and rerun:
        job_service.enqueue_now(job_id, enqueue)
        log.info("job %s re-run with a phone answer", job_id)
    return recorded
