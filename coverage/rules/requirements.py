"""What staff must do, and by when, under one coverage policy for one planned episode."""

import calendar
from datetime import date, timedelta

from coverage.domain.calendar import service_dates
from coverage.domain.findings import Requirement
from coverage.domain.payer import PayerConfig
from coverage.domain.request import Plan
from coverage.rules.policy_schema import (
    Certification,
    ConcurrentReview,
    CoveragePolicyFile,
    PriorAuthorization,
    Sourced,
)


def status_of(model: CoveragePolicyFile, part: Sourced) -> str:
    return part.status or model.status


def business_days_after(day: date, count: int) -> date:
    while count > 0:
        day += timedelta(days=1)
        count -= day.weekday() < 5
    return day


def add_months(day: date, months: int) -> date:
    """Same day of the month `months` later, or the month's last day when it has fewer days."""
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def requirements_for(
    payer: PayerConfig, model: CoveragePolicyFile, plan: Plan
) -> list[Requirement]:
    days = service_dates(plan)
    out: list[Requirement] = []
    if model.prior_authorization is not None:
        out += _prior_authorization(payer, model, model.prior_authorization, days)
    if model.referral is not None and model.referral.required:
        out.append(
            Requirement(
                code="referral",
                due=days[0],
                text=f"Referral by {model.referral.by} before the first IOP day.",
                rule=f"{model.id}/referral",
                status=status_of(model, model.referral),
            )
        )
    if model.certification is not None and model.certification.required:
        out += _certification(model, model.certification, days)
    if model.concurrent_review is not None:
        out += _concurrent_review(payer, model, model.concurrent_review, days)
    return out


def _prior_authorization(
    payer: PayerConfig, model: CoveragePolicyFile, pa: PriorAuthorization, days: list[date]
) -> list[Requirement]:
    start, rule, status = days[0], f"{model.id}/prior-authorization", status_of(model, pa)
    note = f" {pa.note}" if pa.note else ""
    out: list[Requirement] = []
    if pa.required == "always":
        text = f"Prior authorization from {payer.name} before the first IOP day.{note}"
        due = start - timedelta(days=pa.lead_days)
        out.append(
            Requirement(code="prior_authorization", text=text, due=due, rule=rule, status=status)
        )
    elif pa.required == "plan_decides":
        text = f"Ask {payer.name} whether IOP needs prior authorization.{note}"
        out.append(
            Requirement(code="prior_authorization", text=text, due=start, rule=rule, status=status)
        )
    if pa.exempt_first_weeks or pa.exempt_first_visits:
        window, ends = [], []
        if pa.exempt_first_weeks:
            window.append(f"{pa.exempt_first_weeks} weeks")
            ends.append(start + timedelta(weeks=pa.exempt_first_weeks))
        if pa.exempt_first_visits:
            window.append(f"{pa.exempt_first_visits} visits")
            if pa.exempt_first_visits < len(days):
                ends.append(days[pa.exempt_first_visits])  # the first visit after the window
        review_from = min(ends) if ends else None
        until = f", until {review_from.isoformat()}" if review_from else ""
        out.append(
            Requirement(
                code="no_review_window",
                text=f"No prior authorization or concurrent review for the first "
                f"{' or '.join(window)} (whichever comes first){until}.",
                due=review_from,
                rule=rule,
                status=status,
            )
        )
    if pa.notify_within_business_days is not None:
        out.append(
            Requirement(
                code="notify_payer",
                text=f"Notify {payer.name} of the start of treatment and the initial plan within "
                f"{pa.notify_within_business_days} business days.",
                due=business_days_after(start, pa.notify_within_business_days),
                rule=rule,
                status=status,
            )
        )
    if pa.consult_by_day is not None:
        out.append(
            Requirement(
                code="consultation",
                text=f"Periodic consultation with {payer.name} by treatment day {pa.consult_by_day}.",
                due=start + timedelta(days=pa.consult_by_day - 1),
                rule=rule,
                status=status,
            )
        )
    return out


def _certification(
    model: CoveragePolicyFile, cert: Certification, days: list[date]
) -> list[Requirement]:
    rule, status = f"{model.id}/certification", status_of(model, cert)
    hours = (
        f" of the need for at least {cert.min_hours_per_week:f} hours a week"
        if cert.min_hours_per_week
        else ""
    )
    out = [
        Requirement(
            code="certification",
            due=days[0],
            text=f"Physician certification{hours}, with a written plan of care.",
            rule=rule,
            status=status,
        )
    ]
    for code, every in (
        ("recertification", cert.recertify_every_months),
        ("plan_review", cert.plan_review_every_months),
    ):
        if every is None:
            continue
        due = add_months(days[0], every)
        while due <= days[-1]:
            text = f"{code.replace('_', ' ').capitalize()} due (every {every} months)."
            out.append(Requirement(code=code, due=due, text=text, rule=rule, status=status))
            due = add_months(due, every)
    out += [
        Requirement(code="documentation", text=text, rule=rule, status=status)
        for text in cert.documentation
    ]
    return out


def _concurrent_review(
    payer: PayerConfig, model: CoveragePolicyFile, review: ConcurrentReview, days: list[date]
) -> list[Requirement]:
    rule, status = f"{model.id}/concurrent-review", status_of(model, review)
    out: list[Requirement] = []
    if review.every_sessions:
        every = review.every_sessions
        out += [
            Requirement(
                code="concurrent_review",
                due=days[n - 1],
                text=f"Concurrent review with {payer.name} after session {n} (every {every} sessions).",
                rule=rule,
                status=status,
            )
            for n in range(every, len(days), every)
        ]
    if review.every_days:
        due = days[0] + timedelta(days=review.every_days)
        while due <= days[-1]:
            out.append(
                Requirement(
                    code="concurrent_review",
                    due=due,
                    text=f"Concurrent review with {payer.name} (every {review.every_days} days).",
                    rule=rule,
                    status=status,
                )
            )
            due += timedelta(days=review.every_days)
    return out
