"""Thin task wrappers over coverage.pipeline and coverage.service. They return nothing."""

import uuid
from datetime import date

from celery import Task
from kombu.exceptions import OperationalError as KombuOperationalError
from sqlalchemy.exc import OperationalError

from coverage import pipeline, service
from coverage.errors import BrokerUnavailable
from coverage.settings import get_settings
from workers.celery_app import app

RETRY_MARGIN_SECONDS = 0.5  # arrive just after the job's not_before, not just before it


@app.task(bind=True, name="coverage.verify", max_retries=None)  # type: ignore[untyped-decorator]
def verify(self: Task, job_id: str) -> None:
    try:
        outcome = pipeline.run(uuid.UUID(job_id))
    except OperationalError:  # database unreachable: try again soon, the sweeper covers the rest
        raise self.retry(
            countdown=pipeline.backoff(self.request.retries + 1), max_retries=10
        ) from None
    # A delay longer than the broker can hold safely stays in the database for the sweeper.
    if outcome.retry_in is not None and outcome.retry_in <= get_settings().max_countdown_seconds:
        raise self.retry(countdown=outcome.retry_in + RETRY_MARGIN_SECONDS)


@app.task(name="coverage.sweep")  # type: ignore[untyped-decorator]
def sweep() -> None:
    service.sweep(enqueue=enqueue)


@app.task(name="coverage.core.reverification")  # type: ignore[untyped-decorator]
def reverify() -> None:
    service.reverify(enqueue=enqueue, today=date.today())


def enqueue(job_id: uuid.UUID) -> None:
    try:
        verify.delay(str(job_id))
    except KombuOperationalError:  # the broker is down: bounded by the app's publish retry policy
        raise BrokerUnavailable(f"the broker did not take job {job_id}") from None
