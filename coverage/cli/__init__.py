"""The `iop-coverage` command line, one module per command group: jobs (verify, rerun, sweep,
reverify), processes (serve, worker, beat), database, users, rules, batch, phone, x12 (read a
saved payer answer); the sandbox payer's command lives with the sandbox."""

import typer
from pydantic import ValidationError

from coverage.cli import batch, database, jobs, phone, processes, rules, users, x12
from coverage.sandbox.cli import sandbox
from coverage.settings import get_settings

app = typer.Typer(
    help="IOP Coverage: insurance verification for Intensive Outpatient Programs.",
    no_args_is_help=True,
)
app.command()(jobs.verify)
app.command()(jobs.rerun)
app.command()(processes.serve)
app.command()(processes.worker)
app.command()(processes.beat)
app.command()(jobs.sweep)
app.command()(jobs.reverify)
app.command()(batch.batch)
app.command()(sandbox)
app.add_typer(database.app, name="db")
app.add_typer(users.app, name="users")
app.add_typer(rules.rules_app, name="rules")
app.add_typer(phone.app, name="phone")
app.add_typer(x12.app, name="x12")
app.add_typer(phone.app, name="vob", hidden=True)  # its name before "phone"


def main() -> None:
    try:
        get_settings()
    except ValidationError as exc:  # print what is wrong, never the values (they may be secrets)
        for error in exc.errors(include_input=False, include_url=False):
            where = ".".join(str(p) for p in error["loc"]) or "settings"
            typer.echo(f"configuration error: {where}: {error['msg']}", err=True)
        raise SystemExit(2) from None
    app()
