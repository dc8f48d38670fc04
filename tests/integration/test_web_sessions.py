"""Web sessions on the server: idle and absolute timeouts, sign-out, throttled sign-in, one-time
links, cookie flags, security headers and the audit entries of pages that show PHI."""

import uuid
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, col, select

from coverage.domain.access import Actor, Role
from coverage.settings import get_settings
from coverage.store import users, web_sign_in
from coverage.store.db import session_scope
from coverage.store.tables import AuditEvent, WebSession, utcnow
from tests.api_client import PASSWORD, api_client, web_user
from tests.factories import request
from tests.integration.conftest import queue_in_process
from tests.integration.web_session import sign_in, sign_in_form_token


def live_session(session: Session, name: str) -> WebSession:
    user = users.get(session, name=name)
    assert user is not None
    found = session.exec(
        select(WebSession)
        .where(WebSession.user_id == user.id)
        .order_by(col(WebSession.created_at).desc())
    ).first()
    assert found is not None
    return found


def age_session(name: str, *, idle: timedelta = timedelta(), age: timedelta = timedelta()) -> None:
    with session_scope() as session:
        web_session = live_session(session, name)
        web_session.last_seen_at = utcnow() - idle
        web_session.created_at = utcnow() - age
        session.add(web_session)


def test_a_session_idle_past_the_timeout_ends_and_one_just_inside_it_lives(
    client: TestClient, session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(get_settings(), "session_idle_seconds", 900.0)
    name = web_user(Role.BILLING)
    sign_in(client, name)
    age_session(name, idle=timedelta(seconds=895))
    assert client.get("/review", follow_redirects=False).status_code == 200
    age_session(name, idle=timedelta(seconds=905))
    response = client.get("/review", follow_redirects=False)
    assert (response.status_code, response.headers["location"]) == (
        303,
        "/sign-in?reason=idle&next=/review",
    )
    session.expire_all()
    ended = live_session(session, name)
    assert ended.ended_at is not None and ended.end_reason == "idle"
    # Signed out for good: coming back within the timeout does not revive it.
    assert client.get("/review", follow_redirects=False).status_code == 303


def test_a_session_ends_at_its_absolute_lifetime_however_active(client: TestClient) -> None:
    name = web_user(Role.BILLING)
    sign_in(client, name)
    age_session(name, age=timedelta(seconds=get_settings().session_max_seconds + 1))
    response = client.get("/review", follow_redirects=False)
    assert response.headers["location"] == "/sign-in?reason=expired&next=/review"
    page = client.get(response.headers["location"])
    assert "Your session reached its 12-hour limit; sign in again." in page.text


def test_the_cookie_outlives_the_session_so_the_page_can_say_why_it_ended(
    client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A cookie that expired with the session would not be sent: the user would land on a bare
    sign-in page without learning that the session limit signed them out."""
    monkeypatch.setattr(get_settings(), "session_max_seconds", 1800.0)
    name = web_user(Role.BILLING)
    sign_in(client, name)
    cookie = next(c for c in client.cookies.jar if c.name == "iop_session")
    assert cookie.expires is not None
    assert cookie.expires > utcnow().timestamp() + 1800 + 3600
    # Active past the 30-minute limit, then away longer than the idle timeout: the absolute
    # limit was reached first, and the page says so.
    age_session(name, idle=timedelta(hours=1), age=timedelta(hours=2))
    page = client.get("/review")
    assert "Your session reached its 30-minute limit; sign in again." in page.text


def test_a_background_poll_does_not_count_as_activity(client: TestClient, session: Session) -> None:
    name = web_user(Role.ADMISSIONS)
    sign_in(client, name)
    age_session(name, idle=timedelta(seconds=300))
    before = live_session(session, name).last_seen_at
    poll = client.get("/verifications/live?ids=", headers={"Accept": "application/json"})
    assert poll.status_code == 200
    session.expire_all()
    assert live_session(session, name).last_seen_at == before
    client.get("/verifications")
    session.expire_all()
    assert live_session(session, name).last_seen_at > before


def test_an_expired_session_answers_a_background_request_with_401(client: TestClient) -> None:
    name = web_user(Role.ADMISSIONS)
    sign_in(client, name)
    age_session(name, idle=timedelta(hours=1))
    poll = client.get("/verifications/live?ids=", headers={"Accept": "application/json"})
    assert poll.status_code == 401
    assert poll.json() == {"detail": "signed out", "sign_in": "/sign-in?reason=idle"}


def test_the_session_cookie_is_httponly_strict_and_secure_over_https(database: str) -> None:
    name = web_user(Role.BILLING)
    with api_client(base_url="https://testserver") as client:
        token = sign_in_form_token(client)
        response = client.post(
            "/sign-in",
            data={"csrf_token": token, "name": name, "password": PASSWORD},
            follow_redirects=False,
        )
    cookie = response.headers["set-cookie"]
    assert cookie.startswith("iop_session=")
    for flag in ("HttpOnly", "SameSite=strict", "Secure", "Path=/"):
        assert flag in cookie


def test_pages_carry_the_csp_and_are_never_cached(client: TestClient) -> None:
    sign_in(client, web_user(Role.ADMISSIONS))
    response = client.get("/verifications/new")
    assert response.headers["content-security-policy"] == (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
    )
    assert response.headers["cache-control"] == "no-store"
    assert '<script src="/static/app.js" defer></script>' in response.text
    assert "<script>" not in response.text and "style=" not in response.text


def test_wrong_passwords_pause_sign_in_for_that_user_name(client: TestClient) -> None:
    name = web_user(Role.BILLING)
    token = sign_in_form_token(client)
    for _ in range(get_settings().sign_in_attempts):
        wrong = client.post(
            "/sign-in", data={"csrf_token": token, "name": name, "password": "wrong password x"}
        )
        assert wrong.status_code == 401
        assert "The user name or password is not right." in wrong.text
    paused = client.post("/sign-in", data={"csrf_token": token, "name": name, "password": PASSWORD})
    assert paused.status_code == 429
    assert "Too many wrong passwords for this user name. Wait 15 minutes" in paused.text


def test_next_never_leads_off_the_site(client: TestClient) -> None:
    name = web_user(Role.BILLING)
    token = sign_in_form_token(client)
    response = client.post(
        "/sign-in",
        data={"csrf_token": token, "name": name, "password": PASSWORD, "next": "//evil.example/x"},
        follow_redirects=False,
    )
    assert response.headers["location"] == "/review"


def test_a_one_time_link_sets_a_password_once(client: TestClient) -> None:
    name = f"link-{uuid.uuid4().hex[:6]}"
    with session_scope() as session:
        user, _ = users.create(session, name=name, role=Role.ADMISSIONS, api_token=False)
        link = web_sign_in.issue_link(session, user=user)
    path = f"/welcome/{link}"
    token = sign_in_form_token(client, path)
    mismatch = client.post(
        path, data={"csrf_token": token, "password": PASSWORD, "confirm": PASSWORD + "x"}
    )
    assert "The two passwords are not the same." in mismatch.text
    short = client.post(path, data={"csrf_token": token, "password": "short", "confirm": "short"})
    assert "Password not accepted: password: at least 12 characters" in short.text
    done = client.post(
        path,
        data={"csrf_token": token, "password": PASSWORD, "confirm": PASSWORD},
        follow_redirects=False,
    )
    assert (done.status_code, done.headers["location"]) == (303, "/verifications")
    again = client.get(path)
    assert again.status_code == 410
    assert "This link no longer works" in again.text
    fresh = TestClient(client.app)
    sign_in(fresh, name)


def test_pages_showing_phi_are_audited(client: TestClient, session: Session) -> None:
    name = web_user(Role.BILLING)
    job_id = queue_in_process(request("ppo"), Actor(name="clerk-audit", role=Role.ADMISSIONS))
    sign_in(client, name)
    first = session.exec(select(AuditEvent.id).order_by(col(AuditEvent.id).desc())).first() or 0
    client.get("/verifications")
    client.get(f"/verifications/{job_id}")
    client.get(f"/verifications/{job_id}/result")
    client.get(f"/verifications/{job_id}/live", headers={"Accept": "application/json"})
    rows = session.exec(
        select(AuditEvent).where(col(AuditEvent.id) > first).order_by(col(AuditEvent.id))
    ).all()
    assert [(r.actor, r.action, r.entity_id) for r in rows] == [
        (name, "job.list", "*"),
        (name, "job.read", str(job_id)),
        (name, "job.read", str(job_id)),  # the result section fetched on its own
    ]  # the live status carries no PHI and is not a read of it


def test_a_job_outside_the_users_view_is_a_plain_not_found_page(client: TestClient) -> None:
    job_id = queue_in_process(request("ppo"), Actor(name="clerk-other", role=Role.ADMISSIONS))
    sign_in(client, web_user(Role.ADMISSIONS))
    response = client.get(f"/verifications/{job_id}", headers={"Accept": "text/html"})
    assert response.status_code == 404
    assert "<h1>Not found</h1>" in response.text
    assert f"No verification job {job_id}." in response.text
