"""`iop-coverage sandbox`: run the sandbox payer (CAQH CORE X12 over HTTP) in the foreground."""

import logging
from typing import Annotated

import typer

from coverage.sandbox.app import SandboxPayer
from coverage.sandbox.faults import Fault, FaultPlan


def _latency(value: str) -> tuple[float, float]:
    low, _, high = value.partition("-")
    try:
        return float(low), float(high or low)
    except ValueError:
        raise ValueError("latency: SECONDS or LOW-HIGH, e.g. 1-3") from None


def sandbox(
    host: Annotated[str, typer.Option(help="Address to listen on")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port (0: any free port)")] = 8765,
    latency: Annotated[str, typer.Option(help="Seconds per answer, SECONDS or LOW-HIGH")] = "0",
    fault: Annotated[
        list[str] | None,
        typer.Option(
            help=f"KIND=RATE, repeatable; KIND one of {', '.join(f.value for f in Fault)}"
        ),
    ] = None,
    retry_after: Annotated[int, typer.Option(help="Retry-After seconds on injected 503s")] = 7,
    timeout_seconds: Annotated[
        float, typer.Option(help="How long an injected timeout stalls")
    ] = 30,
    seed: Annotated[int | None, typer.Option(help="Seed for latency and faults")] = None,
) -> None:
    """Run the sandbox payer: CORE X12 270 in, 271 out, personas by member-ID prefix."""
    logging.basicConfig(level=logging.INFO)
    try:
        plan = FaultPlan.parse(
            fault or [],
            latency=_latency(latency),
            retry_after_seconds=retry_after,
            timeout_seconds=timeout_seconds,
            seed=seed,
        )
    except ValueError as exc:
        typer.echo(f"sandbox: {exc}", err=True)
        raise typer.Exit(code=2) from None
    server = SandboxPayer((host, port), faults=plan)
    typer.echo(f"sandbox payer listening on {server.url}", err=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
