"""CSV batches of verifications: accept a file (every valid row queued, every bad row reported),
then follow the jobs it queued.

Accepting follows coverage.service.queue: the database first (all of a batch's jobs in one
transaction), the broker after commit, job IDs only. A row already queued by the same submitter,
in this file or an earlier one, is reported as a duplicate naming the earlier job."""

import csv
import hashlib
import io
import json
import logging
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from pydantic import BaseModel
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from coverage import service
from coverage.batches import csv_file
from coverage.core.rule_book import payers_in_force
from coverage.domain.access import Actor, Role
from coverage.domain.flat_request import template_csv_rows
from coverage.domain.job_state import OPEN, JobStatus
from coverage.domain.request import VerificationRequest
from coverage.errors import NotFoundError
from coverage.service import Enqueue
from coverage.store import audit, jobs
from coverage.store import batches as stored
from coverage.store.crypto import keyed_hash
from coverage.store.db import session_scope
from coverage.store.tables import Batch, as_utc

log = logging.getLogger(__name__)
Outcome = Literal["queued", "duplicate", "rejected"]


class RowError(BaseModel):
    column: str
    reason: str


class RowReport(BaseModel):
    row: int  # as a spreadsheet numbers it: the header is row 1
    outcome: Outcome
    job_id: uuid.UUID | None  # queued: its new job; duplicate: the job queued earlier
    job_status: JobStatus | None
    job_message: str  # the job's staff-facing message (never PHI), e.g. what to fix
    errors: list[RowError]


class BatchProgress(BaseModel):
    """The jobs this batch queued (duplicates point at earlier jobs and are not counted)."""

    done: int  # no longer queued or running
    total: int
    percent: int
    queued: int = 0
    running: int = 0
    needs_review: int = 0
    needs_info: int = 0
    failed: int = 0
    approved: int = 0
    rejected: int = 0


class BatchReport(BaseModel):
    id: uuid.UUID
    submitter: str
    created_at: datetime
    rows: int
    queued: int
    duplicates: int
    rejected: int
    progress: BatchProgress
    report: list[RowReport]


def canonical_json(request: VerificationRequest) -> str:
    """The validated request with sorted keys: a date typed 04/12/1988 or 1988-04-12 reads the same."""
    return json.dumps(request.model_dump(mode="json"), sort_keys=True, separators=(",", ":"))


def row_hash(request: VerificationRequest) -> str:
    return keyed_hash(canonical_json(request))


@dataclass(frozen=True)
class Accepted:
    batch_id: uuid.UUID
    job_ids: list[uuid.UUID]  # the new jobs, stored and marked enqueued: send them next


def accept(data: bytes, *, actor: Actor) -> Accepted:
    """Reads, validates and stores a CSV batch: one transaction for the batch, its rows and every
    new job. Raises CsvRefused (nothing stored) when the file as a whole cannot be used.

    The caller then sends the job IDs with enqueue_all(); the web page and the API do that after
    their response, so a thousand rows are accepted without waiting for a thousand broker sends."""
    rows = csv_file.read_rows(data)
    payer_ids = payers_in_force().keys()
    checked = [csv_file.check_row(row, payer_ids=payer_ids) for row in rows]
    hashes = {c.number: row_hash(c.request) for c in checked if c.request is not None}
    file_hash = keyed_hash(hashlib.sha256(data).hexdigest())
    try:
        batch_id, new_jobs = _store(checked, hashes, actor=actor, file_hash=file_hash)
    except IntegrityError:
        # The same rows were being queued by another upload at the same moment (a double click):
        # once that one has committed, they are duplicates of its jobs.
        batch_id, new_jobs = _store(checked, hashes, actor=actor, file_hash=file_hash)
    # Marked before sending: if a send fails or the process stops, the sweeper's deadline still
    # brings the job back (coverage.service.sweep).
    with session_scope() as session:
        jobs.mark_enqueued(session, job_ids=new_jobs)
    log.info("batch %s: %d rows, %d jobs queued", batch_id, len(checked), len(new_jobs))
    return Accepted(batch_id, new_jobs)


def enqueue_all(job_ids: list[uuid.UUID], enqueue: Enqueue) -> None:
    """Sends the IDs of committed jobs to the workers (IDs only, never PHI); with the broker
    down they stay queued for the sweeper."""
    service.send(job_ids, enqueue)


def _store(
    checked: list[csv_file.CheckedRow],
    hashes: dict[int, str],
    *,
    actor: Actor,
    file_hash: str,
) -> tuple[uuid.UUID, list[uuid.UUID]]:
    with session_scope() as session:
        batch = stored.start(session, actor=actor, file_hash=file_hash)
        earlier = stored.earlier_jobs(
            session, submitter=actor.name, row_hashes=list(hashes.values())
        )
        # The first row with new content gets a job; a later row with the same content repeats it.
        first_rows: dict[str, csv_file.CheckedRow] = {}
        for row in checked:
            digest = hashes.get(row.number)
            if digest and digest not in earlier and digest not in first_rows:
                first_rows[digest] = row
        requests = [
            (row.request, stored.job_key(digest))
            for digest, row in first_rows.items()
            if row.request is not None  # always: only valid rows have a hash
        ]
        created = jobs.create_many(session, requests=requests, actor=actor)
        new_job = {
            row.number: job_id for row, job_id in zip(first_rows.values(), created, strict=True)
        }
        job_for = earlier | {digest: new_job[row.number] for digest, row in first_rows.items()}
        outcomes = []
        for row in checked:
            digest = hashes.get(row.number)
            if digest is None:
                errors = [{"column": e.column, "reason": e.reason} for e in row.errors]
                outcomes.append(stored.RowOutcome(row.number, "rejected", errors=errors))
            else:
                outcome = "queued" if row.number in new_job else "duplicate"
                outcomes.append(
                    stored.RowOutcome(row.number, outcome, row_hash=digest, job_id=job_for[digest])
                )
        stored.finish(
            session,
            batch=batch,
            rows=outcomes,
            actor=actor,
            part2=any(request.part2 for request, _ in requests),
        )
        batch_id = batch.id
    return batch_id, created


def readable(session: Session, *, batch_id: uuid.UUID, actor: Actor) -> Batch:
    """Admissions staff see the batches they uploaded; billing sees all (others: not found)."""
    batch = session.get(Batch, batch_id)
    if batch is None or not (actor.role is Role.BILLING or batch.submitter == actor.name):
        raise NotFoundError(f"no batch {batch_id}")
    return batch


def _progress(counts: dict[str, int]) -> BatchProgress:
    by_status = {status.value: counts.get(status.value, 0) for status in JobStatus}
    total = sum(by_status.values())
    done = total - sum(by_status[status.value] for status in OPEN)
    return BatchProgress(
        done=done, total=total, percent=done * 100 // total if total else 100, **by_status
    )


def progress(session: Session, *, batch_id: uuid.UUID, actor: Actor) -> BatchProgress:
    readable(session, batch_id=batch_id, actor=actor)
    return _progress(stored.job_counts(session, batch_ids=[batch_id])[batch_id])


def report(
    session: Session, *, batch_id: uuid.UUID, actor: Actor, audited: bool = True
) -> BatchReport:
    """The per-row report and progress. No PHI: row numbers, job IDs, column names and reasons;
    the read is audited all the same, as who looked at which batch."""
    batch = readable(session, batch_id=batch_id, actor=actor)
    states = stored.job_states(session, batch_id=batch_id)
    rows = stored.rows_of(session, batch_id=batch_id)
    counts: dict[str, int] = {}
    for row in rows:
        if row.outcome == "queued" and row.job_id in states:
            status = states[row.job_id][0]
            counts[status] = counts.get(status, 0) + 1
    if audited:
        audit.record(
            session, actor=actor, action="batch.read", entity_type="batch", entity_id=batch_id
        )
        session.commit()
    return BatchReport(
        id=batch.id,
        submitter=batch.submitter,
        created_at=as_utc(batch.created_at),
        rows=batch.rows,
        queued=batch.queued,
        duplicates=batch.duplicates,
        rejected=batch.rejected,
        progress=_progress(counts),
        report=[
            RowReport(
                row=row.row_number,
                outcome=row.outcome,  # one of Outcome, as stored
                job_id=row.job_id,
                job_status=JobStatus(states[row.job_id][0]) if row.job_id in states else None,
                job_message=states[row.job_id][1] if row.job_id in states else "",
                errors=[RowError(**error) for error in row.errors],
            )
            for row in rows
        ],
    )


def recent(session: Session, *, actor: Actor, limit: int = 20) -> list[tuple[Batch, BatchProgress]]:
    """The submitter's latest batches with the progress of each (no PHI)."""
    found = stored.recent(session, submitter=actor.name, limit=limit)
    counts = stored.job_counts(session, batch_ids=[batch.id for batch in found])
    return [(batch, _progress(counts[batch.id])) for batch in found]


def template_csv() -> str:
    """The header row and one example row, for staff to fill in."""
    out = io.StringIO()
    csv.writer(out).writerows(template_csv_rows())
    return out.getvalue()


def report_of(batch_id: uuid.UUID, *, actor: Actor) -> BatchReport:
    """report() in a unit of work of its own, unaudited: the command that queued the batch
    follows it (the command line has no request session)."""
    with session_scope() as session:
        return report(session, batch_id=batch_id, actor=actor, audited=False)


def done_of(batch_id: uuid.UUID, *, actor: Actor) -> int:
    with session_scope() as session:
        return progress(session, batch_id=batch_id, actor=actor).done
