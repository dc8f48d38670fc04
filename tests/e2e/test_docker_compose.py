"""docker-compose.yml as the README documents it: its api (migrate, then serve), worker and beat
run with exactly the environment compose gives them from the README's `.env`, against a local
PostgreSQL database and a Redis started by the compose `redis` service's own command (so its
password is required), with compose's host names mapped to this machine. No Docker needed."""

import json
import os
import re
import shlex
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import requests
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from tests import compose_file
from tests.conftest import PG_URL, ROOT
from tests.e2e.processes import ServiceProcess, free_port

SCRATCH_DATABASE = f"test_f_compose_{uuid.uuid4().hex[:8]}"


def _pg_admin() -> Any:
    return create_engine(make_url(PG_URL).set(database="postgres"), isolation_level="AUTOCOMMIT")


@pytest.fixture
def scratch_database() -> Iterator[str]:
    engine = _pg_admin()
    with engine.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{SCRATCH_DATABASE}"'))
    try:
        yield SCRATCH_DATABASE
    finally:
        with engine.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{SCRATCH_DATABASE}" WITH (FORCE)'))
        engine.dispose()


@pytest.fixture
def dotenv() -> dict[str, str]:
    return compose_file.readme_env()


@pytest.fixture
def compose(dotenv: dict[str, str]) -> dict[str, Any]:
    return compose_file.load(dotenv)


@pytest.fixture
def redis_port(compose: dict[str, Any], dotenv: dict[str, str], tmp_path: Path) -> Iterator[int]:
    """The compose `redis` service's command, on a free loopback port instead of the network."""
    command = compose["services"]["redis"]["command"]
    script = command[2] if command[:2] == ["sh", "-c"] else shlex.join(command)
    port = free_port()
    env = {"PATH": os.environ["PATH"], **compose_file.service_environment(compose, "redis", dotenv)}
    script = f"{script} --port {port} --bind 127.0.0.1 --dir {tmp_path} --save ''"
    server = subprocess.Popen(
        ["sh", "-c", script], env=env, start_new_session=True, stdout=subprocess.DEVNULL
    )
    cli, *args = compose["services"]["redis"]["healthcheck"]["test"][1:]  # after CMD
    healthcheck = [cli, "-p", str(port), *args]
    try:
        deadline = time.monotonic() + 10
        while (
            subprocess.run(healthcheck, env=env, capture_output=True, text=True).stdout != "PONG\n"
        ):
            assert time.monotonic() < deadline and server.poll() is None, "redis did not start"
            time.sleep(0.1)
        yield port
    finally:
        os.killpg(server.pid, 15)
        server.wait(timeout=10)


def _on_this_machine(
    env: Mapping[str, str], compose: dict[str, Any], service: str, database: str, redis_port: int
) -> dict[str, str]:
    """The container's environment with compose's names mapped here: the hosts postgres and redis,
    and the paths the service's volumes mount."""
    local = dict(env)
    pg = make_url(PG_URL)
    db = make_url(local["IOP_COVERAGE_DATABASE_URL"])
    assert (db.host, db.port) == ("postgres", 5432), db
    local["IOP_COVERAGE_DATABASE_URL"] = db.set(
        host=pg.host, port=pg.port, username=pg.username, database=database
    ).render_as_string(hide_password=False)
    broker = local["IOP_COVERAGE_BROKER_URL"]
    assert re.search(r"[/@]redis:6379/", broker), broker
    local["IOP_COVERAGE_BROKER_URL"] = re.sub(
        r"(?<=[/@])redis:6379(?=/)", f"127.0.0.1:{redis_port}", broker
    )
    for volume in compose["services"][service].get("volumes", []):
        source, target = volume.split(":")[:2]
        local = {k: v.replace(target, str(ROOT / source)) for k, v in local.items()}
    return {"PATH": os.environ["PATH"], "HOME": os.environ.get("HOME", "/tmp"), **local}


def _cli_args(compose: dict[str, Any], service: str) -> list[str]:
    command = list(compose["services"][service]["command"])
    assert command[0] == "iop-coverage", command
    return command[1:]


def test_compose_as_documented_starts_and_verifies_one_enrollee(
    compose: dict[str, Any],
    dotenv: dict[str, str],
    scratch_database: str,
    redis_port: int,
    tmp_path: Path,
) -> None:
    def env(service: str) -> dict[str, str]:
        container = compose_file.service_environment(compose, service, dotenv)
        return _on_this_machine(container, compose, service, scratch_database, redis_port)

    # Each container's settings as they are there, before any name is mapped to this machine:
    # production's checks see the broker on `redis` and the public address as compose gives them.
    for service in ("migrate", "api", "worker", "beat", "flower"):
        container = compose_file.service_environment(compose, service, dotenv)
        checked = subprocess.run(
            [sys.executable, "-c", "from coverage.settings import Settings; Settings()"],
            env={"PATH": os.environ["PATH"], **container},
            cwd=tmp_path,
            capture_output=True,
            text=True,
        )
        assert checked.returncode == 0, f"{service}: {checked.stderr[-1500:]}"

    cli = [sys.executable, "-m", "coverage.cli"]
    migrate = subprocess.run(
        [*cli, *_cli_args(compose, "migrate")],
        env=env("migrate"),
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert migrate.returncode == 0, migrate.stderr[-2000:]

    # Loopback and a free port instead of every interface and 8000; compose's other options stay.
    api_args = _cli_args(compose, "api")
    api_args[api_args.index("--host") + 1] = "127.0.0.1"
    port = free_port()
    api_args[api_args.index("--port") + 1] = str(port)
    # Caddy's address, like every compose name, is this machine: the test plays the proxy.
    api_args[api_args.index("--forwarded-allow-ips") + 1] = "127.0.0.1"
    # One pool process instead of four: this machine is shared; the settings are compose's.
    worker_args = _cli_args(compose, "worker")
    worker_args[worker_args.index("--concurrency") + 1] = "1"

    processes = [
        ServiceProcess("api", api_args, env("api"), tmp_path),
        ServiceProcess("worker", worker_args, env("worker"), tmp_path),
        ServiceProcess("beat", _cli_args(compose, "beat"), env("beat"), tmp_path),
    ]
    api, worker, beat = processes
    try:
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        while True:
            try:
                if requests.get(f"{url}/healthz", timeout=1).ok:
                    break
            except requests.ConnectionError:
                pass
            assert api.proc.poll() is None and time.monotonic() < deadline, api.tail()
            time.sleep(0.2)
        # The first start's sign-in link points at the https address Caddy serves.
        api.wait_for_log(f"{dotenv['IOP_COVERAGE_PUBLIC_URL']}/welcome/")
        worker.wait_for_log("ready.", timeout=60)
        beat.wait_for_log("beat: Starting", timeout=60)

        # As the README does it: `docker compose run --rm api iop-coverage users add ...`.
        added = subprocess.run(
            [*cli, "users", "add", "alex", "--role", "admissions"],
            env=env("api"),
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert added.returncode == 0, added.stderr
        headers = {"Authorization": f"Bearer {added.stdout.strip()}"}
        body = json.loads((ROOT / "examples" / "commercial-ppo.json").read_text())
        # Through the proxy: the links the API answers with are on https, as staff reach it.
        proxied = {**headers, "X-Forwarded-Proto": "https", "X-Forwarded-For": "192.0.2.7"}
        created = requests.post(f"{url}/api/verifications", json=body, headers=proxied, timeout=30)
        assert created.status_code == 202, created.text
        job_url = urlsplit(created.json()["url"])
        assert job_url.scheme == "https", created.json()["url"]

        deadline = time.monotonic() + 90
        while True:
            detail = requests.get(f"{url}{job_url.path}", headers=headers, timeout=10)
            if detail.json()["status"] not in {"queued", "running"}:
                break
            assert time.monotonic() < deadline, f"{detail.json()}\n{worker.tail()}"
            time.sleep(0.5)
        assert detail.json()["status"] == "needs_review", detail.json()
        assert detail.json()["result"]["estimate"]["patient_total"] == "3120.00"
    finally:
        for process in processes:
            process.stop()
