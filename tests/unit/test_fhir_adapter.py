"""The FHIR adapter against a mocked payer (`responses`): the request it sends, how it reads a
CoverageEligibilityResponse, and that errors are classified as the same AAA in X12."""

import json
from datetime import date
from decimal import Decimal
from typing import Any

import pytest
import responses
from fhir.resources.R4B.coverage import Coverage
from fhir.resources.R4B.coverageeligibilityrequest import CoverageEligibilityRequest
from fhir.resources.R4B.patient import Patient

from coverage.adapters.fhir import FhirAdapter
from coverage.domain.eligibility import CostSharing, CostTerm, Network, TermOrigin
from coverage.domain.payer import PayerConfig
from coverage.errors import PayerError, PayerPermanentError, PayerTransientError
from coverage.fhir.writer import (
    BENEFIT_NETWORK,
    BENEFIT_TERM,
    BENEFIT_TYPE,
    BENEFIT_UNIT,
    X12_SERVICE_TYPES,
)
from tests.adapter_failures import FIELDS, transport_failures
from tests.payers import eligibility_request, payer_config, raised_payer_error, x12_aaa_error

URL = "https://fhir.example-payer.test/r4/CoverageEligibilityRequest"


def payer(**settings: object) -> PayerConfig:
    return payer_config(
        "fhir",
        id="example-fhir",
        name="Example FHIR payer",
        settings={
            "url": URL,
            "insurer_id": "60054",
            "insurer_name": "Example Health Plan",
            "token_env": "IOP_TEST_FHIR_TOKEN",
            **settings,
        },
    )


REQUEST = eligibility_request(payer_id="example-fhir")


def coding(system: str, code: str) -> dict[str, Any]:
    return {"coding": [{"system": system, "code": code}]}


def money(value: str) -> dict[str, Any]:
    return {"value": value, "currency": "USD"}


def item(
    stc: str, network: str, unit: str, benefits: list[dict[str, Any]], **extra: Any
) -> dict[str, Any]:
    return {
        "category": coding(X12_SERVICE_TYPES, stc),
        "network": coding(BENEFIT_NETWORK, network),
        "unit": coding(BENEFIT_UNIT, unit),
        "term": coding(BENEFIT_TERM, "annual"),
        "benefit": benefits,
        **extra,
    }


def typed(code: str) -> dict[str, Any]:
    return coding(BENEFIT_TYPE, code)


def resource(**changes: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "resourceType": "CoverageEligibilityResponse",
        "status": "active",
        "purpose": ["validation", "benefits"],
        "patient": {"reference": "Patient/1"},
        "created": "2026-03-01T10:00:00Z",
        "request": {"reference": "CoverageEligibilityRequest/1"},
        "outcome": "complete",
        "insurer": {"display": "EXAMPLE HEALTH PLAN"},
        "insurance": [
            {
                "coverage": {"reference": "Coverage/1", "display": "EXAMPLE PPO GOLD"},
                "inforce": True,
                "benefitPeriod": {"start": "2026-01-01", "end": "2026-12-31"},
                "item": [
                    item(
                        "MH",
                        "in",
                        "individual",
                        [
                            {
                                "type": typed("deductible"),
                                "allowedMoney": money("1500"),
                                "usedMoney": money("1200"),
                            },
                            {"type": typed("copay-percent"), "allowedUnsignedInt": 20},
                            {"type": typed("copay"), "allowedMoney": money("30")},
                            {
                                "type": typed("visit"),
                                "allowedUnsignedInt": 30,
                                "usedUnsignedInt": 12,
                            },
                        ],
                        authorizationRequired=True,
                    ),
                    item(
                        "MH",
                        "out",
                        "individual",
                        [
                            {
                                "type": typed("deductible"),
                                "allowedMoney": money("3000"),
                                "usedMoney": money("0"),
                            },
                            {"type": typed("copay-percent"), "allowedUnsignedInt": 40},
                        ],
                    ),
                    item(
                        "MH",
                        "in",
                        "family",
                        [
                            {
                                "type": typed("deductible"),
                                "allowedMoney": money("3000"),
                                "usedMoney": money("1000"),
                            }
                        ],
                    ),
                    item(
                        "30",
                        "in",
                        "individual",
                        [
                            {
                                "type": {"text": "Out-of-pocket maximum"},
                                "allowedMoney": money("5000"),
                                "usedMoney": money("1250"),
                            }
                        ],
                    ),
                ],
            }
        ],
    }
    return body | changes


@pytest.fixture(autouse=True)
def token(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("IOP_TEST_FHIR_TOKEN", "fhir-token-1")


def check(**settings: object) -> Any:
    return FhirAdapter().check(REQUEST, payer=payer(**settings))


def error_of(**settings: object) -> PayerError:
    return raised_payer_error(lambda: check(**settings))


@responses.activate
def test_it_posts_one_valid_coverage_eligibility_request() -> None:
    responses.post(URL, json=resource())
    check()
    assert len(responses.calls) == 1
    call = responses.calls[0]
    assert call.request.headers["Authorization"] == "Bearer fhir-token-1"
    assert call.request.headers["Content-Type"] == "application/fhir+json"
    sent = CoverageEligibilityRequest.model_validate(json.loads(call.request.body))  # type: ignore[arg-type]
    assert sent.purpose == ["validation", "benefits"]
    assert [c.coding[0].code for c in (i.category for i in sent.item)] == ["30", "MH"]  # type: ignore[index,union-attr]
    assert sent.contained is not None
    patient, coverage = sent.contained
    assert isinstance(patient, Patient) and isinstance(coverage, Coverage)
    assert coverage.subscriberId == "W000000009"
    assert patient.name is not None
    assert (patient.name[0].family, str(patient.birthDate), patient.gender) == (
        "Doe",
        "1990-01-01",
        "female",
    )
    assert sent.servicedPeriod is not None
    assert (str(sent.servicedPeriod.start), str(sent.servicedPeriod.end)) == (
        "2026-03-02",
        "2026-05-22",
    )
    assert sent.insurer.identifier.value == "60054"  # type: ignore[union-attr]
    assert sent.provider.identifier.value == "1234567893"  # type: ignore[union-attr]


@responses.activate
def test_the_response_is_normalized_by_the_x12_rules() -> None:
    responses.post(URL, json=resource())
    result = check()
    assert result.active is True
    assert result.plan_name == "EXAMPLE PPO GOLD"
    assert (result.plan_begin, result.plan_end) == (date(2026, 1, 1), date(2026, 12, 31))
    assert result.cost_sharing == (
        CostSharing(
            network=Network.IN,
            deductible_remaining=Decimal("300"),
            family_deductible_remaining=Decimal("2000"),
            coinsurance=Decimal("0.2"),
            copay_per_day=Decimal("30"),
            oop_remaining=Decimal("3750"),
            prior_auth_required=True,
            prior_auth_stated=True,
            day_limit_remaining=18,
            origins=said(
                "deductible",
                "family_deductible",
                "out_of_pocket",
                "copay",
                "coinsurance",
                "day_limit",
            ),
        ),
        CostSharing(
            network=Network.OUT,
            deductible_remaining=Decimal("3000"),
            coinsurance=Decimal("0.4"),
            copay_per_day=Decimal("0"),
            oop_remaining=None,
            prior_auth_required=False,
            origins=said("deductible", "coinsurance"),
        ),
    )
    assert result.raw_media_type == "application/fhir+json"
    assert json.loads(result.raw_payload)["insurance"][0]["inforce"] is True


@responses.activate
def test_not_in_force_is_inactive() -> None:
    body = resource()
    body["insurance"][0] = {"coverage": {"reference": "Coverage/1"}, "inforce": False}
    responses.post(URL, json=body)
    result = check()
    assert result.active is False
    assert result.cost_sharing == ()


@pytest.mark.parametrize(
    ("error", "code"),
    [
        ({"text": "AAA 75: subscriber not found"}, "75"),
        ({"text": "AAA 72"}, "72"),
        ({"text": "AAA 42: try later"}, "42"),
        (coding("urn:example:aaa", "73"), "73"),
        (coding("http://terminology.hl7.org/CodeSystem/adjudication-error", "a001"), "a001"),
    ],
)
@responses.activate
def test_errors_are_classified_as_the_same_aaa_in_x12(error: dict[str, Any], code: str) -> None:
    responses.post(URL, json=resource(outcome="error", error=[{"code": error}], insurance=[]))
    raised = error_of()
    expected = x12_aaa_error(code)
    assert expected is not None
    assert (type(raised), raised.action) == (type(expected), expected.action)
    # PayerIssue keeps at most 3 characters, as for AAA03.
    assert str(raised) == f"payer answered AAA {code[:3]} in loop CoverageEligibilityResponse.error"
    assert len(responses.calls) == 1


@pytest.mark.parametrize(
    ("outcome", "kind", "message"),
    [
        ("queued", PayerTransientError, "queued the request without an answer"),
        ("error", PayerPermanentError, "answered outcome error without an error code"),
    ],
)
@responses.activate
def test_an_answer_without_a_result_is_classified(
    outcome: str, kind: type[PayerError], message: str
) -> None:
    responses.post(URL, json=resource(outcome=outcome, insurance=[]))
    raised = error_of()
    assert type(raised) is kind and message in str(raised)


@pytest.mark.parametrize(
    FIELDS,
    [
        *transport_failures(read_timeout=25),
        ({"body": "{not json"}, PayerTransientError, "(not JSON)", None),
        (
            {"json": {"resourceType": "OperationOutcome", "issue": []}},
            PayerTransientError,
            "(expected a CoverageEligibilityResponse resource)",
            None,
        ),
        (
            {"json": resource(created="yesterday")},
            PayerTransientError,
            "(CoverageEligibilityResponse.created: invalid)",
            None,
        ),
    ],
)
@responses.activate
def test_transport_failures_are_classified(
    mock: dict[str, object], kind: type[PayerError], message: str, retry_after: float | None
) -> None:
    responses.post(URL, **mock)
    raised = error_of()
    assert type(raised) is kind
    assert message in str(raised)
    assert raised.retry_after == retry_after
    assert len(responses.calls) == 1


def test_a_missing_token_names_the_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("IOP_TEST_FHIR_TOKEN")
    assert (
        str(error_of()) == "payer example-fhir: environment variable IOP_TEST_FHIR_TOKEN is not set"
    )


def test_plain_http_to_a_remote_host_is_refused() -> None:
    assert str(error_of(url="http://fhir.example-payer.test/r4")) == (
        "payer example-fhir: invalid fhir settings (url)"
    )


def said(*terms: CostTerm) -> tuple[TermOrigin, ...]:
    """The terms the payer's electronic answer stated."""
    return tuple(TermOrigin(term=t, source="electronic") for t in terms)
