"""Phone verification: what a payer's representative said, recorded by staff, and the job re-run
with it when the job waits on staff (needs_info, failed) or on billing (needs_review)."""

import logging
import uuid
from typing import NamedTuple

from coverage.domain.access import Actor
from coverage.domain.job_state import JobStatus
from coverage.domain.phone import PhoneAnswer
from coverage.service import jobs as job_service
from coverage.store import jobs, phone_answers
from coverage.store.db import session_scope

log = logging.getLogger(__name__)
# A job in one of these states is re-run at once with the answer. Queued: the run to come reads
# it anyway. Running: the run may have read the payers already, so staff re-run it once it ends.
# Approved or rejected: billing decided; the answer is kept, the decision stands.
RERUN_ON_ANSWER = frozenset({JobStatus.NEEDS_INFO, JobStatus.FAILED, JobStatus.NEEDS_REVIEW})


class Recorded(NamedTuple):
    id: uuid.UUID
    rerun: bool  # queued again to use the answer
    status: JobStatus  # the job's state after the answer was saved


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
