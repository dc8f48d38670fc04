"""The gate every request passes before its body is read: who may send one, and how large.

A pure ASGI middleware (not BaseHTTPMiddleware) so that nothing is read or parsed before it
decides: a declared Content-Length over the route's limit is refused at once (413); an anonymous
request is refused (401, or the sign-in page) before a byte of its body is read; a chunked or
streamed body is counted as it is read and cut off at the limit. Refusals close the connection, so
the rest of an unwanted body is never taken in.

The identity check is the real one (the API token's or the web session's hash looked up in the
database, one indexed read in the thread pool), not the mere presence of a header: a made-up
`Bearer x` must not buy the right to upload. The routes check again, as they always did, for the
role and the audit entry.
"""

from dataclasses import dataclass

from fastapi import HTTPException, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response
from sqlmodel import Session
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import Headers
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from coverage.api import web
from coverage.api.web.auth import SESSION_COOKIE, sign_in_url
from coverage.service import sign_in as signing_in
from coverage.settings import get_settings
from coverage.store import users, web_sign_in
from coverage.store.db import get_engine

API_TOKEN_REFUSED = "missing, unknown or revoked API token"
# The CSV uploads (the API's and the Batches page's) take a file; every other body is a form or a
# JSON request of a few KB.
UPLOADS = frozenset({("POST", "/api/batches"), ("POST", "/batches")})
# FastAPI's API documentation: it describes every route, so it is for staff only.
DOCS = ("/docs", "/redoc", "/openapi.json")
# Open to anyone: the health check, the app's scripts and styles, and the ways to sign in.
OPEN = ("/healthz", "/static/", "/sign-in", "/welcome/")
NO_BODY = frozenset({"GET", "HEAD", "OPTIONS"})


class BodyTooLarge(HTTPException):
    """Raised into whoever reads past the limit; the gate answers 413 in place of their answer."""


@dataclass(frozen=True)
class Limit:
    size: int
    what: str

    @property
    def text(self) -> str:
        return f"{self.what} is larger than {_size(self.size)}, the limit for this address"


def _size(size: int) -> str:
    mb, kb = 1024 * 1024, 1024
    if size % mb == 0:
        return f"{size // mb} MB"
    return f"{size // kb} KB" if size % kb == 0 else f"{size:,} bytes"


def limit_for(method: str, path: str) -> Limit:
    settings = get_settings()
    if (method, path.rstrip("/") or "/") in UPLOADS:
        return Limit(settings.upload_max_bytes, "the uploaded file")
    return Limit(settings.request_max_bytes, "the request")


def _declared_length(headers: Headers) -> int | None:
    value = headers.get("content-length")
    return int(value) if value is not None and value.isdigit() else None


def _bearer(headers: Headers) -> str | None:
    scheme, _, token = headers.get("authorization", "").partition(" ")
    return token.strip() or None if scheme.lower() == "bearer" else None


def _token_works(token: str) -> bool:
    with Session(get_engine()) as session:
        return users.authenticate(session, token=token) is not None


def _session_ended(token: str) -> str | None:
    """None while the web session lives, else why it ended (shown on the sign-in page)."""
    try:
        signing_in.resume(token, keep_alive=False)  # the page itself counts the activity
    except web_sign_in.SessionEnded as ended:
        return ended.reason
    return None


def _closing(response: Response) -> Response:
    # The rest of a refused body is not read: the connection ends with the answer.
    response.headers["Connection"] = "close"
    return response


async def _refusal(request: Request) -> Response | None:
    """The answer to a request that may not be let in, or None to let it in."""
    path, method = request.url.path, request.method
    if path.startswith(OPEN):
        return None
    docs = path.startswith(DOCS)
    if method in NO_BODY and not docs:
        return None  # no body to guard; the route refuses as it always did
    token = _bearer(request.headers)
    if token is not None and await run_in_threadpool(_token_works, token):
        return None
    cookie = request.cookies.get(SESSION_COOKIE)
    if path.startswith("/api") or (docs and not web.is_page_request(request) and not cookie):
        return JSONResponse(
            {"detail": API_TOKEN_REFUSED}, status_code=401, headers={"WWW-Authenticate": "Bearer"}
        )
    reason = await run_in_threadpool(_session_ended, cookie) if cookie else "none"
    if reason is None:
        return None
    shown = reason if reason != "none" else None
    if web.is_page_request(request):
        return RedirectResponse(sign_in_url(shown, path if method in NO_BODY else None), 303)
    return JSONResponse({"detail": "signed out", "sign_in": sign_in_url(shown)}, status_code=401)


def too_large(request: Request, limit: Limit) -> Response:
    if web.is_page_request(request):
        return web.error_page(request, 413, limit.text)
    return JSONResponse({"detail": limit.text}, status_code=413)


class RequestGate:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request = Request(scope)
        limit = limit_for(request.method, request.url.path)
        declared = _declared_length(request.headers)
        if declared is not None and declared > limit.size:
            await _closing(too_large(request, limit))(scope, receive, send)
            return
        refusal = await _refusal(request)
        if refusal is not None:
            await _closing(refusal)(scope, receive, send)
            return
        await self._counted(scope, receive, send, request, limit)

    async def _counted(
        self, scope: Scope, receive: Receive, send: Send, request: Request, limit: Limit
    ) -> None:
        """Lets the app read the body while it stays under the limit; past it, whatever the app
        made of the error (FastAPI turns a failed read into 400, a form into 422) is replaced by
        the 413."""
        received = 0
        over = False
        started = False

        async def counting_receive() -> Message:
            nonlocal received, over
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit.size:
                    over = True
                    raise BodyTooLarge(413, limit.text)
            return message

        async def guarded_send(message: Message) -> None:
            nonlocal started
            if over and not started:
                return  # the app's own answer to the cut-off body is dropped
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, counting_receive, guarded_send)
        except BodyTooLarge:
            if started:
                raise
        if over and not started:
            await _closing(too_large(request, limit))(scope, receive, send)
