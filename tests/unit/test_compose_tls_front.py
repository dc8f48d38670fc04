"""The TLS front end in docker-compose.yml: Caddy proxies to the services and ports compose names,
nothing else is published, and the api trusts forwarded headers from Caddy's address only."""

import re
from typing import Any

import pytest

from tests import compose_file

PUBLIC = "{$IOP_COVERAGE_PUBLIC_URL}"


@pytest.fixture(scope="module")
def dotenv() -> dict[str, str]:
    return compose_file.readme_env()


@pytest.fixture(scope="module")
def compose(dotenv: dict[str, str]) -> dict[str, Any]:
    return compose_file.load(dotenv)


def _sites() -> dict[str, dict[str, list[str]]]:
    """The Caddyfile's site blocks: address -> directive name -> arguments."""
    lines = [
        line.split("#", 1)[0].strip()
        for line in (compose_file.ROOT / "Caddyfile").read_text().splitlines()
    ]
    sites: dict[str, dict[str, list[str]]] = {}
    current: dict[str, list[str]] | None = None
    for line in filter(None, lines):
        if line.endswith("{") and current is None:
            current = sites[line.removesuffix("{").strip()] = {}
        elif line == "}":
            current = None
        else:
            assert current is not None, f"Caddyfile: {line!r} outside a site block"
            current[line.split()[0]] = line.split()[1:]
    return sites


def _upstream(site: str, compose: dict[str, Any]) -> tuple[list[str], str]:
    """The command of the service the site proxies to, and the port it proxies to."""
    upstream = _sites()[site]["reverse_proxy"]
    assert len(upstream) == 1
    host, port = upstream[0].split(":")
    return compose["services"][host]["command"], port


def test_caddy_proxies_to_the_api_service_on_the_port_it_serves(compose: dict[str, Any]) -> None:
    command, port = _upstream(PUBLIC, compose)
    assert command[:2] == ["iop-coverage", "serve"]
    assert command[command.index("--port") + 1] == port


def test_caddy_proxies_flower_on_its_port(compose: dict[str, Any]) -> None:
    command, port = _upstream(f"{PUBLIC}:5555", compose)
    assert command[3] == "flower" and f"--port={port}" in command


def test_staff_reach_the_services_only_through_caddy_with_tls(
    compose: dict[str, Any], dotenv: dict[str, str]
) -> None:
    services = compose["services"]
    caddy = services["caddy"]
    published = [name for name, spec in services.items() if "ports" in spec]
    assert published == ["caddy"]
    assert {p.split(":")[-1] for p in caddy["ports"]} == {"443", "80", "5555"}
    assert "./Caddyfile:/etc/caddy/Caddyfile:ro" in caddy["volumes"]
    # The site Caddy serves is the address the api prints in sign-in links.
    public_url = dotenv["IOP_COVERAGE_PUBLIC_URL"]
    assert caddy["environment"]["IOP_COVERAGE_PUBLIC_URL"] == public_url
    assert public_url.startswith("https://")
    assert {site["tls"][0] for site in _sites().values()} == {"{$IOP_COVERAGE_TLS}"}
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
