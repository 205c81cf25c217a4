"""Which IP addresses an outbound request may reach: globally routable public unicast only.

A webhook URL is chosen by a tenant, so without this check it could point Clarion at its own
loopback services, the private network or a cloud metadata endpoint (SSRF). The ranges are an
explicit table, checked against the IANA IPv4 and IPv6 Special-Purpose Address Registries, the
IPv4 multicast and IPv6 address-space registries, rather than ``ipaddress``'s ``is_private`` /
``is_global``: those flags have changed between Python releases, and a table can be reviewed
line by line and gives each refusal a reason an operator understands.
"""

from __future__ import annotations

from collections.abc import Sequence
from ipaddress import IPv4Address, IPv4Network, IPv6Address, IPv6Network, ip_address
from typing import TypeAlias
from urllib.parse import unquote

from channels.errors import PermanentDeliveryError

__all__ = [
    "ALLOW_PRIVATE_SETTING",
    "SPECIAL_PURPOSE_V4",
    "SPECIAL_PURPOSE_V6",
    "BlockedAddress",
    "IPAddress",
    "parse_ip",
    "refusal_reason",
    "refuse_private",
]

IPAddress: TypeAlias = IPv4Address | IPv6Address
ALLOW_PRIVATE_SETTING = "CLARION_ALLOW_PRIVATE_ADDRESSES"


class BlockedAddress(PermanentDeliveryError):
    """The target is, or resolves to, an address Clarion must not call (SSRF guard)."""

    def __init__(self, message: str, *, provider_code: str | None = "blocked_address") -> None:
        super().__init__(message, provider_code=provider_code)


_PRIVATE = "a private (RFC 1918) address"
_DOCS = "a documentation address"

# First match wins, so a narrow entry sits above the block that contains it.
SPECIAL_PURPOSE_V4: tuple[tuple[IPv4Network, str], ...] = tuple(
    (IPv4Network(net), why)
    for net, why in (
        ("169.254.169.254/32", "the cloud metadata address (link-local)"),
        ("100.100.100.200/32", "the Alibaba Cloud metadata address (carrier-grade NAT range)"),
        ("0.0.0.0/32", "the unspecified address"),
        ("0.0.0.0/8", "a 'this network' address (0.0.0.0/8)"),
        ("10.0.0.0/8", _PRIVATE),
        ("100.64.0.0/10", "a carrier-grade NAT shared address (100.64.0.0/10)"),
        ("127.0.0.0/8", "a loopback address"),
        ("169.254.0.0/16", "a link-local address"),
        ("172.16.0.0/12", _PRIVATE),
        # Also holds a few anycast services (PCP, TURN) that are never webhook receivers.
        ("192.0.0.0/24", "an IETF protocol assignment (192.0.0.0/24)"),
        ("192.0.2.0/24", f"{_DOCS} (TEST-NET-1)"),
        ("192.88.99.0/24", "a deprecated 6to4 relay anycast address (192.88.99.0/24)"),
        ("192.168.0.0/16", _PRIVATE),
        ("198.18.0.0/15", "a benchmarking address (198.18.0.0/15)"),
        ("198.51.100.0/24", f"{_DOCS} (TEST-NET-2)"),
        ("203.0.113.0/24", f"{_DOCS} (TEST-NET-3)"),
        ("224.0.0.0/4", "a multicast address"),
        ("255.255.255.255/32", "the limited broadcast address"),
        ("240.0.0.0/4", "a reserved address (240.0.0.0/4)"),
    )
)

SPECIAL_PURPOSE_V6: tuple[tuple[IPv6Network, str], ...] = tuple(
    (IPv6Network(net), why)
    for net, why in (
        ("::/128", "the unspecified address"),
        ("::1/128", "a loopback address"),
        ("64:ff9b:1::/48", "a local-use NAT64 address (64:ff9b:1::/48)"),
        ("100::/64", "a discard-only address (100::/64)"),
        ("100:0:0:1::/64", "a dummy address (100:0:0:1::/64)"),
        ("2001::/32", "a Teredo address (2001::/32)"),
        ("2001:2::/48", "a benchmarking address (2001:2::/48)"),
        ("2001:db8::/32", f"{_DOCS} (2001:db8::/32)"),
        # Its few globally reachable entries (PCP, TURN, AMT, AS112) are never webhook receivers.
        ("2001::/23", "an IETF protocol assignment (2001::/23)"),
        # Tunnels to an IPv4 address we would not get to check.
        ("2002::/16", "a 6to4 address (2002::/16)"),
        ("3fff::/20", f"{_DOCS} (3fff::/20)"),
        ("5f00::/16", "an SRv6 segment identifier (5f00::/16)"),
        ("fd00:ec2::254/128", "the AWS metadata address (unique-local)"),
        ("fc00::/7", "a unique-local address (fc00::/7)"),
        ("fe80::/10", "a link-local address"),
        ("fec0::/10", "a deprecated site-local address (fec0::/10)"),
        ("ff00::/8", "a multicast address"),
    )
)

_GLOBAL_UNICAST_V6 = IPv6Network("2000::/3")
_IPV4_MAPPED = IPv6Network("::ffff:0:0/96")
_NAT64_WELL_KNOWN = IPv6Network("64:ff9b::/96")


def parse_ip(text: str) -> IPAddress | None:
    """The address an IP literal names, or None for a hostname.

    Accepts the forms a URL host takes: brackets around IPv6 and a zone id written raw
    (``fe80::1%eth0``) or percent-encoded (``fe80::1%25eth0``).
    """
    literal = unquote(text.strip().removeprefix("[").removesuffix("]"))
    try:
        return ip_address(literal)
    except ValueError:
        return None


def refusal_reason(address: IPAddress | str) -> str | None:
    """Why ``address`` must not be called (e.g. ``"a loopback address"``), or None if it is public.

    Raises:
        ValueError: ``address`` is a string that is not an IP literal.
    """
    ip = parse_ip(address) if isinstance(address, str) else address
    if ip is None:
        raise ValueError(f"not an IP address: {address!r}")
    if isinstance(ip, IPv4Address):
        return next((why for net, why in SPECIAL_PURPOSE_V4 if ip in net), None)
    # Both prefixes deliver to the IPv4 address in the low 32 bits, so that address decides.
    if ip in _IPV4_MAPPED or ip in _NAT64_WELL_KNOWN:
        embedded = IPv4Address(int(ip) & 0xFFFFFFFF)
        inner = refusal_reason(embedded)
        kind = "an IPv4-mapped" if ip in _IPV4_MAPPED else "a NAT64"
        return None if inner is None else f"{kind} form of {embedded}, {inner}"
    why = next((why for net, why in SPECIAL_PURPOSE_V6 if ip in net), None)
    if why is None and ip not in _GLOBAL_UNICAST_V6:
        # Everything else outside 2000::/3 is reserved or unassigned (incl. ::/96 IPv4-compatible).
        return "outside the IPv6 global unicast range (2000::/3)"
    return why


def refuse_private(host: str, addresses: Sequence[str]) -> None:
    """Raise ``BlockedAddress`` unless every address ``host`` resolved to is public.

    One private answer is enough to refuse: the connection could land on any of them.
    """
    for address in addresses:
        why = refusal_reason(address)
        if why is not None:
            subject = address if parse_ip(host) is not None else f"{host} resolves to {address}, which"
            raise BlockedAddress(
                f"refused: {subject} is {why} (private targets are not allowed in production mode; "
                f"set {ALLOW_PRIVATE_SETTING}=true only in dev)"
            )
