"""FHIR R4 eligibility: POST a CoverageEligibilityRequest, read the CoverageEligibilityResponse.

Built with fhir.resources' R4B models (8.x has no R4 package; both resources have the same
element tree in R4 and R4B). The patient and coverage travel as contained resources, so the
payer needs no prior Patient or Coverage on its side. Settings from the payer file
(`adapter: fhir`); the bearer token is named by environment variable:

    settings:
      url: https://fhir.example-payer.test/r4/CoverageEligibilityRequest
      insurer_id: "60054"
      insurer_name: Example Health Plan
      token_env: EXAMPLE_PAYER_FHIR_TOKEN
"""

import json
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any, ClassVar

import requests
from fhir.resources.R4B.coverageeligibilityrequest import CoverageEligibilityRequest
from pydantic import BaseModel, Field

from coverage.adapters import http
from coverage.adapters.payer_settings import HttpSettings, read_settings, secret
from coverage.domain.eligibility import EligibilityRequest, EligibilityResponse
from coverage.domain.payer import PayerConfig
from coverage.domain.request import Sex
from coverage.errors import PayerPermanentError, PayerTransientError, RawReply
from coverage.fhir.reader import FhirShapeError, read_fhir_response
from coverage.fhir.writer import NPI, PAYER_SYSTEM, X12_SERVICE_TYPES
from coverage.x12.iop_benefit import IopContext, interpret_responses, payer_error

MEDIA_TYPE = "application/fhir+json"
TRACE_SYSTEM = "urn:iop-coverage:trace-number"
_GENDER = {"F": "female", "M": "male", "U": "unknown"}
# Our Relationship values are codes of this HL7 system (self, spouse, child, other).
SUBSCRIBER_RELATIONSHIP = "http://terminology.hl7.org/CodeSystem/subscriber-relationship"


class FhirSettings(HttpSettings):
    """`url`: where the CoverageEligibilityRequest is POSTed."""

    insurer_id: str = Field(min_length=1, max_length=80)
    insurer_system: str = Field(default=PAYER_SYSTEM, min_length=1, max_length=200)
    insurer_name: str = Field(min_length=1, max_length=120)
    token_env: str | None = None
    read_timeout: float = Field(default=25.0, gt=0, le=120)


def settings_for(payer: PayerConfig) -> FhirSettings:
    return read_settings(FhirSettings, payer, adapter="fhir")


def _headers(settings: FhirSettings, payer: PayerConfig) -> dict[str, str]:
    headers = {"Content-Type": MEDIA_TYPE, "Accept": MEDIA_TYPE}
    if settings.token_env is not None:
        token = secret(settings.token_env, payer, what="the payer's FHIR token")
        headers["Authorization"] = f"Bearer {token}"
    return headers


def _person(id: str, first_name: str, last_name: str, birth_date: date, sex: Sex) -> dict[str, Any]:
    return {
        "resourceType": "Patient",
        "id": id,
        "name": [{"family": last_name, "given": [first_name]}],
        "birthDate": birth_date.isoformat(),
        "gender": _GENDER[sex.value],
    }


def request_resource(
    request: EligibilityRequest, settings: FhirSettings, *, now: datetime
) -> CoverageEligibilityRequest:
    """The request as a validated R4B resource. Holds PHI: never log it."""
    insurer = {
        "identifier": {"system": settings.insurer_system, "value": settings.insurer_id},
        "display": settings.insurer_name,
    }
    resource: dict[str, Any] = {
        "resourceType": "CoverageEligibilityRequest",
        "identifier": [{"system": TRACE_SYSTEM, "value": request.trace_number}],
        "status": "active",
        "purpose": ["validation", "benefits"],
        "contained": [
            _person(
                "patient", request.first_name, request.last_name, request.birth_date, request.sex
            ),
            *(
                [
                    _person(
                        "subscriber",
                        holder.first_name,
                        holder.last_name,
                        holder.birth_date,
                        holder.sex,
                    )
                ]
                if (holder := request.subscriber)
                else []
            ),
            {
                "resourceType": "Coverage",
                "id": "coverage",
                "status": "active",
                "subscriberId": request.member_id,
                "subscriber": {"reference": "#subscriber" if holder else "#patient"},
                "beneficiary": {"reference": "#patient"},
                "relationship": {
                    "coding": [
                        {"system": SUBSCRIBER_RELATIONSHIP, "code": request.relationship.value}
                    ]
                },
                "payor": [insurer],
            },
        ],
        "patient": {"reference": "#patient"},
        "servicedPeriod": {
            "start": request.service_start.isoformat(),
            "end": request.service_end.isoformat(),
        },
        "created": now.astimezone(UTC).isoformat(),
        "provider": {"identifier": {"system": NPI, "value": request.provider_npi}},
        "insurer": insurer,
        "insurance": [{"focal": True, "coverage": {"reference": "#coverage"}}],
        "item": [
            {"category": {"coding": [{"system": X12_SERVICE_TYPES, "code": stc}]}}
            for stc in request.service_types
        ],
    }
    return CoverageEligibilityRequest.model_validate(resource)


class FhirAdapter:
    name: ClassVar[str] = "fhir"
    settings_model: ClassVar[type[BaseModel]] = FhirSettings

    def __init__(self, session: requests.Session | None = None) -> None:
        self._session = session or requests.Session()

    def check(self, request: EligibilityRequest, *, payer: PayerConfig) -> EligibilityResponse:
        settings = settings_for(payer)
        resource = request_resource(request, settings, now=datetime.now(UTC))
        response = http.post(
            self._session,
            settings.url,
            payer=payer.id,
            timeout=(settings.connect_timeout, settings.read_timeout),
            data=resource.model_dump_json(by_alias=True, exclude_none=True).encode(),
            headers=_headers(settings, payer),
        )
        raw = response.text
        # The answer that was rejected or could not be read is kept with the call.
        with http.replying(RawReply(payload=raw, media_type=MEDIA_TYPE)):
            try:
                body = json.loads(raw, parse_float=Decimal)  # amounts never pass through float
                outcome = body.get("outcome") if isinstance(body, dict) else None
                read = read_fhir_response(body)
            except (ValueError, FhirShapeError) as exc:
                reason = str(exc) if isinstance(exc, FhirShapeError) else "not JSON"
                raise PayerTransientError(
                    f"payer {payer.id} sent an unreadable eligibility response ({reason})",
                    action="The payer's answer could not be read; the payer call is retried automatically.",
                ) from None
            context = IopContext.asked(request.service_start, request.service_types)
            result = interpret_responses(read, raw=raw, context=context, media_type=MEDIA_TYPE)
            error = payer_error(result)
            if error is not None:
                raise error
            if outcome == "queued":
                raise PayerTransientError(
                    f"payer {payer.id} queued the request without an answer",
                    action="The payer has not answered yet; the payer call is retried automatically.",
                )
            if outcome == "error":
                raise PayerPermanentError(
                    f"payer {payer.id} answered outcome error without an error code",
                    action="The payer reported an error without a reason: call the payer, then "
                    "record what they say as a phone verification.",
                )
            return result
