"""405 answers list every method the path supports.

Starlette answers a method a path does not support from the first route whose path matches, so
`DELETE /api/verifications` said `Allow: POST` although GET is served there too. The `Allow`
header must name them all (RFC 9110, section 15.5.6): this handler recomputes it from the app's
routes.
"""

from fastapi import FastAPI, Request
from fastapi.exception_handlers import http_exception_handler
from fastapi.routing import iter_route_contexts
from starlette.exceptions import HTTPException
from starlette.responses import Response
from starlette.routing import Match, Route


def allowed_methods(app: FastAPI, request: Request) -> list[str]:
    methods: set[str] = set()
    for context in iter_route_contexts(app.routes):
        route = context.route
        if isinstance(route, Route) and route.methods:
            match, _ = route.matches(request.scope)
            if match is not Match.NONE:
                methods |= route.methods
    return sorted(methods)


def install(app: FastAPI) -> None:
    @app.exception_handler(HTTPException)
    async def http_error(request: Request, exc: HTTPException) -> Response:
        if exc.status_code == 405:
            allow = ", ".join(allowed_methods(app, request))
            exc = HTTPException(405, exc.detail, headers={**(exc.headers or {}), "Allow": allow})
        return await http_exception_handler(request, exc)
