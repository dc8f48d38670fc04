"""42 CFR Part 2 consents on file for a job: recorded with the job or later, revoked later;
every change audited (the audit entry names the consent's row, never its content)."""

import uuid
from collections.abc import Sequence
from datetime import date
from typing import Any

from sqlalchemy import insert
from sqlmodel import Session, col, select

from coverage.domain.access import Actor
from coverage.domain.consent import Part2Consent
from coverage.errors import ConflictError, InputError, NotFoundError
from coverage.store import audit
from coverage.store.tables import ConsentRow, VerificationJob, utcnow


def rows_for(
    job_id: uuid.UUID, consents: Sequence[Part2Consent], *, actor: Actor
) -> list[dict[str, Any]]:
    """The rows of a new job's consents, for a bulk insert with the job."""
    now = utcnow()
    return [
        {
            "id": uuid.uuid4(),
            "job_id": job_id,
            "consent": consent.model_dump(mode="json"),
            "recorded_by": actor.name,
            "created_at": now,
        }
        for consent in consents
    ]


def insert_rows(session: Session, rows: list[dict[str, Any]]) -> None:
    if rows:
        session.execute(insert(ConsentRow), rows)


def for_job(session: Session, *, job_id: uuid.UUID) -> list[tuple[uuid.UUID, Part2Consent]]:
    """The job's consents in the order they were recorded."""
    found = session.exec(
        select(ConsentRow)
        .where(ConsentRow.job_id == job_id)
        .order_by(col(ConsentRow.created_at), col(ConsentRow.id))
    )
    return [(row.id, Part2Consent.model_validate(row.consent)) for row in found]


def add(
    session: Session, *, job: VerificationJob, consent: Part2Consent, actor: Actor
) -> uuid.UUID:
    row = ConsentRow(job_id=job.id, consent=consent.model_dump(mode="json"), recorded_by=actor.name)
    session.add(row)
    audit.record(
        session,
        actor=actor,
        action="consent.record",
        entity_type="job",
        entity_id=job.id,
        part2=job.part2,
        detail=f"consent {row.id}",
    )
    return row.id


def revoke(
    session: Session,
    *,
    job: VerificationJob,
    consent_id: uuid.UUID,
    revoked_on: date,
    actor: Actor,
) -> Part2Consent:
    row = session.get(ConsentRow, consent_id)
    if row is None or row.job_id != job.id:
        raise NotFoundError(f"no consent {consent_id} on verification {job.id}")
    consent = Part2Consent.model_validate(row.consent)
    if consent.revoked_on is not None:
        raise ConflictError("this consent is already revoked")
    if revoked_on < consent.signed_on:
        raise InputError("revoked_on: must not be before the day the consent was signed")
    revoked = consent.model_copy(update={"revoked_on": revoked_on})
    row.consent = revoked.model_dump(mode="json")
    session.add(row)
    audit.record(
        session,
        actor=actor,
        action="consent.revoke",
        entity_type="job",
        entity_id=job.id,
        part2=job.part2,
        detail=f"consent {consent_id}",
    )
    return revoked
