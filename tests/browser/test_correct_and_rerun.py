"""Admissions closes its own loop: a member ID the payer did not find, corrected on the page, and
the same verification reaches billing's review."""

from collections.abc import Callable

from playwright.sync_api import Page, expect

from coverage.domain.access import Role
from tests.browser.test_verification_form import PPO, SELECTS, fill_form
from tests.e2e.processes import Server


def test_admissions_corrects_the_member_id_and_the_job_reaches_review(
    page: Page, server: Server, sign_in: Callable[[Server, Role], str]
) -> None:
    sign_in(server, Role.ADMISSIONS)
    page.goto(f"{server.url}/verifications/new")
    fill_form(page, PPO | {"Member ID": "ZZ-404-7Q4Z"}, SELECTS)
    page.get_by_role("button", name="Queue verification").click()
    expect(page.locator("[data-status-label]").first).to_have_text("Needs info", timeout=30_000)
    job_url = page.url

    page.reload()
    page.get_by_role("link", name="Correct and re-run").click()
    expect(page.get_by_role("heading", name="Correct the request")).to_be_visible()
    expect(page.get_by_label("Member ID", exact=True)).to_have_value("ZZ-404-7Q4Z")
    page.get_by_label("Member ID", exact=True).fill("SBX-PPO-7Q4Z")
    page.get_by_role("button", name="Save and re-run").click()

    assert page.url == f"{job_url}?done=corrected"
    expect(page.get_by_text("The corrected request is saved")).to_be_visible()
    expect(page.locator("[data-status-label]").first).to_have_text(
        "Ready for billing review", timeout=30_000
    )
    expect(page.get_by_text("member ID SBX-PPO-7Q4Z")).to_be_visible()
