"""/api/verifications/{id}/phone-vob: staff record what a payer's representative said by phone."""

import uuid
from typing import Annotated

from fastapi import APIRouter, Query, status
from pydantic import BaseModel, Field

from coverage.api.deps import EnqueueDep, Reader, SessionDep
from coverage.api.schemas import AUTHENTICATED, problems
from coverage.core import reads
from coverage.domain.job_state import JobStatus
from coverage.domain.phone import PhoneAnswer
from coverage.service import phone

router = APIRouter(
    prefix="/api/verifications", tags=["phone verification"], responses=AUTHENTICATED
)


class PhoneAnswerRecorded(BaseModel):
    id: uuid.UUID
    job_id: uuid.UUID
    policy: int
    rerun: bool = Field(description="True: the job was queued again to use the answer")
    status: JobStatus = Field(description="The job's state after the answer was saved")


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
    enqueue: EnqueueDep,
    policy: Annotated[int, Query(ge=0, le=5, description="0 = primary, 1 = secondary")] = 0,
) -> PhoneAnswerRecorded:
    """Stores the call and re-runs the job with it when it needs information, has failed or
    waits for billing's review (`rerun`: true). A queued job uses it when it runs; a running,
    approved or rejected one is left as it is (re-run it when it has finished, if needed)."""
    reads.job_detail(session, job_id=job_id, actor=actor)  # 404 unless this user may see the job
    recorded = phone.record(job_id, policy=policy, entry=body, actor=actor, enqueue=enqueue)
    return PhoneAnswerRecorded(
        id=recorded.id,
        job_id=job_id,
        policy=policy,
        rerun=recorded.rerun,
        status=recorded.status,
    )
