"""The Celery app, configured for work that must not be lost or run twice (see README, Workers)."""

import logging
import uuid
from typing import Any

from celery import Celery
from celery.app.amqp import AMQP
from celery.signals import beat_init

from coverage.settings import Settings, get_settings

PUBLISH_CONNECT_TIMEOUT_SECONDS = 1.0


class IdOnlyAMQP(AMQP):  # type: ignore[misc]
    """Refuses to build a task message with anything but UUID arguments, so PHI can never reach
    the broker. Every publish passes here (Task.delay, apply_async, app.send_task, signatures,
    retries); the before_task_publish signal cannot refuse, Celery logs and drops its errors."""

    def as_task_v2(
        self,
        task_id: str,
        name: str,
        args: Any = None,
        kwargs: Any = None,
        *more: Any,
        **options: Any,
    ) -> Any:
        for value in [*(args or ()), *(kwargs or {}).values()]:
            try:
                uuid.UUID(str(value))
            except ValueError:
                raise TypeError(
                    f"task {name} takes job IDs only; refused a {type(value).__name__} argument"
                ) from None
        return super().as_task_v2(task_id, name, args, kwargs, *more, **options)


def create_app(settings: Settings | None = None) -> Celery:
    settings = settings or get_settings()
    app = Celery("iop_coverage", amqp=IdOnlyAMQP)
    app.conf.update(
        broker_url=settings.broker_url or "memory://",
        broker_connection_retry_on_startup=True,
        broker_connection_max_retries=None,  # compose starts workers before Redis may be up
        broker_transport_options={
            "visibility_timeout": settings.visibility_timeout_seconds,
            # A broker that does not answer must not hold a submit for long: each connection
            # attempt gives up after this, and a publish tries twice (about 2 s in all at worst);
            # the job is already saved, and the sweeper sends what could not be sent.
            "socket_connect_timeout": PUBLISH_CONNECT_TIMEOUT_SECONDS,
        },
        task_publish_retry_policy={
            "max_retries": 1,
            "interval_start": 0.2,
            "interval_step": 0.2,
            "interval_max": 0.2,
        },
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
            "coverage.core.reverification": {"queue": settings.sweep_queue},
        },
        beat_schedule={
            "sweep-stuck-jobs": {
                "task": "coverage.sweep",
                "schedule": settings.sweep_interval_seconds,
            },
            "reverify-enrollees-in-care": {
                "task": "coverage.core.reverification",
                "schedule": settings.reverify_check_seconds,
            },
        },
        worker_hijack_root_logger=False,
        include=["workers.tasks"],
    )
    return app


app = create_app()
log = logging.getLogger(__name__)


@beat_init.connect  # type: ignore[untyped-decorator]
def _rule_book_at_beat_start(**_: Any) -> None:
    """The beat reads the rule book as it starts: it puts a changed directory in force without
    waiting for a verification, and its log names the version in force like every worker's."""
    from coverage.core.rule_book import RuleBookUnavailable, current_rulebook

    try:
        current_rulebook()
    except RuleBookUnavailable as exc:
        log.error("no rule book in force: %s", exc)
