"""Where a payer adapter may connect. A payer file's URL is checked when the rule book loads and
again before each call; at call time the name is also resolved, every address checked, and the
connection pinned to the checked address (coverage.adapters.pinning).

In every mode: no user name or password in the URL, no cloud metadata name, and no address that
is private, link-local, unspecified, multicast, reserved or otherwise not public, written in any
form (IPv4-mapped, 6to4 or NAT64 IPv6, or a legacy IPv4 form such as `0xa9fea9fe`). Loopback
(127.0.0.0/8, ::1, `localhost`) is allowed outside production only: that is where the sandbox payer
and the tests' local servers listen.
"""

import ipaddress
import re
import socket
from urllib.parse import SplitResult, urlsplit

from coverage.settings import get_settings

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

# Names cloud providers answer instance metadata (and credentials) on, whatever they resolve to.
METADATA_NAMES = frozenset(
    {
        "metadata",
        "metadata.google.internal",
        "metadata.goog",
        "instance-data",
        "instance-data.ec2.internal",
        "metadata.azure.internal",
        "metadata.packet.net",
        "metadata.platformequinix.com",
        "metadata.tencentyun.com",
    }
)
LOOPBACK_NAMES = frozenset({"localhost"})
_NAT64 = ipaddress.IPv6Network("64:ff9b::/96")
_LABEL = re.compile(r"(?!-)[a-z0-9-]{1,63}(?<!-)")


def loopback_allowed() -> bool:
    return get_settings().environment != "production"


def host_allowed(host: str, allowed: list[str]) -> bool:
    """`payer.example.com` matches itself; `.example.com` matches any host below example.com."""
    host = host.lower().rstrip(".")
    return any(
        host.endswith(entry) if entry.startswith(".") else host == entry for entry in allowed
    )


def address_refusal(address: IPAddress) -> str | None:
    """Why a payer may not be reached at this address, or None when it may."""
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return address_refusal(address.ipv4_mapped)
        embedded = [address.sixtofour]
        if address.teredo is not None:
            embedded.append(address.teredo[1])
        if address in _NAT64:
            embedded.append(ipaddress.IPv4Address(int(address) & 0xFFFFFFFF))
        for inner in embedded:
            if inner is not None and (reason := address_refusal(inner)) is not None:
                return reason
    if address.is_loopback:
        return (
            None if loopback_allowed() else "a loopback address (allowed outside production only)"
        )
    if address.is_unspecified:
        return "an unspecified address"
    if address.is_link_local:
        return "a link-local address (where cloud metadata services answer)"
    if address.is_multicast:
        return "a multicast address"
    if address.is_private:
        return "a private address"
    if address.is_reserved or not address.is_global:
        return "a reserved address"
    return None


def literal_address(host: str) -> IPAddress | None:
    """The address a host names literally, including the legacy IPv4 forms resolvers accept
    (`2852039166`, `0xa9.0xfe.0xa9.0xfe`, `169.254.43518`), or None for a name."""
    try:
        return ipaddress.ip_address(host)
    except ValueError:
        pass
    try:
        return ipaddress.IPv4Address(socket.inet_aton(host))
    except OSError:
        return None


def _host(parts: SplitResult) -> str:
    if "@" in parts.netloc or parts.username is not None:
        raise ValueError(
            "payer URL must not hold a user name or password (user@host); "
            "name credentials by environment variable in the settings"
        )
    if any(c in parts.netloc for c in "\\ \t\r\n%") or not parts.netloc.isprintable():
        raise ValueError("payer URL host holds characters a host name cannot have")
    if not parts.hostname:
        raise ValueError("payer URL has no host")
    return parts.hostname.rstrip(".")


def check_url(url: str) -> str:
    """The URL when a payer may be called at it; else ValueError naming the rule it breaks (a
    file:line error in the rule book). https, or plain http to loopback outside production; with
    IOP_COVERAGE_PAYER_HOSTS set, or in production, https to a host on that list only."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https"):
        raise ValueError("payer URL must be https (plain http only to a loopback address)")
    settings = get_settings()
    allowed = settings.payer_host_list
    if (allowed or settings.environment == "production") and parts.scheme != "https":
        raise ValueError("payer URL must be https in production")
    host = _host(parts)
    address = literal_address(host)
    if address is not None:
        reason = address_refusal(address)
        if reason is not None:
            raise ValueError(f"payer URL host is {reason}")
        loopback = address.is_loopback or (
            isinstance(address, ipaddress.IPv6Address)
            and address.ipv4_mapped is not None
            and address.ipv4_mapped.is_loopback
        )
    else:
        if host in METADATA_NAMES:
            raise ValueError(f"payer URL host {host} is a cloud metadata service")
        if not all(_LABEL.fullmatch(label) for label in host.split(".")):
            raise ValueError("payer URL host is not a valid host name")
        loopback = host in LOOPBACK_NAMES
        if loopback and not loopback_allowed():
            raise ValueError(
                "payer URL host is a loopback address (allowed outside production only)"
            )
    if allowed or settings.environment == "production":
        if not host_allowed(host, allowed):
            raise ValueError(f"payer host {host} is not on the allow-list IOP_COVERAGE_PAYER_HOSTS")
        return url
    if parts.scheme == "https" or loopback:
        return url
    raise ValueError("payer URL must be https (plain http only to a loopback address)")
