"""Articles: idempotent ingestion and the article queries behind the API."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import defer

from app.crawlers.parsers import FeedItem, storable
from app.crawlers.urls import InvalidURLError, host_of, normalise_url, url_hash
from app.db import is_postgres
from app.errors import NotFound
from app.models import Article, ChangeKind, IssueArticle, TextState
from app.services.changes import ChangeBatch, Position, read_changes
from app.services.dedup import drop_known, title_key
from app.services.pagination import (
    SortKey,
    keyset_page,
    page_cursor,
    sort_key,
)
from app.services.search import SearchQuery, highlights, match_condition
from app.services.timewindow import check_window
from app.services.watchlists import in_watchlists, mentions_entities

_NON_WORD = re.compile(r"\W+", re.UNICODE)


def content_hash(title: str, text: str | None) -> str:
    """Hash of the normalised title and text: equal for byte-different copies of one story."""
    normalised = _NON_WORD.sub(" ", f"{title}\n{text or ''}".lower()).strip()
    return hashlib.sha256(normalised.encode("utf-8")).hexdigest()


def _row_for(
    item: FeedItem, *, source_id: int | None, fetched_at: datetime
) -> dict[str, Any] | None:
    try:
        url = normalise_url(item.url)
    except InvalidURLError:
        return None
    # Control characters out first: PostgreSQL refuses NUL, and one would fail the whole feed.
    title = storable(item.title) or ""
    summary, body, author = storable(item.summary), storable(item.body), storable(item.author)
    text = body or summary
    published = item.published or fetched_at
    return {
        "source_id": source_id,
        "url": url,
        "url_hash": url_hash(url),
        "guid": storable(item.guid),
        "outlet": host_of(url),
        "title": title[:2000],
        "summary": summary,
        "body": body,
        "author": (author or None) and author[:300],
        "published_at": published,
        "published_trusted": item.published_trusted,
        "fetched_at": fetched_at,
        "content_hash": content_hash(title, text) if text else None,
        "title_key": title_key(title),
        # Without a body the page stage fetches and extracts the article before it is scored.
        "text_state": None if body else TextState.PENDING,
        "created_at": fetched_at,
        "updated_at": fetched_at,
    }


def article_rows(
    items: Sequence[FeedItem], *, source_id: int | None, fetched_at: datetime
) -> list[dict[str, Any]]:
    """The rows `insert_rows` stores for these items (pure: the CPU pool can build them)."""
    rows: dict[str, dict[str, Any]] = {}
    for item in items:
        row = _row_for(item, source_id=source_id, fetched_at=fetched_at)
        if row is not None:
            rows.setdefault(row["url_hash"], row)  # duplicate GUIDs/links within one feed
    return list(rows.values())


async def upsert_items(
    session: AsyncSession, *, source_id: int | None, items: Sequence[FeedItem], fetched_at: datetime
) -> list[int]:
    """Insert items not seen before; return the new articles' ids (see `insert_rows`)."""
    rows = article_rows(items, source_id=source_id, fetched_at=fetched_at)
    return await insert_rows(session, source_id=source_id, rows=rows)


async def insert_rows(
    session: AsyncSession, *, source_id: int | None, rows: list[dict[str, Any]]
) -> list[int]:
    """Insert rows from `article_rows` not seen before; return the new articles' ids.

    Tombstoned URLs and per-source title/content duplicates are dropped first (services/dedup.py);
    a row conflicting on the canonical-URL hash is left untouched, so re-running a crawl never
    duplicates or rewrites.
    """
    if not rows:
        return []
    values = await drop_known(session, source_id=source_id, rows=rows)
    if not values:
        return []
    insert = postgresql.insert if is_postgres(session) else sqlite.insert
    # One statement with a list of parameter sets: SQLAlchemy sends it as batched multi-row
    # INSERTs ("insertmanyvalues") from a statement compiled once and cached, where a
    # `.values([...])` of 500 rows was compiled afresh, bind parameter by bind parameter.
    statement = (
        insert(Article).on_conflict_do_nothing(index_elements=["url_hash"]).returning(Article.id)
    )
    return sorted((await session.scalars(statement, values)).all())


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
        query = query.where(mentions_entities(filters.entities, postgres=is_postgres(session)))
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
