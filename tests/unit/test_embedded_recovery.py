"""The embedded runner's pool outlives one server: a second app served in the same process (a
test run, or a server restarted in place) still runs the jobs it is given."""

import threading
import uuid

import pytest

from coverage import embedded
from coverage.embedded import Recovery


def test_a_second_server_in_one_process_still_runs_jobs(monkeypatch: pytest.MonkeyPatch) -> None:
    ran: list[uuid.UUID] = []
    done = threading.Event()

    def run_once(job_id: uuid.UUID) -> None:
        ran.append(job_id)
        done.set()

    monkeypatch.setattr(embedded, "_run_once", run_once)
    Recovery(lambda at_start: [], interval=60).start().stop()  # shuts the pool down
    second = Recovery(lambda at_start: [], interval=60).start()
    job = uuid.uuid4()
    embedded.enqueue_in_thread(job)
    assert done.wait(5)
    second.stop()
    assert ran == [job]
