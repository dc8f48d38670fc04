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

from coverage.domain.payer import PayerConfig, PayerLimits
from coverage.errors import PayerError, PayerTransientError
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
        """Holds one of the payer's slots for the call and tells the breaker how it went."""
        limits = Limits.for_payer(payer)
        slots, breaker = self._keys(payer.id)
        verdict, wait = self._permit(keys=[breaker], args=[limits.lease_seconds])
        if int(verdict) == 0:
            raise PayerDeferred(
                f"circuit open for payer {payer.id}",
                action=f"{payer.name} is failing; checks wait until it answers again.",
                retry_after=float(wait),
            )
        token = uuid.uuid4().hex
        self._wait_for_slot(slots, token, limits, payer)
        try:
            yield
        except PayerTransientError:
            self._outcome(breaker, failed=True, limits=limits, payer=payer)
            raise
        except PayerError:  # the payer answered, with a data error: it is up
            self._outcome(breaker, failed=False, limits=limits, payer=payer)
            raise
        else:
            self._outcome(breaker, failed=False, limits=limits, payer=payer)
        finally:
            self._client.zrem(slots, token)

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

    def _outcome(self, breaker: str, *, failed: bool, limits: Limits, payer: PayerConfig) -> None:
        opened = self._record(
            keys=[breaker],
            args=[1 if failed else 0, limits.failure_threshold, limits.open_seconds],
        )
        if opened:
            log.warning("circuit opened for payer %s for %.0fs", payer.id, limits.open_seconds)


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
