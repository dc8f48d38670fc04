"""Benchmark: a hostile 271 (5 MB, 40,000 segment IDs each padded with its own run of spaces and
tabs) read by our tokenizer and envelope check, next to a plain `str.split` tokenizing of the same
text measured in the same run. Reading must stay linear in the input: under 1 s here (target), and
the ratio to the baseline is printed. Median of 5, time around the parse only, as CPU time of
this process (other work on a shared machine does not count against the target).

    .venv/bin/python bench/x12_hostile.py
"""

import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from x12_parse import build_interchange  # noqa: E402

from coverage.x12.envelope import read_interchange  # noqa: E402
from coverage.x12.reader_271 import read_271  # noqa: E402

TARGET_MB = 5.0
PADDED = 40_000
RUNS = 5
TARGET_SECONDS = 1.0


def _pad(n: int) -> str:
    """A distinct run of spaces and tabs for each n < 65,536."""
    return format(n, "016b").replace("0", " ").replace("1", "\t")


def hostile_reply() -> str:
    """About 5 MB of 271s; 40,000 segments inside transaction sets get a distinct padded ID."""
    per_set = len(build_interchange(100)) / 100
    text = build_interchange(int((TARGET_MB * 1_000_000 - PADDED * 16) / per_set))
    segments = text.split("~\n")
    body = [
        i for i, s in enumerate(segments) if s[:3] not in ("ISA", "GS*", "GE*", "IEA", "ST*", "SE*")
    ]
    step = len(body) / PADDED
    for n in range(PADDED):
        i = body[int(n * step)]
        segments[i] = _pad(n) + segments[i]
    return "~\n".join(segments)


def _split(text: str) -> int:
    return sum(1 for s in text.split("~") if s.lstrip().split("*")[0] == "ST")


def timed(fn: Callable[[], object]) -> float:
    samples = []
    for _ in range(RUNS):
        started = time.process_time()
        fn()
        samples.append(time.process_time() - started)
    return statistics.median(samples)


def main() -> None:
    text = hostile_reply()
    plain = build_interchange(text.count("ST*271*"))
    size_mb = len(text.encode("ascii")) / 1_000_000
    sets = len(read_interchange(text).transaction_sets)
    assert sets == _split(text), "the tokenizer and the baseline disagree"
    assert read_271(text).responses == read_271(plain).responses, "padding changed the reading"
    baseline = timed(lambda: _split(text))
    tokens = timed(lambda: read_interchange(text))
    typed = timed(lambda: read_271(text))
    unpadded = timed(lambda: read_271(plain))
    print(f"input: {size_mb:.2f} MB, {sets:,} transaction sets, {PADDED:,} padded segment IDs")
    print(f"plain str.split on '~' then '*' (baseline): median {baseline:.3f} s CPU")
    print(
        f"tokenizer + envelope (read_interchange): median {tokens:.3f} s CPU, "
        f"{tokens / baseline:.1f}x the baseline (target < {TARGET_SECONDS:g} s)"
    )
    print(
        f"typed 271 reader (read_271): median {typed:.3f} s CPU, {typed / baseline:.1f}x the baseline; "
        f"the same transaction sets unpadded: {unpadded:.3f} s (padding costs {typed / unpadded:.2f}x)"
    )
    if tokens >= TARGET_SECONDS:
        sys.exit(f"tokenizer took {tokens:.3f} s, over the {TARGET_SECONDS:g} s target")


if __name__ == "__main__":
    main()
