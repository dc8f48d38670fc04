"""/api/verifications: queue, read, list and review verification jobs."""

import uuid
from typing import Annotated, Literal

from fastapi import APIRouter, Query, Request, Response, status

from coverage import service
from coverage.api.deps import Billing, EnqueueDep, Reader, SessionDep, Submitter
from coverage.api.params import IdempotencyKey
from coverage.api.schemas import AUTHENTICATED, JobCreated, ReviewIn, problems
from coverage.core import payer_replies, reads
from coverage.core.payer_replies import PayerCallRow, PayerReply
from coverage.core.views import JobDetail, JobList
from coverage.domain.job_state import JobStatus
from coverage.domain.request import VerificationRequest
from coverage.service import reviews

FHIR_JSON = "application/fhir+json"
router = APIRouter(prefix="/api/verifications", tags=["verifications"], responses=AUTHENTICATED)
DECISIONS: dict[str, JobStatus | Literal["note", "adjust"]] = {
    "approve": JobStatus.APPROVED,
    "reject": JobStatus.REJECTED,
    "note": "note",
    "adjust": "adjust",
}


@router.post(
    "",
    status_code=status.HTTP_202_ACCEPTED,
    response_model=JobCreated,
    responses=problems(400, 409, 422),
)
def queue_verification(
    body: VerificationRequest,
    actor: Submitter,
    enqueue: EnqueueDep,
    request: Request,
    response: Response,
    idempotency_key: IdempotencyKey = None,
    fresh: Annotated[
        bool, Query(description="Ask the payers even if a recent answer could be reused")
    ] = False,
) -> JobCreated:
    job, _new = service.queue(
        body, actor=actor, enqueue=enqueue, idempotency_key=idempotency_key, fresh_check=fresh
    )
    url = str(request.url_for("read_verification", job_id=job.id))
    response.headers["Location"] = url
    return JobCreated(id=job.id, status=JobStatus(job.status), url=url)


@router.get("/{job_id}", response_model=JobDetail, responses=problems(404, 422))
def read_verification(job_id: uuid.UUID, actor: Reader, session: SessionDep) -> JobDetail:
    return reads.job_detail(session, job_id=job_id, actor=actor)


@router.get(
    "/{job_id}/fhir",
    response_class=Response,
    responses={
        200: {"content": {FHIR_JSON: {}}, "description": "FHIR CoverageEligibilityResponse"},
        **problems(404, 422),
    },
)
def read_verification_fhir(
    job_id: uuid.UUID,
    actor: Reader,
    session: SessionDep,
    policy: Annotated[int, Query(ge=0, le=5, description="0 = primary, 1 = secondary")] = 0,
) -> Response:
    """The payer's answer for one policy as a FHIR R4 CoverageEligibilityResponse."""
    resource = reads.job_fhir(session, job_id=job_id, actor=actor, policy=policy)
    return Response(
        resource.model_dump_json(by_alias=True, exclude_none=True), media_type=FHIR_JSON
    )


@router.get(
    "/{job_id}/payer-calls", response_model=list[PayerCallRow], responses=problems(404, 422)
)
def list_payer_calls(job_id: uuid.UUID, actor: Billing, session: SessionDep) -> list[PayerCallRow]:
    """The job's payer calls, oldest first: payer, when, outcome, elapsed time and the SHA-256 of
    the reply kept (billing only; audited)."""
    return payer_replies.calls(session, job_id=job_id, actor=actor)


@router.get(
    "/{job_id}/payer-calls/{call_id}/reply",
    response_model=PayerReply,
    responses=problems(404, 422),
)
def read_payer_reply(
    job_id: uuid.UUID, call_id: uuid.UUID, actor: Billing, session: SessionDep
) -> PayerReply:
    """One call's reply as it came: its lines (X12: one segment a line) and a readable tree
    (billing only; audited)."""
    return payer_replies.reply(session, job_id=job_id, call_id=call_id, actor=actor)


@router.get("", response_model=JobList, responses=problems(422))
def list_verifications(
    actor: Reader,
    session: SessionDep,
    status: JobStatus | None = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    # Bounded so that every database accepts it (SQLite's OFFSET is a signed 64-bit integer).
    offset: Annotated[int, Query(ge=0, le=10_000_000)] = 0,
) -> JobList:
    return reads.job_list(session, actor=actor, status=status, limit=limit, offset=offset)


@router.post("/{job_id}/review", response_model=JobDetail, responses=problems(400, 404, 409, 422))
def review_verification(
    job_id: uuid.UUID, body: ReviewIn, actor: Billing, session: SessionDep
) -> JobDetail:
    reviews.review(
        job_id,
        decision=DECISIONS[body.decision],
        note=body.note,
        actor=actor,
        adjustment=body.adjustment,
    )
    return reads.job_detail(session, job_id=job_id, actor=actor)


@router.post(
    "/{job_id}/rerun",
    status_code=status.HTTP_202_ACCEPTED,
    response_model=JobCreated,
    responses=problems(404, 409, 422),
)
def rerun_verification(
    job_id: uuid.UUID,
    actor: Reader,
    enqueue: EnqueueDep,
    request: Request,
    fresh: Annotated[
        bool, Query(description="Ask the payers again instead of reusing a recent answer")
    ] = False,
) -> JobCreated:
    """Billing re-runs any job it can act on; admissions its own jobs that need information or
    failed (another's is not found; one in another state is a 409)."""
    service.rerun(job_id, actor=actor, enqueue=enqueue, fresh_check=fresh)
    return JobCreated(
        id=job_id,
        status=JobStatus.QUEUED,
        url=str(request.url_for("read_verification", job_id=job_id)),
    )
