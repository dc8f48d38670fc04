"""A staff member signed in to the web pages through /sign-in, as a browser would be, for
TestClient tests: the session cookie lives in the client, `csrf` is the token forms post back.

    staff = sign_in(app, Role.BILLING)
    staff.client.get("/review")
    staff.post_form(f"/verifications/{job_id}/note", {"note": "called the payer"})
"""

import re
import uuid
from dataclasses import dataclass
from typing import Any

import httpx
from fastapi import FastAPI
from fastapi.testclient import TestClient

from coverage.domain.access import Role
from coverage.store import users, web_sign_in
from coverage.store.db import session_scope

PASSWORD = "a long test password 1"
_CSRF_INPUT = re.compile(r'name="csrf_token" value="([^"]+)"')
_CSRF_BODY = re.compile(r'<body data-csrf="([^"]+)"')


@dataclass
class WebSession:
    client: TestClient
    name: str
    role: Role
    csrf: str

    def post_form(
        self, path: str, data: dict[str, str], *, csrf: bool = True, **kwargs: Any
    ) -> httpx.Response:
        """A form post as the page sends it (with its CSRF token unless `csrf` is False); the
        redirect is not followed, so the test sees the 303 and where it points."""
        body = {**data, "csrf_token": self.csrf} if csrf else data
        return self.client.post(path, data=body, follow_redirects=False, **kwargs)


def make_web_user(role: Role, password: str = PASSWORD) -> str:
    name = f"web-{role.value}-{uuid.uuid4().hex[:6]}"
    with session_scope() as session:
        user, _ = users.create(session, name=name, role=role, api_token=False)
        web_sign_in.set_password(session, user=user, password=password)
    return name


def sign_in(app: FastAPI, role: Role, name: str | None = None) -> WebSession:
    """A new client signed in through the sign-in form (a new user of `role` unless `name`)."""
    name = name or make_web_user(role)
    client = TestClient(app)
    form = client.get("/sign-in")
    found = _CSRF_INPUT.search(form.text)
    assert found, "the sign-in form carries a CSRF token"
    signed = client.post(
        "/sign-in",
        data={"name": name, "password": PASSWORD, "csrf_token": found.group(1)},
        follow_redirects=True,
    )
    assert signed.status_code == 200, signed.text
    token = _CSRF_BODY.search(signed.text)
    assert token, "a signed-in page carries the session's CSRF token"
    return WebSession(client=client, name=name, role=role, csrf=token.group(1))
