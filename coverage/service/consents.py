"""42 CFR Part 2 consents recorded or revoked after a job was submitted (billing or admissions),
each change audited; the job's next run checks them again."""

import uuid
from datetime import date

from coverage.core.reads import visible
from coverage.domain.access import Actor
from coverage.domain.consent import Part2Consent
from coverage.errors import NotFoundError
from coverage.store import consents, jobs
from coverage.store.db import session_scope


def record(job_id: uuid.UUID, *, consent: Part2Consent, actor: Actor) -> uuid.UUID:
    with session_scope() as session:
        job = jobs.get_or_raise(session, job_id=job_id)
        if not visible(job, actor):
            raise NotFoundError(f"no verification job {job_id}")
        return consents.add(session, job=job, consent=consent, actor=actor)


def revoke(
    job_id: uuid.UUID, *, consent_id: uuid.UUID, revoked_on: date, actor: Actor
) -> Part2Consent:
    """Marks the consent revoked from `revoked_on`: no later run discloses under it."""
    with session_scope() as session:
        job = jobs.get_or_raise(session, job_id=job_id)
        if not visible(job, actor):
            raise NotFoundError(f"no verification job {job_id}")
        return consents.revoke(
            session, job=job, consent_id=consent_id, revoked_on=revoked_on, actor=actor
        )
