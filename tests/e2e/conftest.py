"""A real Redis broker and a real Celery worker (celery.contrib.testing), on the run's database."""

import logging
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager

import pytest
import redis
from fastapi.testclient import TestClient
from sqlmodel import Session

from coverage.domain.job_state import OPEN, JobStatus
from coverage.store.db import get_engine
from coverage.store.tables import VerificationJob
from tests.api_client import api_client
from tests.conftest import REDIS_URL


@pytest.fixture
def broker(database: str) -> Iterator[redis.Redis]:
    client = redis.Redis.from_url(REDIS_URL)
    client.flushdb()
    yield client
    client.flushdb()


@contextmanager
def running_worker() -> Iterator[None]:
    from celery.contrib.testing.worker import start_worker

    from coverage.settings import get_settings
    from workers.celery_app import app

    settings = get_settings()
    with start_worker(
        app,
        pool="solo",
        concurrency=1,
        perform_ping_check=False,
        loglevel=logging.DEBUG,
        shutdown_timeout=10,
        queues=[settings.verify_queue, settings.sweep_queue],
    ):
        yield


@pytest.fixture
def worker(broker: redis.Redis) -> Iterator[None]:
    with running_worker():
        yield


@pytest.fixture
def client(worker: None) -> Iterator[TestClient]:
    """The API on a new app that sends its jobs to the broker, where the running worker takes them.
    A module whose test edits the rules first says so with `pytest.mark.usefixtures("rules")`."""
    with api_client() as test_client:
        yield test_client


@pytest.fixture
def request_worker(broker: redis.Redis) -> Callable[[], AbstractContextManager[None]]:
    """Starts a worker when the test says so (after it has arranged the broker)."""
    return running_worker


def wait_settled(job_id: uuid.UUID | str, timeout: float = 30) -> VerificationJob:
    deadline = time.monotonic() + timeout
    while True:
        with Session(get_engine()) as session:
            job = session.get(VerificationJob, uuid.UUID(str(job_id)))
            assert job is not None
            if JobStatus(job.status) not in OPEN or time.monotonic() > deadline:
                return job
        time.sleep(0.1)
