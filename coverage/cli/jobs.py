"""`iop-coverage verify`, `rerun`, `sweep` and `reverify`: one verification, one job again, stuck
jobs, re-verification."""

import logging
import time
import uuid
from collections import Counter
from pathlib import Path
from typing import Annotated, Any

import typer
from pydantic import ValidationError

from coverage.cli.common import actor, ensure_embedded_schema, operator_actor
from coverage.core.views import JobDetail
from coverage.domain.job_state import OPEN, JobStatus
from coverage.domain.money import usd
from coverage.domain.request import VerificationRequest
from coverage.settings import get_settings


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
    ensure_embedded_schema()
    from coverage import service
    from coverage.core import reads

    if settings.in_process:
        from coverage.embedded import run_until_settled

        job, _ = service.queue(request, actor=actor(), enqueue=lambda _id: None)
        if not as_json:
            typer.echo(f"job {job.id} queued; checking eligibility in-process ...", err=True)
        run_until_settled(job.id)
    else:
        from workers.tasks import enqueue

        job, _ = service.queue(request, actor=actor(), enqueue=enqueue)
        typer.echo(f"job {job.id} queued; waiting for a worker ...", err=True)
        _wait(job.id, wait_seconds)
    detail = reads.detail_of(job.id, actor=actor())
    if as_json:
        typer.echo(detail.model_dump_json(indent=2))
    else:
        typer.echo(render(detail))


def rerun(
    job_id: Annotated[uuid.UUID, typer.Argument(help="The verification job's ID")],
    fresh: Annotated[
        bool, typer.Option("--fresh", help="Ask the payers again instead of reusing an answer")
    ] = False,
    wait_seconds: Annotated[
        float, typer.Option(help="With a broker: how long to wait for the workers")
    ] = 300,
) -> None:
    """Run one verification again (audited): in-process on the embedded default, or through the
    workers when a broker is set."""
    logging.basicConfig(level=logging.WARNING)
    settings = get_settings()
    ensure_embedded_schema()
    from coverage import service
    from coverage.errors import ConflictError, NotFoundError

    def run_here(_job_id: uuid.UUID) -> None:  # embedded: run below, in this process
        return None

    enqueue: service.Enqueue = run_here
    if not settings.in_process:
        from workers.tasks import enqueue as send

        enqueue = send
    try:
        service.rerun(job_id, actor=operator_actor(), enqueue=enqueue, fresh_check=fresh)
    except (ConflictError, NotFoundError) as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(code=1) from None
    if settings.in_process:
        from coverage.embedded import run_until_settled

        typer.echo(f"job {job_id} queued again; checking eligibility in-process ...", err=True)
        run_until_settled(job_id)
    else:
        typer.echo(f"job {job_id} queued again; waiting for a worker ...", err=True)
        _wait(job_id, wait_seconds)
    from coverage.core import reads

    typer.echo(f"Verification {job_id}: {reads.status_of(job_id).value}")


def _wait(job_id: Any, seconds: float) -> None:
    from coverage.core import reads

    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if reads.status_of(job_id) not in OPEN:
            return
        time.sleep(0.5)
    typer.echo(f"job {job_id} still open after {seconds:g}s; check it later with the API", err=True)


def render(detail: JobDetail) -> str:
    """A plain-text report for admissions staff."""
    lines = [f"Verification {detail.id}: {detail.status}"]
    if detail.message:
        lines.append(f"  {detail.message}")
    if detail.part2:
        lines.append("  42 CFR part 2 prohibits unauthorized use or disclosure of these records.")
    result = detail.result
    if result is None:
        return "\n".join(lines)
    for cov in result.coverage:
        state = "active" if cov.active else "NOT active"
        lines.append(
            f"  {cov.payer_name} ({cov.insurance_type}, {cov.network}): {state} - {cov.plan_name}"
        )
    lines.append("Findings:")
    lines += [f"  [{f.status}] {f.reason}" for f in result.findings]
    est = result.estimate
    lines.append(
        f"Estimate: allowed {usd(est.allowed_total)}, payer {usd(est.payer_total)}, "
        f"patient {usd(est.patient_total)}"
    )
    lines.append("  week  start       days   allowed    payer  patient")
    lines += [
        f"  {w.week:>4}  {w.start}  {w.days:>4}  {w.allowed:>8}  {w.payer:>7}  {w.patient:>7}"
        for w in est.weeks
    ]
    if est.if_not_authorized:
        alt = est.if_not_authorized
        lines.append(
            f"  If authorization is not granted: payer {usd(alt.payer_total)}, "
            f"patient {usd(alt.patient_total)}"
        )
    lines += [f"  - {a.text} [{a.source}]" for a in est.assumptions]
    scale = result.sliding_scale
    lines.append(f"Sliding scale: {scale.message}")
    for plan in scale.payment_plans:
        lines.append(
            f"  {plan.months} monthly payments of {usd(plan.monthly)} (last {usd(plan.last_month)})"
        )
    gfe = result.good_faith_estimate
    if gfe:
        lines.append(
            f"Good Faith Estimate ({gfe.reason}): {usd(gfe.total_expected_charges)} for "
            f"{gfe.total_visits} service days, {gfe.period_start} to {gfe.period_end}"
        )
    if result.drafts_used:
        lines.append(f"Draft rule data used: {', '.join(result.drafts_used)}")
    return "\n".join(lines)


# What each settled state means to the operator who ran the sweep.
_SETTLED = {
    JobStatus.NEEDS_REVIEW: "ready for review",
    JobStatus.NEEDS_INFO: "needing information",
    JobStatus.FAILED: "failed",
    None: "not finished here (another process took it, or see the log)",
}


def sweep() -> None:
    """Send stuck jobs to be run again, once, now (without a broker: run them in this process)."""
    from coverage import service

    if not get_settings().in_process:
        from workers.tasks import enqueue

        ids = service.sweep(enqueue=enqueue)
        typer.echo(f"re-enqueued {len(ids)} job(s)")
        return
    from coverage.embedded import run_all

    logging.basicConfig(level=logging.WARNING)
    ensure_embedded_schema()
    due: list[uuid.UUID] = []
    service.sweep(enqueue=due.append)
    if due:
        typer.echo(f"running {len(due)} stuck job(s) in this process ...", err=True)
    counts = Counter(run_all(due))
    parts = [f"{counts[s]} {text}" for s, text in _SETTLED.items() if counts[s]]
    typer.echo(
        f"ran {len(due)} job(s) in this process" + (f": {', '.join(parts)}" if parts else "")
    )


def reverify() -> None:
    """Queue this month's re-verification of enrollees in care, now (the beat does it daily)."""
    from datetime import date

    from coverage import service
    from workers.tasks import enqueue

    ids = service.reverify(enqueue=enqueue, today=date.today())
    typer.echo(f"queued {len(ids)} re-verification(s)")
