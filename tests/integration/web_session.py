"""A TestClient signed in to the staff pages the way a browser is: through the sign-in form.

staff = signed_in_client(app, Role.BILLING)
staff.client.get("/review")
staff.post_form(f"/verifications/{job_id}/note", {"note": "called the payer"})
"""

import re
from dataclasses import dataclass
from typing import Any

import httpx
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlmodel import col, select

from coverage.domain.access import Role
from coverage.store import users
from coverage.store.db import session_scope
from coverage.store.tables import WebSession
from tests.api_client import PASSWORD, web_user


@dataclass(frozen=True)
class SignedInClient:
    client: TestClient  # holds the session cookie
    csrf: str  # the session's CSRF token, for the forms it posts
    name: str  # the signed-in user's name
    role: Role

    def post_form(
        self, path: str, data: dict[str, str], *, csrf: bool = True, **kwargs: Any
    ) -> httpx.Response:
        """A form post as the page sends it (with its CSRF token unless `csrf` is False); the
        redirect is not followed, so the test sees the 303 and where it points."""
        body = {**data, "csrf_token": self.csrf} if csrf else data
        response: httpx.Response = self.client.post(
            path, data=body, follow_redirects=False, **kwargs
        )
        return response


def sign_in_form_token(client: TestClient, path: str = "/sign-in") -> str:
    """The CSRF token of the form at `path` (a page that carries one: sign-in, welcome)."""
    page = client.get(path)
    match = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert match, page.text
    return match.group(1)


def sign_in(client: TestClient, name: str, password: str = PASSWORD) -> str:
    """Signs `client` in through GET and POST /sign-in; returns the new session's CSRF token."""
    signed = client.post(
        "/sign-in",
        data={"csrf_token": sign_in_form_token(client), "name": name, "password": password},
        follow_redirects=False,
    )
    assert signed.status_code == 303, signed.text
    with session_scope() as session:
        user = users.get(session, name=name)
        assert user is not None
        latest = session.exec(
            select(WebSession)
            .where(WebSession.user_id == user.id)
            .order_by(col(WebSession.created_at).desc())
        ).first()
        assert latest is not None
        return latest.csrf_token


def signed_in_client(app: FastAPI, role: Role, *, name: str | None = None) -> SignedInClient:
    """A new client on `app`, signed in as a new user of `role` (or a new user called `name`)."""
    name = web_user(role, name=name)
    client = TestClient(app)
    return SignedInClient(client, sign_in(client, name), name, role)
