"""Admissions closes its own loop: a wrong member ID corrected on the same job, which runs again;
admissions re-runs its own jobs that need information; `iop-coverage rerun` from the shell."""

import json
import sqlite3
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlmodel import Session, select

from coverage.domain.access import Actor, Role
from coverage.domain.flat_request import to_fields
from coverage.embedded import run_until_settled
from coverage.store.crypto import keyed_hash
from coverage.store.tables import AuditEvent, Policy
from tests.api_client import leave_queued, make_app, staff
from tests.factories import request
from tests.integration.conftest import job_row, queue_in_process
from tests.integration.test_cli import EXAMPLES, _cli
from tests.integration.web_session import SignedInClient, signed_in_client


@pytest.fixture
def app(database: str) -> Iterator[FastAPI]:
    yield make_app(leave_queued)


def needs_info_job(owner: SignedInClient) -> uuid.UUID:
    """A job the sandbox payer cannot answer: a member ID it does not know."""
    job_id = queue_in_process(request("unknown"), Actor(name=owner.name, role=Role.ADMISSIONS))
    return job_id


def test_admissions_corrects_a_wrong_member_id_and_the_job_reaches_review(
    app: FastAPI, session: Session
) -> None:
    clerk = signed_in_client(app, Role.ADMISSIONS)
    job_id = needs_info_job(clerk)
    assert job_row(session, job_id).status == "needs_info"

    page = clerk.client.get(f"/verifications/{job_id}")
    assert "Correct and re-run" in page.text
    form = clerk.client.get(f"/verifications/{job_id}/correct")
    assert form.status_code == 200
    assert 'name="member_id" value="ZZ-404-0000"' in form.text
    assert f'action="/verifications/{job_id}/correct"' in form.text

    values = to_fields(request("unknown")) | {"member_id": "SBX-PPO-100234"}
    saved = clerk.post_form(f"/verifications/{job_id}/correct", values)
    assert saved.status_code == 303
    assert saved.headers["location"] == f"/verifications/{job_id}?done=corrected"
    assert job_row(session, job_id).status == "queued"
    run_until_settled(job_id)
    assert job_row(session, job_id).status == "needs_review"

    assert "SBX-PPO-100234" in clerk.client.get(f"/verifications/{job_id}").text
    policy = session.exec(
        select(Policy).where(Policy.enrollee_id == job_row(session, job_id).enrollee_id)
    ).one()
    assert policy.member_id_hash == keyed_hash("SBX-PPO-100234")
    entry = session.exec(
        select(AuditEvent).where(
            AuditEvent.entity_id == str(job_id), AuditEvent.action == "request.correct"
        )
    ).one()
    assert (entry.actor, entry.detail) == (clerk.name, "fields changed: member_id")
    assert "SBX" not in entry.detail


def test_a_refused_correction_shows_the_field_and_saves_nothing(
    app: FastAPI, session: Session
) -> None:
    clerk = signed_in_client(app, Role.ADMISSIONS)
    job_id = needs_info_job(clerk)
    values = to_fields(request("unknown")) | {"birth_date": "", "member_id": "SBX-PPO-100234"}
    refused = clerk.post_form(f"/verifications/{job_id}/correct", values)
    assert refused.status_code == 422
    assert "Birth date: required" in refused.text
    assert "Nothing was saved." in refused.text
    assert job_row(session, job_id).status == "needs_info"


def test_admissions_cannot_correct_another_submitters_job_nor_one_in_review(
    app: FastAPI, session: Session
) -> None:
    owner = signed_in_client(app, Role.ADMISSIONS)
    other = signed_in_client(app, Role.ADMISSIONS)
    job_id = needs_info_job(owner)
    values = to_fields(request("unknown")) | {"member_id": "SBX-PPO-100234"}
    assert other.client.get(f"/verifications/{job_id}/correct").status_code == 404
    assert other.post_form(f"/verifications/{job_id}/correct", values).status_code == 404
    assert job_row(session, job_id).status == "needs_info"

    reviewed = queue_in_process(request("ppo"), Actor(name=owner.name, role=Role.ADMISSIONS))
    assert job_row(session, reviewed).status == "needs_review"
    refused = owner.post_form(f"/verifications/{reviewed}/correct", to_fields(request("ppo")))
    assert refused.status_code == 409
    assert "Nothing was saved: this verification is now “Ready for billing review”" in refused.text


def test_admissions_reruns_its_own_needs_info_job_through_the_api(
    client: TestClient, session: Session
) -> None:
    clerk = staff(Role.ADMISSIONS)
    job_id = queue_in_process(request("unknown"), clerk.actor)
    other = staff(Role.ADMISSIONS)
    assert (
        client.post(f"/api/verifications/{job_id}/rerun", headers=other.headers).status_code == 404
    )
    rerun = client.post(f"/api/verifications/{job_id}/rerun", headers=clerk.headers)
    assert rerun.status_code == 202, rerun.text
    assert job_row(session, job_id).status == "queued"

    reviewed = queue_in_process(request("ppo"), clerk.actor)
    refused = client.post(f"/api/verifications/{reviewed}/rerun", headers=clerk.headers)
    assert refused.status_code == 409
    assert "admissions can re-run it only while it needs information or has failed" in refused.text


def test_cli_rerun_runs_a_failed_job_again_and_audits_it(tmp_path: Path) -> None:
    example = next(p for p in EXAMPLES if p.name == "unknown-member.json")
    made = _cli(tmp_path, "verify", str(example), "--json")
    assert made.returncode == 0, made.stderr
    job_id = json.loads(made.stdout)["id"]
    with sqlite3.connect(tmp_path / "fresh.db") as db:  # as the sweeper leaves a lost job
        db.execute(
            "UPDATE verification_jobs SET status = 'failed' WHERE id = ?",
            (job_id.replace("-", ""),),
        )
        assert db.total_changes == 1

    proc = _cli(tmp_path, "rerun", job_id, "--fresh")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == f"Verification {job_id}: needs_info"
    with sqlite3.connect(tmp_path / "fresh.db") as db:
        rows = db.execute(
            "SELECT actor_role, detail FROM audit_events WHERE action = 'job.queued' AND entity_id = ?",
            (job_id,),
        ).fetchall()
    assert rows[-1] == ("system", "failed -> queued, attempt 0")
    assert _cli(tmp_path, "rerun", str(uuid.uuid4())).returncode == 1
