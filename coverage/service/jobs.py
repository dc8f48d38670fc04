"""Jobs: queue, re-run, re-verify and sweep; the database first, the broker after commit, IDs only."""

import logging
import uuid
from collections.abc import Callable
from datetime import date, datetime, timedelta

from sqlalchemy.exc import IntegrityError

from coverage.core import reverification
from coverage.domain.access import Actor, Role
from coverage.domain.job_state import RERUNNABLE, JobStatus
from coverage.domain.request import VerificationRequest
from coverage.errors import BrokerUnavailable, ConflictError, InputError
from coverage.settings import get_settings
from coverage.store import jobs
from coverage.store.db import session_scope
from coverage.store.tables import VerificationJob, utcnow

log = logging.getLogger(__name__)
Enqueue = Callable[[uuid.UUID], None]
SWEEPER = Actor(name="sweeper", role=Role.SYSTEM)
REVERIFIER = Actor(name="reverifier", role=Role.SYSTEM)


def queue(
    request: VerificationRequest,
    *,
    actor: Actor,
    enqueue: Enqueue,
    idempotency_key: str | None = None,
    fresh_check: bool = False,
    reverifies: uuid.UUID | None = None,
) -> tuple[VerificationJob, bool]:
    """Stores the job, then enqueues its ID. Returns the job and whether it is new (False: same key seen)."""
    if idempotency_key:
        existing = _earlier_job(request, actor=actor, idempotency_key=idempotency_key)
        if existing:
            return existing, False
    try:
        with session_scope() as session:
            job = jobs.create(
                session,
                request=request,
                actor=actor,
                idempotency_key=idempotency_key,
                fresh_check=fresh_check,
                reverifies=reverifies,
            )
    except IntegrityError:
        if not idempotency_key:
            raise
        # A concurrent retry of the same submit won the insert.
        existing = _earlier_job(request, actor=actor, idempotency_key=idempotency_key)
        assert existing is not None
        return existing, False
    _enqueue(job.id, enqueue)
    log.info("job %s queued", job.id)
    return job, True


def _earlier_job(
    request: VerificationRequest, *, actor: Actor, idempotency_key: str
) -> VerificationJob | None:
    """The job this key already made, if the request is the same (InputError if it differs)."""
    with session_scope() as session:
        existing = jobs.find_by_idempotency_key(session, submitter=actor.name, key=idempotency_key)
        if existing is None:
            return None
        earlier = jobs.load_inputs(session, job_id=existing.id).request
    # Canonical forms: the stored request is decrypted and validated again, so equal requests
    # dump equal whatever the order or spelling of the JSON they came in.
    if earlier.model_dump(mode="json") != request.model_dump(mode="json"):
        raise InputError(
            "Idempotency-Key was used for a different request; send a new key with a new request"
        )
    return existing


def rerun(job_id: uuid.UUID, *, actor: Actor, enqueue: Enqueue, fresh_check: bool = False) -> None:
    """Back to the queue from any state staff can act on (ConflictError otherwise)."""
    with session_scope() as session:
        job = jobs.get_or_raise(session, job_id=job_id)
        if JobStatus(job.status) not in RERUNNABLE:
            # A running job is the worker's: re-queued under it, its result would be dropped.
            raise ConflictError(f"job {job_id} is {job.status}: it cannot be re-run now")
        jobs.transition(
            session,
            job_id=job_id,
            current=JobStatus(job.status),
            target=JobStatus.QUEUED,
            actor=actor,
            message="Re-run requested" + (", with new payer calls" if fresh_check else ""),
            attempts=0,
            not_before=None,
            fresh_check=fresh_check,
        )
    _enqueue(job_id, enqueue)


def _enqueue(job_id: uuid.UUID, enqueue: Enqueue) -> None:
    # Marked before sending: if the send fails, the sweeper's deadline still brings the job back.
    with session_scope() as session:
        jobs.mark_enqueued(session, job_ids=[job_id])
    send([job_id], enqueue)


def send(job_ids: list[uuid.UUID], enqueue: Enqueue) -> None:
    """Sends committed, marked jobs to the workers. With the broker down the jobs stay `queued`
    (saved, so the caller answers as usual) and the sweeper sends them after the queued deadline;
    the rest are not tried, so a batch does not wait on a down broker once per job."""
    for sent, job_id in enumerate(job_ids):
        try:
            enqueue(job_id)
        except BrokerUnavailable:
            log.warning(
                "broker unavailable: job %s and %d more stay queued for the sweeper",
                job_id,
                len(job_ids) - sent - 1,
            )
            return


def sweep(*, enqueue: Enqueue, now: datetime | None = None) -> list[uuid.UUID]:
    """Re-enqueues jobs whose message was lost; releases (or fails) jobs whose worker died."""
    settings = get_settings()
    now = now or utcnow()
    due: list[uuid.UUID] = []
    with session_scope() as session:
        stuck = jobs.stuck(
            session,
            now=now,
            queued_deadline=timedelta(seconds=settings.queued_deadline_seconds),
            running_deadline=timedelta(seconds=settings.running_deadline_seconds),
        )
        for job in stuck:
            if job.status == JobStatus.RUNNING.value:
                if job.attempts >= settings.max_attempts:
                    jobs.transition(
                        session,
                        job_id=job.id,
                        current=JobStatus.RUNNING,
                        target=JobStatus.FAILED,
                        actor=SWEEPER,
                        message=f"Stopped after {job.attempts} attempts that did not "
                        "finish (worker lost). Re-run when the cause is fixed.",
                    )
                    continue
                jobs.transition(
                    session,
                    job_id=job.id,
                    current=JobStatus.RUNNING,
                    target=JobStatus.QUEUED,
                    actor=SWEEPER,
                    message="Worker did not finish; re-queued",
                )
            due.append(job.id)
        jobs.mark_enqueued(session, job_ids=due, now=now)
    send(due, enqueue)
    if due:
        log.info("sweeper re-enqueued %d job(s)", len(due))
    return due


def reverify(*, enqueue: Enqueue, today: date) -> list[uuid.UUID]:
    """Queues one re-verification per due episode (at most one a day, by idempotency key)."""
    with session_scope() as session:
        originals = reverification.due(session, today=today)
        requests = {j: jobs.load_inputs(session, job_id=j).request for j in originals}
    queued = []
    for original, request in requests.items():
        job, new = queue(
            request,
            actor=REVERIFIER,
            enqueue=enqueue,
            idempotency_key=f"reverify:{original}:{today.isoformat()}",
            fresh_check=True,
            reverifies=original,
        )
        if new:
            queued.append(job.id)
    return queued
