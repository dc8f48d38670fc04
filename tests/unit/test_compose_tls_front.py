"""The TLS front end in docker-compose.yml: Caddy proxies to the api compose names, nothing else
reaches the api, and the api trusts forwarded headers from Caddy's address only."""

import re
from typing import Any

import pytest

from tests import compose_file


@pytest.fixture(scope="module")
def dotenv() -> dict[str, str]:
    return compose_file.readme_env()


@pytest.fixture(scope="module")
def compose(dotenv: dict[str, str]) -> dict[str, Any]:
    return compose_file.load(dotenv)


def _directives() -> dict[str, list[str]]:
    """The Caddyfile's directives inside its one site block: name -> arguments."""
    lines = [
        line.split("#", 1)[0].strip()
        for line in (compose_file.ROOT / "Caddyfile").read_text().splitlines()
    ]
    body = [line for line in lines if line]
    assert body[0] == "{$IOP_COVERAGE_PUBLIC_URL} {" and body[-1] == "}", body
    return {line.split()[0]: line.split()[1:] for line in body[1:-1]}


def test_caddy_proxies_to_the_api_service_on_the_port_it_serves(compose: dict[str, Any]) -> None:
    upstream = _directives()["reverse_proxy"]
    assert len(upstream) == 1
    host, port = upstream[0].split(":")
    command = compose["services"][host]["command"]
    assert command[:2] == ["iop-coverage", "serve"]
    assert command[command.index("--port") + 1] == port


def test_staff_reach_the_api_only_through_caddy_with_tls(
    compose: dict[str, Any], dotenv: dict[str, str]
) -> None:
    services = compose["services"]
    caddy = services["caddy"]
    assert "ports" not in services["api"]
    assert {p.split(":")[-1] for p in caddy["ports"]} == {"443", "80"}
    assert "./Caddyfile:/etc/caddy/Caddyfile:ro" in caddy["volumes"]
    # The site Caddy serves is the address the api prints in sign-in links.
    public_url = dotenv["IOP_COVERAGE_PUBLIC_URL"]
    assert caddy["environment"]["IOP_COVERAGE_PUBLIC_URL"] == public_url
    assert public_url.startswith("https://")
    assert _directives()["tls"] == ["{$IOP_COVERAGE_TLS}"]
    assert caddy["environment"]["IOP_COVERAGE_TLS"] == "internal"  # unless .env names a certificate


def test_the_api_trusts_forwarded_headers_from_caddy_only(compose: dict[str, Any]) -> None:
    api = compose["services"]["api"]["command"]
    trusted = api[api.index("--forwarded-allow-ips") + 1]
    assert trusted == compose["services"]["caddy"]["networks"]["backend"]["ipv4_address"]
    assert re.fullmatch(r"\d+\.\d+\.\d+\.\d+", trusted)


def test_postgres_and_redis_are_on_the_internal_network_only(compose: dict[str, Any]) -> None:
    assert compose["networks"]["backend"]["internal"] is True
    for name in ("postgres", "redis"):
        assert compose["services"][name]["networks"] == ["backend"]
        assert "ports" not in compose["services"][name]
