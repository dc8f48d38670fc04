"""A method a path does not serve answers 405 with an `Allow` header naming every method that path
does serve (RFC 9110, section 15.5.6), for every path of the app."""

import re
from collections import defaultdict

from fastapi.routing import iter_route_contexts
from fastapi.testclient import TestClient
from starlette.routing import Route

from coverage.domain.access import Role
from tests.api_client import leave_queued, make_app
from tests.figures import record
from tests.integration.web_session import sign_in
from tests.proof.conftest import World

UNUSED = ("DELETE", "PATCH", "PUT")


def _served() -> dict[str, set[str]]:
    """Method sets by path template, from the app's own routes."""
    app = make_app(leave_queued)
    served: dict[str, set[str]] = defaultdict(set)
    for route in iter_route_contexts(app.routes):
        if isinstance(route.original_route, Route) and route.methods:
            served[str(route.path)] |= route.methods
    return served


def _url(template: str) -> str:
    return re.sub(r"\{\w+\}", "00000000-0000-4000-8000-000000000000", template)


def _matches(template: str, url: str) -> bool:
    return re.fullmatch(re.sub(r"\{\w+\}", "[^/]+", template), url) is not None


def test_a_method_not_served_answers_405_naming_every_method_served(world: World) -> None:
    served = _served()
    wrong = []
    with TestClient(make_app(leave_queued)) as client:
        # Signed in (a session for the pages, a token for the API): an anonymous caller is sent
        # to sign in before the method is looked at.
        sign_in(client, world.staff[Role.BILLING].name)
        client.headers.update(world.headers(Role.BILLING))
        for template in sorted(served):
            url = _url(template)
            expected = set().union(*(m for t, m in served.items() if _matches(t, url)))
            method = next(m for m in UNUSED if m not in expected)
            response = client.request(method, url)
            allow = {m.strip() for m in response.headers.get("allow", "").split(",") if m.strip()}
            if response.status_code != 405 or allow != expected:
                wrong.append(f"{method} {template}: {response.status_code}, Allow {sorted(allow)}")
    record("405 Allow header", f"{len(served)} paths, {len(wrong)} wrong")
    assert wrong == []
