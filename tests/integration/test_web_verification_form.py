"""The staff form's resend protection: one job per form and details, whatever the clicks."""

import uuid
from collections.abc import Iterator

import pytest
from fastapi import FastAPI
from sqlmodel import Session, col, func, select

from coverage.domain.access import Role
from coverage.store.tables import VerificationJob
from tests.api_client import leave_queued, make_app
from tests.batch_files import example_rows
from tests.integration.web_session import signed_in_client


@pytest.fixture
def app(database: str) -> Iterator[FastAPI]:
    yield make_app(leave_queued)


def jobs_of(session: Session, name: str) -> int:
    return session.exec(
        select(func.count(col(VerificationJob.id))).where(VerificationJob.submitter == name)
    ).one()


def test_a_resent_form_queues_one_job_and_an_edited_one_queues_its_own(
    app: FastAPI, session: Session
) -> None:
    staff = signed_in_client(app, Role.ADMISSIONS)
    form = example_rows()[0] | {"form_id": uuid.uuid4().hex}
    first = staff.post_form("/verifications/new", form)
    again = staff.post_form("/verifications/new", form)  # a double click
    assert (first.status_code, again.status_code) == (303, 303)
    assert first.headers["location"] == again.headers["location"]
    # Back, a corrected first name, send: the same form id, other details, a job of its own.
    edited = staff.post_form("/verifications/new", form | {"first_name": "Jordana"})
    assert edited.status_code == 303
    assert edited.headers["location"] != first.headers["location"]
    assert jobs_of(session, staff.name) == 2
