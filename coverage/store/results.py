"""Results: one current result per job, typed when read; a re-run's result replaces it and the
old one is kept as it was. Keyword-only, session first."""

import uuid
from typing import Any

from sqlmodel import Session, col, select

from coverage.domain.result import VerificationResult
from coverage.store.tables import CoverageResult, SupersededResult, utcnow


def save(
    session: Session,
    *,
    job_id: uuid.UUID,
    body: dict[str, Any],
    rule_files: list[dict[str, Any]],
    rule_book_version: str | None,
) -> None:
    """One current result per job; a re-run's result replaces it and the old one is kept."""
    current = get(session, job_id=job_id)
    if current is None:
        session.add(
            CoverageResult(
                job_id=job_id,
                body=body,
                rule_files=rule_files,
                rule_book_version=rule_book_version,
            )
        )
        return
    session.add(
        SupersededResult(
            job_id=job_id,
            body=current.body,
            rule_files=current.rule_files,
            rule_book_version=current.rule_book_version,
            created_at=current.created_at,
        )
    )
    current.body = body
    current.rule_files = rule_files
    current.rule_book_version = rule_book_version
    current.created_at = utcnow()
    session.add(current)


def superseded(session: Session, *, job_id: uuid.UUID) -> list[SupersededResult]:
    return list(
        session.exec(
            select(SupersededResult)
            .where(SupersededResult.job_id == job_id)
            .order_by(col(SupersededResult.superseded_at))
        )
    )


def get(session: Session, *, job_id: uuid.UUID) -> CoverageResult | None:
    return session.exec(select(CoverageResult).where(CoverageResult.job_id == job_id)).first()


def read(session: Session, *, job_id: uuid.UUID) -> VerificationResult | None:
    """The job's current result, typed (a body of any stored format)."""
    row = get(session, job_id=job_id)
    return None if row is None else VerificationResult.read(row.body)
