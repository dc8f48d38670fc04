"""`iop-coverage db`: the database schema."""

import typer

app = typer.Typer(help="Database schema.", no_args_is_help=True)


@app.command("upgrade")
def db_upgrade(revision: str = "head") -> None:
    """Create or migrate the schema (SQLite or PostgreSQL)."""
    from coverage.store.db import upgrade

    upgrade(revision=revision)
    typer.echo(f"database at {revision}")
