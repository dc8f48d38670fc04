"""Benchmark: our typed 271 reader against pyx12's segment reader and LinuxForHealth x12's full parse.

All readers read the same file: one interchange of 1,000 transaction sets built from the
LinuxForHealth 271 samples (subscriber, dependent, provider error, in turn), the three 271s every
reader here accepts. Each run is its own process, readers alternate within a round, and the time
is taken around the parse only (file already in memory or in the page cache). Median of 5.

    .venv/bin/python bench/x12_parse.py                 # ours, pyx12, plain split
    IOP_BENCH_LFH_PYTHON=bench/.venv-lfh/bin/python .venv/bin/python bench/x12_parse.py

LinuxForHealth x12 0.57.0 needs pydantic < 2, so it runs in its own virtual environment:

    python3 -m venv bench/.venv-lfh
    bench/.venv-lfh/bin/pip install 'linuxforhealth-x12==0.57.0' 'pydantic<2'
"""

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "tests" / "fixtures" / "x12"
SOURCES = (
    "lfh-subscriber-health-benefit-check.271",
    "lfh-dependent-health-benefit-check.271",
    "lfh-subscriber-health-benefit-check-error.271",
)
TRANSACTIONS = 1000
RUNS = 5


def build_interchange(count: int = TRANSACTIONS) -> str:
    """ISA/GS of the first sample around `count` ST..SE sets taken from the samples in turn."""
    bodies = []
    for name in SOURCES:
        segments = [s.strip() for s in (SAMPLES / name).read_text().split("~") if s.strip()]
        st = next(i for i, s in enumerate(segments) if s.startswith("ST*"))
        se = next(i for i, s in enumerate(segments) if s.startswith("SE*"))
        bodies.append(segments[st : se + 1])
    first = [s.strip() for s in (SAMPLES / SOURCES[0]).read_text().split("~") if s.strip()]
    out = [first[0], first[1]]
    for n in range(count):
        body = bodies[n % len(bodies)]
        control = f"{n + 1:04d}"
        out.append(f"ST*271*{control}*005010X279A1")
        out.extend(body[1:-1])
        out.append(f"SE*{len(body)}*{control}")
    out += [f"GE*{count}*1", "IEA*1*000000907"]
    return "~\n".join(out) + "~\n"


# Each function imports its reader (not timed) and returns the parse to time.
Parse = Callable[[str], int]


def _ours() -> Parse:
    from coverage.x12.reader_271 import read_271

    return lambda path: len(read_271(Path(path).read_text(encoding="ascii")).responses)


def _ours_tokens() -> Parse:
    from coverage.x12.envelope import read_interchange

    return lambda path: len(
        read_interchange(Path(path).read_text(encoding="ascii")).transaction_sets
    )


def _split() -> Parse:
    def parse(path: str) -> int:
        text = Path(path).read_text(encoding="ascii")
        segments = [s.lstrip("\r\n").split("*") for s in text.split("~")]
        return sum(1 for s in segments if s[0] == "ST")

    return parse


def _pyx12() -> Parse:
    from pyx12.x12file import X12Reader

    def parse(path: str) -> int:
        with open(path, encoding="ascii") as handle:
            return sum(1 for seg in X12Reader(handle) if seg.get_seg_id() == "ST")

    return parse


def _lfh() -> Parse:
    from linuxforhealth.x12.io import X12ModelReader

    def parse(path: str) -> int:
        with X12ModelReader(path) as reader:
            return sum(1 for _ in reader.models())

    return parse


READERS = {
    "ours": ("IOP Coverage typed 271 reader (`read_271`)", _ours),
    "ours-tokens": ("IOP Coverage tokenizer + envelope only", _ours_tokens),
    "pyx12": ("pyx12 untyped segment reader (`X12Reader`)", _pyx12),
    "lfh": ("LinuxForHealth x12 full typed parse (`X12ModelReader.models()`)", _lfh),
    "split": ("plain Python split on `~` then `*`", _split),
}


def child(reader: str, path: str) -> None:
    """One timed parse in this process; prints JSON."""
    fn = READERS[reader][1]()
    Path(path).read_bytes()  # warm the page cache; each reader re-reads the file itself
    start = time.perf_counter()
    transactions = fn(path)
    seconds = time.perf_counter() - start
    max_rss_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(
        json.dumps(
            {"seconds": seconds, "transactions": transactions, "max_rss_mb": max_rss_kb / 1024}
        )
    )


def run(reader: str, path: str) -> dict[str, float]:
    python = sys.executable
    if reader == "lfh":
        python = os.environ.get(
            "IOP_BENCH_LFH_PYTHON", str(ROOT / "bench" / ".venv-lfh" / "bin" / "python")
        )
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    out = subprocess.run(
        [python, __file__, "--child", reader, path],
        check=True,
        capture_output=True,
        text=True,
        env=env,
    )
    result: dict[str, float] = json.loads(out.stdout)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--child", nargs=2, metavar=("READER", "PATH"), help=argparse.SUPPRESS)
    parser.add_argument("--readers", default="ours,ours-tokens,pyx12,lfh,split")
    parser.add_argument("--runs", type=int, default=RUNS)
    args = parser.parse_args()
    if args.child:
        child(*args.child)
        return
    readers = args.readers.split(",")
    lfh_python = Path(
        os.environ.get("IOP_BENCH_LFH_PYTHON", ROOT / "bench" / ".venv-lfh" / "bin" / "python")
    )
    if "lfh" in readers and not lfh_python.exists():
        print(f"skipping lfh: no {lfh_python} (see this file's docstring)", file=sys.stderr)
        readers.remove("lfh")
    with tempfile.TemporaryDirectory() as tmp:
        path = str(Path(tmp) / "interchange-1000.271")
        text = build_interchange()
        Path(path).write_text(text, encoding="ascii")
        size_mb = len(text.encode("ascii")) / 1_000_000
        results: dict[str, list[dict[str, float]]] = {r: [] for r in readers}
        for _ in range(args.runs):
            for reader in readers:  # alternate readers within each round
                results[reader].append(run(reader, path))
    print(f"input: {TRANSACTIONS} transaction sets, {size_mb:.3f} MB; median of {args.runs} runs\n")
    print("| reader | median s | transactions/s | MB/s | max RSS MB |")
    print("|---|---|---|---|---|")
    medians = {}
    for reader in readers:
        runs = results[reader]
        assert all(r["transactions"] == TRANSACTIONS for r in runs), (reader, runs[0])
        seconds = statistics.median(r["seconds"] for r in runs)
        medians[reader] = seconds
        rss = statistics.median(r["max_rss_mb"] for r in runs)
        print(
            f"| {READERS[reader][0]} | {seconds:.4f} | {TRANSACTIONS / seconds:,.0f} | "
            f"{size_mb / seconds:.2f} | {rss:.1f} |"
        )
    if "ours" in medians:
        for other in ("pyx12", "lfh"):
            if other in medians:
                print(f"\nours is {medians[other] / medians['ours']:.1f}x faster than {other}")


if __name__ == "__main__":
    main()
