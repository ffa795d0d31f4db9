"""SSRF: the address check runs on the address connected to, before any byte is sent.

The resolver is the test's: it answers what each scenario needs. `RoutedNetwork` records every
connection the guard lets through and routes it to the loopback farm, so "public" addresses in
these tests are never contacted for real.
"""

from __future__ import annotations

import asyncio
from ssl import SSLContext

import pytest

from app.crawlers.connector import ProtocolFactory
from app.crawlers.fetch import FailureKind, Fetcher, FetchError
from tests.farm.server import FarmServer
from tests.fetching import local_fetch_options

PUBLIC = "93.184.216.34"


class RoutedNetwork:
    """Records each connect and sends it to 127.0.0.1 on the same port (a `connector.Network`)."""

    def __init__(self) -> None:
        self.connects: list[str] = []
        self.server_hostnames: list[str | None] = []

    async def create_connection(
        self,
        protocol_factory: ProtocolFactory,
        host: str,
        port: int,
        *,
        ssl: SSLContext | None,
        server_hostname: str | None,
    ) -> tuple[asyncio.BaseTransport, asyncio.BaseProtocol]:
        self.connects.append(host)
        if ssl is not None:
            self.server_hostnames.append(server_hostname)
            raise ConnectionRefusedError("the test network speaks no TLS")
        loop = asyncio.get_running_loop()
        return await loop.create_connection(protocol_factory, "127.0.0.1", port)


class Resolver:
    """Answers from a table; a list of answers per name is served one call at a time."""

    def __init__(self, table: dict[str, list[list[str]]]) -> None:
        self.table = table
        self.calls: list[str] = []

    async def __call__(self, host: str, port: int) -> list[str]:
        self.calls.append(host)
        answers = self.table[host]
        return answers.pop(0) if len(answers) > 1 else answers[0]


def guarded(resolver: Resolver, network: RoutedNetwork) -> Fetcher:
    options = local_fetch_options(user_agent="PantauTest/1", total_timeout=10)
    return Fetcher(options, resolver=resolver, network=network)


async def test_public_name_is_fetched_through_the_checked_address(farm_server: FarmServer) -> None:
    resolver = Resolver({"news.example": [[PUBLIC]]})
    network = RoutedNetwork()
    async with guarded(resolver, network) as fetcher:
        result = await fetcher.fetch(f"http://news.example:{farm_server.port}/kompas/rss.xml")
    assert result.status == 200 and result.body.startswith(b"<?xml")
    assert network.connects == [PUBLIC]  # connected to the checked literal, not re-resolved
    assert farm_server.requests()[0].headers["host"] == f"news.example:{farm_server.port}"


async def test_name_resolving_to_loopback_is_refused_before_connecting(
    farm_server: FarmServer,
) -> None:
    resolver = Resolver({"feeds.example": [["127.0.0.1"]]})
    network = RoutedNetwork()
    async with guarded(resolver, network) as fetcher:
        with pytest.raises(FetchError) as caught:
            await fetcher.fetch(f"http://feeds.example:{farm_server.port}/kompas/rss.xml")
    assert "non-public address 127.0.0.1" in caught.value.reason
    assert caught.value.kind is FailureKind.HARD
    assert network.connects == [] and farm_server.requests() == []


@pytest.mark.parametrize(
    "url",
    [
        "http://169.254.169.254/latest/meta-data/",
        "http://[::ffff:169.254.169.254]/latest/meta-data/",
        "http://[fd00:ec2::254]/latest/meta-data/",
        "http://10.0.0.1:8080/",
        "http://0.0.0.0/",
        "http://[::1]/",
        "http://100.100.100.200/latest/meta-data/",  # CGNAT: Alibaba's metadata address
    ],
)
async def test_metadata_and_private_literals_are_refused_before_connecting(url: str) -> None:
    network = RoutedNetwork()
    async with Fetcher(local_fetch_options(user_agent="PantauTest/1"), network=network) as fetcher:
        with pytest.raises(FetchError, match="non-public address"):
            await fetcher.fetch(url)
    assert network.connects == []


async def test_mixed_answers_connect_only_to_the_public_address(farm_server: FarmServer) -> None:
    resolver = Resolver({"mixed.example": [["10.1.2.3", PUBLIC, "::1"]]})
    network = RoutedNetwork()
    async with guarded(resolver, network) as fetcher:
        await fetcher.fetch(f"http://mixed.example:{farm_server.port}/kompas/rss.xml")
    assert network.connects == [PUBLIC]


async def test_redirect_to_a_private_name_is_refused_on_that_hop(farm_server: FarmServer) -> None:
    port = farm_server.port
    farm_server.redirect("/go", f"http://internal.example:{port}/kompas/rss.xml")
    resolver = Resolver({"news.example": [[PUBLIC]], "internal.example": [["10.0.0.5"]]})
    network = RoutedNetwork()
    async with guarded(resolver, network) as fetcher:
        with pytest.raises(FetchError, match=r"internal\.example resolves to non-public"):
            await fetcher.fetch(f"http://news.example:{port}/go")
    assert network.connects == [PUBLIC]
    assert [r.path for r in farm_server.requests()] == ["/go"]


async def test_dns_rebinding_to_loopback_fails_on_the_next_connection(
    farm_server: FarmServer,
) -> None:
    """The name answers public, then private: each new connection is checked on its own answer."""
    path = farm_server.outlet_path("kompas", "/rss.xml")
    farm_server.slow(path, 0.3)  # keep the first connection busy so the second must connect
    resolver = Resolver({"rebind.example": [[PUBLIC], ["127.0.0.1"]]})
    network = RoutedNetwork()
    url = f"http://rebind.example:{farm_server.port}{path}"
    async with guarded(resolver, network) as fetcher:
        results = await asyncio.gather(
            fetcher.fetch(url), fetcher.fetch(url), return_exceptions=True
        )
    errors = [r for r in results if isinstance(r, FetchError)]
    assert len(errors) == 1 and "non-public address 127.0.0.1" in errors[0].reason
    assert network.connects == [PUBLIC]
    assert len(farm_server.requests(path)) == 1
    assert resolver.calls == ["rebind.example", "rebind.example"]


async def test_tls_uses_the_hostname_for_sni_while_connecting_to_the_checked_ip(
    farm_server: FarmServer,
) -> None:
    resolver = Resolver({"secure.example": [[PUBLIC]]})
    network = RoutedNetwork()
    async with guarded(resolver, network) as fetcher:
        with pytest.raises(FetchError):
            await fetcher.fetch(f"https://secure.example:{farm_server.port}/")  # test net: no TLS
    assert network.connects == [PUBLIC]
    assert network.server_hostnames == ["secure.example"]


async def test_private_networks_are_allowed_when_configured(farm_server: FarmServer) -> None:
    resolver = Resolver({"intranet.example": [["127.0.0.1"]]})
    network = RoutedNetwork()
    options = local_fetch_options(user_agent="PantauTest/1", allow_private_networks=True)
    async with Fetcher(options, resolver=resolver, network=network) as fetcher:
        result = await fetcher.fetch(f"http://intranet.example:{farm_server.port}/kompas/rss.xml")
    assert result.status == 200 and network.connects == ["127.0.0.1"]


async def test_non_http_schemes_are_refused() -> None:
    async with Fetcher(local_fetch_options(user_agent="PantauTest/1")) as fetcher:
        for url in ("file:///etc/passwd", "gopher://example.com/", "ftp://example.com/feed"):
            with pytest.raises(FetchError, match="non-http"):
                await fetcher.fetch(url)


async def test_loopback_is_refused_on_the_real_network_too(farm_server: FarmServer) -> None:
    """No test network: the connector's own connect path checks literals and resolved names."""
    resolver = Resolver({"feeds.example": [["127.0.0.1"]]})
    options = local_fetch_options(user_agent="PantauTest/1", total_timeout=10)
    async with Fetcher(options, resolver=resolver) as fetcher:
        for url in (
            farm_server.url("/kompas/rss.xml"),
            f"http://feeds.example:{farm_server.port}/kompas/rss.xml",
            f"http://[::ffff:127.0.0.1]:{farm_server.port}/kompas/rss.xml",
        ):
            with pytest.raises(FetchError, match="non-public address") as caught:
                await fetcher.fetch(url)
            assert caught.value.kind is FailureKind.HARD
    assert farm_server.requests() == []
