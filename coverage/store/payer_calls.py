"""Payer calls: each question to a payer and its answer (the raw reply encrypted), numbered per
policy; and the recent answer a new call may reuse. Keyword-only, session first."""

import uuid
from datetime import date, datetime

from sqlalchemy import func
from sqlmodel import Session, col, select

from coverage.store.tables import PayerCall


def record(session: Session, *, call: PayerCall) -> None:
    """Numbers the call after the policy's earlier ones: a re-run starts the job's attempts
    again at 1, but its payer calls still follow the first run's."""
    earlier = session.exec(
        select(func.max(PayerCall.attempt)).where(
            PayerCall.job_id == call.job_id, PayerCall.policy_id == call.policy_id
        )
    ).one()
    call.attempt = (earlier or 0) + 1
    session.add(call)


def reusable(
    session: Session,
    *,
    payer_id: str,
    subject_hash: str,
    service_start: date,
    service_end: date,
    since: datetime,
) -> PayerCall | None:
    """The newest answer the payer itself gave (not a reuse) for this person and these dates."""
    return session.exec(
        select(PayerCall)
        .where(
            PayerCall.payer_id == payer_id,
            PayerCall.subject_hash == subject_hash,
            PayerCall.service_start == service_start,
            PayerCall.service_end == service_end,
            PayerCall.outcome == "ok",
            col(PayerCall.reused_from).is_(None),
            col(PayerCall.created_at) >= since,
        )
        .order_by(col(PayerCall.created_at).desc())
    ).first()


def list_for(session: Session, *, job_id: uuid.UUID) -> list[PayerCall]:
    return list(
        session.exec(
            select(PayerCall)
            .where(PayerCall.job_id == job_id)
            .order_by(col(PayerCall.attempt), col(PayerCall.created_at))
        )
    )
