"""Articles: idempotent ingestion and the article queries behind the API."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import defer

from app.crawlers.parsers import FeedItem
from app.crawlers.rows import article_rows
from app.db import insert_or_ignore
from app.errors import NotFound
from app.models import Article, ChangeKind, IssueArticle
from app.services.changes import ChangeBatch, Position, read_changes
from app.services.dedup import drop_known
from app.services.pagination import (
    SortKey,
    keyset_page,
    page_cursor,
    sort_key,
)
from app.services.search import SearchQuery, highlights, match_condition
from app.services.timewindow import check_window
from app.services.watchlists import in_watchlists, mentions_entities


async def upsert_items(
    session: AsyncSession, *, source_id: int | None, items: Sequence[FeedItem], fetched_at: datetime
) -> list[int]:
    """Insert items not seen before; return the new articles' ids (see `insert_rows`)."""
    rows = article_rows(items, source_id=source_id, fetched_at=fetched_at)
    return await insert_rows(session, source_id=source_id, rows=rows)


async def insert_rows(
    session: AsyncSession, *, source_id: int | None, rows: list[dict[str, Any]]
) -> list[int]:
    """Insert rows from `crawlers.rows.article_rows` not seen before; return the new articles' ids.

    Tombstoned URLs and per-source title/content duplicates are dropped first (services/dedup.py);
    a row conflicting on the canonical-URL hash is left untouched, so re-running a crawl never
    duplicates or rewrites.
    """
    if not rows:
        return []
    values = await drop_known(session, source_id=source_id, rows=rows)
    if not values:
        return []
    # One statement with a list of parameter sets: SQLAlchemy sends it as batched multi-row
    # INSERTs ("insertmanyvalues") from a statement compiled once and cached, where a
    # `.values([...])` of 500 rows was compiled afresh, bind parameter by bind parameter.
    statement = insert_or_ignore(session, Article, index_elements=["url_hash"]).returning(
        Article.id
    )
    return sorted((await session.scalars(statement, values)).all())


async def known_guids(session: AsyncSession, *, source_id: int, guids: Sequence[str]) -> set[str]:
    """The GUIDs among `guids` that this source already stored."""
    if not guids:
        return set()
    found = await session.scalars(
        select(Article.guid).where(Article.source_id == source_id, Article.guid.in_(set(guids)))
    )
    return {g for g in found.all() if g}


async def drop_outlet_copies(
    session: AsyncSession, *, rows: list[dict[str, Any]]
) -> list[dict[str, Any]]:
    """Rows whose outlet already has an article with the same title (a search result the
    outlet's own feed brought under another URL) left out."""
    keyed = {(r["outlet"], r["title_key"]) for r in rows if r["title_key"]}
    if not keyed:
        return rows
    found = await session.execute(
        select(Article.outlet, Article.title_key).where(
            Article.title_key.in_({k for _, k in keyed}),
            Article.outlet.in_({o for o, _ in keyed}),
        )
    )
    seen = {(o, k) for o, k in found.all()}
    return [r for r in rows if (r["outlet"], r["title_key"]) not in seen]


ARTICLE_SORTS = {
    s.name: s
    for s in (
        SortKey("-published_at", Article.published_at, datetime),
        SortKey("published_at", Article.published_at, datetime, descending=False),
    )
}
DEFAULT_ARTICLE_SORT = "-published_at"


@dataclass(frozen=True, slots=True)
class ArticleFilters:
    source_ids: tuple[int, ...] = ()
    outlets: tuple[str, ...] = ()
    kinds: tuple[str, ...] = ()  # article, post
    languages: tuple[str, ...] = ()
    labels: tuple[str, ...] = ()
    min_negativity: float | None = None
    max_negativity: float | None = None
    since: datetime | None = None
    until: datetime | None = None
    search: SearchQuery | None = None
    watchlist_ids: tuple[int, ...] = ()  # matched by any of these watchlists
    entities: tuple[str, ...] = ()  # mentioning any of these watched entities (by name)


def filtered_articles(session: AsyncSession, filters: ArticleFilters) -> Select[Article]:
    """Live articles matching `filters`, unordered (list, export and stats share it)."""
    check_window(filters.since, filters.until)
    query = select(Article).where(Article.deleted_at.is_(None))
    if filters.source_ids:
        query = query.where(Article.source_id.in_(filters.source_ids))
    if filters.outlets:
        query = query.where(Article.outlet.in_(filters.outlets))
    if filters.kinds:
        query = query.where(Article.kind.in_(filters.kinds))
    if filters.languages:
        query = query.where(Article.language.in_(filters.languages))
    if filters.labels:
        query = query.where(Article.label.in_(filters.labels))
    if filters.min_negativity is not None:
        query = query.where(Article.negativity >= filters.min_negativity)
    if filters.max_negativity is not None:
        query = query.where(Article.negativity <= filters.max_negativity)
    if filters.since is not None:
        query = query.where(Article.published_at >= filters.since)
    if filters.until is not None:
        query = query.where(Article.published_at < filters.until)
    if filters.search is not None:
        query = query.where(match_condition(session, filters.search))
    if filters.watchlist_ids:
        query = query.where(in_watchlists(filters.watchlist_ids))
    if filters.entities:
        query = query.where(mentions_entities(session, filters.entities))
    return query


# Columns a list never shows: not fetched (bodies are most of a row's size).
_LIST_DEFERRED = (defer(Article.body), defer(Article.explanation), defer(Article.targets))


@dataclass(frozen=True, slots=True)
class ArticleRow:
    article: Article
    issue_id: int | None
    highlight: str | None = None


async def list_articles(
    session: AsyncSession,
    *,
    filters: ArticleFilters,
    limit: int,
    cursor: str | None = None,
    sort: str = DEFAULT_ARTICLE_SORT,
) -> tuple[list[ArticleRow], str | None]:
    """One page in a whitelisted order (ties by id), with highlights when searching."""
    key = sort_key(ARTICLE_SORTS, sort)
    query = keyset_page(
        filtered_articles(session, filters)
        .options(*_LIST_DEFERRED)
        .add_columns(IssueArticle.issue_id)
        .outerjoin(IssueArticle, IssueArticle.article_id == Article.id),
        sort=key,
        id_column=Article.id,
        cursor=cursor,
        limit=limit,
    )
    rows = (await session.execute(query)).all()
    next_cursor = page_cursor(key, rows[limit - 1][0]) if len(rows) > limit else None
    rows = rows[:limit]
    marks: dict[int, str] = {}
    if filters.search is not None:
        marks = await highlights(session, filters.search, [r[0].id for r in rows])
    return [ArticleRow(a, issue_id, marks.get(a.id)) for a, issue_id in rows], next_cursor


@dataclass(frozen=True, slots=True)
class ArticleSyncItem:
    """One entry of a sync page: the current article, or a tombstone when `row` is None."""

    id: int
    row: ArticleRow | None


async def sync_articles(
    session: AsyncSession, *, after: Position, limit: int
) -> tuple[list[ArticleSyncItem], ChangeBatch]:
    """Articles changed after `after`, as current rows or tombstones."""
    batch = await read_changes(session, entity="article", after=after, limit=limit)
    wanted = [c.entity_id for c in batch.changes if c.kind is ChangeKind.UPSERT]
    query = (
        select(Article, IssueArticle.issue_id)
        .outerjoin(IssueArticle, IssueArticle.article_id == Article.id)
        .where(Article.id.in_(wanted), Article.deleted_at.is_(None))
    )
    found = {a.id: ArticleRow(a, i) for a, i in (await session.execute(query)).all()}
    return [ArticleSyncItem(c.entity_id, found.get(c.entity_id)) for c in batch.changes], batch


async def get_article(session: AsyncSession, *, article_id: int) -> tuple[Article, int | None]:
    row = (
        await session.execute(
            select(Article, IssueArticle.issue_id)
            .outerjoin(IssueArticle, IssueArticle.article_id == Article.id)
            .where(Article.id == article_id, Article.deleted_at.is_(None))
        )
    ).first()
    if row is None:
        raise NotFound(f"article {article_id} does not exist")
    return row[0], row[1]
