"""/api/verifications/{id}/phone-vob: staff record what a payer's representative said by phone."""

import uuid
from typing import Annotated

from fastapi import APIRouter, Query, status
from pydantic import BaseModel

from coverage.api.deps import Reader, SessionDep
from coverage.core import reads
from coverage.domain.manual_vob import PhoneVob
from coverage.store import manual_vobs

router = APIRouter(prefix="/api/verifications", tags=["phone verification"])


class PhoneVobRecorded(BaseModel):
    id: uuid.UUID
    job_id: uuid.UUID
    policy: int


@router.post(
    "/{job_id}/phone-vob", status_code=status.HTTP_201_CREATED, response_model=PhoneVobRecorded
)
def record_phone_vob(
    job_id: uuid.UUID,
    body: PhoneVob,
    actor: Reader,
    session: SessionDep,
    policy: Annotated[int, Query(ge=0, le=5, description="0 = primary, 1 = secondary")] = 0,
) -> PhoneVobRecorded:
    """Used by the payer's `manual` adapter on the job's next run (re-run it afterwards)."""
    reads.job_detail(session, job_id=job_id, actor=actor)  # 404 unless this user may see the job
    row = manual_vobs.record(session, job_id=job_id, policy=policy, entry=body, actor=actor)
    session.commit()  # the entry and its audit record together
    return PhoneVobRecorded(id=row.id, job_id=job_id, policy=policy)
