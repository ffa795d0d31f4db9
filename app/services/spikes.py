"""Spike detection over the stored articles: per watchlist (hourly and daily series) and per
active issue (hourly), with app/feed/spikes.detect; found spikes become ``spike_events`` rows.

Buckets are built here from one indexed query per subject; hours are UTC hours, days are
Asia/Jakarta days (what analysts call "today"). Re-running on the same bucket inserts nothing
(unique per subject, kind, granularity and bucket).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.db import insert_or_ignore
from app.feed.spikes import DAILY, Bucket, Spike, SpikeConfig, detect
from app.models import Article, ArticleWatchlist, Issue, IssueArticle, SpikeEvent, Watchlist
from app.services.feed_config import FeedConfig

HOURLY = SpikeConfig()
LOCAL = ZoneInfo("Asia/Jakarta")


def _hour(t: datetime) -> datetime:
    return t.astimezone(UTC).replace(minute=0, second=0, microsecond=0)


def _day(t: datetime) -> datetime:
    return t.astimezone(LOCAL).replace(hour=0, minute=0, second=0, microsecond=0).astimezone(UTC)


def buckets(rows: Sequence[tuple[datetime, str | None]], *, granularity: str) -> list[Bucket]:
    """(published_at, label) rows into hour or local-day buckets."""
    floor = _hour if granularity == "hour" else _day
    counts: dict[datetime, list[int]] = {}
    for published, label in rows:
        slot = counts.setdefault(floor(published), [0, 0])
        slot[0] += 1
        slot[1] += label == "negative"
    return [Bucket(start, c, n) for start, (c, n) in sorted(counts.items())]


def _series_start(now: datetime, config: SpikeConfig) -> datetime:
    days = config.baseline_days + 2
    return now - timedelta(days=days)


async def _store(
    session: AsyncSession,
    subject_kind: str,
    subject_id: int,
    config: SpikeConfig,
    spikes: Sequence[Spike],
    now: datetime,
) -> list[int]:
    if not spikes:
        return []
    statement = (
        insert_or_ignore(session, SpikeEvent)
        .values(
            [
                {
                    "subject_kind": subject_kind,
                    "subject_id": subject_id,
                    "kind": s.kind,
                    "granularity": config.granularity,
                    "bucket_start": s.bucket_start,
                    "value": s.value,
                    "baseline_mean": s.baseline_mean,
                    "baseline_std": s.baseline_std,
                    "z": s.z,
                    "reason": s.reason,
                    "detected_at": now,
                }
                for s in spikes
            ]
        )
        .returning(SpikeEvent.id)
    )
    return list((await session.scalars(statement)).all())


async def detect_watchlist_spikes(
    session: AsyncSession, *, watchlist: Watchlist, now: datetime
) -> list[int]:
    """Hourly and daily spikes of one watchlist's matched articles; new spike event ids."""
    found: list[int] = []
    for config in (HOURLY, DAILY):
        start = _series_start(now, config)
        rows = (
            await session.execute(
                select(Article.published_at, Article.label)
                .join(ArticleWatchlist, ArticleWatchlist.article_id == Article.id)
                .where(
                    ArticleWatchlist.watchlist_id == watchlist.id,
                    Article.published_at >= start,
                    Article.published_at < now,
                    Article.deleted_at.is_(None),
                )
            )
        ).all()
        series = buckets([(p, lab) for p, lab in rows], granularity=config.granularity)
        if not series:
            continue
        floor = _hour if config.granularity == "hour" else _day
        # The series starts at the window start (empty buckets are quiet, not unknown).
        if series[0].start > floor(start):
            series.insert(0, Bucket(floor(start), 0, 0))
        spikes = detect(series, now=now, config=config)
        found += await _store(session, "watchlist", watchlist.id, config, spikes, now)
    return found


async def detect_issue_spikes(
    session: AsyncSession, *, now: datetime, min_articles: int
) -> list[int]:
    """Hourly spikes of issues active in the last two hours (their own history only)."""
    issues = (
        await session.scalars(
            select(Issue).where(
                Issue.merged_into_id.is_(None),
                Issue.last_seen_at >= now - timedelta(hours=2),
                Issue.article_count >= min_articles,
            )
        )
    ).all()
    found: list[int] = []
    for issue in issues:
        rows = (
            await session.execute(
                select(Article.published_at, Article.label)
                .join(IssueArticle, IssueArticle.article_id == Article.id)
                .where(IssueArticle.issue_id == issue.id, Article.deleted_at.is_(None))
            )
        ).all()
        series = buckets([(p, lab) for p, lab in rows], granularity="hour")
        spikes = detect(series, now=now, config=HOURLY, history_start=_hour(issue.first_seen_at))
        found += await _store(session, "issue", issue.id, HOURLY, spikes, now)
    return found


async def detect_spikes(
    session: AsyncSession, *, now: datetime, config: FeedConfig | None = None
) -> list[int]:
    """Every active watchlist's and active issue's spikes; the new spike event ids."""
    config = config or FeedConfig()
    found: list[int] = []
    for watchlist in (await session.scalars(select(Watchlist).where(Watchlist.active))).all():
        found += await detect_watchlist_spikes(session, watchlist=watchlist, now=now)
    found += await detect_issue_spikes(
        session, now=now, min_articles=config.issue_spike_min_articles
    )
    return found


async def list_spikes(
    session: AsyncSession,
    *,
    since: datetime,
    until: datetime,
    subject_kind: str | None = None,
    subject_id: int | None = None,
    limit: int = 200,
) -> Sequence[SpikeEvent]:
    """Spikes whose bucket starts in [since, until), newest first."""
    query = select(SpikeEvent).where(
        SpikeEvent.bucket_start >= since, SpikeEvent.bucket_start < until
    )
    if subject_kind is not None:
        query = query.where(SpikeEvent.subject_kind == subject_kind)
    if subject_id is not None:
        query = query.where(SpikeEvent.subject_id == subject_id)
    rows = await session.scalars(
        query.order_by(SpikeEvent.bucket_start.desc(), SpikeEvent.id.desc()).limit(limit)
    )
    return rows.all()
