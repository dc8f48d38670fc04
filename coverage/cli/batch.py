"""`iop-coverage batch FILE.csv`: queue a CSV of enrollees, follow the jobs, print the report.

Exit codes: 0 every row accepted (duplicates count as accepted), 1 some rows rejected, 2 the
file was refused (nothing queued)."""

import json
import sys
import time
import uuid
from concurrent.futures import ThreadPoolExecutor, as_completed
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from coverage.cli.common import actor, ensure_embedded_schema
from coverage.domain.job_state import JobStatus

if TYPE_CHECKING:
    from coverage.batches.intake import BatchReport
    from coverage.service import Enqueue

POLL_SECONDS = 0.5
IN_PROCESS_THREADS = 2  # as many as the embedded API runs at once


def _report(batch_id: uuid.UUID) -> "BatchReport":
    from coverage.batches.intake import report_of

    return report_of(batch_id, actor=actor())


def _done(batch_id: uuid.UUID) -> int:
    from coverage.batches.intake import done_of

    return done_of(batch_id, actor=actor())


def _enqueue(in_process: bool) -> "Enqueue":
    if in_process:
        return lambda _job_id: None  # the jobs run in this process below, with the progress bar
    from workers.tasks import enqueue

    return enqueue


def _follow(
    job_ids: list[uuid.UUID],
    batch_id: uuid.UUID,
    *,
    in_process: bool,
    wait_seconds: float,
    bar: bool,
) -> bool:
    """Runs (embedded default) or waits for (workers) the batch's new jobs until each has a
    result; False when the wait ran out first."""
    if not job_ids:
        return True
    with typer.progressbar(
        length=len(job_ids), label="verifying", file=sys.stderr, hidden=not bar
    ) as progress_bar:
        if in_process:
            from coverage.embedded import run_until_settled

            with ThreadPoolExecutor(IN_PROCESS_THREADS, thread_name_prefix="batch") as pool:
                for _ in as_completed([pool.submit(run_until_settled, j) for j in job_ids]):
                    progress_bar.update(1)
            return True
        shown = 0
        deadline = time.monotonic() + wait_seconds
        while shown < len(job_ids):
            if time.monotonic() > deadline:
                return False
            time.sleep(POLL_SECONDS)
            done = _done(batch_id)
            progress_bar.update(done - shown)
            shown = done
    return True


def batch(
    file: Annotated[Path, typer.Argument(help="A CSV file of enrollees (docs/csv-batches.md)")],
    as_json: Annotated[
        bool, typer.Option("--json", help="Print only the report, as JSON (for machines)")
    ] = False,
    no_wait: Annotated[
        bool, typer.Option("--no-wait", help="With a broker: return once the rows are queued")
    ] = False,
    wait_seconds: Annotated[
        float, typer.Option(help="With a broker: how long to wait for the workers")
    ] = 3600,
) -> None:
    """Queue one verification per CSV row: row errors, a progress bar, then a summary."""
    from coverage.batches.csv_file import MAX_BYTES, CsvRefused
    from coverage.batches.intake import accept, enqueue_all
    from coverage.settings import get_settings

    try:
        with file.open("rb") as handle:
            data = handle.read(MAX_BYTES + 1)
    except OSError as exc:
        typer.echo(f"{file}: cannot be read ({exc.strerror or type(exc).__name__})", err=True)
        raise typer.Exit(2) from None
    in_process = get_settings().in_process
    if in_process and no_wait:
        typer.echo(
            "--no-wait needs the workers (IOP_COVERAGE_BROKER_URL): on the embedded default the "
            "jobs run in this command",
            err=True,
        )
        raise typer.Exit(2)
    ensure_embedded_schema()
    try:
        stored = accept(data, actor=actor())
    except CsvRefused as exc:
        if as_json:
            typer.echo(json.dumps({"refused": exc.problems}, indent=2))
        else:
            typer.echo(f"{file}: refused, nothing was queued:", err=True)
            for problem in exc.problems:
                typer.echo(f"  {problem}", err=True)
        raise typer.Exit(2) from None
    batch_id = stored.batch_id
    enqueue_all(stored.job_ids, _enqueue(in_process))
    if not as_json:
        first = _report(batch_id)
        for row in first.report:
            for error in row.errors:
                typer.echo(f"row {row.row}: {error.column}: {error.reason}")
        typer.echo(
            f"batch {batch_id}: {first.rows} rows: {first.queued} queued, "
            f"{first.duplicates} duplicates, {first.rejected} rejected"
        )
    finished = no_wait or _follow(
        stored.job_ids,
        batch_id,
        in_process=in_process,
        wait_seconds=wait_seconds,
        bar=not as_json,
    )
    final = _report(batch_id)
    if as_json:
        typer.echo(final.model_dump_json(indent=2))
    else:
        counts = final.progress.model_dump()
        states = ", ".join(f"{s.value} {counts[s.value]}" for s in JobStatus if counts[s.value])
        typer.echo(f"jobs of this batch: {states or 'none'}")
        if not finished:
            typer.echo(
                f"{final.progress.total - final.progress.done} job(s) still open after "
                f"{wait_seconds:g}s; GET /api/batches/{batch_id} shows them later",
                err=True,
            )
    if final.rejected:
        raise typer.Exit(1)
