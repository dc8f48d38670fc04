"""Canary PHI for the scans that prove no PHI leaves the database encrypted: requests whose every
PHI field holds a unique tag, and readers of the channels a leak would reach (Redis, the database
file, logs). Used by tests/e2e/test_phi_canaries.py (broker and worker) and
tests/proof/test_phi_channels.py (the served API's access log and URLs).
"""

import base64
import json
import shutil
import subprocess
import uuid
from decimal import Decimal
from pathlib import Path
from typing import cast

import pytest
import redis
from redis.typing import ZSetScoredMembers

from coverage.domain.request import VerificationRequest
from coverage.store.db import get_engine
from tests.conftest import BACKEND, PG_URL
from tests.factories import request
from tests.figures import record


def canary_requests(jobs: int) -> tuple[list[VerificationRequest], list[str]]:
    requests, canaries = [], []
    for index in range(jobs):
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


def redis_dump(client: redis.Redis) -> str:
    """Every key and value of the Redis database, raw, plus every message body base64-decoded."""
    chunks: list[str] = []
    for key in client.keys("*"):
        chunks.append(key.decode(errors="replace") if isinstance(key, bytes) else key)
        kind = client.type(key)
        values: list[bytes | str] = []
        if kind == b"list":
            values = client.lrange(key, 0, -1)
        elif kind == b"hash":
            values = [v for kv in client.hgetall(key).items() for v in kv]
        elif kind == b"string":
            values = [client.get(key) or b""]
        elif kind == b"zset":
            scored = cast(ZSetScoredMembers, client.zrange(key, 0, -1, withscores=True))
            values = [member for member, _ in scored]
        elif kind == b"set":
            values = list(client.smembers(key))
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


def database_text(sqlite_path: Path, tmp_path: Path) -> str:
    """SQLite: the database file with its WAL and shared memory, bytes as text; PostgreSQL: a
    data-only pg_dump."""
    if BACKEND == "sqlite":
        get_engine().dispose()
        return b"".join(
            p.read_bytes() for p in sqlite_path.parent.glob(sqlite_path.name + "*")
        ).decode("latin-1")
    pg_dump = shutil.which("pg_dump")
    if pg_dump is None:
        pytest.skip("pg_dump is not installed")
    dump = tmp_path / "dump.sql"
    url = PG_URL.replace("postgresql+psycopg://", "postgresql://")
    subprocess.run([pg_dump, "--data-only", "-f", str(dump), url], check=True)
    return dump.read_text()


def hits(text: str, canaries: list[str]) -> list[str]:
    return sorted({c for c in canaries if c in text})


def record_scan(name: str, scanned: dict[str, str], canaries: list[str]) -> list[str]:
    """Scans each channel, records the figure and returns the hits ("channel: canary")."""
    found = [f"{channel}: {c}" for channel, text in scanned.items() for c in hits(text, canaries)]
    sizes = ", ".join(f"{channel} {len(text):,} chars" for channel, text in scanned.items())
    record(name, f"PHI hits: {len(found)} ({len(canaries)} canaries over {sizes})")
    return found
