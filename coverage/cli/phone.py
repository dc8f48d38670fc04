"""`iop-coverage phone` (also `vob`): record a phone verification from a file staff filled in."""

import json
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Annotated

import typer
import yaml
from pydantic import ValidationError

from coverage.cli.common import actor

app = typer.Typer(
    help="Phone verifications of benefits (payers with adapter: manual).", no_args_is_help=True
)


@app.command("record")
def record(
    job_id: Annotated[uuid.UUID, typer.Argument(help="The verification job")],
    entry: Annotated[
        Path,
        typer.Argument(
            help="YAML or JSON: representative_name, call_reference, call_date, active, benefits"
        ),
    ],
    policy: Annotated[int, typer.Option(min=0, max=5, help="0 = primary, 1 = secondary")] = 0,
) -> None:
    """Store what the payer's representative said; a job that needs information, has failed or
    waits for review is re-run with it at once (in this process on the embedded default)."""
    from coverage.domain.phone import PhoneAnswer
    from coverage.errors import CoverageError
    from coverage.service import phone
    from coverage.settings import get_settings

    in_process = get_settings().in_process

    def run_later(_job_id: uuid.UUID) -> None:  # embedded: run below, in this process
        return None

    enqueue: Callable[[uuid.UUID], None] = run_later
    if not in_process:
        from workers.tasks import enqueue as send

        enqueue = send

    try:
        data = yaml.safe_load(entry.read_text())
    except (OSError, yaml.YAMLError) as exc:
        typer.echo(f"{entry}: cannot be read ({type(exc).__name__})", err=True)
        raise typer.Exit(2) from None
    try:
        answer = PhoneAnswer.model_validate(data)
    except ValidationError as exc:
        for error in exc.errors(include_input=False, include_url=False):
            where = ".".join(str(p) for p in error["loc"]) or "entry"
            typer.echo(f"{entry}: {where}: {error['msg']}", err=True)
        raise typer.Exit(2) from None
    try:
        recorded = phone.record(job_id, policy=policy, entry=answer, actor=actor(), enqueue=enqueue)
    except CoverageError as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(1) from None
    status = recorded.status
    if recorded.rerun and in_process:
        from coverage.core import reads
        from coverage.embedded import run_until_settled

        run_until_settled(job_id)
        status = reads.status_of(job_id)
    typer.echo(
        json.dumps(
            {
                "id": str(recorded.id),
                "job_id": str(job_id),
                "policy": policy,
                "rerun": recorded.rerun,
                "status": status.value,
            }
        )
    )
