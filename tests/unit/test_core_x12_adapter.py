"""The CORE X12 adapter against a mocked payer (`responses`): what it sends and how it classifies."""

from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
import responses

from coverage.adapters.core_x12 import CoreX12Adapter
from coverage.domain.eligibility import EligibilityResponse, Network
from coverage.domain.payer import PayerConfig
from coverage.errors import PayerError, PayerPermanentError, PayerTransientError
from coverage.x12 import core_mime
from coverage.x12.reader_270 import read_270
from tests.adapter_failures import FIELDS, transport_failures
from tests.payers import eligibility_request, payer_config, raised_payer_error, reply_271

URL = "https://core.example-payer.test/realtime"
SAMPLES = Path(__file__).resolve().parents[1] / "fixtures" / "x12"
AAA_75 = (SAMPLES / "synthetic" / "synthetic-aaa-2100c-75.271").read_text()
AAA_42 = (SAMPLES / "synthetic" / "synthetic-aaa-2100a-42.271").read_text()
LFH = (SAMPLES / "lfh-subscriber-health-benefit-check.271").read_text()


def payer(**settings: object) -> PayerConfig:
    return payer_config(
        "core_x12",
        id="example-core",
        name="Example CORE payer",
        settings={
            "url": URL,
            "payer_x12_id": "99999",
            "payer_name": "EXAMPLE HEALTH PLAN",
            "provider_name": "EXAMPLE IOP CLINIC",
            "sender_id": "EXAMPLEIOP",
            "receiver_id": "EXAMPLEPAYER",
            "username_env": "IOP_TEST_CORE_USER",
            "password_env": "IOP_TEST_CORE_PASSWORD",
            **settings,
        },
    )


REQUEST = eligibility_request(payer_id="example-core")


@pytest.fixture(autouse=True)
def credentials(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("IOP_TEST_CORE_USER", "iop-user")
    monkeypatch.setenv("IOP_TEST_CORE_PASSWORD", "s3cret-test")


def check(**settings: object) -> EligibilityResponse:
    return CoreX12Adapter().check(REQUEST, payer=payer(**settings))


def error_of(**settings: object) -> PayerError:
    return raised_payer_error(lambda: check(**settings), phi=("W000000009", "Doe"))


@responses.activate
def test_it_sends_one_core_270_per_service_type_with_credentials() -> None:
    responses.post(URL, **reply_271(LFH))
    result = check()

    assert len(responses.calls) == 2
    sent = [
        core_mime.decode(call.request.body, call.request.headers["Content-Type"])  # type: ignore[arg-type]
        for call in responses.calls
    ]
    assert {f["PayloadType"] for f in sent} == {"X12_270_Request_005010X279A1"}
    assert {(f["UserName"], f["Password"], f["CORERuleVersion"]) for f in sent} == {
        ("iop-user", "s3cret-test", "2.2.0")
    }
    inquiries = [read_270(f["Payload"])[1][0] for f in sent]
    assert [i.service_types for i in inquiries] == [("30",), ("MH",)]
    assert inquiries[0].subscriber.member_id == "W000000009"
    assert (inquiries[0].service_date, inquiries[0].service_end) == (
        date(2026, 3, 2),
        date(2026, 5, 22),
    )
    assert result.cost_sharing_for(Network.IN) is not None
    assert result.cost_sharing_for(Network.IN).copay_per_day == Decimal("10.00")  # type: ignore[union-attr]
    assert result.raw_payload == LFH + "\n" + LFH


@responses.activate
def test_all_service_types_in_one_request_when_the_payer_accepts_it() -> None:
    responses.post(URL, **reply_271(LFH))
    check(one_service_type_per_request=False)
    assert len(responses.calls) == 1


@responses.activate
def test_aaa_75_is_final_after_exactly_one_call_with_the_fix_hint() -> None:
    responses.post(URL, **reply_271(AAA_75))
    error = error_of()
    assert isinstance(error, PayerPermanentError)
    assert str(error) == "payer answered AAA 75 in loop 2100C"
    assert error.action.startswith("The payer did not find this member.")
    assert len(responses.calls) == 1


@pytest.mark.parametrize(
    ("code", "retryable", "hint_start"),
    [
        ("72", False, "Check the member ID against the insurance card"),
        ("73", False, "Enter the subscriber's name exactly as on the card"),
        ("76", False, "The payer has this member ID twice"),
        ("42", True, "The payer could not answer now"),
    ],
)
@responses.activate
def test_subscriber_level_aaa_codes_are_classified(
    code: str, retryable: bool, hint_start: str
) -> None:
    responses.post(URL, **reply_271(AAA_75.replace("AAA*N**75*C", f"AAA*N**{code}*C")))
    error = error_of()
    assert isinstance(error, PayerTransientError if retryable else PayerPermanentError)
    assert error.action.startswith(hint_start)
    assert len(responses.calls) == 1


@pytest.mark.parametrize("text", [AAA_42, AAA_42.replace("AAA*Y**42*R", "AAA*Y**80*R")])
@responses.activate
def test_aaa_42_and_80_at_the_payer_are_retryable(text: str) -> None:
    responses.post(URL, **reply_271(text))
    error = error_of()
    assert isinstance(error, PayerTransientError)
    assert (
        error.action == "The payer could not answer now; the payer call is retried automatically."
    )


@pytest.mark.parametrize(
    FIELDS,
    [
        *transport_failures(read_timeout=21),
        (
            {"body": b"<html>oops</html>", "content_type": "text/html"},
            PayerTransientError,
            "unreadable CORE envelope",
            None,
        ),
        (
            reply_271("ISA*00*garbage~"),
            PayerTransientError,
            "sent a malformed 271 (X12 segment ISA #1",
            None,
        ),
        (
            reply_271(LFH, error_code="UnAuthorized"),
            PayerPermanentError,
            "refused the CORE envelope: UnAuthorized",
            None,
        ),
    ],
)
@responses.activate
def test_transport_failures_are_classified(
    mock: dict[str, object], kind: type[PayerError], message: str, retry_after: float | None
) -> None:
    responses.post(URL, **mock)
    error = error_of()
    assert type(error) is kind
    assert message in str(error)
    assert error.retry_after == retry_after
    assert len(responses.calls) == 1


def test_it_refuses_plain_http_to_a_remote_host_and_names_the_field() -> None:
    error = error_of(url="http://core.example-payer.test/realtime")
    assert isinstance(error, PayerPermanentError)
    assert str(error) == "payer example-core: invalid core_x12 settings (url)"


def test_missing_credentials_name_the_variable_not_a_value(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("IOP_TEST_CORE_PASSWORD")
    error = error_of()
    assert (
        str(error) == "payer example-core: environment variable IOP_TEST_CORE_PASSWORD is not set"
    )
