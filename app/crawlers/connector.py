"""The aiohttp connector under the fetcher: the SSRF guard sits where connections are opened.

aiohttp turns a URL's host into addresses with its resolver, then opens a connection to one
address at a time in `TCPConnector._wrap_create_connection`. `GuardedConnector` takes over both:
names resolve through our `Resolver` with every non-public address dropped, and each address is
checked again right before the connection to it is opened (IP literals never reach a resolver),
so the address checked is the address connected to and nothing is sent before the check. DNS is
not cached: every new connection resolves and checks afresh, on the first hop or any redirect,
so DNS rebinding cannot slip between a check and a connect. `DirectNetwork` then checks the
connected peer itself. TLS is started by the event loop with the URL's host name for SNI and
the certificate check, whatever address was reached.

`_wrap_create_connection` is aiohttp's private seam. aiohttp is pinned to one version, and the
tests that fetch a loopback literal and a name resolving to loopback with the guard on, with no
test network, fail if aiohttp stops calling it.
"""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Callable
from ssl import CertificateError, SSLContext, SSLError, create_default_context
from typing import Any, Protocol

import aiohttp
from aiohttp.abc import AbstractResolver, ResolveResult
from aiohttp.client_reqrep import ClientRequest

from app.crawlers import netguard
from app.crawlers.netguard import BlockedAddressError, Resolver, checked_addresses

ProtocolFactory = Callable[[], asyncio.BaseProtocol]


class Network(Protocol):
    """Opens a TCP connection (and TLS when `ssl` is set) to a checked IP address."""

    async def create_connection(
        self,
        protocol_factory: ProtocolFactory,
        host: str,
        port: int,
        *,
        ssl: SSLContext | None,
        server_hostname: str | None,
    ) -> tuple[asyncio.BaseTransport, asyncio.BaseProtocol]: ...


class DirectNetwork:
    """The event loop's own connections; the connected peer is checked before it is used."""

    def __init__(self, *, allow_private: bool) -> None:
        self.allow_private = allow_private

    async def create_connection(
        self,
        protocol_factory: ProtocolFactory,
        host: str,
        port: int,
        *,
        ssl: SSLContext | None,
        server_hostname: str | None,
    ) -> tuple[asyncio.BaseTransport, asyncio.BaseProtocol]:
        loop = asyncio.get_running_loop()
        transport, protocol = await loop.create_connection(
            protocol_factory, host, port, ssl=ssl, server_hostname=server_hostname
        )
        if not self.allow_private:
            peer = transport.get_extra_info("peername")
            address = str(peer[0]) if isinstance(peer, tuple) and peer else ""
            if not address or not netguard.is_public_address(netguard.parse_address(address)):
                transport.abort()
                raise BlockedAddressError(server_hostname or host, address or "unknown")
        return transport, protocol


class GuardedResolver(AbstractResolver):
    """aiohttp's resolver interface over ours, returning only public addresses."""

    def __init__(self, resolve: Resolver, *, allow_private: bool) -> None:
        self._resolve = resolve
        self.allow_private = allow_private

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        addresses = await checked_addresses(
            self._resolve, host, port, allow_private=self.allow_private
        )
        return [
            {
                "hostname": host,
                "host": address,
                "port": port,
                "family": socket.AF_INET6 if ":" in address else socket.AF_INET,
                "proto": 0,
                "flags": 0,
            }
            for address in addresses
        ]

    async def close(self) -> None:
        """Nothing to release."""


class GuardedConnector(aiohttp.TCPConnector):
    """A TCP connector that connects only to checked addresses, through a `Network`."""

    def __init__(
        self,
        *,
        resolver: Resolver,
        network: Network | None = None,
        allow_private: bool = False,
        limit: int = 100,
        keepalive_timeout: float = 5.0,
        ssl_context: SSLContext | None = None,
    ) -> None:
        super().__init__(
            resolver=GuardedResolver(resolver, allow_private=allow_private),
            use_dns_cache=False,
            limit=limit,
            limit_per_host=0,  # politeness.HostLimiter caps requests per host
            keepalive_timeout=keepalive_timeout,
            ssl=ssl_context or create_default_context(),
            happy_eyeballs_delay=None,  # one checked address at a time, in the resolver's order
        )
        self.allow_private = allow_private
        self.network: Network = network or DirectNetwork(allow_private=allow_private)

    async def _wrap_create_connection(  # type: ignore[override]  # keyword-only in aiohttp too
        self,
        protocol_factory: ProtocolFactory,
        *,
        addr_infos: list[Any],
        req: ClientRequest,
        timeout: aiohttp.ClientTimeout,  # noqa: ASYNC109 - aiohttp's interface
        client_error: type[Exception] = aiohttp.ClientConnectorError,
        ssl: SSLContext | None = None,
        server_hostname: str | None = None,
        **_kwargs: Any,
    ) -> tuple[asyncio.Transport, aiohttp.client_proto.ResponseHandler]:
        # aiohttp calls this once per address, dropping the first after each failure.
        address, port = str(addr_infos[0][4][0]), int(addr_infos[0][4][1])
        if not self.allow_private and not netguard.is_public_address(
            parsed := netguard.parse_address(address)
        ):
            raise BlockedAddressError(str(parsed), str(parsed))
        try:
            async with asyncio.timeout(timeout.sock_connect):
                transport, protocol = await self.network.create_connection(
                    protocol_factory, address, port, ssl=ssl, server_hostname=server_hostname
                )
        except TimeoutError:
            raise  # aiohttp tries the next address, then reports a connect timeout
        except CertificateError as exc:
            raise aiohttp.ClientConnectorCertificateError(req.connection_key, exc) from exc
        except SSLError as exc:
            raise aiohttp.ClientConnectorSSLError(req.connection_key, exc) from exc
        except OSError as exc:
            raise client_error(req.connection_key, exc) from exc
        return transport, protocol  # type: ignore[return-value]  # the factory's own types
