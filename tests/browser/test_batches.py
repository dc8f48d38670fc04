"""Admissions uploads a CSV batch in the browser and watches it finish, with a real worker."""

import re
from collections.abc import Callable
from pathlib import Path

import requests
from playwright.sync_api import Page, expect

from coverage.domain.access import Role
from tests.batch_files import BAD, BAD_ROW_ERRORS, example_rows, example_with
from tests.browser.conftest import screenshot
from tests.e2e.processes import Server

# The worker has 48 jobs to run, two at a time.
SETTLE_MS = 180_000


def phi_of_the_file() -> set[str]:
    """Names, birth dates (both ways of writing them) and member IDs of the example's enrollees."""
    found: set[str] = set()
    for row in example_rows():
        month, day, year = row["birth_date"].split("/")
        found |= {row["first_name"], row["last_name"], row["birth_date"], f"{year}-{month}-{day}"}
        found |= {row[c] for c in ("member_id", "secondary_member_id") if row[c]}
    return found


def rendered_urls(page: Page) -> list[str]:
    urls: list[str] = page.eval_on_selector_all(
        "[href], [src], [action], [data-live-batch], [data-live-list]",
        """nodes => nodes.flatMap(n => ["href", "src", "action", "data-live-batch", "data-live-list"]
            .map(a => n.getAttribute(a)).filter(Boolean))""",
    )
    return [page.url] + urls


def test_a_50_row_csv_with_2_bad_rows_shows_progress_reaching_100_percent_48_jobs_and_2_errors(
    page: Page, server: Server, sign_in: Callable[[Server, Role], str], tmp_path: Path
) -> None:
    sign_in(server, Role.ADMISSIONS)
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Batches").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Batches")
    expect(page.get_by_text("You have not uploaded a batch yet.")).to_be_visible()
    upload = tmp_path / "morning-enrollees.csv"
    upload.write_bytes(example_with(BAD))
    page.get_by_label("CSV file").set_input_files(str(upload))
    page.get_by_role("button", name="Upload and queue").click()

    expect(page).to_have_url(re.compile(r"/batches/[0-9a-f-]{36}$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Batch of 50 rows")
    page.evaluate("window.loadedOnce = true")  # gone if the page reloads: progress must be live
    totals = page.locator(".totals")
    expect(totals).to_contain_text("Queued 48")
    expect(totals).to_contain_text("Duplicates 0")
    expect(totals).to_contain_text("Rejected 2")

    done = page.locator(".batch-progress p")
    expect(done).to_have_text(
        "100 % done: 48 of 48 verifications have a result.", timeout=SETTLE_MS
    )
    bar = page.get_by_label("Verifications finished")
    assert bar.evaluate("p => [p.value, p.max]") == [48, 48]
    assert page.evaluate("window.loadedOnce") is True
    counts = page.locator(".counts")
    expect(counts).to_contain_text("Ready for billing review: 46")
    expect(counts).to_contain_text("Needs info: 2")
    expect(counts).to_contain_text("Queued: 0")

    report = page.get_by_role("table", name=re.compile("^Each data row of the file"))
    rows = report.locator("tbody tr")
    expect(rows).to_have_count(50)
    with_job = rows.filter(has=page.get_by_role("link", name=re.compile("^Open")))
    expect(with_job).to_have_count(48)
    expect(rows.filter(has_text="Queued")).to_have_count(48)
    rejected = rows.filter(has_text="Rejected")
    expect(rejected).to_have_count(2)
    for row, (number, error) in zip(rejected.all(), BAD_ROW_ERRORS.items(), strict=True):
        expect(row.get_by_role("rowheader")).to_have_text(str(number))
        expect(row.get_by_role("listitem")).to_have_text(error)
    # Each job's status followed it too (the list polls while jobs are open).
    expect(with_job.filter(has_text="Ready for billing review")).to_have_count(46)
    expect(with_job.filter(has_text="Needs info")).to_have_count(2)
    page.reload()  # a settled batch shows what to do about each job that needs staff
    expect(rows.filter(has_text="Needs info")).to_have_text(
        [re.compile(r"The payer did not find this member\. Check the member ID")] * 2
    )
    screenshot(page, "batch-detail")

    phi = phi_of_the_file()
    assert not [u for u in rendered_urls(page) if any(value in u for value in phi)]
    # The report shows no PHI at all: no member ID or birth date anywhere in the page.
    content = page.content()
    assert not [v for v in phi if re.search(r"\d", v) and v in content]

    with_job.first.get_by_role("link").click()
    expect(page).to_have_url(re.compile(r"/verifications/[0-9a-f-]{36}$"))
    page.go_back()
    page.get_by_role("link", name="Back to batches").click()
    recent = page.get_by_role("table", name="Your recent batches, newest first")
    expect(recent.locator("tbody tr")).to_have_count(1)
    expect(recent.locator("tbody tr")).to_contain_text("48 of 48 (100 %)")
    screenshot(page, "batches")
    assert not [u for u in rendered_urls(page) if any(value in u for value in phi)]


def test_a_file_that_cannot_be_read_is_refused_on_the_page_with_its_reasons(
    page: Page, server: Server, sign_in: Callable[[Server, Role], str], tmp_path: Path
) -> None:
    sign_in(server, Role.ADMISSIONS)
    page.goto(f"{server.url}/batches")
    upload = tmp_path / "export.csv"
    upload.write_bytes(example_with({}).replace(b"first_name", b"frist_name", 1))
    page.get_by_label("CSV file").set_input_files(str(upload))
    page.get_by_role("button", name="Upload and queue").click()
    alert = page.get_by_role("alert")
    expect(alert).to_contain_text("The file was not accepted. Nothing was queued.")
    expect(alert.get_by_role("listitem")).to_have_text(
        ["unknown column 'frist_name'", "required column 'first_name' is missing"]
    )
    expect(page.get_by_label("CSV file")).to_have_attribute("aria-invalid", "true")
    expect(page.get_by_text("You have not uploaded a batch yet.")).to_be_visible()


def test_the_template_downloads_and_an_upload_without_the_csrf_token_is_refused(
    page: Page, server: Server, sign_in: Callable[[Server, Role], str]
) -> None:
    sign_in(server, Role.ADMISSIONS)
    page.goto(f"{server.url}/batches")
    with page.expect_download() as download:
        page.get_by_role("link", name="Download the CSV template").click()
    assert download.value.suggested_filename == "iop-coverage-batch-template.csv"
    assert Path(download.value.path()).read_text().startswith("first_name,last_name,birth_date,")
    cookies = {c["name"]: c["value"] for c in page.context.cookies()}
    refused = requests.post(
        f"{server.url}/batches",
        files={"file": ("b.csv", example_with({}))},
        cookies=cookies,
        allow_redirects=False,
    )
    assert refused.status_code == 403
    assert "This form could not be accepted" in refused.text
