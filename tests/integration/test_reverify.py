"""Monthly re-verification of enrollees in care, and what it reports."""

import uuid
from datetime import date, datetime, timedelta
from typing import ClassVar

from sqlalchemy import update
from sqlmodel import Session, col

from coverage import pipeline, service
from coverage.adapters.sandbox import SandboxAdapter
from coverage.domain.access import Actor, Role
from coverage.domain.eligibility import EligibilityRequest, EligibilityResponse
from coverage.domain.job_state import JobStatus
from coverage.domain.payer import PayerConfig
from coverage.store import results, reviews
from coverage.store.db import session_scope
from coverage.store.tables import VerificationJob, utcnow
from tests.factories import request
from tests.integration.conftest import job_row, queue_in_process

BILLING = Actor(name="reverify-billing", role=Role.BILLING)
TODAY = date.today()


def approved_episode(clerk: Actor, *, started_days_ago: int, verified_days_ago: int) -> uuid.UUID:
    start = TODAY - timedelta(days=started_days_ago)
    job_id = queue_in_process(request("ppo", start_date=start.isoformat(), weeks=8), clerk)
    with session_scope() as session:
        reviews.record(
            session, job_id=job_id, decision=JobStatus.APPROVED, note=None, actor=BILLING
        )
        session.execute(
            update(VerificationJob)
            .where(col(VerificationJob.id) == job_id)
            .values(created_at=utcnow() - timedelta(days=verified_days_ago))
        )
    return job_id


def queued(today: date = TODAY) -> list[uuid.UUID]:
    return service.reverify(enqueue=lambda _id: None, today=today)


def test_an_episode_in_care_is_verified_again_after_thirty_days_and_once_a_day_at_most(
    session: Session, clerk: Actor
) -> None:
    original = approved_episode(clerk, started_days_ago=31, verified_days_ago=31)
    [again] = [j for j in queued() if job_row(session, j).reverifies == original]
    assert original not in [job_row(session, j).reverifies for j in queued()]  # same day: no more
    row = job_row(session, again)
    assert (row.fresh_check, row.submitter, row.status) == (True, "reverifier", "queued")

    assert pipeline.run(again).status == "needs_review"
    result = results.get(session, job_id=again)
    assert result is not None and result.body["coverage_changes"] == []
    assert job_row(session, again).message.startswith("Monthly re-verification: no change. ")
    # verified today: not due again tomorrow
    assert original not in [job_row(session, j).reverifies for j in queued(TODAY + timedelta(1))]


def test_episodes_not_in_care_or_recently_verified_are_left_alone(
    session: Session, clerk: Actor
) -> None:
    recent = approved_episode(clerk, started_days_ago=10, verified_days_ago=12)
    future = approved_episode(clerk, started_days_ago=-14, verified_days_ago=40)
    ended = approved_episode(clerk, started_days_ago=120, verified_days_ago=120)
    pending = queue_in_process(
        request("ppo", start_date=(TODAY - timedelta(days=40)).isoformat()), clerk
    )
    with session_scope() as s:
        s.execute(
            update(VerificationJob)
            .where(col(VerificationJob.id) == pending)
            .values(created_at=datetime.now() - timedelta(days=40))
        )
    rechecked = {job_row(session, j).reverifies for j in queued()}
    assert not rechecked & {recent, future, ended, pending}


class EndedCoverage:
    """The payer now says the PPO ended."""

    name: ClassVar[str] = "sandbox"

    def check(self, request: EligibilityRequest, *, payer: PayerConfig) -> EligibilityResponse:
        answer = SandboxAdapter().check(request, payer=payer)
        return answer.model_copy(update={"active": False, "cost_sharing": ()})


def test_a_change_in_coverage_is_reported_for_review(session: Session, clerk: Actor) -> None:
    original = approved_episode(clerk, started_days_ago=35, verified_days_ago=35)
    [again] = [j for j in queued() if job_row(session, j).reverifies == original]
    assert pipeline.run(again, adapters={"sandbox": EndedCoverage()}).status == "needs_review"
    result = results.get(session, job_id=again)
    assert result is not None
    before = results.get(session, job_id=original)
    assert before is not None
    assert result.body["coverage_changes"] == [
        "Sandbox Commercial PPO: active was True, now False",
        f"Estimated patient total was ${before.body['estimate']['patient_total']}, "
        f"now ${result.body['estimate']['patient_total']}",
    ]
    assert job_row(session, again).message.startswith("Monthly re-verification: coverage changed. ")
