"""Issues: the issue feed queries (grouping articles into issues is services/clustering.py)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, Select, exists, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.errors import NotFound
from app.models import (
    Article,
    ArticleWatchlist,
    ChangeKind,
    Issue,
    IssueArticle,
    IssueStatus,
    Source,
    StoryGroup,
    Watchlist,
)
from app.services.changes import ChangeBatch, Position, read_changes
from app.services.pagination import SortKey, keyset_page, page_cursor, sort_key
from app.services.timewindow import check_window

ISSUE_SORTS = {
    s.name: s
    for s in (
        SortKey("-last_seen_at", Issue.last_seen_at, datetime),
        SortKey("last_seen_at", Issue.last_seen_at, datetime, descending=False),
        SortKey("-first_seen_at", Issue.first_seen_at, datetime),
        SortKey("-severity", Issue.severity, float),
        SortKey("-article_count", Issue.article_count, int),
    )
}
DEFAULT_ISSUE_SORT = "-last_seen_at"


# What the team still has to look at: the default feed leaves these out.
CLOSED_STATUSES = (IssueStatus.DISMISSED.value, IssueStatus.RESOLVED.value)


@dataclass(frozen=True, slots=True)
class IssueFilters:
    statuses: tuple[str, ...] = ()
    min_severity: float | None = None
    max_severity: float | None = None
    since: datetime | None = None  # last activity at or after
    until: datetime | None = None  # last activity before
    watchlist_ids: tuple[int, ...] = ()  # an article matched by one of these watchlists
    watched_only: bool = False  # an article matched by an active watchlist
    open_only: bool = False  # not dismissed or resolved (ignored when `statuses` is given)


def _matches_watchlist(watchlist_ids: tuple[int, ...]) -> ColumnElement[bool]:
    """An article of the issue was matched by one of `watchlist_ids`, or (empty) by any
    active watchlist."""
    query = (
        select(IssueArticle.article_id)
        .join(ArticleWatchlist, ArticleWatchlist.article_id == IssueArticle.article_id)
        .where(IssueArticle.issue_id == Issue.id)
    )
    if watchlist_ids:
        query = query.where(ArticleWatchlist.watchlist_id.in_(watchlist_ids))
    else:
        query = query.join(Watchlist, Watchlist.id == ArticleWatchlist.watchlist_id).where(
            Watchlist.active.is_(True)
        )
    return exists(query)


def filtered_issues(filters: IssueFilters) -> Select[Issue]:
    """The issues matching `filters`, unordered (the list and the CSV export share it)."""
    check_window(filters.since, filters.until)
    query = select(Issue).where(Issue.merged_into_id.is_(None))  # merged ones are tombstones
    if filters.statuses:
        query = query.where(Issue.status.in_(filters.statuses))
    elif filters.open_only:
        query = query.where(Issue.status.not_in(CLOSED_STATUSES))
    if filters.watchlist_ids:
        query = query.where(_matches_watchlist(filters.watchlist_ids))
    elif filters.watched_only:
        query = query.where(_matches_watchlist(()))
    if filters.min_severity is not None:
        query = query.where(Issue.severity >= filters.min_severity)
    if filters.max_severity is not None:
        query = query.where(Issue.severity <= filters.max_severity)
    if filters.since is not None:
        query = query.where(Issue.last_seen_at >= filters.since)
    if filters.until is not None:
        query = query.where(Issue.last_seen_at < filters.until)
    return query


async def list_issues(
    session: AsyncSession,
    *,
    limit: int,
    cursor: str | None = None,
    filters: IssueFilters = IssueFilters(),
    sort: str = DEFAULT_ISSUE_SORT,
) -> tuple[Sequence[Issue], str | None]:
    """One page in a whitelisted order (ties broken by id), with a keyset cursor."""
    key = sort_key(ISSUE_SORTS, sort)
    query = keyset_page(
        filtered_issues(filters), sort=key, id_column=Issue.id, cursor=cursor, limit=limit
    )
    rows = list((await session.scalars(query)).all())
    next_cursor = None
    if len(rows) > limit:
        next_cursor = page_cursor(key, rows[limit - 1])
    return rows[:limit], next_cursor


@dataclass(frozen=True, slots=True)
class SyncItem:
    """One entry of a sync page: the current issue, or a tombstone when `issue` is None."""

    id: int
    issue: Issue | None
    merged_into: int | None = None


async def sync_issues(
    session: AsyncSession, *, after: Position, limit: int
) -> tuple[list[SyncItem], ChangeBatch]:
    """Issues changed after `after`, as current rows or tombstones (deleted, merged)."""
    batch = await read_changes(session, entity="issue", after=after, limit=limit)
    wanted = [c.entity_id for c in batch.changes if c.kind is ChangeKind.UPSERT]
    rows = {i.id: i for i in (await session.scalars(select(Issue).where(Issue.id.in_(wanted))))}
    items = [
        SyncItem(
            c.entity_id,
            rows.get(c.entity_id) if c.kind is ChangeKind.UPSERT else None,
            c.merged_into,
        )
        for c in batch.changes
    ]
    return items, batch


async def get_issue(session: AsyncSession, *, issue_id: int) -> tuple[Issue, Sequence[Article]]:
    issue = await session.get(Issue, issue_id)
    if issue is None:
        raise NotFound(f"issue {issue_id} does not exist")
    articles = (
        await session.scalars(
            select(Article)
            .join(IssueArticle, IssueArticle.article_id == Article.id)
            .where(IssueArticle.issue_id == issue_id, Article.deleted_at.is_(None))
            .order_by(Article.published_at.desc(), Article.id.desc())
        )
    ).all()
    return issue, articles


@dataclass(frozen=True, slots=True)
class IssueStory:
    """One story group among an issue's articles: syndicated copies across outlets."""

    id: int
    title: str
    in_issue: int  # this issue's articles that belong to the story
    copies: int  # every stored copy of the story
    outlets: int
    first_outlet: str | None  # the first publisher's source name (its host if unknown)
    first_published_at: datetime


async def issue_stories(
    session: AsyncSession, *, issue_ids: Sequence[int], per_issue: int = 10
) -> dict[int, tuple[int, list[IssueStory]]]:
    """For each issue: (how many story groups its articles form, the `per_issue` largest)."""
    if not issue_ids:
        return {}
    in_issue = func.count(Article.id).label("in_issue")
    rows = (
        await session.execute(
            select(IssueArticle.issue_id, StoryGroup, in_issue)
            .join(Article, Article.id == IssueArticle.article_id)
            .join(StoryGroup, StoryGroup.id == Article.story_group_id)
            .where(IssueArticle.issue_id.in_(issue_ids), Article.deleted_at.is_(None))
            .group_by(IssueArticle.issue_id, StoryGroup.id)
        )
    ).all()
    first_ids = {g.first_article_id for _, g, _ in rows if g.first_article_id is not None}
    names: dict[int, str] = {}
    if first_ids:
        found = await session.execute(
            select(Article.id, Source.name)
            .join(Source, Source.id == Article.source_id)
            .where(Article.id.in_(first_ids))
        )
        names = {int(a): str(n) for a, n in found.all()}
    grouped: dict[int, list[IssueStory]] = {}
    for issue_id, group, count in rows:
        first = names.get(group.first_article_id or 0) or group.first_outlet
        grouped.setdefault(int(issue_id), []).append(
            IssueStory(
                group.id,
                group.title,
                int(count),
                group.copy_count,
                group.outlet_count,
                first,
                group.first_published_at,
            )
        )
    out: dict[int, tuple[int, list[IssueStory]]] = {}
    for issue_id, stories in grouped.items():
        stories.sort(key=lambda s: (-s.copies, -s.outlets, s.first_published_at, s.id))
        out[issue_id] = (len(stories), stories[:per_issue])
    return out
