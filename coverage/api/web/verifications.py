"""Admissions and billing pages for verification jobs: list, new (one form), detail with its
live status and result, and the review queue. Every page that shows PHI is audited through
coverage.core.reads, as the API is; URLs carry job IDs only."""

import re
import uuid
from datetime import date
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response

from coverage import service
from coverage.api.deps import EnqueueDep, SessionDep
from coverage.api.web.auth import WebUser, form_for, page_for
from coverage.api.web.day_filter import OptionalDay, day_range
from coverage.api.web.navigation import status_text
from coverage.api.web.render import page, templates
from coverage.core import payer_replies, reads
from coverage.core.rule_book import payers_in_force
from coverage.domain.access import Role
from coverage.domain.call_script import Topic
from coverage.domain.flat_request import (
    COLUMNS,
    CONSENT_COLUMNS,
    SECTIONS,
    FieldError,
    FlatRequestError,
    to_fields,
    to_request,
)
from coverage.domain.job_state import OPEN, JobStatus
from coverage.domain.phone_form import INSURANCE_TYPE_WORDS, to_form_values
from coverage.domain.phone_form import LABELS as PHONE_LABELS
from coverage.domain.request import VerificationRequest
from coverage.errors import ConflictError, InputError, NotFoundError
from coverage.service.phone import RERUN_ON_ANSWER
from coverage.store import jobs
from coverage.store.crypto import keyed_hash

router = APIRouter(include_in_schema=False)
PAGE_SIZE = 25
Staff = Annotated[WebUser, Depends(page_for(Role.ADMISSIONS, Role.BILLING))]
StaffPolling = Annotated[WebUser, Depends(page_for(Role.ADMISSIONS, Role.BILLING, quiet=True))]
Admissions = Annotated[WebUser, Depends(page_for(Role.ADMISSIONS))]
AdmissionsForm = Annotated[WebUser, Depends(form_for(Role.ADMISSIONS))]
StaffForm = Annotated[WebUser, Depends(form_for(Role.ADMISSIONS, Role.BILLING))]
CORRECTABLE = frozenset({JobStatus.NEEDS_INFO, JobStatus.FAILED})
# A phone answer saved in these states re-runs the job: the page offers the script and the form.
PHONE_STATES = RERUN_ON_ANSWER
Billing = Annotated[WebUser, Depends(page_for(Role.BILLING))]
# Sections of the form that start folded unless they hold a value or an error.
OPTIONAL_SECTIONS = frozenset(
    {
        "Address",
        "Primary policy: subscriber",
        "Secondary policy",
        "Secondary policy: subscriber",
        "Level-of-care ratings",
        "Part 2 consent",
    }
)


def _payers() -> list[tuple[str, str]]:
    return sorted((p.id, p.name) for p in payers_in_force().values())


def payer_names() -> dict[str, str]:
    return dict(_payers())


def _job_list_page(
    request: Request,
    session: SessionDep,
    user: WebUser,
    *,
    template_title: str,
    status: JobStatus | None,
    payer: str | None,
    submitted_from: date | None,
    submitted_to: date | None,
    page_number: int,
    oldest_first: bool = False,
) -> HTMLResponse:
    filters = {
        "status": status.value if status else "",
        "payer": payer or "",
        "submitted_from": submitted_from.isoformat() if submitted_from else "",
        "submitted_to": submitted_to.isoformat() if submitted_to else "",
    }
    created_from, created_before = day_range(submitted_from, submitted_to)
    listed = reads.job_list(
        session,
        actor=user.actor,
        status=status,
        payer_id=payer or None,
        created_from=created_from,
        created_before=created_before,
        oldest_first=oldest_first,
        limit=PAGE_SIZE + 1,  # one more tells whether a next page exists
        offset=(page_number - 1) * PAGE_SIZE,
        initials=True,
    )
    return page(
        request,
        "web/verifications.html",
        user,
        title=template_title,
        rows=listed.data[:PAGE_SIZE],
        has_next=len(listed.data) > PAGE_SIZE,
        page_number=page_number,
        statuses=list(JobStatus),
        payers=_payers(),
        filters=filters,
        filter_query="".join(f"&{key}={quote(value)}" for key, value in filters.items() if value),
        open_statuses={s.value for s in OPEN},
        show_filters=not oldest_first,
    )


@router.get("/verifications", response_class=HTMLResponse)
def verification_list(
    request: Request,
    session: SessionDep,
    user: Staff,
    status: JobStatus | None = None,
    # A payer id, or blank (any payer) as the filter form sends it.
    payer: Annotated[str | None, Query(max_length=64, pattern=r"^[a-z0-9-]*$")] = None,
    submitted_from: OptionalDay = None,
    submitted_to: OptionalDay = None,
    page_number: Annotated[int, Query(alias="page", ge=1, le=10_000)] = 1,
) -> HTMLResponse:
    return _job_list_page(
        request,
        session,
        user,
        template_title="Verifications",
        status=status,
        payer=payer,
        submitted_from=submitted_from,
        submitted_to=submitted_to,
        page_number=page_number,
    )


@router.get("/review", response_class=HTMLResponse)
def review_queue(
    request: Request,
    session: SessionDep,
    user: Billing,
    page_number: Annotated[int, Query(alias="page", ge=1, le=10_000)] = 1,
) -> HTMLResponse:
    """Results waiting for billing, oldest first."""
    return _job_list_page(
        request,
        session,
        user,
        template_title="Review queue",
        status=JobStatus.NEEDS_REVIEW,
        payer=None,
        submitted_from=None,
        submitted_to=None,
        page_number=page_number,
        oldest_first=True,
    )


@router.get("/verifications/live")
def list_statuses(
    session: SessionDep,
    user: StaffPolling,
    ids: Annotated[str, Query(max_length=3700)],
) -> JSONResponse:
    """Statuses of the listed jobs this user may see (no PHI: IDs and states only)."""
    found: dict[str, Any] = {}
    for text in ids.split(",")[:100]:
        try:
            job = jobs.get_or_raise(session, job_id=uuid.UUID(text))
        except (ValueError, NotFoundError):
            continue
        if reads.visible(job, user.actor):
            found[text] = _status(JobStatus(job.status), "")
    return JSONResponse(found)


def _status(status: JobStatus, message: str) -> dict[str, Any]:
    text = status_text(status)
    return {
        "status": status.value,
        "label": text.label,
        "next_step": text.next_step,
        "message": message,
        "open": status in OPEN,
    }


def _form_page(
    request: Request,
    user: WebUser,
    *,
    values: dict[str, str],
    errors: list[FieldError],
    status_code: int = 200,
    correcting: uuid.UUID | None = None,
    problem: str | None = None,
) -> HTMLResponse:
    """The new-verification form; with `correcting`, the same form for a job's stored request
    (its consents are left out: they are recorded on the verification's page)."""
    by_column: dict[str, list[str]] = {}
    for error in errors:
        by_column.setdefault(error.column, []).append(error.reason)
    return page(
        request,
        "web/verification_new.html",
        user,
        status_code=status_code,
        sections=[
            (name, [c for c in COLUMNS if c.section == name])
            for name in SECTIONS
            if not (correcting and name == "Part 2 consent")
        ],
        correcting=correcting,
        problem=problem,
        optional_sections=OPTIONAL_SECTIONS,
        open_sections={
            c.section for c in COLUMNS if values.get(c.name, "").strip() or c.name in by_column
        },
        values=values,
        errors=by_column,
        error_list=errors,
        labels={c.name: c.label for c in COLUMNS},
        payers=_payers(),
        form_id=values.get("form_id") or uuid.uuid4().hex,
    )


@router.get("/verifications/new", response_class=HTMLResponse)
def new_verification_form(request: Request, user: Admissions) -> HTMLResponse:
    return _form_page(request, user, values={}, errors=[])


@router.post("/verifications/new", response_model=None)
async def submit_verification(
    request: Request, user: AdmissionsForm, enqueue: EnqueueDep
) -> Response:
    form = await request.form()
    values = {key: str(value) for key, value in form.items() if isinstance(value, str)}
    try:
        verification = to_request(values)
    except FlatRequestError as exc:
        return _form_page(request, user, values=values, errors=exc.errors, status_code=422)
    unknown = _payer_errors(verification)
    if unknown:
        return _form_page(request, user, values=values, errors=unknown, status_code=422)
    # The form's own id: a double click or a resent form queues one job, not two. The key also
    # holds a keyed digest of the details: the form sent again with other details (back, edit,
    # send) is a new request and queues its own job (a reused key with other details is refused).
    sent_id = values.get("form_id", "")
    form_id = sent_id if re.fullmatch(r"[0-9a-f]{1,64}", sent_id) else None  # as the page made it
    details = keyed_hash(verification.model_dump_json())[:32]
    job, _new = service.queue(
        verification,
        actor=user.actor,
        enqueue=enqueue,
        idempotency_key=f"web:{form_id}:{details}" if form_id else None,
    )
    return RedirectResponse(f"/verifications/{job.id}", status_code=303)


def _payer_errors(verification: VerificationRequest) -> list[FieldError]:
    return [
        FieldError(f"{prefix}payer_id", "not a payer in the rule book")
        for prefix, policy in zip(("", "secondary_"), verification.policies, strict=False)
        if policy.payer_id not in payers_in_force()
    ]


@router.get("/verifications/{job_id}/correct", response_class=HTMLResponse)
def correct_form(
    request: Request, session: SessionDep, user: Staff, job_id: uuid.UUID
) -> HTMLResponse:
    """The new-verification form filled with the job's stored request (an audited read)."""
    detail = reads.job_detail(session, job_id=job_id, actor=user.actor)
    problem = None
    if detail.status not in CORRECTABLE:
        problem = (
            f"This verification is “{status_text(detail.status).label}”: its request can be "
            "corrected only while it needs information or has failed."
        )
    return _form_page(
        request,
        user,
        values=to_fields(detail.request),
        errors=[],
        correcting=job_id,
        problem=problem,
        status_code=409 if problem else 200,
    )


@router.post("/verifications/{job_id}/correct", response_model=None)
async def correct_verification(
    request: Request,
    session: SessionDep,
    user: StaffForm,
    job_id: uuid.UUID,
    enqueue: EnqueueDep,
) -> Response:
    """Saves the corrected request on the same job and re-runs it; refused fields come back
    beside their fields, as on submit."""
    form = await request.form()
    values = {key: str(value) for key, value in form.items() if isinstance(value, str)}
    try:
        verification = to_request(values)
        unknown = _payer_errors(verification)
        if unknown:
            raise FlatRequestError(unknown)
        service.correct(job_id, verification, actor=user.actor, enqueue=enqueue)
    except FlatRequestError as exc:
        errors = exc.errors
    except InputError as exc:
        column, _, reason = str(exc).partition(": ")
        errors = [FieldError(column, reason)]
    except ConflictError:
        session.rollback()
        now = status_text(JobStatus(jobs.get_or_raise(session, job_id=job_id).status)).label
        return _form_page(
            request,
            user,
            values=values,
            errors=[],
            correcting=job_id,
            status_code=409,
            problem=f"Nothing was saved: this verification is now “{now}”; its request can be "
            "corrected only while it needs information or has failed.",
        )
    else:
        return RedirectResponse(f"/verifications/{job_id}?done=corrected", status_code=303)
    return _form_page(
        request, user, values=values, errors=errors, correcting=job_id, status_code=422
    )


def detail_page(
    request: Request,
    session: SessionDep,
    user: WebUser,
    job_id: uuid.UUID,
    *,
    status_code: int = 200,
    **review_form: Any,
) -> HTMLResponse:
    """A verification's page (an audited read); a refused review form passes `review_errors`,
    `review_values` and `review_problem` to show beside its fields."""
    detail = reads.job_detail(session, job_id=job_id, actor=user.actor)
    # The call script and the phone-answer form: while staff can still act on the answers.
    scripts = []
    if detail.status in PHONE_STATES and user.role in (Role.ADMISSIONS, Role.BILLING):
        scripts = reads.call_scripts(session, detail=detail)
        if detail.status is not JobStatus.NEEDS_INFO:
            scripts = [s for s in scripts if s.questions]
        if scripts and "phone_values" not in review_form:
            last = reads.last_phone_answer(session, detail=detail)
            if last is not None:
                review_form["phone_values"] = to_form_values(last[1], policy=last[0])
    return page(
        request,
        "web/verification.html",
        user,
        status_code=status_code,
        detail=detail,
        payer_names=payer_names(),
        open=JobStatus(detail.status) in OPEN,
        consent_columns=CONSENT_COLUMNS,
        call_scripts=scripts,
        phone_labels=PHONE_LABELS,
        insurance_types=[(kind.value, words) for kind, words in INSURANCE_TYPE_WORDS.items()],
        phone_medicare=any(Topic.MEDICARE in s.topics for s in scripts),
        today=date.today(),
        **review_form,
    )


@router.get("/verifications/{job_id}", response_class=HTMLResponse)
def verification_detail(
    request: Request, session: SessionDep, user: Staff, job_id: uuid.UUID
) -> HTMLResponse:
    return detail_page(request, session, user, job_id)


@router.get("/verifications/{job_id}/live")
def verification_live(session: SessionDep, user: StaffPolling, job_id: uuid.UUID) -> JSONResponse:
    """The job's state for the live page (no PHI: the message is staff-facing and PHI-free)."""
    job = jobs.get_or_raise(session, job_id=job_id)
    if not reads.visible(job, user.actor):
        raise NotFoundError(f"no verification job {job_id}")
    return JSONResponse(_status(JobStatus(job.status), job.message))


@router.get("/verifications/{job_id}/result", response_class=HTMLResponse)
def verification_result(
    request: Request, session: SessionDep, user: Staff, job_id: uuid.UUID
) -> HTMLResponse:
    """The result section alone, fetched by the live page when the job settles."""
    detail = reads.job_detail(session, job_id=job_id, actor=user.actor)
    response = templates().TemplateResponse(
        request,
        "web/result.html",
        {"detail": detail, "user": user, "payer_names": payer_names()},
    )
    response.headers["Cache-Control"] = "no-store"
    return response


@router.get("/verifications/{job_id}/payer-replies", response_class=HTMLResponse)
def payer_replies_page(
    request: Request, session: SessionDep, user: Billing, job_id: uuid.UUID
) -> HTMLResponse:
    """Billing's view of each payer call with its reply as text and as a tree (each reply shown
    is an audited read)."""
    job = jobs.get_or_raise(session, job_id=job_id)
    shown = payer_replies.replies(session, job_id=job_id, actor=user.actor)
    return page(
        request, "web/payer_replies.html", user, job_id=job_id, part2=job.part2, replies=shown
    )
