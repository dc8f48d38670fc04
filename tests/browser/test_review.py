"""Billing reviews a result in the browser and prints the patient estimate and the Good Faith
Estimate; the jobs are run by the real worker."""

import uuid
from collections.abc import Callable

from playwright.sync_api import Page, expect

from coverage.domain.access import Role
from tests.browser.conftest import ARTIFACTS, queued_for_review, screenshot
from tests.e2e.processes import Server


def shown_in_review_queue(page: Page, job_id: uuid.UUID) -> bool:
    """Walks the review queue from its first page as a reviewer would; stops on the job's page.
    Other tests (a 50-row batch) may fill the first pages."""
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Review queue").click()
    while True:
        expect(page.get_by_role("heading", level=1)).to_have_text("Review queue")
        if page.locator(f'tr[data-job-id="{job_id}"]').count():
            return True
        following = page.get_by_role("link", name="Next page")
        if not following.count():
            return False
        following.click()


def test_billing_approves_a_result_and_it_leaves_the_queue(
    page: Page, server: Server, sign_in: Callable[[Server, Role], str]
) -> None:
    job_id = queued_for_review("commercial-ppo")
    sign_in(server, Role.BILLING)
    screenshot(page, "review-queue")
    assert shown_in_review_queue(page, job_id)
    page.locator(f'tr[data-job-id="{job_id}"] a').click()
    expect(page).to_have_url(f"{server.url}/verifications/{job_id}")
    chart = page.locator("svg[role=img]")
    expect(chart).to_be_visible()
    expect(page.locator("#chart-title")).to_have_text("Patient and payer cost by week")
    totals = page.locator(".totals")
    expect(totals).to_contain_text("Patient pays $3,120.00")
    expect(totals).to_contain_text("Payers pay $5,280.00")
    screenshot(page, "review-page")
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.locator("#estimate-chart").screenshot(path=str(ARTIFACTS / "estimate-chart.png"))

    # An empty note is refused beside its field, and the live page leaves the error in place.
    page.get_by_role("button", name="Add the note").click()
    expect(page.locator("#error-note-note")).to_have_text("write the note to add")
    page.wait_for_timeout(2_000)  # longer than the live page's poll
    expect(page.locator("#error-note-note")).to_be_visible()

    page.get_by_label("Note for your decision (optional)").fill("Benefits confirmed by phone")
    page.get_by_role("button", name="Approve").click()
    expect(page.get_by_role("status").filter(has_text="Approved.")).to_have_text(
        "Approved. The verification has left the review queue."
    )
    expect(page.locator("[data-status-label]")).to_have_text("Approved")
    expect(page.get_by_role("cell", name="Benefits confirmed by phone")).to_be_visible()
    expect(page.get_by_role("button", name="Approve")).to_have_count(0)

    assert not shown_in_review_queue(page, job_id)


def test_the_print_views_hold_the_patient_total_and_the_gfe_elements(
    page: Page, server: Server, sign_in: Callable[[Server, Role], str]
) -> None:
    insured = queued_for_review("commercial-ppo")
    self_paying = queued_for_review("self-pay")
    sign_in(server, Role.BILLING)

    page.goto(f"{server.url}/verifications/{insured}")
    page.get_by_role("link", name="Print the patient estimate").click()
    expect(page.locator("[data-patient-total]")).to_have_text("$3,120.00")
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Your estimated cost for intensive outpatient care"
    )
    expect(page.get_by_text("This is an estimate, not a bill.")).to_be_visible()
    page.emulate_media(media="print")
    expect(page.get_by_role("navigation", name="Main")).to_be_hidden()
    expect(page.get_by_role("button", name="Print")).to_be_hidden()
    screenshot(page, "print-estimate")
    pdf = page.pdf(format="Letter")
    assert pdf.count(b"/Type /Page") - pdf.count(b"/Type /Pages") == 1  # one clean page
    page.emulate_media(media="screen")

    page.goto(f"{server.url}/verifications/{self_paying}")
    page.get_by_role("link", name="Print the Good Faith Estimate").click()
    gfe = page.locator(".gfe")
    for element in [
        "Good Faith Estimate for Health Care Items and Services",
        "Quinn Selfpay",
        "07/04/1985",
        "Scheduled to start 04/06/2026",
        "S9480",
        "F41.1",
        "$1,440.00",
        "1234567893",
        "00-0000000",
        "100 Example Way, Richmond, VA 23219 (state: VA)",
        "A separate Good Faith Estimate will be issued",
        "may recommend additional items or services",
        "billed at least $400.00 more than this Good Faith Estimate",
        "will not affect the quality of your care",
        "is not a contract",
    ]:
        expect(gfe).to_contain_text(element)
    page.emulate_media(media="print")
    expect(page.get_by_role("navigation", name="Main")).to_be_hidden()
    screenshot(page, "print-gfe")
