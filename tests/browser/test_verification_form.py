"""Admissions at the new-verification form: a result that appears live, field errors, and no PHI
in any URL the pages make nor in the service's and the worker's logs."""

import re
from collections.abc import Callable

from playwright.sync_api import Page, expect

from coverage.domain.access import Role
from tests.browser.conftest import screenshot
from tests.e2e.processes import Server, ServiceProcess
from tests.factories import phi_in

PPO = {
    "First name": "Quillon",
    "Last name": "Marrowby",
    "Birth date": "1979-03-14",
    "State of residence": "VA",
    "Member ID": "SBX-PPO-7Q4Z",
    "Diagnoses (ICD-10-CM)": "F33.1; F41.1",
    "First day": "2026-12-07",
    "Days a week": "3",
    "Hours a day": "3",
    "Weeks": "8",
    "Household size": "3",
    "Household income a year": "61000.00",
}
SELECTS = {
    "Sex": "F",
    "Payer": "sandbox-commercial",
    "Program": "mental_health",
    "Level of care the clinician recommends": "iop",
}


def fill_form(page: Page, fields: dict[str, str], selects: dict[str, str]) -> None:
    for label, value in fields.items():
        page.get_by_label(label, exact=True).fill(value)
    for label, value in selects.items():
        page.get_by_label(label, exact=True).select_option(value)


def queue_the_ppo_enrollee_and_wait(
    page: Page, server: Server, sign_in: Callable[[Server, Role], str]
) -> None:
    """As admissions: the PPO enrollee through the form, then the job page until the result."""
    sign_in(server, Role.ADMISSIONS)
    page.goto(f"{server.url}/verifications/new")
    fill_form(page, PPO, SELECTS)
    page.get_by_role("button", name="Queue verification").click()
    expect(page.locator("[data-status-label]").first).to_have_text(
        "Ready for billing review", timeout=30_000
    )


def test_admissions_submits_the_form_and_watches_the_result_appear(
    page: Page, server: Server, sign_in: Callable[[Server, Role], str]
) -> None:
    sign_in(server, Role.ADMISSIONS)
    page.get_by_role("link", name="New verification").click()
    fill_form(page, PPO, SELECTS)
    screenshot(page, "new-verification-form")
    page.get_by_role("button", name="Queue verification").click()
    expect(page).to_have_url(re.compile(r"/verifications/[0-9a-f-]{36}$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Quillon Marrowby")
    badge = page.locator("[data-status-label]").first
    assert badge.inner_text() in ("Queued", "Checking with the payer")
    navigations: list[str] = []
    page.on("framenavigated", lambda frame: navigations.append(frame.url))
    # The worker asks the sandbox payer (1 s); the page follows without a reload.
    expect(badge).to_have_text("Ready for billing review", timeout=30_000)
    expect(page.locator("#result")).to_contain_text("Patient pays")
    expect(page.locator("#result .total").first).to_contain_text("$3,120.00")
    assert navigations == []
    screenshot(page, "verification-result-live")


def test_three_bad_fields_show_three_field_errors_and_keep_what_was_typed(
    page: Page, server: Server, sign_in: Callable[[Server, Role], str]
) -> None:
    sign_in(server, Role.ADMISSIONS)
    page.goto(f"{server.url}/verifications/new")
    fill_form(
        page,
        PPO | {"Member ID": "SBX PPO 7Q4Z", "Weeks": "0", "Diagnoses (ICD-10-CM)": "F33.1; 999"},
        SELECTS,
    )
    page.get_by_role("button", name="Queue verification").click()
    expect(page.get_by_role("alert")).to_contain_text(
        "3 fields need a correction. Nothing was queued."
    )
    errors = page.locator(".field-error")
    expect(errors).to_have_count(3)
    assert errors.all_inner_texts() == [
        "Member ID: not in the expected form: letters, digits and hyphens, as on the insurance card",
        "Diagnoses (ICD-10-CM): diagnosis 2 is not an ICD-10-CM code (e.g. F33.1)",
        "Weeks: Input should be greater than or equal to 1",
    ]
    # Each error sits beside its field and is announced with it.
    member = page.get_by_label("Member ID", exact=True)
    expect(member).to_have_attribute("aria-invalid", "true")
    expect(member).to_have_attribute("aria-describedby", "hint-member_id error-member_id")
    # What was typed is kept, the bad values included.
    expect(member).to_have_value("SBX PPO 7Q4Z")
    expect(page.get_by_label("First name", exact=True)).to_have_value("Quillon")
    expect(page.get_by_label("Weeks", exact=True)).to_have_value("0")
    expect(page.get_by_label("Payer", exact=True)).to_have_value("sandbox-commercial")
    screenshot(page, "new-verification-errors")


def test_no_rendered_url_contains_a_name_birth_date_or_member_id(
    page: Page, server: Server, sign_in: Callable[[Server, Role], str]
) -> None:
    phi = ["Quillon", "Marrowby", "1979-03-14", "03/14/1979", "1979", "7Q4Z", "SBX-PPO-7Q4Z"]
    requested: list[str] = []
    page.on("request", lambda request: requested.append(request.url))

    def links_on_page() -> list[str]:
        found: list[str] = page.eval_on_selector_all(
            "[href], [action], [src], [data-live-job], [data-result-url], [data-live-list]",
            "els => els.flatMap(e => ['href', 'action', 'src', 'data-live-job',"
            " 'data-result-url', 'data-live-list'].map(a => e.getAttribute(a)).filter(Boolean))",
        )
        return found

    seen: list[str] = []
    queue_the_ppo_enrollee_and_wait(page, server, sign_in)
    job_url = page.url
    for path in (job_url, f"{server.url}/verifications"):
        page.goto(path)
        seen += links_on_page() + [page.url]
    page.context.clear_cookies()
    sign_in(server, Role.BILLING)
    for path in (f"{server.url}/review", f"{server.url}/verifications", job_url):
        page.goto(path)
        seen += links_on_page() + [page.url]
    urls = seen + requested
    assert len(urls) > 20
    leaks = [(value, url) for url in urls for value in phi_in(url, phi)]
    assert leaks == []


def test_neither_the_service_log_nor_the_worker_log_holds_what_the_form_was_given(
    page: Page,
    server: Server,
    worker_process: ServiceProcess,
    sign_in: Callable[[Server, Role], str],
) -> None:
    queue_the_ppo_enrollee_and_wait(page, server, sign_in)
    job_id = page.url.rsplit("/", 1)[1]
    service_log = server.process.log_path.read_text(errors="replace")
    worker_log = worker_process.log_path.read_text(errors="replace")
    assert f"/verifications/{job_id}" in service_log  # the access log is on and was written
    assert job_id in worker_log  # so is the worker's
    phi = ["Quillon", "Marrowby", "1979-03-14", "03/14/1979", "19790314", "7Q4Z"]
    phi += ["F33.1", "F41.1", "61000.00"]  # diagnoses and household income
    leaks = {
        name: phi_in(log, phi) for name, log in (("service", service_log), ("worker", worker_log))
    }
    assert leaks == {"service": [], "worker": []}
