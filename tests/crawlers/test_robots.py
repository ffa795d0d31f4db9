"""robots.txt is honoured for page fetches, at every redirect hop, and fetched once per origin
while cached; its Crawl-delay or Request-rate spaces page fetches to the host (capped), and feed
polls are not held back by it.
"""

from __future__ import annotations

import asyncio
import dataclasses
import itertools
import time
from collections.abc import Iterator
from urllib.parse import urlsplit

import pytest

from app.crawlers.fetch import FailureKind, Fetcher, FetchError
from app.crawlers.politeness import HostBusy
from app.crawlers.robots import RobotsCache
from tests.crawlers.loopback import Handler, Loopback, Route
from tests.farm.fixtures import articles_or_skip
from tests.farm.server import FarmServer
from tests.farm.site import Site
from tests.fetching import local_fetch_options

OPTIONS = local_fetch_options(
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
        assert await fetcher.robots.allowed(farm_server.outlet_url("tempo", "/"))
    assert caught.value.kind is FailureKind.HARD
    assert farm_server.hits("/robots.txt") == 1
    assert not farm_server.requests("/kompas/cari/")


async def test_rules_for_our_user_agent_apply_to_us() -> None:
    rules = "User-agent: PantauBot\nDisallow: /\n\nUser-agent: *\nAllow: /\n"
    with Loopback({"/robots.txt": robots(rules), "/a": page}) as server:
        async with Fetcher(OPTIONS) as fetcher:
            assert not await fetcher.robots.allowed(server.url("/a"))
        async with Fetcher(
            local_fetch_options(user_agent="OtherBot/1", allow_private_networks=True)
        ) as other:
            assert await other.robots.allowed(server.url("/a"))


RFC_9309_RULES = """\
User-agent: *
Disallow: /*?s=
Disallow: /*.pdf$
Disallow: /berita/
Allow: /berita/read/
Allow: /cari/$
Disallow: /cari/
"""


@pytest.mark.parametrize(
    ("path", "allowed", "rule"),
    [
        ("/berita/read/1/banjir.html", True, ""),  # the longer Allow beats the shorter Disallow
        ("/berita/galeri/1", False, "Disallow: /berita/"),
        ("/news/index.php?s=banjir", False, "Disallow: /*?s="),  # a wildcard in the path
        ("/news/index.php?p=2", True, ""),
        ("/unduh/laporan.pdf", False, "Disallow: /*.pdf$"),  # `$` anchors the end
        ("/unduh/laporan.pdf.html", True, ""),
        ("/cari/", True, ""),  # `Allow: /cari/$` is as long as `Disallow: /cari/`: Allow wins
        ("/cari/banjir", False, "Disallow: /cari/"),
    ],
)
async def test_rules_match_as_rfc_9309_says(path: str, allowed: bool, rule: str) -> None:
    """Wildcards, end anchors and the longest match: the stdlib's parser got four of these
    wrong (it reads rules in file order and takes `*` and `$` literally)."""
    with Loopback({"/robots.txt": robots(RFC_9309_RULES)}) as server:
        async with Fetcher(OPTIONS) as fetcher:
            verdict = await fetcher.robots.check(server.url(path))
    assert (verdict.allowed, verdict.rule) == (allowed, rule)


@pytest.mark.parametrize("status", [401, 403, 404, 410])
async def test_a_4xx_robots_txt_allows_everything(status: int) -> None:
    with Loopback({"/robots.txt": robots("nope", status), "/a": page}) as server:
        async with Fetcher(OPTIONS) as fetcher:
            assert (await fetcher.fetch_page(server.url("/a"))).status == 200


@pytest.mark.parametrize("status", [429, 500, 503])
async def test_an_unreachable_robots_txt_disallows_until_retried(status: int) -> None:
    with Loopback({"/robots.txt": robots("down", status), "/a": page}) as server:
        async with Fetcher(OPTIONS) as fetcher:
            assert not await fetcher.robots.allowed(server.url("/a"))
            with pytest.raises(FetchError, match=r"robots\.txt unreachable") as caught:
                await fetcher.fetch_page(server.url("/a"))
        assert "/a" not in server.hits
    assert caught.value.kind is FailureKind.SOFT  # the page is tried again later, not given up


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


# Crawl-delay. Arrival times are the farm's, taken as it answers; rendering a page first can
# shift one arrival by a few milliseconds, hence the tolerance.
TOLERANCE = 0.05


def paced_robots(delay: str) -> bytes:
    return f"User-agent: *\nCrawl-delay: {delay}\nDisallow: /kompas/cari/\n".encode()


def story_urls(server: FarmServer, count: int) -> list[str]:
    return [server.outlet_url("kompas", s.path) for s in server.site.stories("kompas")[:count]]


def arrivals(server: FarmServer, urls: list[str]) -> list[float]:
    paths = {u.removeprefix(server.base_url) for u in urls}
    return sorted(r.time for r in server.requests() if r.path in paths)


def gaps(times: list[float]) -> list[float]:
    return [b - a for a, b in itertools.pairwise(times)]


async def test_crawl_delay_spaces_page_fetches_but_not_feed_polls(
    farm_server: FarmServer,
) -> None:
    farm_server.set_rule("/robots.txt", body=paced_robots("0.4"))  # fractional, as sites write
    urls = story_urls(farm_server, 4)
    feed = farm_server.feed_url("kompas")
    # No spacing of its own (the delay is robots.txt's); two slots per host, as in production.
    options = dataclasses.replace(OPTIONS, per_host_concurrency=2)
    async with Fetcher(options) as fetcher:
        assert (await fetcher.robots.check(urls[0])).delay == 0.4
        results = await asyncio.gather(*(fetcher.fetch_page(u) for u in urls), fetcher.fetch(feed))
    assert all(r.status == 200 for r in results)
    pages = arrivals(farm_server, urls)
    assert len(pages) == 4
    assert min(gaps(pages)) >= 0.4 - TOLERANCE, gaps(pages)
    # The feed poll, started with the pages, went out at once instead of queueing behind them.
    (poll,) = [r.time for r in farm_server.requests(feed.removeprefix(farm_server.base_url))]
    assert poll < pages[1]


async def test_a_huge_crawl_delay_is_capped(farm_server: FarmServer) -> None:
    farm_server.set_rule("/robots.txt", body=paced_robots("86400"))
    urls = story_urls(farm_server, 3)
    options = dataclasses.replace(OPTIONS, max_crawl_delay=0.3)
    async with Fetcher(options) as fetcher:
        assert (await fetcher.robots.check(urls[0])).delay == 0.3
        async with asyncio.timeout(30):  # uncapped, the second page would wait a day
            await asyncio.gather(*(fetcher.fetch_page(u) for u in urls))
    pages = arrivals(farm_server, urls)
    assert len(pages) == 3 and min(gaps(pages)) >= 0.3 - TOLERANCE, gaps(pages)


async def test_without_crawl_delay_page_fetches_keep_the_configured_spacing(
    farm_server: FarmServer,
) -> None:
    urls = story_urls(farm_server, 4)
    options = dataclasses.replace(OPTIONS, per_host_min_interval_ms=150)
    async with Fetcher(options) as fetcher:
        assert (await fetcher.robots.check(urls[0])).delay == 0  # the farm's own robots.txt
        started = time.monotonic()
        await asyncio.gather(*(fetcher.fetch_page(u) for u in urls))
        elapsed = time.monotonic() - started
    pages = arrivals(farm_server, urls)
    assert len(pages) == 4 and min(gaps(pages)) >= 0.15 - TOLERANCE, gaps(pages)
    assert elapsed < 1.0  # 3 x 0.15 s; any delay of 0.4 s or more would take 1.2 s


@pytest.mark.parametrize(
    ("text", "delay"),
    [
        ("User-agent: PantauBot\nCrawl-delay: 1.5\n\nUser-agent: *\nCrawl-delay: 9\n", 1.5),
        ("User-agent: OtherBot\nCrawl-delay: 9\n\nUser-agent: *\nDisallow: /x\n", 0),
        ("User-agent: *\nCrawl-delay: 2 # seconds\nDisallow:\n", 2),
        ("User-agent: *\nCrawl-delay: .25\n", 0.25),
        ("User-agent: *\nCrawl-delay: soon\n", 0),
        ("User-agent: *\nCrawl-delay: -3\n", 0),
        ("User-agent: *\nCrawl-delay: 31536000\n", 60),  # a year: capped
        ("User-agent: *\nCrawl-delay: " + "9" * 400 + "\n", 0),  # not a finite number: ignored
        ("User-agent: PantauBot\nDisallow: /private/\n", 0),
        # Request-rate is the interval it implies; the larger of it and Crawl-delay wins.
        ("User-agent: *\nRequest-rate: 1/5\n", 5),  # one request per 5 s
        ("User-agent: *\nRequest-rate: 4/2\n", 0.5),
        ("User-agent: *\nRequest-rate: 1/10s 0600-0845 # office hours\n", 10),
        ("User-agent: *\nRequest-rate: 3/1m\n", 20),
        ("User-agent: *\nCrawl-delay: 2\nRequest-rate: 1/5\n", 5),  # the larger spacing
        ("User-agent: *\nCrawl-delay: 7\nRequest-rate: 1/5\n", 7),
        ("User-agent: PantauBot\nRequest-rate: 1/2\n\nUser-agent: *\nRequest-rate: 1/9\n", 2),
        ("User-agent: *\nRequest-rate: 1/1h\n", 60),  # capped like a Crawl-delay
        ("User-agent: *\nRequest-rate: 0/5\n", 0),
        ("User-agent: *\nRequest-rate: often\n", 0),
    ],
)
async def test_spacing_is_read_from_the_group_for_our_user_agent(text: str, delay: float) -> None:
    with Loopback({"/robots.txt": robots(text), "/a": page}) as server:
        async with Fetcher(OPTIONS) as fetcher:
            verdict = await fetcher.robots.check(server.url("/a"))
    assert verdict.allowed and verdict.delay == delay


async def test_request_rate_spaces_page_fetches(farm_server: FarmServer) -> None:
    farm_server.set_rule("/robots.txt", body=b"User-agent: *\nRequest-rate: 10/3\n")
    urls = story_urls(farm_server, 3)
    async with Fetcher(OPTIONS) as fetcher:
        await asyncio.gather(*(fetcher.fetch_page(u) for u in urls))
    pages = arrivals(farm_server, urls)
    assert len(pages) == 3 and min(gaps(pages)) >= 0.3 - TOLERANCE, gaps(pages)


async def test_a_page_whose_turn_is_further_than_max_wait_raises_host_busy_unsent(
    farm_server: FarmServer,
) -> None:
    farm_server.set_rule("/robots.txt", body=paced_robots("0.5"))
    first, second = story_urls(farm_server, 2)
    async with Fetcher(OPTIONS) as fetcher:
        await fetcher.fetch_page(first)
        with pytest.raises(HostBusy) as busy:
            await fetcher.fetch_page(second, max_wait=0.1)
        assert 0 < busy.value.ready_at - time.monotonic() <= 0.5
        assert arrivals(farm_server, [second]) == []
        await fetcher.fetch_page(second, max_wait=1.0)  # a turn within the bound is waited for
    pages = arrivals(farm_server, [first, second])
    assert len(pages) == 2 and min(gaps(pages)) >= 0.5 - TOLERANCE, gaps(pages)


async def test_pages_already_waiting_for_the_host_count_toward_max_wait(
    farm_server: FarmServer,
) -> None:
    farm_server.set_rule("/robots.txt", body=paced_robots("0.3"))
    urls = story_urls(farm_server, 3)
    async with Fetcher(OPTIONS) as fetcher:
        # The first goes now, the second in 0.3 s, the third would in 0.6 s: past the bound.
        results = await asyncio.gather(
            *(fetcher.fetch_page(u, max_wait=0.45) for u in urls), return_exceptions=True
        )
    assert [type(r).__name__ for r in results] == ["FetchResult", "FetchResult", "HostBusy"]
    pages = arrivals(farm_server, urls)
    assert len(pages) == 2 and min(gaps(pages)) >= 0.3 - TOLERANCE, gaps(pages)


# Redirects: a page's every hop answers to the robots.txt of the hop's own host.


@pytest.fixture
def other_host() -> Iterator[FarmServer]:
    """A second farm on a port of its own: another origin, with its own robots.txt."""
    with FarmServer(Site(articles_or_skip(outlets=["kompas"], per_outlet=2))) as server:
        yield server


async def test_a_redirect_to_a_url_another_hosts_robots_txt_disallows_is_never_requested(
    farm_server: FarmServer, other_host: FarmServer
) -> None:
    (url,) = story_urls(farm_server, 1)
    moved = other_host.outlet_url("kompas", "/read/1/moved.html")
    other_host.set_rule("/robots.txt", body=b"User-agent: *\nDisallow: /kompas/read/\n")
    farm_server.redirect(urlsplit(url).path, to=moved)
    async with Fetcher(OPTIONS) as fetcher:
        with pytest.raises(FetchError) as caught:
            await fetcher.fetch_page(url)
    assert caught.value.kind is FailureKind.HARD
    assert caught.value.reason == (
        f"robots.txt disallows {moved} for this crawler"
        f" ({other_host.base_url}/robots.txt: Disallow: /kompas/read/); redirected from {url}"
    )
    assert arrivals(farm_server, [url]) and [r.path for r in other_host.requests()] == [
        "/robots.txt"
    ]


async def test_a_redirect_within_the_host_to_a_disallowed_path_is_never_requested(
    farm_server: FarmServer,
) -> None:
    (url,) = story_urls(farm_server, 1)
    farm_server.redirect(urlsplit(url).path, to="/kompas/cari/?q=banjir")
    async with Fetcher(OPTIONS) as fetcher:
        with pytest.raises(FetchError, match=r"robots\.txt disallows") as caught:
            await fetcher.fetch_page(url)
    assert caught.value.kind is FailureKind.HARD
    assert f"({farm_server.base_url}/robots.txt: Disallow: /kompas/cari/)" in caught.value.reason
    assert not farm_server.requests("/kompas/cari/")


async def test_a_redirect_hop_keeps_the_crawl_delay_of_its_own_host(
    farm_server: FarmServer, other_host: FarmServer
) -> None:
    other_host.set_rule("/robots.txt", body=b"User-agent: *\nCrawl-delay: 0.3\n")
    target = other_host.outlet_url("kompas", other_host.site.stories("kompas")[0].path)
    urls = story_urls(farm_server, 3)
    for url in urls:
        farm_server.redirect(urlsplit(url).path, to=target)
    async with Fetcher(OPTIONS) as fetcher:
        results = await asyncio.gather(*(fetcher.fetch_page(u) for u in urls))
    assert all(r.status == 200 and r.url == target for r in results)
    pages = arrivals(other_host, [target])
    assert len(pages) == 3 and min(gaps(pages)) >= 0.3 - TOLERANCE, gaps(pages)
