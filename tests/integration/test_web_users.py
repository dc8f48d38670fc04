"""The administrators' users page: adding a user shows a one-time sign-in link once; a new link
resets the password; deactivation ends the user's sessions and API tokens at once."""

import re
import uuid
from urllib.parse import urlsplit

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlmodel import select

from coverage.domain.access import Role
from coverage.store import users, web_sign_in
from coverage.store.db import session_scope
from coverage.store.tables import AuditEvent, User
from tests.api_client import PASSWORD, leave_queued, make_app, staff
from tests.integration.html_table import body_rows, text
from tests.integration.web_session import SignedInClient, sign_in, signed_in_client

NEW_PASSWORD = "another long password 2"


@pytest.fixture(scope="module")
def app(database: str) -> FastAPI:
    return make_app(leave_queued)


@pytest.fixture
def admin(app: FastAPI) -> SignedInClient:
    return signed_in_client(app, Role.ADMIN)


def _link(html: str) -> str:
    found = re.search(r'<input id="sign-in-link" readonly value="([^"]+)"', html)
    assert found, "the page shows the sign-in link"
    return found.group(1)


def _user_id(name: str) -> uuid.UUID:
    with session_scope() as session:
        user = users.get(session, name=name)
        assert user is not None
        return user.id


def _audit(name: str) -> list[tuple[str, str]]:
    with session_scope() as session:
        rows = session.exec(
            select(AuditEvent)
            .where(AuditEvent.entity_type == "user", AuditEvent.entity_id == name)
            .order_by(AuditEvent.id)  # type: ignore[arg-type]
        ).all()
        return [(r.actor, r.action) for r in rows]


def _set_password(app: FastAPI, link: str, password: str = NEW_PASSWORD) -> TestClient:
    """A fresh browser opens the link and sets a password; returns it, signed in."""
    path = urlsplit(link).path
    browser = TestClient(app)
    opened = browser.get(path)
    assert opened.status_code == 200
    assert "Set your password" in opened.text
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', opened.text)
    assert csrf
    done = browser.post(
        path,
        data={"csrf_token": csrf.group(1), "password": password, "confirm": password},
        follow_redirects=False,
    )
    assert done.status_code == 303, done.text
    return browser


def test_a_new_user_gets_a_link_that_works_once(app: FastAPI, admin: SignedInClient) -> None:
    name = f"casey-{uuid.uuid4().hex[:6]}"
    added = admin.client.post(
        "/users", data={"csrf_token": admin.csrf, "name": name, "role": "billing"}
    )
    assert added.status_code == 200
    link = _link(added.text)
    assert re.fullmatch(r"http://127\.0\.0\.1:8000/welcome/[A-Za-z0-9_-]{43}", link)  # public_url
    assert f"New user {name} added." in text(added.text)
    assert "it is shown only this once" in text(added.text)
    [row] = [r for r in body_rows(added.text, "users") if r[0] == name]
    assert row[1:4] == ["billing", "Active", "Not set yet"]
    # the link is not in any URL: the page came from the POST itself, and later pages omit it
    assert link not in admin.client.get("/users").text

    browser = _set_password(app, link)
    assert browser.get("/", follow_redirects=False).headers["location"] == "/review"
    again = TestClient(app).get(urlsplit(link).path)
    assert again.status_code == 410
    assert "This link no longer works" in again.text
    fresh = TestClient(app)
    sign_in(fresh, name, NEW_PASSWORD)
    assert fresh.get("/review").status_code == 200
    listed = [r for r in body_rows(admin.client.get("/users").text, "users") if r[0] == name]
    assert listed[0][3] == "Set"
    assert _audit(name)[:3] == [
        (admin.name, "user.create"),
        (name, "password.set"),
        (name, "signin"),
    ]


@pytest.mark.parametrize(
    ("form", "errors"),
    [
        ({"name": "", "role": "billing"}, ["User name: use 1 to 80 letters"]),
        ({"name": "has space", "role": "billing"}, ["User name: use 1 to 80 letters"]),
        ({"name": "ok-name", "role": "system"}, ["Role: choose one of the roles"]),
        ({"name": "", "role": ""}, ["User name: use 1 to 80 letters", "Role: choose one"]),
    ],
)
def test_a_bad_user_form_names_each_field_and_adds_nobody(
    admin: SignedInClient, form: dict[str, str], errors: list[str]
) -> None:
    with session_scope() as session:
        before = len(users.all_(session))
    refused = admin.client.post("/users", data={"csrf_token": admin.csrf, **form})
    assert refused.status_code == 422
    shown = re.findall(
        r'<span class="field-error" id="new-(?:name|role)-error">([^<]+)</span>', refused.text
    )
    assert len(shown) == len(errors)
    assert all(s.startswith(e) for s, e in zip(shown, errors, strict=True))
    assert f'value="{form["name"]}"' in refused.text  # what was typed stays
    assert 'id="sign-in-link"' not in refused.text
    with session_scope() as session:
        assert len(users.all_(session)) == before


def test_a_taken_name_is_refused(admin: SignedInClient) -> None:
    taken = admin.client.post(
        "/users", data={"csrf_token": admin.csrf, "name": admin.name, "role": "billing"}
    )
    assert taken.status_code == 422
    assert "User name: a user with this name already exists" in text(taken.text)


def test_the_users_forms_need_the_csrf_token(admin: SignedInClient) -> None:
    name = f"csrf-{uuid.uuid4().hex[:6]}"
    refused = admin.client.post("/users", data={"name": name, "role": "billing"})
    assert refused.status_code == 403
    assert "This form could not be accepted" in refused.text
    forged = admin.client.post(
        "/users", data={"csrf_token": "guess", "name": name, "role": "billing"}
    )
    assert forged.status_code == 403
    target = _user_id(admin.name)
    for action in ("link", "deactivate", "reactivate", "role"):
        assert admin.client.post(f"/users/{target}/{action}", data={}).status_code == 403
    with session_scope() as session:
        assert users.get(session, name=name) is None


def test_only_admins_may_post_the_users_forms(app: FastAPI) -> None:
    operator = signed_in_client(app, Role.OPERATOR)
    refused = operator.client.post(
        "/users", data={"csrf_token": operator.csrf, "name": "sneaky", "role": "admin"}
    )
    assert refused.status_code == 403
    assert "This page is not for your role" in refused.text


def test_deactivation_ends_the_users_session_and_refuses_their_api_token(
    app: FastAPI, admin: SignedInClient
) -> None:
    user = staff(Role.BILLING, "staff", password=PASSWORD)
    name = user.name
    theirs = TestClient(app)
    sign_in(theirs, name)
    api = user.headers
    assert theirs.get("/review").status_code == 200
    assert theirs.get("/api/verifications", headers=api).status_code == 200

    done = admin.client.post(f"/users/{_user_id(name)}/deactivate", data={"csrf_token": admin.csrf})
    assert done.status_code == 200
    assert f"{name} is deactivated: signed out everywhere, 1 API token revoked." in text(done.text)
    [row] = [r for r in body_rows(done.text, "users") if r[0] == name]
    assert row[2] == "Deactivated"

    next_page = theirs.get("/review", follow_redirects=False)
    assert (next_page.status_code, next_page.headers["location"]) == (
        303,
        "/sign-in?reason=deactivated&next=/review",
    )
    assert theirs.get("/api/verifications", headers=api).status_code == 401
    refused = TestClient(app)
    form = refused.get("/sign-in").text
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', form)
    assert csrf
    attempt = refused.post(
        "/sign-in", data={"csrf_token": csrf.group(1), "name": name, "password": PASSWORD}
    )
    assert attempt.status_code == 401

    back = admin.client.post(f"/users/{_user_id(name)}/reactivate", data={"csrf_token": admin.csrf})
    assert "is active again" in text(back.text)
    sign_in(TestClient(app), name)  # the password works again
    assert theirs.get("/api/verifications", headers=api).status_code == 401  # the token does not
    assert [a for _, a in _audit(name) if a.startswith("user.")] == [
        "user.deactivate",
        "user.reactivate",
    ]


def test_a_new_link_resets_the_password_and_ends_the_users_sessions(
    app: FastAPI, admin: SignedInClient
) -> None:
    name = staff(Role.ADMISSIONS, "staff", password=PASSWORD).name
    theirs = TestClient(app)
    sign_in(theirs, name)
    first = admin.client.post(f"/users/{_user_id(name)}/link", data={"csrf_token": admin.csrf})
    assert f"New sign-in link for {name}." in text(first.text)
    second = admin.client.post(f"/users/{_user_id(name)}/link", data={"csrf_token": admin.csrf})
    assert theirs.get("/verifications", follow_redirects=False).status_code == 303
    with session_scope() as session:
        assert web_sign_in.check_password(session, name=name, password=PASSWORD) is None
    assert TestClient(app).get(urlsplit(_link(first.text)).path).status_code == 410
    browser = _set_password(app, _link(second.text))
    assert browser.get("/", follow_redirects=False).headers["location"] == "/verifications"


def test_an_admin_cannot_lock_themselves_out(admin: SignedInClient) -> None:
    me = _user_id(admin.name)
    refused = admin.client.post(f"/users/{me}/deactivate", data={"csrf_token": admin.csrf})
    assert refused.status_code == 409
    assert "You cannot deactivate yourself" in text(refused.text)
    demoted = admin.client.post(
        f"/users/{me}/role", data={"csrf_token": admin.csrf, "role": "billing"}
    )
    assert demoted.status_code == 409
    with session_scope() as session:
        user = session.get(User, me)
        assert user is not None and user.active and user.role == "admin"


def test_a_role_change_takes_effect_on_the_users_next_request(
    app: FastAPI, admin: SignedInClient
) -> None:
    name = staff(Role.BILLING, "staff", password=PASSWORD).name
    theirs = TestClient(app)
    sign_in(theirs, name)
    assert theirs.get("/audit").status_code == 403
    changed = admin.client.post(
        f"/users/{_user_id(name)}/role", data={"csrf_token": admin.csrf, "role": "auditor"}
    )
    assert f"{name} is now one of the auditors." in text(changed.text)
    assert theirs.get("/audit").status_code == 200
    assert theirs.get("/review").status_code == 403
    assert _audit(name)[-1] == (admin.name, "user.role")
