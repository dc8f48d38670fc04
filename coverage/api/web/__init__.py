"""The staff web pages: server-rendered from the same app, same users, roles and audit as the API."""

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles

from coverage.api.web import batches, operations, phone, review, sign_in, verifications
from coverage.api.web.auth import CsrfRefused, PageForbidden, SignInRequired, sign_in_url
from coverage.api.web.navigation import ROLE_NAMES, home
from coverage.api.web.render import page

STATIC = Path(__file__).resolve().parent.parent / "static"


def _wants_json(request: Request) -> bool:
    return "application/json" in request.headers.get("accept", "")


def is_page_request(request: Request) -> bool:
    """A browser asking for a staff page (not the JSON API, not a script's poll)."""
    return not request.url.path.startswith("/api") and "text/html" in request.headers.get(
        "accept", ""
    )


ERROR_HEADINGS = {
    404: "Not found",
    409: "This cannot be done now",
    413: "This is too large to accept",
    422: "This was not accepted",
}


def error_page(request: Request, status_code: int, text: str) -> Response:
    """An error as a plain page; the text is the service's own message, which never holds PHI."""
    return page(
        request,
        "web/message.html",
        None,
        status_code=status_code,
        heading=ERROR_HEADINGS.get(status_code, "Something went wrong"),
        lines=[text[:1].upper() + text[1:] + "."],
        link={"href": "/", "label": "Go to your start page"},
    )


# Why a value in a page's address was refused, in plain words (by pydantic error type).
_INVALID = {
    "date_from_datetime_parsing": "is not a date (use the date picker, or YYYY-MM-DD)",
    "date_parsing": "is not a date (use the date picker, or YYYY-MM-DD)",
    "date_from_datetime_inexact": "is not a date (use the date picker, or YYYY-MM-DD)",
    "int_parsing": "is not a whole number",
    "greater_than_equal": "is too small",
    "less_than_equal": "is too large",
    "string_too_long": "is too long",
    "enum": "is not one of the choices",
    "string_pattern_mismatch": "is not in the expected form",
}


def _reason(error: Mapping[str, Any]) -> str:
    if error["type"] == "value_error":  # the service's own words (coverage.domain.text)
        return str(error["msg"]).removeprefix("Value error, ")
    return _INVALID.get(error["type"], "cannot be used here")


def invalid_input_page(request: Request, errors: Sequence[Mapping[str, Any]]) -> Response:
    """A page's address with a value it cannot use (edited by hand, or an old bookmark): a plain
    page naming the field, instead of the API's JSON."""
    lines = [
        f"“{str(error['loc'][-1]).replace('_', ' ').capitalize()}” {_reason(error)}."
        for error in errors
    ]
    return page(
        request,
        "web/message.html",
        None,
        status_code=422,
        heading=ERROR_HEADINGS[422],
        lines=[*lines, "Change it and try again, or start from the page's own links."],
        link={"href": "/", "label": "Go to your start page"},
    )


def install(app: FastAPI) -> None:
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    app.include_router(sign_in.router)
    app.include_router(verifications.router)
    app.include_router(phone.router)
    app.include_router(operations.router)
    app.include_router(batches.router)
    app.include_router(review.router)

    @app.exception_handler(SignInRequired)
    def sign_in_required(request: Request, exc: SignInRequired) -> Response:
        reason = exc.reason if exc.reason != "none" else None
        if _wants_json(request):
            # A page's background poll: after signing in again, back to that page.
            back = urlsplit(request.headers.get("referer", "")).path or None
            target = sign_in_url(reason, back)
            return JSONResponse({"detail": "signed out", "sign_in": target}, status_code=401)
        return RedirectResponse(sign_in_url(reason, exc.next_path), status_code=303)

    @app.exception_handler(PageForbidden)
    def forbidden(request: Request, exc: PageForbidden) -> Response:
        if _wants_json(request):
            return JSONResponse({"detail": "not for this role"}, status_code=403)
        needed = " or ".join(ROLE_NAMES[r] for r in exc.roles)
        return page(
            request,
            "web/message.html",
            exc.user,
            status_code=403,
            heading="This page is not for your role",
            lines=[
                f"It is for {needed}. You are signed in as "
                f"{exc.user.actor.name}, one of the {ROLE_NAMES[exc.user.role]}.",
                "If you need it for your work, ask an administrator to change your role.",
            ],
            link={"href": home(exc.user.role), "label": "Go to your start page"},
        )

    @app.exception_handler(CsrfRefused)
    def csrf_refused(request: Request, exc: CsrfRefused) -> Response:
        if _wants_json(request):
            return JSONResponse({"detail": "missing or wrong CSRF token"}, status_code=403)
        return page(
            request,
            "web/message.html",
            None,
            status_code=403,
            heading="This form could not be accepted",
            lines=[
                "It arrived without this page's security token: the page may be out of date, "
                "or the form was sent from another site.",
                "Nothing was saved. Go back, reload the page and submit again.",
            ],
            link=None,
        )
