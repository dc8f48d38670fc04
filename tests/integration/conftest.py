import uuid
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, col, select

from coverage.domain.access import Actor, Role
from coverage.domain.request import VerificationRequest
from coverage.store.db import get_engine
from coverage.store.tables import AuditEvent, CoverageResult, VerificationJob
from tests.api_client import api_client, leave_queued


@pytest.fixture(autouse=True)
def _db(database: str) -> Iterator[None]:
    yield


@pytest.fixture
def session() -> Iterator[Session]:
    with Session(get_engine(), expire_on_commit=False) as s:
        yield s


@pytest.fixture
def client(database: str) -> Iterator[TestClient]:
    """The API on a new app whose jobs stay queued: a test runs them itself (`queue_in_process`,
    `run_until_settled`). A module that needs them run otherwise uses `api_client(enqueue=...)`."""
    with api_client(enqueue=leave_queued) as test_client:
        yield test_client


@pytest.fixture
def clerk() -> Actor:
    return Actor(name=f"clerk-{uuid.uuid4().hex[:8]}", role=Role.ADMISSIONS)


def queue_in_process(req: VerificationRequest, actor: Actor) -> uuid.UUID:
    """Queue and run to completion in this process (the embedded default)."""
    from coverage import service
    from coverage.embedded import run_until_settled

    job, _ = service.queue(req, actor=actor, enqueue=lambda _id: None)
    run_until_settled(job.id)
    return job.id


def job_row(session: Session, job_id: uuid.UUID) -> VerificationJob:
    session.expire_all()
    job = session.get(VerificationJob, job_id)
    assert job is not None
    return job


def result_count(session: Session, job_id: uuid.UUID) -> int:
    return len(session.exec(select(CoverageResult).where(CoverageResult.job_id == job_id)).all())


def actions(session: Session, job_id: uuid.UUID) -> list[str]:
    rows = session.exec(
        select(AuditEvent).where(AuditEvent.entity_id == str(job_id)).order_by(col(AuditEvent.id))
    ).all()
    return [r.action for r in rows]
