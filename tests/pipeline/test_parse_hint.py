"""A poll that fails to parse says what its body looks like instead, and reading the body for
that hint is bounded like the parse itself: it runs in the pool under the parse time limit,
never in the coordinating process (a hostile body that ran the parse out of time would
otherwise hold the whole crawl for as long again)."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest

from app.crawlers.fetch import Fetcher, FetchResult
from app.crawlers.pool import CpuPool, PoolTimeout
from app.crawlers.scheduling import PollPolicy
from app.db import Database
from app.pipeline.crawl import CrawlStage
from tests.fetching import local_fetch_options

NOW = datetime(2026, 12, 6, tzinfo=UTC)
SITEMAP = (
    b'<?xml version="1.0"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
    b"<url><loc>https://example.id/a</loc></url></urlset>"
)


def attributes(count: int) -> bytes:
    """An RSS feed whose one title carries `count` attributes (feedparser: minutes at 40,000)."""
    attrs = " ".join(f'a{n}="{n}"' for n in range(count))
    return (
        f'<?xml version="1.0"?><rss version="2.0"><channel><title>t</title><item>'
        f"<title {attrs}>x</title><link>https://example.id/x</link></item></channel></rss>"
    ).encode()


@pytest.fixture
def pool() -> Iterator[CpuPool]:
    pool = CpuPool(workers=1)
    yield pool
    pool.shutdown()


def stage(db: Database, pool: CpuPool, limit: float) -> CrawlStage:
    return CrawlStage(
        database=db,
        fetcher=Fetcher(local_fetch_options()),
        pool=pool,
        policy=PollPolicy(),
        concurrency=1,
        batch_size=1,
        worker="test",
        clock=lambda: NOW,
        parse_time_limit=limit,
    )


def result(body: bytes, content_type: str = "application/xml") -> FetchResult:
    return FetchResult(
        url="https://example.id/feed", status=200, headers={"Content-Type": content_type}, body=body
    )


async def test_the_hint_names_what_the_body_is(db: Database, pool: CpuPool) -> None:
    hint = await stage(db, pool, 30.0)._hint("feed", result(SITEMAP), NOW)
    assert "change the source's kind to sitemap" in hint


@pytest.mark.parametrize(
    "body",
    [
        attributes(40_000),  # parse time: attributes
        b"<html><body>" + b'<a href="/berita/x">Berita hari ini</a>' * 200_000 + b"</body></html>",
        b"<rss>" + b"<item><title>x</title></item>" * 400_000 + b"</rss>",  # volume
    ],
    ids=["attributes", "links", "volume"],
)
async def test_a_hostile_body_gets_no_hint_past_the_time_limit(
    db: Database, pool: CpuPool, body: bytes, caplog: pytest.LogCaptureFixture
) -> None:
    """Members of the unbounded-parse-time class: the pool stops the reading at the limit (a
    limit far below what reading these bodies takes) and the poll keeps its own error."""
    with caplog.at_level(logging.INFO, logger="app.pipeline.crawl"):
        hint = await stage(db, pool, 0.01)._hint("feed", result(body), NOW)
    assert hint == ""
    (record,) = [r for r in caplog.records if r.getMessage() == "no hint for a failed parse"]
    assert record.exc_info is not None and record.exc_info[0] is PoolTimeout
    # the pool replaced its stopped worker: the next hint is read as usual
    assert "sitemap" in await stage(db, pool, 30.0)._hint("feed", result(SITEMAP), NOW)
