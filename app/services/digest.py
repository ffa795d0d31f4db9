"""The daily digest: one local day's top issues, new issues, spikes and failing sources."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.feed.alerts import FailingSource
from app.models import Issue, SpikeEvent
from app.services.alerts import failing_sources
from app.services.spikes import list_spikes


@dataclass(frozen=True, slots=True)
class Digest:
    date: date
    tz: str
    start: datetime
    end: datetime
    top_issues: Sequence[Issue]
    new_issues: Sequence[Issue]
    new_issue_count: int
    spikes: Sequence[SpikeEvent]
    failing_sources: list[FailingSource]


async def daily_digest(
    session: AsyncSession, *, day: date, tz: ZoneInfo, limit: int = 10
) -> Digest:
    """Issues active on ``day`` (in ``tz``) by severity, issues first seen that day, spikes
    in the day's buckets, and sources failing at some point of the day."""
    start = datetime.combine(day, datetime.min.time(), tzinfo=tz).astimezone(UTC)
    end = datetime.combine(day + timedelta(days=1), datetime.min.time(), tzinfo=tz).astimezone(UTC)
    live = Issue.merged_into_id.is_(None)
    top = (
        await session.scalars(
            select(Issue)
            .where(live, Issue.last_seen_at >= start, Issue.first_seen_at < end)
            .order_by(Issue.severity.desc(), Issue.id)
            .limit(limit)
        )
    ).all()
    new_query = select(Issue).where(live, Issue.first_seen_at >= start, Issue.first_seen_at < end)
    new = (await session.scalars(new_query.order_by(Issue.severity.desc(), Issue.id))).all()
    spikes = await list_spikes(session, since=start, until=end)
    failing = [
        f for f in await failing_sources(session, since=start) if f.failing_during(start, end)
    ]
    return Digest(
        date=day,
        tz=tz.key,
        start=start,
        end=end,
        top_issues=top,
        new_issues=new[:limit],
        new_issue_count=len(new),
        spikes=spikes,
        failing_sources=sorted(failing, key=lambda f: (f.name, f.url)),
    )
