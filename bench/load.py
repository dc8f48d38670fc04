"""Load benchmark (the project's own load acceptance check, no public source): N jobs through
W real prefork workers of concurrency C against the sandbox payer over real sockets, with 1-3 s
latency per call.

    .venv/bin/python bench/load.py                                  # W=2, C=8, N=1,000, SQLite
    .venv/bin/python bench/load.py --workers 1 --concurrency 4 --jobs 200
    .venv/bin/python bench/load.py \
        --database-url postgresql+psycopg://postgres@127.0.0.1:5432/test_load

What it does: starts `iop-coverage sandbox --latency 1-3` on a free loopback port; copies
payer_rules/ to a temporary directory and adds the payer `load-core` (adapter core_x12, one 270 per
job, `limits.max_concurrent` = the cap) with its fee schedule; migrates a fresh database (a new
SQLite file, or the given PostgreSQL database with its public schema DROPPED and recreated);
flushes the Redis database of --redis-url (the broker, and the payer guard's slots); starts W
`python -m coverage.cli worker --concurrency=C` processes and waits until each is ready; queues N
jobs at once through coverage.service.queue (persona SBX-PPO-, a distinct member ID each, answer
reuse off) and polls the database until every job has settled.

Submit time is taken just before each queue() call; result time is the job's status_changed_at
when it reached needs_review. Throughput is the jobs in needs_review over the time from the first
submit to the last result; the bound is min(W x C, cap) calls in flight / the mean latency (2 s
for 1-3). The peak of simultaneous calls comes from the sandbox's GET /stats. Exit status 1 when
throughput is under 80 % of the bound, the cap was exceeded, a job did not end in needs_review (or
did not settle within --timeout), or the p90 is over its target. Logs, the rules copy and the
SQLite file stay in the work directory (printed; --workdir to choose it).

The p90 of a burst is mostly queueing: the 90th-percentile job waits for 0.9 N jobs ahead of it.
Without --p90-target it is held to what a queue drained at exactly 80 % of the bound gives
(0.9 N / (0.8 x bound) + the mean latency), the same bar as the throughput check.
"""

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request
import uuid
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # for tests.factories and tests.e2e.processes

PAYER_ID = "load-core"
MIN_RATIO = 0.8
PAYER = """\
kind: payer
id: {payer_id}
name: Load Benchmark CORE Payer
type: commercial
adapter: core_x12
network_status: in_network
settings:
  url: {url}
  payer_x12_id: SBX01
  payer_name: IOP COVERAGE SANDBOX PAYER
  provider_name: EXAMPLE IOP CLINIC
  sender_id: EXAMPLEIOP
  receiver_id: SANDBOX
  one_service_type_per_request: false  # one call per job: the bound assumes it
limits:
  max_concurrent: {cap}
  cache_seconds: 0
version: "1"
source: "bench/load.py: the sandbox payer over CORE X12 with 1-3 s latency"
effective: "2024-01-01"
"""
FEES = """\
kind: fee_schedule
version: "1"
source: "bench/load.py payer rates"
effective: 2024-01-01
service:
  description: Intensive outpatient psychiatric services, per diem
  code: S9480
self_pay_per_day: "400.00"
payers:
  {payer_id}:
    - network: in_network
      per_day: "350.00"
"""


@dataclass(frozen=True)
class Config:
    jobs: int
    workers: int
    concurrency: int
    cap: int
    latency: tuple[float, float]
    seed: int
    database_url: str
    redis_url: str
    p90_target: float | None
    timeout: float

    @property
    def mean_latency(self) -> float:
        return sum(self.latency) / 2

    @property
    def slots(self) -> int:
        return min(self.workers * self.concurrency, self.cap)

    @property
    def bound(self) -> float:
        """Jobs per second with every usable slot busy on the payer, nothing else."""
        return self.slots / self.mean_latency

    @property
    def target(self) -> float:
        if self.p90_target is not None:
            return self.p90_target
        return 0.9 * self.jobs / (MIN_RATIO * self.bound) + self.mean_latency


def parse_args(argv: Sequence[str] | None = None) -> tuple[Config, Path | None]:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--jobs", type=int, default=1000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument(
        "--cap", type=int, help="payer max_concurrent (default workers x concurrency)"
    )
    parser.add_argument("--latency", default="1-3", help="sandbox seconds per call, LOW-HIGH")
    parser.add_argument("--seed", type=int, default=29, help="sandbox latency draws")
    parser.add_argument("--database-url", help="default: a new SQLite file in the work directory")
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/4", help="flushed first")
    parser.add_argument("--p90-target", type=float, help="seconds, submit to result")
    parser.add_argument("--timeout", type=float, help="seconds to wait for every job to settle")
    parser.add_argument("--workdir", type=Path, help="keep logs and the SQLite file here")
    args = parser.parse_args(argv)
    low, _, high = args.latency.partition("-")
    latency = (float(low), float(high or low))
    cap = args.cap or args.workers * args.concurrency
    workdir: Path | None = args.workdir
    if workdir is None:
        workdir = Path(tempfile.mkdtemp(prefix="iop-load-"))
    workdir.mkdir(parents=True, exist_ok=True)
    config = Config(
        jobs=args.jobs,
        workers=args.workers,
        concurrency=args.concurrency,
        cap=cap,
        latency=latency,
        seed=args.seed,
        database_url=args.database_url or f"sqlite:///{workdir / 'load.db'}",
        redis_url=args.redis_url,
        p90_target=args.p90_target,
        timeout=args.timeout
        or 3 * args.jobs / (min(args.workers * args.concurrency, cap) / 2) + 120,
    )
    return config, workdir


def start_sandbox(config: Config, workdir: Path) -> tuple[subprocess.Popen[bytes], str]:
    """`iop-coverage sandbox` on a free loopback port; returns the process and its CORE URL."""
    log_path = workdir / "sandbox.log"
    low, high = config.latency
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "coverage.cli", "sandbox", "--port", "0"]
            + ["--latency", f"{low:g}-{high:g}", "--seed", str(config.seed)],
            stdout=log,
            stderr=subprocess.STDOUT,
            cwd=workdir,
            start_new_session=True,
        )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        for line in log_path.read_text(errors="replace").splitlines():
            if "listening on " in line:
                return process, line.split("listening on ", 1)[1].strip()
        if process.poll() is not None:
            break
        time.sleep(0.1)
    process.kill()
    raise SystemExit(f"sandbox did not start:\n{log_path.read_text(errors='replace')}")


def sandbox_stats(url: str) -> dict[str, int]:
    with urllib.request.urlopen(url.replace("/core", "/stats"), timeout=10) as response:
        stats: dict[str, int] = json.loads(response.read())
    return stats


def write_rules(config: Config, workdir: Path, url: str) -> Path:
    rules = workdir / "payer_rules"
    if rules.exists():
        shutil.rmtree(rules)
    shutil.copytree(ROOT / "payer_rules", rules)
    (rules / "payers" / f"{PAYER_ID}.yaml").write_text(
        PAYER.format(payer_id=PAYER_ID, url=url, cap=config.cap)
    )
    (rules / "fee_schedules" / f"{PAYER_ID}.yaml").write_text(FEES.format(payer_id=PAYER_ID))
    return rules


def fresh_database(url: str) -> None:
    from sqlalchemy import create_engine, text

    from coverage.store.db import upgrade

    if url.startswith("postgresql"):
        engine = create_engine(url)
        with engine.begin() as conn:
            conn.execute(text("DROP SCHEMA public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
        engine.dispose()
    upgrade(url)


def cpu_seconds(pid: int) -> float:
    """User + system CPU of one live process (and of its children it has waited for)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (FileNotFoundError, ProcessLookupError):
        return 0.0
    ticks = os.sysconf("SC_CLK_TCK")
    utime, stime, cutime, cstime = (int(f) for f in fields[11:15])
    return (utime + stime + cutime + cstime) / ticks


def machine_cpu() -> tuple[float, float]:
    """Busy and total CPU seconds of the whole machine so far (all cores, /proc/stat)."""
    ticks = os.sysconf("SC_CLK_TCK")
    values = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = values[3] + values[4]  # idle, iowait
    total = sum(values[:8])  # user .. steal (guest time is already in user)
    return (total - idle) / ticks, total / ticks


def worker_cpu_seconds(worker: Any) -> float:
    """A worker's main process and its pool children (alive for the whole run)."""
    return cpu_seconds(worker.proc.pid) + sum(cpu_seconds(c) for c in worker.children())


def percentile(values: Sequence[float], q: float) -> float:
    """Nearest-rank percentile (q in 0-100)."""
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    rank = max(1, -(-len(ordered) * q // 100))  # ceil
    return ordered[int(rank) - 1]


def epoch(moment: datetime) -> float:
    return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).timestamp()


def submit(config: Config) -> dict[uuid.UUID, float]:
    from coverage import service
    from coverage.domain.access import Actor, Role
    from coverage.domain.request import VerificationRequest
    from tests.factories import request_body
    from workers.tasks import enqueue

    clerk = Actor(name="load-bench", role=Role.ADMISSIONS)
    submitted: dict[uuid.UUID, float] = {}
    for n in range(config.jobs):
        body = request_body("ppo", member_suffix=f"-{n:05d}")
        body["policies"][0]["payer_id"] = PAYER_ID
        request = VerificationRequest.model_validate(body)
        at = time.time()
        job, _ = service.queue(request, actor=clerk, enqueue=enqueue)
        submitted[job.id] = at
    return submitted


def open_count() -> int:
    from sqlalchemy import func
    from sqlmodel import Session, col, select

    from coverage.domain.job_state import OPEN
    from coverage.store.db import get_engine
    from coverage.store.tables import VerificationJob

    with Session(get_engine()) as session:
        return session.exec(
            select(func.count())
            .select_from(VerificationJob)
            .where(col(VerificationJob.status).in_([s.value for s in OPEN]))
        ).one()


def wait_settled(config: Config, started: float, workers: list[Any]) -> bool:
    deadline = started + config.timeout
    report = time.monotonic() + 15
    while (left := open_count()) > 0:
        if time.monotonic() > deadline:
            print(f"timed out with {left} job(s) open", file=sys.stderr)
            return False
        dead = [w.name for w in workers if w.proc.poll() is not None]
        if dead:
            print(f"worker(s) exited: {', '.join(dead)}", file=sys.stderr)
            return False
        if time.monotonic() >= report:
            done = config.jobs - left
            print(
                f"  {time.monotonic() - started:6.1f} s: {done} done, {left} open, "
                f"load {Path('/proc/loadavg').read_text().split()[0]}",
                file=sys.stderr,
            )
            report += 15
        time.sleep(0.5)
    return True


@dataclass
class JobTimes:
    status: str
    submitted: float
    settled: float
    started: float | None  # the last claim (queued -> running)
    claims: int
    payer_seconds: float


def collect(submitted: dict[uuid.UUID, float]) -> dict[uuid.UUID, JobTimes]:
    from sqlmodel import Session, col, select

    from coverage.store.db import get_engine
    from coverage.store.tables import AuditEvent, PayerCall, VerificationJob

    claims: dict[str, list[float]] = defaultdict(list)
    payer: dict[uuid.UUID, float] = defaultdict(float)
    times: dict[uuid.UUID, JobTimes] = {}
    with Session(get_engine()) as session:
        for at, entity in session.exec(
            select(AuditEvent.at, AuditEvent.entity_id).where(AuditEvent.action == "job.running")
        ):
            claims[entity].append(epoch(at))
        for job_id, elapsed in session.exec(select(PayerCall.job_id, PayerCall.elapsed_ms)):
            payer[job_id] += (elapsed or 0) / 1000
        for job in session.exec(
            select(VerificationJob).where(col(VerificationJob.id).in_(list(submitted)))
        ):
            runs = sorted(claims.get(str(job.id), []))
            times[job.id] = JobTimes(
                status=job.status,
                submitted=submitted[job.id],
                settled=epoch(job.status_changed_at),
                started=runs[-1] if runs else None,
                claims=len(runs),
                payer_seconds=payer[job.id],
            )
    return times


def table(rows: list[tuple[str, str]]) -> str:
    width = max(len(name) for name, _ in rows)
    return "\n".join(f"{name:<{width}}  {value}" for name, value in rows)


def main(argv: Sequence[str] | None = None) -> int:
    config, workdir = parse_args(argv)
    assert workdir is not None
    load_start = Path("/proc/loadavg").read_text().split()[:3]
    sandbox, url = start_sandbox(config, workdir)
    rules = write_rules(config, workdir, url)
    env = {
        "IOP_COVERAGE_ENVIRONMENT": "development",
        "IOP_COVERAGE_DATABASE_URL": config.database_url,
        "IOP_COVERAGE_BROKER_URL": config.redis_url,
        "IOP_COVERAGE_RULES_DIR": str(rules),
        "IOP_COVERAGE_ELIGIBILITY_CACHE_SECONDS": "0",
        "IOP_COVERAGE_PAYER_MAX_CONCURRENT": str(config.cap),
    }
    os.environ.update(env)  # before any coverage module reads its settings

    import redis

    from tests.e2e.processes import ServiceProcess

    workers: list[ServiceProcess] = []
    try:
        redis.Redis.from_url(config.redis_url).flushdb()
        fresh_database(config.database_url)
        for n in range(config.workers):
            worker = ServiceProcess(
                f"worker{n + 1}",
                ["worker", f"--concurrency={config.concurrency}"],
                os.environ,
                workdir,
            )
            workers.append(worker)
        for worker in workers:
            worker.wait_for_log("ready.", timeout=60)
        cpu_before = sum(worker_cpu_seconds(w) for w in workers)
        bench_before = resource.getrusage(resource.RUSAGE_SELF)
        sandbox_before = cpu_seconds(sandbox.pid)
        machine_before = machine_cpu()
        print(
            f"{config.workers} worker(s) x {config.concurrency}, cap {config.cap}, "
            f"{config.jobs} jobs, sandbox {url}, work directory {workdir}",
            file=sys.stderr,
        )
        started = time.monotonic()
        submitted = submit(config)
        submit_seconds = time.monotonic() - started
        print(f"  queued {config.jobs} jobs in {submit_seconds:.1f} s", file=sys.stderr)
        settled = wait_settled(config, started, workers)
        bench_after = resource.getrusage(resource.RUSAGE_SELF)
        worker_cpu = sum(worker_cpu_seconds(w) for w in workers) - cpu_before
        sandbox_cpu = cpu_seconds(sandbox.pid) - sandbox_before
        machine_after = machine_cpu()
        stats = sandbox_stats(url)
        load_end = Path("/proc/loadavg").read_text().split()[:3]
        times = collect(submitted)
    finally:
        for worker in workers:
            worker.stop()
        sandbox.terminate()
        sandbox.wait(timeout=10)

    done = [t for t in times.values() if t.status == "needs_review"]
    first_submit = min(submitted.values())
    last_result = max((t.settled for t in times.values()), default=first_submit)
    wall = last_result - first_submit
    throughput = len(done) / wall if wall > 0 else 0.0
    ratio = throughput / config.bound
    latencies = [t.settled - t.submitted for t in done]
    runs = [t.settled - t.started for t in done if t.started is not None]
    overheads = [t.settled - t.started - t.payer_seconds for t in done if t.started is not None]
    bench_cpu = (bench_after.ru_utime + bench_after.ru_stime) - (
        bench_before.ru_utime + bench_before.ru_stime
    )
    not_done = config.jobs - len(done)
    machine_busy = machine_after[0] - machine_before[0]
    machine_total = machine_after[1] - machine_before[1]
    ours = worker_cpu + bench_cpu + sandbox_cpu
    deferred = sum(max(0, t.claims - 1) for t in times.values())
    peak = stats["peak_in_flight"]
    p90 = percentile(latencies, 90)
    database = "postgresql" if config.database_url.startswith("postgresql") else "sqlite"
    rows = [
        ("W x C (database)", f"{config.workers} x {config.concurrency} ({database})"),
        ("payer cap", str(config.cap)),
        ("jobs", str(config.jobs)),
        ("wall time s (first submit to last result)", f"{wall:.1f}"),
        ("  of which queueing the jobs s", f"{submit_seconds:.1f}"),
        ("throughput jobs/s", f"{throughput:.2f}"),
        (
            "bound jobs/s",
            f"{config.bound:.2f} ({config.slots} slots / {config.mean_latency:g} s mean latency)",
        ),
        ("ratio to the bound", f"{ratio:.1%} (needs >= {MIN_RATIO:.0%})"),
        (
            "submit -> result s p50 / p90 / p99 / max",
            " / ".join(f"{percentile(latencies, q):.1f}" for q in (50, 90, 99, 100)),
        ),
        ("p90 target s", f"{config.target:.1f}"),
        (
            "start -> result s p50 / p90 / max",
            " / ".join(f"{percentile(runs, q):.2f}" for q in (50, 90, 100)),
        ),
        (
            "payer call s mean (sandbox latency + HTTP)",
            f"{sum(t.payer_seconds for t in done) / max(1, len(done)):.3f}",
        ),
        (
            "worker time per job besides the call ms p50 / p90 / max",
            " / ".join(f"{1000 * percentile(overheads, q):.0f}" for q in (50, 90, 100)),
        ),
        (
            "CPU ms per job: workers / bench / sandbox",
            f"{1000 * worker_cpu / config.jobs:.0f} / {1000 * bench_cpu / config.jobs:.0f} / "
            f"{1000 * sandbox_cpu / config.jobs:.0f}",
        ),
        (
            "machine CPU busy / ours of it",
            f"{machine_busy / machine_total:.0%} of {os.cpu_count()} cores / "
            f"{ours / machine_total:.0%}",
        ),
        ("payer calls seen by the sandbox", str(stats["calls"])),
        ("peak concurrent payer calls", f"{peak} (cap {config.cap})"),
        ("runs again (payer guard deferrals, retries)", str(deferred)),
        ("jobs not in needs_review", str(not_done)),
        ("load average at start / end", f"{' '.join(load_start)} / {' '.join(load_end)}"),
    ]
    print(table(rows))
    failures = []
    if not settled:
        failures.append("not every job settled")
    if ratio < MIN_RATIO:
        failures.append(f"throughput {ratio:.1%} of the bound, under {MIN_RATIO:.0%}")
    if peak > config.cap:
        failures.append(f"peak {peak} concurrent payer calls over the cap {config.cap}")
    if not_done:
        by_status: dict[str, int] = defaultdict(int)
        for t in times.values():
            by_status[t.status] += 1
        failures.append(f"{not_done} job(s) not in needs_review: {dict(by_status)}")
    if p90 > config.target:
        failures.append(f"p90 {p90:.1f} s over the target {config.target:.1f} s")
    for failure in failures:
        print(f"FAIL: {failure}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
