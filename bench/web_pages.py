"""Render time of the billing review pages for a job with a 12-week estimate (5 days a week, 60
service days), through the ASGI app in this process with a signed-in web session:

    .venv/bin/python -m bench.web_pages [--runs 20]

Each request is the whole server side of a page view: session check and touch, the audited read
(decrypting the request and the result), the chart geometry and the Jinja rendering. The
database is a fresh SQLite file unless IOP_COVERAGE_DATABASE_URL names another (migrated) one.
"""

import argparse
import os
import statistics
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
os.environ.setdefault(
    "IOP_COVERAGE_DATABASE_URL", f"sqlite:///{tempfile.mkdtemp(prefix='iop-bench-')}/web.db"
)
os.environ.pop("IOP_COVERAGE_BROKER_URL", None)  # the pipeline runs in this process
os.environ.setdefault("IOP_COVERAGE_RULES_DIR", str(ROOT / "payer_rules"))


def main() -> None:
    from coverage.api.app import create_app
    from coverage.domain.access import Actor, Role
    from coverage.domain.request import VerificationRequest
    from coverage.settings import get_settings
    from coverage.store.db import upgrade
    from tests.factories import request, request_body
    from tests.integration.conftest import queue_in_process
    from tests.integration.web_session import signed_in_client

    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=20)
    runs = parser.parse_args().runs
    upgrade(get_settings().database_url)
    app = create_app()
    billing = signed_in_client(app, Role.BILLING)
    clerk = Actor(name="bench-clerk", role=Role.ADMISSIONS)
    household = {"size": 4, "annual_income": "40000.00"}
    insured = queue_in_process(
        request("ppo", days_per_week=5, weeks=12, household=household), clerk
    )
    body = request_body("ppo", days_per_week=5, weeks=12, household=household)
    body["policies"] = []
    uninsured = queue_in_process(VerificationRequest.model_validate(body), clerk)
    pages = {
        "review page (detail with result, 12 weeks x 5 days)": f"/verifications/{insured}",
        "result section alone (live page fetch)": f"/verifications/{insured}/result",
        "printable patient estimate": f"/verifications/{insured}/estimate",
        "printable Good Faith Estimate (self-pay)": f"/verifications/{uninsured}/good-faith-estimate",
        "review queue (list)": "/review",
    }
    print(f"{runs} requests per page after one warm-up, signed in as billing (ms)")
    print(f"{'page':55} {'median':>8} {'min':>8} {'max':>8} {'KB':>6}")
    for name, path in pages.items():
        first = billing.client.get(path)
        assert first.status_code == 200, (path, first.status_code)
        timings = []
        for _ in range(runs):
            started = time.perf_counter()
            response = billing.client.get(path)
            timings.append((time.perf_counter() - started) * 1000)
            assert response.status_code == 200
        print(
            f"{name:55} {statistics.median(timings):8.1f} {min(timings):8.1f} "
            f"{max(timings):8.1f} {len(first.content) / 1024:6.0f}"
        )


if __name__ == "__main__":
    main()
