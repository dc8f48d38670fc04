"""A recent payer answer for the same person and dates is reused: no second paid call."""

import uuid
from collections.abc import Iterator
from datetime import timedelta
from typing import ClassVar

import pytest
from sqlalchemy import update
from sqlmodel import Session, col

from coverage import pipeline, service
from coverage.adapters.sandbox import SandboxAdapter
from coverage.domain.access import Actor, Role
from coverage.domain.eligibility import EligibilityRequest, EligibilityResponse
from coverage.domain.payer import PayerConfig
from coverage.settings import get_settings
from coverage.store import payer_calls as stored_calls
from coverage.store import results
from coverage.store.db import session_scope
from coverage.store.tables import PayerCall, utcnow
from tests.factories import request
from tests.integration.conftest import job_row

BILLING = Actor(name="reuse-billing", role=Role.BILLING)


class CountingSandbox:
    """The sandbox payer, counting the calls that reach it."""

    name: ClassVar[str] = "sandbox"

    def __init__(self) -> None:
        self.calls = 0

    def check(self, request: EligibilityRequest, *, payer: PayerConfig) -> EligibilityResponse:
        self.calls += 1
        return SandboxAdapter().check(request, payer=payer)


@pytest.fixture
def payer_calls(monkeypatch: pytest.MonkeyPatch) -> Iterator[CountingSandbox]:
    monkeypatch.setattr(get_settings(), "eligibility_cache_seconds", 3600.0)
    yield CountingSandbox()


def verify(
    adapter: CountingSandbox,
    actor: Actor,
    *,
    suffix: str,
    first_name: str = "Jordan",
    fresh: bool = False,
    program: str = "mental_health",
) -> uuid.UUID:
    job, _ = service.queue(
        request("ppo", member_suffix=suffix, first_name=first_name, program=program),
        actor=actor,
        enqueue=lambda _id: None,
        fresh_check=fresh,
    )
    assert pipeline.run(job.id, adapters={"sandbox": adapter}).status == "needs_review"
    return job.id


def test_an_answer_about_one_benefit_is_not_reused_for_another_question(
    session: Session, clerk: Actor, payer_calls: CountingSandbox
) -> None:
    # Mental health (30, MH) twice, then substance use (30, AI) twice: the mental-health answer
    # does not answer the substance-use question, so the payer is asked again.
    suffix = uuid.uuid4().hex[:6]
    jobs = [
        verify(payer_calls, clerk, suffix=suffix, program=program)
        for program in ("mental_health", "mental_health", "substance_use", "substance_use")
    ]
    assert payer_calls.calls == 2
    outcomes = [[c.outcome for c in stored_calls.list_for(session, job_id=j)] for j in jobs]
    assert outcomes == [["ok"], ["reused"], ["ok"], ["reused"]]


def test_the_same_person_and_dates_within_the_ttl_reuse_the_answer(
    session: Session, clerk: Actor, payer_calls: CountingSandbox
) -> None:
    suffix = uuid.uuid4().hex[:6]
    first = verify(payer_calls, clerk, suffix=suffix)
    second = verify(payer_calls, clerk, suffix=suffix)
    assert payer_calls.calls == 1
    [original] = stored_calls.list_for(session, job_id=first)
    [reused] = stored_calls.list_for(session, job_id=second)
    assert (reused.outcome, reused.reused_from, reused.raw) == ("reused", original.id, None)
    assert reused.raw_sha256 == original.raw_sha256
    first_result = results.get(session, job_id=first)
    second_result = results.get(session, job_id=second)
    assert first_result and second_result
    assert second_result.body["estimate"] == first_result.body["estimate"]


def test_a_dependent_sharing_the_member_id_is_asked_about_separately(
    clerk: Actor, payer_calls: CountingSandbox
) -> None:
    suffix = uuid.uuid4().hex[:6]
    verify(payer_calls, clerk, suffix=suffix, first_name="Jordan")
    verify(payer_calls, clerk, suffix=suffix, first_name="Riley")
    assert payer_calls.calls == 2


def test_staff_can_force_a_fresh_check_on_submit_and_on_rerun(
    session: Session, clerk: Actor, payer_calls: CountingSandbox
) -> None:
    suffix = uuid.uuid4().hex[:6]
    verify(payer_calls, clerk, suffix=suffix)
    job_id = verify(payer_calls, clerk, suffix=suffix, fresh=True)
    assert payer_calls.calls == 2

    service.rerun(job_id, actor=BILLING, enqueue=lambda _id: None, fresh_check=False)
    assert pipeline.run(job_id, adapters={"sandbox": payer_calls}).status == "needs_review"
    assert payer_calls.calls == 2  # a plain re-run reuses the answer
    service.rerun(job_id, actor=BILLING, enqueue=lambda _id: None, fresh_check=True)
    assert job_row(session, job_id).message == "Re-run requested, with new payer calls"
    assert pipeline.run(job_id, adapters={"sandbox": payer_calls}).status == "needs_review"
    assert payer_calls.calls == 3
    assert [c.outcome for c in stored_calls.list_for(session, job_id=job_id)] == [
        "ok",
        "reused",
        "ok",
    ]
    # each re-run replaced the result; the two it replaced are kept as they were
    assert len(results.superseded(session, job_id=job_id)) == 2


def test_an_answer_older_than_the_ttl_is_not_reused(
    clerk: Actor, payer_calls: CountingSandbox
) -> None:
    suffix = uuid.uuid4().hex[:6]
    first = verify(payer_calls, clerk, suffix=suffix)
    with session_scope() as s:
        s.execute(
            update(PayerCall)
            .where(col(PayerCall.job_id) == first)
            .values(created_at=utcnow() - timedelta(seconds=3601))
        )
    verify(payer_calls, clerk, suffix=suffix)
    assert payer_calls.calls == 2


def test_a_payer_file_can_switch_reuse_off(
    clerk: Actor, payer_calls: CountingSandbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    from coverage.core.rule_book import current_rulebook
    from coverage.domain.payer import PayerLimits

    book = current_rulebook()
    payer = book.payers["sandbox-commercial"]
    monkeypatch.setitem(
        book.payers,
        "sandbox-commercial",
        payer.model_copy(update={"limits": PayerLimits(cache_seconds=0)}),
    )
    suffix = uuid.uuid4().hex[:6]
    verify(payer_calls, clerk, suffix=suffix)
    verify(payer_calls, clerk, suffix=suffix)
    assert payer_calls.calls == 2
