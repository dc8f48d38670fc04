"""No payer URL that leads to a private network, cloud metadata or a hidden host reaches the
network, in any mode: every forbidden form is refused before a connection is made."""

import pytest
import requests
import responses

from coverage.adapters import http
from coverage.errors import PayerPermanentError
from coverage.settings import get_settings
from tests.figures import record
from tests.payer_urls import FORBIDDEN

MODES = ("development", "test", "production")


@responses.activate
def test_no_forbidden_payer_url_reaches_the_network(monkeypatch: pytest.MonkeyPatch) -> None:
    refused = 0
    for environment in MODES:
        monkeypatch.setattr(get_settings(), "environment", environment)
        if environment == "production":  # https and allowed by name: only the address refuses
            monkeypatch.setattr(get_settings(), "payer_hosts", "payer.example.com")
        for url, _reason in FORBIDDEN:
            with pytest.raises(PayerPermanentError, match="URL refused"):
                http.post(requests.Session(), url, payer="bad", timeout=(1, 1), data=b"270")
            refused += 1
    reached = len(responses.calls)
    record(
        "payer URLs to forbidden addresses",
        f"{len(FORBIDDEN)} forms x {len(MODES)} modes: {refused} refused, {reached} reached the network",
    )
    assert reached == 0
    assert refused == len(FORBIDDEN) * len(MODES)
