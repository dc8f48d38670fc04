"""Routes for operators (rule book) and auditors (audit log). Neither shows PHI."""

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Query

from coverage.api.deps import Auditor, Operator, SessionDep
from coverage.api.params import SearchText
from coverage.api.schemas import AUTHENTICATED, AuditEntry, problems
from coverage.core.rule_book_status import RuleBookStatus, status
from coverage.store import audit

router = APIRouter(prefix="/api", tags=["operations"], responses=AUTHENTICATED)


@router.get("/rules/status", response_model=RuleBookStatus)
def rules_status(actor: Operator) -> RuleBookStatus:
    """The rule book in force (version, when, files), a refused change with each error at
    file:line:column, data that runs out soon, and what the version in force changed."""
    return status()


@router.get("/audit", response_model=list[AuditEntry], responses=problems(422))
def audit_log(
    actor: Auditor,
    session: SessionDep,
    user: SearchText | None = None,
    action: SearchText | None = None,
    since: Annotated[
        datetime | None, Query(description="ISO 8601; entries at or after (no zone: UTC)")
    ] = None,
    until: Annotated[
        datetime | None, Query(description="ISO 8601; entries before (no zone: UTC)")
    ] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    offset: Annotated[int, Query(ge=0, le=10_000_000)] = 0,
) -> list[AuditEntry]:
    """Newest first."""
    return [
        AuditEntry.model_validate(e, from_attributes=True)
        for e in audit.list_(
            session,
            actor=user,
            action=action,
            since=since,
            until=until,
            limit=limit,
            offset=offset,
        )
    ]
