"""The embedded default: the pipeline runs in this process, no broker (CLI, and the API without one)."""

import time
import uuid
from concurrent.futures import ThreadPoolExecutor

from coverage import pipeline
from coverage.domain.job_state import JobStatus

_pool = ThreadPoolExecutor(max_workers=2, thread_name_prefix="pipeline")


def run_until_settled(job_id: uuid.UUID) -> JobStatus | None:
    """Runs the job, sleeping through its retry delays, until it leaves the open states."""
    outcome = pipeline.run(job_id)
    while outcome.retry_in is not None:
        time.sleep(outcome.retry_in + 0.05)
        outcome = pipeline.run(job_id)
    return outcome.status


def enqueue_in_thread(job_id: uuid.UUID) -> None:
    _pool.submit(run_until_settled, job_id)
