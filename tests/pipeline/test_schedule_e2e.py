"""The schedule end to end: real HTTP answers move a source's next check as they should."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from datetime import datetime, timedelta
from email.utils import format_datetime

import pytest

from app.db import Database
from app.models import FetchStatus, utcnow
from app.pipeline.cycle import Crawler
from tests.crawlers.loopback import Handler, Loopback, Route
from tests.farm.server import FarmServer
from tests.pipeline.test_cycle import (
    add_source,
    attempts,
    crawl_all_due,
    make_crawler,
    source_row,
)

DAY = 86400


@pytest.fixture
async def crawler(db: Database) -> AsyncIterator[Crawler]:
    crawler = make_crawler(db)
    yield crawler
    await crawler.fetcher.aclose()


def rss(published: list[datetime]) -> bytes:
    items = b"".join(
        b"<item><title>Berita %d</title><link>https://berita.example.id/read/%d</link>"
        b"<pubDate>%s</pubDate></item>" % (n, n, format_datetime(t).encode())
        for n, t in enumerate(published)
    )
    return (
        b'<?xml version="1.0"?><rss version="2.0"><channel><title>t</title>%s</channel></rss>'
        % items
    )


def feed(body: bytes, *headers: tuple[str, str]) -> Route:
    def route(handler: Handler) -> None:
        handler.respond(200, body, [("Content-Type", "application/rss+xml"), *headers])

    return route


def wait(row_next: datetime, row_fetched: datetime | None) -> float:
    assert row_fetched is not None
    return (row_next - row_fetched).total_seconds()


async def test_retry_after_seconds_is_honoured(
    db: Database, crawler: Crawler, farm_server: FarmServer
) -> None:
    path = farm_server.outlet_path("tempo", "/rss.xml")
    farm_server.fail(path, 429, retry_after=5400)
    source_id = await add_source(db, farm_server.feed_url("tempo"))
    await crawl_all_due(crawler)
    row = await source_row(db, source_id)
    assert row.last_http_status == 429 and "retry after 5400 s" in (row.last_error or "")
    assert 5400 <= wait(row.next_check_at, row.last_fetched_at) <= 5400 * 1.1 + 1


async def test_retry_after_http_date_is_honoured(
    db: Database, crawler: Crawler, farm_server: FarmServer
) -> None:
    path = farm_server.outlet_path("tempo", "/rss.xml")
    when = time.strftime("%a, %d %b %Y %H:%M:%S GMT", time.gmtime(time.time() + 3 * 3600))
    farm_server.fail(path, 503, retry_after=when)
    source_id = await add_source(db, farm_server.feed_url("tempo"))
    await crawl_all_due(crawler)
    row = await source_row(db, source_id)
    assert row.last_http_status == 503
    assert 3 * 3600 - 60 <= wait(row.next_check_at, row.last_fetched_at) <= 3 * 3600 + 60


async def test_expires_header_sets_the_interval_floor(db: Database, crawler: Crawler) -> None:
    now = utcnow()
    body = rss([now - timedelta(minutes=n) for n in range(1, 30)])
    expires = ("Expires", format_datetime(now + timedelta(hours=4), usegmt=True))
    with Loopback({"/rss": feed(body, expires)}) as server:
        source_id = await add_source(db, server.url("/rss"))
        await crawler.run_once()
    row = await source_row(db, source_id)
    assert row.last_status == FetchStatus.OK
    assert row.poll_interval >= 4 * 3600 - 5


@pytest.mark.parametrize(
    ("gap", "expected"),
    [
        (timedelta(minutes=20), (1150, 1250)),  # steady: one new item per poll
        (timedelta(minutes=1), (300, 300)),  # faster than the floor: clamped to 5 min
        (timedelta(days=3), (21600, 21600)),  # nearly silent: clamped to 6 h
    ],
)
async def test_interval_follows_the_publishing_rate_within_range(
    db: Database, crawler: Crawler, gap: timedelta, expected: tuple[int, int]
) -> None:
    now = utcnow()
    body = rss([now - gap * n for n in range(1, 21) if gap * n < timedelta(days=29)])
    with Loopback({"/rss": feed(body)}) as server:
        source_id = await add_source(db, server.url("/rss"))
        await crawler.run_once()
    row = await source_row(db, source_id)
    assert expected[0] <= row.poll_interval <= expected[1], row.poll_interval


async def test_gone_feed_keeps_being_retried_at_the_cap_and_stays_flagged(
    db: Database, crawler: Crawler, farm_server: FarmServer
) -> None:
    path = farm_server.outlet_path("kompas", "/rss.xml")
    farm_server.fail(path, 410)
    source_id = await add_source(db, farm_server.feed_url("kompas"))
    await crawl_all_due(crawler)
    first = await source_row(db, source_id)
    assert first.last_error_kind == "hard" and "410 Gone" in (first.last_error or "")
    assert (
        wait(first.next_check_at, first.last_fetched_at) == crawler.policy.max_error_backoff_seconds
    )
    for _ in range(3):  # days later it is still tried, still flagged, still failing since day one
        await crawl_all_due(crawler)
    later = await source_row(db, source_id)
    assert later.error_count == 4 and later.enabled
    assert later.failing_since == first.failing_since == first.last_error_at
    assert len(await attempts(db, source_id)) == 4

    farm_server.clear_rules()
    await crawl_all_due(crawler)
    healed = await source_row(db, source_id)
    assert healed.error_count == 0 and healed.failing_since is None
    assert healed.last_status == FetchStatus.OK


async def test_soft_failures_back_off_gradually_and_never_past_the_cap(
    db: Database, crawler: Crawler, farm_server: FarmServer
) -> None:
    farm_server.fail(farm_server.outlet_path("okezone", "/rss.xml"), 500)
    source_id = await add_source(db, farm_server.feed_url("okezone"))
    waits = []
    for _ in range(12):
        await crawl_all_due(crawler)
        row = await source_row(db, source_id)
        waits.append(wait(row.next_check_at, row.last_fetched_at))
    assert waits[0] < waits[3] < waits[6]
    assert max(waits) <= crawler.policy.max_error_backoff_seconds
    assert row.last_error_kind == "soft" and row.error_count == 12
