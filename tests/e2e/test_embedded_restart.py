"""The embedded default (`iop-coverage serve` without a broker) killed with kill -9 mid-way: after
a restart every job settles, none twice, a job caught in its retry wait included.

The server runs as a real OS process on the run's database; the sandbox payer is slowed down so
the kill lands while jobs are queued, running and waiting for a retry at the same time.
"""

import os
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
from sqlalchemy import update
from sqlmodel import Session, col, select

from coverage.domain.access import Role
from coverage.domain.job_state import OPEN, JobStatus
from coverage.store.db import get_engine
from coverage.store.tables import VerificationJob, utcnow
from tests.api_client import staff
from tests.e2e.jobwatch import assert_each_ended_once, open_jobs
from tests.e2e.processes import Server, serve
from tests.factories import request_body
from tests.figures import record

# Seconds the sandbox payer takes: two at a time, 10 jobs take about 15 s. The kill lands on a
# job that has at least LATENCY - RUNNING_AT_MOST seconds of its payer call ahead of it.
LATENCY = 3.0
RUNNING_AT_MOST = 1.5  # seconds, by the database's own timestamp, a job may have been running
RETRY_SECONDS = 6  # the payer-down jobs wait about this long before their second attempt


@pytest.fixture
def env(database: str) -> dict[str, str]:
    embedded = {k: v for k, v in os.environ.items() if k != "IOP_COVERAGE_BROKER_URL"}
    return embedded | {
        "IOP_COVERAGE_SANDBOX_LATENCY_SECONDS": str(LATENCY),
        "IOP_COVERAGE_RETRY_BASE_SECONDS": str(RETRY_SECONDS),
        "IOP_COVERAGE_RETRY_CAP_SECONDS": str(RETRY_SECONDS),
        # Long deadlines: only the restart itself may bring the stranded jobs back.
        "IOP_COVERAGE_QUEUED_DEADLINE_SECONDS": "600",
        "IOP_COVERAGE_RUNNING_DEADLINE_SECONDS": "600",
        "IOP_COVERAGE_SWEEP_INTERVAL_SECONDS": "600",
    }


@pytest.fixture
def created() -> Iterator[set[uuid.UUID]]:
    """The test's jobs; any it leaves open are closed, so a failure here does not spill into the
    sweeper tests, which sweep every open job in the database."""
    job_ids: set[uuid.UUID] = set()
    yield job_ids
    with Session(get_engine()) as session:
        session.execute(
            update(VerificationJob)
            .where(
                col(VerificationJob.id).in_(job_ids),
                col(VerificationJob.status).in_([s.value for s in OPEN]),
            )
            .values(status=JobStatus.FAILED.value, message="left open by a failed test")
        )
        session.commit()


def rows(job_ids: set[uuid.UUID]) -> list[VerificationJob]:
    with Session(get_engine()) as session:
        return list(
            session.exec(select(VerificationJob).where(col(VerificationJob.id).in_(job_ids)))
        )


def caught_mid_way(jobs: list[VerificationJob], waiting: set[uuid.UUID]) -> bool:
    """Some jobs done, one just started, and each payer-down job waiting for its retry."""
    now = utcnow().replace(tzinfo=None)
    by_status: dict[str, int] = {}
    retry_ahead = fresh = 0
    for job in jobs:
        by_status[job.status] = by_status.get(job.status, 0) + 1
        if job.id in waiting and job.status == "queued" and job.attempts == 1:
            retry_ahead += job.not_before is not None and job.not_before.replace(tzinfo=None) > now
        if job.status == "running":
            # The server's own timestamp, not when this loop first saw it: a loaded machine
            # polls late, and a job first seen running may be about to finish.
            since = (now - job.status_changed_at.replace(tzinfo=None)).total_seconds()
            fresh += since <= RUNNING_AT_MOST
    return (
        by_status.get("needs_review", 0) >= 1
        and fresh >= 1
        and by_status.get("queued", 0) >= 3
        and retry_ahead == len(waiting)
    )


def test_a_killed_embedded_server_finishes_every_job_after_a_restart(
    env: dict[str, str], tmp_path: Path, created: set[uuid.UUID]
) -> None:
    headers = staff(Role.ADMISSIONS, "e2e-embedded").headers
    server: Server = serve(env, tmp_path, name="serve-1")
    try:
        # The payer-down jobs first, so their retry wait has begun when the kill lands.
        bodies = [request_body("down", member_suffix=f"{n}") for n in range(2)] + [
            request_body("ppo", member_suffix=f"{n:03d}") for n in range(8)
        ]
        ids = []
        for body in bodies:
            answer = requests.post(
                f"{server.url}/api/verifications", headers=headers, json=body, timeout=10
            )
            assert answer.status_code == 202, answer.text
            ids.append(uuid.UUID(answer.json()["id"]))
            created.add(ids[-1])
        job_ids, waiting = set(ids), set(ids[:2])
        deadline = time.monotonic() + 120
        while not caught_mid_way(jobs := rows(job_ids), waiting):
            assert time.monotonic() < deadline, [(j.status, j.attempts) for j in jobs]
            time.sleep(0.02)
    finally:
        server.process.kill()

    left = [j.status for j in rows(job_ids)]
    assert left.count("running") >= 1 and left.count("queued") >= 3, left
    time.sleep(1)  # the database, not a process, holds them now
    assert [j.status for j in rows(job_ids)] == left

    restarted = serve(env, tmp_path, name="serve-2")
    try:
        deadline = time.monotonic() + 120
        while open_jobs(job_ids):
            assert time.monotonic() < deadline, [(j.status, j.message) for j in rows(job_ids)]
            time.sleep(0.2)
        restarted.process.wait_for_log("took ")
    finally:
        restarted.process.stop()
    record(
        "embedded server kill -9",
        f"{len(job_ids)} jobs, at the kill {left.count('running')} running and "
        f"{left.count('queued')} queued: {open_jobs(job_ids)} stranded after the restart",
    )
    attempts = assert_each_ended_once(job_ids)  # needs review, one result, one completion each
    assert all(attempts[j] >= 2 for j in waiting)  # the retry happened after the restart
    # Stopped cleanly on SIGTERM: the recovery thread and the pool ended before the process.
    assert "open ones wait in the database for the next start" in restarted.process.tail()
    assert JobStatus.QUEUED.value not in {j.status for j in rows(job_ids)}
