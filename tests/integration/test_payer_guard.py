"""The per-payer circuit breaker and concurrency cap, on the real Redis, against the sandbox payer
over real sockets."""

import threading
import time
from datetime import date

import pytest

from coverage.adapters.core_x12 import CoreX12Adapter
from coverage.domain.eligibility import EligibilityRequest, InsuranceType, Network
from coverage.domain.payer import PayerConfig
from coverage.domain.request import Relationship, Sex
from coverage.errors import PayerError, PayerTransientError
from coverage.sandbox.app import SandboxPayer
from coverage.sandbox.faults import Fault, FaultPlan
from tests.integration.redis_keys import clear_payer_guards


@pytest.fixture(autouse=True)
def _fresh_payer_guards() -> None:
    clear_payer_guards()


def payer(url: str, **settings: object) -> PayerConfig:
    return PayerConfig(
        kind="payer",
        id="guarded-payer",
        name="Guarded payer",
        type=InsuranceType.COMMERCIAL,
        adapter="core_x12",
        network_status=Network.IN,
        version="1",
        source="test",
        settings={
            "url": url,
            "payer_x12_id": "SBX01",
            "payer_name": "IOP COVERAGE SANDBOX PAYER",
            "provider_name": "EXAMPLE IOP CLINIC",
            "sender_id": "EXAMPLEIOP",
            "receiver_id": "SANDBOX",
            "one_service_type_per_request": False,
            "read_timeout": 5,
            **settings,
        },
    )


REQUEST = EligibilityRequest(
    payer_id="guarded-payer",
    provider_npi="1234567893",
    member_id="SBX-PPO-0001",
    first_name="Jane",
    last_name="Doe",
    birth_date=date(1990, 1, 1),
    sex=Sex.FEMALE,
    relationship=Relationship.SELF,
    service_start=date(2026, 3, 2),
    service_end=date(2026, 5, 22),
    trace_number="ef" * 10 + "01",
    attempt=1,
)


def attempt(server: SandboxPayer, **settings: object) -> PayerError | None:
    try:
        CoreX12Adapter().check(REQUEST, payer=payer(server.url, **settings))
    except PayerError as exc:
        return exc
    return None


def test_breaker_opens_after_the_threshold_then_lets_exactly_one_probe_through() -> None:
    settings = {"circuit_failure_threshold": 3, "circuit_reset_seconds": 1}
    with SandboxPayer(faults=FaultPlan(rates={Fault.HTTP_503: 1.0})) as server:
        for _ in range(3):
            assert "answered HTTP 503" in str(attempt(server, **settings))
        refused = attempt(server, **settings)
        assert isinstance(refused, PayerTransientError)
        assert str(refused) == "payer guarded-payer: circuit open after repeated failures"
        assert refused.retry_after == 1.0  # the time left, at least a second
        assert server.counters.calls == 3  # open: the payer gets no call

        time.sleep(1.1)
        results: list[PayerError | None] = []
        threads = [
            threading.Thread(target=lambda: results.append(attempt(server, **settings)))
            for _ in range(4)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert server.counters.calls == 4  # half-open: exactly one probe
        texts = sorted(str(r) for r in results)
        assert texts.count("payer guarded-payer: circuit open after repeated failures") == 3
        assert (
            texts.count("payer guarded-payer answered HTTP 503") == 1
        )  # the probe failed: open again

        server.faults = FaultPlan()  # the payer recovers
        time.sleep(1.1)
        assert attempt(server, **settings) is None  # the probe succeeds and closes the breaker
        assert attempt(server, **settings) is None
        assert server.counters.calls == 6


def test_a_member_not_found_answer_counts_as_the_payer_being_up() -> None:
    settings = {"circuit_failure_threshold": 2, "circuit_reset_seconds": 30}
    with SandboxPayer() as server:
        lost = REQUEST.model_copy(update={"member_id": "NOBODY-1"})
        for _ in range(4):
            with pytest.raises(PayerError):
                CoreX12Adapter().check(lost, payer=payer(server.url, **settings))
        assert attempt(server, **settings) is None
        assert server.counters.calls == 5


def test_concurrent_calls_never_exceed_the_cap_and_all_complete() -> None:
    with SandboxPayer(faults=FaultPlan(latency=(0.2, 0.2))) as server:
        results: list[PayerError | None] = []
        threads = [
            threading.Thread(target=lambda: results.append(attempt(server, max_concurrent=2)))
            for _ in range(8)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert results == [None] * 8
        assert server.counters.calls == 8
        assert server.counters.peak_in_flight == 2


def test_a_call_that_waits_too_long_for_a_slot_is_retryable() -> None:
    with SandboxPayer(faults=FaultPlan(latency=(1.5, 1.5))) as server:
        results: list[PayerError | None] = []
        settings = {"max_concurrent": 1, "read_timeout": 0.5 + 1.5}
        first = threading.Thread(target=lambda: results.append(attempt(server, **settings)))
        first.start()
        time.sleep(0.2)
        second = attempt(server, read_timeout=0.3, max_concurrent=1)
        first.join()
    assert results == [None]
    assert isinstance(second, PayerTransientError)
    assert str(second) == "payer guarded-payer: all 1 call slots busy"
    assert server.counters.calls == 1
