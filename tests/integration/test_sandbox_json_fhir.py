"""The sandbox payer's JSON and FHIR endpoints over real sockets: every persona answers as over
CORE X12 (FHIR carries the chosen IOP benefit, so its cost sharing and dates must match)."""

import re
from collections.abc import Callable, Iterator
from datetime import date
from typing import Any

import pytest

from coverage.adapters.base import load_adapters
from coverage.adapters.clearinghouse_json import ClearinghouseJsonAdapter
from coverage.adapters.core_x12 import CoreX12Adapter
from coverage.adapters.fhir import FhirAdapter
from coverage.domain.eligibility import EligibilityRequest, Network
from coverage.domain.payer import PayerConfig
from coverage.errors import PayerError, PayerTransientError
from coverage.sandbox.app import SandboxPayer
from coverage.sandbox.faults import Fault, FaultPlan
from tests.payers import eligibility_request, payer_config, sandbox_core_settings


def _payer(adapter: str, settings: dict[str, object]) -> PayerConfig:
    return payer_config(adapter, id="sandbox-json", name="Sandbox", settings=settings)


def json_payer(server: SandboxPayer) -> PayerConfig:
    return _payer(
        "clearinghouse_json",
        {
            "url": server.json_url,
            "trading_partner_service_id": "SBX01",
            "provider_name": "EXAMPLE IOP CLINIC",
        },
    )


def fhir_payer(server: SandboxPayer) -> PayerConfig:
    return _payer(
        "fhir",
        {"url": server.fhir_url, "insurer_id": "SBX01", "insurer_name": "Sandbox"},
    )


def core_payer(server: SandboxPayer) -> PayerConfig:
    return _payer("core_x12", sandbox_core_settings(server.url))


def request(
    member_id: str, attempt: int = 1, types: tuple[str, ...] = ("30", "MH")
) -> EligibilityRequest:
    return eligibility_request(
        payer_id="sandbox-json",
        member_id=member_id,
        first_name="Ana",
        last_name="Diaz",
        birth_date=date(1988, 7, 14),
        service_types=types,
        trace_number=f"{'ab' * 10}{attempt:02d}",
        attempt=attempt,
    )


@pytest.fixture(scope="module")
def server() -> Iterator[SandboxPayer]:
    with SandboxPayer() as payer:
        yield payer


@pytest.mark.parametrize(
    "member_id",
    ["SBX-PPO-1", "SBX-MCR-1", "SBX-QMB-1", "SBX-MCD-1", "SBX-INACTIVE-1", "SBX-CARVE-1"],
)
def test_every_persona_normalizes_the_same_over_json_and_core_x12(
    server: SandboxPayer, member_id: str
) -> None:
    over_json = ClearinghouseJsonAdapter().check(request(member_id), payer=json_payer(server))
    over_x12 = CoreX12Adapter().check(request(member_id), payer=core_payer(server))
    fields = set(type(over_json).model_fields) - {"raw_payload", "raw_media_type", "assumptions"}
    # Each line keeps its position in its own format (a segment number in X12): not compared.
    numbers: Any = {"benefits": {"__all__": {"segment_number"}}}
    assert over_json.model_dump(include=fields, exclude=numbers) == over_x12.model_dump(
        include=fields, exclude=numbers
    )
    # The same choices, citing lines by their position in each format.
    assert [re.sub(r"EB #\d+", "EB", a) for a in over_json.assumptions] == [
        re.sub(r"EB #\d+", "EB", a) for a in over_x12.assumptions
    ]
    assert over_json.raw_media_type == "application/json"


@pytest.mark.parametrize(
    "member_id", ["SBX-PPO-1", "SBX-MCR-1", "SBX-MCD-1", "SBX-INACTIVE-1", "SBX-CARVE-1"]
)
def test_every_persona_gives_the_same_cost_sharing_over_fhir_and_core_x12(
    server: SandboxPayer, member_id: str
) -> None:
    over_fhir = FhirAdapter().check(request(member_id), payer=fhir_payer(server))
    over_x12 = CoreX12Adapter().check(request(member_id), payer=core_payer(server))
    assert over_fhir.active == over_x12.active
    assert over_fhir.cost_sharing == over_x12.cost_sharing
    if over_x12.active:
        assert (over_fhir.plan_begin, over_fhir.plan_end) == (
            over_x12.plan_begin,
            over_x12.plan_end,
        )
    assert over_fhir.raw_media_type == "application/fhir+json"


@pytest.mark.parametrize("payer", [json_payer, fhir_payer])
def test_the_down_persona_answers_on_the_second_attempt(
    server: SandboxPayer, payer: Callable[[SandboxPayer], PayerConfig]
) -> None:
    adapter = load_adapters()[payer(server).adapter]
    with pytest.raises(PayerTransientError):
        adapter.check(request("SBX-DOWN-1", 1), payer=payer(server))
    result = adapter.check(request("SBX-DOWN-1", 2), payer=payer(server))
    assert result.active is True


@pytest.mark.parametrize(
    ("fault", "message", "retry_after"),
    [
        (Fault.HTTP_503, "answered HTTP 503", 7.0),
        (Fault.AAA_42, "payer answered AAA 42 in loop", None),
        (Fault.MALFORMED, "sent an unreadable eligibility response (not JSON)", None),
        (Fault.DROP, "connection failed", None),
    ],
)
@pytest.mark.parametrize("payer", [json_payer, fhir_payer])
def test_injected_faults_are_retryable_over_json_and_fhir(
    fault: Fault,
    message: str,
    retry_after: float | None,
    payer: Callable[[SandboxPayer], PayerConfig],
) -> None:
    with SandboxPayer(faults=FaultPlan(rates={fault: 1.0})) as faulty:
        adapter = load_adapters()[payer(faulty).adapter]
        with pytest.raises(PayerError) as caught:
            adapter.check(request("SBX-PPO-1"), payer=payer(faulty))
        assert type(caught.value) is PayerTransientError
        assert message in str(caught.value)
        assert caught.value.retry_after == retry_after
        assert faulty.counters.calls == 1


def test_core_soap_with_ws_security_against_the_sandbox(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("IOP_TEST_SOAP_USER", "iop")
    monkeypatch.setenv("IOP_TEST_SOAP_PASSWORD", "right")
    with SandboxPayer(credentials=("iop", "right")) as secured:
        settings = core_payer(secured).settings | {
            "transport": "soap",
            "username_env": "IOP_TEST_SOAP_USER",
            "password_env": "IOP_TEST_SOAP_PASSWORD",
        }
        over_soap = CoreX12Adapter().check(request("SBX-PPO-1"), payer=_payer("core_x12", settings))
        over_mime = CoreX12Adapter().check(
            request("SBX-PPO-1"), payer=_payer("core_x12", settings | {"transport": "mime"})
        )
        assert over_soap.cost_sharing == over_mime.cost_sharing
        assert over_soap.cost_sharing_for(Network.IN) is not None
        monkeypatch.setenv("IOP_TEST_SOAP_PASSWORD", "wrong")
        with pytest.raises(PayerError) as caught:
            CoreX12Adapter().check(request("SBX-PPO-1"), payer=_payer("core_x12", settings))
        assert str(caught.value) == "payer sandbox-json refused the request: HTTP 401"
