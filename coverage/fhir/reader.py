"""A payer's FHIR R4 CoverageEligibilityResponse read into the typed 271 model, so the X12
interpretation (coverage/x12/iop_benefit.py) chooses the IOP benefit for FHIR answers too.

Mapping (HL7 FHIR R4B CoverageEligibilityResponse,
hl7.org/fhir/R4B/coverageeligibilityresponse.html): `insurance.inforce` -> EB 1 / EB 6 for
service type 30;
`benefitPeriod` -> plan begin/end; each `item` -> one EB line per benefit, with `category`
(X12 service type codes) -> EB03, `network` in/out -> EB12 Y/N, `unit` individual/family ->
EB02, `term` annual/day/lifetime -> EB06 23/7/32, `authorizationRequired` -> EB11,
`excluded` -> EB I. Benefit types: HL7 `deductible` (EB C), `copay` (EB B), `copay-percent`
(EB A, an unsignedInt percent), `visit` (EB F in visits); our own FHIR output's text-only
"... remaining" types (coverage/fhir/writer.py) are read as remaining amounts, "out-of-pocket" as
EB G. `allowed[x]` is the plan amount and `used[x]` what is used so far (EB06 24), from which the
interpretation computes what remains. `error[]` -> AAA with the reject reason taken from the
coding, or from text starting "AAA <code>".
"""

import re
from decimal import Decimal
from typing import Any

from fhir.resources.R4B.coverageeligibilityresponse import (
    CoverageEligibilityResponse,
    CoverageEligibilityResponseInsuranceItem,
    CoverageEligibilityResponseInsuranceItemBenefit,
)

from coverage.domain.money import cents
from coverage.fhir.writer import BENEFIT_NETWORK, BENEFIT_TERM, BENEFIT_UNIT, X12_SERVICE_TYPES
from coverage.x12.reader_271 import (
    RECEIVER,
    SOURCE,
    SUBSCRIBER,
    DatePeriod,
    EligibilityBenefit,
    Name,
    Party,
    RequestValidation,
    Response271,
)
from coverage.x12.writer_270 import VERSION

ERROR_LOOP = "CoverageEligibilityResponse.error"
_NETWORK = {"in": "Y", "out": "N"}
_UNIT = {"individual": "IND", "family": "FAM"}
_TERM = {"annual": "23", "day": "7", "lifetime": "32"}
_BENEFIT_CODE = {"deductible": "C", "copay": "B", "copay-percent": "A", "visit": "F"}
_AAA = re.compile(r"^\s*AAA\s+([0-9A-Z]{1,3})\b")


class FhirShapeError(ValueError):
    """The resource cannot be read; names the element, never a value (PHI)."""


def _code(concept: Any, system: str | None = None) -> str:
    for coding in (concept.coding or []) if concept is not None else []:
        if system is None or coding.system == system:
            return str(coding.code or "")
    return ""


def _kind(benefit: CoverageEligibilityResponseInsuranceItemBenefit) -> tuple[str, bool]:
    """EB01 for a benefit type, and whether its allowed amount is what remains."""
    code = _code(benefit.type)
    text = (benefit.type.text or "").lower()
    remaining = "remaining" in text
    if code in _BENEFIT_CODE:
        return _BENEFIT_CODE[code], remaining
    if "out-of-pocket" in text or "out of pocket" in text:
        return "G", remaining
    if "deductible" in text:
        return "C", remaining
    if "days" in text or "visits" in text:
        return "F", remaining
    return "", remaining


def _lines(
    item: CoverageEligibilityResponseInsuranceItem, number: int, *, inforce: bool
) -> list[EligibilityBenefit]:
    types = tuple(
        str(c.code)
        for c in (item.category.coding or [] if item.category else [])
        if c.system == X12_SERVICE_TYPES and c.code
    )
    common: dict[str, Any] = {
        "coverage_level": _UNIT.get(_code(item.unit, BENEFIT_UNIT), ""),
        "service_types": types,
        "insurance_type": "",
        "plan_description": "",
        "authorization": {True: "Y", False: "N"}.get(item.authorizationRequired, ""),  # type: ignore[arg-type]
        "in_network": _NETWORK.get(_code(item.network, BENEFIT_NETWORK), ""),
        "procedure": (),
        "messages": [item.description] if item.description else [],
    }
    term = _TERM.get(_code(item.term, BENEFIT_TERM), "")
    lines: list[EligibilityBenefit] = []

    def add(code: str, period: str, **values: Any) -> None:
        fields = {"amount": None, "percent": None, "quantity_qualifier": "", "quantity": None}
        lines.append(
            EligibilityBenefit(
                code=code,
                time_period=period,
                segment_number=number + len(lines),
                **common,
                **(fields | values),
            )
        )

    if item.excluded:
        add("I", term)
    elif inforce and item.authorizationRequired is not None:
        # As an X12 payer says it: active coverage for these services, EB11 = authorization.
        add("1", "")
    for benefit in item.benefit or []:
        code, remaining = _kind(benefit)
        period = "29" if remaining else term
        if code in ("C", "G", "B"):
            if benefit.allowedMoney is not None and benefit.allowedMoney.value is not None:
                add(code, period, amount=cents(Decimal(str(benefit.allowedMoney.value))))
            if benefit.usedMoney is not None and benefit.usedMoney.value is not None:
                add(code, "24", amount=cents(Decimal(str(benefit.usedMoney.value))))
        elif code == "A" and benefit.allowedUnsignedInt is not None:
            add(code, "", percent=Decimal(benefit.allowedUnsignedInt) / 100)
        elif code == "F" and benefit.allowedUnsignedInt is not None:
            left = Decimal(benefit.allowedUnsignedInt)
            if benefit.usedUnsignedInt is not None:
                left = max(left - benefit.usedUnsignedInt, Decimal(0))
                remaining = True
            add(
                code,
                "29" if remaining else term,
                quantity=left,
                quantity_qualifier="VS",
            )
    return lines


def read_fhir_response(body: object) -> list[Response271]:
    """A CoverageEligibilityResponse (JSON object) as typed 271 content. Raises FhirShapeError."""
    if not isinstance(body, dict) or body.get("resourceType") != "CoverageEligibilityResponse":
        raise FhirShapeError("expected a CoverageEligibilityResponse resource")
    try:
        resource = CoverageEligibilityResponse.model_validate(body)
    except ValueError as exc:
        located: list[Any] = getattr(exc, "errors", list)()
        where = ".".join(str(p) for p in located[0]["loc"]) if located else "resource"
        raise FhirShapeError(f"CoverageEligibilityResponse.{where}: invalid") from None
    source = Party(SOURCE, "1", name=_name("PR", resource.insurer.display or ""))
    receiver = Party(RECEIVER, "2")
    patient = Party(SUBSCRIBER, "3")
    source.children.append(receiver)
    receiver.children.append(patient)
    for insurance in resource.insurance or []:
        if insurance.inforce is not None:
            patient.benefits.append(
                EligibilityBenefit.coverage_status(
                    active=bool(insurance.inforce),
                    plan_description=insurance.coverage.display or "",
                    segment_number=len(patient.benefits) + 1,
                )
            )
        period = insurance.benefitPeriod
        if period is not None and period.start is not None:
            start, end = period.start, period.end or period.start
            patient.dates.append(DatePeriod("346", _day(start), _day(start)))
            if period.end is not None:
                patient.dates.append(DatePeriod("347", _day(end), _day(end)))
        for item in insurance.item or []:
            patient.benefits += _lines(
                item, len(patient.benefits) + 1, inforce=insurance.inforce is True
            )
    for n, error in enumerate(resource.error or [], 1):
        code = _code(error.code)
        if not code:
            match = _AAA.match(error.code.text or "")
            code = match.group(1) if match else ""
        patient.validations.append(
            RequestValidation(
                valid="N", reason=code or "??", follow_up="", loop=ERROR_LOOP, segment_number=n
            )
        )
    return [
        Response271(
            control_number=resource.id or "",
            version=VERSION,
            purpose="11",
            reference=resource.id or "",
            created=None,
            sources=[source],
            segment_number=1,
        )
    ]


def _day(moment: Any) -> Any:
    """FHIR dateTime may carry a time; a plan date is a day."""
    return moment.date() if hasattr(moment, "date") and callable(moment.date) else moment


def _name(entity: str, name: str) -> Name:
    return Name(entity, "2", name, "", "", "", "", "", "")
