"""Source kinds beyond feeds, full text, dedup layers, story groups and tombstones, on the farm."""

from __future__ import annotations

import asyncio
import dataclasses
import re
import threading
from collections import Counter
from collections.abc import AsyncIterator, Iterator
from datetime import timedelta

import pytest
from sqlalchemy import delete, event, func, select

from app.crawlers.fetch import Fetcher
from app.crawlers.pool import CpuPool
from app.crawlers.urls import url_hash
from app.db import Database
from app.models import Article, SourceKind, StoryGroup, TextState
from app.pipeline.backfill import Backfill
from app.pipeline.cycle import Crawler
from app.pipeline.page import PageStage
from app.scoring import load_scorer
from app.services import sources as source_service
from app.services.tombstones import delete_article
from tests.farm.fixtures import articles_or_skip
from tests.farm.model import Story
from tests.farm.server import FarmServer
from tests.farm.site import Site
from tests.fetching import local_fetch_options

OPTIONS = local_fetch_options(
    user_agent="PantauTest/1", total_timeout=20, allow_private_networks=True
)


@pytest.fixture
def farm() -> Iterator[FarmServer]:
    """A small farm (25 stories per outlet, 3 held back) keeps page fetching quick."""
    with FarmServer(Site(articles_or_skip(per_outlet=25), holdback=3)) as server:
        yield server


@pytest.fixture
async def crawler(db: Database) -> AsyncIterator[Crawler]:
    crawler = Crawler(
        database=db, fetcher=Fetcher(OPTIONS), scorer=load_scorer(), pool=CpuPool(workers=0)
    )
    yield crawler
    await crawler.fetcher.aclose()


async def add_source(
    db: Database, url: str, kind: SourceKind = SourceKind.FEED, selector: str | None = None
) -> int:
    async with db.writer.begin() as session:
        data = source_service.NewSource(url=url, kind=kind, selector=selector)
        return (await source_service.create_source(session, data=data)).id


async def run_due(crawler: Crawler, *, days: int = 2) -> None:
    """One full pass with the clock moved on so every source is due."""
    now = crawler.clock() + timedelta(days=days)
    crawler.clock = lambda: now
    await crawler.run_once()


async def articles(db: Database, *, deleted: bool = False) -> list[Article]:
    async with db.sessionmaker() as session:
        query = select(Article).order_by(Article.id)
        if not deleted:
            query = query.where(Article.deleted_at.is_(None))
        return list((await session.scalars(query)).all())


def tokens(text: str | None) -> Counter[str]:
    return Counter(re.findall(r"\w+", (text or "").lower()))


def f1(got: str | None, want: str) -> float:
    a, b = tokens(got), tokens(want)
    common = sum((a & b).values())
    if not common:
        return 0.0
    precision, recall = common / sum(a.values()), common / sum(b.values())
    return 2 * precision * recall / (precision + recall)


def story_for(farm: FarmServer, slug: str, url: str) -> Story:
    return next(s for s in farm.site.stories(slug) if s.path in url)


@pytest.mark.parametrize(
    ("path", "kind", "selector"),
    [
        ("/rss.xml", SourceKind.FEED, None),
        ("/atom.xml", SourceKind.FEED, None),
        ("/rdf.xml", SourceKind.FEED, None),
        ("/feed.json", SourceKind.FEED, None),
        ("/sitemap-news.xml", SourceKind.SITEMAP, None),
        ("/sitemap-index.xml", SourceKind.SITEMAP, None),
        ("/", SourceKind.LISTING, None),
        ("/", SourceKind.LISTING, "h2.list-item__title a"),
    ],
)
async def test_each_source_kind_is_crawled_with_full_text(
    db: Database,
    crawler: Crawler,
    farm: FarmServer,
    path: str,
    kind: SourceKind,
    selector: str | None,
) -> None:
    await add_source(db, farm.outlet_url("tempo", path), kind, selector)
    summary = await crawler.run_once()
    assert summary.outcomes[0].error is None
    stored = await articles(db)
    published = farm.site.stories("tempo")
    expected = 20 if kind == SourceKind.LISTING else len(published)  # a listing page shows 20
    assert len(stored) == expected
    assert {a.url for a in stored} <= {farm.outlet_url("tempo", s.path) for s in published}
    for article in stored:
        story = story_for(farm, "tempo", article.url)
        assert article.text_state in (None, TextState.DONE)
        assert f1(article.body, story.body) > 0.95
        assert article.title == story.title
        assert article.scored_at is not None and article.story_group_id is not None
        assert article.published_at == story.published_at and article.published_trusted


async def test_single_article_sources_and_amp_redirect_variants_are_one_article(
    db: Database, crawler: Crawler, farm: FarmServer
) -> None:
    story = farm.site.stories("kompas")[4]
    canonical = farm.outlet_url("kompas", story.path)
    await add_source(db, farm.outlet_url("kompas", story.amp_path), SourceKind.ARTICLE)
    wrong_slug = farm.outlet_url("kompas", f"/read/{story.id}/judul-lama-yang-salah.html")
    await add_source(db, wrong_slug, SourceKind.ARTICLE)  # 301 to the right slug
    summary = await crawler.run_once()
    assert [o.error for o in summary.outcomes] == [None, None]
    (article,) = await articles(db)
    assert article.url == canonical and article.url_hash == url_hash(canonical)
    assert f1(article.body, story.body) > 0.95 and article.author == story.author
    assert article.published_at == story.published_at and article.published_trusted

    await add_source(db, farm.feed_url("kompas"))  # the feed links the canonical URL
    await run_due(crawler)
    assert len(await articles(db)) == len(farm.site.stories("kompas"))


async def test_tracking_links_in_feeds_dedupe_with_listing_links(
    db: Database, crawler: Crawler, farm: FarmServer
) -> None:
    farm.site.configure("okezone", tracking_params=True)
    await add_source(db, farm.feed_url("okezone"))
    await add_source(db, farm.outlet_url("okezone", "/"), SourceKind.LISTING)
    await crawler.run_once()
    stored = await articles(db)
    assert len(stored) == len(farm.site.stories("okezone"))
    assert not any("utm_" in a.url for a in stored)


async def test_summary_only_items_wait_for_their_page_before_scoring(
    db: Database, crawler: Crawler, farm: FarmServer
) -> None:
    await add_source(db, farm.feed_url("sindonews"))
    await crawler.crawl_due()
    pending = await articles(db)
    assert pending and all(a.text_state == TextState.PENDING for a in pending)
    assert all(a.summary and not a.body for a in pending)
    await crawler.process_pending()
    assert all(a.scored_at is None for a in await articles(db))  # nothing scored on a summary

    await crawler.fetch_pages()
    await crawler.process_pending()
    for article in await articles(db):
        story = story_for(farm, "sindonews", article.url)
        assert article.text_state == TextState.DONE and article.scored_at is not None
        assert f1(article.body, story.body) > 0.95 and len(article.body or "") > len(
            article.summary or ""
        )


async def test_full_content_feeds_need_no_page_fetch(
    db: Database, crawler: Crawler, farm: FarmServer
) -> None:
    farm.site.configure("fimela", full_content=True)
    await add_source(db, farm.feed_url("fimela"))
    await crawler.run_once()
    assert all(a.text_state is None and a.scored_at for a in await articles(db))
    assert not [r for r in farm.requests() if "/read/" in r.path]


async def test_failed_page_is_scored_on_its_summary_with_the_reason(
    db: Database, crawler: Crawler, farm: FarmServer
) -> None:
    story = farm.site.stories("kapanlagi")[0]
    farm.fail(farm.outlet_path("kapanlagi", story.path), 404)
    await add_source(db, farm.feed_url("kapanlagi"))
    await crawler.run_once()
    failed = next(a for a in await articles(db) if story.path in a.url)
    assert failed.text_state == TextState.FAILED and "404" in (failed.text_error or "")
    assert failed.scored_at is not None and failed.body is None and failed.summary


async def test_syndicated_copies_share_one_story_group_and_unrelated_do_not(
    db: Database, crawler: Crawler, farm: FarmServer
) -> None:
    original = farm.site.stories("kompas")[2]
    copies = [
        farm.site.syndicate(original.id, "tempo"),
        farm.site.syndicate(original.id, "okezone"),
    ]
    for slug in ("kompas", "tempo", "okezone"):
        await add_source(db, farm.feed_url(slug))
    await crawler.run_once()
    stored = await articles(db)
    by_url = {a.url: a for a in stored}
    first = by_url[farm.outlet_url("kompas", original.path)]
    members = [by_url[farm.outlet_url(c.outlet, c.path)] for c in copies]
    assert {m.story_group_id for m in members} == {first.story_group_id}
    async with db.sessionmaker() as session:
        group = await session.get(StoryGroup, first.story_group_id)
        sizes = Counter((await session.scalars(select(Article.story_group_id))).all())
    assert group is not None and group.copy_count == 3
    assert group.first_article_id == first.id and group.title == original.title
    assert group.first_published_at == original.published_at
    others = [a for a in stored if a.story_group_id != first.story_group_id]
    assert all(sizes[a.story_group_id] == 1 for a in others)  # nothing else was merged


async def test_deleted_article_is_never_reimported(
    db: Database, crawler: Crawler, farm: FarmServer
) -> None:
    await add_source(db, farm.feed_url("wowkeren"))
    await crawler.run_once()
    before = await articles(db)
    victim = before[0]
    async with db.writer.begin() as session:
        await delete_article(session, article_id=victim.id, actor="test")
    farm.site.churn_guids("wowkeren")  # the feed changes: every item is offered again
    await run_due(crawler)
    assert [a.id for a in await articles(db)] == [a.id for a in before[1:]]

    async with db.writer.begin() as session:  # even when the row itself is purged
        await session.execute(delete(Article).where(Article.id == victim.id))
    farm.site.publish_next("wowkeren")
    await run_due(crawler, days=4)
    after = await articles(db, deleted=True)
    assert victim.url_hash not in {a.url_hash for a in after}
    assert len(after) == len(before)  # the one new story in, the deleted one still out


async def test_same_title_from_one_source_within_the_window_is_one_article(
    db: Database, crawler: Crawler, farm: FarmServer
) -> None:
    await add_source(db, farm.feed_url("tribunnews"))
    await crawler.run_once()
    count = len(await articles(db))
    story = farm.site.stories("tribunnews")[0]
    repost = dataclasses.replace(
        story, id=f"{story.id}-u", published_at=story.published_at + timedelta(hours=5)
    )
    farm.site.publish(repost)
    await run_due(crawler)
    assert len(await articles(db)) == count
    later = dataclasses.replace(
        story, id=f"{story.id}-w", published_at=story.published_at + timedelta(days=6)
    )
    farm.site.publish(later)
    await run_due(crawler, days=4)
    assert len(await articles(db)) == count + 1


async def test_guid_churn_adds_no_rows(db: Database, crawler: Crawler, farm: FarmServer) -> None:
    await add_source(db, farm.feed_url("posmetro-medan", "atom"))
    await crawler.run_once()
    count = len(await articles(db))
    farm.site.churn_guids("posmetro-medan")
    await run_due(crawler)
    assert len(await articles(db, deleted=True)) == count


async def test_backfill_walks_listing_pages_and_sitemaps_back_to_a_date_idempotently(
    db: Database, crawler: Crawler, farm: FarmServer
) -> None:
    stories = farm.site.stories("okezone")  # newest first
    since = stories[8].published_at
    listing = await add_source(db, farm.outlet_url("okezone", "/"), SourceKind.LISTING)
    farm.site.configure("okezone", page_size=5)
    steps: list[int] = []
    job = Backfill(
        db, crawler.fetcher, crawler.pool, since, on_step=lambda d, _t, _n: steps.append(d)
    )
    report = await job.run(listing)
    assert report.new_items == 9 and steps == [1, 2, 3]  # page 3 is older: stop there
    assert (await job.run(listing)).new_items == 0

    sitemap = await add_source(
        db, farm.outlet_url("tempo", "/sitemap-index.xml"), SourceKind.SITEMAP
    )
    tempo_since = farm.site.stories("tempo")[-1].published_at
    report = await Backfill(db, crawler.fetcher, crawler.pool, tempo_since).run(sitemap)
    assert report.new_items == len(farm.site.stories("tempo"))
    await crawler.fetch_pages()
    assert all(a.text_state == TextState.DONE for a in await articles(db))


async def test_backfill_follows_an_index_of_indexes_and_skips_a_failing_child(
    db: Database, crawler: Crawler, farm: FarmServer
) -> None:
    stories = farm.site.stories("tempo")
    months = sorted({f"{s.published_at:%Y-%m}" for s in stories})
    broken = farm.outlet_path("tempo", f"/sitemap-{months[0]}.xml")
    farm.fail(broken, 500)
    source = await add_source(
        db, farm.outlet_url("tempo", "/sitemap-archive.xml"), SourceKind.SITEMAP
    )
    job = Backfill(db, crawler.fetcher, crawler.pool, stories[-1].published_at)
    report = await job.run(source)
    lost = [s for s in stories if f"{s.published_at:%Y-%m}" == months[0]]
    assert report.new_items == len(stories) - len(lost)
    assert [url for url, _ in report.skipped] == [farm.outlet_url("tempo", broken[6:])]
    assert "500" in report.skipped[0][1]
    farm.clear_rules()
    report = await job.run(source)  # the month that failed lands on the next run, nothing twice
    assert report.new_items == len(lost) and report.skipped == []
    assert len(await articles(db)) == len(stories)


async def test_a_sitemap_walk_ends_on_cycles_and_stops_below_three_levels(
    db: Database, crawler: Crawler, farm: FarmServer
) -> None:
    def index(*paths: str) -> bytes:
        entries = "".join(
            f"<sitemap><loc>{farm.outlet_url('tempo', p)}</loc></sitemap>" for p in paths
        )
        xmlns = "http://www.sitemaps.org/schemas/sitemap/0.9"
        return f'<sitemapindex xmlns="{xmlns}">{entries}</sitemapindex>'.encode()

    month = f"{farm.site.stories('tempo')[0].published_at:%Y-%m}"
    chain = {
        "/loop.xml": index("/loop.xml", "/a.xml"),
        "/a.xml": index("/b.xml", "/loop.xml"),
        "/b.xml": index("/c.xml", f"/sitemap-{month}.xml"),
        "/c.xml": index(f"/sitemap-{month}.xml"),
    }
    for path, body in chain.items():
        farm.set_rule(farm.outlet_path("tempo", path), status=200, body=body)
    source = await add_source(db, farm.outlet_url("tempo", "/loop.xml"), SourceKind.SITEMAP)
    since = farm.site.stories("tempo")[-1].published_at
    report = await Backfill(db, crawler.fetcher, crawler.pool, since).run(source)
    in_month = [s for s in farm.site.stories("tempo") if f"{s.published_at:%Y-%m}" == month]
    assert report.new_items == len(in_month)  # loop -> a -> b -> month sitemap
    assert report.skipped == [
        (farm.outlet_url("tempo", "/c.xml"), "sitemap index nested deeper than 3 levels")
    ]
    assert farm.hits(farm.outlet_path("tempo", "/loop.xml")) == 1  # the cycle was not re-read


async def test_polling_an_index_of_indexes_reads_its_newest_leaves(
    db: Database, crawler: Crawler, farm: FarmServer
) -> None:
    await add_source(db, farm.outlet_url("tempo", "/sitemap-archive.xml"), SourceKind.SITEMAP)
    await crawler.crawl_due()
    newest = f"{farm.site.stories('tempo')[0].published_at:%Y-%m}"
    got = {a.url for a in await articles(db)}
    want = {
        farm.outlet_url("tempo", s.path)
        for s in farm.site.stories("tempo")
        if f"{s.published_at:%Y-%m}" == newest
    }
    assert want and want <= got


async def test_two_page_stages_never_fetch_a_page_twice(db: Database, farm: FarmServer) -> None:
    await add_source(db, farm.outlet_url("sindonews", "/sitemap-news.xml"), SourceKind.SITEMAP)
    lead = Crawler(
        database=db, fetcher=Fetcher(OPTIONS), scorer=load_scorer(), pool=CpuPool(workers=0)
    )
    try:
        await lead.crawl_due()
        stages = [
            PageStage(database=db, fetcher=lead.fetcher, pool=CpuPool(workers=0), batch_size=4)
            for _ in range(3)
        ]
        await asyncio.gather(*(stage.run_pending() for stage in stages))
    finally:
        await lead.fetcher.aclose()
    pages = Counter(r.path for r in farm.requests() if "/read/" in r.path)
    assert len(pages) == len(farm.site.stories("sindonews"))
    assert set(pages.values()) == {1}
    assert sum(s.stats.claimed for s in stages) == len(pages)
    async with db.sessionmaker() as session:
        pending = await session.scalar(
            select(func.count()).where(Article.text_state == TextState.PENDING)
        )
    assert pending == 0


async def test_a_batch_of_pages_is_read_and_written_in_one_statement_each(
    db: Database, farm: FarmServer
) -> None:
    """Storing a batch costs one SELECT and one UPDATE (an executemany), not one per page."""
    await add_source(db, farm.outlet_url("sindonews", "/sitemap-news.xml"), SourceKind.SITEMAP)
    lead = Crawler(
        database=db, fetcher=Fetcher(OPTIONS), scorer=load_scorer(), pool=CpuPool(workers=0)
    )
    statements: list[tuple[str, int]] = []

    def record(conn, cursor, statement, parameters, context, executemany) -> None:  # type: ignore[no-untyped-def]
        if statement.lstrip().startswith(("SELECT", "UPDATE")) and " articles" in statement:
            rows = len(parameters) if executemany else 1
            statements.append((statement.split(None, 1)[0], rows))

    try:
        await lead.crawl_due()
        stage = PageStage(database=db, fetcher=lead.fetcher, pool=CpuPool(workers=0), batch_size=8)
        event.listen(db.engine.sync_engine, "before_cursor_execute", record)
        try:
            stats = await stage.run_pending()
        finally:
            event.remove(db.engine.sync_engine, "before_cursor_execute", record)
    finally:
        await lead.fetcher.aclose()
    pages = len(farm.site.stories("sindonews"))
    batches = -(-pages // 8)
    assert stats.extracted == pages
    # Per batch: the claim's SELECT and UPDATE .. RETURNING, then the store's SELECT and UPDATE.
    # (The claim's last, empty SELECT ends the loop.)
    assert Counter(kind for kind, _ in statements) == {
        "SELECT": 2 * batches + 1,
        "UPDATE": 2 * batches,
    }
    # The claims' UPDATEs are one row of parameters each; the stores' carry one row per page.
    assert sum(rows for kind, rows in statements if kind == "UPDATE") == batches + pages


async def test_a_cycle_scores_what_is_stored_while_slower_sources_are_still_fetched(
    db: Database, crawler: Crawler, farm: FarmServer
) -> None:
    """An article of a quick source reaches the issue feed before a slow source has answered."""
    farm.site.configure("fimela", full_content=True)
    farm.site.configure("tempo", full_content=True)
    quick = await add_source(db, farm.feed_url("fimela"))
    slow = await add_source(db, farm.feed_url("tempo"))
    # tempo answers once the quick source's articles are grouped (15 s at most)
    silent = threading.Event()
    farm.set_rule(farm.outlet_path("tempo", "/rss.xml"), hold=silent, delay=15.0)

    async def counts() -> tuple[int, int]:
        async with db.sessionmaker() as session:
            grouped = await session.scalar(
                select(func.count()).where(
                    Article.source_id == quick, Article.grouped_at.is_not(None)
                )
            )
            waiting = await session.scalar(select(func.count()).where(Article.source_id == slow))
        return grouped or 0, waiting or 0

    cycle = asyncio.create_task(crawler.run_once())
    seen = (0, 0)
    try:
        while not cycle.done() and seen[0] < len(farm.site.stories("fimela")):
            await asyncio.sleep(0.05)
            seen = await counts()
    finally:
        silent.set()
    summary = await cycle
    assert seen == (len(farm.site.stories("fimela")), 0)  # grouped while tempo was silent
    assert summary.scored == summary.grouped == summary.new_items == len(await articles(db))
