"""A job whose broker message is lost is re-enqueued by the sweeper and completes exactly once."""

import uuid
from collections.abc import Callable
from contextlib import AbstractContextManager
from datetime import timedelta

import pytest
import redis
from sqlmodel import Session, select

from coverage import service
from coverage.domain.access import WORKER, Actor, Role
from coverage.settings import get_settings
from coverage.store import jobs
from coverage.store.db import get_engine, session_scope
from coverage.store.tables import AuditEvent, CoverageResult, utcnow
from tests.e2e.conftest import wait_settled
from tests.factories import request
from workers.celery_app import app
from workers.tasks import enqueue, sweep, verify

CLERK = Actor(name="e2e-sweeper-clerk", role=Role.ADMISSIONS)


def test_a_lost_message_is_re_enqueued_and_the_job_completes_once(
    broker: redis.Redis, request_worker: Callable[[], AbstractContextManager[None]]
) -> None:
    queue = get_settings().verify_queue
    job, _ = service.queue(request("ppo"), actor=CLERK, enqueue=enqueue)
    assert broker.llen(queue) == 1
    broker.delete(queue)  # the message is lost (a Redis restart without persistence)

    later = utcnow() + timedelta(seconds=get_settings().queued_deadline_seconds + 1)
    assert service.sweep(enqueue=enqueue, now=later) == [job.id]
    assert broker.llen(queue) == 1
    # a second sweep in the same interval does not enqueue it again
    assert service.sweep(enqueue=enqueue, now=later) == []

    with request_worker():
        assert wait_settled(job.id).status == "needs_review"
        # a duplicate delivery after completion is a no-op
        verify.delay(str(job.id))
        sweep.delay()
        wait_settled(job.id)
    with Session(get_engine()) as session:
        results = session.exec(select(CoverageResult).where(CoverageResult.job_id == job.id)).all()
        completions = session.exec(
            select(AuditEvent).where(
                AuditEvent.entity_id == str(job.id), AuditEvent.action == "job.needs_review"
            )
        ).all()
    assert (len(results), len(completions)) == (1, 1)


def test_a_job_whose_worker_died_is_released_then_failed_after_the_attempt_cap(
    database: str,
) -> None:
    settings = get_settings()
    job, _ = service.queue(request("ppo"), actor=CLERK, enqueue=lambda _id: None)
    sent: list[object] = []

    for attempt in range(1, settings.max_attempts + 1):
        with session_scope() as session:
            assert jobs.claim(session, job_id=job.id, actor=WORKER)  # a worker takes it, then dies
        later = utcnow() + timedelta(seconds=settings.running_deadline_seconds + 1)
        service.sweep(enqueue=sent.append, now=later)
        assert wait_settled(job.id, timeout=0).status == (
            "queued" if attempt < settings.max_attempts else "failed"
        )
    assert len(sent) == settings.max_attempts - 1
    assert wait_settled(job.id, timeout=0).message == (
        f"Stopped after {settings.max_attempts} attempts that did not finish (worker lost). "
        "Re-run when the cause is fixed."
    )


def test_publishing_anything_but_a_job_id_is_refused_before_the_broker(broker: redis.Redis) -> None:
    with pytest.raises(
        TypeError, match="task coverage.verify takes job IDs only; refused a dict argument"
    ):
        verify.delay({"first_name": "CNRY-refused"})
    with pytest.raises(TypeError, match="refused a str argument"):
        verify.delay("Jordan Sample")
    # The app's other ways to publish pass the same check.
    with pytest.raises(TypeError, match="task coverage.verify takes job IDs only"):
        app.send_task("coverage.verify", args=["Jordan Sample"])
    with pytest.raises(TypeError, match="refused a str argument"):
        app.send_task("coverage.verify", kwargs={"job_id": "1970-01-01"})
    with pytest.raises(TypeError, match="refused a str argument"):
        verify.s("Jordan Sample").apply_async()
    assert broker.llen(get_settings().verify_queue) == 0
    assert broker.keys("*") == []
    # A job ID goes through, so the queue above was really watched.
    app.send_task("coverage.verify", args=[str(uuid.uuid4())])
    assert broker.llen(get_settings().verify_queue) == 1
