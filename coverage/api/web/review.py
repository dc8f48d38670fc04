"""Billing's review of a result, and the pages staff print for the patient.

On the detail page (web/result.html) billing approves or rejects a result, adds a note, chooses
which price option and payment plan the patient's printed estimate shows, or re-runs the
verification. Each form posts the job ID and fixed choices; each action redirects back with a
fixed `done` word (never free text). The printable patient estimate and the Good Faith Estimate
are read through coverage.core.reads like every page that shows PHI, so each print is audited.
"""

import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Annotated, Any
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError

from coverage import service
from coverage.api.deps import EnqueueDep, SessionDep
from coverage.api.documents import render_gfe
from coverage.api.web import chart
from coverage.api.web.auth import WebUser, form_for, page_for
from coverage.api.web.navigation import status_text
from coverage.api.web.render import environment, money, page, us_date
from coverage.api.web.verifications import detail_page, payer_names
from coverage.core import reads
from coverage.core.views import JobDetail
from coverage.domain import adjustment as adjustments
from coverage.domain.access import Role
from coverage.domain.adjustment import Adjustment, PatientPrice
from coverage.domain.estimate import Estimate
from coverage.domain.flat_request import FlatRequestError, to_consent
from coverage.domain.job_state import JobStatus
from coverage.domain.result import VerificationResult
from coverage.errors import ConflictError, InputError
from coverage.service import consents, reviews
from coverage.settings import get_settings
from coverage.store import jobs

router = APIRouter(include_in_schema=False)
Staff = Annotated[WebUser, Depends(page_for(Role.ADMISSIONS, Role.BILLING))]
BillingForm = Annotated[WebUser, Depends(form_for(Role.BILLING))]
StaffForm = Annotated[WebUser, Depends(form_for(Role.ADMISSIONS, Role.BILLING))]
NOTE_MAX = 2000
# The confirmation shown after each action: the redirect carries only the key.
DONE = {
    "approved": "Approved. The verification has left the review queue.",
    "rejected": "Rejected. Admissions sees your note; billing can re-run it after a correction.",
    "noted": "Your note was added.",
    "adjusted": "Saved. The printed patient estimate now shows your choice.",
    "rerun": "Re-run queued. The new result replaces this one when the payers have answered.",
    "consent_revoked": "The consent is marked revoked. Later runs will not contact its recipient.",
    "consent_recorded": "The consent is recorded. Re-run the verification to contact its recipient.",
}
DECISION_TEXT = {
    "approved": "Approved",
    "rejected": "Rejected",
    "note": "Note",
    "adjust": "Changed the printed estimate",
}
SOURCE_TEXT = {"payer_response": "Payer's answer", "rule_file": "Rule book", "default": "Default"}
FLAG_TEXT = {
    "new_plan_year": "new plan year",
    "covered_if_authorized": "covered if authorized",
    "not_authorized": "not authorized: self-pay rate",
    "beyond_day_limit": "past the day limit: self-pay rate",
    "beyond_weekly_limit": "over the payer's weekly visit limit: self-pay rate",
    "deductible_met": "deductible met",
    "oop_max_reached": "out-of-pocket maximum reached",
    "copay_cap_per_day": "capped per day (Medicaid)",
    "household_cap_reached": "household cap reached (Medicaid)",
    "balance_billed": "balance billed",
    "qmb_no_cost_sharing": "QMB: no cost sharing",
    "self_pay": "self-pay",
    "secondary_paid": "secondary paid",
    "medicaid_last_resort": "Medicaid as payer of last resort",
    "secondary_as_primary": "secondary acted as primary",
}


def flag_text(flag: str) -> str:
    if flag.startswith("secondary_") and flag not in FLAG_TEXT:
        return "secondary: " + flag_text(flag.removeprefix("secondary_"))
    return FLAG_TEXT.get(flag, flag.replace("_", " "))


@dataclass(frozen=True)
class Decision:
    at: datetime
    reviewer: str
    what: str
    note: str | None
    printed: str | None  # for an adjustment: what the patient's estimate shows


@dataclass(frozen=True)
class ReviewView:
    """What result.html and the print page need beyond the stored result."""

    decisions: list[Decision]
    adjustment: Adjustment | None
    price: PatientPrice | None
    chart: dict[str, Any] | None
    plan_months: list[int]  # every plan length any option offers, for the adjust form


def _printed(result: VerificationResult | None, adjustment: Adjustment) -> str:
    if result is None:
        return ""
    price = adjustments.patient_price(result, adjustment)
    plan = f", {price.plan.months} monthly payments" if price.plan else ""
    return f"{price.label}: {money(price.total)}{plan}"


def estimate_chart(estimate: Estimate) -> dict[str, Any]:
    weeks = chart.chart_weeks(estimate)
    return {
        "chart": chart.cost_chart(weeks),
        "weeks": chart.weeks_by_number(weeks),
        "description": chart.describe(
            weeks, patient_total=estimate.patient_total, payer_total=estimate.payer_total
        ),
    }


def review_view(detail: JobDetail) -> ReviewView:
    result = detail.result
    decisions = [
        Decision(
            at=review.created_at,
            reviewer=review.reviewer,
            what=DECISION_TEXT.get(review.decision, review.decision),
            note=review.note,
            printed=_printed(result, Adjustment.model_validate(review.adjustment))
            if review.decision == "adjust" and review.adjustment is not None
            else None,
        )
        for review in detail.reviews
    ]
    adjustment = adjustments.latest([r.model_dump() for r in detail.reviews])
    options = result.sliding_scale.options if result else []
    return ReviewView(
        decisions=decisions,
        adjustment=adjustment,
        price=adjustments.patient_price(result, adjustment) if result else None,
        chart=estimate_chart(result.estimate) if result else None,
        plan_months=sorted({p.months for o in options for p in o.payment_plans}),
    )


# The templates (result.html is also rendered alone for the live page) reach these by name.
environment().globals.update(
    review_view=review_view,
    flag_text=flag_text,
    source_text=SOURCE_TEXT,
    review_done=DONE,
)


def _detail_page(
    request: Request,
    session: SessionDep,
    user: WebUser,
    job_id: uuid.UUID,
    *,
    status_code: int,
    errors: dict[str, str] | None = None,
    values: dict[str, str] | None = None,
    problem: str | None = None,
) -> HTMLResponse:
    """The detail page again, with what went wrong beside the field and what was typed kept."""
    return detail_page(
        request,
        session,
        user,
        job_id,
        status_code=status_code,
        review_errors=errors or {},
        review_values=values or {},
        review_problem=problem,
    )


async def _values(request: Request) -> dict[str, str]:
    form = await request.form()
    return {k: v for k, v in form.items() if isinstance(v, str) and k != "csrf_token"}


def _note(values: Mapping[str, str]) -> str | None:
    note = values.get("note", "").strip()
    if len(note) > NOTE_MAX:
        raise InputError(f"note: at most {NOTE_MAX:,} characters")
    return note or None


def _act(
    request: Request,
    session: SessionDep,
    user: WebUser,
    job_id: uuid.UUID,
    values: dict[str, str],
    action: Callable[[], None],
    done: str,
) -> Response:
    """Runs one review action (a service function: its own transaction); a refusal shows the page
    again."""
    try:
        action()
    except InputError as exc:
        session.rollback()  # read afresh: the page shows what is stored now
        field, _, reason = str(exc).partition(": ")
        return _detail_page(
            request, session, user, job_id, status_code=422, errors={field: reason}, values=values
        )
    except ConflictError:
        session.rollback()
        now = status_text(JobStatus(jobs.get_or_raise(session, job_id=job_id).status)).label
        return _detail_page(
            request,
            session,
            user,
            job_id,
            status_code=409,
            values=values,
            problem=f"Nothing was changed: this verification is now “{now}”, which does not "
            "allow that. Someone may have acted on it at the same time; see its decisions below.",
        )
    return RedirectResponse(f"/verifications/{job_id}?done={done}#review", status_code=303)


@router.post("/verifications/{job_id}/review")
async def decide(
    request: Request, session: SessionDep, user: BillingForm, job_id: uuid.UUID
) -> Response:
    """Approve or reject (the button pressed), with an optional note."""
    values = await _values(request)
    decision = {"approve": JobStatus.APPROVED, "reject": JobStatus.REJECTED}.get(
        values.get("decision", "")
    )

    def action() -> None:
        if decision is None:
            raise InputError("decision: choose Approve or Reject")
        reviews.review(job_id, decision=decision, note=_note(values), actor=user.actor)

    return _act(request, session, user, job_id, values, action, done=str(decision))


@router.post("/verifications/{job_id}/note")
async def add_note(
    request: Request, session: SessionDep, user: BillingForm, job_id: uuid.UUID
) -> Response:
    values = await _values(request)

    def action() -> None:
        reviews.review(job_id, decision="note", note=_note(values), actor=user.actor)

    return _act(request, session, user, job_id, values, action, done="noted")


def _adjustment(values: Mapping[str, str]) -> Adjustment:
    months = values.get("plan_months", "").strip()
    if months and not months.isdigit():
        raise InputError("plan_months: choose a payment plan from the list")
    try:
        return Adjustment(
            option=values.get("option") or None, plan_months=int(months) if months else None
        )
    except ValidationError as exc:
        raise InputError(f"{exc.errors()[0]['loc'][0]}: choose one from the list") from None


@router.post("/verifications/{job_id}/adjust")
async def adjust(
    request: Request, session: SessionDep, user: BillingForm, job_id: uuid.UUID
) -> Response:
    """Which price option (and payment plan) the patient's printed estimate shows."""
    values = await _values(request)

    def action() -> None:
        reviews.review(
            job_id,
            decision="adjust",
            note=_note(values),
            actor=user.actor,
            adjustment=_adjustment(values),
        )

    return _act(request, session, user, job_id, values, action, done="adjusted")


@router.post("/verifications/{job_id}/consents")
async def record_consent(
    request: Request, session: SessionDep, user: StaffForm, job_id: uuid.UUID
) -> Response:
    """42 CFR Part 2: a consent the patient signed after the verification was submitted."""
    values = await _values(request)
    try:
        consent = to_consent(values)
    except FlatRequestError as exc:
        errors = {e.column: e.reason for e in exc.errors}
        return _detail_page(
            request, session, user, job_id, status_code=422, errors=errors, values=values
        )

    def action() -> None:
        consents.record(job_id, consent=consent, actor=user.actor)

    return _act(request, session, user, job_id, values, action, done="consent_recorded")


@router.post("/verifications/{job_id}/consents/{consent_id}/revoke")
async def revoke_consent(
    request: Request, session: SessionDep, user: StaffForm, job_id: uuid.UUID, consent_id: uuid.UUID
) -> Response:
    """42 CFR Part 2: the patient revoked a consent; recorded (and audited) for later runs."""
    values = await _values(request)

    def action() -> None:
        try:
            revoked_on = date.fromisoformat(values.get("revoked_on", "").strip())
        except ValueError:
            raise InputError("revoked_on: enter the date the patient revoked it") from None
        consents.revoke(job_id, consent_id=consent_id, revoked_on=revoked_on, actor=user.actor)

    return _act(request, session, user, job_id, values, action, done="consent_revoked")


@router.post("/verifications/{job_id}/rerun")
async def rerun(
    request: Request,
    session: SessionDep,
    user: StaffForm,
    job_id: uuid.UUID,
    enqueue: EnqueueDep,
) -> Response:
    values = await _values(request)

    def action() -> None:
        service.rerun(
            job_id, actor=user.actor, enqueue=enqueue, fresh_check=values.get("fresh") == "yes"
        )

    return _act(request, session, user, job_id, values, action, done="rerun")


def _not_there(
    request: Request, user: WebUser, job_id: uuid.UUID, heading: str, why: str
) -> Response:
    return page(
        request,
        "web/message.html",
        user,
        status_code=404,
        heading=heading,
        lines=[why],
        link={"href": f"/verifications/{job_id}", "label": "Back to the verification"},
    )


def _today() -> str:
    return datetime.now(ZoneInfo(get_settings().display_timezone)).date().isoformat()


@router.get("/verifications/{job_id}/estimate", response_class=HTMLResponse)
def patient_estimate(
    request: Request, session: SessionDep, user: Staff, job_id: uuid.UUID
) -> Response:
    """One printable page for the patient: what they are estimated to owe and why."""
    detail = reads.job_detail(session, job_id=job_id, actor=user.actor)
    if not detail.result:
        return _not_there(
            request,
            user,
            job_id,
            "No estimate yet",
            "This verification has no result yet, so there is no estimate to print. "
            "It can be printed once the payers have answered.",
        )
    return page(
        request,
        "web/estimate_print.html",
        user,
        detail=detail,
        view=review_view(detail),
        payer_names=payer_names(),
        printed_on=_today(),
        facility_address=get_settings().facility_address,
    )


@router.get("/verifications/{job_id}/good-faith-estimate", response_class=HTMLResponse)
def good_faith_estimate(
    request: Request, session: SessionDep, user: Staff, job_id: uuid.UUID
) -> Response:
    """The stored Good Faith Estimate, the same document the API serves, inside a staff page."""
    detail = reads.job_detail(session, job_id=job_id, actor=user.actor)
    gfe = detail.result.good_faith_estimate if detail.result else None
    if gfe is None:
        return _not_there(
            request,
            user,
            job_id,
            "No Good Faith Estimate for this verification",
            "A Good Faith Estimate is made only for enrollees who are uninsured or who pay for "
            "themselves (self-pay); this one has none. Print the patient estimate instead.",
        )
    return page(
        request,
        "web/good_faith_estimate.html",
        user,
        detail=detail,
        gfe_html=render_gfe(gfe, standalone=False, show_date=us_date, show_money=money),
    )
