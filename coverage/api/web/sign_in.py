"""Sign-in, sign-out and one-time sign-in links (first admin, new staff, password resets)."""

import secrets
from datetime import timedelta
from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlmodel import Session, col, func, select

from coverage.api.deps import SessionDep
from coverage.api.web.auth import (
    SESSION_COOKIE,
    SIGN_IN_CSRF_COOKIE,
    SignedIn,
    WebUser,
    form_for,
    safe_next,
    set_cookie,
    sign_in_csrf_checked,
)
from coverage.api.web.navigation import home
from coverage.api.web.render import page
from coverage.domain.access import Actor, Role
from coverage.errors import InputError
from coverage.settings import get_settings
from coverage.store import audit, users, web_sign_in
from coverage.store.tables import AuditEvent, as_utc, utcnow

router = APIRouter(include_in_schema=False)
ANONYMOUS = Actor(name="anonymous", role=Role.SYSTEM)
PAUSE = timedelta(minutes=15)
STAFF = tuple(r for r in Role if r is not Role.SYSTEM)


def _notice(reason: str | None) -> str | None:
    idle = get_settings().session_idle_seconds
    span = f"{round(idle / 60)} minutes" if idle >= 120 else f"{round(idle)} seconds"
    return {
        "idle": f"You were signed out after {span} without activity. Sign in again to continue.",
        "expired": "Your session reached its maximum length. Sign in again to continue.",
        "signed_out": "You have signed out.",
        "deactivated": "This user has been deactivated.",
        "password_set": "Your password was changed. Sign in with the new one.",
    }.get(reason or "")


def _sign_in_form(
    request: Request,
    *,
    next_path: str = "",
    name: str = "",
    error: str | None = None,
    notice: str | None = None,
    status_code: int = 200,
) -> Response:
    token = request.cookies.get(SIGN_IN_CSRF_COOKIE) or secrets.token_urlsafe(32)
    response = page(
        request,
        "web/sign_in.html",
        None,
        status_code=status_code,
        sign_in_csrf=token,
        next_path=next_path if safe_next(next_path) else "",
        name=name,
        error=error,
        notice=notice,
    )
    set_cookie(request, response, SIGN_IN_CSRF_COOKIE, token, max_age=3600)
    return response


def _recent_failures(session: Session, name: str) -> int:
    since = utcnow() - PAUSE
    last_ok = session.exec(
        select(func.max(AuditEvent.at)).where(
            AuditEvent.action == "signin", AuditEvent.actor == name
        )
    ).one()
    if last_ok is not None and as_utc(last_ok) > since:
        since = as_utc(last_ok)
    return session.exec(
        select(func.count()).where(
            AuditEvent.action == "signin.failed",
            AuditEvent.entity_id == name[:64],
            col(AuditEvent.at) > since,
        )
    ).one()


def _start_session(request: Request, session: Session, user_name: str, target: str) -> Response:
    user = users.get(session, name=user_name)
    assert user is not None
    _, token = web_sign_in.start(session, user=user)
    actor = Actor(
        name=user.name, role=Role(user.role), client=request.client.host if request.client else None
    )
    audit.record(session, actor=actor, action="signin", entity_type="user", entity_id=user.name)
    session.commit()
    response = RedirectResponse(target, status_code=303)
    set_cookie(
        request, response, SESSION_COOKIE, token, max_age=int(get_settings().session_max_seconds)
    )
    response.delete_cookie(SIGN_IN_CSRF_COOKIE, path="/")
    return response


@router.get("/sign-in", response_class=HTMLResponse)
def sign_in_page(request: Request, reason: str | None = None, next: str = "") -> Response:
    return _sign_in_form(request, next_path=next, notice=_notice(reason))


@router.post("/sign-in", dependencies=[Depends(sign_in_csrf_checked)])
def sign_in(
    request: Request,
    session: SessionDep,
    name: Annotated[str, Form(max_length=80)],
    password: Annotated[str, Form(max_length=200)],
    next: Annotated[str, Form(max_length=200)] = "",
) -> Response:
    name = name.strip()
    if _recent_failures(session, name) >= get_settings().sign_in_attempts:
        return _sign_in_form(
            request,
            next_path=next,
            name=name,
            status_code=429,
            error="Too many wrong passwords for this user name. Wait 15 minutes, "
            "or ask an administrator for a new sign-in link.",
        )
    user = web_sign_in.check_password(session, name=name, password=password)
    if user is None:
        client = request.client.host if request.client else None
        audit.record(
            session,
            actor=Actor(name=ANONYMOUS.name, role=ANONYMOUS.role, client=client),
            action="signin.failed",
            entity_type="user",
            entity_id=name[:64],
            outcome="denied",
        )
        session.commit()
        return _sign_in_form(
            request,
            next_path=next,
            name=name,
            status_code=401,
            error="The user name or password is not right.",
        )
    target = next if next and safe_next(next) else home(Role(user.role))
    return _start_session(request, session, user.name, target)


@router.post("/sign-out")
def sign_out(
    request: Request, session: SessionDep, user: Annotated[WebUser, Depends(form_for(*STAFF))]
) -> Response:
    token = request.cookies.get(SESSION_COOKIE, "")
    signed = web_sign_in.resume(session, token=token)
    web_sign_in.end(session, web_session=signed.web_session, reason="signed_out")
    audit.record(
        session, actor=user.actor, action="signout", entity_type="user", entity_id=user.actor.name
    )
    session.commit()
    response = RedirectResponse("/sign-in?reason=signed_out", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


@router.get("/welcome/{token}", response_class=HTMLResponse)
def welcome_page(request: Request, session: SessionDep, token: str) -> Response:
    return _welcome_form(request, session, token)


def _welcome_form(
    request: Request, session: Session, token: str, error: str | None = None, status_code: int = 200
) -> Response:
    link_user = web_sign_in.link_user(session, token=token)
    csrf = request.cookies.get(SIGN_IN_CSRF_COOKIE) or secrets.token_urlsafe(32)
    response = page(
        request,
        "web/welcome.html",
        None,
        status_code=status_code if link_user else 410,
        link_user=link_user,
        token=token,
        error=error,
        sign_in_csrf=csrf,
        min_length=web_sign_in.MIN_PASSWORD_LENGTH,
    )
    # The link itself must not leak to another site through the Referer header.
    response.headers["Referrer-Policy"] = "no-referrer"
    set_cookie(request, response, SIGN_IN_CSRF_COOKIE, csrf, max_age=3600)
    return response


@router.post("/welcome/{token}", dependencies=[Depends(sign_in_csrf_checked)])
def welcome(
    request: Request,
    session: SessionDep,
    token: str,
    password: Annotated[str, Form(max_length=200)],
    confirm: Annotated[str, Form(max_length=200)],
) -> Response:
    if password != confirm:
        return _welcome_form(request, session, token, "The two passwords are not the same.", 422)
    try:
        user = web_sign_in.redeem_link(session, token=token, password=password)
    except InputError as exc:
        session.rollback()
        return _welcome_form(request, session, token, f"Password not accepted: {exc}", 422)
    if user is None:
        return _welcome_form(request, session, token)
    actor = Actor(
        name=user.name, role=Role(user.role), client=request.client.host if request.client else None
    )
    audit.record(
        session, actor=actor, action="password.set", entity_type="user", entity_id=user.name
    )
    return _start_session(request, session, user.name, home(Role(user.role)))


@router.get("/")
def start_page(user: SignedIn) -> Response:
    return RedirectResponse(home(user.role), status_code=303)
