"""A payer's answer saved to a file, read the way the adapters read it on the wire: an X12 271
interchange, a clearinghouse's JSON rendering of a 271, a FHIR CoverageEligibilityResponse, or a
phone answer staff recorded (JSON, as `iop-coverage phone record` takes it).
The format is told from the content, never from the file name (`iop-coverage x12 read`)."""

import json
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from enum import StrEnum
from typing import Any

from pydantic import ValidationError

from coverage.adapters.manual import normalize
from coverage.domain.eligibility import EligibilityResponse
from coverage.domain.phone import PhoneAnswer
from coverage.domain.request import Program
from coverage.errors import CoverageError
from coverage.fhir.reader import FhirShapeError, read_fhir_response
from coverage.x12.envelope import read_interchange
from coverage.x12.errors import X12ParseError
from coverage.x12.iop_benefit import IopContext, interpret_responses, payer_error
from coverage.x12.json_271 import JsonShapeError, read_json_271
from coverage.x12.reader_271 import DEPENDENT, Response271, read_271


class AnswerFormat(StrEnum):
    X12 = "x12_271"
    CLEARINGHOUSE_JSON = "clearinghouse_json"
    FHIR = "fhir"
    PHONE = "phone_answer"


FORMAT_NAMES = {
    AnswerFormat.X12: "X12 271",
    AnswerFormat.CLEARINGHOUSE_JSON: "clearinghouse JSON 271",
    AnswerFormat.FHIR: "FHIR CoverageEligibilityResponse",
    AnswerFormat.PHONE: "phone answer (a recorded call)",
}


class UnreadableAnswer(CoverageError):
    """The content is not an answer this service reads; the text names no value it holds."""


@dataclass(frozen=True, slots=True)
class Member:
    """A subscriber or dependent the answer is about, as the file names them."""

    role: str  # "subscriber" or "dependent"
    name: str
    member_id: str
    birth_date: date | None


@dataclass(frozen=True, slots=True)
class SavedAnswer:
    format: AnswerFormat
    transaction_sets: int
    members: tuple[Member, ...]
    response: EligibilityResponse
    warnings: tuple[str, ...]

    @property
    def stops_verification(self) -> str | None:
        """Why a verification would stop on this answer (a request-level reject), or None."""
        error = payer_error(self.response)
        if error is None:
            return None
        kind = "final" if error.permanent else "retried automatically"
        return f"{error} ({kind})"


def context_for(service_date: date, program: Program) -> IopContext:
    """Substance use programs look for the SUD service types first; co-occurring programs read
    both benefits, each on its own (the verification decides which one prices)."""
    return IopContext(
        service_date=service_date,
        substance_use=program is not Program.MENTAL_HEALTH,
        both=program is Program.CO_OCCURRING,
    )


def read_saved_answer(text: str, *, service_date: date, program: Program) -> SavedAnswer:
    """Raises only UnreadableAnswer (X12 errors keep their segment and position)."""
    body = text.lstrip("\ufeff \t\r\n")
    context = context_for(service_date, program)
    if body.startswith("ISA"):
        return _x12(text, context)
    if body.startswith(("{", "[")):
        return _json(text, context)
    raise UnreadableAnswer(
        "not an X12 271, a clearinghouse JSON answer or a FHIR CoverageEligibilityResponse"
        " (an X12 file starts with ISA, a JSON answer with {)"
    )


def _x12(text: str, context: IopContext) -> SavedAnswer:
    try:
        codes = {ts.code for ts in read_interchange(text).transaction_sets}
        if "270" in codes and "271" not in codes:
            raise UnreadableAnswer("this is a 270 request, not a 271 answer")
        parsed = read_271(text)
    except X12ParseError as exc:
        raise UnreadableAnswer(str(exc)) from None
    if not parsed.responses:
        raise UnreadableAnswer("the interchange holds no 271 transaction set")
    response = interpret_responses(parsed.responses, raw=text, context=context)
    return SavedAnswer(
        format=AnswerFormat.X12,
        transaction_sets=len(parsed.responses),
        members=_members(parsed.responses),
        response=response,
        warnings=tuple(str(w) for w in parsed.warnings),
    )


def _json(text: str, context: IopContext) -> SavedAnswer:
    try:
        body = json.loads(text, parse_float=Decimal)  # amounts never pass through float
    except json.JSONDecodeError as exc:
        raise UnreadableAnswer(f"not valid JSON (line {exc.lineno}, column {exc.colno})") from None
    except ValueError:
        raise UnreadableAnswer("not valid JSON") from None
    if isinstance(body, dict) and {"representative_name", "call_reference"} <= body.keys():
        return _phone(body, context)
    resource_type = body.get("resourceType") if isinstance(body, dict) else None
    try:
        if resource_type == "CoverageEligibilityResponse":
            kind, responses = AnswerFormat.FHIR, read_fhir_response(body)
        elif isinstance(resource_type, str):
            raise UnreadableAnswer(
                "a FHIR resource that is not a CoverageEligibilityResponse"
                + (
                    " (a CoverageEligibilityRequest asks, it does not answer)"
                    if "Request" in resource_type
                    else ""
                )
            )
        else:
            kind, responses = AnswerFormat.CLEARINGHOUSE_JSON, read_json_271(body)
    except (JsonShapeError, FhirShapeError) as exc:
        raise UnreadableAnswer(
            f"{FORMAT_NAMES.get(_guess(resource_type), 'JSON')}: {exc}"
        ) from None
    media = "application/fhir+json" if kind is AnswerFormat.FHIR else "application/json"
    response = interpret_responses(responses, raw=text, context=context, media_type=media)
    return SavedAnswer(
        format=kind,
        transaction_sets=len(responses),
        members=_members(responses),
        response=response,
        warnings=(),
    )


def _phone(body: dict[str, Any], context: IopContext) -> SavedAnswer:
    """A call as staff record it (`iop-coverage phone record`), read as the manual adapter does."""
    try:
        entry = PhoneAnswer.model_validate(body)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "the answer"
        raise UnreadableAnswer(f"phone answer: {where}: {first['msg']}") from None
    return SavedAnswer(
        format=AnswerFormat.PHONE,
        transaction_sets=1,
        members=(),
        response=normalize(entry, context),
        warnings=(),
    )


def _guess(resource_type: object) -> AnswerFormat:
    return AnswerFormat.FHIR if resource_type is not None else AnswerFormat.CLEARINGHOUSE_JSON


def _members(responses: list[Response271]) -> tuple[Member, ...]:
    found = []
    for response in responses:
        for party in response.members():
            name = party.name
            shown = (
                ", ".join(p for p in (name.last_or_organization, name.first) if p) if name else ""
            )
            found.append(
                Member(
                    role="dependent" if party.level == DEPENDENT else "subscriber",
                    name=shown,
                    member_id=name.id if name else "",
                    birth_date=party.birth_date,
                )
            )
    return tuple(found)
