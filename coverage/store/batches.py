"""CSV batches: the batch, its per-row outcomes and the progress of the jobs it queued.
Keyword-only, session first."""

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field

from sqlalchemy import func, insert
from sqlmodel import Session, col, select

from coverage.domain.access import Actor
from coverage.errors import NotFoundError
from coverage.store import audit
from coverage.store.tables import Batch, BatchRow, VerificationJob

# A queued row's job carries this idempotency key: the unique (submitter, key) constraint on jobs
# then refuses a second job for the same row, even from two uploads at the same moment.
_KEY_PREFIX = "batch:"


def job_key(row_hash: str) -> str:
    return _KEY_PREFIX + row_hash


@dataclass(frozen=True)
class RowOutcome:
    number: int
    outcome: str  # queued, duplicate, rejected
    row_hash: str | None = None
    job_id: uuid.UUID | None = None
    errors: list[dict[str, str]] = field(default_factory=list)


def start(session: Session, *, actor: Actor, file_hash: str) -> Batch:
    """Inserts the batch first: on SQLite the write lock is then held, so the duplicate look-up
    that follows sees every earlier upload."""
    batch = Batch(submitter=actor.name, file_hash=file_hash)
    session.add(batch)
    session.flush()
    return batch


def earlier_jobs(
    session: Session, *, submitter: str, row_hashes: Sequence[str]
) -> dict[str, uuid.UUID]:
    """Row hash -> the job this submitter already queued for the same row (in any batch)."""
    found: dict[str, uuid.UUID] = {}
    keys = sorted({job_key(h) for h in row_hashes})
    for start_at in range(0, len(keys), 500):
        chunk = keys[start_at : start_at + 500]
        rows = session.exec(
            select(VerificationJob.idempotency_key, VerificationJob.id).where(
                VerificationJob.submitter == submitter,
                col(VerificationJob.idempotency_key).in_(chunk),
            )
        )
        for key, job_id in rows:
            assert key is not None
            found[key.removeprefix(_KEY_PREFIX)] = job_id
    return found


def finish(
    session: Session, *, batch: Batch, rows: Sequence[RowOutcome], actor: Actor, part2: bool
) -> None:
    """Stores the rows and the counts, with one audit entry (counts only) for the whole batch."""
    session.execute(
        insert(BatchRow),
        [
            {
                "batch_id": batch.id,
                "row_number": row.number,
                "outcome": row.outcome,
                "row_hash": row.row_hash,
                "job_id": row.job_id,
                "errors": row.errors,
            }
            for row in rows
        ],
    )
    batch.rows = len(rows)
    batch.queued = sum(row.outcome == "queued" for row in rows)
    batch.duplicates = sum(row.outcome == "duplicate" for row in rows)
    batch.rejected = sum(row.outcome == "rejected" for row in rows)
    session.add(batch)
    audit.record(
        session,
        actor=actor,
        action="batch.create",
        entity_type="batch",
        entity_id=batch.id,
        part2=part2,
        detail=f"{batch.rows} rows: {batch.queued} queued, {batch.duplicates} duplicates, "
        f"{batch.rejected} rejected",
    )


def get_or_raise(session: Session, *, batch_id: uuid.UUID) -> Batch:
    batch = session.get(Batch, batch_id)
    if batch is None:
        raise NotFoundError(f"no batch {batch_id}")
    return batch


def rows_of(session: Session, *, batch_id: uuid.UUID) -> list[BatchRow]:
    return list(
        session.exec(
            select(BatchRow).where(BatchRow.batch_id == batch_id).order_by(col(BatchRow.row_number))
        )
    )


def job_states(session: Session, *, batch_id: uuid.UUID) -> dict[uuid.UUID, tuple[str, str]]:
    """Status and staff message (never PHI) of every job the batch's rows point at."""
    rows = session.exec(
        select(VerificationJob.id, VerificationJob.status, VerificationJob.message)
        .join(BatchRow, col(BatchRow.job_id) == col(VerificationJob.id))
        .where(BatchRow.batch_id == batch_id)
    )
    return {job_id: (status, message) for job_id, status, message in rows}


def job_counts(
    session: Session, *, batch_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, dict[str, int]]:
    """Per batch, how many of the jobs it queued are in each status (one grouped query)."""
    found: dict[uuid.UUID, dict[str, int]] = {batch_id: {} for batch_id in batch_ids}
    if not batch_ids:
        return found
    rows = session.exec(
        select(BatchRow.batch_id, VerificationJob.status, func.count())
        .join(VerificationJob, col(BatchRow.job_id) == col(VerificationJob.id))
        .where(col(BatchRow.batch_id).in_(batch_ids), BatchRow.outcome == "queued")
        .group_by(col(BatchRow.batch_id), col(VerificationJob.status))
    )
    for batch_id, status, count in rows:
        found[batch_id][status] = count
    return found


def recent(session: Session, *, submitter: str, limit: int = 20) -> list[Batch]:
    return list(
        session.exec(
            select(Batch)
            .where(Batch.submitter == submitter)
            .order_by(col(Batch.created_at).desc())
            .limit(limit)
        )
    )
