"""`iop-coverage serve` on an empty database creates the first administrator and prints its
one-time sign-in link, once; `users add` and `users link` print links for the web pages."""

import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import requests
from sqlalchemy import create_engine, text

from tests.conftest import ROOT
from tests.e2e.processes import free_port

LINK = re.compile(r"http://\S+/welcome/[A-Za-z0-9_-]{43}")


def _env(tmp_path: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("IOP_COVERAGE_")}
    return env | {
        "IOP_COVERAGE_DATABASE_URL": f"sqlite:///{tmp_path / 'fresh.db'}",
        "IOP_COVERAGE_RULES_DIR": str(ROOT / "payer_rules"),
    }


def _cli(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "coverage.cli", *args],
        env=_env(tmp_path),
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=120,
    )


@contextmanager
def _serving(tmp_path: Path, port: int, **env: str) -> Iterator[Path]:
    """`serve` in its own process; yields the file its output goes to, stops it after."""
    log = tmp_path / f"serve-{port}.log"
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "coverage.cli", "serve", "--port", str(port)],
            env=_env(tmp_path) | env,
            cwd=tmp_path,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                if requests.get(f"http://127.0.0.1:{port}/healthz", timeout=1).ok:
                    break
            except requests.ConnectionError:
                pass
            assert proc.poll() is None and time.monotonic() < deadline, log.read_text()
            time.sleep(0.2)
        yield log
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=20)


def _users(tmp_path: Path) -> list[tuple[str, str, bool]]:
    engine = create_engine(f"sqlite:///{tmp_path / 'fresh.db'}")
    with engine.connect() as conn:
        rows = conn.execute(text("SELECT name, role, password_hash IS NOT NULL FROM users"))
        found = [(r[0], r[1], bool(r[2])) for r in rows]
    engine.dispose()
    return found


def test_serve_creates_the_first_admin_once_and_prints_a_working_link(tmp_path: Path) -> None:
    port = free_port()
    with _serving(tmp_path, port) as log:
        output = log.read_text()
        [link] = LINK.findall(output)
        assert link.startswith(f"http://127.0.0.1:{port}/welcome/")  # where serve listens
        assert "No users yet: created the administrator 'admin'." in output
        opened = requests.get(link, timeout=5)
        assert opened.status_code == 200
        assert "You are <strong>admin</strong> (admin)" in opened.text
        token = link.rsplit("/", 1)[1]
        assert '"GET /welcome/(link) HTTP/1.1" 200' in log.read_text()
    assert log.read_text().count(token) == 1  # printed once; the access log hides it
    assert _users(tmp_path) == [("admin", "admin", False)]

    again = free_port()
    with _serving(tmp_path, again) as log:
        assert LINK.findall(log.read_text()) == []
        path = link.split(str(port), 1)[1]
        still = requests.get(f"http://127.0.0.1:{again}{path}", timeout=5)
        assert still.status_code == 200  # the first link still works
    assert _users(tmp_path) == [("admin", "admin", False)]


def test_serve_prints_the_public_url_when_it_is_set(tmp_path: Path) -> None:
    public = "https://iop.example-clinic.test/staff"
    with _serving(tmp_path, free_port(), IOP_COVERAGE_PUBLIC_URL=public) as log:
        output = log.read_text()
    assert re.search(rf"    {re.escape(public)}/welcome/[A-Za-z0-9_-]{{43}}\n", output)


def test_users_add_prints_the_token_on_stdout_and_a_link_on_stderr(tmp_path: Path) -> None:
    added = _cli(tmp_path, "users", "add", "robin", "--role", "admin")
    assert added.returncode == 0, added.stderr
    assert re.fullmatch(r"[A-Za-z0-9_-]{43}\n", added.stdout)
    [line] = [x for x in added.stderr.splitlines() if "sign-in link" in x]
    assert re.fullmatch(
        r"web pages, one-time sign-in link: http://127\.0\.0\.1:8000/welcome/[A-Za-z0-9_-]{43}",
        line,
    )
    assert _users(tmp_path) == [("robin", "admin", False)]
    refused = _cli(tmp_path, "users", "add", "worker", "--role", "system")
    assert (refused.returncode, refused.stderr.strip()) == (
        1,
        "role 'system' is reserved for workers",
    )
    odd = _cli(tmp_path, "users", "add", "two words", "--role", "billing")
    assert odd.returncode == 1
    assert odd.stderr.startswith("user name: 1 to 80 letters, digits")


def test_users_link_prints_a_new_link_and_the_old_one_stops_working(tmp_path: Path) -> None:
    assert _cli(tmp_path, "users", "add", "sam", "--role", "billing").returncode == 0
    first = _cli(tmp_path, "users", "link", "sam")
    second = _cli(tmp_path, "users", "link", "sam")
    assert first.returncode == second.returncode == 0
    assert LINK.fullmatch(first.stdout.strip()) and LINK.fullmatch(second.stdout.strip())
    assert first.stdout != second.stdout
    port = free_port()
    with _serving(tmp_path, port):
        base = f"http://127.0.0.1:{port}"
        old = requests.get(base + "/welcome/" + first.stdout.strip().rsplit("/", 1)[1], timeout=5)
        new = requests.get(base + "/welcome/" + second.stdout.strip().rsplit("/", 1)[1], timeout=5)
    assert (old.status_code, new.status_code) == (410, 200)
    missing = _cli(tmp_path, "users", "link", "nobody")
    assert (missing.returncode, missing.stderr.strip()) == (1, "no active user 'nobody'")
