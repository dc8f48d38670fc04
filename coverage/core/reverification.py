"""Monthly re-verification of enrollees in care: coverage can end or change mid-episode.

For every approved verification whose planned episode is under way, a new job with the same
request asks the payers again (fresh checks) once `REVERIFY_EVERY_DAYS` have passed since the
last verification of that episode. Its result lists what changed, for billing to review.
"""

import uuid
from datetime import date, timedelta

from sqlmodel import Session, col, select

from coverage.domain.calendar import service_dates
from coverage.domain.job_state import JobStatus
from coverage.domain.result import VerificationResult
from coverage.settings import get_settings
from coverage.store import jobs, results
from coverage.store.tables import VerificationJob

COMPARED = ("active", "plan_name", "insurance_type", "plan_begin", "plan_end")


def _last_verified(session: Session, original: VerificationJob) -> date:
    latest = session.exec(
        select(VerificationJob.created_at)
        .where(col(VerificationJob.reverifies) == original.id)
        .order_by(col(VerificationJob.created_at).desc())
    ).first()
    return (latest or original.created_at).date()


def due(session: Session, *, today: date) -> list[uuid.UUID]:
    """Approved verifications whose episode is under way and was last verified too long ago."""
    every = get_settings().reverify_every_days
    if every <= 0:
        return []
    found = []
    approved = session.exec(
        select(VerificationJob).where(
            VerificationJob.status == JobStatus.APPROVED.value,
            col(VerificationJob.reverifies).is_(None),
        )
    ).all()
    for job in approved:
        days = service_dates(jobs.load_inputs(session, job_id=job.id).request.plan)
        if days[0] <= today <= days[-1] and _last_verified(session, job) <= today - timedelta(
            days=every
        ):
            found.append(job.id)
    return found


def coverage_changes(before: VerificationResult, after: VerificationResult) -> list[str]:
    """What the payers say now that they did not say at the last verification, per payer."""
    previous = {c.payer_id: c for c in before.coverage}
    changes = []
    for now in after.coverage:
        then = previous.pop(now.payer_id, None)
        if then is None:
            changes.append(f"{now.payer_name}: not checked at the last verification")
            continue
        for field in COMPARED:
            was, is_ = getattr(then, field), getattr(now, field)
            if was != is_:
                label = field.replace("_", " ")
                changes.append(f"{now.payer_name}: {label} was {was}, now {is_}")
    changes.extend(f"{c.payer_name}: no longer checked" for c in previous.values())
    old, new = before.estimate.patient_total, after.estimate.patient_total
    if old != new:
        changes.append(f"Estimated patient total was ${old}, now ${new}")
    return changes


def changes_since(session: Session, original: uuid.UUID, result: VerificationResult) -> list[str]:
    """Against the stored result of the verification this one re-checks (caller's unit of work)."""
    previous = results.read(session, job_id=original)
    if previous is None:
        return ["The verification this one re-checks has no stored result"]
    return coverage_changes(previous, result)
