"""Admissions pages for CSV batches: upload, the per-row report with live progress, the template.
The pages show row numbers, job IDs, column names and reasons: no PHI, and no PHI in any URL."""

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.background import BackgroundTask
from starlette.datastructures import UploadFile

from coverage.api.deps import EnqueueDep, SessionDep
from coverage.api.routes.batches import TEMPLATE_NAME, csv_download
from coverage.api.web.auth import WebUser, form_for, page_for
from coverage.api.web.render import page
from coverage.batches import intake
from coverage.batches.csv_file import MAX_BYTES, MAX_ROWS, CsvRefused
from coverage.domain.access import Role
from coverage.domain.flat_request import COLUMNS
from coverage.domain.job_state import OPEN

router = APIRouter(include_in_schema=False)
Admissions = Annotated[WebUser, Depends(page_for(Role.ADMISSIONS))]
AdmissionsForm = Annotated[WebUser, Depends(form_for(Role.ADMISSIONS))]
# Billing may follow a link to a batch report; uploading is for admissions.
Staff = Annotated[WebUser, Depends(page_for(Role.ADMISSIONS, Role.BILLING))]
StaffPolling = Annotated[WebUser, Depends(page_for(Role.ADMISSIONS, Role.BILLING, quiet=True))]
# The job list's live statuses are fetched by ID in one request; past this many open jobs the
# report shows statuses as of loading and the progress bar alone stays live.
LIVE_ROWS = 100


def _required(policy: str | None, required: bool) -> str:
    if not required:
        return ""
    return "yes" if policy is None else "yes, unless self_pay is yes"


def _batches_page(
    request: Request,
    session: SessionDep,
    user: WebUser,
    *,
    problems: list[str],
    status_code: int = 200,
) -> HTMLResponse:
    return page(
        request,
        "web/batches.html",
        user,
        status_code=status_code,
        problems=problems,
        recent=intake.recent(session, actor=user.actor),
        columns=[(c, _required(c.policy, c.required)) for c in COLUMNS],
        max_rows=MAX_ROWS,
        max_mb=MAX_BYTES // 2**20,
    )


@router.get("/batches", response_class=HTMLResponse)
def batch_list(request: Request, session: SessionDep, user: Admissions) -> HTMLResponse:
    return _batches_page(request, session, user, problems=[])


@router.post("/batches", response_model=None)
async def upload_batch(
    request: Request, session: SessionDep, user: AdmissionsForm, enqueue: EnqueueDep
) -> Response:
    upload = (await request.form()).get("file")
    if not isinstance(upload, UploadFile) or not upload.filename:
        return _batches_page(
            request, session, user, problems=["Choose a CSV file to upload."], status_code=422
        )
    data = await upload.read(MAX_BYTES + 1)
    try:
        # Storing a thousand rows takes a moment: off the event loop, so other pages stay quick.
        accepted = await run_in_threadpool(intake.accept, data, actor=user.actor)
    except CsvRefused as exc:
        # The file's name is not repeated: staff may name a file after a patient.
        return _batches_page(request, session, user, problems=exc.problems, status_code=422)
    return RedirectResponse(
        f"/batches/{accepted.batch_id}",
        status_code=303,
        # The workers are sent the job IDs once the browser has its answer.
        background=BackgroundTask(intake.enqueue_all, accepted.job_ids, enqueue),
    )


@router.get("/batches/template.csv")
def batch_template(user: Admissions) -> Response:
    return csv_download(intake.template_csv(), TEMPLATE_NAME)


@router.get("/batches/{batch_id}", response_class=HTMLResponse)
def batch_detail(
    request: Request, session: SessionDep, user: Staff, batch_id: uuid.UUID
) -> HTMLResponse:
    report = intake.report(session, batch_id=batch_id, actor=user.actor)
    open_rows = sum(1 for row in report.report if row.job_status in OPEN)
    return page(
        request,
        "web/batch.html",
        user,
        report=report,
        open_statuses={status.value for status in OPEN},
        live_rows=0 < open_rows <= LIVE_ROWS,
    )


@router.get("/batches/{batch_id}/progress")
def batch_progress(session: SessionDep, user: StaffPolling, batch_id: uuid.UUID) -> JSONResponse:
    """{done, total, percent, and a count per status} for the live progress bar (no PHI)."""
    return JSONResponse(intake.progress(session, batch_id=batch_id, actor=user.actor).model_dump())
