"""A browser (a requests session) signed in to a served app over real HTTP, for process tests."""

import re

import requests

from coverage.domain.access import Role
from tests.api_client import PASSWORD, web_user

_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def form_token(browser: requests.Session, url: str) -> str:
    """The CSRF token of the form on the page at `url`."""
    page = browser.get(url, timeout=10)
    token = _CSRF.search(page.text)
    assert token is not None, page.text
    return token[1]


def signed_in(url: str, role: Role, *, prefix: str) -> tuple[requests.Session, str]:
    """A new user of `role`, signed in on the app at `url`: (browser, user name)."""
    name = web_user(role, prefix=prefix)
    browser = requests.Session()
    signed = browser.post(
        f"{url}/sign-in",
        data={
            "csrf_token": form_token(browser, f"{url}/sign-in"),
            "name": name,
            "password": PASSWORD,
        },
        allow_redirects=False,
        timeout=10,
    )
    assert signed.status_code == 303, signed.text
    return browser, name
