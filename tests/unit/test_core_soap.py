"""The CORE X12 adapter over the SOAP envelope (`transport: soap`) against a mocked payer."""

from xml.etree import ElementTree as ET

import pytest
import responses

from coverage.errors import PayerPermanentError, PayerTransientError
from coverage.x12 import core_soap
from coverage.x12.reader_270 import read_270
from tests.payers import reply_271
from tests.unit.test_core_x12_adapter import (  # noqa: F401 (credentials: autouse fixture)
    LFH,
    URL,
    check,
    credentials,
    error_of,
)


@responses.activate
def test_it_sends_a_soap_12_core_envelope_with_a_username_token() -> None:
    responses.post(URL, **reply_271(LFH, transport="soap"))
    result = check(transport="soap", one_service_type_per_request=False)

    call = responses.calls[0]
    assert call.request.headers["Content-Type"] == "application/soap+xml; charset=utf-8"
    body: bytes = call.request.body  # type: ignore[assignment]
    root = ET.fromstring(body)
    assert root.tag == "{http://www.w3.org/2003/05/soap-envelope}Envelope"
    request = root.find(
        "{http://www.w3.org/2003/05/soap-envelope}Body/"
        "{http://www.caqh.org/SOAP/WSDL/CORERule2.2.0.xsd}COREEnvelopeRealTimeRequest"
    )
    assert request is not None
    fields = core_soap.decode(body, "application/soap+xml", element=core_soap.REQUEST)
    assert (fields["UserName"], fields["Password"]) == ("iop-user", "s3cret-test")
    assert (fields["PayloadType"], fields["ProcessingMode"], fields["CORERuleVersion"]) == (
        "X12_270_Request_005010X279A1",
        "RealTime",
        "2.2.0",
    )
    assert read_270(fields["Payload"])[1][0].service_types == ("30", "MH")
    # Credentials only in the WS-Security header, never among the CORE fields.
    assert request.find("{http://www.caqh.org/SOAP/WSDL/CORERule2.2.0.xsd}Password") is None
    assert result.raw_payload == LFH


@pytest.mark.parametrize(
    ("mock", "kind", "message"),
    [
        (
            reply_271(LFH, error_code="UnAuthorized", transport="soap"),
            PayerPermanentError,
            "refused the CORE envelope: UnAuthorized",
        ),
        (
            {
                "body": b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "b">]><x/>',
                "content_type": "application/soap+xml",
            },
            PayerTransientError,
            "unreadable CORE envelope",
        ),
        (
            {"body": b"<not-closed", "content_type": "application/soap+xml"},
            PayerTransientError,
            "unreadable CORE envelope",
        ),
        (
            {"body": b"--x--", "content_type": "multipart/form-data; boundary=x"},
            PayerTransientError,
            "unreadable CORE envelope",
        ),
    ],
)
@responses.activate
def test_soap_replies_are_classified(mock: dict[str, object], kind: type, message: str) -> None:
    responses.post(URL, **mock)
    error = error_of(transport="soap")
    assert type(error) is kind
    assert message in str(error)
    assert len(responses.calls) == 1
