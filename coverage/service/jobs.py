"""Jobs: queue, re-run, re-verify and sweep; the database first, the broker after commit, IDs only."""

import logging
import uuid
from collections.abc import Callable
from datetime import date, datetime, timedelta

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from coverage.core import reads, reverification
from coverage.domain.access import Actor, Role
from coverage.domain.flat_request import changed_fields, to_fields
from coverage.domain.job_state import RERUNNABLE, JobStatus
from coverage.domain.request import VerificationRequest
from coverage.errors import BrokerUnavailable, ConflictError, InputError, NotFoundError
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


# What admissions may send back to the queue itself: the jobs the payer could not answer.
ADMISSIONS_RERUNNABLE = frozenset({JobStatus.NEEDS_INFO, JobStatus.FAILED})


def _admissions_may_act(job: VerificationJob, actor: Actor, what: str) -> None:
    """Admissions acts on the jobs it submitted (another's is not found, as on its pages), and
    only while they wait on a correction; billing and the system act on any."""
    if actor.role is not Role.ADMISSIONS:
        return
    if not reads.visible(job, actor):
        raise NotFoundError(f"no verification job {job.id}")
    if JobStatus(job.status) not in ADMISSIONS_RERUNNABLE:
        raise ConflictError(
            f"This verification is {status_text_of(job.status)}: admissions can {what} it only "
            "while it needs information or has failed."
        )


def status_text_of(status: str) -> str:
    return {
        "queued": "waiting to run",
        "running": "running",
        "needs_review": "waiting for billing's review",
        "approved": "approved",
        "rejected": "rejected",
    }.get(status, status.replace("_", " "))


def correct(
    job_id: uuid.UUID,
    request: VerificationRequest,
    *,
    actor: Actor,
    enqueue: Enqueue,
) -> list[str]:
    """Saves a corrected request on the same job (needs_info or failed) and re-runs it with new
    payer calls, in one transaction with the "request.correct" audit entry. Returns the names
    of the fields that changed."""
    with session_scope() as session:
        job = jobs.get_or_raise(session, job_id=job_id)
        if actor.role not in (Role.ADMISSIONS, Role.BILLING):
            raise NotFoundError(f"no verification job {job_id}")
        _admissions_may_act(job, actor, "correct")
        status = JobStatus(job.status)
        if status not in ADMISSIONS_RERUNNABLE:
            raise ConflictError(
                f"This verification is {status_text_of(job.status)}: its request can be "
                "corrected only while it needs information or has failed."
            )
        stored = jobs.load_inputs(session, job_id=job_id).request
        # Consents are recorded and revoked on the verification's page, not by a correction.
        corrected = request.model_copy(update={"consents": stored.consents})
        changed = changed_fields(to_fields(stored), to_fields(corrected))
        jobs.correct(session, job_id=job_id, request=corrected, actor=actor, fields=changed)
        jobs.rerun_from_start(
            session,
            job_id=job_id,
            current=status,
            actor=actor,
            message="Request corrected; re-run with new payer calls",
        )
    _enqueue(job_id, enqueue)
    log.info("job %s corrected and queued", job_id)
    return changed


def rerun(job_id: uuid.UUID, *, actor: Actor, enqueue: Enqueue, fresh_check: bool = False) -> None:
    """Back to the queue from any state staff can act on, or from an open state no worker holds
    any more (past the sweeper's deadline); ConflictError otherwise. Admissions re-runs only the
    jobs it submitted, and only those in needs_info or failed."""
    message = "Re-run requested" + (", with new payer calls" if fresh_check else "")
    with session_scope() as session:
        job = jobs.get_or_raise(session, job_id=job_id)
        _admissions_may_act(job, actor, "re-run")
        status = JobStatus(job.status)
        if status not in RERUNNABLE and not jobs.stranded(session, job_id=job_id):
            # A running job is the worker's: re-queued under it, its result would be dropped.
            raise ConflictError(f"job {job_id} is {job.status}: it cannot be re-run now")
        if status is JobStatus.QUEUED:  # its message was lost: the same job, sent again
            jobs.requeue_queued(
                session,
                job_id=job_id,
                actor=actor,
                message=message,
                attempts=0,
                not_before=None,
                fresh_check=fresh_check,
            )
        else:
            jobs.rerun_from_start(
                session,
                job_id=job_id,
                current=status,
                actor=actor,
                message=message,
                fresh_check=fresh_check,
                # A stranded running job: only the attempt seen here, not one started since.
                attempt=job.attempts if status is JobStatus.RUNNING else None,
            )
    _enqueue(job_id, enqueue)


def enqueue_now(job_id: uuid.UUID, enqueue: Enqueue) -> None:
    """Sends a job another service function just moved to queued (after its commit)."""
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


def sweep(
    *, enqueue: Enqueue, now: datetime | None = None, at_start: bool = False
) -> list[uuid.UUID]:
    """Re-enqueues jobs whose message was lost; releases (or fails) jobs whose worker died. Each
    job in its own transaction: one that changed meanwhile is logged and the others still move.

    `at_start`: an embedded server starting on a database only it serves takes every open job
    at once (a previous process's running job cannot still be running), retry waits included."""
    now = now or utcnow()
    queued, running = (timedelta(0), timedelta(0)) if at_start else jobs.sweeper_deadlines()
    with session_scope() as session:
        found = [
            (job.id, JobStatus(job.status), job.attempts)
            for job in jobs.stuck(
                session,
                now=now,
                queued_deadline=queued,
                running_deadline=running,
                waiting_too=at_start,
            )
        ]
    due: list[uuid.UUID] = []
    for job_id, status, attempts in found:
        try:
            with session_scope() as session:
                if _sweep_one(session, job_id=job_id, status=status, attempts=attempts):
                    jobs.mark_enqueued(session, job_ids=[job_id], now=now)
                    due.append(job_id)
        except Exception as exc:  # the type only: a database error's text may carry values
            log.warning("sweeper skipped job %s: %s", job_id, type(exc).__name__)
    send(due, enqueue)
    if due:
        log.info("sweeper sent %d job(s) to be run", len(due))
    return due


def _sweep_one(session: Session, *, job_id: uuid.UUID, status: JobStatus, attempts: int) -> bool:
    """One stuck job: True when it is to be sent to a worker again."""
    if status is not JobStatus.RUNNING:
        return True
    max_attempts = get_settings().max_attempts
    if attempts >= max_attempts:
        jobs.transition(
            session,
            job_id=job_id,
            current=JobStatus.RUNNING,
            target=JobStatus.FAILED,
            actor=SWEEPER,
            attempt=attempts,
            message=f"Stopped after {attempts} attempts that did not "
            "finish (worker lost). Re-run when the cause is fixed.",
        )
        return False
    jobs.transition(
        session,
        job_id=job_id,
        current=JobStatus.RUNNING,
        target=JobStatus.QUEUED,
        actor=SWEEPER,
        attempt=attempts,
        message="Worker did not finish; re-queued",
    )
    return True


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
