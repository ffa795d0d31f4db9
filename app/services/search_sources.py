"""A watchlist's search sources: query-driven discovery beyond the registered outlets.

`set_search_sources` makes the watchlist's search sources exactly one per (platform, watched
entity): a Google News RSS search in Indonesian (read as the publishers' articles, each link
resolved to the publisher before storage: crawlers/search.py), a Reddit search feed and a
Bluesky post search, each searching the entity's name and aliases. They are ordinary sources
(scheduled, polite, behind the fetch address guard) linked to the watchlist; one search shared
by two watchlists is one source. A search no watchlist links any more is disabled, history kept;
a source registered by hand that a search happens to equal is linked, never disabled.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from app.crawlers.search import (
    BLUESKY,
    GOOGLE_NEWS,
    REDDIT,
    SEARCH_PLATFORMS,
    search_query,
)
from app.crawlers.urls import normalise_url, url_hash
from app.errors import InvalidInput, NotFound
from app.models import Source, SourceKind, WatchedEntity, Watchlist, WatchlistSearchSource
from app.services.sources import NewSource, create_source

SEARCH_CATEGORY = "search"  # the category of the sources made here
LABELS = {"google_news": "Google News", "reddit": "Reddit", "bluesky": "Bluesky"}


@dataclass(frozen=True, slots=True)
class SearchBases:
    """Where each platform's search is (Settings: `search_*_url`)."""

    google_news: str = GOOGLE_NEWS
    reddit: str = REDDIT
    bluesky: str = BLUESKY

    def of(self, platform: str) -> str:
        return str(getattr(self, platform))


@dataclass(frozen=True, slots=True)
class SearchSource:
    source: Source
    platform: str
    terms: str


async def _watchlist(session: AsyncSession, watchlist_id: int) -> Watchlist:
    watchlist = await session.get(Watchlist, watchlist_id)
    if watchlist is None:
        raise NotFound(f"watchlist {watchlist_id} not found")
    return watchlist


async def entity_queries(session: AsyncSession, *, watchlist: Watchlist) -> list[str]:
    """One search query per active watched entity of the watchlist, in id order."""
    if not watchlist.entity_ids:
        return []
    entities = await session.scalars(
        select(WatchedEntity)
        .where(WatchedEntity.id.in_(watchlist.entity_ids), WatchedEntity.active)
        .order_by(WatchedEntity.id)
    )
    return [q for e in entities if (q := search_query([e.name, *(e.aliases or [])]))]


async def _source_for(
    session: AsyncSession, *, platform: str, terms: str, bases: SearchBases
) -> Source:
    """The source searching `terms` on `platform`: found by URL, or made (or re-enabled)."""
    kind, build = SEARCH_PLATFORMS[platform]
    url = normalise_url(build(terms, base=bases.of(platform)))
    source = await session.scalar(select(Source).where(Source.url_hash == url_hash(url)))
    if source is None:
        data = NewSource(
            url=url,
            kind=SourceKind(kind),
            name=f"{LABELS[platform]}: {terms}"[:200],
            language="id",
            category=SEARCH_CATEGORY,
        )
        return await create_source(session, data=data)
    if source.category == SEARCH_CATEGORY and not source.enabled:
        source.enabled = True
    return source


async def set_search_sources(
    session: AsyncSession,
    *,
    watchlist_id: int,
    platforms: Sequence[str],
    terms: Sequence[str] | None,
    bases: SearchBases,
) -> list[SearchSource]:
    """Make the watchlist's search sources one per platform and query: the queries are
    `terms` when given, else the watchlist's entities (names and aliases)."""
    watchlist = await _watchlist(session, watchlist_id)
    if terms is not None:
        queries = [q for t in terms if (q := search_query([t]))]
    else:
        queries = await entity_queries(session, watchlist=watchlist)
    if platforms and not queries:
        raise InvalidInput(
            f"watchlist {watchlist_id} has no active entities to search for: add entity_ids "
            "to it, or give `terms`",
            hint="give terms, or platforms: [] to remove the search sources",
        )
    distinct: dict[str, str] = {}  # searches ignore case: "Banjir Batu" is "banjir batu"
    for query in queries:
        distinct.setdefault(query.casefold(), query)
    wanted: dict[int, tuple[str, str]] = {}
    for platform in dict.fromkeys(platforms):
        for query in distinct.values():
            source = await _source_for(session, platform=platform, terms=query, bases=bases)
            wanted.setdefault(source.id, (platform, query))
    links = {
        link.source_id: link
        for link in await session.scalars(
            select(WatchlistSearchSource).where(WatchlistSearchSource.watchlist_id == watchlist_id)
        )
    }
    for source_id, (platform, query) in wanted.items():
        link = links.get(source_id)
        if link is None:
            session.add(
                WatchlistSearchSource(
                    watchlist_id=watchlist_id, source_id=source_id, platform=platform, terms=query
                )
            )
        else:
            link.platform, link.terms = platform, query
    gone = [s for s in links if s not in wanted]
    if gone:
        await session.execute(
            delete(WatchlistSearchSource).where(
                WatchlistSearchSource.watchlist_id == watchlist_id,
                WatchlistSearchSource.source_id.in_(gone),
            )
        )
    await session.flush()
    await disable_unlinked(session, source_ids=gone)
    return await list_search_sources(session, watchlist_id=watchlist_id)


async def disable_unlinked(session: AsyncSession, *, source_ids: Sequence[int]) -> None:
    """Disable the search sources made here that no watchlist links any more."""
    if not source_ids:
        return
    linked = select(WatchlistSearchSource.source_id).where(
        WatchlistSearchSource.source_id.in_(source_ids)
    )
    await session.execute(
        update(Source)
        .where(
            Source.id.in_(source_ids),
            Source.category == SEARCH_CATEGORY,
            Source.id.not_in(linked),
        )
        .values(enabled=False)
    )


async def list_search_sources(session: AsyncSession, *, watchlist_id: int) -> list[SearchSource]:
    """The watchlist's search sources by platform and query."""
    await _watchlist(session, watchlist_id)
    rows = await session.execute(
        select(Source, WatchlistSearchSource.platform, WatchlistSearchSource.terms)
        .join(WatchlistSearchSource, WatchlistSearchSource.source_id == Source.id)
        .where(WatchlistSearchSource.watchlist_id == watchlist_id)
        .order_by(WatchlistSearchSource.platform, WatchlistSearchSource.terms, Source.id)
    )
    return [SearchSource(s, p, t) for s, p, t in rows.all()]
