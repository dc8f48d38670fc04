"""The FastAPI application: JSON API under /api, staff pages, OpenAPI at /docs (for staff)."""

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response

from coverage.api import allow, web
from coverage.api.embedded_worker import recovering
from coverage.api.gate import RequestGate
from coverage.api.routes import admin, batches, consents, estimates, phone, verifications
from coverage.api.security import SecurityHeaders, docs_policy
from coverage.errors import ConflictError, CoverageError, InputError, NotFoundError
from coverage.settings import get_settings

STATUS = {NotFoundError: 404, ConflictError: 409, InputError: 422}


def create_server_app() -> FastAPI:
    """The app `iop-coverage serve` runs: without a broker it is the worker too."""
    return create_app(worker=get_settings().in_process)


def create_app(*, worker: bool = False) -> FastAPI:
    """`worker`: this process runs the jobs, and takes back those a crash left open."""
    get_settings()  # fail fast: production refuses development secrets
    app = FastAPI(
        title="IOP Coverage",
        version="0.1.0",
        description="Coverage verification for IOP admissions",
        lifespan=recovering if worker else None,
    )
    app.include_router(verifications.router)
    app.include_router(admin.router)
    app.include_router(estimates.router)
    app.include_router(phone.router)
    app.include_router(consents.router)
    app.include_router(batches.router)
    web.install(app)
    allow.install(app)

    @app.get("/healthz", tags=["health"])
    def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @app.exception_handler(CoverageError)
    def coverage_error(request: Request, exc: CoverageError) -> Response:
        code = next((c for cls, c in STATUS.items() if isinstance(exc, cls)), 400)
        if web.is_page_request(request):
            return web.error_page(request, code, str(exc))
        return JSONResponse(status_code=code, content={"detail": str(exc)})

    @app.exception_handler(RequestValidationError)
    def invalid_request(request: Request, exc: RequestValidationError) -> Response:
        # Field and reason only: the rejected values may be PHI and error bodies end up in logs.
        errors = [{"loc": e["loc"], "msg": e["msg"], "type": e["type"]} for e in exc.errors()]
        if web.is_page_request(request):
            return web.invalid_input_page(request, errors)
        return JSONResponse(status_code=422, content={"detail": errors})

    # The last added runs first: headers on every answer, the gate's refusals included.
    app.add_middleware(RequestGate)
    app.add_middleware(SecurityHeaders, docs_policy=docs_policy(app))
    return app
