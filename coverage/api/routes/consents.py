"""/api/verifications/{id}/consents: 42 CFR Part 2 consents recorded or revoked after submit
(re-run the verification afterwards: each run checks the consents on file)."""

import uuid
from datetime import date

from fastapi import APIRouter, status
from pydantic import BaseModel, ConfigDict

from coverage.api.deps import Reader
from coverage.api.schemas import AUTHENTICATED, problems
from coverage.domain.consent import Part2Consent
from coverage.service import consents

router = APIRouter(prefix="/api/verifications", tags=["part 2 consent"], responses=AUTHENTICATED)


class ConsentRecorded(BaseModel):
    id: uuid.UUID
    job_id: uuid.UUID


class Revocation(BaseModel):
    model_config = ConfigDict(extra="forbid")
    revoked_on: date


@router.post(
    "/{job_id}/consents",
    status_code=status.HTTP_201_CREATED,
    response_model=ConsentRecorded,
    responses=problems(404, 409, 422),
)
def record_consent(job_id: uuid.UUID, body: Part2Consent, actor: Reader) -> ConsentRecorded:
    recorded = consents.record(job_id, consent=body, actor=actor)
    return ConsentRecorded(id=recorded, job_id=job_id)


@router.post(
    "/{job_id}/consents/{consent_id}/revoke",
    response_model=Part2Consent,
    responses=problems(404, 409, 422),
)
def revoke_consent(
    job_id: uuid.UUID, consent_id: uuid.UUID, body: Revocation, actor: Reader
) -> Part2Consent:
    """From `revoked_on` on, no run discloses the record to the consent's recipient."""
    return consents.revoke(job_id, consent_id=consent_id, revoked_on=body.revoked_on, actor=actor)
