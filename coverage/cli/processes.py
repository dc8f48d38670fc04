"""`iop-coverage serve`, `worker` and `beat`: the long-running processes."""

import copy
import logging
import re
from typing import Annotated, Any

import typer

from coverage.cli.common import ensure_embedded_schema
from coverage.domain.access import Actor, Role
from coverage.settings import get_settings


def serve(
    host: str = "127.0.0.1",
    port: int = 8000,
    forwarded_allow_ips: Annotated[
        str,
        typer.Option(
            help="Addresses of the TLS proxy in front, comma-separated: only they may say, in "
            "X-Forwarded-Proto and X-Forwarded-For, that a request came over https and from whom"
        ),
    ] = "127.0.0.1",
) -> None:
    """Run the API and the staff pages (and, without a broker, the pipeline in-process).

    On a database without users it first creates the administrator `admin` and prints its
    one-time sign-in link."""
    import uvicorn

    ensure_embedded_schema()
    _first_admin(_pages_url(host, port))
    uvicorn.run(
        "coverage.api.app:create_server_app",
        factory=True,
        host=host,
        port=port,
        proxy_headers=True,
        forwarded_allow_ips=forwarded_allow_ips,
        log_config=_log_config(),
    )


_SIGN_IN_LINK = re.compile(r"/welcome/[^/?#\s]+")


class HideSignInLinks(logging.Filter):
    """The access log shows each request's path; a one-time sign-in link's token works like a
    password until it is used, so it is replaced there."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple):
            record.args = tuple(
                _SIGN_IN_LINK.sub("/welcome/(link)", a) if isinstance(a, str) else a
                for a in record.args
            )
        return True


def _log_config() -> dict[str, Any]:
    from uvicorn.config import LOGGING_CONFIG

    config = copy.deepcopy(LOGGING_CONFIG)
    config.setdefault("filters", {})["hide_sign_in_links"] = {"()": HideSignInLinks}
    config["handlers"]["access"]["filters"] = ["hide_sign_in_links"]
    # The service's own lines (job IDs and rule-book versions, never PHI), as a worker logs them:
    # without a broker this process is the worker.
    config["loggers"]["coverage"] = {"handlers": ["default"], "level": "INFO", "propagate": False}
    return config


def _pages_url(host: str, port: int) -> str:
    """settings.public_url when set; otherwise where this server listens."""
    settings = get_settings()
    if "public_url" in settings.model_fields_set:
        return settings.public_url
    if host in ("0.0.0.0", "::", ""):  # every interface: this machine reaches it on loopback
        host = "127.0.0.1"
    return f"http://{f'[{host}]' if ':' in host else host}:{port}"


def _first_admin(base_url: str) -> None:
    from sqlalchemy.exc import IntegrityError, SQLAlchemyError

    from coverage.errors import ConflictError
    from coverage.service import staff
    from coverage.store import users, web_sign_in

    try:
        token = staff.first_admin(actor=Actor(name="serve", role=Role.SYSTEM))
    except (ConflictError, IntegrityError):  # another server process made it at the same moment
        return
    except SQLAlchemyError as exc:  # the pages answer once the schema exists; say what is wrong
        typer.echo(
            f"could not look for users ({type(exc).__name__}): is the schema migrated? "
            "Run `iop-coverage db upgrade`.",
            err=True,
        )
        return
    if token is None:
        return
    hours = get_settings().sign_in_link_seconds / 3600
    typer.echo(
        f"No users yet: created the administrator {users.FIRST_ADMIN!r}.\n"
        f"Open this one-time link within {hours:g} hours to set its password and sign in:\n\n"
        f"    {web_sign_in.link_url(token, base_url=base_url)}\n\n"
        f"It is shown only now. A new one: iop-coverage users link {users.FIRST_ADMIN}",
        err=True,
    )


def worker(
    concurrency: int = 2,
    beat: Annotated[bool, typer.Option(help="Also run the sweeper schedule")] = False,
) -> None:
    """Run a Celery worker (needs IOP_COVERAGE_BROKER_URL)."""
    from workers.celery_app import app as celery_app

    settings = get_settings()
    argv = [
        "worker",
        f"--concurrency={concurrency}",
        f"--queues={settings.verify_queue},{settings.sweep_queue}",
        "--loglevel=INFO",
        "--without-gossip",
        "--without-mingle",
    ]
    celery_app.worker_main(argv + (["--beat"] if beat else []))


def beat() -> None:
    """Run the periodic sweeper schedule (one per deployment)."""
    from workers.celery_app import app as celery_app

    celery_app.start(["beat", "--loglevel=INFO"])
