"""Every route of the app (API and staff pages, read from app.routes so a new route is covered
the day it is added) called by every role and by no one: the answer is the one access.ROUTES
states. API calls carry the role's bearer token; page calls the role's signed-in session and, for
forms, its CSRF token, so the only thing that differs between cells is the role."""

import re

import httpx
import pytest
from fastapi.routing import iter_route_contexts
from fastapi.testclient import TestClient
from starlette.routing import Route

from coverage.domain.access import Role
from tests.api_client import leave_queued, make_app
from tests.figures import record
from tests.integration.web_session import sign_in
from tests.proof.access import PUBLIC, ROUTES
from tests.proof.conftest import World

ROLES = [r for r in Role if r is not Role.SYSTEM]
CALLERS: list[Role | None] = [*ROLES, None]  # None: anonymous
SIGNED_OUT = "/sign-in?reason=signed_out"


def _routes() -> list[tuple[str, str]]:
    app = make_app(leave_queued)
    # Included routers are resolved lazily: their routes are only seen through their contexts.
    found: set[tuple[str, str]] = {
        (method, str(route.path))
        for route in iter_route_contexts(app.routes)
        if isinstance(route.original_route, Route)  # not a Mount (/static)
        for method in route.methods or ()
        if method != "HEAD"
    }
    # Signing out ends the session the next cells would use: last.
    return sorted(found, key=lambda r: (r == ("POST", "/sign-out"), r))


def _is_api(path: str) -> bool:
    return path.startswith("/api/") or path == "/healthz"


def _url(path: str, method: str, world: World) -> str:
    # Forms act on the queued job (a re-run of it is refused, so nothing changes state).
    job = world.queued_job if method == "POST" else world.settled_job
    values = {
        "job_id": job,
        "batch_id": world.batch,
        "user_id": world.other_user,
        "token": "not-a-sign-in-link",
        "consent_id": "00000000-0000-4000-8000-000000000000",  # none such: 404 once let in
        "call_id": "00000000-0000-4000-8000-000000000000",  # none such: 404 once let in
    }
    return re.sub(r"\{(\w+)\}", lambda m: str(values[m.group(1)]), path)


def _call(client: TestClient, method: str, url: str, headers: dict[str, str]) -> httpx.Response:
    response: httpx.Response = client.request(method, url, headers=headers, follow_redirects=False)
    return response


def _verdict(access: object, caller: Role | None, path: str, response: httpx.Response) -> str:
    """'' when the answer is the expected one, else what is wrong."""
    status = response.status_code
    if status >= 500:
        return f"server error {status}"
    if access == PUBLIC:
        return ""  # compared across callers below
    location = response.headers.get("location", "")
    # Sent to sign in (a signing out that was asked for goes there too, saying so).
    signed_out = status == 401 or (
        status == 303 and location.startswith("/sign-in") and location != SIGNED_OUT
    )
    if caller is None:
        expected = "401" if _is_api(path) else "303 to /sign-in"
        return "" if signed_out else f"{status}, expected {expected}"
    assert isinstance(access, frozenset)
    if caller in access:
        return f"{status}: refused a role that may" if signed_out or status == 403 else ""
    return "" if status == 403 else f"{status}, expected 403"


def test_every_route_answers_every_role_as_the_table_says(world: World) -> None:
    routes = _routes()
    missing = sorted(set(routes) - set(ROUTES))
    assert not missing, f"routes with no row in tests/proof/access.py: {missing}"
    app = make_app(leave_queued)
    clients: dict[Role | None, TestClient] = {}
    headers: dict[Role | None, dict[str, str]] = {}
    for caller in CALLERS:
        clients[caller] = TestClient(app, raise_server_exceptions=False)
        headers[caller] = {}
        if caller is not None:
            headers[caller] = {"X-CSRF-Token": sign_in(clients[caller], world.staff[caller].name)}
    mismatches, cells = [], 0
    for method, path in routes:
        access = ROUTES[(method, path)]
        url = _url(path, method, world)
        statuses = set()
        for caller in CALLERS:
            sent = world.headers(caller) if _is_api(path) else headers[caller]
            response = _call(clients[caller], method, url, sent)
            cells += 1
            statuses.add(response.status_code)
            wrong = _verdict(access, caller, path, response)
            if wrong:
                who = caller.value if caller else "anonymous"
                mismatches.append(f"{method} {path} as {who}: {wrong}")
        if access == PUBLIC and len(statuses) > 1:
            mismatches.append(f"{method} {path} is public but answers {sorted(statuses)}")
    for client in clients.values():
        client.close()
    record("role x route matrix", f"{cells} cells, {len(mismatches)} mismatches")
    assert mismatches == []
    assert cells == len(routes) * len(CALLERS) >= 300


@pytest.mark.parametrize("path", ["/api/verifications", "/verifications"])
def test_the_matrix_sees_a_refusal(world: World, path: str) -> None:
    """The matrix's verdicts are not vacuous: an operator is refused, anonymous is sent away."""
    assert _verdict(ROUTES[("GET", path)], Role.OPERATOR, path, httpx.Response(200)) != ""
    assert _verdict(ROUTES[("GET", path)], None, path, httpx.Response(200)) != ""
