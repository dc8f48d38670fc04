"""The clearinghouse JSON adapter against a mocked clearinghouse (`responses`): what it sends,
what it reads, and that it classifies payer errors exactly as the X12 path does."""

import json
from datetime import date
from decimal import Decimal
from typing import Any

import pytest
import responses

from coverage.adapters.clearinghouse_json import ClearinghouseJsonAdapter
from coverage.domain.eligibility import (
    CostSharing,
    CostTerm,
    InsuranceType,
    Network,
    OtherPayer,
    OtherPayerRole,
    TermOrigin,
)
from coverage.domain.payer import PayerConfig
from coverage.errors import PayerError, PayerPermanentError, PayerTransientError
from tests.adapter_failures import FIELDS, transport_failures
from tests.payers import eligibility_request, payer_config, raised_payer_error, x12_aaa_error

URL = "https://clearinghouse.example.test/change/medicalnetwork/eligibility/v3"


def payer(**settings: object) -> PayerConfig:
    return payer_config(
        "clearinghouse_json",
        id="example-json",
        name="Example clearinghouse payer",
        settings={
            "url": URL,
            "trading_partner_service_id": "60054",
            "provider_name": "EXAMPLE IOP CLINIC",
            "api_key_env": "IOP_TEST_CLEARINGHOUSE_KEY",
            **settings,
        },
    )


REQUEST = eligibility_request(payer_id="example-json")


def eb(code: str, types: list[str], **fields: str) -> dict[str, Any]:
    return {"code": code, "coverageLevelCode": "IND", "serviceTypeCodes": types, **fields}


PPO: dict[str, Any] = {
    "controlNumber": "123456701",
    "tradingPartnerServiceId": "60054",
    "payer": {"name": "EXAMPLE HEALTH PLAN"},
    "subscriber": {"memberId": "W000000009", "firstName": "JANE", "lastName": "DOE"},
    "planDateInformation": {"planBegin": "20260101", "planEnd": "20261231"},
    "benefitsInformation": [
        eb("1", ["30", "MH"], insuranceTypeCode="PR", planCoverage="EXAMPLE PPO GOLD"),
        eb(
            "C",
            ["30"],
            timeQualifierCode="23",
            benefitAmount="2000",
            inPlanNetworkIndicatorCode="Y",
        ),
        eb(
            "C",
            ["30"],
            timeQualifierCode="29",
            benefitAmount="750.5",
            inPlanNetworkIndicatorCode="Y",
        ),
        eb(
            "C",
            ["30"],
            timeQualifierCode="29",
            benefitAmount="3000",
            inPlanNetworkIndicatorCode="N",
        ),
        {
            **eb(
                "C",
                ["30"],
                timeQualifierCode="29",
                benefitAmount="1800",
                inPlanNetworkIndicatorCode="Y",
            ),
            "coverageLevelCode": "FAM",
        },
        eb(
            "G",
            ["30"],
            timeQualifierCode="29",
            benefitAmount="2500",
            inPlanNetworkIndicatorCode="Y",
        ),
        eb("A", ["MH"], benefitPercent="0.2", inPlanNetworkIndicatorCode="Y"),
        eb(
            "A",
            ["CH"],
            benefitPercent="0.1",
            inPlanNetworkIndicatorCode="Y",
            authOrCertIndicator="Y",
        ),
        eb("A", ["MH"], benefitPercent="0.4", inPlanNetworkIndicatorCode="N"),
        {
            **eb(
                "B",
                ["MH"],
                timeQualifierCode="27",
                benefitAmount="25",
                inPlanNetworkIndicatorCode="Y",
            ),
            "additionalInformation": [{"description": "IOP REQUIRES PRIOR AUTHORIZATION"}],
        },
        eb(
            "F",
            ["MH"],
            timeQualifierCode="29",
            quantityQualifierCode="VS",
            benefitQuantity="20",
            inPlanNetworkIndicatorCode="Y",
        ),
        {
            **eb("U", ["A8"]),
            "benefitsRelatedEntities": [
                {
                    "entityIdentifier": "Third-Party Administrator",
                    "entityType": "Non-Person Entity",
                    "entityName": "EXAMPLE BEHAVIORAL HEALTH",
                    "entityIdentification": "PI",
                    "entityIdentificationValue": "EXBH1",
                    "contactInformation": {
                        "contacts": [
                            {"communicationMode": "Telephone", "communicationNumber": "8005550100"}
                        ]
                    },
                }
            ],
        },
    ],
}


def error_body(
    code: str, follow_up: str = "Please Correct and Resubmit", loop: str = "2100C"
) -> dict[str, Any]:
    return {
        "controlNumber": "123456701",
        "errors": [
            {
                "field": "AAA",
                "code": code,
                "description": "as the payer wrote it",
                "followupAction": follow_up,
                "location": f"Loop {loop}",
                "possibleResolutions": "the clearinghouse's hint",
            }
        ],
    }


@pytest.fixture(autouse=True)
def api_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("IOP_TEST_CLEARINGHOUSE_KEY", "test-key-123")


def check(**settings: object) -> Any:
    return ClearinghouseJsonAdapter().check(REQUEST, payer=payer(**settings))


def error_of(**settings: object) -> PayerError:
    return raised_payer_error(lambda: check(**settings))


@responses.activate
def test_it_sends_one_json_request_per_service_type_with_the_api_key() -> None:
    responses.post(URL, json=PPO)
    check()
    assert len(responses.calls) == 2
    sent = [json.loads(call.request.body) for call in responses.calls]  # type: ignore[arg-type]
    assert [s["encounter"] for s in sent] == [
        {"serviceTypeCodes": ["30"], "dateOfService": "20260302"},
        {"serviceTypeCodes": ["MH"], "dateOfService": "20260302"},
    ]
    first = sent[0]
    assert first["tradingPartnerServiceId"] == "60054"
    assert first["provider"] == {"organizationName": "EXAMPLE IOP CLINIC", "npi": "1234567893"}
    assert first["subscriber"] == {
        "memberId": "W000000009",
        "firstName": "Jane",
        "lastName": "Doe",
        "dateOfBirth": "19900101",
        "gender": "F",
    }
    assert len(first["controlNumber"]) == 9 and first["controlNumber"].endswith("01")
    assert {c.request.headers["Authorization"] for c in responses.calls} == {"test-key-123"}
    assert {c.request.headers["Content-Type"] for c in responses.calls} == {"application/json"}


@responses.activate
def test_the_response_is_normalized_by_the_x12_rules() -> None:
    responses.post(URL, json=PPO)
    result = check(one_service_type_per_request=False)

    assert len(responses.calls) == 1
    assert result.active is True
    assert result.plan_name == "EXAMPLE PPO GOLD"
    assert result.insurance_type is InsuranceType.COMMERCIAL
    assert (result.plan_begin, result.plan_end) == (date(2026, 1, 1), date(2026, 12, 31))
    assert result.cost_sharing == (
        CostSharing(
            network=Network.IN,
            deductible_remaining=Decimal("750.5"),
            family_deductible_remaining=Decimal("1800"),
            coinsurance=Decimal("0.1"),
            # The $25 copay and the 20 visits are on MH lines, not on the chosen CH line.
            copay_per_day=Decimal("0"),
            oop_remaining=Decimal("2500"),
            prior_auth_required=True,
            prior_auth_stated=True,
            day_limit_remaining=None,
            origins=said("deductible", "family_deductible", "out_of_pocket", "coinsurance"),
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
    assert result.other_payers == (
        OtherPayer(
            role=OtherPayerRole.CARVE_OUT, name="EXAMPLE BEHAVIORAL HEALTH", payer_id="EXBH1"
        ),
    )
    assert "IOP REQUIRES PRIOR AUTHORIZATION" in result.messages
    assert any(
        a.startswith("in_network coinsurance: used EB #8 (CH, IND, no period, in network)")
        for a in result.assumptions
    )
    assert (
        "in_network copay: none on the chosen IOP line EB #8 (CH, no place of service); "
        "used 0.00; not used: EB #10 (MH: not the service type and place of service of the "
        "chosen IOP line)"
    ) in result.assumptions
    assert (
        "in_network day limit: none on the chosen IOP line EB #8 (CH, no place of service); "
        "no limit applied; not used: EB #11 (MH: not the service type and place of service of "
        "the chosen IOP line)"
    ) in result.assumptions
    assert result.raw_media_type == "application/json"
    assert json.loads(result.raw_payload) == PPO
    assert result.issues == ()


@responses.activate
def test_amounts_sent_as_json_numbers_keep_their_decimal_value() -> None:
    numbers = {
        **PPO,
        "benefitsInformation": [
            eb("1", ["30"]),
            eb("C", ["MH"], timeQualifierCode="29", inPlanNetworkIndicatorCode="Y")
            | {"benefitAmount": 1234.1},
        ],
    }
    responses.post(URL, body=json.dumps(numbers))
    result = check(one_service_type_per_request=False)
    cs = result.cost_sharing_for(Network.IN)
    assert cs is not None and str(cs.deductible_remaining) == "1234.1"


@responses.activate
def test_aaa_75_is_final_after_exactly_one_call_with_the_fix_hint() -> None:
    responses.post(URL, json=error_body("75"))
    error = error_of()
    assert isinstance(error, PayerPermanentError)
    assert str(error) == "payer answered AAA 75 in loop 2100C"
    assert error.action.startswith("The payer did not find this member.")
    assert len(responses.calls) == 1


@pytest.mark.parametrize(
    ("code", "follow_up", "letter", "loop"),
    [
        ("72", "Please Correct and Resubmit", "C", "2100C"),
        ("73", "Please Correct and Resubmit", "C", "2100C"),
        ("75", "Please Correct and Resubmit", "C", "2100C"),
        ("76", "Please Correct and Resubmit", "C", "2100C"),
        ("42", "Resubmission Allowed", "R", "2100A"),
        ("80", "Resubmission Allowed", "R", "2100A"),
        ("42", "Resubmission Not Allowed", "N", "2100A"),
        ("79", "Please Correct and Resubmit", "C", "2100B"),
    ],
)
@responses.activate
def test_aaa_errors_are_classified_exactly_as_the_same_aaa_in_x12(
    code: str, follow_up: str, letter: str, loop: str
) -> None:
    responses.post(URL, json=error_body(code, follow_up, loop))
    error = error_of()
    expected = x12_aaa_error(code, letter)
    assert expected is not None
    assert type(error) is type(expected)
    assert error.action == expected.action
    assert str(error) == f"payer answered AAA {code} in loop {loop}"
    assert len(responses.calls) == 1


@pytest.mark.parametrize(
    FIELDS,
    [
        *transport_failures(read_timeout=25),
        (
            {"body": "<html>oops</html>"},
            PayerTransientError,
            "unreadable eligibility response (not JSON)",
            None,
        ),
        (
            {"json": {"benefitsInformation": {"code": "1"}}},
            PayerTransientError,
            "(benefitsInformation: expected a list of objects)",
            None,
        ),
        (
            {"json": {"benefitsInformation": [{"code": "C", "benefitAmount": "lots"}]}},
            PayerTransientError,
            "(benefitsInformation[0].benefitAmount: expected a number)",
            None,
        ),
        (
            {"json": {"planDateInformation": {"planBegin": "2026-01-01"}}},
            PayerTransientError,
            "(planDateInformation.planBegin: expected CCYYMMDD)",
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


def test_plain_http_to_a_remote_host_is_refused_naming_the_field() -> None:
    error = error_of(url="http://clearinghouse.example.test/eligibility/v3")
    assert isinstance(error, PayerPermanentError)
    assert str(error) == "payer example-json: invalid clearinghouse_json settings (url)"


def test_a_missing_api_key_names_the_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("IOP_TEST_CLEARINGHOUSE_KEY")
    error = error_of()
    assert (
        str(error)
        == "payer example-json: environment variable IOP_TEST_CLEARINGHOUSE_KEY is not set"
    )


def said(*terms: CostTerm) -> tuple[TermOrigin, ...]:
    """The terms the payer's electronic answer stated."""
    return tuple(TermOrigin(term=t, source="electronic") for t in terms)
