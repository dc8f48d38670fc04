"""The sandbox payer's FHIR endpoint: the same personas, answered as a CoverageEligibilityResponse.

The request's contained Patient and Coverage become the 270 inquiry they stand for; the persona's
271 is interpreted and rendered by coverage/fhir/writer.py, as a FHIR payer would answer.
"""

import json
import uuid
from datetime import UTC, datetime
from typing import Any

from fhir.resources.R4B.coverageeligibilityrequest import CoverageEligibilityRequest

from coverage.domain.request import Program
from coverage.fhir.writer import X12_SERVICE_TYPES, PolicyAnswer, coverage_eligibility_response
from coverage.sandbox.personas import answer_271
from coverage.x12.codes import SUD_SERVICE_TYPES
from coverage.x12.iop_benefit import IopContext, read_eligibility
from coverage.x12.writer_270 import Envelope270, Inquiry270, Person270, write_interchange

TRACE_SYSTEM = "urn:iop-coverage:trace-number"
_SEX = {"female": "F", "male": "M"}


class RequestError(ValueError):
    """A request the sandbox cannot answer: names the element, never its value."""


def _contained(resource: CoverageEligibilityRequest, kind: str) -> Any:
    found = [r for r in resource.contained or [] if r.get_resource_type() == kind]
    if not found:
        raise RequestError(f"contained {kind}: required")
    return found[0]


def inquiry_from_fhir(body: object) -> Inquiry270:
    try:
        resource = CoverageEligibilityRequest.model_validate(body)
    except ValueError:
        raise RequestError("CoverageEligibilityRequest: invalid") from None
    patient = _contained(resource, "Patient")
    coverage = _contained(resource, "Coverage")
    if not coverage.subscriberId or not patient.name or not patient.birthDate:
        raise RequestError("Coverage.subscriberId, Patient.name and Patient.birthDate: required")
    if resource.servicedPeriod is None or resource.servicedPeriod.start is None:
        raise RequestError("servicedPeriod.start: required")
    trace = next(
        (i.value for i in resource.identifier or [] if i.system == TRACE_SYSTEM and i.value), "01"
    )
    types = tuple(
        str(c.code)
        for item in resource.item or []
        for c in (item.category.coding or [] if item.category else [])
        if c.system == X12_SERVICE_TYPES and c.code
    )
    name = patient.name[0]
    start = resource.servicedPeriod.start
    return Inquiry270(
        payer_name="IOP COVERAGE SANDBOX PAYER",
        payer_id=(resource.insurer.identifier.value if resource.insurer.identifier else "")
        or "SBX01",
        provider_name="PROVIDER",
        provider_id=(
            resource.provider.identifier.value
            if resource.provider and resource.provider.identifier
            else ""
        )
        or "",
        subscriber=Person270(
            last_name=name.family or "",
            first_name=(name.given or [""])[0],
            member_id=coverage.subscriberId,
            birth_date=patient.birthDate,
            gender=_SEX.get(patient.gender or "", "U"),
        ),
        reference="FHIR",
        trace_number=trace,
        trace_originator="9SANDBOX00",
        service_date=start.date() if isinstance(start, datetime) else start,
        service_types=types or ("30",),
    )


def answer_fhir(body: bytes, *, unavailable: bool = False) -> tuple[int, dict[str, Any]]:
    """Status and resource for one request (`unavailable`: AAA 42, as if the payer were down)."""
    try:
        inquiry = inquiry_from_fhir(json.loads(body))
    except (ValueError, RequestError) as exc:
        message = str(exc) if isinstance(exc, RequestError) else "request: not JSON"
        outcome = {"severity": "error", "code": "invalid", "diagnostics": message}
        return 400, {"resourceType": "OperationOutcome", "issue": [outcome]}
    now = datetime.now(UTC)
    segments = answer_271(inquiry, control="0001", now=now, unavailable=unavailable)
    text = write_interchange(
        [segments],
        Envelope270(
            sender_id="SANDBOX", receiver_id="SUBMITTER", interchange_control_number=1, created=now
        ),
        functional_id="HB",
    )
    substance = bool(SUD_SERVICE_TYPES.intersection(inquiry.service_types))
    response = read_eligibility(text, IopContext(inquiry.service_date, substance_use=substance))
    policy = uuid.uuid4()
    resource = coverage_eligibility_response(
        job_id=uuid.uuid4(),
        enrollee_id=uuid.uuid4(),
        created=now,
        service_period=(inquiry.service_date, inquiry.service_end or inquiry.service_date),
        program=Program.SUBSTANCE_USE if substance else Program.MENTAL_HEALTH,
        provider_npi=inquiry.provider_id or "0000000000",
        answer=PolicyAnswer(
            policy_id=policy,
            payer_id="sandbox",
            payer_name="IOP Coverage Sandbox Payer",
            checked_at=now,
            response=response,
            error=None,
        ),
        disposition=None,
    )
    return 200, json.loads(resource.model_dump_json(by_alias=True, exclude_none=True))
