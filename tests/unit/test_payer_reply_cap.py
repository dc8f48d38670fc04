"""A payer reply is read up to IOP_COVERAGE_PAYER_REPLY_MAX_MB (5 MB), counted as it streams in:
a larger one is refused unread, as a final payer error staff can read, whatever Content-Length
says (a mocked remote payer, `responses`)."""

import gzip

import pytest
import requests
import responses

from coverage.adapters import http
from coverage.adapters.core_x12 import CoreX12Adapter
from coverage.errors import PayerPermanentError
from coverage.settings import get_settings
from tests.payers import eligibility_request, payer_config, raised_payer_error

URL = "https://core.example-payer.test/realtime"
MB = 1024 * 1024
TOO_LARGE = (
    "The payer's reply was larger than {mb} MB and was not read; an operator must check the "
    "payer's address in its payer file, or raise the reply size limit if this payer's replies "
    "are really that large."
)


def post() -> requests.Response:
    return http.post(requests.Session(), URL, payer="big", timeout=(1, 5), data=b"270")


def refusal() -> PayerPermanentError:
    with pytest.raises(PayerPermanentError) as refused:
        post()
    return refused.value


@responses.activate
def test_a_4_mb_reply_is_read_whole() -> None:
    responses.post(URL, body=b"x" * (4 * MB))
    reply = post()
    assert "Content-Length" not in reply.headers  # counted, not taken from a header
    assert len(reply.content) == 4 * MB
    assert reply.text == "x" * (4 * MB)


@responses.activate
def test_a_6_mb_reply_streamed_without_a_length_is_refused_unread() -> None:
    responses.post(URL, body=b"x" * (6 * MB))
    error = refusal()
    assert str(error) == "payer big: reply over 5 MB (IOP_COVERAGE_PAYER_REPLY_MAX_MB), not read"
    assert error.action == TOO_LARGE.format(mb=5)
    assert error.permanent  # the same payer would send the same reply: not retried


@responses.activate
def test_a_declared_length_over_the_cap_is_refused_before_reading() -> None:
    responses.post(URL, body=b"x" * (6 * MB), headers={"Content-Length": str(6 * MB)})
    assert refusal().action == TOO_LARGE.format(mb=5)


@responses.activate
def test_the_cap_is_a_setting(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(get_settings(), "payer_reply_max_mb", 1)
    responses.post(URL, body=b"x" * (MB + 1))
    assert refusal().action == TOO_LARGE.format(mb=1)


@responses.activate
def test_an_adapter_reports_a_too_large_reply_to_staff(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("IOP_TEST_CORE_USER", "iop-user")
    monkeypatch.setenv("IOP_TEST_CORE_PASSWORD", "s3cret-test")
    responses.post(URL, body=b"--boundary\r\n" + b"x" * (6 * MB))
    payer = payer_config(
        "core_x12",
        id="big",
        settings={
            "url": URL,
            "payer_x12_id": "99999",
            "payer_name": "EXAMPLE HEALTH PLAN",
            "provider_name": "EXAMPLE IOP CLINIC",
            "sender_id": "EXAMPLEIOP",
            "receiver_id": "EXAMPLEPAYER",
            "username_env": "IOP_TEST_CORE_USER",
            "password_env": "IOP_TEST_CORE_PASSWORD",
        },
    )
    error = raised_payer_error(
        lambda: CoreX12Adapter().check(eligibility_request(payer_id="big"), payer=payer)
    )
    assert isinstance(error, PayerPermanentError)
    assert error.action == TOO_LARGE.format(mb=5)
    assert len(responses.calls) == 1


@responses.activate
def test_a_compressed_reply_is_counted_as_it_unpacks() -> None:
    packed = gzip.compress(b"x" * (6 * MB))
    assert len(packed) < 100_000
    responses.post(URL, body=packed, headers={"Content-Encoding": "gzip"})
    assert refusal().action == TOO_LARGE.format(mb=5)
