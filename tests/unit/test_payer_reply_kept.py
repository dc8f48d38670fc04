"""A payer error raised after a reply came carries that reply as an attribute, for the pipeline
to keep encrypted: never in its text, and never when the error is pickled (a task result)."""

import pickle

import pytest
import responses

from coverage.adapters.clearinghouse_json import ClearinghouseJsonAdapter
from coverage.adapters.fhir import FhirAdapter
from coverage.errors import PayerPermanentError, PayerTransientError, RawReply
from tests.payers import AAA_75_X12, eligibility_request, raised_payer_error, reply_271
from tests.unit import test_clearinghouse_json_adapter as clearinghouse
from tests.unit import test_core_x12_adapter as core
from tests.unit import test_fhir_adapter as fhir


@pytest.fixture(autouse=True)
def credentials(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("IOP_TEST_CORE_USER", "iop-user")
    monkeypatch.setenv("IOP_TEST_CORE_PASSWORD", "s3cret-test")
    monkeypatch.setenv("IOP_TEST_CLEARINGHOUSE_KEY", "test-key")
    monkeypatch.setenv("IOP_TEST_FHIR_TOKEN", "test-token")


def test_the_reply_is_never_in_the_text_nor_pickled() -> None:
    error = PayerTransientError("payer p answered HTTP 500", action="Retried automatically.")
    error.reply = RawReply(payload="NM1*IL*1*DOE*JANE~", media_type="application/edi-x12")
    assert "DOE" not in str(error) + repr(error) + repr(error.args) + repr(error.reply)

    copy = pickle.loads(pickle.dumps(error))
    assert type(copy) is PayerTransientError
    assert (str(copy), copy.action, copy.reply) == (
        "payer p answered HTTP 500",
        "Retried automatically.",
        None,
    )
    assert b"DOE" not in pickle.dumps(error)


@responses.activate
def test_core_x12_a_rejected_271_carries_the_271_as_received() -> None:
    responses.post(core.URL, **reply_271(AAA_75_X12))
    error = raised_payer_error(lambda: core.check())
    assert isinstance(error, PayerPermanentError)
    assert error.reply == RawReply(payload=AAA_75_X12, media_type="application/edi-x12")


@responses.activate
def test_core_x12_an_unreadable_envelope_carries_the_http_body() -> None:
    responses.post(core.URL, body="not a CORE envelope", content_type="text/plain")
    error = raised_payer_error(lambda: core.check())
    assert error.reply == RawReply(payload="not a CORE envelope", media_type="text/plain")


@responses.activate
def test_a_refusal_carries_its_body_and_an_empty_one_nothing() -> None:
    responses.post(
        core.URL, status=403, body='{"error": "bad credentials"}', content_type="application/json"
    )
    responses.post(core.URL, status=503, body="")
    refused = raised_payer_error(lambda: core.check())
    assert isinstance(refused, PayerPermanentError)
    assert refused.reply == RawReply('{"error": "bad credentials"}', "application/json")
    down = raised_payer_error(lambda: core.check())
    assert isinstance(down, PayerTransientError)
    assert down.reply is None


@responses.activate
def test_clearinghouse_json_that_is_not_json_is_carried() -> None:
    responses.post(clearinghouse.URL, body="<html>gateway</html>", content_type="text/html")
    adapter = ClearinghouseJsonAdapter()
    error = raised_payer_error(
        lambda: adapter.check(eligibility_request(), payer=clearinghouse.payer())
    )
    assert error.reply == RawReply("<html>gateway</html>", "application/json")


@responses.activate
def test_fhir_an_unreadable_resource_is_carried() -> None:
    responses.post(
        fhir.URL, body='{"resourceType": "Bundle"}', content_type="application/fhir+json"
    )
    error = raised_payer_error(
        lambda: FhirAdapter().check(eligibility_request(), payer=fhir.payer())
    )
    assert error.reply == RawReply('{"resourceType": "Bundle"}', "application/fhir+json")


@responses.activate
def test_a_second_service_type_rejected_keeps_both_answers() -> None:
    lfh = core.LFH
    responses.post(core.URL, **reply_271(lfh))
    responses.post(core.URL, **reply_271(AAA_75_X12))
    error = raised_payer_error(lambda: core.check())
    assert len(responses.calls) == 2
    assert error.reply == RawReply(payload=f"{lfh}\n{AAA_75_X12}", media_type="application/edi-x12")
