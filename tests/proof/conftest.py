"""The proof suite's world: one user per role (API token and password) and real records to point
routes at: a queued job, a settled insured job, a settled self-pay job (it has a Good Faith
Estimate), a batch and a user for the admin's forms."""

import uuid
from collections.abc import Iterator
from dataclasses import dataclass

import pytest

from coverage.domain.access import Actor, Role
from coverage.domain.request import VerificationRequest
from tests.api_client import PASSWORD, Staff, leave_queued, staff
from tests.batch_files import example_with
from tests.factories import request_body


@pytest.fixture(autouse=True)
def _db(database: str) -> Iterator[None]:
    yield


@dataclass(frozen=True)
class World:
    staff: dict[Role, Staff]
    queued_job: uuid.UUID
    settled_job: uuid.UUID
    self_pay_job: uuid.UUID
    batch: uuid.UUID
    other_user: uuid.UUID

    def headers(self, role: Role | None) -> dict[str, str]:
        return self.staff[role].headers if role else {}


def _settled(body: dict[str, object], actor: Actor) -> uuid.UUID:
    from coverage import service
    from coverage.embedded import run_until_settled

    job, _ = service.queue(
        VerificationRequest.model_validate(body), actor=actor, enqueue=lambda _id: None
    )
    run_until_settled(job.id)
    return job.id


@pytest.fixture(scope="session")
def world(database: str) -> World:
    from coverage import service
    from coverage.batches import intake
    from coverage.store import users
    from coverage.store.db import session_scope

    people: dict[Role, Staff] = {
        role: staff(role, prefix=f"proof-{role.value}", password=PASSWORD)
        for role in Role
        if role is not Role.SYSTEM
    }
    clerk = people[Role.ADMISSIONS].actor
    queued, _ = service.queue(
        VerificationRequest.model_validate(request_body("ppo")), actor=clerk, enqueue=leave_queued
    )
    self_pay = request_body("ppo", first_name="Sam")
    self_pay["policies"] = []
    batch = intake.accept(example_with({}), actor=clerk)
    other = staff(Role.OPERATOR, prefix="proof-other")
    with session_scope() as session:
        user = users.get(session, name=other.name)
        assert user is not None
        other_id = user.id
    return World(
        staff=people,
        queued_job=queued.id,
        settled_job=_settled(request_body("ppo"), clerk),
        self_pay_job=_settled(self_pay, clerk),
        batch=batch.batch_id,
        other_user=other_id,
    )
