"""The API as tests call it: a TestClient over a new app, and staff who call it with an API token or
sign in to the pages with a password.

with api_client(enqueue=leave_queued) as client:
    billing = staff(Role.BILLING)
    client.get("/api/verifications", headers=billing.headers)
"""

import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from fastapi import FastAPI
from fastapi.testclient import TestClient

from coverage.api.app import create_app
from coverage.api.deps import get_enqueue
from coverage.domain.access import Actor, Role
from coverage.store import users, web_sign_in
from coverage.store.db import session_scope

PASSWORD = "a long test password 1"
# How the API queues a job (coverage.service.Enqueue); what it returns is not used.
Enqueue = Callable[[uuid.UUID], object]


def leave_queued(job_id: uuid.UUID) -> None:
    """An enqueue that sends the job nowhere: it stays queued until the test runs it."""


def make_app(enqueue: Enqueue | None = None) -> FastAPI:
    """A new app; `enqueue` replaces how it queues jobs (None keeps its own: the broker, in tests)."""
    app = create_app()
    if enqueue is not None:
        app.dependency_overrides[get_enqueue] = lambda: enqueue
    return app


@contextmanager
def api_client(enqueue: Enqueue | None = None, **client_args: Any) -> Iterator[TestClient]:
    """A started TestClient over `make_app(enqueue)`; `client_args` go to TestClient."""
    with TestClient(make_app(enqueue), **client_args) as client:
        yield client


def unique_name(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:6]}"


@dataclass(frozen=True)
class Staff:
    """A user with an API token."""

    name: str
    role: Role
    token: str

    @property
    def actor(self) -> Actor:
        return Actor(name=self.name, role=self.role)

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


def staff(
    role: Role, prefix: str | None = None, *, name: str | None = None, password: str | None = None
) -> Staff:
    """A new user of `role` with an API token, called `<prefix>-<6 hex digits>` (the prefix is the
    role unless given) or `name`; with `password` they can sign in to the pages too."""
    name = name or unique_name(prefix or role.value)
    with session_scope() as session:
        user, token = users.create(session, name=name, role=role)
        if password is not None:
            web_sign_in.set_password(session, user=user, password=password)
    assert token is not None
    return Staff(name, role, token)


def web_user(
    role: Role, password: str = PASSWORD, *, prefix: str | None = None, name: str | None = None
) -> str:
    """A new user of `role` who signs in with `password` and has no API token, called
    `<prefix>-<6 hex digits>` (the prefix is `web-<role>` unless given) or `name`; returns the name.
    """
    name = name or unique_name(prefix or f"web-{role.value}")
    with session_scope() as session:
        user, _ = users.create(session, name=name, role=role, api_token=False)
        web_sign_in.set_password(session, user=user, password=password)
    return name
