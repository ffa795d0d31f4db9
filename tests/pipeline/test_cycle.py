"""The whole chain against the local news farm: real HTTP, real parsing, real databases."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from app.crawlers.fetch import Fetcher
from app.db import Database
from app.models import Article, FetchAttempt, FetchStatus, Issue, Source, SourceKind
from app.pipeline.cycle import Crawler
from app.scoring import load_scorer
from app.services import sources as source_service
from tests.farm.server import FarmServer
from tests.fetching import local_fetch_options


def make_crawler(db: Database, *, allow_private: bool = True) -> Crawler:
    options = local_fetch_options(
        user_agent="PantauTest/1", total_timeout=20, allow_private_networks=allow_private
    )
    return Crawler(database=db, fetcher=Fetcher(options), scorer=load_scorer(), concurrency=4)


@pytest.fixture
async def crawler(db: Database) -> AsyncIterator[Crawler]:
    crawler = make_crawler(db)
    yield crawler
    await crawler.fetcher.aclose()


async def add_source(db: Database, url: str, kind: SourceKind = SourceKind.FEED) -> int:
    async with db.writer.begin() as session:
        source = await source_service.create_source(
            session, data=source_service.NewSource(url=url, kind=kind)
        )
        return source.id


async def crawl_all_due(crawler: Crawler) -> None:
    """One scheduler pass, with the crawler's clock moved two days on so every source is due."""
    now = crawler.clock() + timedelta(days=2)
    crawler.clock = lambda: now
    await crawler.crawl_due()
    await crawler.process_pending()


async def count(db: Database, model: type) -> int:
    async with db.sessionmaker() as session:
        return int(await session.scalar(select(func.count()).select_from(model)) or 0)


async def source_row(db: Database, source_id: int) -> Source:
    async with db.sessionmaker() as session:
        source = await session.get(Source, source_id)
        assert source is not None
        return source


async def attempts(db: Database, source_id: int) -> list[FetchAttempt]:
    async with db.sessionmaker() as session:
        rows = await session.scalars(
            select(FetchAttempt)
            .where(FetchAttempt.source_id == source_id)
            .order_by(FetchAttempt.id)
        )
        return list(rows.all())


async def test_feed_items_are_stored_scored_and_grouped(
    db: Database, crawler: Crawler, farm_server: FarmServer
) -> None:
    source_id = await add_source(db, farm_server.feed_url("tempo"))
    summary = await crawler.run_once()
    assert [o.status for o in summary.outcomes] == [FetchStatus.OK]
    stored = await count(db, Article)
    assert stored == summary.new_items > 0
    async with db.sessionmaker() as session:
        articles = (await session.scalars(select(Article))).all()
    assert all(a.label in ("negative", "neutral", "positive") for a in articles)
    assert all(a.negativity is not None and 0 <= a.negativity <= 1 for a in articles)
    assert all(a.model_version and a.explanation is not None for a in articles)
    assert all(a.source_id == source_id and a.outlet for a in articles)
    issues = await count(db, Issue)
    assert 0 < issues <= stored  # articles about one event share an issue
    async with db.sessionmaker() as session:
        grouped = (await session.scalars(select(Article.grouped_at))).all()
    assert all(g is not None for g in grouped)


@pytest.mark.parametrize("kind", ["rss", "atom", "json", "rdf"])
async def test_every_feed_format_is_ingested(
    db: Database, crawler: Crawler, farm_server: FarmServer, kind: str
) -> None:
    await add_source(db, farm_server.feed_url("kompas", kind))
    summary = await crawler.run_once()
    assert summary.outcomes[0].status == FetchStatus.OK, summary.outcomes[0].error
    assert summary.new_items > 0


async def test_second_run_adds_nothing_and_304_only_reschedules(
    db: Database, crawler: Crawler, farm_server: FarmServer
) -> None:
    source_id = await add_source(db, farm_server.feed_url("okezone"))
    await crawl_all_due(crawler)
    first = await count(db, Article)
    before = await source_row(db, source_id)

    await crawl_all_due(crawler)
    after = await source_row(db, source_id)
    assert await count(db, Article) == first
    assert after.last_status == FetchStatus.NOT_MODIFIED
    assert after.next_check_at > before.next_check_at
    assert (after.etag, after.body_hash) == (before.etag, before.body_hash)
    log = await attempts(db, source_id)
    assert [a.status for a in log] == [FetchStatus.OK, FetchStatus.NOT_MODIFIED]
    assert log[-1].new_items == 0 and log[-1].http_status == 304
    sent = [r for r in farm_server.requests() if r.path.endswith("/rss.xml")]
    assert "if-none-match" in sent[-1].headers


async def test_same_body_without_validators_counts_as_unchanged(
    db: Database, crawler: Crawler, farm_server: FarmServer
) -> None:
    url = farm_server.feed_url("sindonews")
    farm_server.ignore_validators(farm_server.outlet_path("sindonews", "/rss.xml"), omit=True)
    source_id = await add_source(db, url)
    await crawl_all_due(crawler)
    await crawl_all_due(crawler)
    assert (await source_row(db, source_id)).last_status == FetchStatus.UNCHANGED


async def test_new_items_are_added_once_and_guid_churn_adds_nothing(
    db: Database, crawler: Crawler, farm_server: FarmServer
) -> None:
    await add_source(db, farm_server.feed_url("kompas"))
    await crawl_all_due(crawler)
    first = await count(db, Article)
    farm_server.site.publish_next("kompas", 2)
    await crawl_all_due(crawler)
    assert await count(db, Article) == first + 2
    farm_server.site.churn_guids("kompas")
    await crawl_all_due(crawler)
    assert await count(db, Article) == first + 2


async def test_failures_are_recorded_backed_off_and_recovered(
    db: Database, crawler: Crawler, farm_server: FarmServer
) -> None:
    path = farm_server.outlet_path("tribunnews", "/rss.xml")
    source_id = await add_source(db, farm_server.feed_url("tribunnews"))
    farm_server.fail(path, 503, retry_after=7200)
    await crawl_all_due(crawler)
    failed = await source_row(db, source_id)
    assert failed.last_status == FetchStatus.ERROR and failed.error_count == 1
    assert failed.last_error is not None and "503" in failed.last_error
    assert failed.next_check_at - failed.last_fetched_at >= timedelta(seconds=7200)

    farm_server.clear_rules()
    farm_server.serve_html(path)
    await crawl_all_due(crawler)
    html = await source_row(db, source_id)
    assert html.error_count == 2 and "HTML page" in (html.last_error or "")
    assert await count(db, Article) == 0

    farm_server.clear_rules()
    await crawl_all_due(crawler)
    recovered = await source_row(db, source_id)
    assert recovered.error_count == 0 and recovered.last_status == FetchStatus.OK
    assert await count(db, Article) > 0
    assert [a.status for a in await attempts(db, source_id)] == ["error", "error", "ok"]


async def test_one_failing_source_does_not_stop_the_batch(
    db: Database, crawler: Crawler, farm_server: FarmServer
) -> None:
    bad = await add_source(db, farm_server.url("/does-not-exist/rss.xml"))
    good = await add_source(db, farm_server.feed_url("fimela"))
    summary = await crawler.run_once()
    by_id = {o.source_id: o for o in summary.outcomes}
    assert by_id[bad].status == FetchStatus.ERROR and "404" in (by_id[bad].error or "")
    assert by_id[good].status == FetchStatus.OK and by_id[good].new_items > 0


async def test_private_addresses_are_refused_unless_allowed(
    db: Database, farm_server: FarmServer
) -> None:
    guarded = make_crawler(db, allow_private=False)
    try:
        source_id = await add_source(db, farm_server.feed_url("kompas"))
        await guarded.run_once()
    finally:
        await guarded.fetcher.aclose()
    row = await source_row(db, source_id)
    assert row.last_status == FetchStatus.ERROR
    assert "non-public address 127.0.0.1" in (row.last_error or "")
    assert not farm_server.requests()  # refused before any connection was made
