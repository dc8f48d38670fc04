"""42 CFR Part 2: a substance-use job reaches a payer only under a valid consent naming it, every
disclosure is audited with its recipient, a revocation recorded later stops the next run, and
every human-readable export carries the section 2.32 statement.

The payers are the sandbox payer over real HTTP (CORE X12), so "nothing sent" is what the payer
itself counted."""

import uuid
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, col, select

from coverage import service
from coverage.domain.access import Actor, Role
from coverage.domain.request import VerificationRequest
from coverage.embedded import run_until_settled
from coverage.sandbox.app import SandboxPayer
from coverage.service import consents
from coverage.store import jobs, payer_calls
from coverage.store.tables import AuditEvent
from tests.api_client import staff
from tests.factories import part2_consent, request_body
from tests.integration.conftest import job_row, queue_in_process
from tests.integration.test_carve_out import FEES, write_payer

SUD = {"program": "substance_use", "diagnoses": ["F11.20"], "start_date": "2026-02-02"}


@pytest.fixture
def sandbox() -> Iterator[SandboxPayer]:
    with SandboxPayer() as server:
        yield server


@pytest.fixture(autouse=True)
def rules(rules: Path, sandbox: SandboxPayer) -> Path:
    write_payer(
        rules, sandbox.url, id="medical-plan", name="Medical Plan", x12_id="SBX01", aliases="[]"
    )
    (rules / "fee_schedules" / "carve-out-test.yaml").write_text(FEES)
    return rules


def sud_request(member_id: str = "SBX-PPO-220001", **body: Any) -> VerificationRequest:
    """A substance-use job on the medical plan, with the consents given (none by default)."""
    data = request_body("ppo", **{**SUD, "consents": body.pop("consents", [])}, **body)
    data["policies"][0].update(payer_id="medical-plan", member_id=member_id)
    return VerificationRequest.model_validate(data)


def disclosures(session: Session, job_id: uuid.UUID) -> list[tuple[str, bool]]:
    session.expire_all()
    rows = session.exec(
        select(AuditEvent)
        .where(AuditEvent.entity_id == str(job_id), AuditEvent.action == "part2.disclose")
        .order_by(col(AuditEvent.id))
    ).all()
    return [(r.detail, r.part2) for r in rows]


def test_no_consent_ends_needs_info_and_nothing_reaches_the_payer(
    sandbox: SandboxPayer, session: Session, clerk: Actor
) -> None:
    job_id = queue_in_process(sud_request(), clerk)
    job = job_row(session, job_id)
    assert (job.status, job.message) == (
        "needs_info",
        "Part 2 consent needed before contacting Medical Plan: none on file. Record the "
        "patient's consent on the verification (Part 2 consents), then re-run.",
    )
    assert sandbox.counters.calls == 0
    assert payer_calls.list_for(session, job_id=job_id) == []
    assert disclosures(session, job_id) == []


def test_a_consent_to_another_payer_does_not_count(
    sandbox: SandboxPayer, session: Session, clerk: Actor
) -> None:
    job_id = queue_in_process(sud_request(consents=[part2_consent("sandbox-medicaid")]), clerk)
    assert job_row(session, job_id).message.startswith(
        "Part 2 consent needed before contacting Medical Plan: none on file."
    )
    assert sandbox.counters.calls == 0


def test_a_valid_consent_reaches_the_payer_and_the_disclosure_is_audited(
    sandbox: SandboxPayer, session: Session, clerk: Actor
) -> None:
    # Named by the payer's display name, as staff would write it on the form.
    job_id = queue_in_process(sud_request(consents=[part2_consent("Medical Plan")]), clerk)
    job = job_row(session, job_id)
    assert job.status == "needs_review" and job.message.startswith("Ready for billing review")
    assert sandbox.counters.calls == 1
    assert disclosures(session, job_id) == [
        ("to Medical Plan (medical-plan), payer, purpose payment", True)
    ]


@pytest.mark.parametrize(
    ("changes", "refusal"),
    [
        ({"expires_on": "2026-01-31", "expires_on_event": None}, "expired on 01/31/2026"),
        ({"revoked_on": "2026-03-01"}, "revoked on 03/01/2026"),
        ({"purposes": ["treatment"]}, "the consent on file does not cover payment"),
        ({"signed_on": "2099-01-01"}, "signed with a future date (01/01/2099)"),
    ],
)
def test_expired_revoked_or_insufficient_consents_are_refused(
    sandbox: SandboxPayer,
    session: Session,
    clerk: Actor,
    changes: dict[str, Any],
    refusal: str,
) -> None:
    consent = part2_consent("medical-plan", **changes)
    job_id = queue_in_process(sud_request(consents=[consent]), clerk)
    job = job_row(session, job_id)
    assert job.status == "needs_info"
    assert job.message.startswith(
        f"Part 2 consent needed before contacting Medical Plan: {refusal}."
    )
    assert sandbox.counters.calls == 0


def test_a_revocation_recorded_after_submit_stops_the_rerun(
    sandbox: SandboxPayer, session: Session, clerk: Actor
) -> None:
    job_id = queue_in_process(sud_request(consents=[part2_consent("medical-plan")]), clerk)
    assert (job_row(session, job_id).status, sandbox.counters.calls) == ("needs_review", 1)
    [consent_id] = jobs.load_inputs(session, job_id=job_id).consent_ids

    billing = Actor(name="billing-part2", role=Role.BILLING)
    consents.revoke(job_id, consent_id=consent_id, revoked_on=date(2026, 3, 2), actor=billing)
    service.rerun(job_id, actor=billing, enqueue=lambda _id: None, fresh_check=True)
    run_until_settled(job_id)

    job = job_row(session, job_id)
    assert (job.status, job.message.split(". ")[0]) == (
        "needs_info",
        "Part 2 consent needed before contacting Medical Plan: revoked on 03/02/2026",
    )
    assert sandbox.counters.calls == 1  # the first run's call only
    revocation = session.exec(
        select(AuditEvent).where(
            AuditEvent.entity_id == str(job_id), AuditEvent.action == "consent.revoke"
        )
    ).one()
    assert (revocation.actor, revocation.part2, revocation.detail) == (
        "billing-part2",
        True,
        f"consent {consent_id}",
    )


def test_a_carve_out_administrator_needs_its_own_consent(
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
    only_the_plan = [part2_consent("medical-plan")]
    job_id = queue_in_process(sud_request("SBX-CARVE-4410", consents=only_the_plan), clerk)
    job = job_row(session, job_id)
    assert (job.status, job.message.split(". ")[0]) == (
        "needs_info",
        "Part 2 consent needed before contacting Sandbox Behavioral Health: none on file",
    )
    assert sandbox.counters.calls == 1  # the medical plan, never its administrator

    both = [*only_the_plan, part2_consent("SBXBH", recipient_kind="carve_out_administrator")]
    job_id = queue_in_process(sud_request("SBX-CARVE-4410", consents=both), clerk)
    assert job_row(session, job_id).status == "needs_review"
    assert disclosures(session, job_id) == [
        ("to Medical Plan (medical-plan), payer, purpose payment", True),
        (
            "to Sandbox Behavioral Health (sandbox-bh), carve out administrator, purpose payment",
            True,
        ),
    ]


def test_an_administrator_staff_must_call_is_flagged_when_no_consent_names_it(
    sandbox: SandboxPayer, session: Session, clerk: Actor
) -> None:
    job_id = queue_in_process(
        sud_request("SBX-CARVE-4411", consents=[part2_consent("medical-plan")]), clerk
    )
    session.expire_all()
    from coverage.store import results

    result = results.get(session, job_id=job_id)
    assert result is not None
    assert result.body["coverage"][0]["assumptions"][-1] == (
        "Medical Plan names SANDBOX BEHAVIORAL HEALTH (phone 8005550199) as its behavioral-health administrator; "
        "no payer file matches it, so staff must verify IOP benefits with it. Part 2 consent "
        "needed before contacting SANDBOX BEHAVIORAL HEALTH: none on file."
    )


def test_consents_through_the_api_round_trip_and_are_recorded_and_revoked_later(
    client: TestClient, sandbox: SandboxPayer, session: Session
) -> None:
    admissions = staff(Role.ADMISSIONS, "part2")
    body = sud_request(consents=[part2_consent("medical-plan")]).model_dump(mode="json")
    created = client.post("/api/verifications", json=body, headers=admissions.headers)
    assert created.status_code == 202, created.text
    job_id = created.json()["id"]
    detail = client.get(f"/api/verifications/{job_id}", headers=admissions.headers).json()
    assert detail["request"]["consents"] == [
        {
            "signed_by": "patient",
            "representative_name": None,
            "recipient_kind": "payer",
            "recipient": "medical-plan",
            "purposes": ["payment", "health_care_operations"],
            "signed_on": "2026-01-05",
            "expires_on": None,
            "expires_on_event": "end of treatment",
            "revoked_on": None,
        }
    ]
    url = f"/api/verifications/{job_id}/consents"
    later = client.post(
        url,
        json=part2_consent("SBXBH", recipient_kind="carve_out_administrator"),
        headers=admissions.headers,
    )
    assert later.status_code == 201
    consent_id = later.json()["id"]
    bad = client.post(
        f"{url}/{consent_id}/revoke", json={"revoked_on": "2025-12-31"}, headers=admissions.headers
    )
    assert (bad.status_code, bad.json()) == (
        422,
        {"detail": "revoked_on: must not be before the day the consent was signed"},
    )
    revoked = client.post(
        f"{url}/{consent_id}/revoke", json={"revoked_on": "2026-06-01"}, headers=admissions.headers
    )
    assert (revoked.status_code, revoked.json()["revoked_on"]) == (200, "2026-06-01")
    again = client.post(
        f"{url}/{consent_id}/revoke", json={"revoked_on": "2026-06-02"}, headers=admissions.headers
    )
    assert again.status_code == 409
    shown = client.get(f"/api/verifications/{job_id}", headers=admissions.headers).json()
    assert [c["revoked_on"] for c in shown["request"]["consents"]] == [None, "2026-06-01"]
    assert shown["consent_ids"][1] == consent_id
    # Another clerk's job: as if it did not exist.
    other = staff(Role.ADMISSIONS, "part2-other")
    refused = client.post(url, json=part2_consent("medical-plan"), headers=other.headers)
    assert refused.status_code == 404
    missing = {**part2_consent("medical-plan"), "expires_on_event": None}
    invalid = client.post(url, json=missing, headers=admissions.headers)
    assert invalid.status_code == 422 and "expires_on" in invalid.text


def test_existing_clients_without_consents_are_unaffected(
    client: TestClient, session: Session
) -> None:
    admissions = staff(Role.ADMISSIONS, "plain")
    body = request_body("ppo")
    assert "consents" not in body
    created = client.post("/api/verifications", json=body, headers=admissions.headers)
    assert created.status_code == 202
    run_until_settled(uuid.UUID(created.json()["id"]))
    assert job_row(session, uuid.UUID(created.json()["id"])).status == "needs_review"
