"""The sign-in pause holds under a race: parallel wrong passwords for one user name never get
more passwords checked than the limit (count, check and record are one step per name)."""

import threading
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from typing import Literal

import pytest
from argon2 import PasswordHasher
from fastapi.testclient import TestClient

from coverage.domain.access import Role
from coverage.settings import get_settings
from coverage.store import web_sign_in
from tests.api_client import api_client, web_user
from tests.figures import record
from tests.integration.web_session import sign_in_form_token


def test_parallel_wrong_passwords_check_at_most_the_limit(
    database: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """30 browsers at once with wrong passwords for one name: no more passwords are checked
    than the limit allows, every other attempt is refused with the pause message."""
    checked = []
    guard = threading.Lock()

    class CountingHasher(PasswordHasher):
        def verify(self, hash: str | bytes, password: str | bytes) -> Literal[True]:
            with guard:
                checked.append(1)
            return super().verify(hash, password)

    monkeypatch.setattr(web_sign_in, "_hasher", CountingHasher())
    name = web_user(Role.BILLING)
    limit = get_settings().sign_in_attempts
    with api_client() as first:
        forms = []
        for _ in range(30):  # each its own browser, with its own sign-in form
            browser = TestClient(first.app)
            forms.append((browser, sign_in_form_token(browser)))
        start = threading.Barrier(len(forms))

        def attempt(form: tuple[TestClient, str]) -> int:
            browser, token = form
            start.wait()
            response = browser.post(
                "/sign-in",
                data={"csrf_token": token, "name": name, "password": "not-the-password"},
                follow_redirects=False,
            )
            assert response.status_code == 401 or "Too many wrong passwords" in response.text
            return int(response.status_code)

        with ThreadPoolExecutor(max_workers=len(forms)) as pool:
            codes = Counter(pool.map(attempt, forms))
    record(
        "sign-in lockout race",
        f"30 parallel wrong passwords for one name: {len(checked)} checked, "
        f"{max(0, len(checked) - limit)} past the limit of {limit}",
    )
    assert len(checked) == limit
    assert codes == {401: limit, 429: 30 - limit}
