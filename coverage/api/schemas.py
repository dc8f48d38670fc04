"""Response and request bodies of the JSON API."""

import uuid
from typing import Literal

from pydantic import BaseModel, Field

from coverage.core.views import datetime
from coverage.domain.adjustment import Adjustment
from coverage.domain.job_state import JobStatus


class JobCreated(BaseModel):
    id: uuid.UUID
    status: JobStatus
    url: str


class ReviewIn(BaseModel):
    """approve / reject (from needs_review); note (a note is required) or adjust (which price
    option and payment plan the patient's printed estimate shows) change no state."""

    decision: Literal["approve", "reject", "note", "adjust"]
    note: str | None = Field(default=None, max_length=2000)
    adjustment: Adjustment | None = None


class AuditEntry(BaseModel):
    id: int
    at: datetime
    actor: str
    actor_role: str
    action: str
    entity_type: str
    entity_id: str
    outcome: str
    part2: bool
    detail: str
