"""Response and request bodies of the JSON API."""

import uuid
from typing import Any, Literal

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


class FieldError(BaseModel):
    """One field of a request that does not match its schema: where and why, never the value."""

    loc: list[str | int]
    msg: str
    type: str


class ErrorAnswer(BaseModel):
    """Every error answer of the API. `detail` is one plain sentence (a refusal, a missing record,
    a state that does not allow this, a value the service did not accept) or, for a request that
    does not match its schema, one entry per field."""

    detail: str | list[FieldError]


_MEANING = {
    400: "The body could not be read (not JSON, or not the declared form)",
    401: "No API token, or an unknown or revoked one",
    403: "This role may not do this (the refusal is audited)",
    404: "No such record, or not one this user may see",
    409: "The record is not in a state that allows this now",
    422: "Not accepted: each field and its reason, or one sentence",
}


def problems(*codes: int) -> dict[int | str, dict[str, Any]]:
    """The error answers a route declares in the OpenAPI document, each with the ErrorAnswer body."""
    return {code: {"model": ErrorAnswer, "description": _MEANING[code]} for code in codes}


# Every /api route needs a bearer token and a role.
AUTHENTICATED = problems(401, 403)
