"""Admissions closes the phone loop: a payer verified by phone leaves the job needing information;
the call script is printed, the representative's answers go in the form on the job's page, and the
job reaches billing's review with an estimate made from them.

The module serves its own app and worker over a copy of the rule book in which the sandbox
commercial payer is reached by phone (`adapter: manual`), on queues of their own so the package's
worker (the rule book as shipped) never takes these jobs."""

import shutil
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from coverage.domain.access import Role
from tests.browser.conftest import screenshot
from tests.browser.test_accessibility import violations
from tests.browser.test_verification_form import PPO, SELECTS, fill_form
from tests.conftest import ROOT
from tests.e2e.processes import Server, ServiceProcess, serve, start_worker
from tests.rule_files import replace_in


@pytest.fixture(scope="module")
def phone_env(web_env: dict[str, str], tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    rules = tmp_path_factory.mktemp("phone-rules") / "payer_rules"
    shutil.copytree(ROOT / "payer_rules", rules)
    replace_in(
        rules,
        "payers/sandbox-commercial.yaml",
        "adapter: sandbox",
        'adapter: manual\nsettings:\n  phone: "800-555-0100"',
    )
    own = uuid.uuid4().hex[:8]
    return web_env | {
        "IOP_COVERAGE_RULES_DIR": str(rules),
        "IOP_COVERAGE_VERIFY_QUEUE": f"verify-phone-{own}",
        "IOP_COVERAGE_SWEEP_QUEUE": f"sweep-phone-{own}",
    }


@pytest.fixture(scope="module")
def phone_server(phone_env: dict[str, str], web_workdir: Path, server: Server) -> Iterator[Server]:
    """After the package's server (`server`): its worker is up and its broker flushed."""
    worker: ServiceProcess = start_worker(phone_env, web_workdir, concurrency=2)
    try:
        started = serve(phone_env, web_workdir, name="web-phone")
        yield started
        started.process.stop()
    finally:
        worker.stop()


def test_admissions_prints_the_script_enters_the_answer_and_the_job_reaches_review(
    page: Page, phone_server: Server, sign_in: Callable[[Server, Role], str]
) -> None:
    sign_in(phone_server, Role.ADMISSIONS)
    page.goto(f"{phone_server.url}/verifications/new")
    # From Monday 01/04/2027: all 24 service days fall in one plan (calendar) year.
    details = {k: v for k, v in PPO.items() if not k.startswith("Household")}
    fill_form(page, details | {"First day": "2027-01-04"}, SELECTS)
    page.get_by_role("button", name="Queue verification").click()
    expect(page.locator("[data-status-label]").first).to_have_text("Needs info", timeout=30_000)
    job_url = page.url
    page.reload()
    expect(page.get_by_role("heading", name="Call the payer")).to_be_visible()
    assert page.locator("#phone-answer").is_visible()
    assert "POST /api" not in page.content() and "vob record" not in page.content()
    assert violations(page) == []

    # The printable script: what to ask, and the print button prints it.
    page.get_by_role("link", name="Open the call script to print").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Call script: Sandbox Commercial PPO")
    script = page.locator("[data-call-script]")
    expect(script).to_contain_text("phone 800-555-0100")
    expect(script).to_contain_text(
        "Quillon Marrowby, member ID SBX-PPO-7Q4Z, born 03/14/1979 (primary policy)"
    )
    expect(script.locator("[data-question]")).to_have_count(8)
    expect(script.locator('[data-question="authorization"]')).to_contain_text(
        "Does intensive outpatient treatment need prior authorization, and who grants it"
    )
    assert violations(page) == []
    screenshot(page, "call-script")
    page.evaluate("() => { window.printed = 0; window.print = () => { window.printed += 1; }; }")
    page.get_by_role("button", name="Print").click()
    assert page.evaluate("window.printed") == 1  # the browser's print dialog was asked for
    page.emulate_media(media="print")
    expect(page.locator("header.top")).to_be_hidden()  # the navigation is not printed
    expect(page.get_by_role("button", name="Print")).to_be_hidden()
    expect(script.locator("[data-question]").first).to_be_visible()
    page.emulate_media(media="screen")

    # The answers, in the order of the script.
    page.goto(job_url)
    form = page.locator("#phone-answer")
    form.get_by_label("Representative's name").fill("Dana Rep")
    form.get_by_label("Call reference").fill("CALLREF-7781")
    form.get_by_label("Coverage active").select_option("yes")
    form.get_by_label("These amounts are", exact=True).select_option("in_network")
    form.get_by_label("Deductible still to meet").fill("500")
    form.get_by_label("Out-of-pocket maximum still to meet").fill("3,000")
    form.get_by_label("Copay per day").fill("25")
    form.get_by_label("Coinsurance (percent the patient pays)").fill("20")
    form.get_by_label("Prior authorization required").select_option("no")
    screenshot(page, "phone-answer-form")
    form.get_by_role("button", name="Save the phone answer and re-run").click()

    assert page.url == f"{job_url}?done=phone_rerun"
    expect(
        page.get_by_text("The phone answer is saved and the verification runs again")
    ).to_be_visible()
    expect(page.locator("[data-status-label]").first).to_have_text(
        "Ready for billing review", timeout=30_000
    )
    # $350 allowed a day (the sandbox PPO's fee schedule), 24 days in 2027. Day 1: $350 toward
    # the $500 deductible. Day 2: the last $150 of it, the $25 copay and 20% of the remaining
    # $175 = $35: $210. Days 3 to 24: $25 + 20% of $325 = $90, 22 x $90 = $1,980. In all
    # $350 + $210 + $1,980 = $2,540, under the $3,000 left to the out-of-pocket maximum.
    expect(page.locator("#result .total .amount").first).to_have_text("$2,540.00")
