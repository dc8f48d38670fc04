"""Verification jobs: creation, inputs, lists, compare-and-set state changes, the sweeper's
queries. Keyword-only, session first."""

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import CursorResult, insert, or_, update
from sqlmodel import Session, col, select

from coverage.domain.access import Actor
from coverage.domain.job_state import OPEN, JobStatus, check_transition
from coverage.domain.request import VerificationRequest
from coverage.errors import ConflictError, InputError, NotFoundError
from coverage.settings import get_settings
from coverage.store import audit, consents
from coverage.store.crypto import keyed_hash
from coverage.store.tables import (
    Enrollee,
    Policy,
    VerificationJob,
    utcnow,
)

# A policy's fields kept in its encrypted `member` column (the others have columns of their own).
_POLICY_MEMBER_FIELDS = {"member_id", "group_number", "authorization", "subscriber"}


@dataclass(frozen=True)
class JobInputs:
    """A job's decrypted inputs, as the pipeline needs them."""

    job: VerificationJob
    request: VerificationRequest
    policy_ids: list[uuid.UUID]
    consent_ids: list[uuid.UUID]  # the rows of request.consents, in the same order


def _rows_for(
    request: VerificationRequest,
    *,
    actor: Actor,
    idempotency_key: str | None,
    fresh_check: bool = False,
    reverifies: uuid.UUID | None = None,
) -> tuple[dict[str, Any], list[dict[str, Any]], dict[str, Any]]:
    """The enrollee, policy and queued-job rows of one request; their IDs are made here, so rows
    can be linked before anything is written."""
    enrollee_id = uuid.uuid4()
    enrollee = {
        "id": enrollee_id,
        "identity": request.enrollee.model_dump(
            mode="json", include={"first_name", "last_name", "birth_date", "address"}
        ),
        "sex": request.enrollee.sex.value,
        "state": request.enrollee.state,
    }
    policies = [
        {
            "id": uuid.uuid4(),
            "enrollee_id": enrollee_id,
            "payer_id": policy.payer_id,
            "member_id_hash": keyed_hash(policy.member_id),
            # Encrypted: the member ID and, for a dependent, the subscriber's identity.
            "member": policy.model_dump(mode="json", include=_POLICY_MEMBER_FIELDS),
            "relationship": policy.relationship.value,
            "priority": policy.priority.value,
        }
        for policy in request.policies
    ]
    job = {
        "id": uuid.uuid4(),
        "enrollee_id": enrollee_id,
        "status": JobStatus.QUEUED.value,
        "part2": request.part2,
        "request": request.model_dump(
            mode="json", include={"intake", "plan", "household", "self_pay", "gfe_requested_on"}
        ),
        "submitter": actor.name,
        "idempotency_key": idempotency_key,
        "fresh_check": fresh_check,
        "reverifies": reverifies,
    }
    return enrollee, policies, job


def create(
    session: Session,
    *,
    request: VerificationRequest,
    actor: Actor,
    idempotency_key: str | None = None,
    fresh_check: bool = False,
    reverifies: uuid.UUID | None = None,
) -> VerificationJob:
    """Stores enrollee, policies and a queued job in the caller's transaction."""
    enrollee, policies, values = _rows_for(
        request,
        actor=actor,
        idempotency_key=idempotency_key,
        fresh_check=fresh_check,
        reverifies=reverifies,
    )
    session.add(Enrollee(**enrollee))
    session.flush()
    session.add_all(Policy(**policy) for policy in policies)
    job = VerificationJob(**values)
    session.add(job)
    session.flush()
    consents.insert_rows(session, consents.rows_for(job.id, request.consents, actor=actor))
    audit.record(
        session,
        actor=actor,
        action="job.create",
        entity_type="job",
        entity_id=job.id,
        part2=job.part2,
    )
    return job


def create_many(
    session: Session,
    *,
    requests: Sequence[tuple[VerificationRequest, str | None]],
    actor: Actor,
) -> list[uuid.UUID]:
    """create() for many (request, idempotency key) pairs, e.g. a CSV batch: the same rows and
    audit entries, written as one multi-row INSERT per table. Returns the job IDs in order."""
    built = [_rows_for(request, actor=actor, idempotency_key=key) for request, key in requests]
    if not built:
        return []
    session.execute(insert(Enrollee), [enrollee for enrollee, _, _ in built])
    policies = [policy for _, policies, _ in built for policy in policies]
    if policies:
        session.execute(insert(Policy), policies)
    session.execute(insert(VerificationJob), [job for _, _, job in built])
    consents.insert_rows(
        session,
        [
            row
            for (request, _), (_, _, job) in zip(requests, built, strict=True)
            for row in consents.rows_for(job["id"], request.consents, actor=actor)
        ],
    )
    audit.record_many(
        session,
        actor=actor,
        action="job.create",
        entity_type="job",
        entities=[(job["id"], job["part2"]) for _, _, job in built],
    )
    return [job["id"] for _, _, job in built]


def find_by_idempotency_key(
    session: Session, *, submitter: str, key: str
) -> VerificationJob | None:
    return session.exec(
        select(VerificationJob).where(
            VerificationJob.submitter == submitter, VerificationJob.idempotency_key == key
        )
    ).first()


def get_or_raise(session: Session, *, job_id: uuid.UUID) -> VerificationJob:
    job = session.get(VerificationJob, job_id)
    if job is None:
        raise NotFoundError(f"no verification job {job_id}")
    return job


def load_inputs(session: Session, *, job_id: uuid.UUID) -> JobInputs:
    job = get_or_raise(session, job_id=job_id)
    enrollee = session.get(Enrollee, job.enrollee_id)
    assert enrollee is not None  # foreign key
    policies = session.exec(select(Policy).where(Policy.enrollee_id == enrollee.id)).all()
    ordered = sorted(policies, key=lambda p: p.priority != "primary")
    on_file = consents.for_job(session, job_id=job_id)
    request = VerificationRequest.model_validate(
        {
            "enrollee": {**enrollee.identity, "sex": enrollee.sex, "state": enrollee.state},
            "policies": [
                {
                    "payer_id": p.payer_id,
                    "relationship": p.relationship,
                    "priority": p.priority,
                    **p.member,
                }
                for p in ordered
            ],
            **job.request,
            "consents": [consent.model_dump(mode="json") for _, consent in on_file],
        }
    )
    return JobInputs(
        job=job,
        request=request,
        policy_ids=[p.id for p in ordered],
        consent_ids=[consent_id for consent_id, _ in on_file],
    )


def list_(
    session: Session,
    *,
    status: JobStatus | None = None,
    submitter: str | None = None,
    payer_id: str | None = None,
    created_from: datetime | None = None,
    created_before: datetime | None = None,
    oldest_first: bool = False,
    limit: int = 50,
    offset: int = 0,
) -> list[VerificationJob]:
    created = col(VerificationJob.created_at)
    query = (
        select(VerificationJob)
        .order_by(created if oldest_first else created.desc())
        .limit(limit)
        .offset(offset)
    )
    if status:
        query = query.where(VerificationJob.status == status.value)
    if submitter:
        query = query.where(VerificationJob.submitter == submitter)
    if payer_id:
        query = query.where(
            col(VerificationJob.enrollee_id).in_(
                select(Policy.enrollee_id).where(Policy.payer_id == payer_id)
            )
        )
    if created_from:
        query = query.where(created >= created_from)
    if created_before:
        query = query.where(created < created_before)
    return list(session.exec(query))


def initials_by_enrollee(
    session: Session, *, enrollee_ids: list[uuid.UUID]
) -> dict[uuid.UUID, str]:
    """ "J.S." for a list row: enough to tell rows apart, the name itself only on the detail page."""
    found = session.exec(select(Enrollee).where(col(Enrollee.id).in_(enrollee_ids)))
    return {
        e.id: f"{e.identity['first_name'][:1]}.{e.identity['last_name'][:1]}.".upper()
        for e in found
    }


def policies_by_enrollee(
    session: Session, *, enrollee_ids: list[uuid.UUID]
) -> dict[uuid.UUID, list[Policy]]:
    """One query for a whole page of jobs."""
    found: dict[uuid.UUID, list[Policy]] = {enrollee_id: [] for enrollee_id in enrollee_ids}
    for policy in session.exec(select(Policy).where(col(Policy.enrollee_id).in_(enrollee_ids))):
        found[policy.enrollee_id].append(policy)
    return found


def transition(
    session: Session,
    *,
    job_id: uuid.UUID,
    current: JobStatus,
    target: JobStatus,
    actor: Actor,
    message: str | None = None,
    due: datetime | None = None,
    attempt: int | None = None,
    **changes: Any,
) -> None:
    """Compare-and-set: moves the job only if it is still in `current` (with `due`, only once its
    `not_before` has passed; with `attempt`, only while that attempt is the job's latest); the
    audit entry joins the same transaction."""
    check_transition(current, target)
    values: dict[str, Any] = {
        "status": target.value,
        "status_changed_at": due or utcnow(),
        **changes,
    }
    if message is not None:
        values["message"] = message[:500]
    conditions = [col(VerificationJob.id) == job_id, col(VerificationJob.status) == current.value]
    if due is not None:
        conditions.append(
            or_(col(VerificationJob.not_before).is_(None), col(VerificationJob.not_before) <= due)
        )
    if attempt is not None:
        conditions.append(col(VerificationJob.attempts) == attempt)
    result = session.execute(update(VerificationJob).where(*conditions).values(**values))
    job = get_or_raise(session, job_id=job_id)
    session.refresh(job)
    if cast(CursorResult[Any], result).rowcount != 1:
        if job.status == current.value and attempt is not None:
            raise ConflictError(f"job {job_id} is on attempt {job.attempts}, not {attempt}")
        raise ConflictError(f"job {job_id} is {job.status}, not {current.value}")
    audit.record(
        session,
        actor=actor,
        action=f"job.{target.value}",
        entity_type="job",
        entity_id=job_id,
        part2=job.part2,
        detail=f"{current.value} -> {target.value}, attempt {job.attempts}",
    )


def rerun_from_start(
    session: Session,
    *,
    job_id: uuid.UUID,
    current: JobStatus,
    actor: Actor,
    message: str,
    fresh_check: bool = True,
    attempt: int | None = None,
) -> None:
    """Back to the queue for a run from the start: attempts counted anew, no retry wait, and
    (with `fresh_check`) new payer calls rather than a reused answer."""
    transition(
        session,
        job_id=job_id,
        current=current,
        target=JobStatus.QUEUED,
        actor=actor,
        message=message,
        attempt=attempt,
        attempts=0,
        not_before=None,
        fresh_check=fresh_check,
    )


def claim(
    session: Session, *, job_id: uuid.UUID, actor: Actor, now: datetime | None = None
) -> bool:
    """queued -> running, only when due; exactly one of several concurrent callers wins."""
    now = now or utcnow()
    try:
        transition(
            session,
            job_id=job_id,
            current=JobStatus.QUEUED,
            target=JobStatus.RUNNING,
            actor=actor,
            due=now,
            attempts=col(VerificationJob.attempts) + 1,
            not_before=None,
        )
    except (ConflictError, NotFoundError):
        return False
    return True


def stuck(
    session: Session,
    *,
    now: datetime,
    queued_deadline: timedelta,
    running_deadline: timedelta,
    job_ids: Sequence[uuid.UUID] | None = None,
    waiting_too: bool = False,
) -> list[VerificationJob]:
    """Open jobs whose message may be lost: queued and due but not picked up, or running too long.
    `job_ids` narrows the question to those jobs; `waiting_too` adds queued jobs whose retry
    time (`not_before`) is still ahead, for a process that must schedule them itself."""
    due = or_(col(VerificationJob.not_before).is_(None), col(VerificationJob.not_before) <= now)
    due_queued = (col(VerificationJob.status) == JobStatus.QUEUED.value) & or_(
        col(VerificationJob.enqueued_at).is_(None),
        col(VerificationJob.enqueued_at) <= now - queued_deadline,
    )
    if not waiting_too:
        due_queued = due_queued & due
    overdue_running = (col(VerificationJob.status) == JobStatus.RUNNING.value) & (
        col(VerificationJob.status_changed_at) <= now - running_deadline
    )
    query = select(VerificationJob).where(
        col(VerificationJob.status).in_([s.value for s in OPEN]),
        due_queued | overdue_running,
    )
    if job_ids is not None:
        query = query.where(col(VerificationJob.id).in_(job_ids))
    return list(session.exec(query))


def sweeper_deadlines() -> tuple[timedelta, timedelta]:
    """How long a job may stay queued after its send, and running, before the sweeper takes it."""
    settings = get_settings()
    return (
        timedelta(seconds=settings.queued_deadline_seconds),
        timedelta(seconds=settings.running_deadline_seconds),
    )


def stranded(session: Session, *, job_id: uuid.UUID, now: datetime | None = None) -> bool:
    """Open past the sweeper's deadlines: no worker holds it (its process died or its message
    was lost), so staff may re-run it without waiting for the sweeper."""
    queued, running = sweeper_deadlines()
    now = now or utcnow()
    found = stuck(
        session, now=now, queued_deadline=queued, running_deadline=running, job_ids=[job_id]
    )
    return bool(found)


def requeue_queued(
    session: Session, *, job_id: uuid.UUID, actor: Actor, message: str, **changes: Any
) -> None:
    """A queued job sent to the queue again with new settings (a re-run of a job whose message
    was lost); only while it is still queued. Sent twice, it still runs once: claim() decides."""
    result = session.execute(
        update(VerificationJob)
        .where(
            col(VerificationJob.id) == job_id,
            col(VerificationJob.status) == JobStatus.QUEUED.value,
        )
        .values(message=message[:500], status_changed_at=utcnow(), **changes)
    )
    job = get_or_raise(session, job_id=job_id)
    session.refresh(job)
    if cast(CursorResult[Any], result).rowcount != 1:
        raise ConflictError(f"job {job_id} is {job.status}: it cannot be re-run now")
    audit.record(
        session,
        actor=actor,
        action="job.queued",
        entity_type="job",
        entity_id=job_id,
        part2=job.part2,
        detail=f"queued -> queued (re-run of a stranded job), attempt {job.attempts}",
    )


def mark_enqueued(
    session: Session, *, job_ids: list[uuid.UUID], now: datetime | None = None
) -> None:
    if job_ids:
        session.execute(
            update(VerificationJob)
            .where(col(VerificationJob.id).in_(job_ids))
            .values(enqueued_at=now or utcnow())
        )


def correct(
    session: Session,
    *,
    job_id: uuid.UUID,
    request: VerificationRequest,
    actor: Actor,
    fields: Sequence[str],
) -> None:
    """Stores a corrected request on the same job, in the caller's transaction: the encrypted
    identity, policies and details, and the blind-index fields (the member-ID hash); the audit
    entry names the changed fields, never their values. The job's consents stay as they are."""
    job = get_or_raise(session, job_id=job_id)
    enrollee = session.get(Enrollee, job.enrollee_id)
    assert enrollee is not None  # foreign key
    enrollee_row, policy_rows, job_row = _rows_for(request, actor=actor, idempotency_key=None)
    enrollee.identity = enrollee_row["identity"]
    enrollee.sex = enrollee_row["sex"]
    enrollee.state = enrollee_row["state"]
    session.add(enrollee)
    stored = sorted(
        session.exec(select(Policy).where(Policy.enrollee_id == enrollee.id)).all(),
        key=lambda p: p.priority != "primary",
    )
    if len(policy_rows) < len(stored):
        raise InputError(
            "secondary_payer_id: a policy already on file cannot be removed by a correction; "
            "submit a new verification instead"
        )
    for index, row in enumerate(policy_rows):
        if index < len(stored):
            policy = stored[index]
            for key in ("payer_id", "member_id_hash", "member", "relationship", "priority"):
                setattr(policy, key, row[key])
        else:
            policy = Policy(**{**row, "enrollee_id": enrollee.id})
        session.add(policy)
    job.request = job_row["request"]
    job.part2 = job_row["part2"]
    job.idempotency_key = None  # the key named the request as first sent
    session.add(job)
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="request.correct",
        entity_type="job",
        entity_id=job_id,
        part2=job.part2,
        detail="fields changed: " + (", ".join(fields) or "none"),
    )
