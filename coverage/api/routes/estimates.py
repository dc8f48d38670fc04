"""/api/verifications/{id}/good-faith-estimate: the stored GFE as printable HTML or as JSON."""

import uuid
from typing import Literal

from fastapi import APIRouter
from fastapi.responses import HTMLResponse, JSONResponse, Response

from coverage.api.deps import Reader, SessionDep
from coverage.api.documents import document_csp, render_gfe
from coverage.api.schemas import AUTHENTICATED, problems
from coverage.core import reads
from coverage.errors import NotFoundError

router = APIRouter(prefix="/api/verifications", tags=["estimates"], responses=AUTHENTICATED)


@router.get(
    "/{job_id}/good-faith-estimate",
    # Documented as JSON so that the error answers are too; the 200 is HTML unless ?format=json.
    response_class=JSONResponse,
    response_model=None,
    responses={
        200: {
            "content": {"text/html": {"schema": {"type": "string"}}},
            "description": "The printable document, or its stored JSON with ?format=json",
        },
        **problems(404, 422),
    },
)
def read_good_faith_estimate(
    job_id: uuid.UUID,
    actor: Reader,
    session: SessionDep,
    format: Literal["html", "json"] = "html",
) -> Response:
    """HTML by default (print it to PDF from the browser); `?format=json` for the stored JSON."""
    detail = reads.job_detail(session, job_id=job_id, actor=actor)  # visibility and audit
    gfe = detail.result.good_faith_estimate if detail.result else None
    if gfe is None:
        raise NotFoundError(
            f"verification {job_id} has no Good Faith Estimate "
            "(only uninsured or self-pay enrollees get one)"
        )
    if format == "json":
        return JSONResponse(gfe.model_dump(mode="json"))
    return HTMLResponse(
        render_gfe(gfe, part2=detail.part2), headers={"Content-Security-Policy": document_csp()}
    )
