"""The app served by a real `iop-coverage serve` (uvicorn) on a loopback port, a real Celery
worker on Redis, and Debian's Chromium driven by Playwright.

Screenshots go to $IOP_COVERAGE_ARTIFACTS (default artifacts/ in the checkout, not committed).
"""

import json
import os
import time
import uuid
from collections.abc import Callable, Iterator
from functools import cache
from pathlib import Path

import pytest
import redis
from celery import Celery
from playwright.sync_api import Browser, Page, expect, sync_playwright

from coverage import service
from coverage.domain.access import Actor, Role
from coverage.domain.request import VerificationRequest
from coverage.settings import get_settings
from coverage.store.db import session_scope
from coverage.store.tables import VerificationJob
from tests.api_client import PASSWORD, web_user
from tests.conftest import ROOT
from tests.e2e.processes import Server, ServiceProcess, serve, start_worker
from workers.celery_app import create_app

CHROMIUM = "/usr/bin/chromium"
ARTIFACTS = Path(os.environ.get("IOP_COVERAGE_ARTIFACTS", ROOT / "artifacts")) / "screenshots"
# The browser tests' worker has a Redis database of its own: the e2e tests flush theirs.
BROWSER_REDIS_URL = os.environ.get(
    "IOP_COVERAGE_TEST_BROWSER_REDIS_URL", "redis://127.0.0.1:6379/14"
)


def enqueue(job_id: uuid.UUID) -> None:
    """Sends a job to the browser tests' worker (its own broker database)."""
    _browser_celery().send_task(
        "coverage.verify", args=[str(job_id)], queue=get_settings().verify_queue
    )


@cache
def _browser_celery() -> Celery:
    return create_app(get_settings().model_copy(update={"broker_url": BROWSER_REDIS_URL}))


CLERK = Actor(name="browser-clerk", role=Role.ADMISSIONS)


def queued_for_review(example: str) -> uuid.UUID:
    """Queues an example for the worker and waits until it needs review."""
    body = json.loads((ROOT / "examples" / f"{example}.json").read_text())
    job, _ = service.queue(VerificationRequest.model_validate(body), actor=CLERK, enqueue=enqueue)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        with session_scope() as session:
            found = session.get(VerificationJob, job.id)
            assert found is not None
            if found.status not in ("queued", "running"):
                assert found.status == "needs_review", found.message
                return job.id
        time.sleep(0.2)
    raise AssertionError(f"job {job.id} did not finish")


SANDBOX_LATENCY = 1.0  # seconds: long enough to watch a job move from queued to its result


# Package scope: the server and worker stop when the browser tests end, before other packages run.
@pytest.fixture(scope="package")
def web_env(database: str) -> dict[str, str]:
    return os.environ | {
        "IOP_COVERAGE_SANDBOX_LATENCY_SECONDS": str(SANDBOX_LATENCY),
        "IOP_COVERAGE_BROKER_URL": BROWSER_REDIS_URL,
    }


@pytest.fixture(scope="package")
def web_workdir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("web")


@pytest.fixture(scope="package")
def worker_process(web_env: dict[str, str], web_workdir: Path) -> Iterator[ServiceProcess]:
    broker = redis.Redis.from_url(BROWSER_REDIS_URL)
    broker.flushdb()
    worker = start_worker(web_env, web_workdir, concurrency=4)
    yield worker
    worker.stop()
    broker.flushdb()


@pytest.fixture(scope="package")
def server(
    web_env: dict[str, str], web_workdir: Path, worker_process: ServiceProcess
) -> Iterator[Server]:
    started = serve(web_env, web_workdir)
    yield started
    started.process.stop()


@pytest.fixture(scope="package")
def browser() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=["--no-sandbox", "--disable-background-networking", "--disable-gpu"],
        )
        yield launched
        launched.close()


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(locale="en-US", timezone_id="America/New_York")
    context.set_default_timeout(15_000)
    opened = context.new_page()
    yield opened
    context.close()


@pytest.fixture
def sign_in(page: Page) -> Callable[[Server, Role], str]:
    """Signs a new user of `role` in through the sign-in form; returns the user name."""

    def signer(server: Server, role: Role) -> str:
        name = web_user(role)
        page.goto(f"{server.url}/sign-in")
        page.get_by_label("User name").fill(name)
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Sign in").click()
        expect(page.get_by_text(f"{name} ({role.value})")).to_be_visible()
        return name

    return signer


def screenshot(page: Page, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)
