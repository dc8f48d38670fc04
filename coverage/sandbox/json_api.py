"""The sandbox payer's clearinghouse JSON endpoint: the same personas as its CORE X12 endpoint.

A JSON request becomes the 270 inquiry it stands for, the persona answers it as a 271, and the 271
is read back and rendered in the JSON shape, so both endpoints answer exactly alike.
"""

import json
from datetime import date, datetime
from typing import Any

from coverage.sandbox.personas import answer_271
from coverage.x12.json_271 import write_json_271
from coverage.x12.reader_271 import read_271
from coverage.x12.writer_270 import Envelope270, Inquiry270, Person270, write_interchange


class RequestError(ValueError):
    """A request the sandbox cannot answer: names the field, never its value."""


def _text(obj: dict[str, Any], key: str, where: str) -> str:
    value = obj.get(key)
    if not isinstance(value, str) or not value:
        raise RequestError(f"{where}{key}: required string")
    return value


def _date(value: str, where: str) -> date:
    try:
        return datetime.strptime(value, "%Y%m%d").date()
    except ValueError:
        raise RequestError(f"{where}: expected CCYYMMDD") from None


def inquiry_from_json(body: object, *, attempt_trace: str) -> Inquiry270:
    if not isinstance(body, dict):
        raise RequestError("request: expected a JSON object")
    provider, subscriber, encounter = (body.get(k) for k in ("provider", "subscriber", "encounter"))
    for key, value in (
        ("provider", provider),
        ("subscriber", subscriber),
        ("encounter", encounter),
    ):
        if not isinstance(value, dict):
            raise RequestError(f"{key}: required object")
    assert (
        isinstance(provider, dict) and isinstance(subscriber, dict) and isinstance(encounter, dict)
    )
    types = encounter.get("serviceTypeCodes") or ["30"]
    if not isinstance(types, list) or not all(isinstance(t, str) for t in types):
        raise RequestError("encounter.serviceTypeCodes: expected a list of strings")
    day = encounter.get("dateOfService") or encounter.get("beginningDateOfService")
    if not isinstance(day, str):
        raise RequestError("encounter.dateOfService: required CCYYMMDD")
    return Inquiry270(
        payer_name="IOP COVERAGE SANDBOX PAYER",
        payer_id=_text(body, "tradingPartnerServiceId", ""),
        provider_name=_text(provider, "organizationName", "provider."),
        provider_id=_text(provider, "npi", "provider."),
        subscriber=Person270(
            last_name=_text(subscriber, "lastName", "subscriber."),
            first_name=_text(subscriber, "firstName", "subscriber."),
            member_id=_text(subscriber, "memberId", "subscriber."),
            birth_date=_date(
                _text(subscriber, "dateOfBirth", "subscriber."), "subscriber.dateOfBirth"
            ),
            gender=str(subscriber.get("gender") or ""),
        ),
        reference=_text(body, "controlNumber", ""),
        trace_number=attempt_trace,
        trace_originator="9SANDBOX00",
        service_date=_date(day, "encounter.dateOfService"),
        service_types=tuple(types),
    )


def answer_json(body: bytes, *, unavailable: bool = False) -> tuple[int, dict[str, Any]]:
    """Status and JSON body for one request (`unavailable`: AAA 42, as if the payer were down)."""
    try:
        data = json.loads(body)
        control = _text(data, "controlNumber", "") if isinstance(data, dict) else ""
        # Our adapter puts the attempt in the last two digits of the control number.
        inquiry = inquiry_from_json(data, attempt_trace=f"JSON{control}")
    except (ValueError, RequestError) as exc:
        message = str(exc) if isinstance(exc, RequestError) else "request: not JSON"
        return 400, {"errors": [{"code": "400", "description": message}]}
    now = datetime.now()
    segments = answer_271(inquiry, control="0001", now=now, unavailable=unavailable)
    text = write_interchange(
        [segments],
        Envelope270(
            sender_id="SANDBOX", receiver_id="SUBMITTER", interchange_control_number=1, created=now
        ),
        functional_id="HB",
    )
    response = read_271(text).responses[0]
    return 200, write_json_271(response, trading_partner_service_id=inquiry.payer_id)
