"""Every legal transition through the store's compare-and-set, each with its audit entry; one illegal."""

import uuid

import pytest
from sqlmodel import Session

from coverage.domain.access import Actor, Role
from coverage.domain.job_state import TRANSITIONS, JobStatus
from coverage.domain.request import VerificationRequest
from coverage.errors import ConflictError, IllegalTransitionError
from coverage.store import jobs
from coverage.store.db import session_scope
from tests.factories import request, request_body
from tests.integration.conftest import actions, job_row

STAFF = Actor(name="transitions-test", role=Role.BILLING)
LEGAL = [(src, dst) for src, targets in TRANSITIONS.items() for dst in sorted(targets)]


# the shortest legal path from queued to each state
PATHS = {
    JobStatus.QUEUED: [],
    JobStatus.RUNNING: [JobStatus.RUNNING],
    JobStatus.NEEDS_REVIEW: [JobStatus.RUNNING, JobStatus.NEEDS_REVIEW],
    JobStatus.NEEDS_INFO: [JobStatus.RUNNING, JobStatus.NEEDS_INFO],
    JobStatus.FAILED: [JobStatus.RUNNING, JobStatus.FAILED],
    JobStatus.APPROVED: [JobStatus.RUNNING, JobStatus.NEEDS_REVIEW, JobStatus.APPROVED],
    JobStatus.REJECTED: [JobStatus.RUNNING, JobStatus.NEEDS_REVIEW, JobStatus.REJECTED],
}


def _job_in(status: JobStatus) -> uuid.UUID:
    with session_scope() as session:
        job = jobs.create(session, request=request("ppo"), actor=STAFF)
        current = JobStatus.QUEUED
        for step in PATHS[status]:
            jobs.transition(session, job_id=job.id, current=current, target=step, actor=STAFF)
            current = step
    return job.id


@pytest.mark.parametrize(("current", "target"), LEGAL, ids=lambda s: s.value)
def test_each_legal_transition_commits_with_its_audit_entry(
    session: Session, current: JobStatus, target: JobStatus
) -> None:
    job_id = _job_in(current)
    with session_scope() as s:
        jobs.transition(
            s, job_id=job_id, current=current, target=target, actor=STAFF, message="moved"
        )
    job = job_row(session, job_id)
    assert (job.status, job.message) == (target.value, "moved")
    assert actions(session, job_id)[-1] == f"job.{target.value}"


def test_an_illegal_transition_raises_and_changes_nothing(session: Session) -> None:
    job_id = _job_in(JobStatus.QUEUED)
    before = actions(session, job_id)
    with pytest.raises(IllegalTransitionError), session_scope() as s:
        jobs.transition(
            s, job_id=job_id, current=JobStatus.QUEUED, target=JobStatus.APPROVED, actor=STAFF
        )
    assert job_row(session, job_id).status == "queued"
    assert actions(session, job_id) == before


def test_a_state_change_rolled_back_takes_its_audit_entry_with_it(session: Session) -> None:
    job_id = _job_in(JobStatus.QUEUED)
    before = actions(session, job_id)
    with pytest.raises(RuntimeError), session_scope() as s:
        jobs.transition(
            s, job_id=job_id, current=JobStatus.QUEUED, target=JobStatus.RUNNING, actor=STAFF
        )
        raise RuntimeError("crash before commit")
    assert job_row(session, job_id).status == "queued"
    assert actions(session, job_id) == before


def test_a_stale_compare_and_set_loses(session: Session) -> None:
    job_id = _job_in(JobStatus.RUNNING)
    with pytest.raises(ConflictError, match="is running, not queued"), session_scope() as s:
        jobs.transition(
            s, job_id=job_id, current=JobStatus.QUEUED, target=JobStatus.RUNNING, actor=STAFF
        )


def test_audit_rows_cannot_be_changed_or_deleted(session: Session) -> None:
    from sqlalchemy import text
    from sqlalchemy.exc import DatabaseError

    _job_in(JobStatus.QUEUED)
    for statement in ("UPDATE audit_events SET actor = 'x'", "DELETE FROM audit_events"):
        with pytest.raises(DatabaseError, match="append-only"), session_scope() as s:
            s.execute(text(statement))


def test_the_pipeline_reads_back_exactly_what_admissions_submitted(session: Session) -> None:
    """Authorization and a dependent's subscriber are kept with the policy, encrypted."""
    body = request_body("ppo", first_name="Jim")
    body["policies"][0] |= {
        "relationship": "child",
        "authorization": {"status": "approved", "approved_days": 12},
        "subscriber": {"first_name": "John", "last_name": "Sample", "birth_date": "1975-02-03"},
    }
    body |= {"self_pay": False, "gfe_requested_on": "2026-11-30"}
    submitted = VerificationRequest.model_validate(body)
    job = jobs.create(session, request=submitted, actor=STAFF)
    session.commit()
    assert jobs.load_inputs(session, job_id=job.id).request == submitted
