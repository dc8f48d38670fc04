"""The call script (printable) and the phone-answer form of a verification's page, for admissions
and billing. The script and the form show PHI: read through coverage.core.reads (audited); the
URLs carry the job ID and the policy's number only."""

import uuid
from datetime import date
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from coverage.api.deps import EnqueueDep, SessionDep
from coverage.api.web.auth import WebUser, form_for, page_for
from coverage.api.web.render import page
from coverage.api.web.verifications import detail_page
from coverage.core import reads
from coverage.domain.access import Role
from coverage.domain.phone_form import PhoneFormError, to_phone_answer
from coverage.errors import ConflictError, NotFoundError
from coverage.service import phone

router = APIRouter(include_in_schema=False)
Staff = Annotated[WebUser, Depends(page_for(Role.ADMISSIONS, Role.BILLING))]
StaffForm = Annotated[WebUser, Depends(form_for(Role.ADMISSIONS, Role.BILLING))]


@router.get("/verifications/{job_id}/call-script", response_class=HTMLResponse)
def call_script_page(
    request: Request,
    session: SessionDep,
    user: Staff,
    job_id: uuid.UUID,
    policy: Annotated[int, Query(ge=0, le=1)] = 0,
) -> HTMLResponse:
    """The script for one policy's payer call, to print (an audited read)."""
    detail = reads.job_detail(session, job_id=job_id, actor=user.actor)
    scripts = [s for s in reads.call_scripts(session, detail=detail) if s.policy == policy]
    if not scripts:
        raise NotFoundError(f"verification job {job_id} has no policy {policy}")
    return page(
        request,
        "web/call_script.html",
        user,
        detail=detail,
        script=scripts[0],
        printed_on=date.today(),
    )


@router.post("/verifications/{job_id}/phone-answer", response_model=None)
async def record_phone_answer(
    request: Request,
    session: SessionDep,
    user: StaffForm,
    job_id: uuid.UUID,
    enqueue: EnqueueDep,
) -> Response:
    """Saves what the representative said and re-runs the job with it (see service.phone);
    refused fields come back beside their fields with what was typed."""
    detail = reads.job_detail(session, job_id=job_id, actor=user.actor)
    form = await request.form()
    values = {key: str(value) for key, value in form.items() if isinstance(value, str)}
    errors: dict[str, str] = {}
    policy_text = values.get("policy", "0")
    policy = int(policy_text) if policy_text in ("0", "1") else -1
    if not 0 <= policy < len(detail.request.policies):
        errors["policy"] = "choose the policy the call was about"
    try:
        answer = to_phone_answer(values, program=detail.request.intake.program)
    except PhoneFormError as exc:
        errors.update(exc.errors)
    if errors:
        return detail_page(
            request,
            session,
            user,
            job_id,
            status_code=422,
            phone_errors=errors,
            phone_values=values,
        )
    try:
        recorded = phone.record(
            job_id, policy=policy, entry=answer, actor=user.actor, enqueue=enqueue
        )
    except ConflictError as exc:  # a Part 2 job without the patient's consent to this payer
        return detail_page(
            request,
            session,
            user,
            job_id,
            status_code=409,
            phone_errors={"policy": str(exc)},
            phone_values=values,
        )
    done = "phone_rerun" if recorded.rerun else "phone_saved"
    return RedirectResponse(f"/verifications/{job_id}?done={done}", status_code=303)
