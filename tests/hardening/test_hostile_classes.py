"""Issue 18's classes (tests/hardening/classes.py) through the pipeline, on both backends.

One `Crawler.run_once` over every member, with a one-process CPU pool (so the parse-time limit
really kills a worker), then a second cycle over the same database, then `pantau crawl --once`
as a real process: each ends normally; every healthy item is stored, scored and grouped; every
hostile source has an attempt with its reason; no impossible date is stored.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select, update

from app.crawlers.dates import DATE_OUT_OF_RANGE
from app.crawlers.fetch import Fetcher
from app.crawlers.pool import CpuPool
from app.db import Database
from app.models import Article, FetchAttempt, FetchStatus, Source, SourceKind
from app.pipeline.cycle import Crawler
from app.scoring import load_scorer
from app.services import sources as source_service
from tests.fetching import local_fetch_options
from tests.hardening.classes import FEED_PATHS, HEALTHY_PER_FEED, SITEMAP_PATHS, ClassServer
from tests.test_cli import pantau_process

CAP = 300
OPTIONS = local_fetch_options(
    user_agent="PantauClasses/1", total_timeout=15, allow_private_networks=True
)
WIB_0600 = datetime(2026, 12, 4, 23, 0, tzinfo=UTC)  # Sabtu, 05 Desember 2026 - 06:00 WIB

# path -> (status, pattern in the attempt's error or notes)
EXPECTED = {
    "/d/rss-year1": (FetchStatus.OK, DATE_OUT_OF_RANGE),
    "/d/rss-9999": (FetchStatus.OK, DATE_OUT_OF_RANGE),
    "/d/atom-2100": (FetchStatus.OK, DATE_OUT_OF_RANGE),
    "/d/sitemap-9999": (FetchStatus.OK, DATE_OUT_OF_RANGE),
    "/h/retry-nines": (FetchStatus.ERROR, "HTTP 503"),
    "/h/retry-superscript": (FetchStatus.ERROR, "HTTP 429"),
    "/h/retry-inf": (FetchStatus.ERROR, "HTTP 503"),
    "/h/retry-year1": (FetchStatus.ERROR, "HTTP 503"),
    "/i/bidi-host": (FetchStatus.OK, "1 × unusable URL"),
    "/i/bad-port": (FetchStatus.OK, "1 × unusable URL"),
    "/i/broken-ipv6": (FetchStatus.OK, "1 × unusable URL"),
    "/i/long-url": (FetchStatus.OK, "1 × unusable URL"),
    "/i/json-year1": (FetchStatus.OK, DATE_OUT_OF_RANGE),
    "/c/many-items": (FetchStatus.OK, f"900 × items over the per-feed cap of {CAP}"),
    "/p/attrs": (FetchStatus.ERROR, "took longer than 4 s; its worker was stopped"),
}
STORED = {  # path -> articles it must store
    **{p: HEALTHY_PER_FEED for p in FEED_PATHS if p.startswith(("/h/", "/i/", "/ok/"))},
    "/d/rss-year1": HEALTHY_PER_FEED + 1,  # the year-1 item too, at its fetch time
    "/d/rss-9999": HEALTHY_PER_FEED + 1,
    "/d/atom-2100": 2,
    "/d/sitemap-9999": 2,
    "/i/huge-json-id": 2,
    "/i/json-year1": 2,
    "/c/many-items": CAP,
    "/h/retry-nines": 0,
    "/h/retry-superscript": 0,
    "/h/retry-inf": 0,
    "/h/retry-year1": 0,
}


@pytest.fixture(scope="module")
def farm() -> Iterator[ClassServer]:
    with ClassServer() as server:
        yield server


@pytest.fixture
async def crawler(db: Database) -> AsyncIterator[Crawler]:
    crawler = Crawler(
        database=db,
        fetcher=Fetcher(OPTIONS),
        scorer=load_scorer(),
        pool=CpuPool(workers=1),
        max_items_per_feed=CAP,
        parse_time_limit=4.0,
    )
    yield crawler
    await crawler.aclose()


async def _register(db: Database, farm: ClassServer) -> dict[str, int]:
    ids = {}
    async with db.writer.begin() as session:
        for path in [*FEED_PATHS, *SITEMAP_PATHS]:
            kind = SourceKind.SITEMAP if path in SITEMAP_PATHS else SourceKind.FEED
            data = source_service.NewSource(url=farm.url(path), kind=kind)
            ids[path] = (await source_service.create_source(session, data=data)).id
    return ids


async def _make_due(db: Database) -> None:
    async with db.writer.begin() as session:
        past = datetime.now(UTC) - timedelta(minutes=1)
        await session.execute(update(Source).values(next_check_at=past))


@pytest.mark.timeout(300)
async def test_every_class_is_bounded_and_healthy_items_go_all_the_way(
    db: Database, crawler: Crawler, farm: ClassServer
) -> None:
    ids = await _register(db, farm)
    summary = await crawler.run_once()
    assert len(summary.outcomes) == len(ids)

    async with db.sessionmaker() as session:
        for path, (status, reason) in EXPECTED.items():
            attempts = (
                await session.scalars(
                    select(FetchAttempt).where(FetchAttempt.source_id == ids[path])
                )
            ).all()
            assert len(attempts) == 1, path
            said = f"{attempts[0].error or ''} {attempts[0].notes or ''}"
            assert attempts[0].status == status and reason in said, (path, said)
        for path, count in STORED.items():
            stored = await session.scalar(
                select(func.count()).select_from(Article).where(Article.source_id == ids[path])
            )
            assert stored == count, (path, stored)
        # Scored and grouped: nothing of the healthy coverage is left behind.
        pending = await session.scalar(
            select(func.count())
            .select_from(Article)
            .where((Article.scored_at.is_(None)) | (Article.grouped_at.is_(None)))
        )
        assert pending == 0
        now = datetime.now(UTC)
        impossible = await session.scalar(
            select(func.count())
            .select_from(Article)
            .where(
                (Article.published_at < datetime(1990, 1, 1, tzinfo=UTC))
                | (Article.published_at > now + timedelta(days=2))
            )
        )
        assert impossible == 0
        # The sitemap's pages: the date line's time of day, not midnight.
        pages = (
            await session.scalars(
                select(Article.published_at).where(Article.source_id == ids["/d/sitemap-9999"])
            )
        ).all()
        assert pages == [WIB_0600, WIB_0600]
        sources = {s.id: s for s in (await session.scalars(select(Source))).all()}
    for path in ("/h/retry-nines", "/h/retry-superscript", "/h/retry-inf", "/h/retry-year1"):
        source = sources[ids[path]]
        assert source.claimed_until is None and source.error_count == 1, path
        assert source.next_check_at <= datetime.now(UTC) + timedelta(days=1, minutes=5), path
    assert sources[ids["/h/last-modified-long"]].last_modified is None  # too long to be real
    assert sources[ids["/h/etag-huge"]].etag is None
    assert all(s.claimed_until is None for s in sources.values())

    # Again over the same rows: nothing stored above may stop a later cycle.
    await _make_due(db)
    again = await crawler.run_once()
    assert len(again.outcomes) == len(ids)


@pytest.mark.slow
@pytest.mark.timeout(300)
async def test_crawl_once_exits_0_over_the_hostile_classes(db: Database, farm: ClassServer) -> None:
    await _register(db, farm)
    for _ in range(2):
        result = pantau_process(
            "crawl",
            "--once",
            database_url=db.url,
            PANTAU_ALLOW_PRIVATE_NETWORKS="true",
            PANTAU_MAX_ITEMS_PER_FEED=str(CAP),
            PANTAU_PARSE_TIMEOUT_SECONDS="4",
            PANTAU_CPU_WORKERS="1",
        )
        assert result.returncode == 0, result.stderr[-3000:]
        assert "Traceback" not in result.stderr
        await _make_due(db)
    async with db.sessionmaker() as session:
        leased = await session.scalar(
            select(func.count()).select_from(Source).where(Source.claimed_until.is_not(None))
        )
    assert leased == 0


@pytest.mark.timeout(120)
async def test_a_cancelled_cycle_releases_its_leases_at_once(
    db: Database, crawler: Crawler, farm: ClassServer
) -> None:
    """A worker stopped mid-batch (shutdown) gives its sources back instead of leaving them
    leased until the lease runs out; and the lease itself is a fetch budget, not a batch's."""
    async with db.writer.begin() as session:
        for n in range(3):
            data = source_service.NewSource(url=farm.url(f"/slow?n={n}"), kind=SourceKind.FEED)
            await source_service.create_source(session, data=data)
    assert crawler._crawl().lease_seconds <= OPTIONS.total_timeout * 2 + 60
    cycle = asyncio.create_task(crawler.run_once())
    for _ in range(100):
        await asyncio.sleep(0.1)
        async with db.sessionmaker() as session:
            leased = await session.scalar(
                select(func.count()).select_from(Source).where(Source.claimed_until.is_not(None))
            )
        if leased == 3:
            break
    assert leased == 3
    cycle.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await cycle
    async with db.sessionmaker() as session:
        sources = (await session.scalars(select(Source))).all()
    assert [s.claimed_until for s in sources] == [None, None, None]
    assert all(s.claimed_by is None for s in sources)
