"""Payer URLs in production: https only, to a host on IOP_COVERAGE_PAYER_HOSTS; a payer file that
breaks the rule is refused when the rule book loads, naming its file and line."""

from pathlib import Path

import pytest

from coverage.adapters.addresses import check_url, host_allowed
from coverage.rules.errors import RuleBookError
from coverage.settings import get_settings
from tests.rule_files import core_x12_payer, read_book

ALLOWED = ["payer.example.com", ".clearinghouse.test"]


@pytest.mark.parametrize(
    ("host", "allowed"),
    [
        ("payer.example.com", True),
        ("PAYER.example.com.", True),
        ("api.clearinghouse.test", True),
        ("eu.api.clearinghouse.test", True),
        ("clearinghouse.test", False),  # ".clearinghouse.test" is its subdomains only
        ("evilpayer.example.com", False),
        ("payer.example.com.evil.test", False),
    ],
)
def test_a_host_is_allowed_exactly_or_below_a_dotted_entry(host: str, allowed: bool) -> None:
    assert host_allowed(host, ALLOWED) is allowed


@pytest.fixture
def production(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(get_settings(), "environment", "production")
    monkeypatch.setattr(get_settings(), "payer_hosts", "payer.example.com, .clearinghouse.test")


@pytest.mark.usefixtures("production")
def test_production_takes_https_to_an_allowed_host_only() -> None:
    assert check_url("https://api.clearinghouse.test/v3") == "https://api.clearinghouse.test/v3"
    with pytest.raises(ValueError, match="^payer URL must be https in production$"):
        check_url("http://payer.example.com/core")
    with pytest.raises(ValueError, match="^payer URL must be https in production$"):
        check_url("http://127.0.0.1:8765/core")  # not even the sandbox
    with pytest.raises(
        ValueError,
        match="^payer host payer.evil.test is not on the allow-list IOP_COVERAGE_PAYER_HOSTS$",
    ):
        check_url("https://payer.evil.test/core")


def test_without_a_list_development_takes_any_https_and_loopback_http() -> None:
    assert get_settings().payer_host_list == []
    assert check_url("https://any.payer.test/x") == "https://any.payer.test/x"
    assert check_url("http://127.0.0.1:8765/core") == "http://127.0.0.1:8765/core"
    with pytest.raises(ValueError, match="plain http only to a loopback address"):
        check_url("http://payer.example.com/core")


PAYER_FILE = core_x12_payer(
    "unlisted-core",
    "Unlisted CORE payer",
    "https://core.unlisted.test/realtime",
    x12_id="99999",
    payer_name="UNLISTED",
    receiver_id="UNLISTED",
)


@pytest.mark.usefixtures("production")
def test_a_payer_file_whose_host_is_not_allowed_is_refused_with_its_location(rules: Path) -> None:
    (rules / "payers" / "unlisted-core.yaml").write_text(PAYER_FILE)
    with pytest.raises(RuleBookError) as refused:
        read_book(rules)
    assert "payers/unlisted-core.yaml:7:" in str(refused.value)
    assert "payer host core.unlisted.test is not on the allow-list" in str(refused.value)
