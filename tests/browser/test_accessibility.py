"""Keyboard-only use, visible focus, and axe-core's WCAG 2.1 A/AA rules (contrast, labels,
landmarks, names) on the staff pages."""

import re
from collections.abc import Callable

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Page, expect

from coverage.domain.access import Role
from tests.api_client import PASSWORD, web_user
from tests.browser.conftest import queued_for_review
from tests.e2e.processes import Server

WCAG_AA = {"runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]}}
PAGES = {
    Role.ADMISSIONS: ["/verifications", "/verifications/new", "/batches"],
    Role.BILLING: ["/review", "/verifications"],
    Role.OPERATOR: ["/rules", "/payers"],
    Role.AUDITOR: ["/audit"],
    Role.ADMIN: ["/users"],
}


def violations(page: Page) -> list[str]:
    results = Axe().run(page, options=WCAG_AA)
    return [
        f"{v['id']}: {v['help']} ({len(v['nodes'])} elements, e.g. {v['nodes'][0]['target']})"
        for v in results.response["violations"]
    ]


def test_the_sign_in_page_meets_wcag_aa(page: Page, server: Server) -> None:
    page.goto(f"{server.url}/sign-in")
    assert violations(page) == []


@pytest.mark.parametrize("role", list(PAGES), ids=lambda r: r.value)
def test_the_main_pages_meet_wcag_aa(
    page: Page, server: Server, sign_in: Callable[[Server, Role], str], role: Role
) -> None:
    sign_in(server, role)
    for path in PAGES[role]:
        page.goto(server.url + path)
        assert violations(page) == [], path


def test_a_result_its_review_forms_and_the_print_pages_meet_wcag_aa(
    page: Page, server: Server, sign_in: Callable[[Server, Role], str]
) -> None:
    insured, uninsured = queued_for_review("commercial-ppo"), queued_for_review("self-pay")
    sign_in(server, Role.BILLING)
    for path in (
        f"/verifications/{insured}",
        f"/verifications/{insured}/estimate",
        f"/verifications/{insured}/payer-replies",
        f"/verifications/{uninsured}",
        f"/verifications/{uninsured}/good-faith-estimate",
    ):
        page.goto(server.url + path)
        assert violations(page) == [], path


def test_a_form_with_errors_meets_wcag_aa(
    page: Page, server: Server, sign_in: Callable[[Server, Role], str]
) -> None:
    sign_in(server, Role.ADMISSIONS)
    page.goto(f"{server.url}/verifications/new")
    page.get_by_role("button", name="Queue verification").click()
    expect(page.get_by_role("alert")).to_be_visible()
    assert violations(page) == []


def focused_outline(page: Page) -> str:
    style: str = page.evaluate(
        "() => { const s = getComputedStyle(document.activeElement);"
        " return s.outlineStyle + ' ' + s.outlineWidth; }"
    )
    return style


def test_keyboard_only_sign_in_and_navigation_with_visible_focus(
    page: Page, server: Server
) -> None:
    name = web_user(Role.ADMISSIONS)
    page.goto(f"{server.url}/sign-in")
    # The user name field has the focus when the page opens; typing before autofocus has run
    # would lose the first letters.
    expect(page.get_by_label("User name", exact=True)).to_be_focused()
    page.keyboard.type(name)
    page.keyboard.press("Tab")
    page.keyboard.type(PASSWORD)
    page.keyboard.press("Enter")
    expect(page).to_have_url(f"{server.url}/verifications")
    page.keyboard.press("Tab")
    expect(page.get_by_role("link", name="Skip to content")).to_be_focused()
    assert focused_outline(page) == "solid 3px"
    page.keyboard.press("Enter")
    expect(page.locator("main")).to_be_focused()
    page.keyboard.press("Shift+Tab")  # back up into the header: the last control is Sign out
    expect(page.get_by_role("button", name="Sign out")).to_be_focused()
    assert focused_outline(page) == "solid 3px"
    page.keyboard.press("Shift+Tab")  # Batches
    page.keyboard.press("Shift+Tab")
    expect(page.get_by_role("link", name="New verification")).to_be_focused()
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"/verifications/new$"))
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")  # the skip link again, straight to the form
    page.keyboard.press("Tab")
    expect(page.get_by_label("First name", exact=True)).to_be_focused()
    assert focused_outline(page) == "solid 3px"
