"""Per-payer circuit breaker and concurrency cap, held in Redis so they bind across all workers.

Celery's `rate_limit` counts per worker process, so a payer that allows K simultaneous calls
would see K x workers. Here every call takes a lease in a Redis sorted set (expiring, so a
killed worker frees its slot) and asks the breaker first. Both decisions run as Lua scripts on
the Redis clock: atomic, and immune to skew between worker hosts.

pybreaker's Redis storage was considered: it shares the state but lets every process that sees
the reset timeout elapse send a probe, where the CORE guidance and check 24 want exactly one.
"""

import logging
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cache

import redis
from redis.backoff import NoBackoff
from redis.retry import Retry

from coverage.domain.payer import PayerConfig, PayerLimits
from coverage.errors import PayerTransientError
from coverage.settings import get_settings

log = logging.getLogger(__name__)

_NOW = "local t = redis.call('TIME') local now = tonumber(t[1]) + tonumber(t[2]) / 1e6 "

# KEYS[1] slots zset. ARGV: token, lease seconds, cap. Returns 1 when a slot was taken.
_TAKE_SLOT = (
    _NOW
    + """
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
if redis.call('ZCARD', KEYS[1]) < tonumber(ARGV[3]) then
  redis.call('ZADD', KEYS[1], now + tonumber(ARGV[2]), ARGV[1])
  redis.call('EXPIRE', KEYS[1], math.ceil(tonumber(ARGV[2])) + 60)
  return 1
end
return 0
"""
)

# KEYS[1] breaker hash. ARGV: probe lease seconds.
# Returns {verdict, wait}: 1 = closed, call; 2 = half-open, this call is the probe; 0 = refused.
_PERMIT = (
    _NOW
    + """
local open_until = tonumber(redis.call('HGET', KEYS[1], 'open_until') or '0')
if open_until == 0 then return {1, '0'} end
if now < open_until then return {0, tostring(open_until - now)} end
local probe_until = tonumber(redis.call('HGET', KEYS[1], 'probe_until') or '0')
if now < probe_until then return {0, tostring(probe_until - now)} end
redis.call('HSET', KEYS[1], 'probe_until', now + tonumber(ARGV[1]))
return {2, '0'}
"""
)

# KEYS[1] breaker hash. ARGV: failed (1/0), threshold, open seconds.
# Returns 1 when this outcome opened (or re-opened) the circuit.
_RECORD = (
    _NOW
    + """
if ARGV[1] == '0' then redis.call('DEL', KEYS[1]) return 0 end
local failures = redis.call('HINCRBY', KEYS[1], 'failures', 1)
local was_open = tonumber(redis.call('HGET', KEYS[1], 'open_until') or '0') > 0
if was_open or failures >= tonumber(ARGV[2]) then
  redis.call('HSET', KEYS[1], 'open_until', now + tonumber(ARGV[3]), 'probe_until', 0)
  return 1
end
return 0
"""
)


class PayerDeferred(PayerTransientError):
    """The call was not made (circuit open, or the payer's concurrency cap is full).

    The job waits without spending an attempt: no payer was asked.
    """


@dataclass(frozen=True)
class Limits:
    max_concurrent: int
    failure_threshold: int
    open_seconds: float
    lease_seconds: float
    slot_wait_seconds: float

    @classmethod
    def for_payer(cls, payer: PayerConfig) -> "Limits":
        settings = get_settings()
        own = payer.limits or PayerLimits()
        return cls(
            max_concurrent=own.max_concurrent or settings.payer_max_concurrent,
            failure_threshold=own.failure_threshold or settings.breaker_failure_threshold,
            open_seconds=own.open_seconds or settings.breaker_open_seconds,
            lease_seconds=settings.payer_call_lease_seconds,
            slot_wait_seconds=settings.payer_slot_wait_seconds,
        )


class RedisPayerGuard:
    def __init__(self, client: redis.Redis) -> None:
        self._client = client
        self._take_slot = client.register_script(_TAKE_SLOT)
        self._permit = client.register_script(_PERMIT)
        self._record = client.register_script(_RECORD)

    @staticmethod
    def _keys(payer_id: str) -> tuple[str, str]:
        return f"iop:payer:{payer_id}:slots", f"iop:payer:{payer_id}:breaker"

    @contextmanager
    def call(self, payer: PayerConfig) -> Iterator[None]:
        """Holds one of the payer's slots for the call and tells the breaker how it went.

        Without Redis neither limit can be kept, so the call waits (PayerDeferred) rather than
        going out unguarded; once the call is made, a Redis error only costs the bookkeeping.
        """
        limits = Limits.for_payer(payer)
        slots, breaker = self._keys(payer.id)
        token = uuid.uuid4().hex
        try:
            verdict, wait = self._permit(keys=[breaker], args=[limits.lease_seconds])
            if int(verdict) == 0:
                raise PayerDeferred(
                    f"circuit open for payer {payer.id}",
                    action=f"{payer.name} is failing; payer calls wait until it answers again.",
                    retry_after=float(wait),
                )
            self._wait_for_slot(slots, token, limits, payer)
        except redis.RedisError as exc:
            raise PayerDeferred(
                f"payer guard unavailable ({type(exc).__name__})",
                action="The service's Redis did not answer; the check waits for it.",
                retry_after=limits.open_seconds / 4,
            ) from None
        failed = False
        try:
            yield
        except PayerTransientError:
            failed = True
            raise
        finally:  # a final data error (AAA 75) is still an answer: the payer is up
            self._settle(slots, token, breaker, failed=failed, limits=limits, payer=payer)

    def _wait_for_slot(self, slots: str, token: str, limits: Limits, payer: PayerConfig) -> None:
        deadline = time.monotonic() + limits.slot_wait_seconds
        while not self._take_slot(
            keys=[slots], args=[token, limits.lease_seconds, limits.max_concurrent]
        ):
            if time.monotonic() >= deadline:
                raise PayerDeferred(
                    f"concurrency cap reached for payer {payer.id}",
                    action=f"{payer.name} is busy with other checks; this one waits its turn.",
                    retry_after=1.0,
                )
            time.sleep(0.05)

    def _settle(
        self,
        slots: str,
        token: str,
        breaker: str,
        *,
        failed: bool,
        limits: Limits,
        payer: PayerConfig,
    ) -> None:
        try:
            self._client.zrem(slots, token)
            self._outcome(breaker, failed=failed, limits=limits, payer=payer)
        except redis.RedisError as exc:  # the slot's lease runs out on its own
            log.warning("payer guard bookkeeping for %s lost: %s", payer.id, type(exc).__name__)

    def _outcome(self, breaker: str, *, failed: bool, limits: Limits, payer: PayerConfig) -> None:
        opened = self._record(
            keys=[breaker],
            args=[1 if failed else 0, limits.failure_threshold, limits.open_seconds],
        )
        if opened:
            log.warning("circuit opened for payer %s for %.0fs", payer.id, limits.open_seconds)


@dataclass(frozen=True)
class PayerHealth:
    circuit: str  # closed, open, half-open, unknown, or not shared (in-process)
    in_flight: int | None = None
    failures: int | None = None
    reopens_in_seconds: float | None = None  # while open: when the next probe may go


UNKNOWN = PayerHealth(circuit="unknown")


def _read_health(client: redis.Redis, payer_ids: list[str]) -> dict[str, PayerHealth]:
    """Each payer's circuit and calls in flight, in one round trip, changing nothing."""
    try:
        seconds, micros = client.time()
        now = seconds + micros / 1e6
        pipe = client.pipeline(transaction=False)
        for payer_id in payer_ids:
            slots, breaker = RedisPayerGuard._keys(payer_id)
            pipe.zcount(slots, f"({now}", "+inf")  # leases not yet expired
            pipe.hmget(breaker, "failures", "open_until")
        replies = pipe.execute()
    except redis.RedisError:
        return dict.fromkeys(payer_ids, UNKNOWN)
    found: dict[str, PayerHealth] = {}
    for index, payer_id in enumerate(payer_ids):
        in_flight, (failures, open_until) = replies[2 * index], replies[2 * index + 1]
        opened = float(open_until or 0)
        if opened == 0:
            circuit, wait = "closed", None
        elif now < opened:
            circuit, wait = "open", round(opened - now, 1)
        else:  # the next call is the single probe
            circuit, wait = "half-open", None
        found[payer_id] = PayerHealth(
            circuit=circuit,
            in_flight=int(in_flight),
            failures=int(failures or 0),
            reopens_in_seconds=wait,
        )
    return found


class NoPayerGuard:
    """In-process runs (no broker): one process, one call at a time; nothing to share."""

    @contextmanager
    def call(self, payer: PayerConfig) -> Iterator[None]:
        yield


@cache
def _guard_for(url: str | None) -> RedisPayerGuard | NoPayerGuard:
    if url is None:
        return NoPayerGuard()
    return RedisPayerGuard(redis.Redis.from_url(url))


def payer_guard() -> RedisPayerGuard | NoPayerGuard:
    return _guard_for(get_settings().broker_url)


@cache
def _status_client(url: str) -> redis.Redis:
    # A page must not hang on a Redis that does not answer: short timeouts, no retries.
    return redis.Redis.from_url(
        url, socket_connect_timeout=1, socket_timeout=1, retry=Retry(NoBackoff(), 0)
    )


def payer_health(payer_ids: list[str]) -> dict[str, PayerHealth]:
    """Live guard state per payer for the operators' page; never raises for Redis."""
    url = get_settings().broker_url
    if url is None:  # in-process: one process, nothing shared to report
        return dict.fromkeys(payer_ids, PayerHealth(circuit="not shared (in-process)"))
    return _read_health(_status_client(url), payer_ids)
