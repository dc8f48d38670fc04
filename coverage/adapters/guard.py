"""Per-payer circuit breaker and concurrency cap, shared by every worker through Redis.

Celery's `rate_limit` is per worker (security-and-reliability.md B4), so the state lives in Redis
and each step is one Lua script (atomic), timed by the Redis clock so workers on different
machines agree. Closed: calls pass. After `failure_threshold` consecutive retryable failures the
breaker opens for `reset_seconds`: calls are refused with the time left as `retry_after`. Then it
is half-open: exactly one probe passes; its success closes the breaker, its failure reopens it.
A call also needs one of `max_concurrent` slots; slots are leases, so a dead worker's slot frees
itself. Payer answers (even "member not found") count as the payer being up.
"""

import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import redis

from coverage.errors import PayerPermanentError, PayerTransientError

_ENTER = """
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
local opened = tonumber(redis.call('HGET', KEYS[1], 'opened_until') or '0')
local probe = false
if opened > 0 then
  if now < opened then return {'open', tostring(opened - now)} end
  local probe_until = tonumber(redis.call('HGET', KEYS[1], 'probe_until') or '0')
  if probe_until > now then return {'probing', tostring(probe_until - now)} end
  probe = true
end
local cap = tonumber(ARGV[2])
if cap > 0 then
  redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', now)
  if redis.call('ZCARD', KEYS[2]) >= cap then return {'busy', '0'} end
  redis.call('ZADD', KEYS[2], now + tonumber(ARGV[3]), ARGV[1])
  redis.call('PEXPIRE', KEYS[2], math.ceil(tonumber(ARGV[3]) * 1000))
end
if probe then
  redis.call('HSET', KEYS[1], 'probe_until', tostring(now + tonumber(ARGV[3])))
  return {'probe', '0'}
end
return {'ok', '0'}
"""

_FAILURE = """
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
local failures = redis.call('HINCRBY', KEYS[1], 'failures', 1)
if ARGV[3] == '1' or failures >= tonumber(ARGV[1]) then
  redis.call('HSET', KEYS[1], 'opened_until', tostring(now + tonumber(ARGV[2])))
  redis.call('HDEL', KEYS[1], 'probe_until')
  return 1
end
return 0
"""


@dataclass(frozen=True)
class GuardPolicy:
    failure_threshold: int = 5
    reset_seconds: float = 60.0
    max_concurrent: int = 0  # 0: no cap
    lease_seconds: float = 60.0  # longer than any call: a dead worker's slot frees after it
    wait_seconds: float = 30.0  # how long a call waits for a free slot before giving up
    poll_seconds: float = 0.05


class PayerGuard:
    def __init__(self, client: redis.Redis, payer_id: str, policy: GuardPolicy) -> None:
        self._redis = client
        self._payer = payer_id
        self._policy = policy
        self._breaker = f"iop-coverage:payer:{payer_id}:breaker"
        self._slots = f"iop-coverage:payer:{payer_id}:slots"
        self._enter_script = client.register_script(_ENTER)
        self._failure_script = client.register_script(_FAILURE)

    @contextmanager
    def call(self) -> Iterator[None]:
        """Hold a slot for one payer call and record how it went. Raises PayerTransientError when
        the breaker is open or no slot frees up in time (and when Redis cannot be reached)."""
        token = uuid.uuid4().hex
        try:
            probe = self._enter(token)
        except redis.RedisError:
            raise PayerTransientError(
                f"payer {self._payer}: coordination store unavailable",
                action="The service could not coordinate payer calls; the check is retried automatically.",
            ) from None
        try:
            yield
        except PayerTransientError:
            self._record(failed=True, probe=probe)
            raise
        except PayerPermanentError:
            self._record(failed=False, probe=probe)
            raise
        except BaseException:
            self._record(failed=True, probe=probe)
            raise
        else:
            self._record(failed=False, probe=probe)
        finally:
            self._release(token)

    def _enter(self, token: str) -> bool:
        p = self._policy
        deadline = time.monotonic() + p.wait_seconds
        while True:
            state, seconds = (
                v.decode() if isinstance(v, bytes) else str(v)
                for v in self._enter_script(
                    keys=[self._breaker, self._slots],
                    args=[token, p.max_concurrent, p.lease_seconds],
                )
            )
            if state in ("ok", "probe"):
                return state == "probe"
            if state in ("open", "probing"):
                raise PayerTransientError(
                    f"payer {self._payer}: circuit open after repeated failures",
                    action="The payer is failing; checks wait until it answers again.",
                    retry_after=max(float(seconds), 1.0),
                )
            if time.monotonic() >= deadline:  # busy: every slot taken
                raise PayerTransientError(
                    f"payer {self._payer}: all {p.max_concurrent} call slots busy",
                    action="The payer is busy with our other checks; the check is retried automatically.",
                    retry_after=p.poll_seconds * 20,
                )
            time.sleep(p.poll_seconds)

    def _record(self, *, failed: bool, probe: bool) -> None:
        p = self._policy
        try:
            if failed:
                self._failure_script(
                    keys=[self._breaker],
                    args=[p.failure_threshold, p.reset_seconds, "1" if probe else "0"],
                )
            else:
                self._redis.delete(self._breaker)
        except redis.RedisError:
            pass  # the call itself is done; losing one count only delays the breaker

    def _release(self, token: str) -> None:
        try:
            self._redis.zrem(self._slots, token)
        except redis.RedisError:
            pass  # the lease expires on its own
