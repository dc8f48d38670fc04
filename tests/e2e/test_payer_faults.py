"""A flaky payer over real sockets: every job still completes, within the payer's limits.

The sandbox payer answers CORE X12 with 30 % of calls failing (503 with Retry-After, or no answer
before the client's timeout); a real prefork worker runs the jobs through the CORE X12 adapter.
"""

import os
import shutil
from collections import defaultdict
from pathlib import Path

import redis

from coverage import service
from coverage.domain.access import Actor, Role
from coverage.domain.request import VerificationRequest
from coverage.sandbox.app import SandboxPayer
from coverage.sandbox.faults import Fault, FaultPlan
from tests.e2e.jobwatch import assert_each_ended_once, open_jobs
from tests.e2e.processes import services
from tests.e2e.test_service_restarts import wait_until
from tests.factories import request_body
from tests.rule_files import core_x12_payer
from workers.tasks import enqueue

ROOT = Path(__file__).resolve().parents[2]
CLERK = Actor(name="e2e-faults-clerk", role=Role.ADMISSIONS)
JOBS = 30
CAP = 2
RETRY_AFTER = 1

FEES = """\
kind: fee_schedule
version: "1"
source: "test payer rates"
effective: 2024-01-01
service:
  description: Intensive outpatient psychiatric services, per diem
  code: S9480
self_pay_per_day: "400.00"
payers:
  flaky-x12:
    - network: in_network
      per_day: "350.00"
"""


def test_thirty_percent_faults_every_job_completes_within_the_cap_and_retry_after(
    broker: redis.Redis, tmp_path: Path
) -> None:
    faults = FaultPlan(
        rates={Fault.HTTP_503: 0.15, Fault.TIMEOUT: 0.15},
        latency=(0.05, 0.15),
        timeout_seconds=2,
        retry_after_seconds=RETRY_AFTER,
        seed=20261125,
    )
    with SandboxPayer(faults=faults) as payer:
        rules = tmp_path / "payer_rules"
        shutil.copytree(ROOT / "payer_rules", rules)
        (rules / "payers" / "flaky-x12.yaml").write_text(
            core_x12_payer(
                "flaky-x12",
                "Flaky X12 Payer",
                payer.url,
                settings="  one_service_type_per_request: false\n"
                "  connect_timeout: 1\n"
                "  read_timeout: 1\n",
                extra=f"limits:\n  max_concurrent: {CAP}\n",
                source="test payer: the sandbox over CORE X12 with injected faults",
            )
        )
        (rules / "fee_schedules" / "flaky-x12.yaml").write_text(FEES)
        env = os.environ | {
            "IOP_COVERAGE_RULES_DIR": str(rules),
            "IOP_COVERAGE_MAX_ATTEMPTS": "15",
            "IOP_COVERAGE_BREAKER_FAILURE_THRESHOLD": "50",
        }
        job_ids = set()
        for n in range(JOBS):
            body = request_body("ppo", member_suffix=f"{n:03d}")
            body["policies"][0]["payer_id"] = "flaky-x12"
            job, _ = service.queue(
                VerificationRequest.model_validate(body), actor=CLERK, enqueue=enqueue
            )
            job_ids.add(job.id)
        with services(env, tmp_path, concurrency=4):
            wait_until(lambda: not open_jobs(job_ids), "every job to settle", timeout=240)
        calls = list(payer.counters.by_member)
        peak = payer.counters.peak_in_flight

    assert_each_ended_once(job_ids)
    assert peak <= CAP
    assert sum(1 for _, _, retry_after in calls if retry_after) > 0  # faults were injected
    by_member: dict[str | None, list[tuple[float, float | None]]] = defaultdict(list)
    for arrived, member, retry_after in calls:
        by_member[member].append((arrived, retry_after))
    assert None not in by_member
    assert len(by_member) == JOBS
    for member, arrivals in by_member.items():
        for (first, retry_after), (second, _) in zip(arrivals, arrivals[1:], strict=False):
            if retry_after:
                assert second - first >= retry_after, f"{member} called again too soon"
