"""What browsers and proxies are told to keep: nothing that may hold PHI (every API answer and every
page, refusals included), while the health check and the app's own scripts and styles stay
cacheable. And the gate as the app sees it in-process: a body streamed past the limit is cut off."""

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from coverage.domain.access import Role
from coverage.settings import get_settings
from tests.api_client import make_app, staff
from tests.integration.web_session import signed_in_client


def test_every_api_answer_is_no_store(client: TestClient) -> None:
    billing = staff(Role.BILLING)
    admissions = staff(Role.ADMISSIONS)
    answers = {
        "list": client.get("/api/verifications", headers=billing.headers),
        "not found": client.get(
            "/api/verifications/00000000-0000-0000-0000-000000000000", headers=billing.headers
        ),
        "anonymous": client.get("/api/verifications"),
        "wrong role": client.get("/api/audit", headers=billing.headers),
        "template": client.get("/api/batches/template.csv", headers=admissions.headers),
        "invalid": client.post("/api/verifications", json={}, headers=admissions.headers),
    }
    assert {k: a.status_code for k, a in answers.items()} == {
        "list": 200,
        "not found": 404,
        "anonymous": 401,
        "wrong role": 403,
        "template": 200,
        "invalid": 422,
    }
    for what, answer in answers.items():
        assert answer.headers["cache-control"] == "no-store", what


def test_every_page_is_no_store_and_only_health_and_static_files_may_be_cached(
    client: TestClient,
) -> None:
    clerk = signed_in_client(client.app, Role.ADMISSIONS)  # type: ignore[arg-type]
    for path in ("/verifications", "/verifications/new", "/batches", "/batches/template.csv"):
        page = clerk.client.get(path)
        assert page.status_code == 200, path
        assert page.headers["cache-control"] == "no-store", path
    signed_out = client.get("/verifications", follow_redirects=False)
    assert signed_out.status_code == 303
    assert signed_out.headers["cache-control"] == "no-store"
    for path in ("/healthz", "/static/app.css", "/static/app.js"):
        answer = client.get(path)
        assert answer.status_code == 200, path
        assert "no-store" not in answer.headers.get("cache-control", ""), path


def _streamed(size: int) -> Iterator[bytes]:
    piece = b" " * 65536
    for _ in range(size // len(piece)):
        yield piece


def test_a_streamed_body_past_the_limit_is_cut_off_with_413(client: TestClient) -> None:
    admissions = staff(Role.ADMISSIONS)
    # No Content-Length: the gate counts what is read and stops at 1 MB.
    answer = client.post(
        "/api/verifications",
        content=_streamed(2 * 1024 * 1024),
        headers=admissions.headers | {"Content-Type": "application/json"},
    )
    assert "content-length" not in answer.request.headers
    assert answer.status_code == 413
    assert answer.json() == {
        "detail": "the request is larger than 1 MB, the limit for this address"
    }


def test_the_upload_limit_is_a_setting(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("IOP_COVERAGE_UPLOAD_MAX_BYTES", str(2 * 1024 * 1024))
    get_settings.cache_clear()
    try:
        with TestClient(make_app()) as client:
            admissions = staff(Role.ADMISSIONS)
            answer = client.post(
                "/api/batches",
                files={"file": ("rows.csv", b"first_name\n" + b"A\n" * (1024 * 1024 + 1))},
                headers=admissions.headers,
            )
        assert answer.status_code == 413
        assert answer.json() == {
            "detail": "the uploaded file is larger than 2 MB, the limit for this address"
        }
    finally:
        monkeypatch.undo()
        get_settings.cache_clear()
