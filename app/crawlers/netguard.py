"""Which addresses the crawler may connect to: public unicast only, unless configured otherwise."""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from collections.abc import Awaitable, Callable, Iterable

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

_EXTRA_BLOCKED = [
    ipaddress.ip_network(net)
    for net in (
        "0.0.0.0/8",  # "this network"
        "100.64.0.0/10",  # carrier-grade NAT
        "192.0.0.0/24",  # IETF protocol assignments
        "198.18.0.0/15",  # benchmarking
        "224.0.0.0/4",  # multicast
        "240.0.0.0/4",  # reserved, broadcast
        "64:ff9b:1::/48",  # local-use NAT64
        "ff00::/8",  # multicast
        "fec0::/10",  # deprecated site-local
    )
]
_NAT64 = ipaddress.ip_network("64:ff9b::/96")
_SIX_TO_FOUR = ipaddress.ip_network("2002::/16")
_TEREDO = ipaddress.ip_network("2001::/32")


def embedded_ipv4(address: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 form carries (mapped, compatible, NAT64, 6to4, Teredo)."""
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped
    packed = address.packed
    if address in _NAT64 or packed[:12] == bytes(12):  # NAT64 or IPv4-compatible (::a.b.c.d)
        if packed[:12] == bytes(12) and int(address) <= 1:
            return None  # :: and ::1 are IPv6's own unspecified and loopback
        return ipaddress.IPv4Address(packed[12:])
    if address in _SIX_TO_FOUR:
        return address.sixtofour
    if address in _TEREDO and address.teredo is not None:
        return address.teredo[1]
    return None


def is_public_address(address: IPAddress) -> bool:
    """True only for globally routable unicast addresses, looking through IPv6 wrappers."""
    if isinstance(address, ipaddress.IPv6Address):
        inner = embedded_ipv4(address)
        if inner is not None and not is_public_address(inner):
            return False
    if any(address in net for net in _EXTRA_BLOCKED):
        return False
    return bool(
        address.is_global
        and not address.is_multicast
        and not address.is_loopback
        and not address.is_link_local
        and not address.is_private
        and not address.is_reserved
        and not address.is_unspecified
    )


def parse_address(text: str) -> IPAddress:
    return ipaddress.ip_address(text.split("%", 1)[0])


def resolved_addresses(infos: Iterable[tuple[object, ...]]) -> list[str]:
    """Addresses from `getaddrinfo` results."""
    out: list[str] = []
    for info in infos:
        sockaddr = info[4]
        if (
            isinstance(sockaddr, tuple)
            and sockaddr
            and info[0] in (socket.AF_INET, socket.AF_INET6)
        ):
            out.append(str(sockaddr[0]))
    return out


Resolver = Callable[[str, int], Awaitable[list[str]]]


class BlockedAddressError(Exception):
    """The host has no public address to connect to; nothing was sent."""

    def __init__(self, host: str, address: str) -> None:
        super().__init__(f"{host} resolves to non-public address {address}")
        self.host = host
        self.address = address


class ResolveError(Exception):
    """The host name could not be resolved."""


async def system_resolver(host: str, port: int) -> list[str]:
    """Addresses of `host` from the operating system's resolver (IP literals pass through)."""
    try:
        infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except socket.gaierror as exc:
        raise ResolveError(f"DNS lookup failed for {host}: {exc.strerror}") from None
    return resolved_addresses(infos)


async def checked_addresses(
    resolve: Resolver, host: str, port: int, *, allow_private: bool
) -> list[str]:
    """The distinct addresses `host` resolves to, non-public ones dropped unless allowed.

    Raises ResolveError when there are none, BlockedAddressError when none is public.
    """
    addresses = list(dict.fromkeys(await resolve(host, port)))
    if not addresses:
        raise ResolveError(f"DNS lookup for {host} returned no addresses")
    if allow_private:
        return addresses
    public = [a for a in addresses if is_public_address(parse_address(a))]
    if not public:
        raise BlockedAddressError(host, addresses[0])
    return public
