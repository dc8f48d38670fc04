"""Response headers every answer carries: the content security policy and its companions."""

from fastapi import Request, Response
from starlette.middleware.base import RequestResponseEndpoint

# Only the app's own scripts and styles; inline SVG charts need no exception.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)
# FastAPI's own API documentation pages load their assets elsewhere; they carry no PHI.
_DOCS = ("/docs", "/redoc")


async def security_headers(request: Request, call_next: RequestResponseEndpoint) -> Response:
    response = await call_next(request)
    if not request.url.path.startswith(_DOCS):
        response.headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("Referrer-Policy", "same-origin")
    response.headers.setdefault("X-Frame-Options", "DENY")
    return response
