"""The Celery app, configured for work that must not be lost or run twice (see README, Workers)."""

import logging
import uuid
from typing import Any

from celery import Celery, Task, signals

from coverage.rules.current import current_rulebook
from coverage.rules.loader import RuleFileError
from coverage.settings import Settings, get_settings

log = logging.getLogger(__name__)


class IdOnlyTask(Task):  # type: ignore[misc]
    """Refuses to publish anything but UUID arguments, so PHI can never reach the broker."""

    def apply_async(self, args: Any = None, kwargs: Any = None, **options: Any) -> Any:
        for value in [*(args or ()), *(kwargs or {}).values()]:
            try:
                uuid.UUID(str(value))
            except ValueError:
                raise TypeError(
                    f"task {self.name} takes job IDs only; refused a {type(value).__name__} argument"
                ) from None
        return super().apply_async(args, kwargs, **options)


def create_app(settings: Settings | None = None) -> Celery:
    settings = settings or get_settings()
    app = Celery("iop_coverage", task_cls=IdOnlyTask)
    app.conf.update(
        broker_url=settings.broker_url or "memory://",
        broker_connection_retry_on_startup=True,
        broker_connection_max_retries=None,  # compose starts workers before Redis may be up
        broker_transport_options={"visibility_timeout": settings.visibility_timeout_seconds},
        task_serializer="json",
        accept_content=["json"],
        task_acks_late=True,
        task_reject_on_worker_lost=True,
        worker_prefetch_multiplier=1,
        task_ignore_result=True,
        result_backend=None,
        task_default_queue=settings.verify_queue,
        task_routes={
            "coverage.verify": {"queue": settings.verify_queue},
            "coverage.sweep": {"queue": settings.sweep_queue},
            "coverage.reverify": {"queue": settings.sweep_queue},
        },
        beat_schedule={
            "sweep-stuck-jobs": {
                "task": "coverage.sweep",
                "schedule": settings.sweep_interval_seconds,
            },
            "reverify-enrollees-in-care": {
                "task": "coverage.reverify",
                "schedule": settings.reverify_check_seconds,
            },
        },
        worker_hijack_root_logger=False,
        include=["workers.tasks"],
    )
    return app


@signals.celeryd_after_setup.connect  # type: ignore[untyped-decorator]
def load_rule_book(**_: Any) -> None:
    """Loads the rule book in the worker's main process, after logging is set up and before the
    prefork pool forks.

    The pool children inherit it (and go on reloading it when a file changes), instead of each
    loading it on its first job: C loads at once, the moment a worker starts, each about half a
    CPU-second (bench/load.py saw the first job of every child take 5-10 s on a busy machine).
    A rule book that does not load is logged; the jobs then fail with the reason, as before.
    """
    try:
        book = current_rulebook()
    except RuleFileError as exc:
        log.error("rule book not loaded at worker start: %s", exc)
        return
    log.info("rule book loaded at worker start: %d files", len(book.files))


app = create_app()
