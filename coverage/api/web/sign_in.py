"""Sign-in, sign-out and one-time sign-in links (first admin, new staff, password resets)."""

import secrets
from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

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
from coverage.domain.access import Role
from coverage.domain.text import is_visible
from coverage.errors import InputError
from coverage.service import sign_in as signing_in
from coverage.service.sign_in import Refused, Started
from coverage.settings import get_settings
from coverage.store import web_sign_in

router = APIRouter(include_in_schema=False)
STAFF = tuple(r for r in Role if r is not Role.SYSTEM)


# The browser keeps the cookie this much longer than the session lives, so that it still sends
# it when the session reaches its limit and the page can say why the user was signed out.
COOKIE_GRACE_SECONDS = 7 * 86400


def _limit(seconds: float) -> str:
    """12-hour, 30-minute: the session's absolute limit in the words of the sign-in page."""
    if seconds >= 3600:
        return f"{seconds / 3600:g}-hour"
    return f"{round(seconds / 60)}-minute"


def _notice(reason: str | None) -> str | None:
    settings = get_settings()
    idle = settings.session_idle_seconds
    span = f"{round(idle / 60)} minutes" if idle >= 120 else f"{round(idle)} seconds"
    return {
        "idle": f"You were signed out after {span} without activity. Sign in again to continue.",
        "expired": f"Your session reached its {_limit(settings.session_max_seconds)} limit; "
        "sign in again.",
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


def _client(request: Request) -> str | None:
    return request.client.host if request.client else None


def _signed_in(request: Request, started: Started, target: str) -> Response:
    response = RedirectResponse(target, status_code=303)
    set_cookie(
        request,
        response,
        SESSION_COOKIE,
        started.token,
        max_age=int(get_settings().session_max_seconds) + COOKIE_GRACE_SECONDS,
    )
    response.delete_cookie(SIGN_IN_CSRF_COOKIE, path="/")
    return response


@router.get("/sign-in", response_class=HTMLResponse)
def sign_in_page(request: Request, reason: str | None = None, next: str = "") -> Response:
    return _sign_in_form(request, next_path=next, notice=_notice(reason))


@router.post("/sign-in", dependencies=[Depends(sign_in_csrf_checked)])
def sign_in(
    request: Request,
    name: Annotated[str, Form(max_length=80)],
    password: Annotated[str, Form(max_length=200)],
    next: Annotated[str, Form(max_length=200)] = "",
) -> Response:
    name = name.strip()
    # No user name holds control characters (the users page refuses them), and PostgreSQL could
    # not even look one up: such a name is simply not right.
    started = (
        signing_in.sign_in(name, password, client=_client(request))
        if is_visible(name)
        else Refused.WRONG
    )
    if started is Refused.PAUSED:
        return _sign_in_form(
            request,
            next_path=next,
            name=name,
            status_code=429,
            error="Too many wrong passwords for this user name. Wait 15 minutes, "
            "or ask an administrator for a new sign-in link.",
        )
    if started is Refused.WRONG:
        return _sign_in_form(
            request,
            next_path=next,
            name=name,
            status_code=401,
            error="The user name or password is not right.",
        )
    assert isinstance(started, Started)
    target = next if next and safe_next(next) else home(started.role)
    return _signed_in(request, started, target)


@router.post("/sign-out")
def sign_out(request: Request, user: Annotated[WebUser, Depends(form_for(*STAFF))]) -> Response:
    signing_in.sign_out(request.cookies.get(SESSION_COOKIE, ""), actor=user.actor)
    response = RedirectResponse("/sign-in?reason=signed_out", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


@router.get("/welcome/{token}", response_class=HTMLResponse)
def welcome_page(request: Request, token: str) -> Response:
    return _welcome_form(request, token)


def _welcome_form(
    request: Request, token: str, error: str | None = None, status_code: int = 200
) -> Response:
    link_user = signing_in.link_user(token)
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
    token: str,
    password: Annotated[str, Form(max_length=200)],
    confirm: Annotated[str, Form(max_length=200)],
) -> Response:
    if password != confirm:
        return _welcome_form(request, token, "The two passwords are not the same.", 422)
    try:
        started = signing_in.redeem_link(token, password, client=_client(request))
    except InputError as exc:
        return _welcome_form(request, token, f"Password not accepted: {exc}", 422)
    if started is None:
        return _welcome_form(request, token)
    return _signed_in(request, started, home(started.role))


@router.get("/")
def start_page(user: SignedIn) -> Response:
    return RedirectResponse(home(user.role), status_code=303)
