"""The served app (`iop-coverage serve`, uvicorn) refuses unwanted bodies before reading them:
anonymous ones with 401 or the sign-in page, oversized ones with 413 naming the limit, and the
API documentation is for staff only. Bodies go over a plain socket (tests/e2e/raw_http.py) so the
test sees how much of a body the client had sent when the answer came."""

import base64
import hashlib
import json
import os
import re
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests
from sqlmodel import func, select

from coverage.domain.access import Role
from coverage.store.db import session_scope
from coverage.store.tables import Batch
from tests.api_client import staff
from tests.e2e.processes import Server, serve
from tests.e2e.raw_http import post
from tests.figures import record
from tests.served_browser import form_token, signed_in

MB = 1024 * 1024
BIG = b" " * (17 * MB)
# Answered while the client still had this much to send: loopback socket buffers hold a few MB,
# so an answer that came after the server read the whole body shows as all 17 MB sent.
UNREAD = 10 * MB


@dataclass(frozen=True)
class Served:
    server: Server
    token: str  # an admissions user's API token
    browser: requests.Session  # the same kind of user, signed in to the pages
    csrf: str

    @property
    def url(self) -> str:
        return self.server.url


def _signed_in(url: str) -> tuple[requests.Session, str]:
    browser, _name = signed_in(url, Role.ADMISSIONS, prefix="gate")
    return browser, form_token(browser, f"{url}/batches")


@pytest.fixture(scope="module")
def served(database: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    workdir: Path = tmp_path_factory.mktemp("gate")
    server = serve(dict(os.environ), workdir, name="gate")
    try:
        browser, csrf = _signed_in(server.url)
        yield Served(server, staff(Role.ADMISSIONS, "gate").token, browser, csrf)
    finally:
        server.process.stop()


def _status(pid: int, field: str) -> int:
    """A /proc/PID/status figure in KB (VmRSS, VmHWM: the peak resident size)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise AssertionError(f"no {field} for {pid}")


def _session_cookie(served: Served) -> str:
    return "; ".join(f"{k}={v}" for k, v in served.browser.cookies.items())


def test_an_anonymous_body_is_refused_before_it_is_sent(served: Served) -> None:
    for headers in ({}, {"Authorization": "Bearer made-up-token"}):
        answer = post(served.url, "/api/verifications", BIG, headers=headers, chunked=True)
        assert answer.status == 401
        assert json.loads(answer.body) == {"detail": "missing, unknown or revoked API token"}
        assert answer.headers["www-authenticate"] == "Bearer"
        # The server answered while the client still had most of the 17 MB to send.
        assert answer.sent < UNREAD, answer.sent
    declared = post(served.url, "/api/verifications", BIG)
    assert declared.status == 413
    assert declared.sent < UNREAD


@pytest.mark.parametrize("path", ["/users", "/verifications/new"])
def test_a_staff_page_post_without_a_session_goes_to_sign_in_unread(
    served: Served, path: str
) -> None:
    # /users takes form fields, which FastAPI would read before any check of the session.
    answer = post(
        served.url,
        path,
        b"name=" + BIG,
        headers={"Accept": "text/html"},
        content_type="application/x-www-form-urlencoded",
        chunked=True,
    )
    assert answer.status == 303
    assert answer.headers["location"] == "/sign-in"
    assert answer.sent < UNREAD


def test_the_sign_in_form_stays_open_with_the_small_limit(served: Served) -> None:
    answer = post(
        served.url,
        "/sign-in",
        b"name=" + BIG,
        headers={"Accept": "text/html"},
        content_type="application/x-www-form-urlencoded",
    )
    assert answer.status == 413
    assert "The request is larger than 1 MB, the limit for this address." in answer.body.decode()
    assert answer.sent < UNREAD
    assert requests.get(f"{served.url}/sign-in", timeout=10).status_code == 200


def test_eight_parallel_anonymous_bodies_do_not_grow_the_server(served: Served) -> None:
    pid = served.server.process.proc.pid
    try:  # start the peak afresh (Linux 4.0+): what the 8 bodies add is what is measured
        Path(f"/proc/{pid}/clear_refs").write_text("5")
    except OSError:
        pass
    before = _status(pid, "VmHWM")
    with ThreadPoolExecutor(8) as pool:
        answers = list(
            pool.map(lambda _: post(served.url, "/api/verifications", BIG, chunked=True), range(8))
        )
    grown_mb = (_status(pid, "VmHWM") - before) / 1024
    record(
        "body size before auth",
        f"8 parallel anonymous 17 MB bodies: {sum(a.status == 401 for a in answers)} refused "
        f"unread (401), server peak RSS +{grown_mb:.1f} MB",
    )
    assert [a.status for a in answers] == [401] * 8
    assert grown_mb < 8, f"peak RSS grew {grown_mb:.1f} MB"


def test_a_signed_in_body_over_the_limit_is_refused_with_the_limit(served: Served) -> None:
    auth = {"Authorization": f"Bearer {served.token}"}
    two_mb = b" " * (2 * MB)
    expected = {"detail": "the request is larger than 1 MB, the limit for this address"}
    declared = post(served.url, "/api/verifications", two_mb, headers=auth)
    # A chunked body has no size up front: it is read up to the limit, then cut off.
    chunked = post(served.url, "/api/verifications", BIG, headers=auth, chunked=True)
    for answer in (declared, chunked):
        assert answer.status == 413, answer.body
        assert json.loads(answer.body) == expected
        assert answer.headers["cache-control"] == "no-store"
    assert chunked.sent < UNREAD, chunked.sent
    # Under the limit the request is read and judged as before.
    small = requests.post(f"{served.url}/api/verifications", json={}, headers=auth, timeout=10)
    assert small.status_code == 422


def _batches() -> int:
    with session_scope() as session:
        return session.exec(select(func.count()).select_from(Batch)).one()


def _csv(size: int) -> tuple[bytes, str]:
    boundary = "gate-test-boundary"
    row = b"first_name,last_name\n" + b"Ann,Example\n" * (size // 12)
    body = (
        (
            f'--{boundary}\r\nContent-Disposition: form-data; name="file"; '
            f'filename="big.csv"\r\nContent-Type: text/csv\r\n\r\n'
        ).encode()
        + row
        + f"\r\n--{boundary}--\r\n".encode()
    )
    return body, f"multipart/form-data; boundary={boundary}"


def test_a_csv_over_the_upload_limit_is_refused_and_nothing_stored(served: Served) -> None:
    stored = _batches()
    body, content_type = _csv(11 * MB)
    text = "the uploaded file is larger than 10 MB, the limit for this address"
    auth = {"Authorization": f"Bearer {served.token}"}
    for chunked in (False, True):
        answer = post(
            served.url,
            "/api/batches",
            body,
            headers=auth,
            chunked=chunked,
            content_type=content_type,
        )
        assert answer.status == 413
        assert json.loads(answer.body) == {"detail": text}
    page_headers = {
        "Cookie": _session_cookie(served),
        "X-CSRF-Token": served.csrf,
        "Accept": "text/html",
    }
    for chunked in (False, True):
        answer = post(
            served.url,
            "/batches",
            body,
            headers=page_headers,
            chunked=chunked,
            content_type=content_type,
        )
        assert answer.status == 413
        assert answer.headers["content-type"].startswith("text/html")
        page = answer.body.decode()
        assert "This is too large to accept" in page
        assert "The uploaded file is larger than 10 MB, the limit for this address." in page
    assert _batches() == stored
    # A CSV over the JSON routes' 1 MB but under the upload limit is let through to be read.
    body, content_type = _csv(2 * MB)
    answer = post(served.url, "/api/batches", body, headers=auth, content_type=content_type)
    assert answer.status == 422  # read and refused row by row: not the gate's 413


def test_the_api_documentation_is_for_staff(served: Served) -> None:
    for path in ("/docs", "/redoc", "/openapi.json"):
        anonymous = requests.get(f"{served.url}{path}", timeout=10)
        assert anonymous.status_code == 401, path
        assert anonymous.json() == {"detail": "missing, unknown or revoked API token"}
        browser = requests.get(
            f"{served.url}{path}", headers={"Accept": "text/html"}, allow_redirects=False
        )
        assert browser.status_code == 303
        assert browser.headers["location"] == f"/sign-in?next={path}"
        for signed in (
            requests.get(
                f"{served.url}{path}",
                headers={"Authorization": f"Bearer {served.token}"},
                timeout=10,
            ),
            served.browser.get(f"{served.url}{path}", timeout=10),
        ):
            assert signed.status_code == 200, path
            assert signed.headers["cache-control"] == "no-store"
    docs = served.browser.get(f"{served.url}/docs", timeout=10)
    policy = docs.headers["content-security-policy"]
    assert "script-src https://cdn.jsdelivr.net 'sha256-" in policy
    assert "connect-src 'self'" in policy
    # The page's inline script is the one the policy lets run (by its hash), and only it.
    (inline,) = re.findall(r"<script>(.*?)</script>", docs.text, re.DOTALL)
    digest = base64.b64encode(hashlib.sha256(inline.encode()).digest()).decode()
    assert f"'sha256-{digest}'" in policy
    assert "'unsafe-inline'" not in policy.split("script-src")[1].split(";")[0]
    redoc = served.browser.get(f"{served.url}/redoc", timeout=10)
    assert "cdn.jsdelivr.net" in redoc.headers["content-security-policy"]
