"""No PHI in the broker, the worker's logs or the database file: canaries in every PHI field."""

import base64
import json
import logging
import shutil
import subprocess
import uuid
from collections.abc import Callable
from contextlib import AbstractContextManager
from decimal import Decimal
from pathlib import Path
from typing import cast

import pytest
import redis
from redis.typing import ZSetScoredMembers

from coverage import service
from coverage.core.reads import job_detail
from coverage.domain.access import Actor, Role
from coverage.domain.request import VerificationRequest
from coverage.store.db import get_engine, session_scope
from tests.conftest import BACKEND, PG_URL
from tests.e2e.conftest import wait_settled
from tests.factories import request
from workers.tasks import enqueue

CLERK = Actor(name="e2e-canary-clerk", role=Role.ADMISSIONS)
JOBS = 20


def _canary_requests() -> tuple[list[VerificationRequest], list[str]]:
    requests, canaries = [], []
    for index in range(JOBS):
        tag = f"CNRY{uuid.uuid4().hex[:12].upper()}"
        income = Decimal(f"{41000 + index}.{37 + index}")
        req = request(
            "ppo",
            first_name=f"{tag}F",
            last_name=f"{tag}L",
            member_suffix=tag,
            household={"size": 2, "annual_income": str(income)},
            address={
                "line1": f"{tag} Main St",
                "city": f"{tag}City",
                "state": "VA",
                "postal_code": "22030",
            },
            diagnoses=["F42.2"],
        )
        requests.append(req)
        canaries += [tag, str(income), "F42.2", "1988-04-12"]
    return requests, canaries


def _broker_dump(broker: redis.Redis) -> str:
    """Every key, raw, plus every message body base64-decoded."""
    chunks: list[str] = []
    for key in broker.keys("*"):
        kind = broker.type(key)
        values: list[bytes | str] = []
        if kind == b"list":
            values = broker.lrange(key, 0, -1)
        elif kind == b"hash":
            values = list(broker.hgetall(key).values())
        elif kind == b"string":
            values = [broker.get(key) or b""]
        elif kind == b"zset":
            scored = cast(ZSetScoredMembers, broker.zrange(key, 0, -1, withscores=True))
            values = [member for member, _ in scored]
        for raw in values:
            assert isinstance(raw, bytes)  # the client does not decode responses
            chunks.append(raw.decode(errors="replace"))
            try:
                message = json.loads(raw)
            except ValueError:
                continue
            if isinstance(message, list):  # unacked hash entries: [message, exchange, routing key]
                message = message[0]
            if isinstance(message, dict) and "body" in message:
                chunks.append(base64.b64decode(message["body"]).decode(errors="replace"))
                chunks.append(json.dumps(message.get("headers", {})))
    return "\n".join(chunks)


def _hits(text: str, canaries: list[str]) -> list[str]:
    return sorted({c for c in canaries if c in text})


def test_canaries_reach_neither_broker_nor_logs_nor_the_database_file(
    broker: redis.Redis,
    request_worker: Callable[[], AbstractContextManager[None]],
    caplog: pytest.LogCaptureFixture,
    sqlite_path: Path,
    tmp_path: Path,
) -> None:
    caplog.set_level(logging.DEBUG)
    requests, canaries = _canary_requests()
    job_ids = [service.queue(req, actor=CLERK, enqueue=enqueue)[0].id for req in requests]

    queued = _broker_dump(broker)
    assert (
        broker.llen("verify") == JOBS and "coverage.verify" in queued
    )  # the scan sees the messages
    assert _hits(queued, canaries) == []

    with request_worker():
        assert [wait_settled(job_id).status for job_id in job_ids] == ["needs_review"] * JOBS
    assert _hits(_broker_dump(broker), canaries) == []
    assert "succeeded in" in caplog.text  # the worker's own log lines were captured
    assert _hits(caplog.text, canaries) == []

    # the service still decrypts every canary
    with session_scope() as session:
        detail = job_detail(session, job_id=job_ids[0], actor=CLERK)
    assert detail.request.enrollee.first_name == requests[0].enrollee.first_name

    if BACKEND == "sqlite":
        get_engine().dispose()
        text = b"".join(
            p.read_bytes() for p in sqlite_path.parent.glob(sqlite_path.name + "*")
        ).decode("latin-1")
    else:
        pg_dump = shutil.which("pg_dump")
        if pg_dump is None:
            pytest.skip("pg_dump is not installed")
        dump = tmp_path / "dump.sql"
        url = PG_URL.replace("postgresql+psycopg://", "postgresql://")
        subprocess.run([pg_dump, "--data-only", "-f", str(dump), url], check=True)
        text = dump.read_text()
    assert "needs_review" in text  # the scan reads the data
    assert _hits(text, canaries) == []
