"""Who is at the browser: the server-side session behind the cookie, the role a page needs, and
the CSRF token every form posts back."""

import secrets
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Annotated
from urllib.parse import quote

from fastapi import Depends, Request, Response

from coverage.domain.access import Actor, Role
from coverage.service import sign_in as signing_in
from coverage.settings import get_settings
from coverage.store import web_sign_in

SESSION_COOKIE = "iop_session"
# Before sign-in there is no session to hold the CSRF token: the sign-in form is checked against
# this cookie instead (double submit).
SIGN_IN_CSRF_COOKIE = "iop_sign_in_csrf"
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "X-CSRF-Token"


@dataclass(frozen=True)
class WebUser:
    actor: Actor
    csrf_token: str

    @property
    def role(self) -> Role:
        return self.actor.role


class SignInRequired(Exception):
    """No live session: pages redirect to sign-in, background requests get 401."""

    def __init__(self, reason: str, next_path: str | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.next_path = next_path


class PageForbidden(Exception):
    """Signed in, but the page is for other roles (403 with a plain explanation)."""

    def __init__(self, user: WebUser, roles: tuple[Role, ...]) -> None:
        super().__init__(user.role.value)
        self.user = user
        self.roles = roles


class CsrfRefused(Exception):
    """A form came without this session's token (403)."""


def cookie_is_secure(request: Request) -> bool:
    return request.url.scheme == "https" or get_settings().environment == "production"


def set_cookie(request: Request, response: Response, name: str, value: str, max_age: int) -> None:
    response.set_cookie(
        name,
        value,
        max_age=max_age,
        httponly=True,
        samesite="strict",
        secure=cookie_is_secure(request),
        path="/",
    )


def sign_in_url(reason: str | None = None, next_path: str | None = None) -> str:
    query = []
    if reason:
        query.append(f"reason={quote(reason)}")
    if next_path and safe_next(next_path):
        query.append(f"next={quote(next_path)}")
    return "/sign-in" + ("?" + "&".join(query) if query else "")


def safe_next(path: str) -> bool:
    """Only a path on this site (no scheme, no host, no //evil.example)."""
    return path.startswith("/") and not path.startswith("//") and "\\" not in path


def _signed_in(request: Request, *, keep_alive: bool) -> WebUser:
    token = request.cookies.get(SESSION_COOKIE)
    next_path = request.url.path if request.method == "GET" else None
    if not token:
        raise SignInRequired("none", next_path)
    try:
        signed = signing_in.resume(token, keep_alive=keep_alive)
    except web_sign_in.SessionEnded as ended:
        raise SignInRequired(ended.reason, next_path) from None
    client = request.client.host if request.client else None
    return WebUser(
        actor=Actor(name=signed.user.name, role=Role(signed.user.role), client=client),
        csrf_token=signed.web_session.csrf_token,
    )


def signed_in(request: Request) -> WebUser:
    """A page the user asked for: it counts as activity and keeps the session alive."""
    return _signed_in(request, keep_alive=True)


def signed_in_quietly(request: Request) -> WebUser:
    """A background poll (live status, progress): refused after the idle timeout like any page,
    but it does not count as activity, so a page left open still signs out."""
    return _signed_in(request, keep_alive=False)


def page_for(*roles: Role, quiet: bool = False) -> Callable[..., WebUser]:
    base = signed_in_quietly if quiet else signed_in

    def check(request: Request, user: Annotated[WebUser, Depends(base)]) -> WebUser:
        if user.role not in roles:
            signing_in.refuse(user.actor, what="page", path=request.url.path)
            raise PageForbidden(user, roles)
        return user

    return check


def form_for(*roles: Role) -> Callable[..., Awaitable[WebUser]]:
    """A form post: the role may use it, and it carries the session's CSRF token (the form field,
    or the header for a script's fetch)."""
    role_check = page_for(*roles)

    async def check(request: Request, user: Annotated[WebUser, Depends(role_check)]) -> WebUser:
        sent = request.headers.get(CSRF_HEADER)
        if sent is None:
            sent = str((await request.form()).get(CSRF_FIELD) or "")
        if not secrets.compare_digest(sent.encode(), user.csrf_token.encode()):
            raise CsrfRefused()
        return user

    return check


async def sign_in_csrf_checked(request: Request) -> None:
    cookie = request.cookies.get(SIGN_IN_CSRF_COOKIE, "")
    sent = str((await request.form()).get(CSRF_FIELD) or "")
    if not cookie or not secrets.compare_digest(sent.encode(), cookie.encode()):
        raise CsrfRefused()


SignedIn = Annotated[WebUser, Depends(signed_in)]
