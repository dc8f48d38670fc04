"""/api/batches: upload a CSV of verification requests, read its per-row report and progress."""

import uuid
from typing import Annotated

from fastapi import APIRouter, BackgroundTasks, File, Request, Response, UploadFile, status

from coverage.api.deps import EnqueueDep, Reader, SessionDep, Submitter
from coverage.api.schemas import AUTHENTICATED, ErrorAnswer, problems
from coverage.batches import intake
from coverage.batches.csv_file import MAX_BYTES, MAX_ROWS

router = APIRouter(prefix="/api/batches", tags=["batches"], responses=AUTHENTICATED)
TEMPLATE_NAME = "iop-coverage-batch-template.csv"


def csv_download(text: str, filename: str) -> Response:
    return Response(
        text,
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


@router.post(
    "",
    status_code=status.HTTP_202_ACCEPTED,
    response_model=intake.BatchReport,
    responses={
        **problems(400),
        422: {
            "model": ErrorAnswer,
            "description": "The file as a whole was refused (nothing was queued), or no file",
        },
    },
)
def upload_batch(
    file: Annotated[
        UploadFile,
        File(
            description=f"UTF-8 CSV, header row of column names (see the template), at most "
            f"{MAX_ROWS:,} rows and {MAX_BYTES // 2**20} MB"
        ),
    ],
    actor: Submitter,
    enqueue: EnqueueDep,
    session: SessionDep,
    request: Request,
    response: Response,
    background: BackgroundTasks,
) -> intake.BatchReport:
    """Queues every valid row; the report names each rejected row's column and reason, and each
    duplicate's earlier job. The workers are sent the new job IDs right after this response."""
    accepted = intake.accept(file.file.read(MAX_BYTES + 1), actor=actor)
    background.add_task(intake.enqueue_all, accepted.job_ids, enqueue)
    response.headers["Location"] = str(request.url_for("read_batch", batch_id=accepted.batch_id))
    return intake.report(session, batch_id=accepted.batch_id, actor=actor, audited=False)


@router.get(
    "/template.csv",
    response_class=Response,
    responses={200: {"content": {"text/csv": {}}, "description": "Header and one example row"}},
)
def batch_template(actor: Submitter) -> Response:
    """The column names and one example row (no PHI: a fictitious enrollee)."""
    return csv_download(intake.template_csv(), TEMPLATE_NAME)


@router.get("/{batch_id}", response_model=intake.BatchReport, responses=problems(404, 422))
def read_batch(batch_id: uuid.UUID, actor: Reader, session: SessionDep) -> intake.BatchReport:
    """Admissions read the batches they uploaded; billing reads any."""
    return intake.report(session, batch_id=batch_id, actor=actor)
