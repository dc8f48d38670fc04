"""The bad-input table: hostile or absurd values sent through every door staff use (the JSON API,
the staff pages' forms and filters, CSV batches). A refusal in plain words is fine; a server
error is not. Values are the ones probing found, plus their neighbours."""

import csv
import io
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

from coverage.domain.access import Role
from tests.api_client import leave_queued, make_app
from tests.batch_files import HEADER, TEMPLATE_ROW
from tests.factories import request_body
from tests.figures import record
from tests.integration.web_session import sign_in
from tests.proof.conftest import World

BEYOND_INT64 = "9223372036854775808"
NAMES = {
    "NUL": "Ja\x00ne",
    "ESC": "Ja\x1b[31mne",
    "BEL": "Ja\x07ne",
    "bidi override": "Ja\u202ene",
    "X12 separators": "Ja~ne*O:B^X",
}


def _json(**plan: Any) -> Callable[[dict[str, Any]], None]:
    def change(body: dict[str, Any]) -> None:
        body["plan"].update(plan)

    return change


def _enrollee(**fields: Any) -> Callable[[dict[str, Any]], None]:
    def change(body: dict[str, Any]) -> None:
        body["enrollee"].update(fields)

    return change


# (door, what is sent): the door is "json" (POST /api/verifications), "form" (POST
# /verifications/new), "csv" (POST /api/batches) with changed fields, or "GET role url".
Case = tuple[str, Any]
CASES: list[Any] = [
    pytest.param(
        "json",
        _json(weekdays=[{}]),
        id="api weekdays [{}]",
    ),
    pytest.param(
        "json",
        _json(weekdays=[[1]]),
        id="api weekdays [[1]]",
    ),
    pytest.param("json", _json(weekdays=5), id="api weekdays 5"),
    pytest.param("json", _json(start_date="9999-12-01"), id="api start date 9999-12-01"),
    pytest.param("json", _json(start_date="9999-12-31"), id="api start date 9999-12-31"),
    pytest.param("json", _enrollee(birth_date="2999-01-01"), id="api future birth date"),
    pytest.param("json", _enrollee(birth_date="9999-12-31"), id="api birth date 9999-12-31"),
    *(
        pytest.param("json", _enrollee(first_name=v, last_name=v), id=f"api name with {k}")
        for k, v in NAMES.items()
    ),
    pytest.param("form", {"weekdays": "[{}]"}, id="form weekdays [{}]"),
    pytest.param("form", {"weekdays": "5"}, id="form weekdays 5"),
    pytest.param("form", {"start_date": "12/01/9999"}, id="form start date 9999-12-01"),
    pytest.param("form", {"birth_date": "01/01/2999"}, id="form future birth date"),
    *(
        pytest.param("form", {"first_name": v, "last_name": v}, id=f"form name with {k}")
        for k, v in NAMES.items()
    ),
    pytest.param("csv", {"start_date": "12/01/9999"}, id="csv start date 9999-12-01"),
    pytest.param("csv", {"weekdays": "[[1]]"}, id="csv weekdays [[1]]"),
    *(
        pytest.param("csv", {"first_name": v, "last_name": v}, id=f"csv name with {k}")
        for k, v in NAMES.items()
    ),
    pytest.param(
        "GET billing",
        f"/api/verifications?offset={BEYOND_INT64}",
        id="api offset 2^63",
    ),
    pytest.param("GET billing", "/api/verifications?limit=0", id="api limit 0"),
    pytest.param("GET auditor", f"/api/audit?offset={BEYOND_INT64}", id="api audit offset 2^63"),
    pytest.param(
        "GET auditor", "/api/audit?since=9999-12-31T23:59:59&until=9999-12-31", id="api audit 9999"
    ),
    pytest.param(
        "GET billing",
        "/verifications?submitted_to=9999-12-31",
        id="page to 9999-12-31",
    ),
    pytest.param(
        "GET billing", "/verifications?submitted_from=9999-12-31", id="page from 9999-12-31"
    ),
    pytest.param("GET billing", "/review?submitted_to=9999-12-31", id="review to 9999-12-31"),
    pytest.param(
        "GET auditor",
        "/audit?to=9999-12-31",
        id="audit page to 9999-12-31",
    ),
    pytest.param("GET auditor", "/audit?from=9999-12-31", id="audit page from 9999-12-31"),
    pytest.param("GET billing", f"/verifications?page={BEYOND_INT64}", id="page number 2^63"),
    pytest.param("GET billing", "/verifications/live?ids=%00", id="live ids NUL"),
]
SENT: list[int] = []


@pytest.fixture(scope="module")
def doors(world: World) -> Iterator[dict[Role, TestClient]]:
    """Clients that answer a server error as a browser sees it (500), each signed in as a role."""
    app = make_app(leave_queued)
    clients = {}
    for role in (Role.ADMISSIONS, Role.BILLING, Role.AUDITOR):
        client = TestClient(app, raise_server_exceptions=False)
        client.headers["X-CSRF-Token"] = sign_in(client, world.staff[role].name)
        client.headers.update(world.headers(role))
        clients[role] = client
    yield clients
    for client in clients.values():
        client.close()
    record("bad-input table", f"{len(SENT)} inputs x doors sent, {sum(SENT)} server errors")


def _csv(changes: dict[str, str]) -> bytes:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=HEADER)
    writer.writeheader()
    writer.writerow(dict(zip(HEADER, TEMPLATE_ROW, strict=True)) | changes)
    return out.getvalue().encode()


def _send(doors: dict[Role, TestClient], door: str, what: Any) -> httpx.Response:
    admissions = doors[Role.ADMISSIONS]
    if door == "json":
        body = request_body("ppo")
        what(body)
        sent: httpx.Response = admissions.post("/api/verifications", json=body)
        return sent
    if door == "form":
        form = dict(zip(HEADER, TEMPLATE_ROW, strict=True)) | what
        posted: httpx.Response = admissions.post(
            "/verifications/new", data=form, follow_redirects=False
        )
        return posted
    if door == "csv":
        files = {"file": ("batch.csv", _csv(what), "text/csv")}
        uploaded: httpx.Response = admissions.post("/api/batches", files=files)
        return uploaded
    _, role = door.split()
    got: httpx.Response = doors[Role(role)].get(what, follow_redirects=False)
    return got


@pytest.mark.parametrize(("door", "what"), CASES)
def test_a_bad_input_is_refused_or_accepted_never_a_server_error(
    doors: dict[Role, TestClient], door: str, what: Any
) -> None:
    response = _send(doors, door, what)
    SENT.append(int(response.status_code >= 500))
    assert response.status_code < 500, response.text[:300]
