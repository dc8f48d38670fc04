"""Phone verification end to end: a payer with `adapter: manual` waits for staff, staff record the
call through the API or the CLI, and the re-run uses it like any payer's answer."""

import json
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text
from typer.testing import CliRunner

from coverage.cli import app as cli_app
from coverage.core.rule_book import current_rulebook
from coverage.domain.access import Actor, Role
from coverage.embedded import run_until_settled
from coverage.settings import get_settings
from coverage.store.db import get_engine, session_scope
from tests.api_client import api_client, staff
from tests.factories import request
from tests.integration.conftest import queue_in_process

VOB: dict[str, Any] = {
    "representative_name": "Dana Rep",
    "call_reference": "CALLREF-5531",
    "call_date": "2026-03-01",
    "active": True,
    "plan_name": "Phone PPO Gold",
    "insurance_type": "commercial",
    "benefits": [
        {
            "kind": "deductible",
            "network": "in_network",
            "time_period": "remaining",
            "amount": "250.00",
        },
        {"kind": "coinsurance", "network": "in_network", "percent": "0.15", "auth_required": True},
        {"kind": "copay", "network": "in_network", "time_period": "day", "amount": "35.00"},
        {
            "kind": "out_of_pocket",
            "network": "in_network",
            "time_period": "remaining",
            "amount": "2800.00",
        },
    ],
}


@pytest.fixture
def manual_payer(monkeypatch: pytest.MonkeyPatch) -> None:
    """The sandbox commercial payer, reached by phone only."""
    book = current_rulebook()
    payer = book.payers["sandbox-commercial"]
    monkeypatch.setitem(
        book.payers,
        "sandbox-commercial",
        payer.model_copy(update={"adapter": "manual", "settings": {"phone": "800-555-0100"}}),
    )


@pytest.fixture
def client(database: str) -> Iterator[TestClient]:
    """The API running each job it queues (the re-run) to its end before it answers."""
    with api_client(enqueue=run_until_settled) as test_client:
        yield test_client


def test_job_waits_for_the_call_then_uses_what_staff_recorded(
    client: TestClient, manual_payer: None
) -> None:
    clerk = staff(Role.ADMISSIONS)
    clerk_headers = clerk.headers
    job_id = queue_in_process(request("ppo", member_suffix=uuid.uuid4().hex[:6]), clerk.actor)

    waiting = client.get(f"/api/verifications/{job_id}", headers=clerk_headers).json()
    assert waiting["status"] == "needs_info"
    assert waiting["message"] == (
        "Sandbox Commercial PPO is verified by phone: call the payer at 800-555-0100 with the call "
        "script on this page and enter what the representative said in the phone answer form "
        "below it; saving the answer re-runs this verification."
    )

    recorded = client.post(
        f"/api/verifications/{job_id}/phone-vob", headers=clerk_headers, json=VOB
    )
    assert recorded.status_code == 201, recorded.text
    # Saved, and the job re-run with it (the client's enqueue runs it before answering).
    assert (recorded.json()["policy"], recorded.json()["rerun"]) == (0, True)
    assert recorded.json()["status"] == "queued"

    done = client.get(f"/api/verifications/{job_id}", headers=clerk_headers).json()
    assert done["status"] == "needs_review", done["message"]
    result = done["result"]
    assert result["coverage"][0]["plan_name"] == "Phone PPO Gold"
    assert result["coverage"][0]["active"] is True
    first, second = result["estimate"]["days"][:2]
    # $350 allowed: $250 deductible left, $35 copay, 15% of the remaining $65.
    assert (first["deductible"], first["copay"], first["coinsurance"], first["patient"]) == (
        "250.00",
        "35.00",
        "9.75",
        "294.75",
    )
    assert (second["deductible"], second["coinsurance"]) == ("0.00", "47.25")
    assert any(f["code"] == "prior_authorization" for f in result["findings"])

    with get_engine().connect() as connection:
        stored = connection.execute(
            text("SELECT entry FROM manual_vobs WHERE job_id = :id"),
            {"id": job_id.hex if get_engine().dialect.name == "sqlite" else job_id},
        ).scalar_one()
    assert "Dana" not in stored and "CALLREF" not in stored and "250.00" not in stored


def test_bad_entries_and_other_clerks_jobs_are_refused(
    client: TestClient, manual_payer: None
) -> None:
    clerk = staff(Role.ADMISSIONS)
    clerk_headers, other_headers = clerk.headers, staff(Role.ADMISSIONS).headers
    job_id = queue_in_process(request("ppo", member_suffix=uuid.uuid4().hex[:6]), clerk.actor)
    url = f"/api/verifications/{job_id}/phone-vob"

    invalid = client.post(url, headers=clerk_headers, json=VOB | {"call_reference": ""})
    assert invalid.status_code == 422
    assert invalid.json()["detail"][0]["loc"] == ["body", "call_reference"]
    assert "Dana" not in invalid.text
    assert client.post(url, headers=other_headers, json=VOB).status_code == 404
    no_policy = client.post(url + "?policy=1", headers=clerk_headers, json=VOB)
    assert no_policy.status_code == 404
    assert no_policy.json() == {"detail": f"verification job {job_id} has no policy 1"}


def test_the_cli_records_a_call_from_a_file(
    tmp_path: Path, manual_payer: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The embedded default (no broker): the command re-runs the job in its own process.
    embedded = get_settings().model_copy(update={"broker_url": None})
    monkeypatch.setattr("coverage.settings.get_settings", lambda: embedded)
    clerk = Actor(name="cli-clerk", role=Role.ADMISSIONS)
    job_id = queue_in_process(request("ppo", member_suffix=uuid.uuid4().hex[:6]), clerk)
    bad = tmp_path / "bad.yaml"
    bad.write_text("representative_name: Dana Rep\ncall_reference: X1\ncall_date: 2026-03-01\n")
    refused = CliRunner().invoke(cli_app, ["vob", "record", str(job_id), str(bad)])
    assert refused.exit_code == 2
    assert f"{bad}: active: Field required" in refused.output

    good = tmp_path / "call.json"
    good.write_text(json.dumps(VOB))
    done = CliRunner().invoke(cli_app, ["vob", "record", str(job_id), str(good)])
    assert done.exit_code == 0, done.output
    # Recorded and re-run in this process (the embedded default): the job is ready for review.
    assert json.loads(done.output) | {"id": ""} == {
        "id": "",
        "job_id": str(job_id),
        "policy": 0,
        "rerun": True,
        "status": "needs_review",
    }
    with session_scope() as session:
        from coverage.store import jobs

        assert jobs.get_or_raise(session, job_id=job_id).status == "needs_review"


def test_a_call_re_runs_a_job_waiting_for_review_but_not_an_approved_one(
    client: TestClient,
) -> None:
    """An electronic payer's job: a call recorded while it waits for review runs it again; once
    billing has approved it, the call is kept and the decision stands."""
    clerk = staff(Role.ADMISSIONS)
    billing = staff(Role.BILLING).headers
    job_id = queue_in_process(request("ppo", member_suffix=uuid.uuid4().hex[:6]), clerk.actor)
    url = f"/api/verifications/{job_id}/phone-vob"
    assert client.get(f"/api/verifications/{job_id}", headers=billing).json()["status"] == (
        "needs_review"
    )

    again = client.post(url, headers=clerk.headers, json=VOB).json()
    assert (again["rerun"], again["status"]) == (True, "queued")
    # The client's enqueue ran it before answering: waiting for review again.
    assert client.get(f"/api/verifications/{job_id}", headers=billing).json()["status"] == (
        "needs_review"
    )
    approved = client.post(
        f"/api/verifications/{job_id}/review", headers=billing, json={"decision": "approve"}
    )
    assert approved.status_code == 200, approved.text
    kept = client.post(url, headers=billing, json=VOB)
    assert kept.status_code == 201
    assert (kept.json()["rerun"], kept.json()["status"]) == (False, "approved")
    with get_engine().connect() as connection:
        calls = connection.execute(
            text("SELECT count(*) FROM manual_vobs WHERE job_id = :id"),
            {"id": job_id.hex if get_engine().dialect.name == "sqlite" else job_id},
        ).scalar_one()
    assert calls == 2


def test_a_part2_jobs_call_is_refused_without_consent_to_the_payer(
    client: TestClient, manual_payer: None
) -> None:
    clerk = staff(Role.ADMISSIONS)
    job_id = queue_in_process(
        request("ppo", member_suffix=uuid.uuid4().hex[:6], program="substance_use", consents=[]),
        clerk.actor,
    )
    refused = client.post(f"/api/verifications/{job_id}/phone-vob", headers=clerk.headers, json=VOB)
    assert refused.status_code == 409
    assert refused.json() == {
        "detail": "Record the patient's consent to disclose to Sandbox Commercial PPO before "
        "calling (Part 2 consent: none on file)."
    }
