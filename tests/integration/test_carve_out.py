"""A medical payer that names a behavioral-health administrator: one follow-up check, both kept.

The sandbox payer runs over real sockets; both payers are reached with the CORE X12 adapter.
"""

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlmodel import Session

from coverage.domain.access import Actor
from coverage.sandbox.app import SandboxPayer
from coverage.store import payer_calls, results
from tests.factories import request
from tests.integration.conftest import queue_in_process
from tests.rule_files import core_x12_payer

FEES = """\
kind: fee_schedule
version: "1"
source: "test rates (synthetic)"
effective: 2024-01-01
service:
  description: Intensive outpatient psychiatric services, per diem
  code: S9480
self_pay_per_day: "400.00"
payers:
  medical-plan:
    - network: in_network
      per_day: "350.00"
  sandbox-bh:
    - network: in_network
      per_day: "300.00"
"""


def write_payer(rules: Path, url: str, *, id: str, name: str, x12_id: str, aliases: str) -> None:
    (rules / "payers" / f"{id}.yaml").write_text(
        core_x12_payer(
            id,
            name,
            url,
            x12_id=x12_id,
            payer_name=name.upper(),
            settings="  one_service_type_per_request: false\n",
            extra=f"aliases: {aliases}\n",
            source="test payer over the sandbox (synthetic)",
        )
    )


@pytest.fixture
def sandbox() -> Iterator[SandboxPayer]:
    with SandboxPayer() as server:
        yield server


@pytest.fixture
def rules(rules: Path, sandbox: SandboxPayer) -> Path:
    """The copy of payer_rules from tests/conftest.py, plus a medical payer and its fees."""
    write_payer(
        rules, sandbox.url, id="medical-plan", name="Medical Plan", x12_id="SBX01", aliases="[]"
    )
    (rules / "fee_schedules" / "carve-out-test.yaml").write_text(FEES)
    return rules


def test_a_named_administrator_with_a_payer_file_gets_exactly_one_follow_up_check(
    rules: Path, sandbox: SandboxPayer, session: Session, clerk: Actor
) -> None:
    write_payer(
        rules,
        sandbox.url,
        id="sandbox-bh",
        name="Sandbox Behavioral Health",
        x12_id="SBXBH",
        aliases='["SBXBH"]',
    )
    req = request("ppo", start_date="2026-02-02")
    policy = req.policies[0].model_copy(
        update={"payer_id": "medical-plan", "member_id": "SBX-CARVE-4410"}
    )
    job_id = queue_in_process(req.model_copy(update={"policies": [policy]}), clerk)

    assert sandbox.counters.calls == 2  # the medical plan, then its administrator once
    checks = payer_calls.list_for(session, job_id=job_id)
    assert [(c.payer_id, c.outcome) for c in checks] == [
        ("medical-plan", "ok"),
        ("sandbox-bh", "ok"),
    ]
    result = results.get(session, job_id=job_id)
    assert result is not None
    estimate = result.body["estimate"]
    # The administrator's benefits at its $300.00 rate, 24 days from 2 Feb 2026:
    # day 1 meets the $300.00 deductible left; days 2-24 pay 20 % of $300.00 = $60.00 each.
    # Patient 300.00 + 23 x 60.00 = 1,680.00; payer 24 x 300.00 - 1,680.00 = 5,520.00.
    assert (estimate["patient_total"], estimate["payer_total"]) == ("1680.00", "5520.00")
    [coverage] = result.body["coverage"]
    assert (coverage["payer_id"], coverage["assumptions"][-1]) == (
        "sandbox-bh",
        "IOP benefits from Sandbox Behavioral Health, the behavioral-health administrator "
        "Medical Plan named (carve-out); Medical Plan's answer is kept with the payer calls.",
    )


def test_a_named_administrator_without_a_payer_file_is_left_to_staff(
    rules: Path, sandbox: SandboxPayer, session: Session, clerk: Actor
) -> None:
    req = request("ppo", start_date="2026-02-02")
    policy = req.policies[0].model_copy(
        update={"payer_id": "medical-plan", "member_id": "SBX-CARVE-4411"}
    )
    job_id = queue_in_process(req.model_copy(update={"policies": [policy]}), clerk)
    assert sandbox.counters.calls == 1
    [check] = payer_calls.list_for(session, job_id=job_id)
    assert check.normalized is not None
    result = results.get(session, job_id=job_id)
    assert result is not None
    [coverage] = result.body["coverage"]
    assert (coverage["payer_id"], coverage["assumptions"][-1]) == (
        "medical-plan",
        "Medical Plan names SANDBOX BEHAVIORAL HEALTH (phone 8005550199) as its behavioral-health administrator; "
        "no payer file matches it, so staff must verify IOP benefits with it.",
    )
