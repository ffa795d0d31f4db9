"""CSV exports: keyset batches, each in its own short transaction, streamed row by row.

Memory stays constant at any size, and no transaction or snapshot is held open while a slow
client downloads.
"""

from __future__ import annotations

import csv
import io
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Select, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.db import Sessionmaker
from app.models import Article, Issue, Source, StoryGroup, Watchlist
from app.services.articles import ArticleFilters, filtered_articles
from app.services.issues import IssueFilters, filtered_issues, issue_stories

BATCH = 1000
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")

ARTICLE_COLUMNS = (
    "id",
    "published_at",
    "outlet",
    "host",
    "source_id",
    "language",
    "label",
    "negativity",
    "confidence",
    "title",
    "url",
    "author",
    "story_copies",
)
ISSUE_COLUMNS = (
    "id",
    "title",
    "status",
    "severity",
    "article_count",
    "negative_count",
    "assignee",
    "watchlists",
    "story_count",
    "top_story_copies",
    "top_story_outlets",
    "first_outlet",
    "first_published_at",
    "first_seen_at",
    "last_seen_at",
    "updated_at",
    "url",
)


def local_time(value: datetime | None, tz: ZoneInfo) -> str | None:
    """An aware time as ISO 8601 in `tz`, with its offset (analysts read WIB)."""
    return value.astimezone(tz).isoformat() if value is not None else None


def safe_cell(value: Any) -> str:
    """A CSV cell a spreadsheet will not run: text starting like a formula gets a ' prefix."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value) if isinstance(value, float) else str(value)
    text = value.isoformat() if hasattr(value, "isoformat") else str(value)
    return "'" + text if text.startswith(_FORMULA_START) else text


def _line(cells: Sequence[Any]) -> str:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\r\n").writerow([safe_cell(c) for c in cells])
    return buffer.getvalue()


Enrich = Callable[[AsyncSession, Sequence[Any]], Awaitable[list[Sequence[Any]]]]


async def _stream(
    sessionmaker: Sessionmaker,
    columns: Sequence[str],
    query_for: Callable[[Any], Select[Any]],
    rows_for: Enrich,
) -> AsyncIterator[str]:
    """Rows of `query_for(session)` in descending id order, BATCH at a time, each batch made
    into cells by `rows_for` in the same short session."""
    yield "\ufeff" + _line(columns)  # BOM: spreadsheet programs then read UTF-8 correctly
    last_id: int | None = None
    while True:
        async with sessionmaker() as session:
            query = query_for(session)
            entity = query.column_descriptions[0]["entity"]
            if last_id is not None:
                query = query.where(entity.id < last_id)
            rows = (await session.scalars(query.order_by(entity.id.desc()).limit(BATCH))).all()
            if not rows:
                return
            cells = await rows_for(session, rows)
        yield "".join(_line(c) for c in cells)
        last_id = rows[-1].id


def export_articles(
    sessionmaker: Sessionmaker, filters: ArticleFilters, *, tz: ZoneInfo
) -> AsyncIterator[str]:
    async def rows_for(session: AsyncSession, rows: Sequence[Article]) -> list[Sequence[Any]]:
        source_ids = {a.source_id for a in rows if a.source_id is not None}
        names: dict[int, str] = {}
        if source_ids:
            found = await session.execute(
                select(Source.id, Source.name).where(Source.id.in_(source_ids))
            )
            names = {int(i): str(n) for i, n in found.all()}
        group_ids = {a.story_group_id for a in rows if a.story_group_id is not None}
        copies: dict[int, int] = {}
        if group_ids:
            found = await session.execute(
                select(StoryGroup.id, StoryGroup.copy_count).where(StoryGroup.id.in_(group_ids))
            )
            copies = {int(i): int(c) for i, c in found.all()}
        return [
            (
                a.id,
                local_time(a.published_at, tz),
                names.get(a.source_id or 0) or a.outlet,
                a.outlet,
                a.source_id,
                a.language,
                a.label,
                a.negativity,
                a.confidence,
                a.title,
                a.url,
                a.author,
                copies.get(a.story_group_id or 0, 1),
            )
            for a in rows
        ]

    return _stream(sessionmaker, ARTICLE_COLUMNS, lambda s: filtered_articles(s, filters), rows_for)


def export_issues(
    sessionmaker: Sessionmaker, filters: IssueFilters, *, tz: ZoneInfo, link_base: str
) -> AsyncIterator[str]:
    async def rows_for(session: AsyncSession, rows: Sequence[Issue]) -> list[Sequence[Any]]:
        stories = await issue_stories(session, issue_ids=[i.id for i in rows], per_issue=1)
        names = {
            int(i): str(n) for i, n in await session.execute(select(Watchlist.id, Watchlist.name))
        }
        out: list[Sequence[Any]] = []
        for issue in rows:
            count, top = stories.get(issue.id, (0, []))
            story = top[0] if top else None
            out.append(
                (
                    issue.id,
                    issue.title,
                    issue.status,
                    issue.severity,
                    issue.article_count,
                    issue.negative_count,
                    issue.assignee,
                    "; ".join(names[w] for w in issue.watchlist_ids or [] if w in names),
                    count,
                    story.copies if story else None,
                    story.outlets if story else None,
                    story.first_outlet if story else None,
                    local_time(story.first_published_at, tz) if story else None,
                    local_time(issue.first_seen_at, tz),
                    local_time(issue.last_seen_at, tz),
                    local_time(issue.updated_at, tz),
                    f"{link_base}/v1/issues/{issue.id}",
                )
            )
        return out

    return _stream(sessionmaker, ISSUE_COLUMNS, lambda _s: filtered_issues(filters), rows_for)
