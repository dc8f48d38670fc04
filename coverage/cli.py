"""The `iop-coverage` command line: verify, serve, worker, beat, sweep, db, users."""

import copy
import getpass
import logging
import re
import time
from pathlib import Path
from typing import Annotated, Any

import typer
from pydantic import ValidationError

from coverage.cli_rules import rules_app
from coverage.domain.access import Actor, Role
from coverage.domain.job_state import OPEN, JobStatus
from coverage.domain.money import usd
from coverage.domain.request import VerificationRequest
from coverage.settings import get_settings

app = typer.Typer(
    help="IOP Coverage: insurance verification for Intensive Outpatient Programs.",
    no_args_is_help=True,
)
db_app = typer.Typer(help="Database schema.", no_args_is_help=True)
users_app = typer.Typer(help="Staff users and API tokens.", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(users_app, name="users")
app.add_typer(rules_app, name="rules")


def _actor() -> Actor:
    return Actor(name=f"cli:{getpass.getuser()}"[:80], role=Role.ADMISSIONS)


def _ensure_embedded_schema() -> None:
    """The embedded SQLite default migrates itself, so a fresh machine needs no extra step."""
    if get_settings().database_url.startswith("sqlite"):
        from coverage.store.db import upgrade

        upgrade()


def _load_request(path: Path) -> VerificationRequest:
    try:
        return VerificationRequest.model_validate_json(path.read_bytes())
    except FileNotFoundError:
        typer.echo(f"{path}: no such file", err=True)
    except ValidationError as exc:
        for error in exc.errors(include_input=False, include_url=False):
            where = ".".join(str(part) for part in error["loc"]) or "(file)"
            typer.echo(f"{path}: {where}: {error['msg']}", err=True)
    raise typer.Exit(code=1)


@app.command()
def verify(
    file: Annotated[Path, typer.Argument(help="A verification request in JSON (see examples/)")],
    as_json: Annotated[bool, typer.Option("--json", help="Print the stored job as JSON")] = False,
    wait_seconds: Annotated[
        float, typer.Option(help="With a broker: how long to wait for the workers")
    ] = 300,
) -> None:
    """Verify one enrollee: in-process on the embedded default, or through the workers when a broker is set."""
    logging.basicConfig(level=logging.WARNING)
    request = _load_request(file)
    settings = get_settings()
    _ensure_embedded_schema()
    from coverage import service
    from coverage.api.reads import job_detail
    from coverage.store.db import session_scope

    if settings.in_process:
        from coverage.inprocess import run_until_settled

        job, _ = service.queue(request, actor=_actor(), enqueue=lambda _id: None)
        if not as_json:
            typer.echo(f"job {job.id} queued; checking eligibility in-process ...", err=True)
        run_until_settled(job.id)
    else:
        from workers.tasks import enqueue

        job, _ = service.queue(request, actor=_actor(), enqueue=enqueue)
        typer.echo(f"job {job.id} queued; waiting for a worker ...", err=True)
        _wait(job.id, wait_seconds)
    with session_scope() as session:
        detail = job_detail(session, job_id=job.id, actor=_actor())
    if as_json:
        typer.echo(detail.model_dump_json(indent=2))
    else:
        typer.echo(render(detail.model_dump(mode="json")))


def _wait(job_id: Any, seconds: float) -> None:
    from coverage.store import jobs
    from coverage.store.db import session_scope

    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        with session_scope() as session:
            if JobStatus(jobs.get_or_raise(session, job_id=job_id).status) not in OPEN:
                return
        time.sleep(0.5)
    typer.echo(f"job {job_id} still open after {seconds:g}s; check it later with the API", err=True)


def render(detail: dict[str, Any]) -> str:
    """A plain-text report for admissions staff."""
    lines = [f"Verification {detail['id']}: {detail['status']}"]
    if detail["message"]:
        lines.append(f"  {detail['message']}")
    if detail["part2"]:
        lines.append("  42 CFR part 2 prohibits unauthorized use or disclosure of these records.")
    result = detail.get("result")
    if not result:
        return "\n".join(lines)
    for cov in result["coverage"]:
        state = "active" if cov["active"] else "NOT active"
        lines.append(
            f"  {cov['payer_name']} ({cov['insurance_type']}, {cov['network']}): {state} - {cov['plan_name']}"
        )
    lines.append("Findings:")
    lines += [f"  [{f['status']}] {f['reason']}" for f in result["findings"]]
    est = result["estimate"]
    lines.append(
        f"Estimate: allowed {usd(est['allowed_total'])}, payer {usd(est['payer_total'])}, "
        f"patient {usd(est['patient_total'])}"
    )
    lines.append("  week  start       days   allowed    payer  patient")
    lines += [
        f"  {w['week']:>4}  {w['start']}  {w['days']:>4}  {w['allowed']:>8}  {w['payer']:>7}  {w['patient']:>7}"
        for w in est["weeks"]
    ]
    if est.get("if_not_authorized"):
        alt = est["if_not_authorized"]
        lines.append(
            f"  If authorization is not granted: payer {usd(alt['payer_total'])}, "
            f"patient {usd(alt['patient_total'])}"
        )
    lines += [f"  - {a['text']} [{a['source']}]" for a in est["assumptions"]]
    scale = result["sliding_scale"]
    lines.append(f"Sliding scale: {scale['message']}")
    for plan in scale.get("payment_plans", []):
        lines.append(
            f"  {plan['months']} monthly payments of {usd(plan['monthly'])} "
            f"(last {usd(plan['last_month'])})"
        )
    gfe = result.get("good_faith_estimate")
    if gfe:
        lines.append(
            f"Good Faith Estimate ({gfe['reason']}): {usd(gfe['total_expected_charges'])} for "
            f"{gfe['total_visits']} service days, {gfe['period_start']} to {gfe['period_end']}"
        )
    if result["drafts_used"]:
        lines.append(f"Draft rule data used: {', '.join(result['drafts_used'])}")
    return "\n".join(lines)


@app.command()
def serve(host: str = "127.0.0.1", port: int = 8000) -> None:
    """Run the API and the staff pages (and, without a broker, the pipeline in-process).

    On a database without users it first creates the administrator `admin` and prints its
    one-time sign-in link."""
    import uvicorn

    _ensure_embedded_schema()
    _first_admin(_pages_url(host, port))
    uvicorn.run(
        "coverage.api.app:create_app",
        factory=True,
        host=host,
        port=port,
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
    from coverage.store import audit, users, web_sign_in
    from coverage.store.db import session_scope

    try:
        with session_scope() as session:
            token = users.create_first_admin(session)
            if token is not None:
                audit.record(
                    session,
                    actor=Actor(name="serve", role=Role.SYSTEM),
                    action="user.create",
                    entity_type="user",
                    entity_id=users.FIRST_ADMIN,
                )
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


@app.command()
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


@app.command()
def beat() -> None:
    """Run the periodic sweeper schedule (one per deployment)."""
    from workers.celery_app import app as celery_app

    celery_app.start(["beat", "--loglevel=INFO"])


@app.command()
def sweep() -> None:
    """Re-enqueue stuck jobs once, now."""
    from coverage import service
    from workers.tasks import enqueue

    ids = service.sweep(enqueue=enqueue)
    typer.echo(f"re-enqueued {len(ids)} job(s)")


@app.command()
def reverify() -> None:
    """Queue this month's re-verification of enrollees in care, now (the beat does it daily)."""
    from datetime import date

    from coverage.reverify import schedule
    from workers.tasks import enqueue

    ids = schedule(enqueue=enqueue, today=date.today())
    typer.echo(f"queued {len(ids)} re-verification(s)")


@db_app.command("upgrade")
def db_upgrade(revision: str = "head") -> None:
    """Create or migrate the schema (SQLite or PostgreSQL)."""
    from coverage.store.db import upgrade

    upgrade(revision=revision)
    typer.echo(f"database at {revision}")


def _admin_actor() -> Actor:
    return Actor(name=f"cli:{getpass.getuser()}"[:80], role=Role.ADMIN)


@users_app.command("add")
def users_add(
    name: str,
    role: Annotated[Role, typer.Option(help="admissions, billing, operator, auditor or admin")],
) -> None:
    """Add a staff user: prints a new API token (shown once) on stdout, and a one-time sign-in
    link for the web pages on stderr."""
    from coverage.errors import ConflictError, InputError
    from coverage.store import audit, users, web_sign_in
    from coverage.store.db import session_scope

    if role is Role.SYSTEM:
        typer.echo("role 'system' is reserved for workers", err=True)
        raise typer.Exit(code=1)
    try:
        users.check_name(name)
    except InputError as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(code=1) from None
    _ensure_embedded_schema()
    try:
        with session_scope() as session:
            user, token = users.create(session, name=name, role=role)
            link = web_sign_in.issue_link(session, user=user)
            audit.record(
                session,
                actor=_admin_actor(),
                action="user.create",
                entity_type="user",
                entity_id=name,
            )
    except ConflictError as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(code=1) from None
    typer.echo(token)
    typer.echo(f"web pages, one-time sign-in link: {web_sign_in.link_url(link)}", err=True)


@users_app.command("link")
def users_link(name: str) -> None:
    """Print a new one-time sign-in link for the web pages (a password reset: the user's old
    password and web sessions stop working)."""
    from coverage.store import audit, users
    from coverage.store import web_sign_in as sign_in
    from coverage.store.db import session_scope

    _ensure_embedded_schema()
    with session_scope() as session:
        user = users.get(session, name=name)
        if user is None or not user.active:
            typer.echo(f"no active user {name!r}", err=True)
            raise typer.Exit(code=1)
        token = users.reset_sign_in(session, user=user)
        audit.record(
            session, actor=_admin_actor(), action="user.link", entity_type="user", entity_id=name
        )
    typer.echo(sign_in.link_url(token))


@users_app.command("revoke")
def users_revoke(name: str) -> None:
    """Revoke every API token of a user."""
    from coverage.store import users
    from coverage.store.db import session_scope

    with session_scope() as session:
        count = users.revoke(session, name=name)
    typer.echo(f"revoked {count} token(s)")


from coverage.sandbox.cli import sandbox  # noqa: E402  (its own module: registered here only)

app.command()(sandbox)
from coverage.cli_vob import vob_app  # noqa: E402

app.add_typer(vob_app, name="vob")
from coverage.cli_batch import batch  # noqa: E402

app.command()(batch)


def main() -> None:
    try:
        get_settings()
    except ValidationError as exc:  # print what is wrong, never the values (they may be secrets)
        for error in exc.errors(include_input=False, include_url=False):
            where = ".".join(str(p) for p in error["loc"]) or "settings"
            typer.echo(f"configuration error: {where}: {error['msg']}", err=True)
        raise SystemExit(2) from None
    app()


if __name__ == "__main__":
    main()
