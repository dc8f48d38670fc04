"""No PHI in what the served API leaves behind: canaries submitted through a real `iop-coverage
serve` process and read back through it reach neither its access log nor its own log, nor any
URL or Location header, nor any Redis key or value (broker messages, the payer guard's keys),
nor this process's log while the pipeline runs them, nor the database file (WAL included).
tests/e2e/test_phi_canaries.py covers the broker and the worker's log with a real worker."""

import logging
import os
import uuid
from pathlib import Path

import pytest
import redis
import requests

from coverage.domain.access import Role
from coverage.embedded import run_until_settled
from tests.conftest import REDIS_URL
from tests.e2e.processes import serve
from tests.phi_canaries import canary_requests, database_text, record_scan, redis_dump
from tests.proof.conftest import World

JOBS = 5
READS = ("", "/fhir", "/good-faith-estimate?format=json")


def test_canaries_reach_no_log_url_redis_key_or_database_page(
    world: World, caplog: pytest.LogCaptureFixture, sqlite_path: Path, tmp_path: Path
) -> None:
    caplog.set_level(logging.DEBUG)
    broker = redis.Redis.from_url(REDIS_URL)
    broker.flushdb()
    bodies, canaries = canary_requests(JOBS)
    server = serve(dict(os.environ), tmp_path)
    urls: list[str] = []
    try:
        with requests.Session() as http:
            job_ids = []
            for body in bodies:
                sent = http.post(
                    f"{server.url}/api/verifications",
                    json=body.model_dump(mode="json"),
                    headers=world.headers(Role.ADMISSIONS),
                    timeout=30,
                )
                assert sent.status_code == 202, sent.text
                urls += [sent.url, sent.headers["Location"]]
                job_ids.append(uuid.UUID(sent.json()["id"]))
            for job_id in job_ids:
                run_until_settled(job_id)
            for job_id in job_ids:
                for read in READS:
                    got = http.get(
                        f"{server.url}/api/verifications/{job_id}{read}",
                        headers=world.headers(Role.BILLING),
                        timeout=30,
                    )
                    assert got.status_code in (200, 404), got.text  # 404: insured, no GFE
                    urls.append(got.url)
            listed = http.get(
                f"{server.url}/api/verifications?limit=200",
                headers=world.headers(Role.BILLING),
                timeout=30,
            )
            assert listed.ok
            urls.append(listed.url)
    finally:
        server.process.stop()
    served_log = server.process.log_path.read_text()
    assert f'"GET /api/verifications/{job_ids[0]} HTTP/1.1" 200' in served_log  # access lines
    assert "coverage.verify" in (queued := redis_dump(broker))  # the broker messages are read
    database = database_text(sqlite_path, tmp_path)
    assert "needs_review" in database
    scanned = {
        "served access and service log": served_log,
        "URLs and Location headers": "\n".join(urls),
        "Redis keys and values": queued,
        "pipeline log": caplog.text,
        "database": database,
    }
    try:
        assert record_scan("PHI canaries: served API", scanned, canaries) == []
    finally:
        broker.flushdb()
