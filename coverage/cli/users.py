"""`iop-coverage users`: staff users, API tokens and one-time sign-in links."""

from typing import Annotated

import typer

from coverage.cli.common import admin_actor, ensure_embedded_schema
from coverage.domain.access import Role

app = typer.Typer(help="Staff users and API tokens.", no_args_is_help=True)


@app.command("add")
def users_add(
    name: str,
    role: Annotated[Role, typer.Option(help="admissions, billing, operator, auditor or admin")],
) -> None:
    """Add a staff user: prints a new API token (shown once) on stdout, and a one-time sign-in
    link for the web pages on stderr."""
    from coverage.errors import ConflictError, InputError
    from coverage.service import staff
    from coverage.store import users, web_sign_in

    if role is Role.SYSTEM:
        typer.echo("role 'system' is reserved for workers", err=True)
        raise typer.Exit(code=1)
    try:
        users.check_name(name)
    except InputError as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(code=1) from None
    ensure_embedded_schema()
    try:
        added = staff.add(name, role, actor=admin_actor(), api_token=True)
    except ConflictError as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(code=1) from None
    typer.echo(added.token)
    typer.echo(f"web pages, one-time sign-in link: {web_sign_in.link_url(added.link)}", err=True)


@app.command("link")
def users_link(name: str) -> None:
    """Print a new one-time sign-in link for the web pages (a password reset: the user's old
    password and web sessions stop working)."""
    from coverage.errors import NotFoundError
    from coverage.service import staff
    from coverage.store import web_sign_in

    ensure_embedded_schema()
    try:
        _, token = staff.new_link(actor=admin_actor(), name=name)
    except NotFoundError as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(code=1) from None
    typer.echo(web_sign_in.link_url(token))


@app.command("revoke")
def users_revoke(name: str) -> None:
    """Revoke every API token of a user."""
    from coverage.service import staff

    typer.echo(f"revoked {staff.revoke_tokens(name)} token(s)")
