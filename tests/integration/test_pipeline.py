"""The pipeline in-process on the test database, one test per sandbox persona, exact amounts."""

import uuid
from decimal import Decimal
from typing import Any, ClassVar

import pytest
from sqlmodel import Session

from coverage.domain.access import Actor
from coverage.domain.request import VerificationRequest
from coverage.store import jobs, payer_calls, results
from tests.factories import request, request_body
from tests.integration.conftest import actions, job_row, queue_in_process, result_count


def _result(session: Session, job_id: uuid.UUID) -> dict[str, Any]:
    """The stored result as the API shows it."""
    result = results.read(session, job_id=job_id)
    assert result is not None
    return result.model_dump(mode="json")


def test_commercial_ppo_gets_an_exact_estimate_and_waits_for_review(
    session: Session, clerk: Actor
) -> None:
    job_id = queue_in_process(
        request("ppo", household={"size": 3, "annual_income": "61000.00"}), clerk
    )
    job = job_row(session, job_id)
    assert (job.status, job.attempts, job.message) == (
        "needs_review",
        1,
        "Ready for billing review",
    )
    body = _result(session, job_id)
    est = body["estimate"]
    # 24 days x $350 from Mon 7 Dec 2026. 2026: $300 deductible + 20% of $50 = $310, then
    # 11 x $70 = $1,080. 2027 (calendar-year plan restarts): 4 x $350 deductible, $100 + 20% of
    # $250 = $150 (deductible met), 7 x $70 -> $2,040. Patient $3,120; payer $5,280.
    assert (est["allowed_total"], est["patient_total"], est["payer_total"]) == (
        "8400.00",
        "3120.00",
        "5280.00",
    )
    assert est["weeks"][0] == {
        "week": 1,
        "start": "2026-12-07",
        "days": 3,
        "allowed": "1050.00",
        "patient": "450.00",
        "payer": "600.00",
    }
    assert [f["code"] for f in body["findings"]] == [
        "coverage",
        "sandbox-commercial-iop/program",
        "sandbox-commercial-iop/level-of-care",
        "mental-health-iop/recorded-level-iop",
        "mental-health-iop/below-partial-hospitalization",
        "mental-health-iop/no-imminent-danger",
        "prior_authorization",
    ]
    assessment = body["assessment"]
    assert assessment["coverage"][0]["status"] == "covered"
    assert assessment["medical_necessity"]["status"] == "met"
    assert assessment["requirements"][0] == {
        "code": "prior_authorization",
        "text": "Prior authorization from Sandbox Commercial PPO before the first IOP day.",
        "due": "2026-12-07",
        "rule": "sandbox-commercial-iop/prior-authorization",
        "status": "verified",
    }
    assert body["sliding_scale"]["status"] == "offered"
    assert {f["path"] for f in job_rule_files(session, job_id)} >= {
        "fee_schedules/sandbox-2026.yaml"
    }
    assert result_count(session, job_id) == 1
    assert actions(session, job_id) == ["job.create", "job.running", "job.needs_review"]


def job_rule_files(session: Session, job_id: uuid.UUID) -> list[dict[str, Any]]:
    row = results.get(session, job_id=job_id)
    assert row is not None
    return row.rule_files


def test_medicare_applies_the_part_b_deductible_then_20_percent(
    session: Session, clerk: Actor
) -> None:
    job_id = queue_in_process(
        request("medicare", start_date="2026-01-12", days_per_week=4, weeks=10), clerk
    )
    est = _result(session, job_id)["estimate"]
    # 40 days x $259.13. Day 1: $259.13 deductible. Day 2: $23.87 deductible + 20% of $235.26
    # ($47.05). Days 3-40: 20% of $259.13 = $51.826, rounded per day to $51.83 (38 x = $1,969.54).
    assert est["allowed_total"] == "10365.20"
    assert [d["patient"] for d in est["days"][:3]] == ["259.13", "70.92", "51.83"]
    assert Decimal(est["patient_total"]) == Decimal("259.13") + Decimal("70.92") + 38 * Decimal(
        "51.83"
    )
    assert (est["patient_total"], est["payer_total"]) == ("2299.59", "8065.61")
    assert _result(session, job_id)["drafts_used"] == [
        "payer_rules/fee_schedules/sandbox-2026.yaml: sandbox-medicare in_network allowed amount "
        "$259.13 is draft",
    ]


def test_medicaid_leaves_the_patient_nothing_and_flags_part2(
    session: Session, clerk: Actor
) -> None:
    job_id = queue_in_process(
        request("medicaid", program="substance_use", diagnoses=["F11.20"]), clerk
    )
    job = job_row(session, job_id)
    body = _result(session, job_id)
    assert job.part2 is True and body["part2"] is True
    assert (body["estimate"]["patient_total"], body["estimate"]["payer_total"]) == (
        "0.00",
        "5040.00",
    )


def test_inactive_coverage_is_reviewed_as_self_pay(session: Session, clerk: Actor) -> None:
    job_id = queue_in_process(
        request("inactive", household={"size": 4, "annual_income": "52000.00"}), clerk
    )
    body = _result(session, job_id)
    assert job_row(session, job_id).status == "needs_review"
    assert body["findings"][0] == {
        "code": "coverage",
        "status": "not_met",
        "source": "sandbox-commercial",
        "reason": "Sandbox Commercial PPO: coverage not active for the service dates.",
    }
    assert (body["estimate"]["patient_total"], body["estimate"]["payer_total"]) == (
        "9600.00",
        "0.00",
    )


def test_unknown_member_ends_in_needs_info_with_an_action_and_no_result(
    session: Session, clerk: Actor
) -> None:
    job_id = queue_in_process(request("unknown"), clerk)
    job = job_row(session, job_id)
    assert job.status == "needs_info"
    assert job.message == (
        "The payer did not find this member. Check the member ID, name and birth date "
        "against the insurance card, then re-run the verification."
    )
    assert result_count(session, job_id) == 0
    [check] = payer_calls.list_for(session, job_id=job_id)
    assert (check.outcome, check.attempt, check.raw) == ("permanent_error", 1, None)


def test_an_unavailable_payer_is_retried_and_the_job_completes_once(
    session: Session, clerk: Actor
) -> None:
    job_id = queue_in_process(request("down"), clerk)
    job = job_row(session, job_id)
    assert (job.status, job.attempts) == ("needs_review", 2)
    assert [c.outcome for c in payer_calls.list_for(session, job_id=job_id)] == [
        "transient_error",
        "ok",
    ]
    assert result_count(session, job_id) == 1
    assert actions(session, job_id) == [
        "job.create",
        "job.running",
        "job.queued",
        "job.running",
        "job.needs_review",
    ]


def test_a_second_run_of_a_finished_job_is_a_no_op(session: Session, clerk: Actor) -> None:
    from coverage import pipeline

    job_id = queue_in_process(request("ppo"), clerk)
    outcome = pipeline.run(job_id)
    assert outcome.status is None
    assert result_count(session, job_id) == 1


def test_a_gap_in_the_rule_book_fails_the_job_with_an_operator_action(
    session: Session, clerk: Actor
) -> None:
    # The shipped book starts on 1 January 2024: nothing before it to carry forward.
    job_id = queue_in_process(request("ppo", start_date="2023-11-06"), clerk)
    job = job_row(session, job_id)
    assert job.status == "failed"
    assert job.message == (
        # The facility's own charge is looked up first: it prices every day, covered or not.
        "Rule book gap: no self-pay rate on 2023-11-06. An operator must fix the rule book "
        "(iop-coverage rules check names the file); then re-run."
    )


@pytest.mark.parametrize(
    ("persona", "totals", "carried"),
    [
        # 24 days at $350.00 (carried): $300 deductible left + 20% of $50, then 23 x $70.
        ("ppo", ("8400.00", "1920.00"), ["sandbox-commercial in_network allowed amount"]),
        # 24 days at $259.13 (carried): $283 deductible (the sandbox's 2027 answer), then 20%.
        (
            "medicare",
            ("6219.12", "1470.31"),
            ["sandbox-medicare in_network allowed amount", "Medicare Part B 2026 amounts"],
        ),
    ],
)
def test_an_episode_starting_in_2027_verifies_with_the_shipped_book_flagged_where_carried(
    session: Session, clerk: Actor, persona: str, totals: tuple[str, str], carried: list[str]
) -> None:
    job_id = queue_in_process(request(persona, start_date="2027-01-11"), clerk)
    assert job_row(session, job_id).status == "needs_review"
    result = _result(session, job_id)
    estimate = result["estimate"]
    assert (estimate["allowed_total"], estimate["patient_total"]) == totals
    flagged = [a["text"] for a in estimate["assumptions"] if "carried forward" in a["text"]]
    assert flagged and {a["source"] for a in estimate["assumptions"] if a["text"] in flagged} == {
        "default"
    }
    listed = [d for d in result["drafts_used"] if "carried forward until" in d]
    assert [next(c for c in carried if c in d) for d in listed] == carried
    assert all(
        d.endswith("ended 2026-12-31; carried forward until newer data is added (not verified)")
        for d in listed
    )


def test_the_same_job_run_twice_at_once_stores_one_result(session: Session, clerk: Actor) -> None:
    from concurrent.futures import ThreadPoolExecutor

    from coverage import pipeline, service

    job, _ = service.queue(request("ppo"), actor=clerk, enqueue=lambda _id: None)
    with ThreadPoolExecutor(max_workers=2) as pool:
        outcomes = list(pool.map(pipeline.run, [job.id, job.id]))
    assert sorted(str(o.status) for o in outcomes) == ["None", "needs_review"]
    assert result_count(session, job.id) == 1


def test_a_payer_still_down_at_the_attempt_cap_fails_the_job_with_its_reason(
    session: Session, clerk: Actor, monkeypatch: pytest.MonkeyPatch
) -> None:
    from coverage.settings import get_settings

    monkeypatch.setattr(get_settings(), "max_attempts", 1)
    job_id = queue_in_process(request("down"), clerk)
    job = job_row(session, job_id)
    assert (job.status, job.attempts) == ("failed", 1)
    assert job.message == (
        "The payer did not answer after 1 attempts (The payer could not respond; the check will be retried.) "
        "Re-run the verification when the payer is back."
    )


def test_medicare_with_medicaid_secondary_leaves_the_patient_nothing(
    session: Session, clerk: Actor
) -> None:
    body = request_body("medicare", start_date="2026-02-02", days_per_week=4, weeks=1)
    body["policies"].append(
        {"payer_id": "sandbox-medicaid", "member_id": "SBX-MCD-554210", "priority": "secondary"}
    )
    job_id = queue_in_process(VerificationRequest.model_validate(body), clerk)
    est = _result(session, job_id)["estimate"]
    # Medicare leaves 259.13, 70.92, 51.83, 51.83; Medicaid (would pay $210 as primary) pays
    # 210 + 70.92 + 51.83 + 51.83 = $384.58; $49.13 of day 1 is written off; the patient owes $0.
    assert (est["patient_total"], est["payer_total"], est["write_off_total"]) == (
        "0.00",
        "987.39",
        "49.13",
    )
    assert [p["paid_total"] for p in est["per_policy"]] == ["602.81", "384.58"]
    assert "secondary_not_applied" not in [f["code"] for f in _result(session, job_id)["findings"]]


def test_a_qmb_enrollee_owes_no_medicare_cost_sharing(session: Session, clerk: Actor) -> None:
    body = request_body("medicare", start_date="2026-02-02", days_per_week=4, weeks=1)
    body["policies"][0]["member_id"] = "SBX-QMB-1EG4TE5MK72"
    est = _result(session, queue_in_process(VerificationRequest.model_validate(body), clerk))[
        "estimate"
    ]
    # The $433.71 of Medicare cost sharing (259.13 + 70.92 + 2 x 51.83) is never the patient's.
    assert (est["patient_total"], est["payer_total"], est["write_off_total"]) == (
        "0.00",
        "602.81",
        "433.71",
    )


def test_an_uninsured_enrollee_gets_a_stored_good_faith_estimate(
    session: Session, clerk: Actor
) -> None:
    body = request_body("ppo", start_date="2026-04-06", weeks=6)
    body["policies"] = []
    body["household"] = {"size": 4, "annual_income": "40000.00"}
    result = _result(session, queue_in_process(VerificationRequest.model_validate(body), clerk))
    gfe = result["good_faith_estimate"]
    # 121.21% of $33,000 -> class B, 80% off $400 = $80 x 18 days.
    assert (gfe["reason"], gfe["total_expected_charges"]) == ("uninsured", "1440.00")
    assert result["sliding_scale"]["discounted_price"] == "1440.00"


@pytest.mark.parametrize("successor_started", [False, True])
def test_an_attempt_that_outlives_the_running_deadline_leaves_the_job_to_its_successor(
    session: Session, clerk: Actor, caplog: pytest.LogCaptureFixture, successor_started: bool
) -> None:
    from datetime import timedelta

    from coverage import pipeline, service
    from coverage.adapters.sandbox import SandboxAdapter
    from coverage.domain.access import WORKER
    from coverage.domain.eligibility import EligibilityRequest, EligibilityResponse
    from coverage.domain.payer import PayerConfig
    from coverage.store.db import session_scope
    from coverage.store.tables import utcnow

    class SweptDuringTheCall:
        """The payer answers only after the sweeper has presumed the worker dead."""

        name: ClassVar[str] = "sandbox"

        def check(self, request: EligibilityRequest, *, payer: PayerConfig) -> EligibilityResponse:
            far_ahead = utcnow() + timedelta(days=1)
            assert service.sweep(enqueue=lambda _id: None, now=far_ahead) == [job.id]
            if successor_started:  # another worker has already claimed attempt 2
                with session_scope() as other:
                    assert jobs.claim(other, job_id=job.id, actor=WORKER, now=far_ahead)
            return SandboxAdapter().check(request, payer=payer)

    job, _ = service.queue(request("ppo"), actor=clerk, enqueue=lambda _id: None)
    outcome = pipeline.run(job.id, adapters={"sandbox": SweptDuringTheCall()})
    assert outcome.status is None
    row = job_row(session, job.id)
    assert (row.status, row.attempts) == (("running", 2) if successor_started else ("queued", 1))
    assert result_count(session, job.id) == 0
    assert f"job {job.id} attempt 1 outlived the running deadline; its outcome is dropped" in (
        caplog.text
    )
    if not successor_started:  # the successor runs normally and stores the one result
        assert pipeline.run(job.id).status == "needs_review"
        assert result_count(session, job.id) == 1
