"""The clearinghouse JSON rendering of a 271 (Stedi legacy / Change Healthcare eligibility v3 shape),
read into and written from the typed 271 model, so one interpretation serves both.

`read_json_271` turns the response body into `Response271`s for `interpret_responses`;
`write_json_271` renders a read 271 in that shape (the sandbox payer's JSON endpoint).
Field names follow the Stedi API reference for the legacy eligibility endpoint
(`/change/medicalnetwork/eligibility/v3`). Unknown fields are ignored (the raw body is kept);
a field of the wrong type raises JsonShapeError naming it.
"""

from collections.abc import Mapping
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from coverage.x12.reader_271 import (
    DEPENDENT,
    RECEIVER,
    SOURCE,
    SUBSCRIBER,
    Contact,
    DatePeriod,
    EligibilityBenefit,
    Name,
    Party,
    Qualifier,
    Reference,
    RelatedEntity,
    RequestValidation,
    Response271,
)
from coverage.x12.writer_270 import VERSION


class JsonShapeError(ValueError):
    """The body is not the eligibility JSON shape; names the field, never its value (PHI)."""


# planDateInformation / benefitsDateInformation keys and the DTP qualifier each stands for.
DATE_FIELDS = {
    "plan": "291",
    "planBegin": "346",
    "planEnd": "347",
    "eligibility": "307",
    "eligibilityBegin": "356",
    "eligibilityEnd": "357",
    "benefit": "292",
    "benefitBegin": "348",
    "benefitEnd": "349",
    "coordinationOfBenefits": "290",
    "admission": "435",
    "service": "472",
}
_DATE_KEYS = {qualifier: key for key, qualifier in DATE_FIELDS.items()}

# AAA04 as the JSON spells it (text of the code) -> the code (Stedi/Change eligibility JSON schema,
# `aaaErrors[].followupAction`).
FOLLOW_UP = {
    "C": "Please Correct and Resubmit",
    "N": "Resubmission Not Allowed",
    "P": "Please Resubmit Original Transaction",
    "R": "Resubmission Allowed",
    "S": "Do Not Resubmit; Inquiry Initiated to a Third Party",
    "W": "Please Wait 30 Days and Resubmit",
    "X": "Please Wait 10 Days and Resubmit",
    "Y": "Do Not Resubmit; We Will Hold Your Request and Respond Again Shortly",
}

# 2120 NM101 as the JSON spells it in entityIdentifier (Stedi/Change eligibility JSON
# schema, `benefitsRelatedEntities[].entityIdentifier`).
ENTITY = {
    "13": "Contracted Service Provider",
    "1I": "Preferred Provider Organization",
    "1P": "Provider",
    "2B": "Third-Party Administrator",
    "36": "Employer",
    "73": "Other Physician",
    "FA": "Facility",
    "GP": "Gateway Provider",
    "GW": "Group",
    "I3": "Independent Physicians Association",
    "IL": "Insured or Subscriber",
    "LR": "Legal Representative",
    "OC": "Origin Carrier",
    "P3": "Primary Care Provider",
    "P4": "Prior Insurance Carrier",
    "P5": "Plan Sponsor",
    "PR": "Payer",
    "PRP": "Primary Payer",
    "SEP": "Secondary Payer",
    "TTP": "Tertiary Payer",
    "VER": "Party Performing Verification",
    "VN": "Vendor",
    "X3": "Utilization Management Organization",
    "Y2": "Managed Care Organization",
}
COMMUNICATION = {"TE": "Telephone", "FX": "Facsimile", "EM": "Electronic Mail", "UR": "URL"}
# planInformation keys and the 2100C/D REF qualifier each stands for (Stedi/Change eligibility
# JSON schema, `planInformation`).
PLAN_FIELDS = {"groupNumber": "6P", "planNumber": "18"}
_PLAN_KEYS = {qualifier: key for key, qualifier in PLAN_FIELDS.items()}
_LOOPS = {"2000A": SOURCE, "2100A": SOURCE, "2100B": RECEIVER, "2100C": SUBSCRIBER}


def _key(text: str) -> str:
    return "".join(ch for ch in text.lower() if ch.isalnum())


_FOLLOW_UP_CODES = {_key(text): code for code, text in FOLLOW_UP.items()}
_ENTITY_CODES = {_key(text): code for code, text in ENTITY.items()}
_COMMUNICATION_CODES = {_key(text): code for code, text in COMMUNICATION.items()}


def _code(value: str, by_text: Mapping[str, str], known: Mapping[str, str]) -> str:
    """A code sent as itself or as its text; unknown text is kept as sent."""
    if value.upper() in known:
        return value.upper()
    return by_text.get(_key(value), value)


# -- reading ------------------------------------------------------------------------------


class _Reader:
    def __init__(self, body: object) -> None:
        if not isinstance(body, dict):
            raise JsonShapeError("eligibility response: expected a JSON object")
        self.body: dict[str, Any] = body

    def obj(self, parent: Mapping[str, Any], key: str, where: str) -> dict[str, Any]:
        value = parent.get(key)
        if value is None:
            return {}
        if not isinstance(value, dict):
            raise JsonShapeError(f"{where}{key}: expected an object")
        return value

    def items(self, parent: Mapping[str, Any], key: str, where: str) -> list[dict[str, Any]]:
        value = parent.get(key)
        if value is None:
            return []
        if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
            raise JsonShapeError(f"{where}{key}: expected a list of objects")
        return value

    def text(self, parent: Mapping[str, Any], key: str, where: str) -> str:
        value = parent.get(key)
        if value is None:
            return ""
        if not isinstance(value, str | int | Decimal) or isinstance(value, bool):
            raise JsonShapeError(f"{where}{key}: expected a string")
        return (format(value, "f") if isinstance(value, Decimal) else str(value)).strip()

    def decimal(self, parent: Mapping[str, Any], key: str, where: str) -> Decimal | None:
        value = self.text(parent, key, where)
        if not value:
            return None
        try:
            number = Decimal(value)
        except InvalidOperation:
            raise JsonShapeError(f"{where}{key}: expected a number") from None
        if not number.is_finite():
            raise JsonShapeError(f"{where}{key}: expected a number")
        return number

    def dates(self, parent: Mapping[str, Any], key: str, where: str) -> list[DatePeriod]:
        found = []
        for name, value in self.obj(parent, key, where).items():
            qualifier = DATE_FIELDS.get(name)
            if qualifier is None or not isinstance(value, str):
                continue  # other dates are kept in the raw body only
            first, _, last = value.partition("-")
            start = _date(first, f"{where}{key}.{name}")
            found.append(
                DatePeriod(qualifier, start, _date(last, f"{where}{key}.{name}") if last else start)
            )
        return found


def _date(value: str, where: str) -> date:
    try:
        return date(int(value[:4]), int(value[4:6]), int(value[6:8]))
    except ValueError:
        raise JsonShapeError(f"{where}: expected CCYYMMDD") from None


def read_json_271(body: object, *, first_number: int = 1) -> list[Response271]:
    """The response body as typed 271 content. Raises only JsonShapeError.

    A benefit's `segment_number` (what assumptions cite as "EB #n") is its position in
    benefitsInformation counted from `first_number`, so several answers merged stay distinct.
    """
    r = _Reader(body)
    data = r.body
    payer_obj = r.obj(data, "payer", "")
    provider_obj = r.obj(data, "provider", "")
    subscriber_obj = r.obj(data, "subscriber", "")
    dependents = r.items(data, "dependents", "")
    source = Party(SOURCE, "1", name=_name("PR", r.text(payer_obj, "name", "payer.")))
    receiver = Party(
        RECEIVER,
        "2",
        name=_name(
            "1P",
            r.text(provider_obj, "providerName", "provider."),
            r.text(provider_obj, "npi", "provider."),
        ),
    )
    subscriber = Party(
        SUBSCRIBER,
        "3",
        name=Name(
            "IL",
            "1",
            r.text(subscriber_obj, "lastName", "subscriber."),
            r.text(subscriber_obj, "firstName", "subscriber."),
            "",
            "",
            "MI",
            r.text(subscriber_obj, "memberId", "subscriber."),
            "",
        ),
    )
    source.children.append(receiver)
    receiver.children.append(subscriber)
    patient = subscriber
    if dependents:
        patient = Party(DEPENDENT, "4", name=Name("03", "1", "", "", "", "", "", "", ""))
        subscriber.children.append(patient)
    patient.dates = r.dates(data, "planDateInformation", "")
    plan_info = r.obj(data, "planInformation", "")
    patient.references = [
        Reference(qualifier, value, "")
        for key, qualifier in PLAN_FIELDS.items()
        if (value := r.text(plan_info, key, "planInformation."))
    ]
    patient.benefits = [
        _benefit(r, eb, n, first_number + n)
        for n, eb in enumerate(r.items(data, "benefitsInformation", ""))
    ]
    by_level = {SOURCE: source, RECEIVER: receiver, SUBSCRIBER: subscriber, DEPENDENT: patient}
    for n, error in enumerate(r.items(data, "errors", ""), 1):
        where = f"errors[{n - 1}]."
        location = r.text(error, "location", where).upper().removeprefix("LOOP").strip()
        level = _LOOPS.get(location, DEPENDENT if location.endswith("D") else SUBSCRIBER)
        by_level[level].validations.append(
            RequestValidation(
                valid="N",
                reason=r.text(error, "code", where),
                follow_up=_code(
                    r.text(error, "followupAction", where), _FOLLOW_UP_CODES, FOLLOW_UP
                ),
                loop=location or by_level[level].loop,
                segment_number=n,
            )
        )
    return [
        Response271(
            control_number=r.text(data, "controlNumber", ""),
            version=VERSION,
            purpose="11",
            reference=r.text(data, "controlNumber", ""),
            created=None,
            sources=[source],
            segment_number=1,
        )
    ]


def _name(entity: str, name: str, npi: str = "") -> Name:
    return Name(entity, "2", name, "", "", "", "XX" if npi else "", npi, "")


def _benefit(r: _Reader, eb: dict[str, Any], index: int, number: int) -> EligibilityBenefit:
    where = f"benefitsInformation[{index}]."
    types = eb.get("serviceTypeCodes") or []
    if not isinstance(types, list) or not all(isinstance(t, str) for t in types):
        raise JsonShapeError(f"{where}serviceTypeCodes: expected a list of strings")
    messages = [
        r.text(info, "description", f"{where}additionalInformation.")
        for info in r.items(eb, "additionalInformation", where)
    ]
    places = r.items(eb, "eligibilityAdditionalInformationList", where)
    single = r.obj(eb, "eligibilityAdditionalInformation", where)
    return EligibilityBenefit(
        code=r.text(eb, "code", where),
        coverage_level=r.text(eb, "coverageLevelCode", where),
        service_types=tuple(t.strip() for t in types),
        insurance_type=r.text(eb, "insuranceTypeCode", where),
        plan_description=r.text(eb, "planCoverage", where),
        time_period=r.text(eb, "timeQualifierCode", where),
        amount=r.decimal(eb, "benefitAmount", where),
        percent=r.decimal(eb, "benefitPercent", where),
        quantity_qualifier=r.text(eb, "quantityQualifierCode", where),
        quantity=r.decimal(eb, "benefitQuantity", where),
        authorization=r.text(eb, "authOrCertIndicator", where),
        in_network=r.text(eb, "inPlanNetworkIndicatorCode", where),
        procedure=(),
        segment_number=number,
        dates=r.dates(eb, "benefitsDateInformation", where),
        messages=[m for m in messages if m],
        qualifiers=[
            Qualifier(
                r.text(q, "codeListQualifierCode", where), r.text(q, "industryCode", where), "", ""
            )
            for q in (places + [single] if single else places)
        ],
        entities=[_entity(r, e, where) for e in r.items(eb, "benefitsRelatedEntities", where)],
    )


def _entity(r: _Reader, e: dict[str, Any], where: str) -> RelatedEntity:
    where += "benefitsRelatedEntities."
    person = _key(r.text(e, "entityType", where)) in ("person", "1")
    contacts = r.obj(e, "contactInformation", where)
    numbers = tuple(
        (
            _code(r.text(c, "communicationMode", where), _COMMUNICATION_CODES, COMMUNICATION),
            r.text(c, "communicationNumber", where),
        )
        for c in r.items(contacts, "contacts", where)
    )
    return RelatedEntity(
        name=Name(
            entity=_code(r.text(e, "entityIdentifier", where), _ENTITY_CODES, ENTITY),
            entity_type="1" if person else "2",
            last_or_organization=r.text(e, "entityName", where),
            first=r.text(e, "entityFirstname", where),
            middle="",
            suffix="",
            id_qualifier=r.text(e, "entityIdentification", where),
            id=r.text(e, "entityIdentificationValue", where),
            relationship=r.text(e, "entityRelationship", where),
        ),
        contacts=[Contact("IC", "", numbers)] if numbers else [],
    )


# -- writing (the sandbox payer) -----------------------------------------------------------


def _d8(day: date | None) -> str:
    return day.strftime("%Y%m%d") if day else ""


def _date_info(periods: list[DatePeriod]) -> dict[str, str]:
    info = {}
    for p in periods:
        key = _DATE_KEYS.get(p.qualifier)
        if key is None or p.start is None:
            continue
        ranged = p.end is not None and p.end != p.start
        info[key] = f"{_d8(p.start)}-{_d8(p.end)}" if ranged else _d8(p.start)
    return info


def _number(value: Decimal | None) -> str | None:
    return None if value is None else format(value, "f")


def write_json_271(response: Response271, *, trading_partner_service_id: str) -> dict[str, Any]:
    """A read 271 in the clearinghouse JSON shape (one patient: the dependent, else the subscriber)."""
    parties = list(response.parties())
    source = next((p for p in parties if p.level == SOURCE), None)
    subscriber = next((p for p in parties if p.level == SUBSCRIBER), None)
    dependent = next((p for p in parties if p.level == DEPENDENT), None)
    patient = dependent or subscriber
    body: dict[str, Any] = {
        "controlNumber": response.reference,
        "tradingPartnerServiceId": trading_partner_service_id,
        "payer": {"name": source.name.last_or_organization if source and source.name else ""},
    }
    if subscriber is not None and subscriber.name is not None:
        body["subscriber"] = {
            "memberId": subscriber.name.id,
            "firstName": subscriber.name.first,
            "lastName": subscriber.name.last_or_organization,
        }
    if dependent is not None and dependent.name is not None:
        body["dependents"] = [
            {"firstName": dependent.name.first, "lastName": dependent.name.last_or_organization}
        ]
    if patient is not None:
        if patient.dates:
            body["planDateInformation"] = _date_info(patient.dates)
        plan_info = {
            _PLAN_KEYS[ref.qualifier]: ref.value
            for party in (subscriber, dependent)
            if party is not None
            for ref in party.references
            if ref.qualifier in _PLAN_KEYS
        }
        if plan_info:
            body["planInformation"] = plan_info
        body["benefitsInformation"] = [_write_benefit(eb) for eb in patient.benefits]
    errors = []
    for party in parties:
        found = list(party.validations) + [v for eb in party.benefits for v in eb.validations]
        errors += [
            {
                "field": "AAA",
                "code": v.reason,
                "followupAction": FOLLOW_UP.get(v.follow_up, v.follow_up),
                "location": f"Loop {v.loop}",
            }
            for v in found
        ]
    if errors:
        body["errors"] = errors
    return body


def _write_benefit(eb: EligibilityBenefit) -> dict[str, Any]:
    out: dict[str, Any] = {
        "code": eb.code,
        "coverageLevelCode": eb.coverage_level,
        "serviceTypeCodes": list(eb.service_types),
        "insuranceTypeCode": eb.insurance_type,
        "planCoverage": eb.plan_description,
        "timeQualifierCode": eb.time_period,
        "benefitAmount": _number(eb.amount),
        "benefitPercent": _number(eb.percent),
        "quantityQualifierCode": eb.quantity_qualifier,
        "benefitQuantity": _number(eb.quantity),
        "authOrCertIndicator": eb.authorization,
        "inPlanNetworkIndicatorCode": eb.in_network,
    }
    if eb.dates:
        out["benefitsDateInformation"] = _date_info(eb.dates)
    if eb.messages:
        out["additionalInformation"] = [{"description": m} for m in eb.messages]
    if eb.qualifiers:
        out["eligibilityAdditionalInformationList"] = [
            {"codeListQualifierCode": q.qualifier, "industryCode": q.code} for q in eb.qualifiers
        ]
    if eb.entities:
        out["benefitsRelatedEntities"] = [
            {
                "entityIdentifier": ENTITY.get(e.name.entity, e.name.entity),
                "entityType": "Person" if e.name.entity_type == "1" else "Non-Person Entity",
                "entityName": e.name.last_or_organization,
                "entityFirstname": e.name.first,
                "entityIdentification": e.name.id_qualifier,
                "entityIdentificationValue": e.name.id,
                "contactInformation": {
                    "contacts": [
                        {"communicationMode": COMMUNICATION.get(q, q), "communicationNumber": n}
                        for c in e.contacts
                        for q, n in c.numbers
                    ]
                },
            }
            for e in eb.entities
        ]
    return {k: v for k, v in out.items() if v not in ("", None, [])}
