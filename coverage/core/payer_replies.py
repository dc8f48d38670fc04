"""Billing's view of a job's payer calls and each reply as it came: text and a readable tree.

Only billing reads them (a reply is the payer's whole answer about the patient; billing reviews
results, admissions submits and sees its own jobs' results). Every read leaves an audit entry
naming the job and the call, never what the reply says.
"""

import json
import uuid
from typing import Any

from pydantic import BaseModel
from sqlmodel import Session

from coverage.core.rule_book import payers_in_force
from coverage.core.views import datetime as utc_datetime
from coverage.domain.access import Actor, Role
from coverage.errors import NotFoundError
from coverage.store import audit, payer_calls
from coverage.store.tables import PayerCall, VerificationJob
from coverage.x12.errors import X12ParseError
from coverage.x12.reply_tree import Node, read_reply

OUTCOMES = {
    "ok": "The payer answered",
    "reused": "A recent answer from this payer was reused; no new call was made",
    "transient_error": "The payer could not answer then; the call was tried again later",
    "permanent_error": "The payer refused or rejected the request",
    "error": "The call failed inside the service",
}
# The manual adapter contacts no payer: its call ends asking staff to phone, not in a refusal.
PHONE_ONLY = "No electronic check: this payer is verified by phone"
# What the text view holds, by adapter: the in-process sandbox keeps its own normalized JSON.
TEXT_TITLES = {"sandbox": "The sandbox's answer (simulated payer), as text"}
# A hostile reply must not make a page of millions of nodes or recurse without end.
MAX_NODES = 20_000
MAX_DEPTH = 40


class ReplyNode(BaseModel):
    label: str
    segment: str | None = None  # an X12 segment as it came
    children: list["ReplyNode"] = []


class PayerCallRow(BaseModel):
    id: uuid.UUID
    attempt: int
    payer_id: str | None
    payer_name: str
    at: utc_datetime
    outcome: str
    outcome_text: str
    error: str
    elapsed_ms: int
    raw_sha256: str | None
    reply_kept: bool
    not_kept: str = ""  # why there is no reply ("reply over 5 MB, not kept"), when known
    adapter: str = ""  # how the payer was asked (x12, sandbox, manual...)


class PayerReply(BaseModel):
    call: PayerCallRow
    media_type: str
    kind: str  # x12, json or text
    lines: list[str]  # as text: X12 one segment a line, anything else its own lines
    tree: list[ReplyNode]
    note: str = ""  # why the tree is missing or shortened
    text_title: str = "The reply as text"


def _job(session: Session, *, job_id: uuid.UUID, actor: Actor) -> VerificationJob:
    job = session.get(VerificationJob, job_id)
    if job is None or actor.role is not Role.BILLING:
        raise NotFoundError(f"no verification job {job_id}")
    return job


def _row(call: PayerCall, source: PayerCall, names: dict[str, str]) -> PayerCallRow:
    raw = source.raw or {}
    return PayerCallRow(
        id=call.id,
        attempt=call.attempt,
        payer_id=call.payer_id,
        payer_name=names.get(call.payer_id or "", call.payer_id or call.adapter),
        at=call.created_at,
        outcome=call.outcome,
        outcome_text=PHONE_ONLY
        if call.adapter == "manual"
        else OUTCOMES.get(call.outcome, call.outcome),
        error=call.error,
        elapsed_ms=call.elapsed_ms,
        raw_sha256=source.raw_sha256,
        reply_kept=raw.get("payload") is not None,
        not_kept=raw.get("not_kept", ""),
        adapter=call.adapter,
    )


def _source(session: Session, call: PayerCall) -> PayerCall:
    """A reused answer's reply is the one of the call that got it."""
    if call.reused_from is not None:
        return session.get(PayerCall, call.reused_from) or call
    return call


def _names() -> dict[str, str]:
    return {payer_id: payer.name for payer_id, payer in payers_in_force().items()}


def calls(session: Session, *, job_id: uuid.UUID, actor: Actor) -> list[PayerCallRow]:
    """The job's payer calls, oldest first (no reply text); audited."""
    job = _job(session, job_id=job_id, actor=actor)
    names = _names()
    rows = [
        _row(c, _source(session, c), names) for c in payer_calls.list_for(session, job_id=job_id)
    ]
    audit.record(
        session,
        actor=actor,
        action="payer_reply.list",
        entity_type="job",
        entity_id=job_id,
        part2=job.part2,
        detail=f"{len(rows)} payer calls",
    )
    session.commit()
    return rows


def replies(session: Session, *, job_id: uuid.UUID, actor: Actor) -> list[PayerReply]:
    """Every call of the job with its reply, for the billing page; one audit entry per reply."""
    job = _job(session, job_id=job_id, actor=actor)
    names = _names()
    shown = [
        _reply(session, call, names, job=job, actor=actor)
        for call in payer_calls.list_for(session, job_id=job_id)
    ]
    session.commit()
    return shown


def reply(session: Session, *, job_id: uuid.UUID, call_id: uuid.UUID, actor: Actor) -> PayerReply:
    """One call's reply; audited."""
    job = _job(session, job_id=job_id, actor=actor)
    call = session.get(PayerCall, call_id)
    if call is None or call.job_id != job_id:
        raise NotFoundError(f"verification job {job_id} has no payer call {call_id}")
    shown = _reply(session, call, _names(), job=job, actor=actor)
    session.commit()
    return shown


def _reply(
    session: Session, call: PayerCall, names: dict[str, str], *, job: VerificationJob, actor: Actor
) -> PayerReply:
    source = _source(session, call)
    audit.record(
        session,
        actor=actor,
        action="payer_reply.read",
        entity_type="job",
        entity_id=job.id,
        part2=job.part2,
        detail=f"payer call {call.id}",
    )
    row = _row(call, source, names)
    raw = source.raw or {}
    payload = raw.get("payload")
    media_type = str(raw.get("media_type", ""))
    if payload is None:
        note = row.not_kept or "No reply was received for this call."
        return PayerReply(
            call=row, media_type=media_type, kind="none", lines=[], tree=[], note=note
        )
    shown = view(str(payload), media_type, row)
    if source.adapter in TEXT_TITLES:
        shown.text_title = TEXT_TITLES[source.adapter]
    return shown


def view(payload: str, media_type: str, row: PayerCallRow) -> PayerReply:
    """The reply as text and as a tree: X12 by its segments, JSON by its keys."""
    if payload.lstrip("\ufeff \t\r\n").startswith("ISA"):
        try:
            x12 = read_reply(payload)
        except X12ParseError:
            pass
        else:
            budget = _Budget()
            tree = [_from_x12(n, budget, 0) for n in x12.tree]
            return PayerReply(
                call=row,
                media_type=media_type,
                kind="x12",
                lines=x12.lines,
                tree=tree,
                note=budget.note,
            )
    lines = payload.splitlines()
    if "json" in media_type or payload.lstrip()[:1] in ("{", "["):
        try:
            data = json.loads(payload, parse_float=_Number, parse_int=_Number)
        except (ValueError, RecursionError):
            pass
        else:
            budget = _Budget()
            tree = json_tree(data, budget)
            return PayerReply(
                call=row,
                media_type=media_type,
                kind="json",
                lines=_pretty_lines(data, lines),
                tree=tree,
                note=budget.note,
            )
    return PayerReply(
        call=row,
        media_type=media_type,
        kind="text",
        lines=lines,
        tree=[],
        note="This reply is neither X12 nor JSON that could be read; it is shown as text only.",
    )


class _Number(str):
    """A JSON number kept as sent (no float rounding), printed bare in the text view."""


def _pretty(data: Any, depth: int = 0) -> str:
    """JSON indented by 2, numbers exactly as the payer sent them."""
    pad, inner = "  " * depth, "  " * (depth + 1)
    if isinstance(data, dict) and data:
        items = [f"{inner}{json.dumps(str(k))}: {_pretty(v, depth + 1)}" for k, v in data.items()]
        return "{\n" + ",\n".join(items) + f"\n{pad}}}"
    if isinstance(data, list) and data:
        items = [f"{inner}{_pretty(v, depth + 1)}" for v in data]
        return "[\n" + ",\n".join(items) + f"\n{pad}]"
    if isinstance(data, _Number):
        return str.__str__(data)
    return json.dumps(data)


def _pretty_lines(data: Any, as_sent: list[str]) -> list[str]:
    try:
        return _pretty(data).splitlines()
    except RecursionError:  # nested deeper than printing allows: as it came
        return as_sent


class _Budget:
    def __init__(self) -> None:
        self.left = MAX_NODES
        self.note = ""

    def take(self) -> bool:
        self.left -= 1
        if self.left < 0:
            self.note = f"The tree is shortened to its first {MAX_NODES:,} entries."
        return self.left >= 0


def _from_x12(node: Node, budget: _Budget, depth: int) -> ReplyNode:
    budget.take()
    if depth >= MAX_DEPTH and node.children:
        budget.note = f"The tree is shortened: levels deeper than {MAX_DEPTH} are not shown."
    children = [
        _from_x12(c, budget, depth + 1)
        for c in node.children
        if depth < MAX_DEPTH and budget.left > 0
    ]
    return ReplyNode(label=node.label, segment=node.segment, children=children)


def json_tree(data: Any, budget: _Budget | None = None) -> list[ReplyNode]:
    """An indented tree of keys and values, values as sent (numbers too)."""
    budget = budget or _Budget()
    return _json_children(data, budget, 0)


def _json_children(data: Any, budget: _Budget, depth: int) -> list[ReplyNode]:
    if isinstance(data, dict):
        items = [(str(k), v) for k, v in data.items()]
    elif isinstance(data, list):
        items = [(f"item {i}", v) for i, v in enumerate(data, start=1)]
    else:
        return [ReplyNode(label=_scalar(data))] if budget.take() else []
    nodes = []
    for key, value in items:
        if not budget.take():
            break
        if isinstance(value, dict | list):
            noun = "key" if isinstance(value, dict) else "item"
            size = f" ({len(value)} {noun}{'' if len(value) == 1 else 's'})"
            deeper = (
                _json_children(value, budget, depth + 1)
                if depth < MAX_DEPTH
                else [ReplyNode(label="… deeper levels not shown")]
            )
            nodes.append(ReplyNode(label=key + size, children=deeper))
        else:
            nodes.append(ReplyNode(label=f"{key}: {_scalar(value)}"))
    return nodes


def _scalar(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)
