"""Pipeline figures for /metrics: each query bounded so a scrape stays cheap at any size."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.models import Article, FetchAttempt, Source, utcnow

# Throughput counts only the newest ids: scored articles are nearly always recent ones, and the
# bound keeps the scrape an index range scan instead of a full table scan.
RECENT_ID_SPAN = 200_000


@dataclass(frozen=True, slots=True)
class PipelineFigures:
    sources: dict[tuple[str, bool], int]
    fetches: dict[str, int]
    queues: dict[str, int]
    scored: dict[str, int]


async def snapshot(session: AsyncSession, *, window: timedelta) -> PipelineFigures:
    now = utcnow()
    status = func.coalesce(Source.last_status, "never")
    sources = {
        (str(s), bool(e)): int(n)
        for s, e, n in (
            await session.execute(
                select(status, Source.enabled, func.count()).group_by(status, Source.enabled)
            )
        ).all()
    }
    fetches = {
        str(s): int(n)
        for s, n in (
            await session.execute(
                select(FetchAttempt.status, func.count())
                .where(FetchAttempt.started_at >= now - window)
                .group_by(FetchAttempt.status)
            )
        ).all()
    }
    pending_score = select(func.count()).where(
        Article.scored_at.is_(None), Article.deleted_at.is_(None)
    )
    pending_group = select(func.count()).where(
        Article.grouped_at.is_(None), Article.scored_at.is_not(None)
    )
    max_id = int(await session.scalar(select(func.coalesce(func.max(Article.id), 0))) or 0)
    pending_extract = select(func.count()).where(
        Article.id > max_id - RECENT_ID_SPAN,
        Article.body.is_(None),
        Article.scored_at.is_(None),
        Article.deleted_at.is_(None),
    )
    scored = {}
    for label, span in (("5m", timedelta(minutes=5)), ("1h", timedelta(hours=1))):
        scored[label] = int(
            await session.scalar(
                select(func.count()).where(
                    Article.id > max_id - RECENT_ID_SPAN, Article.scored_at >= now - span
                )
            )
            or 0
        )
    queues = {
        "score": int(await session.scalar(pending_score) or 0),
        "group": int(await session.scalar(pending_group) or 0),
        "extract": int(await session.scalar(pending_extract) or 0),
    }
    return PipelineFigures(sources, fetches, queues, scored)
