"""robots.txt is honoured for page fetches and fetched once per origin while cached."""

from __future__ import annotations

import asyncio

import pytest

from app.crawlers.fetch import FailureKind, Fetcher, FetchError, FetchOptions
from app.crawlers.robots import RobotsCache
from tests.crawlers.loopback import Handler, Loopback, Route
from tests.farm.server import FarmServer

OPTIONS = FetchOptions(
    user_agent="PantauBot/0.1 (+https://pantau.id/bot)", allow_private_networks=True
)


def robots(text: str, status: int = 200) -> Route:
    def route(handler: Handler) -> None:
        handler.respond(status, text.encode(), [("Content-Type", "text/plain")])

    return route


def page(handler: Handler) -> None:
    handler.respond(200, b"<html><body>berita</body></html>", [("Content-Type", "text/html")])


async def test_fetch_page_obeys_robots_and_reads_it_once_per_origin(
    farm_server: FarmServer,
) -> None:
    story = farm_server.site.stories("kompas")[0]
    article = farm_server.outlet_url("kompas", story.path)
    async with Fetcher(OPTIONS) as fetcher:
        pages = await asyncio.gather(*(fetcher.fetch_page(article) for _ in range(3)))
        assert all(p.status == 200 for p in pages)
        with pytest.raises(FetchError, match=r"robots\.txt disallows") as caught:
            await fetcher.fetch_page(farm_server.outlet_url("kompas", "/cari/?q=banjir"))
        assert await fetcher.allowed(farm_server.outlet_url("tempo", "/"))
    assert caught.value.kind is FailureKind.HARD
    assert farm_server.hits("/robots.txt") == 1
    assert not farm_server.requests("/kompas/cari/")


async def test_rules_for_our_user_agent_apply_to_us() -> None:
    rules = "User-agent: PantauBot\nDisallow: /\n\nUser-agent: *\nAllow: /\n"
    with Loopback({"/robots.txt": robots(rules), "/a": page}) as server:
        async with Fetcher(OPTIONS) as fetcher:
            assert not await fetcher.allowed(server.url("/a"))
        async with Fetcher(
            FetchOptions(user_agent="OtherBot/1", allow_private_networks=True)
        ) as other:
            assert await other.allowed(server.url("/a"))


@pytest.mark.parametrize("status", [401, 403, 404, 410])
async def test_a_4xx_robots_txt_allows_everything(status: int) -> None:
    with Loopback({"/robots.txt": robots("nope", status), "/a": page}) as server:
        async with Fetcher(OPTIONS) as fetcher:
            assert (await fetcher.fetch_page(server.url("/a"))).status == 200


@pytest.mark.parametrize("status", [429, 500, 503])
async def test_an_unreachable_robots_txt_disallows_until_retried(status: int) -> None:
    with Loopback({"/robots.txt": robots("down", status), "/a": page}) as server:
        async with Fetcher(OPTIONS) as fetcher:
            with pytest.raises(FetchError, match=r"robots\.txt disallows"):
                await fetcher.fetch_page(server.url("/a"))
        assert "/a" not in server.hits


async def test_robots_cache_expires_after_its_ttl(farm_server: FarmServer) -> None:
    now = [0.0]
    async with Fetcher(OPTIONS) as fetcher:

        async def fetch(url: str) -> tuple[int, bytes] | None:
            result = await fetcher.fetch(url)
            return result.status, result.body

        cache = RobotsCache(fetch, agent="PantauBot/0.1", ttl=3600, clock=lambda: now[0])
        url = farm_server.outlet_url("kompas", "/")
        assert await cache.allowed(url)
        now[0] = 3599
        assert await cache.allowed(url)
        assert farm_server.hits("/robots.txt") == 1
        now[0] = 3601
        assert await cache.allowed(url)
        assert farm_server.hits("/robots.txt") == 2


async def test_an_outage_keeps_the_last_good_robots_txt(farm_server: FarmServer) -> None:
    now = [0.0]
    async with Fetcher(OPTIONS) as fetcher:

        async def fetch(url: str) -> tuple[int, bytes] | None:
            try:
                result = await fetcher.fetch(url)
            except FetchError as exc:
                return (exc.status, b"") if exc.status else None
            return result.status, result.body

        cache = RobotsCache(fetch, agent="PantauBot", ttl=60, clock=lambda: now[0])
        allowed_url = farm_server.outlet_url("kompas", "/")
        banned_url = farm_server.outlet_url("kompas", "/cari/x")
        assert await cache.allowed(allowed_url) and not await cache.allowed(banned_url)
        farm_server.fail("/robots.txt", 503)
        now[0] = 61
        assert await cache.allowed(allowed_url) and not await cache.allowed(banned_url)
