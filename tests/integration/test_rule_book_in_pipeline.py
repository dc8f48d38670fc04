"""The rule book as operators use it: a new payer as data, criteria that cannot be evaluated,
and the explanation of a stored result over the API and the CLI."""

import hashlib
import uuid
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session
from typer.testing import CliRunner

from coverage.api.app import create_app
from coverage.cli import app as cli_app
from coverage.core import rule_book
from coverage.domain.access import Actor, Role
from coverage.domain.request import VerificationRequest
from coverage.store import results, rule_versions
from tests.api_client import staff
from tests.factories import request, request_body
from tests.integration.conftest import job_row, queue_in_process
from tests.integration.web_session import signed_in_client

ROOT = Path(__file__).resolve().parents[2]

NEW_PAYER = """\
# Added by an operator: a new commercial payer, reached through the sandbox for now.
kind: payer
id: lakeside-epo
name: Lakeside EPO
type: commercial
state: VA
adapter: sandbox
network_status: in_network
version: "2026.1"
source: "Example facility contract with Lakeside (synthetic)"
effective: "2026-01-01"
status: verified
"""
NEW_FEE_SCHEDULE = """\
kind: fee_schedule
version: "2026.1"
status: verified
source: "Example facility contract with Lakeside (synthetic)"
effective: 2026-01-01
expires: 2026-12-31
service:
  description: Intensive outpatient psychiatric services, per diem
  code: S9480
self_pay_per_day: "400.00"
payers:
  lakeside-epo:
    - network: in_network
      per_day: "300.00"
"""


def _body(session: Session, job_id: uuid.UUID) -> dict[str, Any]:
    """The stored result as the API shows it."""
    result = results.read(session, job_id=job_id)
    assert result is not None
    return result.model_dump(mode="json")


def test_an_operator_adds_a_payer_and_its_fee_schedule_as_two_files(
    rules: Path, session: Session, clerk: Actor
) -> None:
    rule_book.current_rulebook()  # the service is running with the book as shipped
    (rules / "payers" / "lakeside-epo.yaml").write_text(NEW_PAYER)
    (rules / "fee_schedules" / "lakeside-2026.yaml").write_text(NEW_FEE_SCHEDULE)
    body = request_body("ppo")  # SBX-PPO- member: deductible $300 left, 20 %, OOP $3,000 left
    body["policies"][0]["payer_id"] = "lakeside-epo"
    job_id = queue_in_process(VerificationRequest.model_validate(body), clerk)

    assert job_row(session, job_id).status == "needs_review"
    result = _body(session, job_id)
    estimate = result["estimate"]
    # 3 days x 8 weeks = 24 days at the new $300.00 per diem = $7,200.00, from 7 Dec 2026.
    # 2026 (12 days): the $300.00 deductible left takes day 1; 11 x 20 % of $300.00 = $660.00.
    # 2027 (12 days, the plan's full $1,500.00 deductible again): 5 x $300.00 = $1,500.00, then
    # 7 x $60.00 = $420.00. Patient 960 + 1,920 = $2,880.00, payer $4,320.00.
    assert (estimate["allowed_total"], estimate["patient_total"], estimate["payer_total"]) == (
        "7200.00",
        "2880.00",
        "4320.00",
    )
    assert estimate["weeks"][0] == {
        "week": 1,
        "start": "2026-12-07",
        "days": 3,
        "allowed": "900.00",
        "patient": "420.00",
        "payer": "480.00",
    }
    recorded = {f["path"]: f for f in results.get(session, job_id=job_id).rule_files}  # type: ignore[union-attr]
    for path in ("payers/lakeside-epo.yaml", "fee_schedules/lakeside-2026.yaml"):
        assert recorded[path]["sha256"] == hashlib.sha256((rules / path).read_bytes()).hexdigest()
        assert recorded[path]["version"] == "2026.1"
    # No coverage policy was added for the payer: coverage for IOP stays unknown, never "covered".
    assert result["assessment"]["coverage"] == [
        {
            "payer_id": "lakeside-epo",
            "status": "unknown",
            "why": ["No coverage policy in the rule book applies to Lakeside EPO."],
        }
    ]


def test_a_criterion_over_a_missing_rating_sends_the_job_to_review_with_its_id(
    session: Session, clerk: Actor
) -> None:
    job_id = queue_in_process(
        request("medicaid", program="substance_use", diagnoses=["F11.20"]), clerk
    )
    job = job_row(session, job_id)
    assert (job.status, job.message) == (
        "needs_review",
        "Ready for billing review; needs clinical review: could not evaluate "
        "asam-2-1-sud/withdrawal-risk-minimal, asam-2-1-sud/no-24-hour-medical-care",
    )
    necessity = _body(session, job_id)["assessment"]["medical_necessity"]
    assert necessity["status"] == "needs_clinical_review"
    withdrawal = next(c for c in necessity["criteria"] if c["check"] == "withdrawal-risk-minimal")
    assert (withdrawal["outcome"], withdrawal["inputs"], withdrawal["status"]) == (
        "unknown",
        {"ratings": {}},
        "draft",
    )


def test_the_api_and_the_cli_explain_a_result(
    client: TestClient, session: Session, clerk: Actor
) -> None:
    job_id = queue_in_process(request("medicare", start_date="2026-01-12", weeks=10), clerk)
    detail = client.get(f"/api/verifications/{job_id}", headers=staff(Role.BILLING).headers).json()
    files = {f["path"]: f for f in detail["rule_files"]}
    medicare = files["coverage/medicare-iop.yaml"]
    sha = hashlib.sha256((ROOT / "payer_rules/coverage/medicare-iop.yaml").read_bytes()).hexdigest()
    assert (medicare["version"], medicare["sha256"]) == ("2026.2", sha)
    hours = next(
        c
        for c in detail["result"]["assessment"]["coverage_criteria"]
        if c["rule"] == "medicare-iop/hours-per-week"
    )
    assert hours == {
        "rule": "medicare-iop/hours-per-week",
        "file": "payer_rules/coverage/medicare-iop.yaml",
        "check": "hours-per-week",
        "outcome": "met",
        "reason": "Planned 9 hours/week is within 9-19 for Medicare beneficiaries.",
        "inputs": {"age": 37, "hours_per_week": 9.0},
        "status": "verified",
        "refer_to": None,
        "error": None,
    }

    printed = CliRunner().invoke(cli_app, ["rules", "explain", str(job_id)])
    assert printed.exit_code == 0, printed.output
    lines = printed.output.splitlines()
    assert lines[0] == f"Verification {job_id}: needs_review - Ready for billing review"
    assert f"  coverage/medicare-iop.yaml  v2026.2  sha256 {sha}" in lines
    assert (
        "  [met] medicare-iop/hours-per-week: Planned 9 hours/week is within 9-19 for Medicare "
        "beneficiaries." in lines
    )
    assert (
        "      inputs: age=37, hours_per_week=9.0  (payer_rules/coverage/medicare-iop.yaml)"
        in lines
    )
    assert "  2026-03-12 recertification: Recertification due (every 2 months)." in lines
    assert (
        "Cost-sharing rules (sandbox-medicare, medicare-iop/cost-sharing): part_b_coinsurance=0.20"
        in lines
    )
    assert (
        "  payer_rules/fee_schedules/sandbox-2026.yaml: sandbox-medicare in_network allowed "
        "amount $259.13 is draft" in lines
    )
    audited = CliRunner().invoke(cli_app, ["rules", "explain", str(uuid.uuid4())])
    assert audited.exit_code == 1


def test_with_no_rule_book_ever_loaded_a_job_fails_saying_what_to_do(
    rules: Path, session: Session, clerk: Actor, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A fresh install whose rules directory has never loaded: nothing stored to fall back on."""
    monkeypatch.setattr(rule_versions, "in_force_version", lambda _session: None)
    (rules / "payers" / "broken.yaml").write_text("kind: payer\nid: broken\nnmae: typo\n")
    job_id = queue_in_process(request("ppo"), clerk)
    assert (job_row(session, job_id).status, job_row(session, job_id).message) == (
        "failed",
        "No rule book could be loaded yet, so nothing can be verified. An operator must fix the "
        "rule book (the Rule book page names each problem); then re-run.",
    )


def test_a_criterion_the_runtime_gives_up_on_leaves_it_unknown_and_the_job_reaches_review(
    rules: Path, session: Session, clerk: Actor
) -> None:
    hundred = "[" + ", ".join(["1"] * 100) + "]"
    exhausting = f"{hundred}.all(a, {hundred}.all(b, {hundred}.all(c, a + b + c > 0)))"
    path = rules / "medical_necessity" / "mental-health-iop.yaml"
    path.write_text(
        path.read_text().replace(
            "expr: hours_per_week < 20.0", f"expr: 'hours_per_week < 20.0 || {exhausting}'"
        )
    )
    # Every trial at load has fewer than 20 hours; this enrollee's 21 hours reach the loop.
    job_id = queue_in_process(request("ppo", hours_per_day=7.0, days_per_week=3), clerk)
    assert job_row(session, job_id).status == "needs_review"
    criteria = _body(session, job_id)["assessment"]["medical_necessity"]["criteria"]
    gave_up = next(c for c in criteria if c["check"] == "below-partial-hospitalization")
    assert (gave_up["outcome"], gave_up["reason"]) == (
        "unknown",
        "The rule could not be evaluated: it took too long. A clinician must review: 20 or more "
        "hours a week is partial hospitalization, not IOP.",
    )
    assert "Iteration budget exceeded" in gave_up["error"]
    # Staff read the plain reason on the job page; the rule engine's words stay for operators.
    billing = signed_in_client(create_app(), Role.BILLING)
    page = billing.client.get(f"/verifications/{job_id}")
    assert page.status_code == 200
    assert "The rule could not be evaluated: it took too long." in page.text
    assert "budget" not in page.text.lower() and "INTERNAL" not in page.text
