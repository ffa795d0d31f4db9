"""The page stage fetches pages through robots.txt, at every redirect hop: disallowed pages fail
for good, an unreachable robots.txt is retried later, and a Crawl-delay spaces the stage's page
fetches; a page whose host is not free soon is deferred, not waited for. Listing and article
sources are pages too. Feeds are polled as published, robots.txt or not."""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import AsyncIterator, Iterator
from datetime import timedelta
from urllib.parse import urlsplit

import pytest
from sqlalchemy import select

from app.crawlers.fetch import Fetcher
from app.crawlers.pool import CpuPool
from app.db import Database
from app.models import Article, Source, SourceKind, TextState, utcnow
from app.pipeline.cycle import Crawler
from app.pipeline.page import PageStage
from app.scoring import load_scorer
from app.services import sources as source_service
from tests.farm.fixtures import articles_or_skip
from tests.farm.server import FarmServer
from tests.farm.site import Site
from tests.fetching import local_fetch_options

OPTIONS = local_fetch_options(
    user_agent="PantauTest/1", total_timeout=20, allow_private_networks=True
)
OUTLET = "sindonews"  # its feed carries summaries only, so every item waits for its page


@pytest.fixture
def farm() -> Iterator[FarmServer]:
    with FarmServer(Site(articles_or_skip(per_outlet=5), holdback=1)) as server:
        yield server


@pytest.fixture
async def crawler(db: Database, farm: FarmServer) -> AsyncIterator[Crawler]:
    async with db.writer.begin() as session:
        data = source_service.NewSource(url=farm.feed_url(OUTLET), kind=SourceKind.FEED)
        await source_service.create_source(session, data=data)
    crawler = Crawler(
        database=db, fetcher=Fetcher(OPTIONS), scorer=load_scorer(), pool=CpuPool(workers=0)
    )
    yield crawler
    await crawler.fetcher.aclose()


async def stored(db: Database) -> list[Article]:
    async with db.sessionmaker() as session:
        return list((await session.scalars(select(Article).order_by(Article.id))).all())


def page_arrivals(farm: FarmServer) -> list[float]:
    paths = {farm.outlet_path(OUTLET, s.path) for s in farm.site.stories(OUTLET)}
    return sorted(r.time for r in farm.requests() if r.path in paths)


@pytest.fixture
def other_host() -> Iterator[FarmServer]:
    """A second farm on a port of its own: another origin, with its own robots.txt."""
    with FarmServer(Site(articles_or_skip(outlets=[OUTLET], per_outlet=5), holdback=1)) as server:
        yield server


async def test_pages_disallowed_by_robots_fail_for_good_and_are_never_fetched(
    db: Database, crawler: Crawler, farm: FarmServer
) -> None:
    farm.set_rule("/robots.txt", body=f"User-agent: *\nDisallow: /{OUTLET}/\n".encode())
    await crawler.crawl_due()  # the feed under the disallowed path is still polled
    pending = await stored(db)
    assert len(pending) == len(farm.site.stories(OUTLET))
    await crawler.fetch_pages()
    for article in await stored(db):
        assert article.text_state == TextState.FAILED
        assert "robots.txt disallows" in (article.text_error or "")
    assert page_arrivals(farm) == []


async def test_an_unreachable_robots_txt_leaves_pages_pending_for_a_retry(
    db: Database, crawler: Crawler, farm: FarmServer
) -> None:
    await crawler.crawl_due()
    farm.fail("/robots.txt", 503)
    await crawler.fetch_pages()
    for article in await stored(db):
        assert article.text_state == TextState.PENDING
        assert "robots.txt unreachable" in (article.text_error or "")
    assert page_arrivals(farm) == []


async def test_crawl_delay_spaces_the_page_stage_fetches(
    db: Database, crawler: Crawler, farm: FarmServer
) -> None:
    farm.set_rule("/robots.txt", body=b"User-agent: *\nCrawl-delay: 0.3\n")
    await crawler.crawl_due()
    await crawler.fetch_pages()
    articles = await stored(db)
    assert len(articles) == 4 and all(a.text_state == TextState.DONE for a in articles)
    times = page_arrivals(farm)
    gaps = [b - a for a, b in itertools.pairwise(times)]
    assert len(times) == 4 and min(gaps) >= 0.3 - 0.05, gaps


async def test_listing_and_article_sources_are_fetched_through_robots_txt(
    db: Database, farm: FarmServer
) -> None:
    farm.set_rule("/robots.txt", body=f"User-agent: *\nDisallow: /{OUTLET}/\n".encode())
    story = farm.site.stories(OUTLET)[0]
    listing, article = farm.outlet_url(OUTLET, "/"), farm.outlet_url(OUTLET, story.path)
    kinds = {
        listing: SourceKind.LISTING,
        article: SourceKind.ARTICLE,
        farm.feed_url(OUTLET): SourceKind.FEED,
    }
    async with db.writer.begin() as session:
        for url, kind in kinds.items():
            data = source_service.NewSource(url=url, kind=kind)
            await source_service.create_source(session, data=data)
    crawler = Crawler(
        database=db, fetcher=Fetcher(OPTIONS), scorer=load_scorer(), pool=CpuPool(workers=0)
    )
    try:
        await crawler.crawl_due()
    finally:
        await crawler.fetcher.aclose()
    async with db.sessionmaker() as session:
        sources = {s.kind: s for s in (await session.scalars(select(Source))).all()}
    for kind in (SourceKind.LISTING, SourceKind.ARTICLE):
        assert "robots.txt disallows" in (sources[kind].last_error or ""), kind
        assert sources[kind].last_error_kind == "hard"
    assert sources[SourceKind.FEED].last_error is None  # the feed under the same path is polled
    requested = {r.path for r in farm.requests()}
    assert farm.outlet_path(OUTLET, "/") not in requested
    assert farm.outlet_path(OUTLET, story.path) not in requested
    assert urlsplit(farm.feed_url(OUTLET)).path in requested


async def test_a_page_redirected_to_a_url_another_hosts_robots_txt_disallows_fails_for_good(
    db: Database, crawler: Crawler, farm: FarmServer, other_host: FarmServer
) -> None:
    other_host.set_rule("/robots.txt", body=f"User-agent: *\nDisallow: /{OUTLET}/read/\n".encode())
    moved = other_host.outlet_url(OUTLET, "/read/1/moved.html")
    farm.redirect(f"/{OUTLET}/read/*", to=moved)
    await crawler.crawl_due()
    await crawler.fetch_pages()
    articles = await stored(db)
    assert len(articles) == 4
    rule = f"({other_host.base_url}/robots.txt: Disallow: /{OUTLET}/read/)"
    for article in articles:
        assert article.text_state == TextState.FAILED
        assert f"robots.txt disallows {moved} for this crawler {rule}" in (article.text_error or "")
        assert f"redirected from {article.url}" in (article.text_error or "")
    assert len(page_arrivals(farm)) == 4  # the first hops, allowed
    assert [r.path for r in other_host.requests()] == ["/robots.txt"]


async def test_a_page_whose_host_is_not_free_soon_is_deferred_and_fetched_on_a_later_run(
    db: Database, crawler: Crawler, farm: FarmServer, other_host: FarmServer
) -> None:
    farm.set_rule("/robots.txt", body=b"User-agent: *\nCrawl-delay: 0.3\n")
    await crawler.crawl_due()  # the paced host's pages are queued first
    async with db.writer.begin() as session:
        data = source_service.NewSource(url=other_host.feed_url(OUTLET), kind=SourceKind.FEED)
        await source_service.create_source(session, data=data)
    await crawler.crawl_due()
    # One page at a time: a page waiting for its host's turn would hold up all the others.
    # The clock stands still during a run, so a page deferred in a run is not due again in it.
    now = [utcnow()]
    stage = PageStage(
        database=db,
        fetcher=crawler.fetcher,
        pool=CpuPool(workers=0),
        concurrency=1,
        max_host_wait=0.1,
        clock=lambda: now[0],
    )

    first = await stage.run_pending()
    articles = await stored(db)
    paced = [a for a in articles if a.url.startswith(farm.base_url)]
    others = [a for a in articles if a.url.startswith(other_host.base_url)]
    assert len(paced) == 4 and len(others) == 4
    # The paced host's first page went out; its next turn was 0.3 s away, past the bound.
    assert (first.claimed, first.deferred, first.failed, first.extracted) == (8, 3, 0, 5)
    assert paced[0].text_state == TextState.DONE and paced[0].text_attempts == 1
    for article in paced[1:]:  # back in the queue until the host's turn, no attempt spent
        assert article.text_state == TextState.PENDING and article.text_error is None
        assert article.text_attempts == 0
        due = (article.text_claimed_until or now[0]) - now[0]
        assert timedelta(seconds=0.1) < due < timedelta(seconds=0.4), due
    assert all(a.text_state == TextState.DONE for a in others)
    # The other host's pages went out at once, not after the paced host's next turn.
    (opened,) = page_arrivals(farm)
    assert max(page_arrivals(other_host)) < opened + 0.3

    for _ in range(50):  # later runs, as the scheduler would make them
        if all(a.text_state == TextState.DONE for a in await stored(db)):
            break
        await asyncio.sleep(0.1)
        now[0] = utcnow()
        await stage.run_pending()
    paced = [a for a in await stored(db) if a.url.startswith(farm.base_url)]
    assert all(a.text_state == TextState.DONE and a.text_attempts == 1 for a in paced)
    times = page_arrivals(farm)  # one per turn, across the runs
    gaps = [b - a for a, b in itertools.pairwise(times)]
    assert len(times) == 4 and min(gaps) >= 0.3 - 0.05, gaps
