"""With the broker down, submits, re-runs, batches and the staff form still answer at once (the
job saved and `queued`, never a 500), and the sweeper sends every such job once the broker is back:
a real `iop-coverage serve`, worker and beat on a private redis-server that the test stops."""

import csv
import io
import logging
import os
import time
import uuid
from collections.abc import Callable
from pathlib import Path

import requests
from sqlmodel import Session, col, select

from coverage.domain.access import Role
from coverage.store.db import get_engine
from coverage.store.tables import VerificationJob
from tests.api_client import Staff, staff
from tests.batch_files import HEADER, example_rows
from tests.e2e.conftest import wait_settled
from tests.e2e.jobwatch import assert_each_ended_once, open_jobs
from tests.e2e.processes import PrivateRedis, serve, supervised_services
from tests.factories import request_body
from tests.served_browser import form_token, signed_in

ANSWER_WITHIN_SECONDS = 3.0  # the publish retry policy bounds the wait on a down broker


def _signed_in(url: str) -> tuple[requests.Session, str, str]:
    """A browser signed in as a new admissions user, on the form: (browser, user, CSRF token)."""
    browser, name = signed_in(url, Role.ADMISSIONS, prefix="broker-down")
    return browser, name, form_token(browser, f"{url}/verifications/new")


def _auth(user: Staff) -> dict[str, str]:
    return user.headers


def _batch_csv(rows: int) -> bytes:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=HEADER)
    writer.writeheader()
    writer.writerows(example_rows()[:rows])
    return out.getvalue().encode()


def _jobs_of(*submitters: str) -> set[uuid.UUID]:
    with Session(get_engine()) as session:
        return set(
            session.exec(
                select(VerificationJob.id).where(col(VerificationJob.submitter).in_(submitters))
            ).all()
        )


def test_a_down_broker_delays_jobs_and_loses_none(database: str, tmp_path: Path) -> None:
    broker = PrivateRedis(tmp_path)
    broker.start()
    env = os.environ | {
        "IOP_COVERAGE_BROKER_URL": broker.url,
        "IOP_COVERAGE_SANDBOX_LATENCY_SECONDS": "0",
        "IOP_COVERAGE_SWEEP_INTERVAL_SECONDS": "1",
        "IOP_COVERAGE_QUEUED_DEADLINE_SECONDS": "3",
    }
    clerk = staff(Role.ADMISSIONS, "broker-down")
    biller = staff(Role.BILLING, "broker-down")
    server = serve(env, tmp_path, name="api")
    try:
        with supervised_services(env, tmp_path, concurrency=2):
            api = f"{server.url}/api"
            done = requests.post(
                f"{api}/verifications", json=request_body(), headers=_auth(clerk), timeout=10
            )
            assert wait_settled(done.json()["id"], timeout=60).status == "needs_review"
            browser, clerk_on_pages, csrf = _signed_in(server.url)

            broker.stop()
            answers: dict[str, tuple[int, float]] = {}

            def timed(what: str, send: Callable[[], requests.Response]) -> requests.Response:
                started = time.monotonic()
                response = send()
                answers[what] = (response.status_code, time.monotonic() - started)
                return response

            submitted = timed(
                "submit",
                lambda: requests.post(
                    f"{api}/verifications",
                    json=request_body(first_name="Brokerless"),
                    headers=_auth(clerk),
                    timeout=30,
                ),
            )
            rerun = timed(
                "re-run",
                lambda: requests.post(
                    f"{api}/verifications/{done.json()['id']}/rerun",
                    headers=_auth(biller),
                    timeout=30,
                ),
            )
            batch = timed(
                "batch",
                lambda: requests.post(
                    f"{api}/batches",
                    files={"file": ("b.csv", _batch_csv(3))},
                    headers=_auth(clerk),
                    timeout=30,
                ),
            )
            form = timed(
                "staff form",
                lambda: browser.post(
                    f"{server.url}/verifications/new",
                    data=example_rows()[5] | {"csrf_token": csrf, "form_id": uuid.uuid4().hex},
                    allow_redirects=False,
                    timeout=30,
                ),
            )
            assert {what: code for what, (code, _) in answers.items()} == {
                "submit": 202,
                "re-run": 202,
                "batch": 202,
                "staff form": 303,
            }, (rerun.text, batch.text, form.text)
            assert submitted.json()["status"] == "queued"
            slowest = max(seconds for _, seconds in answers.values())
            logging.getLogger(__name__).info("answers with the broker down: %s", answers)
            assert slowest < ANSWER_WITHIN_SECONDS, answers
            time.sleep(1)  # the batch's background send, after its answer
            log = server.process.log_path.read_text()
            assert f"broker unavailable: job {submitted.json()['id']}" in log
            assert "Brokerless" not in log

            job_ids = _jobs_of(clerk.name, clerk_on_pages)
            assert len(job_ids) == 1 + 1 + 3 + 1  # the earlier job, re-run; submit; batch; form
            assert open_jobs(job_ids) == len(job_ids)  # all saved and queued, none could be sent
            broker.start()  # the same port, empty: every message sent before is gone
            deadline = time.monotonic() + 120
            while open_jobs(job_ids):
                assert time.monotonic() < deadline, "the sweeper did not send the queued jobs"
                time.sleep(0.5)
        rerun_id = uuid.UUID(done.json()["id"])
        assert wait_settled(rerun_id, timeout=0).status == "needs_review"
        assert_each_ended_once(job_ids - {rerun_id})  # the re-run job has two results, rightly
    finally:
        server.process.stop()
        broker.stop()
