"""Three workers, one database: each due source is fetched once, no article is stored twice."""

from __future__ import annotations

import asyncio
from collections import Counter

import pytest
from sqlalchemy import func, select

from app.config import default
from app.crawlers.fetch import Fetcher
from app.crawlers.parsers import parse_feed
from app.crawlers.urls import normalise_url
from app.db import Database
from app.models import Article, FetchAttempt
from app.pipeline.cycle import Crawler, SourceOutcome
from app.scoring import load_scorer
from tests.farm.server import FarmServer
from tests.fetching import local_fetch_options
from tests.pipeline.test_cycle import add_source, count

KINDS = ("rss", "atom", "json", "rdf")


async def crawl_together(
    db: Database, workers: int, *, concurrency: int, batch_size: int = default("crawl_batch_size")
) -> list[list[SourceOutcome]]:
    """`workers` crawlers, each with its own engine on `db`, crawl what is due at once."""
    scorer = load_scorer()
    databases = [Database(db.url) for _ in range(workers)]
    crawlers = [
        Crawler(
            database=database,
            fetcher=Fetcher(
                local_fetch_options(user_agent="PantauTest/1", allow_private_networks=True)
            ),
            scorer=scorer,
            concurrency=concurrency,
            worker=f"worker-{n}",
            batch_size=batch_size,
        )
        for n, database in enumerate(databases)
    ]
    try:
        return await asyncio.gather(*(c.crawl_due() for c in crawlers))
    finally:
        for crawler, database in zip(crawlers, databases, strict=True):
            await crawler.fetcher.aclose()
            await database.dispose()


# 4: small batches so the claims interleave; 200: the default batch, larger than the farm (the
# claim is sized by the fetch concurrency, so the workers still share it).
@pytest.mark.parametrize("batch_size", [4, 200])
async def test_three_workers_fetch_each_due_source_once_and_store_no_duplicate(
    db: Database, farm_server: FarmServer, batch_size: int
) -> None:
    urls = [farm_server.feed_url(o.slug, kind) for o in farm_server.site.outlets for kind in KINDS][
        :30
    ]
    assert len(urls) == 30
    source_ids = [await add_source(db, url) for url in urls]
    results = await crawl_together(db, 3, concurrency=2, batch_size=batch_size)

    assert sorted(o.source_id for outcomes in results for o in outcomes) == sorted(source_ids)
    assert sum(1 for outcomes in results if outcomes) >= 2  # the work really was shared
    feed_hits = Counter(
        r.path for r in farm_server.requests() if r.path.endswith((".xml", ".json"))
    )
    assert len(feed_hits) == 30 and set(feed_hits.values()) == {1}
    async with db.sessionmaker() as session:
        per_source = await session.execute(
            select(FetchAttempt.source_id, func.count()).group_by(FetchAttempt.source_id)
        )
        assert dict(per_source.all()) == dict.fromkeys(source_ids, 1)
        stored = list((await session.scalars(select(Article.url))).all())

    expected: set[str] = set()
    async with Fetcher(
        local_fetch_options(user_agent="PantauTest/1", allow_private_networks=True)
    ) as f:
        for url in urls:
            parsed = parse_feed((await f.fetch(url)).body)
            expected |= {normalise_url(i.url) for i in parsed.items}
    assert len(stored) == len(set(stored)) == len(expected) == await count(db, Article)
    assert set(stored) == expected


async def test_two_crawlers_split_a_farm_evenly(db: Database, farm_server: FarmServer) -> None:
    """Claims are sized by the fetch concurrency and re-taken as slots free up, so two workers
    starting together each fetch about half of the due sources: none twice, none left."""
    urls = [farm_server.feed_url(o.slug, kind) for o in farm_server.site.outlets for kind in KINDS]
    assert len(urls) >= 30
    farm_server.slow("*", 0.05)  # the fetches, not the claims, set the pace (as publishers do)
    source_ids = [await add_source(db, url) for url in urls]
    results = await crawl_together(db, 2, concurrency=3)

    assert sorted(o.source_id for outcomes in results for o in outcomes) == sorted(source_ids)
    shares = [len(outcomes) for outcomes in results]
    assert min(shares) >= len(urls) // 3, shares  # measured: 18 / 18, 21 / 15
    feed_hits = Counter(
        r.path for r in farm_server.requests() if r.path.endswith((".xml", ".json"))
    )
    assert len(feed_hits) == len(urls) and set(feed_hits.values()) == {1}
    async with db.sessionmaker() as session:
        per_worker = await session.execute(
            select(FetchAttempt.worker, func.count()).group_by(FetchAttempt.worker)
        )
        assert dict(per_worker.all()) == {f"worker-{n}": shares[n] for n in range(2)}
