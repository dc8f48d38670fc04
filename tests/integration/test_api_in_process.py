"""The embedded default: the API without a broker runs the pipeline in a background thread."""

import time
import uuid

from fastapi.testclient import TestClient

from coverage.api.app import create_app
from coverage.api.deps import get_enqueue
from coverage.domain.access import Role
from coverage.embedded import enqueue_in_thread
from coverage.store import users
from coverage.store.db import session_scope
from tests.factories import request_body


def test_a_job_queued_over_the_api_completes_without_a_broker(database: str) -> None:
    app = create_app()
    app.dependency_overrides[get_enqueue] = lambda: enqueue_in_thread
    with session_scope() as session:
        _, token = users.create(
            session, name=f"inproc-{uuid.uuid4().hex[:6]}", role=Role.ADMISSIONS
        )
    headers = {"Authorization": f"Bearer {token}"}
    with TestClient(app) as client:
        created = client.post("/api/verifications", headers=headers, json=request_body("ppo"))
        assert created.status_code == 202
        deadline = time.monotonic() + 20
        while (detail := client.get(created.json()["url"], headers=headers).json())["status"] in (
            "queued",
            "running",
        ):
            assert time.monotonic() < deadline, detail["status"]
            time.sleep(0.05)
    assert detail["status"] == "needs_review"
    # Dec 2026 - Jan 2027: the deductible resets on 1 January (see test_pipeline).
    assert detail["result"]["estimate"]["patient_total"] == "3120.00"
