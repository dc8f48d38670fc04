"""Role x route matrix over every route in the OpenAPI document."""

import uuid

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from coverage.batches import intake
from coverage.domain.access import Actor, Role
from coverage.domain.consent import Part2Consent
from coverage.domain.request import VerificationRequest
from coverage.service import consents
from coverage.store import payer_calls, users
from coverage.store.db import session_scope
from tests.api_client import Staff, staff
from tests.factories import part2_consent, request, request_body
from tests.integration.conftest import queue_in_process

ROLES = ["admissions", "billing", "operator", "auditor", "admin", "anonymous"]
# route -> expected status per role, in the order of ROLES
MATRIX: dict[tuple[str, str], tuple[int, int, int, int, int, int]] = {
    ("GET", "/healthz"): (200, 200, 200, 200, 200, 200),
    ("POST", "/api/verifications"): (202, 403, 403, 403, 403, 401),
    ("GET", "/api/verifications"): (200, 200, 403, 403, 403, 401),
    ("GET", "/api/verifications/{job_id}"): (200, 200, 403, 403, 403, 401),
    ("GET", "/api/verifications/{job_id}/fhir"): (200, 200, 403, 403, 403, 401),
    ("GET", "/api/verifications/{job_id}/payer-calls"): (403, 200, 403, 403, 403, 401),
    ("GET", "/api/verifications/{job_id}/payer-calls/{call_id}/reply"): (
        403,
        200,
        403,
        403,
        403,
        401,
    ),
    ("POST", "/api/verifications/{job_id}/review"): (403, 200, 403, 403, 403, 401),
    # Admissions may re-run its own jobs only while they need information or failed: 409 here.
    ("POST", "/api/verifications/{job_id}/rerun"): (409, 202, 403, 403, 403, 401),
    ("GET", "/api/verifications/{job_id}/good-faith-estimate"): (200, 200, 403, 403, 403, 401),
    ("POST", "/api/verifications/{job_id}/phone-vob"): (201, 201, 403, 403, 403, 401),
    ("POST", "/api/verifications/{job_id}/consents"): (201, 201, 403, 403, 403, 401),
    ("POST", "/api/verifications/{job_id}/consents/{consent_id}/revoke"): (
        200,
        200,
        403,
        403,
        403,
        401,
    ),
    ("GET", "/api/rules/status"): (403, 403, 200, 403, 403, 401),
    ("GET", "/api/audit"): (403, 403, 403, 200, 403, 401),
    ("POST", "/api/batches"): (202, 403, 403, 403, 403, 401),
    ("GET", "/api/batches/template.csv"): (200, 403, 403, 403, 403, 401),
    ("GET", "/api/batches/{batch_id}"): (200, 200, 403, 403, 403, 401),
}


@pytest.fixture(scope="module")
def tokens(database: str) -> dict[str, Staff]:
    """A user with an API token for each role but anonymous."""
    return {role: staff(Role(role)) for role in ROLES[:-1]}


def uninsured() -> VerificationRequest:
    body = request_body("ppo")
    body["policies"] = []
    return VerificationRequest.model_validate(body)


def test_every_route_in_the_openapi_document_is_in_the_matrix(client: TestClient) -> None:
    app = client.app
    assert isinstance(app, FastAPI)
    documented = {
        (method.upper(), path) for path, ops in app.openapi()["paths"].items() for method in ops
    }
    assert documented == set(MATRIX)


@pytest.mark.parametrize("route", list(MATRIX), ids=lambda r: f"{r[0]} {r[1]}")
@pytest.mark.parametrize("role", ROLES)
def test_role_route_matrix(
    client: TestClient, tokens: dict[str, Staff], role: str, route: tuple[str, str]
) -> None:
    method, path = route
    expected = MATRIX[route][ROLES.index(role)]
    headers = tokens[role].headers if role != "anonymous" else {}
    owner = tokens["admissions"].actor
    if "{job_id}" in path:
        # a job in needs_review, submitted by the admissions user so that it is theirs to read
        job = request("ppo") if "good-faith" not in path else uninsured()
        job_id = queue_in_process(job, owner)
        path = path.replace("{job_id}", str(job_id))
        if "{consent_id}" in path:  # a consent on file to revoke
            consent = Part2Consent.model_validate(part2_consent("sandbox-commercial"))
            recorded = consents.record(job_id, consent=consent, actor=owner)
            path = path.replace("{consent_id}", str(recorded))
        if "{call_id}" in path:  # the job's call to the sandbox payer
            with session_scope() as session:
                [call] = payer_calls.list_for(session, job_id=job_id)
            path = path.replace("{call_id}", str(call.id))
    if "{batch_id}" in path:  # a batch the admissions user uploaded
        accepted = intake.accept(intake.template_csv().encode(), actor=owner)
        path = path.replace("{batch_id}", str(accepted.batch_id))
    files = {"file": ("batch.csv", intake.template_csv())} if path == "/api/batches" else None
    body: dict[str, object] | None = None
    if path == "/api/verifications" and method == "POST":
        body = request_body("ppo")
    elif path.endswith("/review"):
        body = {"decision": "approve", "note": "checked"}
    elif path.endswith("/consents"):
        body = part2_consent("sandbox-commercial")
    elif path.endswith("/revoke"):
        body = {"revoked_on": "2026-06-01"}
    elif path.endswith("/phone-vob"):
        body = {
            "representative_name": "Rep",
            "call_reference": "R1",
            "call_date": "2026-03-01",
            "active": True,
        }
    response = client.request(method, path, headers=headers, json=body, files=files)
    assert response.status_code == expected, response.text
    if expected == 401:
        assert response.json() == {"detail": "missing, unknown or revoked API token"}
    if expected == 403:
        assert response.json()["detail"].startswith(f"role {role!r} may not do this; needs ")


def test_a_revoked_token_is_refused_on_its_next_request(client: TestClient) -> None:
    user = staff(Role.BILLING, "temp")
    headers = user.headers
    assert client.get("/api/verifications", headers=headers).status_code == 200
    with session_scope() as session:
        assert users.revoke(session, name=user.name) == 1
    assert client.get("/api/verifications", headers=headers).status_code == 401


def test_admissions_cannot_read_another_clerks_job(
    client: TestClient, tokens: dict[str, Staff]
) -> None:
    job_id = queue_in_process(request("ppo"), Actor(name="someone-else", role=Role.ADMISSIONS))
    response = client.get(f"/api/verifications/{job_id}", headers=tokens["admissions"].headers)
    assert response.status_code == 404
    assert response.json() == {"detail": f"no verification job {job_id}"}


def test_an_idempotency_key_returns_the_same_job(
    client: TestClient, tokens: dict[str, Staff]
) -> None:
    headers = tokens["admissions"].headers | {"Idempotency-Key": uuid.uuid4().hex}
    first = client.post("/api/verifications", headers=headers, json=request_body("ppo"))
    second = client.post("/api/verifications", headers=headers, json=request_body("ppo"))
    assert first.status_code == second.status_code == 202
    assert first.json()["id"] == second.json()["id"]
    assert first.headers["Location"] == first.json()["url"]


def test_an_idempotency_key_reused_for_a_different_request_is_refused(
    client: TestClient, tokens: dict[str, Staff]
) -> None:
    headers = tokens["admissions"].headers | {"Idempotency-Key": uuid.uuid4().hex}
    first = client.post("/api/verifications", headers=headers, json=request_body("ppo"))
    assert first.status_code == 202
    other = client.post(
        "/api/verifications", headers=headers, json=request_body("ppo", days_per_week=5)
    )
    assert other.status_code == 422
    assert other.json() == {
        "detail": "Idempotency-Key was used for a different request; "
        "send a new key with a new request"
    }
    # The same request with its fields in another order is the same request.
    same = dict(reversed(list(request_body("ppo").items())))
    again = client.post("/api/verifications", headers=headers, json=same)
    assert (again.status_code, again.json()["id"]) == (202, first.json()["id"])


def test_review_records_the_decision_and_a_second_review_conflicts(
    client: TestClient, tokens: dict[str, Staff]
) -> None:
    owner = tokens["admissions"].actor
    job_id = queue_in_process(request("ppo"), owner)
    headers = tokens["billing"].headers
    reviewed = client.post(
        f"/api/verifications/{job_id}/review",
        headers=headers,
        json={"decision": "reject", "note": "auth pending"},
    )
    assert reviewed.status_code == 200
    body = reviewed.json()
    assert body["status"] == "rejected"
    assert [(r["decision"], r["note"]) for r in body["reviews"]] == [("rejected", "auth pending")]
    again = client.post(
        f"/api/verifications/{job_id}/review", headers=headers, json={"decision": "approve"}
    )
    assert again.status_code == 409
    assert again.json() == {"detail": f"job {job_id} is rejected, not needs_review"}
    missing = client.post(
        f"/api/verifications/{uuid.uuid4()}/review", headers=headers, json={"decision": "approve"}
    )
    assert missing.status_code == 404


def test_list_rows_mask_member_ids(client: TestClient, tokens: dict[str, Staff]) -> None:
    owner = tokens["admissions"].actor
    queue_in_process(request("ppo"), owner)
    rows = client.get(
        "/api/verifications?status=needs_review",
        headers=tokens["admissions"].headers,
    ).json()["data"]
    insured = [row for row in rows if row["payer_ids"]]  # the matrix also queues uninsured jobs
    assert insured and all(row["member_ids"] == ["****0234"] for row in insured)
    assert all(row["created_at"].endswith("Z") for row in rows)  # UTC, on SQLite too
    assert "SBX-PPO-100234" not in str(rows)


def test_a_bad_request_names_the_field_and_echoes_no_value(
    client: TestClient, tokens: dict[str, Staff]
) -> None:
    body = request_body("ppo", first_name="CNRY-NOT-ECHOED")
    body["enrollee"]["birth_date"] = "not-a-date"
    response = client.post("/api/verifications", headers=tokens["admissions"].headers, json=body)
    assert response.status_code == 422
    [error] = response.json()["detail"]
    assert error["loc"] == ["body", "enrollee", "birth_date"]
    assert "CNRY-NOT-ECHOED" not in response.text and "not-a-date" not in response.text
