"""Database-side checks on a batch of jobs: the database is the source of truth for their state."""

import uuid

from sqlalchemy import Engine
from sqlmodel import Session, col, select

from coverage.domain.job_state import OPEN
from coverage.store.db import get_engine
from coverage.store.tables import AuditEvent, CoverageResult, VerificationJob


def open_jobs(job_ids: set[uuid.UUID], engine: Engine | None = None) -> int:
    with Session(engine or get_engine()) as session:
        return len(
            session.exec(
                select(VerificationJob.id).where(
                    col(VerificationJob.id).in_(job_ids),
                    col(VerificationJob.status).in_([s.value for s in OPEN]),
                )
            ).all()
        )


def assert_each_ended_once(
    job_ids: set[uuid.UUID], engine: Engine | None = None
) -> dict[uuid.UUID, int]:
    """Every job needs review, with one result row and one completion; returns attempts per job."""
    with Session(engine or get_engine()) as session:
        jobs = session.exec(
            select(VerificationJob).where(col(VerificationJob.id).in_(job_ids))
        ).all()
        results = session.exec(
            select(CoverageResult.job_id).where(col(CoverageResult.job_id).in_(job_ids))
        ).all()
        completions = session.exec(
            select(AuditEvent.entity_id).where(
                AuditEvent.action == "job.needs_review",
                col(AuditEvent.entity_id).in_([str(j) for j in job_ids]),
            )
        ).all()
    unfinished = [(j.status, j.message) for j in jobs if j.status != "needs_review"]
    assert not unfinished, unfinished
    assert sorted(results) == sorted(job_ids)  # exactly one result row each
    assert sorted(completions) == sorted(str(j) for j in job_ids)  # completed exactly once each
    return {job.id: job.attempts for job in jobs}
