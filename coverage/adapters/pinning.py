"""A requests transport that resolves a payer's name once per call, refuses the call when any
address it resolves to is one a payer may not have (coverage.adapters.addresses), and connects to
the address it checked. Without the pin, urllib3 would resolve the name again to connect, and a
DNS answer changed in between (rebinding) would reach an address nobody checked. TLS still
verifies the certificate for the name (SNI and hostname check use the name, not the address).

No HTTP proxy is used for payer calls: a proxy would resolve and connect on its own."""

import ipaddress
import socket
from urllib.parse import urlsplit

import requests
from requests.adapters import HTTPAdapter
from urllib3.connectionpool import HTTPConnectionPool

from coverage.adapters.addresses import IPAddress, address_refusal


class AddressRefused(requests.RequestException):
    """The payer's name resolved to an address a payer may not have; the message names the kind
    of address, never the name or the address."""


def resolve(host: str, port: int) -> IPAddress:
    """One lookup; every address it gives must be allowed. Returns the first."""
    try:
        answers = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError):
        raise requests.ConnectionError("the payer's host name could not be resolved") from None
    addresses = [ipaddress.ip_address(str(info[4][0]).split("%")[0]) for info in answers]
    if not addresses:
        raise requests.ConnectionError("the payer's host name resolved to no address")
    for address in addresses:
        reason = address_refusal(address)
        if reason is not None:
            raise AddressRefused(f"the payer's host name resolves to {reason}")
    return addresses[0]


class PinnedAdapter(HTTPAdapter):
    def request_url(self, request: requests.PreparedRequest, proxies: object) -> str:
        return request.path_url  # never the absolute form a proxy would get

    def get_connection_with_tls_context(
        self,
        request: requests.PreparedRequest,
        verify: bool | str | None,
        proxies: object = None,
        cert: object = None,
    ) -> HTTPConnectionPool:
        parts = urlsplit(request.url or "")
        host = parts.hostname or ""
        port = parts.port or (443 if parts.scheme == "https" else 80)
        address = resolve(host, port)
        host_params, pool_kwargs = self.build_connection_pool_key_attributes(
            request,
            verify,  # type: ignore[arg-type]
            cert,  # type: ignore[arg-type]
        )
        kwargs: dict[str, object] = dict(pool_kwargs)
        if parts.scheme == "https":
            # SNI and the certificate check stay on the name; only the TCP peer is pinned.
            kwargs.update(server_hostname=host, assert_hostname=host)
        request.headers["Host"] = parts.netloc
        pool: HTTPConnectionPool = self.poolmanager.connection_from_host(
            host=str(address),
            port=port,
            scheme=host_params["scheme"],
            pool_kwargs=kwargs,
        )
        return pool


def pin(session: requests.Session, url: str) -> None:
    """Make sure `url` goes through the pinned transport, whatever the session had mounted."""
    if isinstance(session.get_adapter(url), PinnedAdapter):
        return
    adapter = PinnedAdapter()
    session.mount("https://", adapter)
    session.mount("http://", adapter)
    if not isinstance(session.get_adapter(url), PinnedAdapter):
        session.mount(url, adapter)  # outranks any longer prefix the caller mounted
