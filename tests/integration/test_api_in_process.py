"""The embedded default: the API without a broker runs the pipeline in a background thread."""

import time

from coverage.domain.access import Role
from coverage.embedded import enqueue_in_thread
from tests.api_client import api_client, staff
from tests.factories import request_body


def test_a_job_queued_over_the_api_completes_without_a_broker(database: str) -> None:
    headers = staff(Role.ADMISSIONS, "inproc").headers
    with api_client(enqueue=enqueue_in_thread) as client:
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
