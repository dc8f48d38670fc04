"""CSV batches through the API and the CLI, on the test database: every valid row queued, bad rows
reported by row, column and reason, re-uploads not queued twice, audit, who may read a batch."""

import csv
import io
import json
import os
import re
import subprocess
import sys
import threading
import uuid
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient
from sqlmodel import Session, col, func, select

from coverage.batches import intake
from coverage.domain.access import Actor, Role
from coverage.embedded import run_until_settled
from coverage.store import jobs
from coverage.store.db import get_engine
from coverage.store.tables import AuditEvent, Batch, VerificationJob
from tests.api_client import staff
from tests.batch_files import BAD, EXAMPLE, HEADER, ROOT, TEMPLATE_ROW, example_with


def upload(client: TestClient, headers: dict[str, str], data: bytes) -> dict[str, Any]:
    response = client.post("/api/batches", headers=headers, files={"file": ("b.csv", data)})
    assert response.status_code == 202, response.text
    body: dict[str, Any] = response.json()
    assert response.headers["Location"] == f"http://testserver/api/batches/{body['id']}"
    return body


def jobs_of(submitter: str) -> int:
    with Session(get_engine()) as session:
        return session.exec(
            select(func.count()).where(VerificationJob.submitter == submitter)
        ).one()


def test_two_bad_rows_are_reported_and_the_other_48_are_queued(client: TestClient) -> None:
    clerk = staff(Role.ADMISSIONS)
    body = upload(client, clerk.headers, example_with(BAD))
    assert (body["rows"], body["queued"], body["duplicates"], body["rejected"]) == (50, 48, 0, 2)
    report = body["report"]
    assert isinstance(report, list)
    assert [r["row"] for r in report] == list(range(2, 52))
    rejected = [(r["row"], r["errors"]) for r in report if r["outcome"] == "rejected"]
    assert rejected == [
        (7, [{"column": "birth_date", "reason": "not a date; use MM/DD/YYYY or YYYY-MM-DD"}]),
        (31, [{"column": "payer_id", "reason": "not a payer in the rule book"}]),
    ]
    assert all(r["job_id"] is None and r["job_status"] is None for r in report if r["errors"])
    queued = [r for r in report if r["outcome"] == "queued"]
    assert len(queued) == 48 == len({r["job_id"] for r in queued})
    assert {r["job_status"] for r in queued} == {"queued"}
    assert body["progress"] == {
        "done": 0,
        "total": 48,
        "percent": 0,
        "queued": 48,
        "running": 0,
        "needs_review": 0,
        "needs_info": 0,
        "failed": 0,
        "approved": 0,
        "rejected": 0,
    }
    assert jobs_of(clerk.name) == 48
    text = json.dumps(body)
    assert "31/31/1988" not in text and "nobody-pays" not in text  # reasons, never values


def test_uploading_the_same_file_again_queues_nothing_and_names_the_earlier_jobs(
    client: TestClient,
) -> None:
    clerk = staff(Role.ADMISSIONS)
    first = upload(client, clerk.headers, example_with(BAD))
    # The same rows again, one of them with its dates written the other way round.
    again = upload(
        client,
        clerk.headers,
        example_with(BAD | {2: {"birth_date": "1970-01-01", "start_date": "2026-11-02"}}),
    )
    assert (again["queued"], again["duplicates"], again["rejected"]) == (0, 48, 2)
    earlier = {r["row"]: r["job_id"] for r in first["report"]}
    for row in again["report"]:
        if row["outcome"] == "duplicate":
            assert row["job_id"] == earlier[row["row"]]
    assert jobs_of(clerk.name) == 48
    assert again["progress"]["total"] == 0


def test_the_same_row_twice_in_one_file_is_queued_once(client: TestClient) -> None:
    clerk = staff(Role.ADMISSIONS)
    data = intake.template_csv() + ",".join(TEMPLATE_ROW) + "\r\n"
    body = upload(client, clerk.headers, data.encode())
    first, second = body["report"]
    assert (first["outcome"], second["outcome"]) == ("queued", "duplicate")
    assert second["job_id"] == first["job_id"]
    assert jobs_of(clerk.name) == 1


def test_each_queued_row_and_the_batch_leave_audit_entries_without_phi(client: TestClient) -> None:
    clerk = staff(Role.ADMISSIONS)
    body = upload(client, clerk.headers, example_with(BAD))
    job_ids = [r["job_id"] for r in body["report"] if r["job_id"]]
    with Session(get_engine()) as session:
        entries = session.exec(select(AuditEvent).where(AuditEvent.actor == clerk.name)).all()
    created = [e for e in entries if e.action == "job.create"]
    assert sorted(e.entity_id for e in created) == sorted(job_ids)
    [batch_entry] = [e for e in entries if e.action == "batch.create"]
    assert batch_entry.entity_id == body["id"]
    assert batch_entry.detail == "50 rows: 48 queued, 0 duplicates, 2 rejected"
    assert batch_entry.part2  # the example's Medicaid rows are substance-use programs
    assert {e.detail for e in created} == {""}


def test_another_admissions_user_gets_404_and_billing_reads_any_batch(client: TestClient) -> None:
    owner = staff(Role.ADMISSIONS).headers
    body = upload(client, owner, intake.template_csv().encode())
    url = f"/api/batches/{body['id']}"
    other = staff(Role.ADMISSIONS).headers
    refused = client.get(url, headers=other)
    assert refused.status_code == 404
    assert refused.json() == {"detail": f"no batch {body['id']}"}
    billing = staff(Role.BILLING).headers
    read = client.get(url, headers=billing)
    assert read.status_code == 200
    assert read.json()["report"] == body["report"]


def test_progress_follows_the_jobs_to_their_results(client: TestClient) -> None:
    headers = staff(Role.ADMISSIONS).headers
    body = upload(client, headers, example_with(BAD))
    for row in body["report"]:
        if row["outcome"] == "queued":
            run_until_settled(uuid.UUID(row["job_id"]))
    read = client.get(f"/api/batches/{body['id']}", headers=headers).json()
    assert read["progress"] == {
        "done": 48,
        "total": 48,
        "percent": 100,
        "queued": 0,
        "running": 0,
        "needs_review": 46,
        "needs_info": 2,
        "failed": 0,
        "approved": 0,
        "rejected": 0,
    }
    assert {r["job_status"] for r in read["report"] if r["job_id"]} == {
        "needs_review",
        "needs_info",
    }


def test_a_refused_file_stores_nothing_and_says_why(client: TestClient) -> None:
    clerk = staff(Role.ADMISSIONS)
    data = example_with({}).replace(b"first_name", b"frist_name", 1)
    response = client.post("/api/batches", headers=clerk.headers, files={"file": ("b.csv", data)})
    assert response.status_code == 422
    assert response.json() == {
        "detail": "the file was refused: unknown column 'frist_name'; "
        "required column 'first_name' is missing"
    }
    with Session(get_engine()) as session:
        assert session.exec(select(Batch).where(Batch.submitter == clerk.name)).all() == []
    assert jobs_of(clerk.name) == 0


def test_the_template_downloads_as_csv(client: TestClient) -> None:
    headers = staff(Role.ADMISSIONS).headers
    response = client.get("/api/batches/template.csv", headers=headers)
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/csv; charset=utf-8"
    assert response.headers["content-disposition"] == (
        'attachment; filename="iop-coverage-batch-template.csv"'
    )
    header, example = list(csv.reader(io.StringIO(response.text)))
    assert header == HEADER and example == TEMPLATE_ROW


def test_self_pay_and_the_gfe_request_date_are_kept_with_the_job(client: TestClient) -> None:
    headers = staff(Role.ADMISSIONS).headers
    data = example_with({2: {"self_pay": "yes", "gfe_requested_on": "10/20/2026"}})
    body = upload(client, headers, data)
    job_id = uuid.UUID(body["report"][0]["job_id"])
    with Session(get_engine()) as session:
        stored = jobs.load_inputs(session, job_id=job_id).request
    assert stored.self_pay is True
    assert str(stored.gfe_requested_on) == "2026-10-20"
    assert [p.payer_id for p in stored.policies] == ["sandbox-commercial"]


def test_two_uploads_of_one_file_at_the_same_moment_queue_each_row_once() -> None:
    actor = Actor(name=f"clerk-{uuid.uuid4().hex[:6]}", role=Role.ADMISSIONS)
    data = example_with({})
    start = threading.Barrier(2)
    accepted: list[intake.Accepted] = []

    def accept() -> None:
        start.wait()
        accepted.append(intake.accept(data, actor=actor))

    threads = [threading.Thread(target=accept) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(len(a.job_ids) for a in accepted) == [0, 50]
    assert jobs_of(actor.name) == 50
    with Session(get_engine()) as session:
        counts = session.exec(
            select(Batch.queued, Batch.duplicates).where(Batch.submitter == actor.name)
        ).all()
        keys = session.exec(
            select(func.count(col(VerificationJob.idempotency_key).distinct())).where(
                VerificationJob.submitter == actor.name
            )
        ).one()
    assert sorted(counts) == [(0, 50), (50, 0)]
    assert keys == 50


def _cli(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("IOP_COVERAGE_")}
    env |= {
        "IOP_COVERAGE_DATABASE_URL": f"sqlite:///{tmp_path / 'fresh.db'}",
        "IOP_COVERAGE_RULES_DIR": str(ROOT / "payer_rules"),
        "IOP_COVERAGE_RETRY_BASE_SECONDS": "0.2",
    }
    return subprocess.run(
        [sys.executable, "-m", "coverage.cli", "batch", *args],
        env=env,
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=300,
    )


def test_the_cli_runs_a_batch_in_process_on_a_fresh_sqlite_file(tmp_path: Path) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_bytes(example_with(BAD))
    proc = _cli(tmp_path, str(bad), "--json")
    assert proc.returncode == 1, proc.stderr  # two rows rejected
    report = json.loads(proc.stdout)
    assert (report["queued"], report["duplicates"], report["rejected"]) == (48, 0, 2)
    assert report["progress"]["done"] == report["progress"]["total"] == 48
    assert report["progress"]["needs_review"] == 46
    assert report["progress"]["needs_info"] == 2
    # The whole example: its 48 good rows are duplicates now, the 2 corrected ones are new.
    proc = _cli(tmp_path, str(EXAMPLE), "--json")
    assert proc.returncode == 0, proc.stderr
    report = json.loads(proc.stdout)
    assert (report["queued"], report["duplicates"], report["rejected"]) == (2, 48, 0)
    assert report["progress"]["done"] == 2


def test_the_cli_prints_row_errors_and_a_summary_and_exits_2_on_a_refused_file(
    tmp_path: Path,
) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_bytes(example_with(BAD))
    proc = _cli(tmp_path, str(bad))
    assert proc.returncode == 1
    lines = proc.stdout.splitlines()
    assert lines[:2] == [
        "row 7: birth_date: not a date; use MM/DD/YYYY or YYYY-MM-DD",
        "row 31: payer_id: not a payer in the rule book",
    ]
    assert re.fullmatch(
        r"batch [0-9a-f-]{36}: 50 rows: 48 queued, 0 duplicates, 2 rejected", lines[2]
    )
    assert lines[3:] == ["jobs of this batch: needs_review 46, needs_info 2"]
    proc = _cli(tmp_path, str(bad), "--no-wait")  # nothing would run the jobs: refused
    assert proc.returncode == 2
    assert proc.stderr.startswith("--no-wait needs the workers (IOP_COVERAGE_BROKER_URL)")
    refused = tmp_path / "refused.csv"
    refused.write_bytes(b"first_name;last_name\n")
    proc = _cli(tmp_path, str(refused))
    assert proc.returncode == 2
    assert proc.stderr.splitlines() == [
        f"{refused}: refused, nothing was queued:",
        "  the columns must be separated by commas",
    ]
    proc = _cli(tmp_path, str(refused), "--json")
    assert proc.returncode == 2
    assert json.loads(proc.stdout) == {"refused": ["the columns must be separated by commas"]}
