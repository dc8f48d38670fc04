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
    ensure_embedded_schema()
    try:
        with session_scope() as session:
            user, token = users.create(session, name=name, role=role)
            link = web_sign_in.issue_link(session, user=user)
            audit.record(
                session,
                actor=admin_actor(),
                action="user.create",
                entity_type="user",
                entity_id=name,
            )
    except ConflictError as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(code=1) from None
    typer.echo(token)
    typer.echo(f"web pages, one-time sign-in link: {web_sign_in.link_url(link)}", err=True)


@app.command("link")
def users_link(name: str) -> None:
    """Print a new one-time sign-in link for the web pages (a password reset: the user's old
    password and web sessions stop working)."""
    from coverage.store import audit, users
    from coverage.store import web_sign_in as sign_in
    from coverage.store.db import session_scope

    ensure_embedded_schema()
    with session_scope() as session:
        user = users.get(session, name=name)
        if user is None or not user.active:
            typer.echo(f"no active user {name!r}", err=True)
            raise typer.Exit(code=1)
        token = users.reset_sign_in(session, user=user)
        audit.record(
            session, actor=admin_actor(), action="user.link", entity_type="user", entity_id=name
        )
    typer.echo(sign_in.link_url(token))


@app.command("revoke")
def users_revoke(name: str) -> None:
    """Revoke every API token of a user."""
    from coverage.store import users
    from coverage.store.db import session_scope

    with session_scope() as session:
        count = users.revoke(session, name=name)
    typer.echo(f"revoked {count} token(s)")
