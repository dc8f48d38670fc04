"""42 CFR Part 2 on the staff pages and in exports: a consent entered on the form is stored with
the job, a revocation is recorded from the verification page, and every human-readable export of
a Part 2 job carries the section 2.32 statement (a mental-health job's does not)."""

import uuid
from collections.abc import Iterator

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlmodel import Session, select

from coverage import service
from coverage.domain.access import Actor, Role
from coverage.domain.consent import PART2_NOTICE
from coverage.domain.request import VerificationRequest
from coverage.embedded import run_until_settled
from coverage.store import jobs
from coverage.store.tables import AuditEvent, VerificationJob
from tests.api_client import leave_queued, make_app, staff
from tests.factories import request_body
from tests.integration.conftest import queue_in_process
from tests.integration.web_session import SignedInClient, signed_in_client

FORM = {
    "first_name": "Riley",
    "last_name": "Placeholder",
    "birth_date": "02/03/1996",
    "sex": "U",
    "state": "VA",
    "payer_id": "sandbox-medicaid",
    "member_id": "SBX-MCD-554210",
    "diagnoses": "F11.20",
    "program": "substance_use",
    "start_date": "03/02/2026",
    "days_per_week": "5",
    "hours_per_day": "3",
    "weeks": "12",
    "consent_recipient": "sandbox-medicaid",
    "consent_recipient_kind": "payer",
    "consent_purposes": "payment; health_care_operations",
    "consent_signed_by": "authorized_representative",
    "consent_representative_name": "Sam Placeholder",
    "consent_signed_on": "02/20/2026",
    "consent_expires_on": "02/20/2027",
}


@pytest.fixture(scope="module")
def app(database: str) -> Iterator[FastAPI]:
    yield make_app(leave_queued)


@pytest.fixture(scope="module")
def admissions(app: FastAPI) -> SignedInClient:
    return signed_in_client(app, Role.ADMISSIONS)


def test_the_form_stores_the_consent_and_the_page_records_its_revocation(
    admissions: SignedInClient, session: Session
) -> None:
    form = admissions.client.get("/verifications/new").text
    assert 'name="consent_recipient"' in form and "Part 2 consent (optional)" in form
    posted = admissions.post_form("/verifications/new", {**FORM, "form_id": uuid.uuid4().hex})
    assert posted.status_code == 303, posted.text
    job_id = uuid.UUID(posted.headers["location"].rsplit("/", 1)[1])
    inputs = jobs.load_inputs(session, job_id=job_id)
    [consent] = inputs.request.consents
    assert consent.model_dump(mode="json") == {
        "signed_by": "authorized_representative",
        "representative_name": "Sam Placeholder",
        "recipient_kind": "payer",
        "recipient": "sandbox-medicaid",
        "purposes": ["payment", "health_care_operations"],
        "signed_on": "2026-02-20",
        "expires_on": "2027-02-20",
        "expires_on_event": None,
        "revoked_on": None,
    }
    page = admissions.client.get(f"/verifications/{job_id}").text
    assert "Part 2 consents" in page and "Sam Placeholder (authorized representative)" in page
    action = f"/verifications/{job_id}/consents/{inputs.consent_ids[0]}/revoke"
    assert f'action="{action}"' in page

    bad = admissions.post_form(action, {"revoked_on": ""})
    assert bad.status_code == 422
    assert "Revoked on: enter the date the patient revoked it" in bad.text
    done = admissions.post_form(action, {"revoked_on": "2026-03-10"})
    assert done.status_code == 303
    session.expire_all()
    [revoked] = jobs.load_inputs(session, job_id=job_id).request.consents
    assert revoked.revoked_on is not None and revoked.revoked_on.isoformat() == "2026-03-10"
    shown = admissions.client.get(f"/verifications/{job_id}").text
    assert "03/10/2026" in shown and f'action="{action}"' not in shown
    audited = session.exec(
        select(AuditEvent.action).where(AuditEvent.entity_id == str(job_id))
    ).all()
    assert "consent.revoke" in audited


def test_a_form_consent_missing_its_expiry_is_refused_by_its_field(
    admissions: SignedInClient, session: Session
) -> None:
    count = len(session.exec(select(VerificationJob.id)).all())
    data = {**FORM, "consent_expires_on": "", "form_id": uuid.uuid4().hex}
    refused = admissions.post_form("/verifications/new", data)
    assert refused.status_code == 422
    assert (
        "Consent: expires on: a consent states an expiry date or event (42 CFR 2.31)"
        in refused.text
    )
    assert len(session.exec(select(VerificationJob.id)).all()) == count


def test_a_consent_signed_later_is_recorded_on_the_page_and_the_rerun_reaches_the_payer(
    admissions: SignedInClient, session: Session
) -> None:
    owner = Actor(name=admissions.name, role=Role.ADMISSIONS)
    body = request_body("medicaid", program="substance_use", diagnoses=["F11.20"], consents=[])
    job_id = queue_in_process(VerificationRequest.model_validate(body), owner)
    session.expire_all()
    job = session.get(VerificationJob, job_id)
    assert job is not None and job.status == "needs_info"
    assert job.message.startswith("Part 2 consent needed before contacting")
    page = admissions.client.get(f"/verifications/{job_id}").text
    assert "No consent on file" in page and "Record a consent the patient signed" in page

    url = f"/verifications/{job_id}/consents"
    fields = {
        "consent_recipient": "sandbox-medicaid",
        "consent_purposes": "payment",
        "consent_expires_on": "2027-01-31",
    }
    refused = admissions.post_form(url, fields)
    assert refused.status_code == 422
    assert "Consent: signed on: required" in refused.text
    assert 'value="sandbox-medicaid"' in refused.text  # what was typed is kept
    assert jobs.load_inputs(session, job_id=job_id).request.consents == []

    recorded = admissions.post_form(url, {**fields, "consent_signed_on": "2026-02-20"})
    assert recorded.status_code == 303
    service.rerun(job_id, actor=owner, enqueue=lambda _id: None)
    run_until_settled(job_id)
    session.expire_all()
    job = session.get(VerificationJob, job_id)
    assert job is not None and job.status == "needs_review"
    audited = session.exec(
        select(AuditEvent.action).where(AuditEvent.entity_id == str(job_id))
    ).all()
    assert "consent.record" in audited and "part2.disclose" in audited


@pytest.mark.parametrize("program", ["substance_use", "mental_health"])
def test_every_human_readable_export_of_a_part2_job_carries_the_notice(
    app: FastAPI, program: str
) -> None:
    owner = signed_in_client(app, Role.ADMISSIONS)
    api = staff(Role.BILLING, "part2-exports").headers
    actor = Actor(name=owner.name, role=Role.ADMISSIONS)
    household = {"size": 4, "annual_income": "40000.00"}
    self_pay = request_body("ppo", start_date="2026-04-06", household=household, program=program)
    self_pay["policies"] = []
    self_pay_id = queue_in_process(VerificationRequest.model_validate(self_pay), actor)
    insured = request_body(
        "medicaid", start_date="2026-04-06", household=household, program=program
    )
    insured_id = queue_in_process(VerificationRequest.model_validate(insured), actor)
    client = TestClient(app)
    exports = {
        "patient estimate": owner.client.get(f"/verifications/{insured_id}/estimate").text,
        "Good Faith Estimate page": owner.client.get(
            f"/verifications/{self_pay_id}/good-faith-estimate"
        ).text,
        "Good Faith Estimate (API)": client.get(
            f"/api/verifications/{self_pay_id}/good-faith-estimate", headers=api
        ).text,
        "FHIR CoverageEligibilityResponse": client.get(
            f"/api/verifications/{insured_id}/fhir", headers=api
        ).text,
    }
    assert all(len(text) > 500 for text in exports.values()), exports
    carrying = {name for name, text in exports.items() if PART2_NOTICE in text}
    assert carrying == (set(exports) if program == "substance_use" else set())
    if program == "substance_use":
        assert '"code":"42CFRPart2"' in exports["FHIR CoverageEligibilityResponse"]
