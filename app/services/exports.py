"""CSV exports: keyset batches, each in its own short transaction, streamed row by row.

Memory stays constant at any size, and no transaction or snapshot is held open while a slow
client downloads.
"""

from __future__ import annotations

import csv
import io
from collections.abc import AsyncIterator, Callable, Sequence
from typing import Any

from sqlalchemy import Select

from app.db import Sessionmaker
from app.services.articles import ArticleFilters, filtered_articles
from app.services.issues import IssueFilters, filtered_issues

BATCH = 1000
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")

ARTICLE_COLUMNS = (
    "id",
    "published_at",
    "outlet",
    "source_id",
    "language",
    "label",
    "negativity",
    "confidence",
    "title",
    "url",
    "author",
)
ISSUE_COLUMNS = (
    "id",
    "title",
    "status",
    "severity",
    "article_count",
    "negative_count",
    "first_seen_at",
    "last_seen_at",
    "updated_at",
)


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


async def _stream(
    sessionmaker: Sessionmaker,
    columns: Sequence[str],
    query_for: Callable[[Any], Select[Any]],
) -> AsyncIterator[str]:
    """Rows of `query_for(session)` in descending id order, BATCH at a time."""
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
        yield "".join(_line([getattr(r, c) for c in columns]) for r in rows)
        last_id = rows[-1].id


def export_articles(sessionmaker: Sessionmaker, filters: ArticleFilters) -> AsyncIterator[str]:
    return _stream(sessionmaker, ARTICLE_COLUMNS, lambda s: filtered_articles(s, filters))


def export_issues(sessionmaker: Sessionmaker, filters: IssueFilters) -> AsyncIterator[str]:
    return _stream(sessionmaker, ISSUE_COLUMNS, lambda _s: filtered_issues(filters))
