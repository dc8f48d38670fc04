"""What staff read of a job: a list row (no PHI) and the whole job with its result."""

import uuid
from datetime import UTC
from datetime import datetime as _datetime
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel

from coverage.domain.findings import RuleFileRef
from coverage.domain.job_state import JobStatus
from coverage.domain.request import VerificationRequest
from coverage.domain.result import VerificationResult

# SQLite hands timestamps back without their zone; every stored time is UTC.
datetime = Annotated[_datetime, AfterValidator(lambda d: d if d.tzinfo else d.replace(tzinfo=UTC))]


class JobSummary(BaseModel):
    """A list row: no names, member IDs masked to their last 4 characters."""

    id: uuid.UUID
    status: JobStatus
    part2: bool
    payer_ids: list[str]
    member_ids: list[str]
    message: str
    created_at: datetime


class StaffJobSummary(JobSummary):
    """A row of the web list: initials ("J.S.") tell rows apart; the name is on the detail page."""

    initials: str


class JobList(BaseModel):
    data: list[JobSummary]
    count: int


class PayerCallPublic(BaseModel):
    attempt: int
    adapter: str
    outcome: str
    error: str
    reject_code: str | None = None
    elapsed_ms: int
    raw_sha256: str | None


class ReviewPublic(BaseModel):
    reviewer: str
    decision: str  # approved, rejected, note, adjust
    note: str | None
    adjustment: dict[str, Any] | None = None  # adjust: {"option": kind, "plan_months": n}
    created_at: datetime


class JobDetail(BaseModel):
    id: uuid.UUID
    status: JobStatus
    part2: bool
    message: str
    attempts: int
    created_at: datetime
    request: VerificationRequest
    consent_ids: list[uuid.UUID] = []  # the stored rows of request.consents, in order
    result: VerificationResult | None
    rule_files: list[RuleFileRef]
    # The rule book version (content hash) the result was made with; None for older results.
    rule_book_version: str | None = None
    payer_calls: list[PayerCallPublic]
    reviews: list[ReviewPublic]
    # Open past the sweeper's deadlines (its process died): billing may re-run it.
    stranded: bool = False
