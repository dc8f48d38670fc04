"""Redis and PostgreSQL restarted under load: 200/200 jobs finish, none twice (checks 16 and 17).

Each test restarts a private server it started itself (a second redis-server, a throwaway
PostgreSQL cluster), so the machine's shared services are never disturbed.
"""

import os
import shutil
import socket
import subprocess
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import redis
from sqlalchemy import Engine, create_engine
from sqlmodel import Session, col, select

from coverage.domain.access import Actor, Role
from coverage.domain.job_state import JobStatus
from coverage.settings import get_settings
from coverage.store import jobs
from coverage.store.db import get_engine, upgrade
from coverage.store.tables import VerificationJob
from tests.conftest import BACKEND
from tests.e2e.jobwatch import assert_each_ended_once, open_jobs
from tests.e2e.processes import PrivateRedis, supervised_services
from tests.factories import request
from workers.celery_app import create_app

CLERK = Actor(name="e2e-restart-clerk", role=Role.ADMISSIONS)
JOBS = 200
TIMEOUT = 240.0


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def load_env(broker_url: str) -> dict[str, str]:
    return os.environ | {
        "IOP_COVERAGE_BROKER_URL": broker_url,
        "IOP_COVERAGE_SANDBOX_LATENCY_SECONDS": "0.05",
        "IOP_COVERAGE_SWEEP_INTERVAL_SECONDS": "1",
        "IOP_COVERAGE_QUEUED_DEADLINE_SECONDS": "5",
        "IOP_COVERAGE_RUNNING_DEADLINE_SECONDS": "10",
        "IOP_COVERAGE_VISIBILITY_TIMEOUT_SECONDS": "30",
        "IOP_COVERAGE_MAX_ATTEMPTS": "10",
    }


def create_jobs(engine: Engine, broker_url: str) -> set[uuid.UUID]:
    """Stores JOBS jobs in `engine`'s database and publishes their IDs to `broker_url`."""
    ids = []
    with Session(engine) as session:
        for n in range(JOBS):
            job = jobs.create(
                session, request=request("ppo", member_suffix=f"{n:03d}"), actor=CLERK
            )
            ids.append(job.id)
        jobs.mark_enqueued(session, job_ids=ids)
        session.commit()
    app = create_app(get_settings().model_copy(update={"broker_url": broker_url}))
    for job_id in ids:
        app.send_task("coverage.verify", args=[str(job_id)], queue=get_settings().verify_queue)
    return set(ids)


def finished(job_ids: set[uuid.UUID], engine: Engine) -> int:
    with Session(engine) as session:
        return len(
            session.exec(
                select(VerificationJob.id).where(
                    col(VerificationJob.id).in_(job_ids),
                    VerificationJob.status == JobStatus.NEEDS_REVIEW.value,
                )
            ).all()
        )


def wait_until(condition: Callable[[], object], what: str, timeout: float = TIMEOUT) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.2)


@pytest.fixture
def private_redis(tmp_path: Path) -> Iterator[PrivateRedis]:
    server = PrivateRedis(tmp_path)
    server.start()
    yield server
    server.stop()


def test_redis_restarted_without_persistence_under_load_loses_and_repeats_nothing(
    database: str, private_redis: PrivateRedis, tmp_path: Path
) -> None:
    job_ids = create_jobs(get_engine(), private_redis.url)
    # Celery 5.7 / kombu 5.7 workers exit on this connection loss (AttributeError in kombu's
    # restore_unacked); the deployment's supervisor starts them again, as compose does.
    with supervised_services(load_env(private_redis.url), tmp_path, concurrency=2):
        wait_until(lambda: finished(job_ids, get_engine()) >= 20, "the first 20 jobs")
        assert open_jobs(job_ids) > JOBS // 2  # most jobs are still queued or running
        private_redis.stop()  # every queued and unacknowledged message is gone
        private_redis.start()
        wait_until(lambda: not open_jobs(job_ids), "every job to settle")
    assert_each_ended_once(job_ids)


class PrivateCluster:
    """A throwaway PostgreSQL cluster on its own port, run as the postgres OS user."""

    def __init__(self) -> None:
        self.port = free_port()
        self.dir = Path(tempfile.mkdtemp(prefix="iop-coverage-pg-"))
        self.data = self.dir / "data"
        self.url = f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/postgres"
        shutil.chown(self.dir, "postgres", "postgres")
        bindir = subprocess.run(
            ["pg_config", "--bindir"], check=True, capture_output=True, text=True
        ).stdout.strip()
        self.bin = Path(bindir)
        self._run("initdb", "-D", str(self.data), "-U", "postgres", "--auth=trust", "-E", "UTF8")

    def _run(self, tool: str, *args: str) -> None:
        as_postgres = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
        subprocess.run([*as_postgres, str(self.bin / tool), *args], check=True, capture_output=True)

    def start(self) -> None:
        options = f"-p {self.port} -k {self.dir} -c listen_addresses=127.0.0.1"
        self._run(
            "pg_ctl",
            "-D",
            str(self.data),
            "-o",
            options,
            "-l",
            str(self.dir / "server.log"),
            "-w",
            "start",
        )

    def stop(self, mode: str = "fast") -> None:
        self._run("pg_ctl", "-D", str(self.data), "-m", mode, "-w", "stop")

    def remove(self) -> None:
        try:
            self.stop("immediate")
        except subprocess.CalledProcessError:
            pass  # already stopped
        shutil.rmtree(self.dir, ignore_errors=True)


@pytest.fixture
def private_cluster() -> Iterator[PrivateCluster]:
    if BACKEND != "postgresql":
        pytest.skip("runs in the PostgreSQL pass of the suite")
    cluster = PrivateCluster()
    cluster.start()
    yield cluster
    cluster.remove()


def test_postgresql_restarted_under_load_loses_and_repeats_nothing(
    broker: redis.Redis, private_cluster: PrivateCluster, tmp_path: Path
) -> None:
    upgrade(private_cluster.url)
    engine = create_engine(private_cluster.url, pool_pre_ping=True)
    job_ids = create_jobs(engine, get_settings().broker_url or "")
    env = load_env(get_settings().broker_url or "") | {
        "IOP_COVERAGE_DATABASE_URL": private_cluster.url
    }
    with supervised_services(env, tmp_path, concurrency=2):
        wait_until(lambda: finished(job_ids, engine) >= 20, "the first 20 jobs")
        assert open_jobs(job_ids, engine) > JOBS // 2
        private_cluster.stop("immediate")  # a crash: connections drop mid-transaction
        time.sleep(2)
        private_cluster.start()
        wait_until(lambda: not open_jobs(job_ids, engine), "every job to settle")
    assert_each_ended_once(job_ids, engine)
    engine.dispose()
