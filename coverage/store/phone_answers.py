"""Phone verifications staff recorded, stored encrypted, and found again by the manual adapter."""

import uuid

from sqlmodel import Session, col, select

from coverage.domain.access import Actor
from coverage.domain.phone import PhoneAnswer
from coverage.errors import NotFoundError
from coverage.store import audit, jobs
from coverage.store.crypto import keyed_hash
from coverage.store.tables import PhoneAnswerRow


def job_ref(job_id: uuid.UUID) -> str:
    """The job part of our trace numbers (coverage/pipeline.py: job hex[:20] + attempt)."""
    return job_id.hex[:20]


def record(
    session: Session, *, job_id: uuid.UUID, policy: int, entry: PhoneAnswer, actor: Actor
) -> PhoneAnswerRow:
    """Stores the call for the job's `policy`-th policy (0 = primary) in the caller's transaction."""
    inputs = jobs.load_inputs(session, job_id=job_id)
    if not 0 <= policy < len(inputs.policy_ids):
        raise NotFoundError(f"verification job {job_id} has no policy {policy}")
    asked = inputs.request.policies[policy]
    row = PhoneAnswerRow(
        job_id=job_id,
        policy_id=inputs.policy_ids[policy],
        job_ref=job_ref(job_id),
        payer_id=asked.payer_id,
        member_id_hash=keyed_hash(asked.member_id),
        entry=entry.model_dump(mode="json"),
        recorded_by=actor.name,
    )
    session.add(row)
    audit.record(
        session,
        actor=actor,
        action="manual_vob.record",  # the audit name since the first release: kept for continuity
        entity_type="verification_job",
        entity_id=job_id,
        part2=inputs.job.part2,
        detail=f"policy {policy}",
    )
    return row


def latest(
    session: Session, *, trace_number: str, payer_id: str, member_id: str
) -> PhoneAnswer | None:
    """The most recent call recorded for this job, payer and member."""
    row = session.exec(
        select(PhoneAnswerRow)
        .where(
            PhoneAnswerRow.job_ref == trace_number[:20],
            PhoneAnswerRow.payer_id == payer_id,
            PhoneAnswerRow.member_id_hash == keyed_hash(member_id),
        )
        .order_by(col(PhoneAnswerRow.created_at).desc())
    ).first()
    return None if row is None else PhoneAnswer.model_validate(row.entry)


def latest_of_job(session: Session, *, job_id: uuid.UUID) -> tuple[uuid.UUID, PhoneAnswer] | None:
    """The most recent call recorded for any policy of the job, with that policy's ID."""
    row = session.exec(
        select(PhoneAnswerRow)
        .where(PhoneAnswerRow.job_id == job_id)
        .order_by(col(PhoneAnswerRow.created_at).desc())
    ).first()
    return None if row is None else (row.policy_id, PhoneAnswer.model_validate(row.entry))
