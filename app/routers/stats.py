"""Dashboard statistics: cheap to poll (bounded windows, indexed ranges, ETag/304)."""

from __future__ import annotations

import time
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query, Request

from app.db import SessionDep
from app.routers.articles import ArticleQuery
from app.routers.conventions import collection_version
from app.routers.deps import ERROR_RESPONSES, LIST_RESPONSES
from app.schemas.stats import (
    EntityCount,
    ShareOfVoice,
    ShareRow,
    TermCount,
    Timeline,
    TimelineBucket,
    TopEntities,
    TopTerms,
)
from app.services import stats as service
from app.services.articles import ArticleFilters
from app.services.timewindow import zone


def _window_salt(request: Request) -> str:
    """Windows relative to now move every minute even when no article changes."""
    params = request.query_params
    return "" if "since" in params and "until" in params else str(int(time.time() // 60))


router = APIRouter(
    prefix="/v1/stats",
    tags=["stats"],
    responses={**ERROR_RESPONSES, **LIST_RESPONSES},
    dependencies=[collection_version("article", salt=_window_salt)],
)

Interval = Literal["hour", "day"]


def _defaults(filters: ArticleFilters, span: timedelta) -> ArticleFilters:
    """Fill a missing window: until now (to the next minute), since `span` earlier."""
    now = datetime.now(UTC).replace(second=0, microsecond=0) + timedelta(minutes=1)
    until = filters.until or now
    since = filters.since or until - span
    return replace(filters, since=since, until=until)


@router.get("/timeline", summary="Article counts per hour or day, split by label")
async def timeline(
    session: SessionDep,
    params: Annotated[ArticleQuery, Depends()],
    interval: Annotated[
        Interval, Query(description="Bucket size, in the `tz` time zone.")
    ] = "hour",
) -> Timeline:
    """Counts per bucket of `interval` in `tz` (Asia/Jakarta by default), zero-filled, split
    by label. The window defaults to the last 48 hours (hour) or 30 days (day); at most 31
    days of hours or 400 days of days. Any article filter applies, `q` included."""
    span = timedelta(hours=48) if interval == "hour" else timedelta(days=30)
    filters = _defaults(params.filters, span)
    tz = zone(params.tz)
    buckets = await service.timeline(session, filters=filters, interval=interval, tz=tz)
    return Timeline(
        interval=interval,
        tz=params.tz,
        since=filters.since,
        until=filters.until,
        buckets=[
            TimelineBucket(start=b.start, total=sum(b.counts.values()), **b.counts) for b in buckets
        ],
    )


@router.get("/share-of-voice", summary="Share of articles by outlet or watchlist")
async def share_of_voice(
    session: SessionDep,
    params: Annotated[ArticleQuery, Depends()],
    by: Annotated[
        Literal["outlet", "watchlist"],
        Query(description="Grouping: by outlet, or by watchlist (by name)."),
    ] = "outlet",
    limit: Annotated[int, Query(ge=1, le=100, description="Largest groups returned.")] = 20,
) -> ShareOfVoice:
    """Each outlet's article count, negative count and share of the window's total (last 7
    days by default)."""
    filters = _defaults(params.filters, timedelta(days=7))
    total, rows = await service.share_of_voice(session, filters=filters, by=by, limit=limit)
    return ShareOfVoice(
        by=by,
        since=filters.since,
        until=filters.until,
        total=total,
        items=[
            ShareRow(key=k, count=n, negative=neg, share=round(n / total, 4) if total else 0.0)
            for k, n, neg in rows
        ],
    )


@router.get("/top-terms", summary="Most frequent title words")
async def top_terms(
    session: SessionDep,
    params: Annotated[ArticleQuery, Depends()],
    limit: Annotated[int, Query(ge=1, le=100, description="Terms returned.")] = 25,
) -> TopTerms:
    """Title words by the number of articles using them, Indonesian and English stopwords
    removed, over the newest 20,000 articles of the window (last 24 hours by default)."""
    filters = _defaults(params.filters, timedelta(hours=24))
    sampled, rows = await service.top_terms(session, filters=filters, limit=limit)
    return TopTerms(
        since=filters.since,
        until=filters.until,
        articles=sampled,
        items=[TermCount(term=t, articles=n) for t, n in rows],
    )


@router.get("/top-entities", summary="Most mentioned entities and their negative mentions")
async def top_entities(
    session: SessionDep,
    params: Annotated[ArticleQuery, Depends()],
    limit: Annotated[int, Query(ge=1, le=100, description="Entities returned.")] = 25,
) -> TopEntities:
    """Entities from the scorer's per-target results, with how often each was the target of a
    negative article (last 24 hours by default)."""
    filters = _defaults(params.filters, timedelta(hours=24))
    sampled, rows = await service.top_entities(session, filters=filters, limit=limit)
    return TopEntities(
        since=filters.since,
        until=filters.until,
        articles=sampled,
        items=[EntityCount(name=n, mentions=c, negative=neg) for n, c, neg in rows],
    )
