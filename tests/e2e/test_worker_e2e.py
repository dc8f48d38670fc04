"""API -> Redis -> a real Celery worker -> database -> result read back over the API."""

from typing import cast

import pytest
import redis
from fastapi.testclient import TestClient

from coverage.domain.access import Role
from tests.api_client import staff
from tests.e2e.conftest import wait_settled
from tests.factories import request_body

# persona -> (status, patient total, payer total, attempts)
PERSONAS = {
    "ppo": ("needs_review", "1920.00", "6480.00", 1),
    "medicare": ("needs_review", "1470.31", "4748.81", 1),
    "medicaid": ("needs_review", "0.00", "5040.00", 1),
    "inactive": ("needs_review", "9600.00", "0.00", 1),
    "unknown": ("needs_info", None, None, 1),
    "down": ("needs_review", "1920.00", "6480.00", 2),
}


@pytest.fixture(scope="module")
def headers(database: str) -> dict[str, dict[str, str]]:
    return {
        role.value: staff(role, f"e2e-{role.value}").headers
        for role in (Role.ADMISSIONS, Role.BILLING)
    }


@pytest.mark.parametrize("persona", list(PERSONAS))
def test_a_verification_goes_through_redis_and_a_real_worker(
    client: TestClient, headers: dict[str, dict[str, str]], persona: str
) -> None:
    status, patient, payer, attempts = PERSONAS[persona]
    created = client.post(
        "/api/verifications",
        headers=headers["admissions"],
        # inside one calendar year: the amounts above need no 1 January reset
        json=request_body(persona, start_date="2026-02-02"),
    )
    assert created.status_code == 202, created.text
    job = wait_settled(created.json()["id"])
    assert (job.status, job.attempts) == (status, attempts)
    detail = client.get(created.json()["url"], headers=headers["billing"]).json()
    assert detail["status"] == status
    if patient is None:
        assert detail["result"] is None
        assert detail["message"].startswith("The payer did not find this member.")
        return
    estimate = detail["result"]["estimate"]
    assert (estimate["patient_total"], estimate["payer_total"]) == (patient, payer)
    reviewed = client.post(
        f"/api/verifications/{job.id}/review",
        headers=headers["billing"],
        json={"decision": "approve"},
    )
    assert reviewed.json()["status"] == "approved"


def test_the_broker_holds_no_result_keys(
    client: TestClient, headers: dict[str, dict[str, str]], broker: redis.Redis
) -> None:
    created = client.post(
        "/api/verifications", headers=headers["admissions"], json=request_body("ppo")
    )
    wait_settled(created.json()["id"])
    keys = cast(list[bytes], broker.keys("*"))  # the client does not decode responses
    assert [k for k in keys if k.startswith(b"celery-task-meta")] == []
