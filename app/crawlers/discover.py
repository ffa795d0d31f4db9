"""Items from the source kinds beyond feeds: sitemaps (and indexes), listing pages, one article.

A sitemap index is followed to its children, newest first by `lastmod`, skipping children whose
`lastmod` says nothing changed since `since`, at most `max_children` of them; an index inside an
index is followed too, up to three levels. Listing pages give
links (by the source's CSS selector, or by heuristics). An article source is one page, extracted
at once. Sitemap and listing items carry no text: the page stage fetches and extracts them.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import lxml.etree

from app.crawlers.dates import bounded_time
from app.crawlers.extract import ExtractJob, decode_html, extract_batch
from app.crawlers.factcheck import claim_rows, parse_factcheck
from app.crawlers.fetch import Fetcher, FetchError, FetchResult
from app.crawlers.links import parse_listing
from app.crawlers.parsers import (
    MAX_ITEMS,
    SITEMAP_NS,
    FeedItem,
    ParsedFeed,
    ParseError,
    _iso,
    check_xml_safety,
    parse_feed,
    parse_sitemap,
)
from app.crawlers.pool import CpuPool, PoolTimeout
from app.crawlers.rows import article_rows
from app.crawlers.search import parse_news_search
from app.crawlers.social import parse_post_source
from app.models import SOCIAL_KINDS, SourceKind

logger = logging.getLogger(__name__)

ACCEPT_HTML = "text/html,application/xhtml+xml;q=0.9,*/*;q=0.5"
ACCEPT_XML = "application/xml,text/xml;q=0.9,*/*;q=0.5"
# Sources that are web pages for people: fetched through robots.txt (`Fetcher.fetch_page`),
# like the page stage's article pages. Feeds and sitemaps are published for crawlers to poll.
# A Telegram channel's web preview is such a page too.
PAGE_KINDS = frozenset({SourceKind.LISTING, SourceKind.ARTICLE, SourceKind.TELEGRAM})
RECENT_CHILDREN = timedelta(days=2)
MAX_SITEMAP_ITEMS = 1000
MAX_SITEMAP_DEPTH = 3  # index -> index -> index of sitemaps: deeper nesting is not followed


@dataclass(frozen=True, slots=True)
class SitemapChild:
    url: str
    lastmod: datetime | None


def sitemap_children(body: bytes, *, now: datetime | None = None) -> list[SitemapChild]:
    """The child sitemaps of a sitemap index, newest `lastmod` first (unknown ones last; an
    impossible `lastmod` is unknown)."""
    now = now or datetime.now(UTC)
    check_xml_safety(body)
    parser = lxml.etree.XMLParser(
        resolve_entities=False, no_network=True, huge_tree=False, load_dtd=False
    )
    try:
        root = lxml.etree.fromstring(body.lstrip(), parser=parser)
    except lxml.etree.XMLSyntaxError as exc:
        raise ParseError(f"invalid sitemap XML: {exc}") from None
    children = []
    for node in root.xpath("sm:sitemap", namespaces=SITEMAP_NS):
        loc = (node.findtext("sm:loc", namespaces=SITEMAP_NS) or "").strip()
        if loc:
            stamp = node.findtext("sm:lastmod", namespaces=SITEMAP_NS)
            lastmod = bounded_time(_iso(stamp), now=now)[0] if stamp else None
            children.append(SitemapChild(loc, lastmod))
    epoch = datetime.min.replace(tzinfo=UTC)
    return sorted(children, key=lambda c: c.lastmod or epoch, reverse=True)


async def sitemap_items(
    fetcher: Fetcher,
    result: FetchResult,
    *,
    max_children: int,
    now: datetime,
    since: datetime | None = None,
    recent: timedelta | None = RECENT_CHILDREN,
    max_items: int = MAX_SITEMAP_ITEMS,
    pool: CpuPool | None = None,
    time_limit: float | None = None,
) -> ParsedFeed:
    """Items of a sitemap, or of the recent leaf sitemaps under a sitemap index.

    `recent` keeps children whose lastmod is within that span of their index's newest lastmod
    (polling: only what changed lately); `since` (backfill) keeps children and items from that
    time on. Children without a lastmod are always considered; at most `max_children` sitemaps
    are fetched, nested indexes included.
    """
    job = SitemapJob(result.body, now, max_items)
    if pool is None:
        feed, child_urls = sitemap_batch([job])[0]
    else:
        feed, child_urls = (await pool.map_batch(sitemap_batch, [job], time_limit=time_limit))[0]
    if not child_urls:
        return _cap(feed, since, max_items)
    merged = ParsedFeed(format="sitemapindex")
    walk = SitemapWalk(limit=max_children, since=since, recent=recent)
    async for _url, leaf in walk.leaves(fetcher, result, now=now):
        merged.items.extend(leaf.items)
        for reason, count in leaf.skipped.items():
            merged.skip(reason, count)
    return _cap(merged, since, max_items)


@dataclass(slots=True)
class SitemapWalk:
    """A depth-first walk of a sitemap index down to its leaf sitemaps, newest children first.

    Indexes of indexes (a year's index of month sitemaps, say) are followed up to
    MAX_SITEMAP_DEPTH levels; a URL already seen is not fetched twice, so a cycle ends. A child
    that fails to fetch or parse is skipped with its reason in `skipped`; the walk goes on.
    """

    limit: int  # sitemaps fetched at most, indexes included
    since: datetime | None = None
    recent: timedelta | None = None
    fetched: int = 0
    found: int = 0  # children considered so far (grows as nested indexes are opened)
    skipped: list[tuple[str, str]] = field(default_factory=list)
    _seen: set[str] = field(default_factory=set)

    async def leaves(
        self, fetcher: Fetcher, index: FetchResult, *, now: datetime
    ) -> AsyncIterator[tuple[str, ParsedFeed]]:
        """(url, parsed sitemap) for each leaf sitemap under the fetched index `index`."""
        self._seen.add(index.url)
        async for leaf in self._walk(fetcher, index.body, now=now, depth=1):
            yield leaf

    async def _walk(
        self, fetcher: Fetcher, body: bytes, *, now: datetime, depth: int
    ) -> AsyncIterator[tuple[str, ParsedFeed]]:
        children = sitemap_children(body, now=now)
        newest = next((c.lastmod for c in children if c.lastmod), None)
        floor = self.since
        if self.recent is not None and newest is not None:
            floor = max(floor or newest - self.recent, newest - self.recent)
        children = [c for c in children if not _stale(c, floor) and c.url not in self._seen]
        self.found += len(children)
        for child in children:
            if self.fetched >= self.limit:
                return
            if child.url in self._seen:
                continue  # listed twice in one walk
            self._seen.add(child.url)
            self.fetched += 1
            try:
                fetched = await fetcher.fetch(child.url, accept=ACCEPT_XML)
                items, nested = parse_sitemap(fetched.body, now=now)
            except (FetchError, ParseError) as exc:
                self._skip(child.url, exc.reason if isinstance(exc, FetchError) else str(exc))
                continue
            if not nested:
                yield child.url, items
            elif depth >= MAX_SITEMAP_DEPTH:
                reason = f"sitemap index nested deeper than {MAX_SITEMAP_DEPTH} levels"
                self._skip(child.url, reason)
            else:
                async for leaf in self._walk(fetcher, fetched.body, now=now, depth=depth + 1):
                    yield leaf

    def _skip(self, url: str, reason: str) -> None:
        logger.warning("child sitemap skipped", extra={"url": url, "reason": reason})
        self.skipped.append((url, reason))


def _cap(feed: ParsedFeed, since: datetime | None, max_items: int) -> ParsedFeed:
    """Newest first, not older than `since`, at most `max_items` (bounded work per poll)."""
    epoch = datetime.min.replace(tzinfo=UTC)
    items = [i for i in feed.items if since is None or _recent(i, since)]
    items.sort(key=lambda i: i.published or epoch, reverse=True)
    if len(items) > max_items:
        feed.skip(f"items over the per-feed cap of {max_items} (not read)", len(items) - max_items)
    feed.items = items[:max_items]
    return feed


def _stale(child: SitemapChild, since: datetime | None) -> bool:
    return since is not None and child.lastmod is not None and child.lastmod < since


def _recent(item: FeedItem, since: datetime) -> bool:
    return item.published is None or item.published >= since


def listing_items(
    result: FetchResult, *, selector: str | None, max_items: int = MAX_ITEMS
) -> ParsedFeed:
    """Article links of a listing page as items without text (at most `max_items`)."""
    html = decode_html(result.body, result.headers)
    if not html.strip():
        raise ParseError("empty response body where a listing page was expected")
    links = parse_listing(html, url=result.url, selector=selector)
    if not links:
        raise ParseError("no article links found on the listing page")
    feed = ParsedFeed(format="listing")
    if len(links) > max_items:
        feed.skip(f"items over the per-feed cap of {max_items} (not read)", len(links) - max_items)
    for link in links[:max_items]:
        published, trusted, note = bounded_time(link.published, now=datetime.now(UTC))
        item = FeedItem(
            url=link.url, title=link.title, published=published, published_trusted=trusted
        )
        if note:
            feed.skip(note)
        feed.items.append(item)
    return feed


async def article_items(
    pool: CpuPool, result: FetchResult, *, time_limit: float | None = None
) -> ParsedFeed:
    """One article page, extracted now (it is already fetched)."""
    job = ExtractJob(result.body, result.url, result.headers.get("content-type"))
    (extracted,) = await pool.map_batch(extract_batch, [job], time_limit=time_limit)
    content = extracted.content
    if not content.text:
        raise ParseError("no article text found on the page")
    return ParsedFeed(
        format="article",
        items=[
            FeedItem(
                url=content.canonical_url or result.url,
                title=content.title or "",
                body=content.text,
                author=content.author,
                published=content.published,
                published_trusted=content.published_trusted,
            )
        ],
    )


@dataclass(frozen=True, slots=True)
class FeedJob:
    """A fetched feed body to parse in a pool process (and the source its rows are for)."""

    body: bytes
    headers: dict[str, str]
    now: datetime
    source_id: int | None = None
    max_items: int = MAX_ITEMS


def parse_feed_batch(jobs: list[FeedJob]) -> list[ParsedFeed]:
    """`parse_feed` for a batch, with the article rows of each feed's items built alongside
    (URL normalisation and hashing are CPU work too); the pool's entry point. A ParseError
    fails the batch."""
    out = []
    for job in jobs:
        feed = parse_feed(job.body, headers=job.headers, now=job.now, max_items=job.max_items)
        feed.rows = article_rows(
            feed.items, source_id=job.source_id, fetched_at=job.now, skipped=feed.skipped
        )
        out.append(feed)
    return out


async def gather_items(
    kind: str,
    result: FetchResult,
    *,
    fetcher: Fetcher,
    pool: CpuPool,
    selector: str | None,
    max_children: int,
    now: datetime,
    source_id: int | None = None,
    max_items: int = MAX_ITEMS,
    time_limit: float | None = None,
) -> ParsedFeed:
    """The items a fetched source body yields, by the source's kind (one poll), at most
    `max_items` of them (the excess counted in `ParsedFeed.skipped`).

    Parsing runs in the CPU pool under `time_limit` seconds of wall clock: past it the worker
    is killed and the poll fails with a ParseError saying so.

    A feed is parsed in the CPU pool, which also builds its article rows for `source_id`
    stamped `now` (`ParsedFeed.rows`).
    """
    try:
        if kind == SourceKind.FEED:
            # feedparser is pure-Python CPU work: in the pool it runs on another core, and the
            # event loop stays free for the other sources' database writes meanwhile.
            job = FeedJob(result.body, dict(result.headers), now, source_id, max_items)
            return (await pool.map_batch(parse_feed_batch, [job], time_limit=time_limit))[0]
        if kind == SourceKind.SITEMAP:
            return await sitemap_items(
                fetcher,
                result,
                max_children=max_children,
                now=now,
                max_items=max_items,
                pool=pool,
                time_limit=time_limit,
            )
        if kind in SOCIAL_KINDS or kind in (SourceKind.NEWS_SEARCH, SourceKind.FACTCHECK):
            other = OtherJob(
                kind, result.body, dict(result.headers), result.url, now, source_id, max_items
            )
            return (await pool.map_batch(other_batch, [other], time_limit=time_limit))[0]
        if kind == SourceKind.LISTING:
            listing = ListingJob(result, selector, max_items)
            return (await pool.map_batch(listing_batch, [listing], time_limit=time_limit))[0]
        if kind == SourceKind.ARTICLE:
            return await article_items(pool, result, time_limit=time_limit)
    except PoolTimeout as exc:
        raise ParseError(f"parsing the {kind} {exc} (a hostile or broken document)") from None
    raise ParseError(f"unknown source kind {kind!r}")


@dataclass(frozen=True, slots=True)
class ListingJob:
    result: FetchResult
    selector: str | None
    max_items: int


def listing_batch(jobs: list[ListingJob]) -> list[ParsedFeed]:
    """`listing_items` for a batch: the pool's entry point."""
    return [listing_items(j.result, selector=j.selector, max_items=j.max_items) for j in jobs]


@dataclass(frozen=True, slots=True)
class SitemapJob:
    body: bytes
    now: datetime
    max_items: int


def sitemap_batch(jobs: list[SitemapJob]) -> list[tuple[ParsedFeed, list[str]]]:
    """`parse_sitemap` for a batch: the pool's entry point."""
    return [parse_sitemap(j.body, now=j.now, max_items=j.max_items) for j in jobs]


@dataclass(frozen=True, slots=True)
class OtherJob:
    """A fetched social, news-search or fact-check body to parse in a pool process."""

    kind: str
    body: bytes
    headers: dict[str, str]
    url: str
    now: datetime
    source_id: int | None = None
    max_items: int = MAX_ITEMS


def other_batch(jobs: list[OtherJob]) -> list[ParsedFeed]:
    """The pool's entry point for the social, news-search and fact-check kinds: posts come
    with their rows, claims with theirs; a news search's items wait for their links to be
    resolved (the crawl stage builds their rows)."""
    out = []
    for job in jobs:
        now, headers, cap = job.now, job.headers, job.max_items
        if job.kind == SourceKind.NEWS_SEARCH:
            out.append(parse_news_search(job.body, now=now, headers=headers, max_items=cap))
            continue
        if job.kind == SourceKind.FACTCHECK:
            feed = parse_factcheck(job.body, url=job.url, now=now, headers=headers, max_items=cap)
            feed.claims = claim_rows(
                feed.items, source_id=job.source_id, fetched_at=job.now, skipped=feed.skipped
            )
            out.append(feed)
            continue
        feed = parse_post_source(
            job.kind, job.body, url=job.url, now=now, headers=headers, max_items=cap
        )
        feed.rows = article_rows(
            feed.items, source_id=job.source_id, fetched_at=job.now, skipped=feed.skipped
        )
        out.append(feed)
    return out
