"""Operators' pages (the rule book and the payers) and the auditors' audit-log search.

None of them shows PHI: rule data, payer configuration and audit rows (actors, actions, entity
IDs) only. Payer settings show URLs, IDs and the NAMES of environment variables, never a value
read from the environment."""

import os
import re
from collections import Counter
from dataclasses import dataclass
from typing import Annotated
from urllib.parse import urlencode, urlsplit

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse

from coverage.adapters.guard import PayerHealth, payer_health
from coverage.api.deps import SessionDep
from coverage.api.params import SearchText
from coverage.api.web import users
from coverage.api.web.auth import WebUser, page_for
from coverage.api.web.day_filter import OptionalDay, day_range
from coverage.api.web.render import page
from coverage.core.rule_book import RuleBookUnavailable, current_rulebook
from coverage.core.rule_book_status import status as rule_book_status
from coverage.domain.access import Role
from coverage.domain.payer import PayerConfig
from coverage.settings import get_settings
from coverage.store import audit

router = APIRouter(include_in_schema=False)
# The administrators' page is served with these (one router for the pages without PHI).
router.include_router(users.router)
Operator = Annotated[WebUser, Depends(page_for(Role.OPERATOR))]
Auditor = Annotated[WebUser, Depends(page_for(Role.AUDITOR))]
AUDIT_PAGE_SIZE = 50
SHORT_SHA = 12
# A setting named like a credential is never shown, even if a payer file holds one by mistake.
_SECRET_KEY = re.compile(r"pass|secret|token|key|credential|auth", re.IGNORECASE)


@router.get("/rules", response_class=HTMLResponse)
def rules_page(request: Request, user: Operator) -> HTMLResponse:
    status = rule_book_status()
    files = status.in_force.files if status.in_force else []
    return page(
        request,
        "web/rules.html",
        user,
        status=status,
        files=files,
        kinds=sorted(Counter(f.kind for f in files).items()),
        drafts=[f for f in files if f.status == "draft"],
        short_sha=SHORT_SHA,
    )


@dataclass(frozen=True)
class Limit:
    label: str
    value: str
    from_file: bool


@dataclass(frozen=True)
class Setting:
    key: str
    shown: str
    note: str = ""


@dataclass(frozen=True)
class PayerRow:
    payer: PayerConfig
    file: str
    limits: list[Limit]
    settings: list[Setting]
    health: PayerHealth


def _limits(payer: PayerConfig) -> list[Limit]:
    settings = get_settings()
    own = payer.limits

    def limit(label: str, value: float | None, default: float, unit: str = "") -> Limit:
        chosen = default if value is None else value
        return Limit(label, f"{chosen:g}{unit}", from_file=value is not None)

    return [
        limit(
            "Calls at once (max)",
            own.max_concurrent if own else None,
            settings.payer_max_concurrent,
        ),
        limit(
            "Failures before the circuit opens",
            own.failure_threshold if own else None,
            settings.breaker_failure_threshold,
        ),
        limit(
            "Circuit stays open",
            own.open_seconds if own else None,
            settings.breaker_open_seconds,
            " s",
        ),
        limit(
            "Answers reused for",
            own.cache_seconds if own else None,
            settings.eligibility_cache_seconds,
            " s",
        ),
    ]


def _setting(key: str, value: object) -> Setting:
    """What an operator may see of one adapter setting."""
    if key.endswith("_env"):
        name = str(value)
        present = "set" if os.environ.get(name) else "not set"
        return Setting(key, name, f"environment variable, {present} on this server")
    if _SECRET_KEY.search(key):
        return Setting(key, "(hidden)")
    if isinstance(value, bool):
        return Setting(key, "yes" if value else "no")
    if isinstance(value, int | float):
        return Setting(key, f"{value:g}")
    if isinstance(value, str):
        parts = urlsplit(value)
        if parts.scheme and (parts.username or parts.password):  # credentials in a URL
            return Setting(key, parts._replace(netloc=parts.hostname or "").geturl())
        return Setting(key, value)
    return Setting(key, "(structured value, not shown)")


@router.get("/payers", response_class=HTMLResponse)
def payers_page(request: Request, user: Operator) -> HTMLResponse:
    error = None
    try:
        book = current_rulebook()
        payers = sorted(book.payers.values(), key=lambda p: p.id)
        files = book.payer_files
    except RuleBookUnavailable as exc:  # no good rule book at all: nothing to list
        payers, files, error = [], {}, str(exc)
    health = payer_health([p.id for p in payers])
    rows = [
        PayerRow(
            payer=p,
            file=files.get(p.id, ""),
            limits=_limits(p),
            settings=[_setting(k, v) for k, v in sorted(p.settings.items())],
            health=health[p.id],
        )
        for p in payers
    ]
    return page(request, "web/payers.html", user, rows=rows, error=error)


@router.get("/audit", response_class=HTMLResponse)
def audit_page(
    request: Request,
    session: SessionDep,
    user: Auditor,
    actor: Annotated[SearchText, Query(alias="user")] = "",
    action: Annotated[SearchText, Query()] = "",
    date_from: Annotated[OptionalDay, Query(alias="from")] = None,
    date_to: Annotated[OptionalDay, Query(alias="to")] = None,
    page_number: Annotated[int, Query(alias="page", ge=1, le=100_000)] = 1,
) -> HTMLResponse:
    """The audit log, newest first, searched by user, action and day (both days included)."""
    actor, action = actor.strip(), action.strip()
    since, until = day_range(date_from, date_to)
    rows = audit.list_(
        session,
        actor=actor or None,
        action=action or None,
        since=since,
        until=until,
        limit=AUDIT_PAGE_SIZE + 1,  # one more tells whether a next page exists
        offset=(page_number - 1) * AUDIT_PAGE_SIZE,
    )
    filters = {
        "user": actor,
        "action": action,
        "from": date_from.isoformat() if date_from else "",
        "to": date_to.isoformat() if date_to else "",
    }
    query = urlencode({k: v for k, v in filters.items() if v})
    return page(
        request,
        "web/audit.html",
        user,
        rows=rows[:AUDIT_PAGE_SIZE],
        filters=filters,
        filtered=any(filters.values()),
        actions=audit.actions(session),
        page_number=page_number,
        has_next=len(rows) > AUDIT_PAGE_SIZE,
        page_query=f"&{query}" if query else "",
        first_row=(page_number - 1) * AUDIT_PAGE_SIZE + 1,
        range_error=bool(date_from and date_to and date_to < date_from),
        display_zone=get_settings().display_timezone,
    )
