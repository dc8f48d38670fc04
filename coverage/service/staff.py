"""Staff users, for the administrators' page and `iop-coverage users` alike: each change with
its audit entry in one transaction. A refusal is a ConflictError or NotFoundError whose text the
page shows as it is."""

import uuid
from dataclasses import dataclass

from sqlmodel import Session

from coverage.domain.access import Actor, Role
from coverage.errors import ConflictError, NotFoundError
from coverage.store import audit, users, web_sign_in
from coverage.store.db import session_scope
from coverage.store.tables import User


@dataclass(frozen=True)
class Added:
    name: str
    token: str | None  # the API token, shown once; None for a web-only user
    link: str  # the one-time sign-in link's token


def _record(session: Session, actor: Actor, action: str, name: str, detail: str = "") -> None:
    audit.record(
        session, actor=actor, action=action, entity_type="user", entity_id=name, detail=detail
    )


def _user(session: Session, user_id: uuid.UUID) -> User:
    user = users.by_id(session, user_id=user_id)
    if user is None:
        raise NotFoundError("That user no longer exists.")
    return user


def add(name: str, role: Role, *, actor: Actor, api_token: bool) -> Added:
    """A new user with a one-time sign-in link (and an API token when asked)."""
    with session_scope() as session:
        user, token = users.create(session, name=name, role=role, api_token=api_token)
        link = web_sign_in.issue_link(session, user=user)
        _record(session, actor, "user.create", name)
    return Added(name, token, link)


def first_admin(*, actor: Actor) -> str | None:
    """On a database without users, the administrator `admin` and its sign-in link's token."""
    with session_scope() as session:
        token = users.create_first_admin(session)
        if token is not None:
            _record(session, actor, "user.create", users.FIRST_ADMIN)
    return token


def new_link(
    *, actor: Actor, user_id: uuid.UUID | None = None, name: str | None = None
) -> tuple[str, str]:
    """A password reset: (the user's name, a new one-time link's token); the old password and web
    sessions stop working."""
    with session_scope() as session:
        user = _user(session, user_id) if user_id else users.get(session, name=name or "")
        if user is None or (name is not None and not user.active):
            raise NotFoundError(f"no active user {name!r}")
        if not user.active:
            raise ConflictError(
                f"{user.name} is deactivated: reactivate the user before sending a link."
            )
        token = users.reset_sign_in(session, user=user)
        _record(session, actor, "user.link", user.name)
        return user.name, token


def deactivate(user_id: uuid.UUID, *, actor: Actor) -> tuple[str, int, int]:
    """(name, web sessions ended, API tokens revoked)."""
    with session_scope() as session:
        user = _user(session, user_id)
        if user.name == actor.name:
            raise ConflictError("You cannot deactivate yourself: another administrator can.")
        ended, revoked = users.deactivate(session, user=user)
        detail = f"{ended} web sessions ended, {revoked} API tokens revoked"
        _record(session, actor, "user.deactivate", user.name, detail)
        return user.name, ended, revoked


def reactivate(user_id: uuid.UUID, *, actor: Actor) -> str:
    with session_scope() as session:
        user = _user(session, user_id)
        users.reactivate(session, user=user)
        _record(session, actor, "user.reactivate", user.name)
        return user.name


def change_role(user_id: uuid.UUID, role: Role, *, actor: Actor) -> str:
    """Takes effect on the user's next request."""
    with session_scope() as session:
        user = _user(session, user_id)
        if user.name == actor.name and role is not Role.ADMIN:
            raise ConflictError("You cannot change your own role: another administrator can.")
        before = user.role
        users.change_role(session, user=user, role=role)
        _record(session, actor, "user.role", user.name, f"{before} -> {role.value}")
        return user.name


def revoke_tokens(name: str) -> int:
    """Every API token of a user; how many were revoked."""
    with session_scope() as session:
        return users.revoke(session, name=name)
