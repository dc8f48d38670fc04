"""Billing's review of a result: approve or reject (from needs_review), a note, or the price
option and payment plan the patient's printed estimate shows."""

import uuid
from typing import Literal

from coverage.domain.access import Actor
from coverage.domain.adjustment import Adjustment
from coverage.domain.job_state import JobStatus
from coverage.store import reviews
from coverage.store.db import session_scope

Decision = JobStatus | Literal["note", "adjust"]


def review(
    job_id: uuid.UUID,
    *,
    decision: Decision,
    note: str | None,
    actor: Actor,
    adjustment: Adjustment | None = None,
) -> None:
    """One decision and its audit entry, in one transaction."""
    with session_scope() as session:
        reviews.record(
            session,
            job_id=job_id,
            decision=decision,
            note=note,
            actor=actor,
            adjustment=adjustment,
        )
