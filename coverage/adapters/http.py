"""Shared HTTP transport for payer adapters: explicit timeouts, TLS verified, https only (loopback
excepted, for the sandbox payer), and every failure turned into a classified PayerError once."""

import email.utils
import ipaddress
import time
from collections.abc import Mapping
from urllib.parse import urlsplit

import requests

from coverage.errors import PayerPermanentError, PayerTransientError
from coverage.settings import get_settings

RETRYABLE_STATUS = frozenset({408, 425, 429, 500, 502, 503, 504})
_LOOPBACK_NAMES = frozenset({"localhost"})


def host_allowed(host: str, allowed: list[str]) -> bool:
    """`payer.example.com` matches itself; `.example.com` matches any host below example.com."""
    host = host.lower().rstrip(".")
    return any(
        host.endswith(entry) if entry.startswith(".") else host == entry for entry in allowed
    )


def check_url(url: str) -> str:
    """https, or http to a loopback address only (the sandbox payer); in production https only,
    to a host on IOP_COVERAGE_PAYER_HOSTS. Raises ValueError (a file:line error in the rule book)."""
    parts = urlsplit(url)
    settings = get_settings()
    allowed = settings.payer_host_list
    if (allowed or settings.environment == "production") and parts.hostname:
        if parts.scheme != "https":
            raise ValueError("payer URL must be https in production")
        if not host_allowed(parts.hostname, allowed):
            raise ValueError(
                f"payer host {parts.hostname} is not on the allow-list IOP_COVERAGE_PAYER_HOSTS"
            )
        return url
    if parts.scheme == "https" and parts.hostname:
        return url
    if parts.scheme == "http" and parts.hostname:
        host = parts.hostname
        try:
            loopback = host in _LOOPBACK_NAMES or ipaddress.ip_address(host).is_loopback
        except ValueError:
            loopback = False
        if loopback:
            return url
    raise ValueError("payer URL must be https (plain http only to a loopback address)")


def retry_after(value: str | None, *, now: float | None = None) -> float | None:
    """Retry-After as seconds: delta-seconds or an HTTP date."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - (time.time() if now is None else now))


def post(
    session: requests.Session,
    url: str,
    *,
    payer: str,
    timeout: tuple[float, float],
    data: bytes | None = None,
    files: Mapping[str, tuple[None, str]] | None = None,
    headers: Mapping[str, str] | None = None,
) -> requests.Response:
    """One POST. Returns a 2xx response; raises PayerTransientError or PayerPermanentError."""
    try:
        response = session.post(
            url,
            data=data,
            files=files,
            headers=headers,
            timeout=timeout,
            verify=True,
            allow_redirects=False,
        )
    except requests.Timeout:
        raise PayerTransientError(
            f"payer {payer} did not answer within {timeout[1]:g} s",
            action="The payer did not answer in time; the payer call is retried automatically.",
        ) from None
    except requests.ConnectionError:
        raise PayerTransientError(
            f"payer {payer}: connection failed",
            action="The payer could not be reached; the payer call is retried automatically.",
        ) from None
    except requests.RequestException as exc:
        raise PayerTransientError(
            f"payer {payer}: request failed ({type(exc).__name__})",
            action="The payer could not be reached; the payer call is retried automatically.",
        ) from None
    status = response.status_code
    if 200 <= status < 300:
        return response
    if status in RETRYABLE_STATUS:
        raise PayerTransientError(
            f"payer {payer} answered HTTP {status}",
            action="The payer is busy or down; the payer call is retried automatically.",
            retry_after=retry_after(response.headers.get("Retry-After")),
        )
    raise PayerPermanentError(
        f"payer {payer} refused the request: HTTP {status}",
        action="The payer refused our request: an operator must check the payer file "
        "(URL, credentials, IDs) before re-running.",
    )
