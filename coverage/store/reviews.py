"""Billing's review decisions: approve or reject (compare-and-set), notes and adjustments of the
printed estimate, each audited. Keyword-only, session first."""

import uuid
from typing import Literal

from sqlmodel import Session, col, select

from coverage.domain import adjustment as adjustments
from coverage.domain.access import Actor
from coverage.domain.adjustment import Adjustment
from coverage.domain.job_state import JobStatus
from coverage.errors import ConflictError, InputError
from coverage.store import audit, results
from coverage.store.jobs import get_or_raise, transition
from coverage.store.tables import ReviewDecision, VerificationJob


def record(
    session: Session,
    *,
    job_id: uuid.UUID,
    decision: JobStatus | Literal["note", "adjust"],
    note: str | None,
    actor: Actor,
    adjustment: Adjustment | None = None,
) -> ReviewDecision:
    """Approve or reject: a compare-and-set from needs_review (audited job.approved / job.rejected).
    A note or an adjustment of the printed estimate changes no state (audited job.note /
    job.adjust, without the note or the choice: both are stored encrypted with the decision)."""
    if isinstance(decision, JobStatus):
        transition(
            session, job_id=job_id, current=JobStatus.NEEDS_REVIEW, target=decision, actor=actor
        )
        stored = None
    else:
        job = get_or_raise(session, job_id=job_id)
        if decision == "adjust":
            stored = _checked_adjustment(session, job, adjustment).model_dump()
        elif not (note or "").strip():
            raise InputError("note: write the note to add")
        else:
            stored = None
        audit.record(
            session,
            actor=actor,
            action=f"job.{decision}",
            entity_type="job",
            entity_id=job_id,
            part2=job.part2,
        )
    row = ReviewDecision(
        job_id=job_id,
        reviewer=actor.name,
        decision=decision.value if isinstance(decision, JobStatus) else decision,
        note=(note or "").strip() or None,
        adjustment=stored,
    )
    session.add(row)
    return row


# The printed estimate may change while billing reviews it, and after approval (a hardship
# determination often comes later); not once the result is rejected or being re-run.
ADJUSTABLE = frozenset({JobStatus.NEEDS_REVIEW, JobStatus.APPROVED})


def _checked_adjustment(
    session: Session, job: VerificationJob, adjustment: Adjustment | None
) -> Adjustment:
    if adjustment is None:
        raise InputError("adjustment: choose the price option to print")
    result = results.read(session, job_id=job.id)
    if result is None or JobStatus(job.status) not in ADJUSTABLE:
        raise ConflictError(
            f"job {job.id} is {job.status}: only a result waiting for review or approved "
            "can be adjusted"
        )
    return adjustments.check(result, adjustment)


def list_for(session: Session, *, job_id: uuid.UUID) -> list[ReviewDecision]:
    """Oldest first: the last adjustment is the one in force."""
    return list(
        session.exec(
            select(ReviewDecision)
            .where(ReviewDecision.job_id == job_id)
            .order_by(col(ReviewDecision.created_at))
        )
    )
