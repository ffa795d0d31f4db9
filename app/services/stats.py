"""Dashboard statistics over articles: timeline, share of voice, top terms, top entities.

Every figure is over a bounded window and one indexed range of `published_at`, so each is
cheap enough to poll (and the routers answer 304 while articles are unchanged).
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, Integer, cast, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.db import is_postgres
from app.errors import InvalidInput
from app.models import Article, ArticleWatchlist, Watchlist
from app.services.articles import ArticleFilters, filtered_articles
from app.services.stopwords import STOPWORDS

LABELS = ("negative", "neutral", "positive", "unscored")
MAX_WINDOW = {"hour": timedelta(days=31), "day": timedelta(days=400)}
SAMPLE_LIMIT = 20_000  # newest articles read for terms and entities
_QUARTER = 900  # seconds: fine enough for every zone offset in use (…:30, …:45)
_TOKEN = re.compile(r"[^\W\d_][\w'-]*[^\W_]|[^\W\d_]", re.UNICODE)


@dataclass(frozen=True, slots=True)
class Bucket:
    start: datetime  # in the requested zone
    counts: dict[str, int]


def _quarter_hour(session: AsyncSession) -> ColumnElement[Any]:
    """Seconds since the epoch of published_at, divided into quarter hours."""
    if is_postgres(session):
        return cast(func.floor(func.extract("epoch", Article.published_at) / _QUARTER), Integer)
    return cast(func.strftime("%s", Article.published_at), Integer) / _QUARTER


def _window(filters: ArticleFilters, interval: str) -> tuple[datetime, datetime]:
    if filters.since is None or filters.until is None:
        raise InvalidInput("stats need both 'since' and 'until'")
    if filters.until - filters.since > MAX_WINDOW[interval]:
        raise InvalidInput(f"{interval} buckets cover at most {MAX_WINDOW[interval].days} days")
    return filters.since, filters.until


def _bucket_start(moment: datetime, interval: str, tz: ZoneInfo) -> datetime:
    local = moment.astimezone(tz)
    if interval == "hour":
        return local.replace(minute=0, second=0, microsecond=0)
    return local.replace(hour=0, minute=0, second=0, microsecond=0)


async def timeline(
    session: AsyncSession, *, filters: ArticleFilters, interval: str, tz: ZoneInfo
) -> list[Bucket]:
    """Article counts per hour or day of `tz`, split by label, zero-filled over the window.

    The database groups by UTC quarter hour (the same SQL on both backends); quarters fold
    into local buckets here, which keeps days right across any offset and DST change.
    """
    since, until = _window(filters, interval)
    quarter = _quarter_hour(session).label("quarter")
    label = func.coalesce(Article.label, "unscored").label("label")
    query = (
        filtered_articles(session, filters)
        .with_only_columns(quarter, label, func.count(), maintain_column_froms=True)
        .group_by(quarter, label)
    )
    buckets: dict[datetime, dict[str, int]] = {}
    cursor = _bucket_start(since, interval, tz)
    end = until.astimezone(tz)
    while cursor < end:
        buckets[cursor] = dict.fromkeys(LABELS, 0)
        cursor = _next_bucket(cursor, interval, tz)
    for q, lab, count in (await session.execute(query)).all():
        moment = datetime.fromtimestamp(int(q) * _QUARTER, tz=UTC)
        start = _bucket_start(moment, interval, tz)
        if start in buckets:
            buckets[start][str(lab) if lab in LABELS else "unscored"] += int(count)
    return [Bucket(start, counts) for start, counts in buckets.items()]


def _next_bucket(start: datetime, interval: str, tz: ZoneInfo) -> datetime:
    if interval == "hour":
        return (start.astimezone(UTC) + timedelta(hours=1)).astimezone(tz)
    # Across a DST change a local day is 23 or 25 hours: step to the next local midnight.
    return (start + timedelta(days=1, hours=3)).replace(hour=0, minute=0, second=0, microsecond=0)


# Grouping dimensions for share of voice: the watchlist one plugs in here when watchlists land
# (a function from the filtered article query to (key, count, negative) rows).
ShareDimension = Callable[[AsyncSession, ArticleFilters, int], Any]


async def share_by_outlet(
    session: AsyncSession, filters: ArticleFilters, limit: int
) -> list[tuple[str, int, int]]:
    base = filtered_articles(session, filters).subquery()
    outlet = func.coalesce(base.c.outlet, "unknown")
    negative = func.sum(func.coalesce((base.c.label == "negative").cast(Integer), 0))
    query = (
        select(outlet, func.count(), negative)
        .group_by(outlet)
        .order_by(func.count().desc(), outlet)
        .limit(limit)
    )
    return [(str(k), int(n), int(neg or 0)) for k, n, neg in (await session.execute(query)).all()]


async def share_by_watchlist(
    session: AsyncSession, filters: ArticleFilters, limit: int
) -> list[tuple[str, int, int]]:
    """Articles per watchlist (an article matched by two watchlists counts in both)."""
    base = filtered_articles(session, filters).subquery()
    negative = func.sum(func.coalesce((base.c.label == "negative").cast(Integer), 0))
    query = (
        select(Watchlist.name, func.count(), negative)
        .select_from(base)
        .join(ArticleWatchlist, ArticleWatchlist.article_id == base.c.id)
        .join(Watchlist, Watchlist.id == ArticleWatchlist.watchlist_id)
        .group_by(Watchlist.name)
        .order_by(func.count().desc(), Watchlist.name)
        .limit(limit)
    )
    return [(str(k), int(n), int(neg or 0)) for k, n, neg in (await session.execute(query)).all()]


SHARE_DIMENSIONS: dict[str, ShareDimension] = {
    "outlet": share_by_outlet,
    "watchlist": share_by_watchlist,
}


async def share_of_voice(
    session: AsyncSession, *, filters: ArticleFilters, by: str, limit: int
) -> tuple[int, list[tuple[str, int, int]]]:
    """(total articles, [(key, count, negative count)]) for the largest `limit` keys."""
    _window(filters, "day")
    dimension = SHARE_DIMENSIONS.get(by)
    if dimension is None:
        raise InvalidInput(f"share of voice by {by!r} is not available")
    total_query = select(func.count()).select_from(filtered_articles(session, filters).subquery())
    total = int(await session.scalar(total_query) or 0)
    rows: list[tuple[str, int, int]] = await dimension(session, filters, limit)
    return total, rows


async def _sample(session: AsyncSession, filters: ArticleFilters, *columns: Any) -> list[Any]:
    _window(filters, "day")
    base = filtered_articles(session, filters).subquery()
    query = (
        select(*(base.c[c] for c in columns))
        .order_by(base.c.published_at.desc())
        .limit(SAMPLE_LIMIT)
    )
    return list((await session.execute(query)).all())


async def top_terms(
    session: AsyncSession, *, filters: ArticleFilters, limit: int
) -> tuple[int, list[tuple[str, int]]]:
    """Most frequent title words (stopwords removed), counted once per article."""
    rows = await _sample(session, filters, "title")
    counts: Counter[str] = Counter()
    for (title,) in rows:
        words = {w.lower() for w in _TOKEN.findall(title or "")}
        counts.update(w for w in words if len(w) > 2 and w not in STOPWORDS)
    return len(rows), counts.most_common(limit)


def _mentioned(target: dict[str, Any]) -> bool:
    count = target.get("mentions")
    return isinstance(count, int | float) and count > 0


async def top_entities(
    session: AsyncSession, *, filters: ArticleFilters, limit: int
) -> tuple[int, list[tuple[str, int, int]]]:
    """Entities the window's articles mention, and how many of those articles are negative
    toward each. The scorer stores a result for every watched entity on every article (with
    `mentions: 0` when it is absent), so only results with mentions count."""
    rows = await _sample(session, filters, "targets")
    mentions: Counter[str] = Counter()
    negative: Counter[str] = Counter()
    for (targets,) in rows:
        for target in targets or []:
            name = target.get("name") if isinstance(target, dict) else None
            if not name or not _mentioned(target):
                continue
            mentions[name] += 1
            if target.get("label") == "negative":
                negative[name] += 1
    return len(rows), [(n, c, negative[n]) for n, c in mentions.most_common(limit)]
