"""An operator breaks the rule book every way there is, against a running `iop-coverage serve`, a
real worker and beat: every page and route still answers, jobs still reach review with the last
good book, and `rules check` names each problem; a worker started while the directory is broken
verifies with the version in force, and the API, the worker and the beat report one version."""

import os
import re
import shutil
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import redis
import requests

from coverage.domain.access import Role
from tests.api_client import staff
from tests.conftest import ROOT
from tests.e2e.conftest import wait_settled
from tests.e2e.processes import Server, ServiceProcess, serve, start_worker
from tests.factories import request_body
from tests.rule_files import CRITERIA, EXHAUSTING, FEE_SCHEDULE, PAYER, sparse_file
from tests.served_browser import signed_in

# A Redis database of this module's own: the other e2e tests flush theirs.
REDIS_URL = os.environ.get("IOP_COVERAGE_TEST_RULES_REDIS_URL", "redis://127.0.0.1:6379/13")
COMMERCIAL = "payers/sandbox-commercial.yaml"
HARBOR = "payers/harbor-hmo.yaml"


@dataclass
class Running:
    rules: Path
    workdir: Path
    env: dict[str, str]
    server: Server
    worker: ServiceProcess
    beat: ServiceProcess
    tokens: dict[Role, str]
    pages: dict[Role, requests.Session]


def _web_session(url: str, role: Role) -> requests.Session:
    return signed_in(url, role, prefix=f"rules-{role.value}")[0]


@pytest.fixture(scope="module")
def running(database: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Running]:
    workdir = tmp_path_factory.mktemp("rule-book-safety")
    rules = workdir / "payer_rules"
    shutil.copytree(ROOT / "payer_rules", rules)
    env = os.environ | {
        "IOP_COVERAGE_RULES_DIR": str(rules),
        "IOP_COVERAGE_BROKER_URL": REDIS_URL,
        "IOP_COVERAGE_SANDBOX_LATENCY_SECONDS": "0",
    }
    broker = redis.Redis.from_url(REDIS_URL)
    broker.flushdb()
    worker = start_worker(env, workdir, concurrency=2)
    beat = ServiceProcess("beat", ["beat"], env, workdir)
    server: Server | None = None
    run: Running | None = None
    try:
        server = serve(env, workdir, name="api")
        roles = (Role.ADMISSIONS, Role.BILLING, Role.OPERATOR)
        run = Running(
            rules,
            workdir,
            env,
            server,
            worker,
            beat,
            {role: staff(role, "rules-api").token for role in roles},
            {role: _web_session(server.url, role) for role in roles},
        )
        yield run
    finally:
        # The ones running now: a test may have replaced the worker and the beat.
        for process in (run.worker, run.beat) if run else (worker, beat):
            process.stop()
        if server is not None:
            server.process.stop()
        broker.flushdb()


def _api(run: Running, role: Role, method: str, path: str, **kwargs: Any) -> requests.Response:
    headers = {"Authorization": f"Bearer {run.tokens[role]}"}
    return requests.request(
        method, f"{run.server.url}{path}", headers=headers, timeout=30, **kwargs
    )


def _status(run: Running) -> dict[str, Any]:
    answer = _api(run, Role.OPERATOR, "GET", "/api/rules/status")
    assert answer.status_code == 200, answer.text
    status: dict[str, Any] = answer.json()
    return status


def _verify(run: Running) -> dict[str, Any]:
    created = _api(run, Role.ADMISSIONS, "POST", "/api/verifications", json=request_body("ppo"))
    assert created.status_code == 202, created.text
    job = wait_settled(created.json()["id"], timeout=60)
    assert (job.status, job.message) == ("needs_review", "Ready for billing review"), job.message
    detail = _api(run, Role.BILLING, "GET", f"/api/verifications/{job.id}")
    assert detail.status_code == 200
    found: dict[str, Any] = detail.json()
    return found


PAGES = {
    Role.OPERATOR: ["/rules", "/payers"],
    Role.ADMISSIONS: ["/verifications/new", "/verifications", "/batches"],
    Role.BILLING: ["/review", "/verifications"],
}


def _every_page_answers(run: Running) -> None:
    for role, paths in PAGES.items():
        for path in paths:
            shown = run.pages[role].get(f"{run.server.url}{path}", timeout=30)
            assert shown.status_code == 200, (path, shown.status_code)
    assert _api(run, Role.ADMISSIONS, "GET", "/api/verifications").status_code == 200


def _rules_check(run: Running) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "coverage.cli", "rules", "check", str(run.rules)],
        env=run.env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def _write(relative: str, data: bytes) -> Callable[[Path], None]:
    def edit(rules: Path) -> None:
        (rules / relative).write_bytes(data)

    return edit


def _nul(rules: Path) -> None:
    path = rules / COMMERCIAL
    path.write_bytes(path.read_bytes().replace(b"name: Sandbox", b"name: Sand\x00box"))


def _escape(rules: Path) -> None:
    path = rules / COMMERCIAL
    path.write_bytes(path.read_bytes().replace(b"adapter: sandbox", b"adapter: \x1b[31msandbox"))


def _utf16(rules: Path) -> None:
    path = rules / HARBOR
    path.write_bytes(path.read_text().encode("utf-16-le"))


def _symlink_out(rules: Path) -> None:
    outside = rules.parent / "outside.yaml"
    outside.write_text(
        (rules / COMMERCIAL).read_text().replace("sandbox-commercial", "outside-plan")
    )
    (rules / "payers" / "outside.yaml").symlink_to(outside)


def _fifo(rules: Path) -> None:
    os.mkfifo(rules / "payers" / "pipe.yaml")


def _sixty_megabytes(rules: Path) -> None:
    sparse_file(rules / "payers" / "huge.yaml", 60 * 1024 * 1024)


def _three_schema_errors(rules: Path) -> None:
    path = rules / HARBOR
    path.write_text(
        path.read_text()
        .replace("type: commercial", "type: comercial")
        .replace("network_status: in_network", "netwrok_status: in_network")
        .replace('version: "2026.1"', "version: ''")
    )


FEES = FEE_SCHEDULE.format(effective="2026-06-01", body='self_pay_per_day: "425.00"\n')
NEW_PAYER = PAYER.format(id="acme-health", network="in_network", extra="")
CRITERION = CRITERIA.format(applies_to="payer_types: [commercial]", expr=EXHAUSTING)

# name, the break, (file, line or None) of each error `rules check` must name
BREAKS: list[tuple[str, Callable[[Path], None], list[tuple[str, int | None]]]] = [
    ("NUL byte", _nul, [(COMMERCIAL, 3)]),
    ("ESC byte", _escape, [(COMMERCIAL, 5)]),
    ("UTF-16 without a byte order mark", _utf16, [(HARBOR, 1)]),
    ("symlink out of the directory", _symlink_out, [("payers/outside.yaml", None)]),
    ("FIFO", _fifo, [("payers/pipe.yaml", None)]),
    ("60 MB file", _sixty_megabytes, [("payers/huge.yaml", None)]),
    (
        "three schema errors in one file",
        _three_schema_errors,
        [(HARBOR, n) for n in (5, 8, 9)],
    ),
    (
        "conflicting self-pay rates",
        _write("fee_schedules/facility-2026b.yaml", FEES.encode()),
        [("fee_schedules/facility-2026b.yaml", 8), ("fee_schedules/facility-2026b.yaml", 8)],
    ),
    (
        "a payer without a rate",
        _write("payers/acme-health.yaml", NEW_PAYER.encode()),
        [("payers/acme-health.yaml", 6)],
    ),
    (
        "a CEL criterion that exhausts the runtime budget",
        _write("medical_necessity/acme.yaml", CRITERION.encode()),
        [("medical_necessity/acme.yaml", 11)],
    ),
]


def _restore(rules: Path) -> None:
    """The shipped files back, extra ones removed (special files included)."""
    for path in sorted(rules.rglob("*"), reverse=True):
        if not (ROOT / "payer_rules" / path.relative_to(rules)).exists():
            path.unlink()
    for shipped in (COMMERCIAL, HARBOR):
        shutil.copy(ROOT / "payer_rules" / shipped, rules / shipped)


def test_every_broken_input_keeps_the_service_verifying_with_the_last_good_book(
    running: Running,
) -> None:
    good = _verify(running)["rule_book_version"]
    assert _status(running)["in_force"]["version"] == good
    for name, breaks, expected in BREAKS:
        breaks(running.rules)
        status = _status(running)
        assert status["in_force"]["version"] == good, name
        assert status["stored_version"] == good, name
        refused = status["refused"]
        assert refused is not None, name
        named = [(e["file"].removeprefix("payer_rules/"), e["line"]) for e in refused["errors"]]
        assert named == expected, name
        _every_page_answers(running)
        assert _verify(running)["rule_book_version"] == good, name
        checked = _rules_check(running)
        assert checked.returncode == 1, (name, checked.stdout, checked.stderr)
        printed = [line for line in checked.stderr.splitlines() if line.startswith("error: ")]
        assert [
            (m[1].removeprefix("payer_rules/"), int(m[2]) if m[2] else None)
            for m in (re.match(r"error: ([^:]+)(?::(\d+))?", line) for line in printed)
            if m is not None
        ] == expected, (name, checked.stderr)
        _restore(running.rules)
        assert _status(running)["refused"] is None, name
    assert _verify(running)["rule_book_version"] == good


def test_a_worker_started_while_the_directory_is_broken_verifies_with_the_version_in_force(
    running: Running,
) -> None:
    good = _verify(running)["rule_book_version"]
    _nul(running.rules)
    running.worker.stop()
    running.beat.stop()
    for name in ("worker", "beat"):
        log = running.workdir / f"{name}.log"
        log.write_text("")  # what the new processes say, only
    running.beat = ServiceProcess("beat", ["beat"], running.env, running.workdir)
    running.worker = start_worker(running.env, running.workdir, concurrency=2)
    try:
        result = _verify(running)
        assert result["rule_book_version"] == good
        status = _status(running)
        assert status["in_force"]["version"] == status["stored_version"] == good
        said = f"rule book in force: version {good[:12]}"
        running.worker.wait_for_log(f"{said}, 36 files, from the stored snapshot")
        running.beat.wait_for_log(f"{said}, 36 files, from the stored snapshot")
        assert "rule book change refused" in running.worker.tail(200)
    finally:
        _restore(running.rules)
    time.sleep(0.1)
    assert _verify(running)["rule_book_version"] == good
