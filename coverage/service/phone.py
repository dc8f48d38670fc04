"""Phone verification: what a payer's representative said, recorded by staff for the payer's
`manual` adapter to answer with on the job's next run."""

import uuid

from coverage.domain.access import Actor
from coverage.domain.phone import PhoneAnswer
from coverage.store import phone_answers
from coverage.store.db import session_scope


def record(job_id: uuid.UUID, *, policy: int, entry: PhoneAnswer, actor: Actor) -> uuid.UUID:
    """Stores the call for the job's `policy`-th policy (0 = primary) with its audit entry."""
    with session_scope() as session:
        row = phone_answers.record(session, job_id=job_id, policy=policy, entry=entry, actor=actor)
        return row.id
