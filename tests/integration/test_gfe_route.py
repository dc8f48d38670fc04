"""GET /api/verifications/{id}/good-faith-estimate: HTML by default, JSON on request, audited."""

import uuid

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from coverage.domain.access import Actor, Role
from coverage.domain.request import VerificationRequest
from tests.api_client import staff
from tests.factories import request, request_body
from tests.integration.conftest import actions, queue_in_process


@pytest.fixture(scope="module")
def billing(database: str) -> dict[str, str]:
    return staff(Role.BILLING, "gfe").headers


def self_pay_job() -> uuid.UUID:
    body = request_body(
        "ppo", start_date="2026-04-06", weeks=6, household={"size": 4, "annual_income": "40000.00"}
    )
    body["policies"] = []
    return queue_in_process(
        VerificationRequest.model_validate(body), Actor(name="clerk-gfe", role=Role.ADMISSIONS)
    )


def test_html_and_json_of_an_uninsured_enrollees_gfe(
    client: TestClient, billing: dict[str, str], session: Session
) -> None:
    job_id = self_pay_job()
    url = f"/api/verifications/{job_id}/good-faith-estimate"
    html = client.get(url, headers=billing)
    assert html.status_code == 200 and html.headers["content-type"].startswith("text/html")
    # 40,000 / 33,000 = 121.21% of the 2026 guideline: class B, $80 a day x 18 days = $1,440.00.
    assert "$1,440.00" in html.text and "Jordan Sample" in html.text
    data = client.get(url, params={"format": "json"}, headers=billing).json()
    assert (data["reason"], data["total_expected_charges"], data["total_visits"]) == (
        "uninsured",
        "1440.00",
        18,
    )
    assert data["providers"][0]["lines"][0]["discount"] == "sliding scale class B"
    assert actions(session, job_id)[-2:] == ["job.read", "job.read"]


def test_an_insured_enrollee_has_no_gfe(client: TestClient, billing: dict[str, str]) -> None:
    job_id = queue_in_process(request("ppo"), Actor(name="clerk-gfe", role=Role.ADMISSIONS))
    response = client.get(f"/api/verifications/{job_id}/good-faith-estimate", headers=billing)
    assert response.status_code == 404
    assert response.json() == {
        "detail": f"verification {job_id} has no Good Faith Estimate "
        "(only uninsured or self-pay enrollees get one)"
    }
