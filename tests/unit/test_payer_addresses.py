"""Payer URLs that lead to private networks, cloud metadata or a hidden host are refused in every
mode: when the rule book loads (file:line naming settings.url) and again when a payer is called."""

from pathlib import Path

import pytest
import requests
import responses

from coverage.adapters import http
from coverage.adapters.addresses import check_url
from coverage.adapters.core_x12 import CoreX12Adapter
from coverage.errors import PayerPermanentError
from coverage.settings import get_settings
from tests.payer_urls import FORBIDDEN
from tests.payers import eligibility_request, payer_config, raised_payer_error
from tests.rule_files import core_x12_payer, refused


@pytest.mark.parametrize(("url", "message"), FORBIDDEN)
@pytest.mark.parametrize("environment", ["development", "test", "production"])
def test_a_forbidden_url_is_refused_in_every_mode(
    url: str, message: str, environment: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(get_settings(), "environment", environment)
    if environment == "production":  # https and on the list: only the address can refuse it
        monkeypatch.setattr(get_settings(), "payer_hosts", "payer.example.com")
    with pytest.raises(ValueError) as caught:
        check_url(url)
    assert str(caught.value) == message


def test_every_forbidden_url_in_a_payer_file_is_named_when_the_book_loads(rules: Path) -> None:
    for n, (url, _) in enumerate(FORBIDDEN):
        text = core_x12_payer(f"bad-{n}", f"Bad payer {n}", f"'{url}'")
        (rules / "payers" / f"bad-{n}.yaml").write_text(text)
    errors = refused(rules)
    for n, (_, message) in enumerate(FORBIDDEN):
        assert [e for e in errors if f"bad-{n}.yaml:7:" in e] == [
            f"payer_rules/payers/bad-{n}.yaml:7:3: settings.url: Value error, {message} "
            "(settings of adapter 'core_x12')"
        ]


@responses.activate  # nothing registered: a request that got out would fail differently
@pytest.mark.parametrize(("url", "message"), FORBIDDEN)
def test_a_forbidden_url_is_refused_again_when_a_payer_is_called(url: str, message: str) -> None:
    with pytest.raises(PayerPermanentError) as caught:
        http.post(requests.Session(), url, payer="bad", timeout=(1, 1), data=b"270")
    assert str(caught.value) == f"payer bad: URL refused ({message})"
    assert caught.value.action == (
        "The payer's address in its payer file is not one the service may call: "
        "an operator must fix the payer file before re-running."
    )
    assert len(responses.calls) == 0


@responses.activate
def test_an_adapter_refuses_a_forbidden_url_before_any_request() -> None:
    payer = payer_config(
        "core_x12",
        id="bad",
        settings={
            "url": "https://payer.example.com@169.254.169.254/core",
            "payer_x12_id": "99999",
            "payer_name": "EXAMPLE",
            "provider_name": "EXAMPLE IOP CLINIC",
            "sender_id": "EXAMPLEIOP",
            "receiver_id": "EXAMPLEPAYER",
        },
    )
    error = raised_payer_error(
        lambda: CoreX12Adapter().check(eligibility_request(payer_id="bad"), payer=payer)
    )
    assert isinstance(error, PayerPermanentError)
    assert str(error) == "payer bad: invalid core_x12 settings (url)"
    assert len(responses.calls) == 0


@pytest.mark.parametrize(
    "url", ["http://127.0.0.1:8765/core", "https://localhost:8443/core", "http://[::1]:8765/core"]
)
def test_loopback_is_allowed_outside_production_only(
    url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert check_url(url) == url  # the sandbox payer and the tests' local servers
    monkeypatch.setattr(get_settings(), "environment", "production")
    monkeypatch.setattr(get_settings(), "payer_hosts", "localhost")
    with pytest.raises(ValueError, match="^payer URL (must be https in production|host is a "
                       r"loopback address \(allowed outside production only\))$"):  # fmt: skip
        check_url(url)


def test_a_public_https_url_is_still_taken() -> None:
    assert check_url("https://api.payer.example.com:8443/v3") == (
        "https://api.payer.example.com:8443/v3"
    )
    assert check_url("https://93.184.215.14/core") == "https://93.184.215.14/core"
