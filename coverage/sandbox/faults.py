"""Latency and fault injection for the sandbox payer, drawn from a seeded generator."""

import random
import threading
from dataclasses import dataclass, field
from enum import StrEnum


class Fault(StrEnum):
    TIMEOUT = "timeout"  # answer only after `timeout_seconds` (beyond any sane client timeout)
    HTTP_503 = "503"  # Service Unavailable with Retry-After
    HTTP_500 = "500"
    AAA_42 = "aaa42"  # a well-formed 271 saying "unable to respond now"
    MALFORMED = "malformed"  # a 271 cut short before SE
    DROP = "drop"  # close the connection without answering


@dataclass
class FaultPlan:
    """Per-request fault rates (0-1, summed at most 1) and a latency range in seconds."""

    rates: dict[Fault, float] = field(default_factory=dict)
    latency: tuple[float, float] = (0.0, 0.0)
    timeout_seconds: float = 30.0
    retry_after_seconds: int = 7
    seed: int | None = None
    _random: random.Random = field(init=False, repr=False)
    _lock: threading.Lock = field(init=False, repr=False, default_factory=threading.Lock)

    def __post_init__(self) -> None:
        if sum(self.rates.values()) > 1 or any(r < 0 for r in self.rates.values()):
            raise ValueError("fault rates must be between 0 and 1 and sum to at most 1")
        low, high = self.latency
        if low < 0 or high < low:
            raise ValueError("latency: 0 <= low <= high")
        self._random = random.Random(self.seed)

    def draw(self) -> tuple[float, Fault | None]:
        """This request's latency and fault (thread-safe: the server answers in threads)."""
        with self._lock:
            delay = self._random.uniform(*self.latency)
            roll = self._random.random()
        for fault, rate in self.rates.items():
            if roll < rate:
                return delay, fault
            roll -= rate
        return delay, None

    @classmethod
    def parse(cls, specs: list[str], **kwargs: object) -> "FaultPlan":
        """From `KIND=RATE` strings, e.g. ["503=0.1", "timeout=0.05"]."""
        rates: dict[Fault, float] = {}
        for spec in specs:
            kind, sep, rate = spec.partition("=")
            try:
                rates[Fault(kind.strip())] = float(rate)
            except ValueError:
                kinds = ", ".join(f.value for f in Fault)
                raise ValueError(
                    f"fault {spec!r}: expected KIND=RATE with KIND one of {kinds}"
                ) from None
            if not sep:
                raise ValueError(f"fault {spec!r}: expected KIND=RATE")
        return cls(rates=rates, **kwargs)  # type: ignore[arg-type]
