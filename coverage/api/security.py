"""Response headers every answer carries: the content security policy and its companions, and
`Cache-Control: no-store` on everything that may hold PHI."""

import base64
import hashlib
import re

from fastapi import FastAPI
from fastapi.openapi.docs import get_swagger_ui_html, get_swagger_ui_oauth2_redirect_html
from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

# Only the app's own scripts and styles; inline SVG charts need no exception.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)
# FastAPI's API documentation pages load Swagger UI and ReDoc from this CDN (kept: no maintained
# Python package ships both, and the pages hold no PHI; they talk only to this app).
DOCS_CDN = "https://cdn.jsdelivr.net"
DOCS = ("/docs", "/redoc")
# The health check and the app's own scripts and styles hold no PHI and may be cached.
CACHEABLE = ("/healthz", "/static/")
_INLINE_SCRIPT = re.compile(r"<script>(.*?)</script>", re.DOTALL)


def _script_hashes(html: str) -> list[str]:
    return [
        "'sha256-" + base64.b64encode(hashlib.sha256(script.encode()).digest()).decode() + "'"
        for script in _INLINE_SCRIPT.findall(html)
    ]


def docs_policy(app: FastAPI) -> str:
    """The docs pages' policy: the CDN's scripts and exactly the inline scripts FastAPI writes
    for this app (by hash, so no other inline script runs); ReDoc styles itself inline and loads
    Google's fonts; the pages fetch only this app's OpenAPI document."""
    pages = [
        get_swagger_ui_html(
            openapi_url=app.openapi_url or "",
            title=f"{app.title} - Swagger UI",
            oauth2_redirect_url=app.swagger_ui_oauth2_redirect_url,
            init_oauth=app.swagger_ui_init_oauth,
            swagger_ui_parameters=app.swagger_ui_parameters,
        ),
        get_swagger_ui_oauth2_redirect_html(),
    ]
    hashes = [h for page in pages for h in _script_hashes(bytes(page.body).decode())]
    return (
        f"default-src 'none'; script-src {DOCS_CDN} {' '.join(hashes)}; "
        f"style-src {DOCS_CDN} https://fonts.googleapis.com 'unsafe-inline'; "
        "font-src https://fonts.gstatic.com; img-src 'self' data:; connect-src 'self'; "
        "worker-src blob:; object-src 'none'; base-uri 'none'; form-action 'none'; "
        "frame-ancestors 'none'"
    )


class SecurityHeaders:
    """Pure ASGI, so it neither buffers nor reads bodies (the gate stays in front of them)."""

    def __init__(self, app: ASGIApp, docs_policy: str) -> None:
        self.app = app
        self.docs_policy = docs_policy

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path: str = scope["path"]

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                docs = path.startswith(DOCS)
                policy = self.docs_policy if docs else CONTENT_SECURITY_POLICY
                headers.setdefault("Content-Security-Policy", policy)
                headers.setdefault("X-Content-Type-Options", "nosniff")
                headers.setdefault("Referrer-Policy", "same-origin")
                headers.setdefault("X-Frame-Options", "DENY")
                if not path.startswith(CACHEABLE):
                    # API answers and pages may hold PHI: never kept by a browser or a proxy.
                    headers["Cache-Control"] = "no-store"
            await send(message)

        await self.app(scope, receive, with_headers)
