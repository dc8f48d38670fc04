"""Administrators, auditors and operators at work in Chromium: a new user through the page and
its one-time link, an audit-log search with the keyboard, the rule book and the payers."""

import re
import shutil
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Browser, Page, expect

from coverage.domain.access import Role
from coverage.settings import get_settings
from coverage.store.db import session_scope
from coverage.store.tables import AuditEvent
from tests.browser.conftest import screenshot
from tests.conftest import ROOT
from tests.e2e.processes import Server, serve

NEW_PASSWORD = "a brand new password 7"


def test_an_admin_adds_a_user_whose_link_works_once_in_another_browser(
    page: Page, server: Server, sign_in: Callable[[Server, Role], str], browser: Browser
) -> None:
    sign_in(server, Role.ADMIN)
    expect(page.get_by_role("heading", level=1)).to_have_text("Users")  # the admin's start page
    name = f"jo-{uuid.uuid4().hex[:6]}"
    page.get_by_label("User name").fill(name)
    page.get_by_label("Role", exact=True).select_option("billing")
    page.get_by_role("button", name="Add user").click()
    expect(page.get_by_role("status")).to_contain_text(f"New user {name} added.")
    link = page.get_by_label(f"One-time sign-in link for {name}").input_value()
    assert link.startswith(get_settings().public_url + "/welcome/")
    row = page.locator("table.users tbody tr", has_text=name)
    expect(row.locator("td").nth(3)).to_have_text("Not set yet")
    screenshot(page, "users")

    # The new user, in a browser of their own; the link is this server's path.
    context = browser.new_context(locale="en-US", timezone_id="America/New_York")
    try:
        theirs = context.new_page()
        theirs.goto(server.url + urlsplit(link).path)
        expect(theirs.get_by_role("heading", level=1)).to_have_text("Set your password")
        theirs.get_by_label("New password", exact=True).fill(NEW_PASSWORD)
        theirs.get_by_label("New password again").fill(NEW_PASSWORD)
        theirs.get_by_role("button", name="Set password and sign in").click()
        expect(theirs).to_have_url(f"{server.url}/review")  # billing's start page
        expect(theirs.get_by_text(f"{name} (billing)")).to_be_visible()
        theirs.goto(server.url + urlsplit(link).path)
        expect(theirs.get_by_role("heading", level=1)).to_have_text("This link no longer works")
    finally:
        context.close()
    page.reload()
    expect(row.locator("td").nth(3)).to_have_text("Set")


def test_an_auditor_searches_the_audit_log_by_user_action_and_day_with_the_keyboard(
    page: Page, server: Server, sign_in: Callable[[Server, Role], str]
) -> None:
    actor = f"browser-audit-{uuid.uuid4().hex[:6]}"
    with session_scope() as session:
        for at, action in [
            (datetime(2026, 3, 1, 15, 0, tzinfo=UTC), "job.read"),
            (datetime(2026, 3, 1, 16, 0, tzinfo=UTC), "job.list"),
            (datetime(2026, 3, 2, 14, 0, tzinfo=UTC), "job.read"),
            (datetime(2026, 3, 4, 4, 30, tzinfo=UTC), "job.read"),  # 3 March in New York
            (datetime(2026, 3, 5, 14, 0, tzinfo=UTC), "job.read"),
        ]:
            session.add(
                AuditEvent(
                    at=at,
                    actor=actor,
                    actor_role="billing",
                    action=action,
                    entity_type="job",
                    entity_id=str(uuid.uuid4()),
                    client="10.0.0.9",
                )
            )
    sign_in(server, Role.AUDITOR)
    expect(page.get_by_role("heading", level=1)).to_have_text("Audit log")
    page.get_by_label("User", exact=True).focus()
    page.keyboard.type(actor)
    page.keyboard.press("Tab")
    expect(page.get_by_label("Action", exact=True)).to_be_focused()
    page.keyboard.type("job.read")  # a closed select picks the option typed
    page.keyboard.press("Tab")
    page.keyboard.type("03012026")  # mm, dd, yyyy: Chromium moves on by itself
    page.keyboard.press("Tab")  # to the date field's calendar button
    page.keyboard.press("Tab")
    expect(page.get_by_label("To", exact=True)).to_be_focused()
    page.keyboard.type("03032026")
    page.keyboard.press("Enter")
    expect(page).to_have_url(
        re.compile(rf"/audit\?user={actor}&action=job\.read&from=2026-03-01&to=2026-03-03$")
    )
    rows = page.locator("table.audit tbody tr")
    expect(rows).to_have_count(3)
    expect(rows.locator("td:first-child")).to_have_text(
        ["03/03/2026 11:30 PM EST", "03/02/2026 09:00 AM EST", "03/01/2026 10:00 AM EST"]
    )
    expect(rows.locator("td:nth-child(4)")).to_have_text(["job.read"] * 3)
    expect(page.get_by_label("Action", exact=True)).to_have_value("job.read")
    screenshot(page, "audit-log")


FILES_TABLE_ROWS = "table:has(caption:text('Rule files in force')) tbody tr"


def test_the_operator_sees_the_rule_book_and_the_payers(
    page: Page, server: Server, sign_in: Callable[[Server, Role], str]
) -> None:
    sign_in(server, Role.OPERATOR)
    expect(page.get_by_role("heading", level=1)).to_have_text("Rule book")
    expect(page.get_by_role("alert")).to_have_count(0)  # the shipped rule book loads cleanly
    files = page.locator(FILES_TABLE_ROWS)
    expect(files.filter(has_text="payers/sandbox-commercial.yaml")).to_have_count(1)
    expect(page.get_by_role("row", name=re.compile(r"^payer 12$"))).to_be_visible()
    screenshot(page, "rules-status")
    page.get_by_role("link", name="Payers").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Payers")
    commercial = page.locator('tr[data-payer="sandbox-commercial"]')
    expect(commercial.locator("td").nth(5)).to_have_text("Closed calls go through")  # live, Redis
    screenshot(page, "payers")


@pytest.fixture(scope="module")
def rules_copy(tmp_path_factory: pytest.TempPathFactory) -> Path:
    target = tmp_path_factory.mktemp("rules") / "payer_rules"
    shutil.copytree(ROOT / "payer_rules", target)
    return target


@pytest.fixture(scope="module")
def own_rules_server(
    web_env: dict[str, str], web_workdir: Path, worker_process: object, rules_copy: Path
) -> Iterator[Server]:
    """A server whose rule book is a copy this module may break."""
    started = serve(
        web_env | {"IOP_COVERAGE_RULES_DIR": str(rules_copy)}, web_workdir, name="web-own-rules"
    )
    yield started
    started.process.stop()


def test_the_operator_sees_a_refused_rule_file_with_its_line_while_the_last_good_book_stays(
    page: Page,
    own_rules_server: Server,
    rules_copy: Path,
    sign_in: Callable[[Server, Role], str],
) -> None:
    sign_in(own_rules_server, Role.OPERATOR)
    files = page.locator(FILES_TABLE_ROWS)
    expect(files).to_have_count(36)
    payer = rules_copy / "payers" / "harbor-hmo.yaml"
    payer.write_text(
        payer.read_text().replace("network_status: in_network", "network_status: maybe")
    )
    page.reload()
    alert = page.get_by_role("alert")
    expect(alert).to_contain_text(
        "The rule book in force stays in use until every problem is fixed"
    )
    expect(alert.locator("li code")).to_have_text(
        "payer_rules/payers/harbor-hmo.yaml:8:1: network_status: Input should be 'in_network' or "
        "'out_of_network'"
    )
    expect(files).to_have_count(36)
    screenshot(page, "rules-error")
