"""/api/verifications/{id}/phone-vob: staff record what a payer's representative said by phone."""

import uuid
from typing import Annotated

from fastapi import APIRouter, Query, status
from pydantic import BaseModel

from coverage.api.deps import Reader, SessionDep
from coverage.api.schemas import AUTHENTICATED, problems
from coverage.core import reads
from coverage.domain.phone import PhoneAnswer
from coverage.service import phone

router = APIRouter(
    prefix="/api/verifications", tags=["phone verification"], responses=AUTHENTICATED
)


class PhoneAnswerRecorded(BaseModel):
    id: uuid.UUID
    job_id: uuid.UUID
    policy: int


@router.post(
    "/{job_id}/phone-vob",
    status_code=status.HTTP_201_CREATED,
    response_model=PhoneAnswerRecorded,
    responses=problems(400, 404, 422),
)
def record_phone_vob(
    job_id: uuid.UUID,
    body: PhoneAnswer,
    actor: Reader,
    session: SessionDep,
    policy: Annotated[int, Query(ge=0, le=5, description="0 = primary, 1 = secondary")] = 0,
) -> PhoneAnswerRecorded:
    """Used by the payer's `manual` adapter on the job's next run (re-run it afterwards)."""
    reads.job_detail(session, job_id=job_id, actor=actor)  # 404 unless this user may see the job
    recorded = phone.record(job_id, policy=policy, entry=body, actor=actor)
    return PhoneAnswerRecorded(id=recorded, job_id=job_id, policy=policy)
