"""The embedded default: the pipeline runs in this process, no broker (CLI, and the API without one).

The database holds every job's state; the in-memory pool only runs them. So a crash loses
nothing: the server starts a `Recovery` thread that takes the open jobs back from the database when
it starts and sweeps stuck ones every `sweep_interval_seconds`, as the Celery sweeper does."""

import logging
import threading
import uuid
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor

from coverage import pipeline
from coverage.domain.job_state import JobStatus

log = logging.getLogger(__name__)
THREADS = 2  # jobs at once: as many as the embedded API runs
_pool = ThreadPoolExecutor(max_workers=THREADS, thread_name_prefix="pipeline")
# Set on shutdown: a job waiting for its retry time stops waiting; the database keeps that time
# (not_before) and the next start picks the job up.
_stopping = threading.Event()
# Sends the jobs a sweep finds to be run: True at start (every open job), False on the schedule.
Sweep = Callable[[bool], Sequence[uuid.UUID]]


def run_until_settled(job_id: uuid.UUID) -> JobStatus | None:
    """Runs the job, waiting through its retry delays, until it leaves the open states. None: it
    was not this process's to run (another took it), or this process is stopping."""
    try:
        outcome = pipeline.run(job_id)
        while True:
            wait = outcome.retry_in
            if outcome.status is None:  # not claimed: perhaps queued with a retry time ahead
                wait = pipeline.due_in(job_id)
                if not wait:
                    return None
            if wait is None or _stopping.wait(wait + 0.05):
                return outcome.status
            outcome = pipeline.run(job_id)
    except Exception as exc:  # the type only (its text may carry PHI); the sweeper has the job
        log.error("job %s stopped in this process: %s", job_id, type(exc).__name__)
        return None


def enqueue_in_thread(job_id: uuid.UUID) -> None:
    if not _stopping.is_set():
        _pool.submit(_run_once, job_id)


def _run_once(job_id: uuid.UUID) -> None:
    """One attempt in the server's pool; a retry is sent back to the pool when it is due, so a
    waiting job holds no pool thread (the database keeps its time for the next start)."""
    try:
        outcome = pipeline.run(job_id)
        wait = outcome.retry_in
        if outcome.status is None:  # not claimed: perhaps queued with a retry time ahead
            wait = pipeline.due_in(job_id) or None
    except Exception as exc:  # the type only (its text may carry PHI); the sweeper has the job
        log.error("job %s stopped in this process: %s", job_id, type(exc).__name__)
        return
    if wait is not None:
        timer = threading.Timer(wait + 0.05, enqueue_in_thread, args=(job_id,))
        timer.daemon = True  # never holds up a shutdown
        timer.start()


def run_all(job_ids: Iterable[uuid.UUID]) -> list[JobStatus | None]:
    """Runs the jobs here, THREADS at a time, until each settles; their statuses in order."""
    with ThreadPoolExecutor(THREADS, thread_name_prefix="pipeline") as pool:
        return list(pool.map(run_until_settled, job_ids))


class Recovery:
    """The embedded server's sweeper: one sweep at start, then one every `interval` seconds, in a
    thread of its own; `stop()` ends it and lets the running jobs finish their current attempt."""

    def __init__(self, sweep: Sweep, *, interval: float) -> None:
        self._sweep, self._interval = sweep, interval
        self._thread = threading.Thread(target=self._loop, name="recovery", daemon=True)

    def start(self) -> "Recovery":
        global _pool
        if _stopping.is_set():  # a previous server in this process shut the pool down
            _pool = ThreadPoolExecutor(max_workers=THREADS, thread_name_prefix="pipeline")
        _stopping.clear()
        self._thread.start()
        return self

    def _loop(self) -> None:
        at_start = True
        while True:
            try:
                ids = self._sweep(at_start)
                if ids:
                    log.info("took %d open job(s) from the database to run here", len(ids))
                at_start = False
            except Exception as exc:  # e.g. the database is down: try again on the schedule
                log.error("sweep failed: %s", type(exc).__name__)
            if _stopping.wait(self._interval):
                return

    def stop(self) -> None:
        _stopping.set()
        self._thread.join()
        # Jobs not started yet stay queued in the database for the next start.
        _pool.shutdown(wait=True, cancel_futures=True)
        log.info("stopped running jobs; the open ones wait in the database for the next start")
