"""CSV batch accept speed: a 1,000-row file (distinct rows) read, validated and stored (one job
per row, in one transaction, with its audit entries): the page and the API answer then; the job
IDs are sent to the workers right after. Target: under 5 s.

Median of 5 runs per setting:
- SQLite: a fresh, migrated file for every run;
- PostgreSQL when IOP_COVERAGE_BENCH_PG_URL is set (a scratch database: it is migrated and each
  run adds 1,000 jobs under a new submitter, so no row is a duplicate of an earlier run);
- enqueue: a no-op, and the real Celery enqueue to Redis when IOP_COVERAGE_BENCH_BROKER_URL is
  set (to a queue no worker reads, deleted afterwards).

Run: .venv/bin/python bench/batch_accept.py [ROWS]
"""

import csv
import io
import os
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RUNS = 5
QUEUE = f"bench-batch-{os.getpid()}"
os.environ.setdefault("IOP_COVERAGE_RULES_DIR", str(ROOT / "payer_rules"))
os.environ["IOP_COVERAGE_VERIFY_QUEUE"] = QUEUE  # never the queue real workers read
os.environ.pop("IOP_COVERAGE_BROKER_URL", None)

from coverage.batches import csv_file, intake  # noqa: E402
from coverage.core.rule_book import current_rulebook, payers_in_force  # noqa: E402
from coverage.domain.access import Actor, Role  # noqa: E402
from coverage.domain.flat_request import template_csv_rows  # noqa: E402
from coverage.settings import get_settings  # noqa: E402
from coverage.store.db import session_scope, upgrade  # noqa: E402

FIRST = [
    "Avery",
    "Blake",
    "Casey",
    "Dana",
    "Elliot",
    "Frankie",
    "Gray",
    "Harper",
    "Indigo",
    "Jules",
]


def build_csv(rows: int) -> bytes:
    """The template's example row, made distinct per row (name, member ID, start date)."""
    header, example = template_csv_rows()
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(header)
    for n in range(rows):
        row = dict(zip(header, example, strict=True))
        row["first_name"] = FIRST[n % len(FIRST)]
        row["last_name"] = f"Bench{n:05d}"
        row["member_id"] = f"SBX-PPO-{200000 + n}"
        row["start_date"] = f"12/{1 + n % 28:02d}/2026"
        writer.writerow(row[name] for name in header)
    return out.getvalue().encode()


def use_database(url: str) -> None:
    os.environ["IOP_COVERAGE_DATABASE_URL"] = url
    get_settings.cache_clear()


def parse_and_validate(data: bytes) -> None:
    payer_ids = payers_in_force().keys()
    for row in csv_file.read_rows(data):
        checked = csv_file.check_row(row, payer_ids=payer_ids)
        assert checked.request is not None, checked.errors
        intake.row_hash(checked.request)


def median_of(runs: int, prepare: Callable[[], None], measure: Callable[[], None]) -> float:
    samples = []
    for _ in range(runs):
        prepare()
        started = time.perf_counter()
        measure()
        samples.append(time.perf_counter() - started)
    return statistics.median(samples)


def time_report(data: bytes) -> float:
    """Reading a 1,000-row batch's report and progress back (what its page and API show)."""
    actor = _actor()
    batch_id = intake.accept(data, actor=actor).batch_id

    def read() -> None:
        with session_scope() as session:
            intake.report(session, batch_id=batch_id, actor=actor, audited=False)

    return median_of(RUNS, lambda: None, read)


def redis_enqueue(broker: str) -> Callable[[uuid.UUID], None]:
    os.environ["IOP_COVERAGE_BROKER_URL"] = broker
    get_settings.cache_clear()
    from workers.tasks import enqueue

    enqueue(uuid.uuid4())  # connect once before timing
    return enqueue


def drop_bench_queue(broker: str) -> None:
    import redis

    redis.Redis.from_url(broker).delete(QUEUE)


def main() -> None:
    rows = int(sys.argv[1]) if len(sys.argv) > 1 else 1000
    data = build_csv(rows)
    current_rulebook()  # loaded once, as in a running service
    print(f"{rows} rows, {len(data) / 1e6:.2f} MB, median of {RUNS} runs")

    parse = median_of(RUNS, lambda: None, lambda: parse_and_validate(data))
    print(f"read + validate + hash only: {parse:.3f} s ({rows / parse:,.0f} rows/s)")

    enqueues: list[tuple[str, Callable[[uuid.UUID], None]]] = [("no-op", lambda _id: None)]
    broker = os.environ.get("IOP_COVERAGE_BENCH_BROKER_URL")
    if broker:
        enqueues.append(("Redis", redis_enqueue(broker)))

    scratch = Path(tempfile.mkdtemp(prefix="bench-batch-"))
    databases: list[tuple[str, Callable[[], None]]] = []

    def fresh_sqlite() -> None:
        url = f"sqlite:///{scratch / f'{uuid.uuid4().hex}.db'}"
        upgrade(url)
        use_database(url)

    databases.append(("SQLite, fresh file", fresh_sqlite))
    pg = os.environ.get("IOP_COVERAGE_BENCH_PG_URL")
    if pg:
        upgrade(pg)
        databases.append(("PostgreSQL", lambda: use_database(pg)))

    for db_name, prepare in databases:
        for enqueue_name, enqueue in enqueues:
            prepare()  # warm: connections, cipher, statement caches
            intake.enqueue_all(intake.accept(build_csv(2), actor=_actor()).job_ids, enqueue)
            stored: list[float] = []
            sent: list[float] = []
            for _ in range(RUNS):
                prepare()
                started = time.perf_counter()
                accepted = intake.accept(data, actor=_actor())
                stored.append(time.perf_counter() - started)
                started = time.perf_counter()
                intake.enqueue_all(accepted.job_ids, enqueue)
                sent.append(time.perf_counter() - started)
                assert len(accepted.job_ids) == rows
            report_s = time_report(data)
            accept_s, send_s = statistics.median(stored), statistics.median(sent)
            total = statistics.median(a + b for a, b in zip(stored, sent, strict=True))
            print(
                f"{db_name}, {enqueue_name} enqueue: accepted (stored, response ready) "
                f"{accept_s:.3f} s ({rows / accept_s:,.0f} rows/s); enqueue {send_s:.3f} s; "
                f"both {total:.3f} s (target < 5 s for 1,000); "
                f"reading the report back {report_s:.3f} s"
            )
    if broker:
        drop_bench_queue(broker)


def _actor() -> Actor:
    """A new submitter per run: its rows are never duplicates of an earlier run's."""
    return Actor(name=f"bench-{uuid.uuid4().hex[:8]}", role=Role.ADMISSIONS)


if __name__ == "__main__":
    main()
