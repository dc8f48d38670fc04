"""Per-payer circuit breaker and concurrency cap on the real Redis, across OS processes."""

import multiprocessing
import threading
import time
import uuid
from collections.abc import Iterator, Sequence
from typing import Any, ClassVar

import pytest
import redis
from sqlalchemy import update
from sqlmodel import Session, col

from coverage import pipeline, service
from coverage.adapters.core_x12 import CoreX12Adapter
from coverage.adapters.guard import PayerDeferred, RedisPayerGuard
from coverage.adapters.sandbox import SandboxAdapter
from coverage.core.rule_book import current_rulebook
from coverage.domain.access import Actor
from coverage.domain.eligibility import EligibilityRequest, EligibilityResponse
from coverage.domain.payer import PayerConfig, PayerLimits
from coverage.errors import PayerPermanentError, PayerTransientError
from coverage.sandbox.app import SandboxPayer
from coverage.sandbox.faults import Fault, FaultPlan
from coverage.store import payer_calls
from coverage.store.db import session_scope
from coverage.store.tables import VerificationJob
from tests.conftest import REDIS_URL
from tests.factories import request
from tests.integration.conftest import job_row
from tests.payers import eligibility_request, payer_config, sandbox_core_settings


def payer(threshold: int = 3, open_seconds: float = 1.0, cap: int = 3) -> PayerConfig:
    """A payer of its own per test, so no breaker state is shared between tests."""
    base = current_rulebook().payers["sandbox-commercial"]
    return base.model_copy(
        update={
            "id": f"guard-{uuid.uuid4().hex[:8]}",
            "limits": PayerLimits(
                max_concurrent=cap, failure_threshold=threshold, open_seconds=open_seconds
            ),
        }
    )


@pytest.fixture
def guard() -> Iterator[RedisPayerGuard]:
    client = redis.Redis.from_url(REDIS_URL)
    yield RedisPayerGuard(client)
    for key in client.scan_iter("iop:payer:guard-*"):
        client.delete(key)


def call(guard: RedisPayerGuard, p: PayerConfig, outcome: Exception | None = None) -> None:
    with guard.call(p):
        if outcome is not None:
            raise outcome


def down() -> PayerTransientError:
    return PayerTransientError("503 from payer", action="The payer could not respond.")


def _hold_a_slot(payer_json: str, calls: int, spans: Any) -> None:
    """Runs in another OS process: each call holds a slot for 0.2 s and records its span."""
    guard = RedisPayerGuard(redis.Redis.from_url(REDIS_URL))
    p = PayerConfig.model_validate_json(payer_json)
    for _ in range(calls):
        with guard.call(p):
            started = time.time()
            time.sleep(0.2)
            spans.append((started, time.time()))


def test_the_concurrency_cap_holds_across_worker_processes(guard: RedisPayerGuard) -> None:
    p = payer(cap=3)
    ctx = multiprocessing.get_context("spawn")
    with ctx.Manager() as manager:
        spans: Sequence[tuple[float, float]] = manager.list()
        procs = [
            ctx.Process(target=_hold_a_slot, args=(p.model_dump_json(), 3, spans)) for _ in range(4)
        ]
        for proc in procs:
            proc.start()
        for proc in procs:
            proc.join(timeout=60)
        spans = list(spans)
    assert [proc.exitcode for proc in procs] == [0, 0, 0, 0]
    assert len(spans) == 12  # every call was made, none refused
    # the most calls in flight at any instant, from the recorded start/end times
    events = sorted([(start, 1) for start, _ in spans] + [(end, -1) for _, end in spans])
    in_flight = peak = 0
    for _, delta in events:
        in_flight += delta
        peak = max(peak, in_flight)
    assert 2 <= peak <= 3  # calls did overlap, and never more than the cap


def test_a_full_cap_defers_the_call_after_the_slot_wait(
    guard: RedisPayerGuard, monkeypatch: pytest.MonkeyPatch
) -> None:
    from coverage.settings import get_settings

    monkeypatch.setattr(get_settings(), "payer_slot_wait_seconds", 0.2)
    p = payer(cap=1)
    held = threading.Event()
    release = threading.Event()

    def hold() -> None:
        with guard.call(p):
            held.set()
            release.wait(5)

    holder = threading.Thread(target=hold)
    holder.start()
    held.wait(5)
    with pytest.raises(PayerDeferred, match=f"concurrency cap reached for payer {p.id}"):
        call(guard, p)
    release.set()
    holder.join()
    call(guard, p)  # the slot is free again


def test_the_circuit_opens_at_the_threshold_and_sends_exactly_one_probe(
    guard: RedisPayerGuard,
) -> None:
    p = payer(threshold=3, open_seconds=1.0)
    for _ in range(3):
        with pytest.raises(PayerTransientError):
            call(guard, p, down())
    with pytest.raises(PayerDeferred, match=f"circuit open for payer {p.id}") as refused:
        call(guard, p)
    assert 0 < (refused.value.retry_after or 0) <= 1.0

    time.sleep(1.05)
    # five workers try at once after the reset time: exactly one probe reaches the payer
    reached: list[int] = []
    deferred: list[int] = []
    gate = threading.Barrier(5)
    probe_may_finish = threading.Event()

    def attempt(n: int) -> None:
        gate.wait()
        try:
            with guard.call(p):
                reached.append(n)
                probe_may_finish.wait(5)
        except PayerDeferred:
            deferred.append(n)

    threads = [threading.Thread(target=attempt, args=(n,)) for n in range(5)]
    for thread in threads:
        thread.start()
    # The probe stays in flight until the other four have been turned away, however slow the
    # machine: a fixed sleep let a late thread arrive after the probe had closed the circuit.
    deadline = time.monotonic() + 10
    while len(deferred) < 4 and time.monotonic() < deadline:
        time.sleep(0.01)
    probe_may_finish.set()
    for thread in threads:
        thread.join()
    assert (len(reached), len(deferred)) == (1, 4)
    call(guard, p)  # the probe succeeded: the circuit is closed again
    call(guard, p)


def test_a_failed_probe_opens_the_circuit_again(guard: RedisPayerGuard) -> None:
    p = payer(threshold=2, open_seconds=0.5)
    for _ in range(2):
        with pytest.raises(PayerTransientError):
            call(guard, p, down())
    time.sleep(0.55)
    with pytest.raises(PayerTransientError):
        call(guard, p, down())  # the probe
    with pytest.raises(PayerDeferred):
        call(guard, p)


def test_a_data_error_is_an_answer_and_resets_the_failure_count(guard: RedisPayerGuard) -> None:
    p = payer(threshold=2)
    with pytest.raises(PayerTransientError):
        call(guard, p, down())
    with pytest.raises(PayerPermanentError):
        call(guard, p, PayerPermanentError("AAA 75", action="Check the member ID."))
    with pytest.raises(PayerTransientError):
        call(guard, p, down())
    call(guard, p)  # one failure since the reset: still closed


class FlakyPayer:
    """Down until `up` is set, then answers as the sandbox PPO persona; counts every call."""

    name: ClassVar[str] = "sandbox"

    def __init__(self) -> None:
        self.up = False
        self.calls = 0

    def check(self, request: EligibilityRequest, *, payer: PayerConfig) -> EligibilityResponse:
        self.calls += 1
        if not self.up:
            raise PayerTransientError("payer down (test)", action="The payer could not respond.")
        return SandboxAdapter().check(request, payer=payer)


def test_a_job_waits_for_a_payer_that_is_down_and_completes_when_it_returns(
    session: Session, clerk: Actor, guard: RedisPayerGuard, monkeypatch: pytest.MonkeyPatch
) -> None:
    from coverage.settings import get_settings

    settings = get_settings()
    monkeypatch.setattr(settings, "breaker_failure_threshold", 2)
    monkeypatch.setattr(settings, "breaker_open_seconds", 30.0)
    monkeypatch.setattr(settings, "max_attempts", 3)
    client = redis.Redis.from_url(REDIS_URL)
    client.delete("iop:payer:sandbox-commercial:breaker")
    flaky = FlakyPayer()
    job, _ = service.queue(request("ppo"), actor=clerk, enqueue=lambda _id: None)

    def run_when_due() -> pipeline.Outcome:
        with session_scope() as s:  # as the worker's retry countdown would, without the wait
            s.execute(
                update(VerificationJob)
                .where(col(VerificationJob.id) == job.id)
                .values(not_before=None)
            )
        return pipeline.run(job.id, adapters={"sandbox": flaky})

    try:
        outcomes = [run_when_due().status for _ in range(6)]
        # two failed calls open the circuit; four more runs wait without calling the payer
        assert flaky.calls == 2
        assert outcomes == ["queued"] * 6
        row = job_row(session, job.id)
        assert row.attempts == 2  # waiting for the circuit spent no attempt
        assert row.message == (
            "Waiting for the payer: Sandbox Commercial PPO is failing; payer calls wait until it "
            "answers again."
        )
        flaky.up = True
        client.delete("iop:payer:sandbox-commercial:breaker")  # the open interval has passed
        assert run_when_due().status == "needs_review"
        assert flaky.calls == 3
        assert [c.outcome for c in payer_calls.list_for(session, job_id=job.id)] == [
            "transient_error",
            "transient_error",
            "ok",
        ]
    finally:
        client.delete("iop:payer:sandbox-commercial:breaker")


def test_without_redis_the_call_waits_instead_of_going_out_unguarded() -> None:
    import socket

    with socket.socket() as sock:  # a port nothing listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    guard = RedisPayerGuard(redis.Redis(port=port, socket_connect_timeout=0.5))
    reached = []
    with pytest.raises(PayerDeferred, match=r"payer guard unavailable \(ConnectionError\)"):
        with guard.call(payer()):
            reached.append(True)
    assert reached == []


# Over real sockets: the CORE X12 adapter against the sandbox payer, through the guard.

REQUEST = eligibility_request(
    payer_id="guarded-payer", member_id="SBX-PPO-0001", trace_number="ef" * 10 + "01"
)


def x12_payer(
    url: str, *, threshold: int = 3, open_seconds: float = 1.0, cap: int = 4
) -> PayerConfig:
    return payer_config(
        "core_x12",
        id=f"guard-{uuid.uuid4().hex[:8]}",
        name="Guarded payer",
        settings=sandbox_core_settings(url, one_service_type_per_request=False, read_timeout=5),
        limits=PayerLimits(
            max_concurrent=cap, failure_threshold=threshold, open_seconds=open_seconds
        ),
    )


def guarded_check(guard: RedisPayerGuard, p: PayerConfig) -> Exception | None:
    try:
        with guard.call(p):
            CoreX12Adapter().check(REQUEST, payer=p)
    except PayerTransientError as exc:  # PayerDeferred included
        return exc
    return None


def test_over_sockets_the_breaker_opens_then_sends_one_probe_then_closes(
    guard: RedisPayerGuard,
) -> None:
    with SandboxPayer(faults=FaultPlan(rates={Fault.HTTP_503: 1.0})) as server:
        p = x12_payer(server.url)
        for _ in range(3):
            assert str(guarded_check(guard, p)) == f"payer {p.id} answered HTTP 503"
        assert isinstance(guarded_check(guard, p), PayerDeferred)
        assert server.counters.calls == 3  # open: the payer gets no call

        time.sleep(1.05)
        results: list[Exception | None] = []
        threads = [
            threading.Thread(target=lambda: results.append(guarded_check(guard, p)))
            for _ in range(4)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert server.counters.calls == 4  # half-open: exactly one probe, and it failed
        assert sorted(type(r).__name__ for r in results) == [
            "PayerDeferred",
            "PayerDeferred",
            "PayerDeferred",
            "PayerTransientError",
        ]

        server.faults = FaultPlan()  # the payer recovers
        time.sleep(1.05)
        assert guarded_check(guard, p) is None  # the probe succeeds and closes the circuit
        assert guarded_check(guard, p) is None
        assert server.counters.calls == 6


def test_over_sockets_calls_in_flight_never_exceed_the_cap(guard: RedisPayerGuard) -> None:
    with SandboxPayer(faults=FaultPlan(latency=(0.2, 0.2))) as server:
        p = x12_payer(server.url, cap=2)
        results: list[Exception | None] = []
        threads = [
            threading.Thread(target=lambda: results.append(guarded_check(guard, p)))
            for _ in range(8)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert results == [None] * 8
        assert (server.counters.calls, server.counters.peak_in_flight) == (8, 2)
