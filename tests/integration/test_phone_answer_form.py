"""The call script and the phone-answer form of a verification's page: admissions reads and prints
the script for a payer verified by phone, enters the answer, and the job runs again with it."""

import uuid
from collections.abc import Iterator

import pytest
from fastapi import FastAPI
from sqlmodel import Session, select

from coverage.core import reads
from coverage.domain.access import Actor, Role
from coverage.domain.request import VerificationRequest
from coverage.embedded import run_until_settled
from coverage.store.tables import AuditEvent
from tests.api_client import leave_queued, make_app
from tests.factories import request
from tests.integration.conftest import job_row, queue_in_process
from tests.integration.test_phone_verification import manual_payer  # noqa: F401 (a fixture)
from tests.integration.web_session import SignedInClient, signed_in_client

ANSWER = {
    "policy": "0",
    "representative_name": "Dana Rep",
    "call_reference": "CALLREF-7781",
    "call_date": "2026-03-02",
    "active": "yes",
    "plan_name": "Phone PPO Gold",
    "insurance_type": "commercial",
    "network": "in_network",
    "deductible_remaining": "500",
    "oop_remaining": "3,000",
    "copay": "25",
    "copay_after_deductible": "",
    "coinsurance": "20",
    "auth_required": "no",
}


@pytest.fixture
def app(database: str) -> Iterator[FastAPI]:
    yield make_app(leave_queued)


def waiting_for_a_call(clerk: SignedInClient) -> uuid.UUID:
    return queue_in_process(
        request("ppo", member_suffix=uuid.uuid4().hex[:6]),
        Actor(name=clerk.name, role=Role.ADMISSIONS),
    )


def test_the_script_asks_what_is_missing_and_the_saved_answer_re_runs_the_job(
    app: FastAPI,
    session: Session,
    manual_payer: None,  # noqa: F811
) -> None:
    clerk = signed_in_client(app, Role.ADMISSIONS)
    job_id = waiting_for_a_call(clerk)
    assert job_row(session, job_id).status == "needs_info"

    page = clerk.client.get(f"/verifications/{job_id}")
    assert "Call the payer" in page.text
    assert (
        "8 questions to ask: mental health or substance use benefit; place of service" in page.text
    )
    assert f'href="/verifications/{job_id}/call-script?policy=0"' in page.text
    assert f'action="/verifications/{job_id}/phone-answer"' in page.text
    assert "POST /api" not in page.text and "vob record" not in page.text

    script = clerk.client.get(f"/verifications/{job_id}/call-script?policy=0")
    assert script.status_code == 200
    assert "Call script: Sandbox Commercial PPO" in script.text
    assert "phone <strong>800-555-0100</strong>" in script.text
    assert "Jordan Sample, member ID SBX-PPO-100234" in script.text
    assert ", born 04/12/1988 (primary policy)" in script.text
    assert script.text.count("data-question=") == 8
    assert "Why we ask: Without an authorization the payer may refuse the claim." in script.text
    assert 'class="top no-print"' in script.text  # the navigation is hidden on paper

    saved = clerk.post_form(f"/verifications/{job_id}/phone-answer", ANSWER)
    assert saved.status_code == 303, saved.text
    assert saved.headers["location"] == f"/verifications/{job_id}?done=phone_rerun"
    assert job_row(session, job_id).status == "queued"
    rerun = session.exec(
        select(AuditEvent).where(
            AuditEvent.entity_id == str(job_id), AuditEvent.action == "manual_vob.record"
        )
    ).one()
    assert (rerun.actor, rerun.detail) == (clerk.name, "policy 0")

    run_until_settled(job_id)
    session.expire_all()
    assert job_row(session, job_id).status == "needs_review"
    detail = reads.detail_of(job_id, actor=Actor(name=clerk.name, role=Role.ADMISSIONS))
    assert detail.result is not None
    estimate = detail.result.estimate
    # $350 allowed a day, 3 days a week from 12/07/2026 for 8 weeks: 12 days in each calendar
    # year, the $500 deductible met again in 2027. Each year: day 1 all deductible ($350); day 2
    # the last $150 of it, the $25 copay and 20% of the remaining $175 ($210); then $25 + 20% of
    # $325 = $90 a day for 10 days: $1,460 a year, $2,920 in all (under the $3,000 maximum).
    assert [str(d.patient) for d in estimate.days[:4]] == ["350.00", "210.00", "90.00", "90.00"]
    assert str(estimate.patient_total) == "2920.00"
    done = clerk.client.get(f"/verifications/{job_id}?done=phone_rerun")
    assert "The phone answer is saved and the verification runs again with it." in done.text
    assert "Phone PPO Gold" in done.text


def test_a_second_call_edits_the_first_and_adds_next_plan_years_amounts(
    app: FastAPI,
    session: Session,
    manual_payer: None,  # noqa: F811
) -> None:
    clerk = signed_in_client(app, Role.ADMISSIONS)
    job_id = waiting_for_a_call(clerk)
    first = clerk.post_form(f"/verifications/{job_id}/phone-answer", ANSWER)
    assert first.status_code == 303, first.text
    run_until_settled(job_id)

    again = clerk.client.get(f"/verifications/{job_id}")
    for name, shown in (
        ("representative_name", "Dana Rep"),
        ("call_reference", "CALLREF-7781"),
        ("call_date", "2026-03-02"),
        ("plan_name", "Phone PPO Gold"),
        ("deductible_remaining", "500.00"),
        ("oop_remaining", "3000.00"),
        ("copay", "25.00"),
        ("coinsurance", "20"),
        ("next_deductible", ""),
    ):
        assert (
            f'name="{name}" type="{"date" if name == "call_date" else "text"}" value="{shown}"'
            in again.text
        )
    assert '<option value="in_network" selected>' in again.text
    assert "Next plan year's amounts, if they differ" in again.text

    second = clerk.post_form(
        f"/verifications/{job_id}/phone-answer",
        ANSWER | {"call_reference": "CALLREF-7790", "next_deductible": "1,000"},
    )
    assert second.status_code == 303, second.text
    run_until_settled(job_id)
    detail = reads.detail_of(job_id, actor=Actor(name=clerk.name, role=Role.ADMISSIONS))
    assert detail.result is not None
    estimate = detail.result.estimate
    # 2026 as before ($500 deductible left): $350, $210, then 10 x $90 = $1,460. From Mon 4 Jan
    # 2027 next year's $1,000 deductible: $350, $350, then $300 + $25 copay + 20% of $25 = $330,
    # then 9 x $90 = $810: $1,840. In all $3,300.
    assert [(y.start.isoformat(), str(y.patient)) for y in estimate.plan_years] == [
        ("2026-01-01", "1460.00"),
        ("2027-01-01", "1840.00"),
    ]
    assert [str(d.patient) for d in estimate.days[12:16]] == ["350.00", "350.00", "330.00", "90.00"]
    assert str(estimate.patient_total) == "3300.00"


def test_a_part2_job_without_consent_to_the_payer_shows_no_script_and_refuses_the_call(
    app: FastAPI,
    session: Session,
    manual_payer: None,  # noqa: F811
) -> None:
    clerk = signed_in_client(app, Role.ADMISSIONS)
    job_id = queue_in_process(
        request("ppo", member_suffix=uuid.uuid4().hex[:6], program="substance_use", consents=[]),
        Actor(name=clerk.name, role=Role.ADMISSIONS),
    )
    needed = (
        "Record the patient&#39;s consent to disclose to Sandbox Commercial PPO before calling "
        "(Part 2 consent: none on file)."
    )
    page = clerk.client.get(f"/verifications/{job_id}")
    assert needed in page.text
    assert "data-question=" not in page.text
    assert f'action="/verifications/{job_id}/phone-answer"' not in page.text
    script = clerk.client.get(f"/verifications/{job_id}/call-script?policy=0")
    assert needed in script.text and "data-question=" not in script.text

    status = job_row(session, job_id).status
    refused = clerk.post_form(f"/verifications/{job_id}/phone-answer", ANSWER)
    assert refused.status_code == 409
    assert needed in refused.text
    session.expire_all()
    assert job_row(session, job_id).status == status
    assert (
        session.exec(
            select(AuditEvent).where(
                AuditEvent.entity_id == str(job_id), AuditEvent.action == "manual_vob.record"
            )
        ).all()
        == []
    )


def test_a_refused_answer_keeps_what_was_typed_and_names_the_field(
    app: FastAPI,
    session: Session,
    manual_payer: None,  # noqa: F811
) -> None:
    clerk = signed_in_client(app, Role.ADMISSIONS)
    job_id = waiting_for_a_call(clerk)
    refused = clerk.post_form(
        f"/verifications/{job_id}/phone-answer",
        ANSWER | {"coinsurance": "120", "call_reference": ""},
    )
    assert refused.status_code == 422
    assert "Nothing was saved." in refused.text
    assert "Coinsurance (percent the patient pays): must be a percent from 0 to 100" in refused.text
    assert "Call reference: required" in refused.text
    assert 'name="coinsurance" type="text" value="120"' in refused.text
    assert 'name="representative_name" type="text" value="Dana Rep"' in refused.text
    assert 'name="oop_remaining" type="text" value="3,000"' in refused.text
    assert job_row(session, job_id).status == "needs_info"


def test_another_clerks_job_and_a_missing_token_are_refused(
    app: FastAPI,
    session: Session,
    manual_payer: None,  # noqa: F811
) -> None:
    clerk = signed_in_client(app, Role.ADMISSIONS)
    other = signed_in_client(app, Role.ADMISSIONS)
    job_id = waiting_for_a_call(clerk)
    assert other.client.get(f"/verifications/{job_id}/call-script").status_code == 404
    assert other.post_form(f"/verifications/{job_id}/phone-answer", ANSWER).status_code == 404
    no_token = clerk.post_form(f"/verifications/{job_id}/phone-answer", ANSWER, csrf=False)
    assert no_token.status_code == 403
    assert job_row(session, job_id).status == "needs_info"


def test_with_two_policies_staff_choose_the_one_the_call_was_about(
    app: FastAPI,
    session: Session,
    manual_payer: None,  # noqa: F811
) -> None:
    """Medicare answers electronically; the secondary commercial plan is verified by phone."""
    clerk = signed_in_client(app, Role.ADMISSIONS)
    body = request("medicare", member_suffix="").model_dump(mode="json")
    body["policies"].append(
        {
            "payer_id": "sandbox-commercial",
            "member_id": f"SBX-PPO-{uuid.uuid4().hex[:6]}",
            "priority": "secondary",
        }
    )
    job_id = queue_in_process(
        VerificationRequest.model_validate(body), Actor(name=clerk.name, role=Role.ADMISSIONS)
    )
    assert job_row(session, job_id).status == "needs_info"
    page = clerk.client.get(f"/verifications/{job_id}").text
    assert "Primary policy: Sandbox Medicare" in page
    assert "Secondary policy: Sandbox Commercial PPO" in page
    assert '<option value="1">Secondary: Sandbox Commercial PPO</option>' in page
    assert 'for="phone-medicare_qmb"' in page  # Medicare: the QMB question has its field
    secondary = clerk.client.get(f"/verifications/{job_id}/call-script?policy=1")
    assert "Call script: Sandbox Commercial PPO" in secondary.text
    assert "(secondary policy)" in secondary.text
    assert clerk.client.get(f"/verifications/{job_id}/call-script?policy=2").status_code == 422

    saved = clerk.post_form(f"/verifications/{job_id}/phone-answer", ANSWER | {"policy": "1"})
    assert saved.status_code == 303
    run_until_settled(job_id)
    session.expire_all()
    assert job_row(session, job_id).status == "needs_review", job_row(session, job_id).message
    event = session.exec(
        select(AuditEvent).where(
            AuditEvent.entity_id == str(job_id), AuditEvent.action == "manual_vob.record"
        )
    ).one()
    assert event.detail == "policy 1"
