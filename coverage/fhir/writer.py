"""A verification as a FHIR CoverageEligibilityResponse, for EHRs and practice systems.

Built with fhir.resources' R4B models: 8.x has no R4 package, and CoverageEligibilityResponse has
the same element tree in R4 and R4B. Codes come only from published systems: HL7's benefit-type,
benefit-network, benefit-unit and benefit-term code systems, and X12 service type codes under
their UTG-registered URI. "Remaining" amounts have no HL7 code, so they are typed by text only.
"""

import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from fhir.resources.R4B.coverageeligibilityresponse import CoverageEligibilityResponse

from coverage.domain.eligibility import CostSharing, EligibilityResponse
from coverage.domain.request import Program

X12_SERVICE_TYPES = "https://x12.org/codes/service-type-codes"
BENEFIT_TYPE = "http://terminology.hl7.org/CodeSystem/benefit-type"
BENEFIT_NETWORK = "http://terminology.hl7.org/CodeSystem/benefit-network"
BENEFIT_UNIT = "http://terminology.hl7.org/CodeSystem/benefit-unit"
BENEFIT_TERM = "http://terminology.hl7.org/CodeSystem/benefit-term"
NPI = "http://hl7.org/fhir/sid/us-npi"
JOB_SYSTEM = "urn:iop-coverage:verification-job"
PAYER_SYSTEM = "urn:iop-coverage:payer"

# The X12 service type the IOP benefit is reported under for each program.
SERVICE_TYPE = {
    Program.MENTAL_HEALTH: ("MH", "Mental Health"),
    Program.SUBSTANCE_USE: ("AI", "Substance Abuse"),
    Program.CO_OCCURRING: ("MH", "Mental Health"),
}


@dataclass(frozen=True)
class PolicyAnswer:
    """One policy of a job and what its payer said (None: not asked yet)."""

    policy_id: uuid.UUID
    payer_id: str
    payer_name: str
    checked_at: datetime | None
    response: EligibilityResponse | None
    error: str | None  # the fix hint of a final payer error


def _coding(system: str, code: str, display: str | None = None) -> dict[str, Any]:
    coding = {"system": system, "code": code}
    return {"coding": [coding | ({"display": display} if display else {})]}


def _utc(moment: datetime) -> datetime:
    """FHIR dateTime needs a zone when it has a time; SQLite gives back naive UTC."""
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _money(amount: Decimal) -> dict[str, Any]:
    return {"value": amount, "currency": "USD"}


def _benefits(cs: CostSharing, *, family: bool) -> list[dict[str, Any]]:
    deductible = cs.family_deductible_remaining if family else cs.deductible_remaining
    oop = cs.family_oop_remaining if family else cs.oop_remaining
    benefits: list[dict[str, Any]] = []
    if deductible is not None:
        benefits.append(
            {"type": {"text": "Deductible remaining"}, "allowedMoney": _money(deductible)}
        )
    if oop is not None:
        benefits.append(
            {"type": {"text": "Out-of-pocket maximum remaining"}, "allowedMoney": _money(oop)}
        )
    if family:
        return benefits
    if cs.coinsurance:
        benefits.append(
            {
                "type": _coding(BENEFIT_TYPE, "copay-percent", "Copayment Percent per service"),
                "allowedUnsignedInt": int(cs.coinsurance * 100),
            }
        )
    if cs.copay_per_day:
        benefits.append(
            {
                "type": _coding(BENEFIT_TYPE, "copay", "Copayment per service"),
                "allowedMoney": _money(cs.copay_per_day),
            }
        )
    if cs.day_limit_remaining is not None:
        benefits.append(
            {"type": {"text": "Days remaining"}, "allowedUnsignedInt": cs.day_limit_remaining}
        )
    return benefits


def _items(response: EligibilityResponse, program: Program) -> list[dict[str, Any]]:
    code, display = SERVICE_TYPE[program]
    items: list[dict[str, Any]] = []
    for cs in response.cost_sharing:
        for family in (False, True):
            benefits = _benefits(cs, family=family)
            if not benefits:
                continue
            items.append(
                {
                    "category": _coding(X12_SERVICE_TYPES, code, display),
                    "name": "Intensive outpatient program, per service day",
                    "network": _coding(
                        BENEFIT_NETWORK, "in" if cs.network.value == "in_network" else "out"
                    ),
                    "unit": _coding(BENEFIT_UNIT, "family" if family else "individual"),
                    "term": _coding(BENEFIT_TERM, "annual"),
                    "benefit": benefits,
                }
            )
            if cs.prior_auth_required or cs.prior_auth_stated:  # unknown: left out, not false
                items[-1]["authorizationRequired"] = cs.prior_auth_required
    return items


def _outcome(answer: PolicyAnswer) -> str:
    if answer.error is not None:
        return "error"
    return "queued" if answer.response is None else "complete"


def coverage_eligibility_response(
    *,
    job_id: uuid.UUID,
    enrollee_id: uuid.UUID,
    created: datetime,
    service_period: tuple[date, date],
    program: Program,
    provider_npi: str,
    answer: PolicyAnswer,
    disposition: str | None,
) -> CoverageEligibilityResponse:
    """The payer's answer for one policy of one job; validated by fhir.resources on the way out."""
    response = answer.response
    resource: dict[str, Any] = {
        "resourceType": "CoverageEligibilityResponse",
        "id": f"{job_id}-{answer.policy_id}",
        "status": "active",
        "purpose": ["validation", "benefits"],
        "patient": {"reference": f"Patient/{enrollee_id}"},
        "servicedPeriod": {
            "start": service_period[0].isoformat(),
            "end": service_period[1].isoformat(),
        },
        "created": _utc(answer.checked_at or created).isoformat(),
        "requestor": {"identifier": {"system": NPI, "value": provider_npi}},
        "request": {"identifier": {"system": JOB_SYSTEM, "value": str(job_id)}},
        "outcome": _outcome(answer),
        "insurer": {
            "identifier": {"system": PAYER_SYSTEM, "value": answer.payer_id},
            "display": answer.payer_name,
        },
    }
    if answer.error or disposition:
        resource["disposition"] = answer.error or disposition
    if response is not None:
        insurance: dict[str, Any] = {
            "coverage": {"reference": f"Coverage/{answer.policy_id}"},
            "inforce": response.active,
        }
        if response.plan_begin:
            insurance["benefitPeriod"] = {"start": response.plan_begin.isoformat()} | (
                {"end": response.plan_end.isoformat()} if response.plan_end else {}
            )
        if response.active:
            insurance["item"] = _items(response, program)
        resource["insurance"] = [insurance]
        if response.issues:
            # AAA reject reasons have no published FHIR code system: text only.
            resource["error"] = [
                {"code": {"text": f"AAA {issue.code}: {issue.hint}"}} for issue in response.issues
            ]
    return CoverageEligibilityResponse.model_validate(resource)


# HL7 v3 ActCode 42CFRPart2 (ActPrivacyLaw) marks the resource as a Part 2 record for systems that
# read labels; the narrative carries the 42 CFR 2.32 statement for people who read the resource.
_ACT_CODE = "http://terminology.hl7.org/CodeSystem/v3-ActCode"


def with_part2_notice(
    resource: CoverageEligibilityResponse, notice: str
) -> CoverageEligibilityResponse:
    """The resource labelled as a 42 CFR Part 2 record, with the notice as its narrative."""
    return CoverageEligibilityResponse.model_validate(
        {
            **resource.model_dump(by_alias=True, exclude_none=True),
            "meta": {
                "security": [{"system": _ACT_CODE, "code": "42CFRPart2", "display": "42 CFR Part2"}]
            },
            "text": {
                "status": "additional",
                "div": f'<div xmlns="http://www.w3.org/1999/xhtml"><p>{notice}</p></div>',
            },
        }
    )
