"""No PHI in the broker, the worker's logs or the database file: canaries in every PHI field."""

import logging
from collections.abc import Callable
from contextlib import AbstractContextManager
from pathlib import Path

import pytest
import redis

from coverage import service
from coverage.core.reads import job_detail
from coverage.domain.access import Actor, Role
from coverage.store.db import session_scope
from tests.e2e.conftest import wait_settled
from tests.phi_canaries import canary_requests, database_text, hits, record_scan, redis_dump
from workers.tasks import enqueue

CLERK = Actor(name="e2e-canary-clerk", role=Role.ADMISSIONS)
JOBS = 20


def test_canaries_reach_neither_broker_nor_logs_nor_the_database_file(
    broker: redis.Redis,
    request_worker: Callable[[], AbstractContextManager[None]],
    caplog: pytest.LogCaptureFixture,
    sqlite_path: Path,
    tmp_path: Path,
) -> None:
    caplog.set_level(logging.DEBUG)
    requests, canaries = canary_requests(JOBS)
    job_ids = [service.queue(req, actor=CLERK, enqueue=enqueue)[0].id for req in requests]

    queued = redis_dump(broker)
    assert (
        broker.llen("verify") == JOBS and "coverage.verify" in queued
    )  # the scan sees the messages
    assert hits(queued, canaries) == []

    with request_worker():
        assert [wait_settled(job_id).status for job_id in job_ids] == ["needs_review"] * JOBS
    after = redis_dump(broker)
    assert "succeeded in" in caplog.text  # the worker's own log lines were captured

    # the service still decrypts every canary
    with session_scope() as session:
        detail = job_detail(session, job_id=job_ids[0], actor=CLERK)
    assert detail.request.enrollee.first_name == requests[0].enrollee.first_name

    text = database_text(sqlite_path, tmp_path)
    assert "needs_review" in text  # the scan reads the data
    scanned = {
        "broker (queued)": queued,
        "Redis (after)": after,
        "worker log": caplog.text,
        "database": text,
    }
    assert record_scan("PHI canaries: broker and worker", scanned, canaries) == []
