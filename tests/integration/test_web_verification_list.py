"""The verifications list as staff filter it: by status, payer and submitted day, a page at a time,
admissions seeing only their own jobs; rows show initials and masked member IDs only."""

import uuid
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from fastapi import FastAPI
from sqlalchemy import update
from sqlmodel import Session, col

from coverage.api.web.verifications import PAGE_SIZE
from coverage.domain.access import Actor, Role
from coverage.store.tables import VerificationJob
from tests.api_client import leave_queued, make_app
from tests.factories import request
from tests.integration.conftest import queue_in_process
from tests.integration.html_table import body_rows
from tests.integration.web_session import signed_in_client


@pytest.fixture
def app(database: str) -> Iterator[FastAPI]:
    yield make_app(leave_queued)


def submitted_at(session: Session, job_id: uuid.UUID, moment: datetime) -> None:
    session.execute(
        update(VerificationJob).where(col(VerificationJob.id) == job_id).values(created_at=moment)
    )
    session.commit()


def test_admissions_filter_their_own_jobs_by_status_payer_and_day(
    app: FastAPI, session: Session
) -> None:
    staff = signed_in_client(app, Role.ADMISSIONS)
    mine = Actor(name=staff.name, role=Role.ADMISSIONS)
    ppo = queue_in_process(request("ppo", first_name="Avery", last_name="Quill"), mine)
    medicare = queue_in_process(
        request("medicare", first_name="Blake", last_name="Rook", start_date="2026-02-02"), mine
    )
    unknown = queue_in_process(request("unknown", first_name="Casey", last_name="Stone"), mine)
    queue_in_process(request("ppo"), Actor(name="someone-else", role=Role.ADMISSIONS))
    # 23:30 in New York on 1 Dec is 04:30 UTC on 2 Dec: the day staff see is 1 Dec.
    submitted_at(session, ppo, datetime(2026, 12, 2, 4, 30, tzinfo=UTC))
    submitted_at(session, medicare, datetime(2026, 12, 2, 5, 30, tzinfo=UTC))
    submitted_at(session, unknown, datetime(2026, 12, 3, 15, 0, tzinfo=UTC))

    everything = staff.client.get("/verifications")
    rows = body_rows(everything.text)
    assert [row[1:5] for row in rows] == [
        ["C.S.", "sandbox-commercial", "****0000", "Needs info"],
        ["B.R.", "sandbox-medicare", "****MK72", "Ready for billing review"],
        ["A.Q.", "sandbox-commercial", "****0234", "Ready for billing review"],
    ]
    assert [row[0] for row in rows] == [
        "12/03/2026 10:00 AM EST",
        "12/02/2026 12:30 AM EST",
        "12/01/2026 11:30 PM EST",
    ]
    by_status = staff.client.get("/verifications", params={"status": "needs_info"})
    assert [row[1] for row in body_rows(by_status.text)] == ["C.S."]
    by_payer = staff.client.get("/verifications", params={"payer": "sandbox-medicare"})
    assert [row[1] for row in body_rows(by_payer.text)] == ["B.R."]
    on_the_first = staff.client.get(
        "/verifications", params={"submitted_from": "2026-12-01", "submitted_to": "2026-12-01"}
    )
    assert [row[1] for row in body_rows(on_the_first.text)] == ["A.Q."]
    from_the_second = staff.client.get("/verifications", params={"submitted_from": "2026-12-02"})
    assert [row[1] for row in body_rows(from_the_second.text)] == ["C.S.", "B.R."]
    for response in (everything, by_status, by_payer, on_the_first):
        for name in ("Avery", "Quill", "Blake", "Rook", "Casey", "Stone", "1988-04-12"):
            assert name not in response.text


def test_pages_of_25_with_previous_and_next(app: FastAPI) -> None:
    staff = signed_in_client(app, Role.ADMISSIONS)
    mine = Actor(name=staff.name, role=Role.ADMISSIONS)
    for n in range(PAGE_SIZE + 2):
        queue_in_process(request("ppo", member_suffix=f"{n:02d}"), mine)
    first = staff.client.get("/verifications", params={"status": "needs_review"})
    assert len(body_rows(first.text)) == PAGE_SIZE
    assert 'href="?page=2&amp;status=needs_review">Next page</a>' in first.text
    assert "Previous page" not in first.text
    second = staff.client.get("/verifications", params={"status": "needs_review", "page": 2})
    assert len(body_rows(second.text)) == 2
    assert 'href="?page=1&amp;status=needs_review">Previous page</a>' in second.text
    assert "Next page" not in second.text
