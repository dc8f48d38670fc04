"""Signing in, what each role may open, CSRF, and automatic sign-out after inactivity."""

import re
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import requests
from playwright.sync_api import Page, expect

from coverage.domain.access import Role
from tests.api_client import PASSWORD, web_user
from tests.browser.conftest import screenshot
from tests.e2e.processes import Server, serve

# role -> the navigation it sees, in order
NAVIGATION = {
    Role.ADMISSIONS: ["Verifications", "New verification", "Batches"],
    Role.BILLING: ["Review queue", "Verifications"],
    Role.OPERATOR: ["Rule book", "Payers"],
    Role.AUDITOR: ["Audit log"],
    Role.ADMIN: ["Users"],
}
PAGES = {
    "/review": {Role.BILLING},
    "/verifications": {Role.ADMISSIONS, Role.BILLING},
    "/verifications/new": {Role.ADMISSIONS},
    "/batches": {Role.ADMISSIONS},
    "/rules": {Role.OPERATOR},
    "/payers": {Role.OPERATOR},
    "/audit": {Role.AUDITOR},
    "/users": {Role.ADMIN},
}


@pytest.mark.parametrize("role", list(NAVIGATION), ids=lambda r: r.value)
def test_each_role_sees_only_its_navigation_and_gets_403_elsewhere(
    page: Page, server: Server, sign_in: Callable[[Server, Role], str], role: Role
) -> None:
    sign_in(server, role)
    nav = page.get_by_role("navigation", name="Main")
    assert nav.get_by_role("link").all_inner_texts() == NAVIGATION[role]
    screenshot(page, f"start-page-{role.value}")
    for path, allowed in PAGES.items():
        response = page.goto(server.url + path)
        assert response is not None
        if role in allowed:
            assert response.status == 200, path
        else:
            assert response.status == 403, path
            expect(page.get_by_role("heading", level=1)).to_have_text(
                "This page is not for your role"
            )
            expect(page.get_by_text("ask an administrator to change your role")).to_be_visible()


def test_a_wrong_password_is_refused_and_the_page_says_so(page: Page, server: Server) -> None:
    name = web_user(Role.BILLING)
    page.goto(f"{server.url}/review")
    expect(page).to_have_url(re.compile(r"/sign-in\?next=/review$"))
    page.get_by_label("User name").fill(name)
    page.get_by_label("Password").fill("not the password")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("alert")).to_have_text("The user name or password is not right.")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(f"{server.url}/review")  # back where the user was going


def test_a_form_posted_without_the_csrf_token_is_refused(
    page: Page, server: Server, sign_in: Callable[[Server, Role], str]
) -> None:
    sign_in(server, Role.ADMISSIONS)
    cookies = {c["name"]: c["value"] for c in page.context.cookies()}
    form = {"first_name": "Csrf", "last_name": "Probe", "payer_id": "sandbox-commercial"}
    refused = requests.post(
        f"{server.url}/verifications/new", data=form, cookies=cookies, allow_redirects=False
    )
    assert refused.status_code == 403
    assert "This form could not be accepted" in refused.text
    forged = requests.post(
        f"{server.url}/verifications/new",
        data={**form, "csrf_token": "guessed"},
        cookies=cookies,
        allow_redirects=False,
    )
    assert forged.status_code == 403
    signed_out = requests.post(
        f"{server.url}/sign-out", data={}, cookies=cookies, allow_redirects=False
    )
    assert signed_out.status_code == 403  # even sign-out needs the token
    page.goto(f"{server.url}/verifications")
    expect(page.get_by_role("heading", level=1)).to_have_text("Verifications")  # still signed in


def test_signing_out_ends_the_session_on_the_server(
    page: Page, server: Server, sign_in: Callable[[Server, Role], str]
) -> None:
    sign_in(server, Role.BILLING)
    cookies = {c["name"]: c["value"] for c in page.context.cookies()}
    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_role("status")).to_have_text("You have signed out.")
    # The old cookie, replayed, is refused: a background request gets 401.
    replay = requests.get(
        f"{server.url}/verifications/live?ids=x",
        cookies=cookies,
        headers={"Accept": "application/json"},
    )
    assert replay.status_code == 401


IDLE_SECONDS = 6


@pytest.fixture(scope="module")
def short_idle_server(
    web_env: dict[str, str], web_workdir: Path, worker_process: object
) -> Iterator[Server]:
    started = serve(
        web_env | {"IOP_COVERAGE_SESSION_IDLE_SECONDS": str(IDLE_SECONDS)},
        web_workdir,
        name="web-short-idle",
    )
    yield started
    started.process.stop()


def test_after_the_inactivity_timeout_the_next_click_lands_on_sign_in(
    page: Page, short_idle_server: Server, sign_in: Callable[[Server, Role], str]
) -> None:
    sign_in(short_idle_server, Role.ADMISSIONS)
    time.sleep(IDLE_SECONDS - 3)
    page.get_by_role("link", name="Batches").click()  # activity: the session lives on
    expect(page.get_by_role("heading", level=1)).to_have_text("Batches")
    time.sleep(IDLE_SECONDS - 3)
    page.get_by_role("link", name="Verifications").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Verifications")
    time.sleep(IDLE_SECONDS + 1)
    page.get_by_role("link", name="New verification").click()
    expect(page).to_have_url(re.compile(r"/sign-in\?reason=idle&next=/verifications/new$"))
    expect(page.get_by_role("status")).to_have_text(
        f"You were signed out after {IDLE_SECONDS} seconds without activity. "
        "Sign in again to continue."
    )
