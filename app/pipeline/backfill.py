"""Backfill: walk a source's history back to a date (every sitemap under an index, listing pages).

Idempotent: every item goes through the same upsert as a poll, so a second run adds nothing.
A child sitemap that fails is skipped with its reason in the report; the walk goes on.
The source's schedule (validators, next check) is left alone. Items land with their text
pending; the page stage (run here too unless told not to) fetches and extracts them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from app.crawlers.discover import (
    ACCEPT_HTML,
    ACCEPT_XML,
    PAGE_KINDS,
    SitemapWalk,
    gather_items,
    listing_items,
)
from app.crawlers.extract import decode_html
from app.crawlers.fetch import Fetcher
from app.crawlers.links import next_page
from app.crawlers.parsers import FeedItem, ParseError, parse_sitemap
from app.crawlers.pool import CpuPool
from app.db import Database
from app.models import SourceKind, utcnow
from app.services import articles as article_service
from app.services import sources as source_service

MAX_PAGES = 2000  # listing pages walked at most, whatever the date says
MAX_SITEMAPS = 10_000  # sitemaps (indexes included) fetched at most by one backfill


@dataclass(slots=True)
class BackfillReport:
    steps: int = 0  # sitemaps or listing pages read
    items_seen: int = 0
    new_items: int = 0
    skipped: list[tuple[str, str]] = field(default_factory=list)  # (child sitemap, reason)


Progress = Callable[[int, int | None, int], None]  # (steps done, steps known or None, new items)


@dataclass(slots=True)
class Backfill:
    database: Database
    fetcher: Fetcher
    pool: CpuPool
    since: datetime
    on_step: Progress | None = None

    async def run(self, source_id: int) -> BackfillReport:
        async with self.database.sessionmaker() as session:
            source = await source_service.get_source(session, source_id=source_id)
            kind, url, selector = source.kind, source.url, source.selector
        report = BackfillReport()
        if kind == SourceKind.SITEMAP:
            await self._sitemap(source_id, url, report)
        elif kind == SourceKind.LISTING:
            await self._listing(source_id, url, selector, report)
        else:  # a feed or an article has no history beyond what one fetch shows
            get = self.fetcher.fetch_page if kind in PAGE_KINDS else self.fetcher.fetch
            result = await get(url)
            feed = await gather_items(
                kind,
                result,
                fetcher=self.fetcher,
                pool=self.pool,
                selector=selector,
                max_children=0,
                now=utcnow(),
            )
            await self._store(source_id, feed.items, report, total=1)
        return report

    async def _sitemap(self, source_id: int, url: str, report: BackfillReport) -> None:
        result = await self.fetcher.fetch(url, accept=ACCEPT_XML)
        feed, child_urls = parse_sitemap(result.body, now=utcnow())
        if not child_urls:
            await self._store(source_id, feed.items, report, total=1)
            return
        walk = SitemapWalk(limit=MAX_SITEMAPS, since=self.since)
        async for _url, leaf in walk.leaves(self.fetcher, result, now=utcnow()):
            await self._store(source_id, leaf.items, report, total=walk.found)
        report.skipped = walk.skipped

    async def _listing(
        self, source_id: int, url: str, selector: str | None, report: BackfillReport
    ) -> None:
        page_url: str | None = url
        visited: set[str] = set()
        while page_url and page_url not in visited and len(visited) < MAX_PAGES:
            visited.add(page_url)
            result = await self.fetcher.fetch_page(page_url, accept=ACCEPT_HTML)
            try:
                items = listing_items(result, selector=selector).items
            except ParseError:
                break  # past the last page
            await self._store(source_id, items, report, total=None)
            dated = [i.published for i in items if i.published is not None]
            if dated and max(dated) < self.since:
                break  # this page is entirely older than the backfill horizon
            page_url = next_page(decode_html(result.body, result.headers), url=result.url)

    async def _store(
        self, source_id: int, items: list[FeedItem], report: BackfillReport, *, total: int | None
    ) -> None:
        wanted = [i for i in items if i.published is None or i.published >= self.since]
        async with self.database.writer.begin() as session:
            new_ids = await article_service.upsert_items(
                session, source_id=source_id, items=wanted, fetched_at=utcnow()
            )
        report.steps += 1
        report.items_seen += len(wanted)
        report.new_items += len(new_ids)
        if self.on_step is not None:
            self.on_step(report.steps, total, report.new_items)
