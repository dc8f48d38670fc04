"""Jobs a crash left open: the sweep moves each on its own, `iop-coverage sweep` without a broker
runs them here, and billing may re-run one no worker holds any more."""

import logging
import os
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import update
from sqlmodel import Session, col

from coverage import service
from coverage.domain.access import WORKER, Actor, Role
from coverage.domain.job_state import OPEN, JobStatus
from coverage.embedded import enqueue_in_thread
from coverage.settings import get_settings
from coverage.store import jobs
from coverage.store.db import session_scope
from coverage.store.tables import VerificationJob, utcnow
from tests.api_client import make_app, staff
from tests.factories import request
from tests.integration.conftest import job_row, result_count
from tests.integration.web_session import SignedInClient, signed_in_client

ROOT = Path(__file__).resolve().parents[2]
CLERK = Actor(name="stranded-clerk", role=Role.ADMISSIONS)
# Deadlines far longer than a test run, so only the jobs a test ages on purpose count as stuck.
DEADLINE = 86400
LONG_AGO = timedelta(seconds=2 * DEADLINE)


@pytest.fixture(autouse=True)
def long_deadlines(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(get_settings(), "queued_deadline_seconds", float(DEADLINE))
    monkeypatch.setattr(get_settings(), "running_deadline_seconds", float(DEADLINE))


def stranded(status: JobStatus, *, age: timedelta = LONG_AGO) -> uuid.UUID:
    """A job left `status` by a process that died `age` ago (sent, or claimed, then nothing)."""
    job, _ = service.queue(request("ppo"), actor=CLERK, enqueue=lambda _id: None)
    with session_scope() as session:
        if status is JobStatus.RUNNING:
            assert jobs.claim(session, job_id=job.id, actor=WORKER)
        session.execute(
            update(VerificationJob)
            .where(col(VerificationJob.id) == job.id)
            .values(enqueued_at=utcnow() - age, status_changed_at=utcnow() - age)
        )
    return job.id


def wait_settled(session: Session, job_id: uuid.UUID, timeout: float = 20) -> VerificationJob:
    deadline = time.monotonic() + timeout
    while JobStatus((job := job_row(session, job_id)).status) in OPEN:
        assert time.monotonic() < deadline, job.status
        time.sleep(0.05)
    return job


# The sweep: one job per transaction.


def test_a_job_that_changed_under_the_sweep_does_not_stop_the_others(
    session: Session, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    first, raced, last = (stranded(JobStatus.RUNNING) for _ in range(3))
    found = jobs.stuck

    def then_a_late_worker_finishes(*args: object, **kwargs: object) -> list[VerificationJob]:
        stuck = found(*args, **kwargs)  # type: ignore[arg-type]
        with session_scope() as other:  # the raced job's worker was only slow: it ends now
            jobs.transition(
                other,
                job_id=raced,
                current=JobStatus.RUNNING,
                target=JobStatus.NEEDS_INFO,
                actor=WORKER,
                message="finished late",
            )
        return stuck

    monkeypatch.setattr(jobs, "stuck", then_a_late_worker_finishes)
    sent: list[uuid.UUID] = []
    with caplog.at_level(logging.WARNING, logger="coverage.service.jobs"):
        service.sweep(enqueue=sent.append)
    assert {first, last} <= set(sent) and raced not in sent
    assert [job_row(session, j).status for j in (first, raced, last)] == [
        "queued",
        "needs_info",
        "queued",
    ]
    assert f"sweeper skipped job {raced}: ConflictError" in caplog.text


# `iop-coverage sweep` without a broker.


def sweep_command() -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "IOP_COVERAGE_BROKER_URL"}
    env |= {
        "IOP_COVERAGE_QUEUED_DEADLINE_SECONDS": str(DEADLINE),
        "IOP_COVERAGE_RUNNING_DEADLINE_SECONDS": str(DEADLINE),
    }
    return subprocess.run(
        [sys.executable, "-m", "coverage.cli", "sweep"],
        env=env,
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=120,
    )


def test_sweep_without_a_broker_runs_the_stranded_jobs_in_its_own_process(
    session: Session,
) -> None:
    queued, running = stranded(JobStatus.QUEUED), stranded(JobStatus.RUNNING)
    fresh = stranded(JobStatus.QUEUED, age=timedelta(0))  # sent just now: not the sweep's
    done = sweep_command()
    assert done.returncode == 0, done.stderr
    assert done.stdout == "ran 2 job(s) in this process: 2 ready for review\n"
    assert "re-enqueued" not in done.stdout + done.stderr
    for job_id in (queued, running):
        job = job_row(session, job_id)
        assert (job.status, result_count(session, job_id)) == ("needs_review", 1)
    assert job_row(session, running).attempts == 2  # the dead attempt, then this one
    assert job_row(session, fresh).status == "queued"


def test_sweep_without_a_broker_says_when_there_was_nothing_to_run() -> None:
    done = sweep_command()
    assert (done.returncode, done.stdout) == (0, "ran 0 job(s) in this process\n")


# Re-run by billing.


@pytest.fixture(scope="module")
def app(database: str) -> Iterator[FastAPI]:
    yield make_app(enqueue_in_thread)  # the embedded default: the job runs in this process


@pytest.fixture(scope="module")
def billing_page(app: FastAPI) -> SignedInClient:
    return signed_in_client(app, Role.BILLING)


@pytest.mark.parametrize("status", [JobStatus.QUEUED, JobStatus.RUNNING])
def test_billing_re_runs_a_stranded_job_over_the_api(
    status: JobStatus, app: FastAPI, session: Session
) -> None:
    job_id = stranded(status)
    client = TestClient(app)
    accepted = client.post(
        f"/api/verifications/{job_id}/rerun", headers=staff(Role.BILLING).headers
    )
    assert accepted.status_code == 202, accepted.text
    job = wait_settled(session, job_id)
    assert (job.status, result_count(session, job_id)) == ("needs_review", 1)


@pytest.mark.parametrize("status", [JobStatus.QUEUED, JobStatus.RUNNING])
def test_billing_re_runs_a_stranded_job_from_its_page(
    status: JobStatus, billing_page: SignedInClient, session: Session
) -> None:
    job_id = stranded(status)
    shown = billing_page.client.get(f"/verifications/{job_id}").text
    assert f'action="/verifications/{job_id}/rerun"' in shown
    assert "No worker is on this verification any more" in shown
    response = billing_page.post_form(f"/verifications/{job_id}/rerun", {"which": "rerun"})
    assert response.status_code == 303
    assert wait_settled(session, job_id).status == "needs_review"


@pytest.mark.parametrize("status", [JobStatus.QUEUED, JobStatus.RUNNING])
def test_a_job_within_its_deadline_is_still_refused(
    status: JobStatus, app: FastAPI, billing_page: SignedInClient, session: Session
) -> None:
    job_id = stranded(status, age=timedelta(seconds=DEADLINE / 2))  # a live worker may hold it
    refused = TestClient(app).post(
        f"/api/verifications/{job_id}/rerun", headers=staff(Role.BILLING).headers
    )
    assert (refused.status_code, refused.json()) == (
        409,
        {"detail": f"job {job_id} is {status.value}: it cannot be re-run now"},
    )
    shown = billing_page.client.get(f"/verifications/{job_id}").text
    assert f'action="/verifications/{job_id}/rerun"' not in shown
    assert job_row(session, job_id).status == status.value
