"""The worker and beat as real OS processes, so a test can kill -9 them as an OOM killer would."""

import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import redis
import requests


class ServiceProcess:
    """`python -m coverage.cli ARGS` in its own process group, its output in WORKDIR/NAME.log."""

    def __init__(self, name: str, args: list[str], env: Mapping[str, str], workdir: Path) -> None:
        self.name = name
        self.log_path = workdir / f"{name}.log"
        with self.log_path.open("ab") as log:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "coverage.cli", *args],
                env=dict(env),
                cwd=workdir,  # beat writes its schedule file here
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )

    def children(self) -> list[int]:
        """PIDs of the prefork pool children (empty while the pool restarts one)."""
        try:
            text = Path(f"/proc/{self.proc.pid}/task/{self.proc.pid}/children").read_text()
        except FileNotFoundError:
            return []
        return [int(pid) for pid in text.split()]

    def kill_children(self) -> int:
        killed = 0
        for pid in self.children():
            try:
                os.kill(pid, signal.SIGKILL)
                killed += 1
            except ProcessLookupError:
                pass
        return killed

    def kill(self) -> None:
        """kill -9 the whole worker: main process and pool children at once."""
        try:
            os.killpg(self.proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        self.proc.wait(timeout=10)

    def stop(self) -> None:
        if self.proc.poll() is not None:
            return
        os.killpg(self.proc.pid, signal.SIGTERM)
        try:
            self.proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.kill()

    def wait_for_log(self, text: str, timeout: float = 30) -> None:
        deadline = time.monotonic() + timeout
        while text not in self.log_path.read_text(errors="replace"):
            if self.proc.poll() is not None or time.monotonic() > deadline:
                raise AssertionError(f"{self.name} never logged {text!r}:\n{self.tail()}")
            time.sleep(0.1)

    def tail(self, lines: int = 40) -> str:
        return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])


def start_worker(env: Mapping[str, str], workdir: Path, *, concurrency: int) -> ServiceProcess:
    worker = ServiceProcess("worker", ["worker", f"--concurrency={concurrency}"], env, workdir)
    try:
        worker.wait_for_log("ready.")
    except AssertionError:
        worker.stop()  # never left behind to take another test's jobs
        raise
    return worker


@contextmanager
def services(
    env: Mapping[str, str], workdir: Path, *, concurrency: int
) -> Iterator[tuple[ServiceProcess, ServiceProcess]]:
    """A prefork worker and a separate beat (the sweeper's clock), both stopped at the end."""
    beat = ServiceProcess("beat", ["beat"], env, workdir)
    worker = start_worker(env, workdir, concurrency=concurrency)
    try:
        yield worker, beat
    finally:
        worker.stop()
        beat.stop()


class Supervisor:
    """Starts a process again whenever it exits, as compose's `restart: unless-stopped` does."""

    def __init__(self, start: Callable[[], ServiceProcess]) -> None:
        self._start = start
        self.current = start()
        self.restarts = 0
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._watch, daemon=True)
        self._thread.start()

    def _watch(self) -> None:
        while not self._stopping.wait(0.5):
            if self.current.proc.poll() is not None:
                self.restarts += 1
                self.current = self._start()

    def stop(self) -> None:
        self._stopping.set()
        self._thread.join()
        self.current.stop()


@contextmanager
def supervised_services(
    env: Mapping[str, str], workdir: Path, *, concurrency: int
) -> Iterator[tuple[Supervisor, Supervisor]]:
    beat = Supervisor(lambda: ServiceProcess("beat", ["beat"], env, workdir))
    worker = Supervisor(lambda: start_worker(env, workdir, concurrency=concurrency))
    try:
        yield worker, beat
    finally:
        worker.stop()
        beat.stop()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass(frozen=True)
class Server:
    url: str
    process: ServiceProcess


def serve(env: dict[str, str], workdir: Path, name: str = "web") -> Server:
    port = free_port()
    process = ServiceProcess(name, ["serve", "--port", str(port)], env, workdir)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while True:
        try:
            if requests.get(f"{url}/healthz", timeout=1).ok:
                return Server(url, process)
        except requests.ConnectionError:
            pass
        if process.proc.poll() is not None or time.monotonic() > deadline:
            process.stop()
            raise AssertionError(f"{name} did not start:\n{process.tail()}")
        time.sleep(0.2)


class PrivateRedis:
    """A redis-server of our own, without persistence, like the machine's: a test may stop and
    start it without disturbing the machine's shared Redis."""

    def __init__(self, workdir: Path) -> None:
        self.port = free_port()
        self.workdir = workdir
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        self.proc = subprocess.Popen(
            [
                "redis-server",
                "--bind",
                "127.0.0.1",
                "--port",
                str(self.port),
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(self.workdir),
            ],
            stdout=subprocess.DEVNULL,
        )
        client = redis.Redis.from_url(self.url)
        deadline = time.monotonic() + 10
        while not _answers(client):
            assert time.monotonic() < deadline, "redis-server did not start"
            time.sleep(0.1)

    def stop(self) -> None:
        if self.proc is not None:
            self.proc.kill()
            self.proc.wait(timeout=10)


def _answers(client: redis.Redis) -> bool:
    try:
        return bool(client.ping())
    except redis.ConnectionError:
        return False
