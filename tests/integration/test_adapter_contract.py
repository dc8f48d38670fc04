"""One contract for every payer adapter: the same personas, the same promises.

A new built-in or plug-in adapter must get a payer file here (how to reach the sandbox payer),
or this file fails: an adapter ships only when it passes the contract.
"""

from collections.abc import Callable, Iterator
from datetime import date

import pytest

from coverage.adapters.base import PayerAdapter, load_adapters
from coverage.domain.eligibility import EligibilityRequest, EligibilityResponse, Network
from coverage.domain.payer import PayerConfig
from coverage.errors import PayerError, PayerPermanentError, PayerTransientError
from coverage.sandbox.app import FHIR_PATH, JSON_PATH, SandboxPayer
from tests.payers import eligibility_request, payer_config, sandbox_core_settings

CANARY_NAME = "Cnrylast"
CANARY_ID_SUFFIX = "CNRY7731"


def _payer(adapter: str, settings: dict[str, object]) -> PayerConfig:
    return payer_config(
        adapter,
        id=f"contract-{adapter.replace('_', '-')}",
        name="Contract payer",
        settings=settings,
    )


PAYER_FILES: dict[str, Callable[[str], PayerConfig]] = {
    "sandbox": lambda url: _payer("sandbox", {}),
    "core_x12": lambda url: _payer("core_x12", sandbox_core_settings(url, read_timeout=5)),
    "core_x12 over soap": lambda url: _payer(
        "core_x12", sandbox_core_settings(url, read_timeout=5, transport="soap")
    ),
    "clearinghouse_json": lambda url: _payer(
        "clearinghouse_json",
        {
            "url": url.removesuffix("/core") + JSON_PATH,
            "trading_partner_service_id": "SBX01",
            "provider_name": "EXAMPLE IOP CLINIC",
            "read_timeout": 5,
        },
    ),
    "fhir": lambda url: _payer(
        "fhir",
        {
            "url": url.removesuffix("/core") + FHIR_PATH,
            "insurer_id": "SBX01",
            "insurer_name": "IOP Coverage Sandbox Payer",
            "read_timeout": 5,
        },
    ),
}


@pytest.fixture(scope="module")
def sandbox_url() -> Iterator[str]:
    with SandboxPayer() as server:
        yield server.url


# Adapters that ask staff instead of a payer; their own contract: tests/integration/test_phone_verification.py.
STAFF_ADAPTERS = {"manual"}


def test_every_loaded_adapter_has_a_contract_payer_file() -> None:
    covered = {payer_file("http://127.0.0.1/core").adapter for payer_file in PAYER_FILES.values()}
    assert set(load_adapters()) == covered | STAFF_ADAPTERS


def _request(member_prefix: str, attempt: int = 1) -> EligibilityRequest:
    return eligibility_request(
        payer_id="contract",
        member_id=f"{member_prefix}{CANARY_ID_SUFFIX}",
        first_name="Ana",
        last_name=CANARY_NAME,
        birth_date=date(1988, 7, 14),
        trace_number=f"{'cd' * 10}{attempt:02d}",
        attempt=attempt,
    )


@pytest.fixture(params=sorted(PAYER_FILES))
def adapter(request: pytest.FixtureRequest, sandbox_url: str) -> tuple[PayerAdapter, PayerConfig]:
    payer = PAYER_FILES[request.param](sandbox_url)
    return load_adapters()[payer.adapter], payer


def test_an_active_member_gets_a_normalized_answer_with_its_raw_payload(
    adapter: tuple[PayerAdapter, PayerConfig],
) -> None:
    impl, payer = adapter
    result = impl.check(_request("SBX-PPO-"), payer=payer)
    assert isinstance(result, EligibilityResponse)
    assert result.active is True
    assert result.raw_payload
    cs = result.cost_sharing_for(Network.IN)
    assert cs is not None and cs.prior_auth_required is True


@pytest.mark.parametrize(
    ("prefix", "attempt", "error"),
    [
        ("NOBODY-", 1, PayerPermanentError),  # AAA 75
        ("SBX-DOWN-", 1, PayerTransientError),  # AAA 42
    ],
)
def test_failures_raise_only_classified_payer_errors_without_phi(
    adapter: tuple[PayerAdapter, PayerConfig], prefix: str, attempt: int, error: type[PayerError]
) -> None:
    impl, payer = adapter
    with pytest.raises(PayerError) as caught:
        impl.check(_request(prefix, attempt), payer=payer)
    assert type(caught.value) is error
    texts = f"{caught.value} {caught.value.action}"
    assert CANARY_NAME not in texts and CANARY_ID_SUFFIX not in texts and "1988" not in texts
