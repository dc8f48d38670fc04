"""The `iop-coverage` command line: verify, serve, worker, beat, sweep, db, users."""

import getpass
import logging
import time
from pathlib import Path
from typing import Annotated, Any

import typer
from pydantic import ValidationError

from coverage.cli_rules import rules_app
from coverage.domain.access import Actor, Role
from coverage.domain.job_state import OPEN, JobStatus
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
        f"Estimate: allowed ${est['allowed_total']}, payer ${est['payer_total']}, patient ${est['patient_total']}"
    )
    lines.append("  week  start       days   allowed    payer  patient")
    lines += [
        f"  {w['week']:>4}  {w['start']}  {w['days']:>4}  {w['allowed']:>8}  {w['payer']:>7}  {w['patient']:>7}"
        for w in est["weeks"]
    ]
    if est.get("if_not_authorized"):
        alt = est["if_not_authorized"]
        lines.append(
            f"  If authorization is not granted: payer ${alt['payer_total']}, patient ${alt['patient_total']}"
        )
    lines += [f"  - {a['text']} [{a['source']}]" for a in est["assumptions"]]
    scale = result["sliding_scale"]
    lines.append(f"Sliding scale: {scale['message']}")
    for plan in scale.get("payment_plans", []):
        lines.append(
            f"  {plan['months']} monthly payments of ${plan['monthly']} (last ${plan['last_month']})"
        )
    gfe = result.get("good_faith_estimate")
    if gfe:
        lines.append(
            f"Good Faith Estimate ({gfe['reason']}): ${gfe['total_expected_charges']} for "
            f"{gfe['total_visits']} service days, {gfe['period_start']} to {gfe['period_end']}"
        )
    if result["drafts_used"]:
        lines.append(f"Draft rule data used: {', '.join(result['drafts_used'])}")
    return "\n".join(lines)


@app.command()
def serve(host: str = "127.0.0.1", port: int = 8000) -> None:
    """Run the API (and, without a broker, the pipeline in-process)."""
    import uvicorn

    _ensure_embedded_schema()
    uvicorn.run("coverage.api.app:create_app", factory=True, host=host, port=port)


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


@users_app.command("add")
def users_add(
    name: str, role: Annotated[Role, typer.Option(help="admissions, billing, operator or auditor")]
) -> None:
    """Add a staff user and print a new API token (shown once)."""
    from coverage.store import users
    from coverage.store.db import session_scope

    if role is Role.SYSTEM:
        typer.echo("role 'system' is reserved for workers", err=True)
        raise typer.Exit(code=1)
    _ensure_embedded_schema()
    from coverage.errors import ConflictError

    try:
        with session_scope() as session:
            _user, token = users.create(session, name=name, role=role)
    except ConflictError as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(code=1) from None
    typer.echo(token)


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
