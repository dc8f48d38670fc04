"""The sandbox payer over real sockets: 270 -> sandbox -> 271 -> normalized, for every persona,
against the in-process sandbox adapter; fault injection; the `iop-coverage sandbox` command."""

import os
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
import requests

from coverage.adapters.core_x12 import CoreX12Adapter
from coverage.adapters.sandbox import SandboxAdapter
from coverage.domain.eligibility import (
    EligibilityRequest,
    EligibilityResponse,
    InsuranceType,
    OtherPayer,
    OtherPayerRole,
)
from coverage.domain.payer import PayerConfig
from coverage.domain.request import Relationship, Subscriber
from coverage.errors import PayerError, PayerPermanentError, PayerTransientError
from coverage.sandbox.app import SandboxPayer
from coverage.sandbox.faults import Fault, FaultPlan
from tests.payers import eligibility_request, payer_config, sandbox_core_settings

ROOT = Path(__file__).resolve().parents[2]


def payer(url: str, **settings: object) -> PayerConfig:
    return payer_config(
        "core_x12",
        id="sandbox-core",
        name="Sandbox CORE payer",
        settings={**sandbox_core_settings(url, read_timeout=5), **settings},
    )


def request(member_id: str, *, attempt: int = 1, year: int = 2026) -> EligibilityRequest:
    return eligibility_request(
        payer_id="sandbox-core",
        member_id=member_id,
        service_start=date(year, 3, 2),
        service_end=date(year, 5, 22),
        trace_number=f"{'ab' * 10}{attempt:02d}",
        attempt=attempt,
    )


@pytest.fixture
def sandbox() -> Iterator[SandboxPayer]:
    with SandboxPayer() as server:
        yield server


def both(server: SandboxPayer, req: EligibilityRequest) -> tuple[object, object]:
    """The answer (or the error class) of the in-process adapter and of X12 through the sandbox."""
    results: list[object] = []
    for adapter in (SandboxAdapter(), CoreX12Adapter()):
        try:
            results.append(adapter.check(req, payer=payer(server.url)))
        except PayerError as exc:
            results.append(type(exc))
    return results[0], results[1]


@pytest.mark.parametrize(
    ("member_id", "attempt", "year"),
    [
        ("SBX-PPO-0001", 1, 2026),
        ("SBX-MCR-0001", 1, 2026),
        ("SBX-MCR-0001", 1, 2025),
        ("SBX-MCD-0001", 1, 2026),
        ("SBX-INACTIVE-0001", 1, 2026),
        ("SBX-DOWN-0001", 2, 2026),
    ],
)
def test_every_answering_persona_normalizes_as_the_in_process_sandbox(
    sandbox: SandboxPayer, member_id: str, attempt: int, year: int
) -> None:
    in_process, over_x12 = both(sandbox, request(member_id, attempt=attempt, year=year))
    assert isinstance(in_process, EligibilityResponse) and isinstance(over_x12, EligibilityResponse)
    assert over_x12.cost_sharing == in_process.cost_sharing
    assert (over_x12.active, over_x12.insurance_type, over_x12.plan_name is not None) == (
        in_process.active,
        in_process.insurance_type,
        True,
    )
    assert (over_x12.plan_begin, over_x12.plan_end) == (in_process.plan_begin, in_process.plan_end)
    assert over_x12.raw_media_type == "application/edi-x12"
    assert over_x12.raw_payload.startswith("ISA*")


@pytest.mark.parametrize(
    ("member_id", "attempt", "year", "error"),
    [
        ("SBX-DOWN-0001", 1, 2026, PayerTransientError),
        ("UNKNOWN-0001", 1, 2026, PayerPermanentError),
        ("SBX-MCR-0001", 1, 2023, PayerPermanentError),
    ],
)
def test_failing_personas_fail_alike_after_one_call(
    sandbox: SandboxPayer, member_id: str, attempt: int, year: int, error: type[PayerError]
) -> None:
    in_process, over_x12 = both(sandbox, request(member_id, attempt=attempt, year=year))
    assert in_process is over_x12 is error
    assert sandbox.counters.calls == 1  # stopped after the first of the two service types


def test_carve_out_persona_names_the_administrator(sandbox: SandboxPayer) -> None:
    result = CoreX12Adapter().check(request("SBX-CARVE-0001"), payer=payer(sandbox.url))
    assert result.active is True
    assert result.other_payers == (
        OtherPayer(
            role=OtherPayerRole.CARVE_OUT, name="SANDBOX BEHAVIORAL HEALTH", payer_id="SBXBH"
        ),
    )
    assert sandbox.counters.calls == 2


def test_qmb_persona(sandbox: SandboxPayer) -> None:
    result = CoreX12Adapter().check(request("SBX-QMB-0001"), payer=payer(sandbox.url))
    assert (result.medicare_qmb, result.insurance_type) == (True, InsuranceType.MEDICARE)


@pytest.mark.parametrize(
    ("fault", "kind", "message", "retry_after"),
    [
        (Fault.HTTP_503, PayerTransientError, "answered HTTP 503", 7.0),
        (Fault.HTTP_500, PayerTransientError, "answered HTTP 500", None),
        (Fault.DROP, PayerTransientError, "connection failed", None),
        (Fault.TIMEOUT, PayerTransientError, "did not answer within 0.5 s", None),
        (Fault.MALFORMED, PayerTransientError, "sent a malformed 271 (X12 segment ST #3", None),
        (Fault.AAA_42, PayerTransientError, "payer answered AAA 42 in loop 2100A", None),
    ],
)
def test_injected_faults_are_classified_over_real_sockets(
    fault: Fault, kind: type[PayerError], message: str, retry_after: float | None
) -> None:
    plan = FaultPlan(rates={fault: 1.0}, timeout_seconds=1.5)
    with SandboxPayer(faults=plan) as server:
        with pytest.raises(PayerError) as caught:
            CoreX12Adapter().check(
                request("SBX-PPO-0001"), payer=payer(server.url, read_timeout=0.5)
            )
    assert type(caught.value) is kind
    assert message in str(caught.value)
    assert caught.value.retry_after == retry_after
    assert "Doe" not in str(caught.value)


def test_latency_is_applied(sandbox: SandboxPayer) -> None:
    with SandboxPayer(faults=FaultPlan(latency=(0.3, 0.3))) as server:
        started = time.monotonic()
        CoreX12Adapter().check(request("SBX-PPO-0001"), payer=payer(server.url))
        assert time.monotonic() - started >= 0.6  # two service types, 0.3 s each


def stats(server_url: str) -> dict[str, int]:
    response = requests.get(server_url.replace("/core", "/stats"), timeout=5)
    assert response.headers["Content-Type"] == "application/json"
    data: dict[str, int] = response.json()
    return data


def test_stats_count_calls_in_flight_and_their_peak() -> None:
    with SandboxPayer(faults=FaultPlan(latency=(1.0, 1.0))) as server:
        assert stats(server.url) == {"calls": 0, "in_flight": 0, "peak_in_flight": 0}
        one_call = payer(server.url, one_service_type_per_request=False)
        callers = [
            threading.Thread(
                target=CoreX12Adapter().check,
                args=(request("SBX-PPO-0001"),),
                kwargs={"payer": one_call},
            )
            for _ in range(3)
        ]
        for caller in callers:
            caller.start()
        deadline = time.monotonic() + 5
        while (during := stats(server.url))["in_flight"] < 3 and time.monotonic() < deadline:
            time.sleep(0.02)
        for caller in callers:
            caller.join(timeout=10)
        assert during == {"calls": 3, "in_flight": 3, "peak_in_flight": 3}
        assert stats(server.url) == {"calls": 3, "in_flight": 0, "peak_in_flight": 3}


def test_a_call_answered_is_no_longer_in_flight_even_before_its_thread_finishes(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """On a busy machine the handler thread may run again only well after its answer went out;
    the caller's next call by then is not a second call at once (a cap check would fail falsely)."""
    from coverage.sandbox import app

    send = app._Handler._send

    def send_then_stall(self: app._Handler, *args: object, **kwargs: object) -> None:
        send(self, *args, **kwargs)  # type: ignore[arg-type]
        time.sleep(0.5)  # descheduled after writing the answer

    monkeypatch.setattr(app._Handler, "_send", send_then_stall)
    with SandboxPayer() as server:
        one_call = payer(server.url, one_service_type_per_request=False)
        for _ in range(2):
            CoreX12Adapter().check(request("SBX-PPO-0001"), payer=one_call)
        assert server.counters.snapshot()["peak_in_flight"] == 1
        time.sleep(0.6)
        assert stats(server.url) == {"calls": 2, "in_flight": 0, "peak_in_flight": 1}


def test_wrong_credentials_are_refused_as_final(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("IOP_TEST_SBX_USER", "someone")
    monkeypatch.setenv("IOP_TEST_SBX_PASSWORD", "wrong")
    with SandboxPayer(credentials=("iop", "right")) as server:
        with pytest.raises(PayerPermanentError) as caught:
            CoreX12Adapter().check(
                request("SBX-PPO-0001"),
                payer=payer(
                    server.url,
                    username_env="IOP_TEST_SBX_USER",
                    password_env="IOP_TEST_SBX_PASSWORD",
                ),
            )
    assert str(caught.value) == "payer sandbox-core refused the request: HTTP 401"


def test_an_unreadable_270_gets_a_core_envelope_error(sandbox: SandboxPayer) -> None:
    from coverage.x12 import core_mime

    fields = core_mime.envelope(
        payload_type=core_mime.REQUEST_270, payload="NOT X12", sender_id="A", receiver_id="B"
    )
    response = requests.post(
        sandbox.url, files={k: (None, v) for k, v in fields.items()}, timeout=5
    )
    reply = core_mime.decode(response.content, response.headers["Content-Type"])
    assert response.status_code == 400
    assert (reply["PayloadType"], reply["ErrorCode"]) == ("CoreEnvelopeError", "PayloadInvalid")
    assert (
        reply["ErrorMessage"]
        == "X12 before the first segment: the interchange does not start with ISA"
    )


def test_the_sandbox_command_serves_until_stopped() -> None:
    process = subprocess.Popen(
        [sys.executable, "-m", "coverage.cli", "sandbox", "--port", "0", "--fault", "503=0"],
        stderr=subprocess.PIPE,
        text=True,
        cwd=ROOT,
        env={**os.environ},
    )
    try:
        assert process.stderr is not None
        line = process.stderr.readline()
        assert line.startswith("sandbox payer listening on http://127.0.0.1:")
        url = line.split(" on ", 1)[1].strip()
        health = requests.get(url.replace("/core", "/healthz"), timeout=5)
        assert (health.status_code, health.text) == (200, "ok")
        result = CoreX12Adapter().check(request("SBX-PPO-0001"), payer=payer(url))
        assert result.active is True
        assert stats(url) == {"calls": 2, "in_flight": 0, "peak_in_flight": 1}
    finally:
        process.terminate()
        process.wait(timeout=10)


def test_the_sandbox_command_refuses_a_bad_fault_spec() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "coverage.cli", "sandbox", "--fault", "boom=0.5"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=30,
    )
    assert done.returncode == 2
    assert done.stderr.startswith(
        "sandbox: fault 'boom=0.5': expected KIND=RATE with KIND one of timeout, 503"
    )


def test_a_dependent_without_an_own_id_is_answered_in_the_dependent_loop(
    sandbox: SandboxPayer,
) -> None:
    holder = Subscriber(first_name="John", last_name="Doe", birth_date=date(1975, 2, 3))
    child = request("SBX-PPO-0001").model_copy(
        update={
            "first_name": "Jim",
            "birth_date": date(2010, 6, 30),
            "relationship": Relationship.CHILD,
            "subscriber": holder,
        }
    )
    in_process, over_x12 = both(sandbox, child)
    assert isinstance(in_process, EligibilityResponse) and isinstance(over_x12, EligibilityResponse)
    assert over_x12.active is True
    assert over_x12.cost_sharing == in_process.cost_sharing
    assert "HL*4*3*23*0~" in over_x12.raw_payload  # the answer came in the 2000D loop
