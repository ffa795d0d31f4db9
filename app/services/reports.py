"""The daily and weekly monitoring report ("kliping"): the data, gathered in a few queries.

Rendering is app/report's (HTML and PDF); this module only asks the database.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import case, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.models import (
    Article,
    ArticleWatchlist,
    Issue,
    IssueResponse,
    Source,
    Watchlist,
    utcnow,
)
from app.report import (
    ArticleLine,
    DayPoint,
    EntityTone,
    IssueLine,
    ReportData,
    ResponseLine,
    SourceLine,
)
from app.services import responses as response_service


def window(day: date, *, weekly: bool, tz: ZoneInfo) -> tuple[datetime, datetime]:
    """The report's [start, end): the local day, or the 7 local days ending with it."""
    end = datetime.combine(day + timedelta(days=1), time(0), tzinfo=tz)
    start = end - timedelta(days=7 if weekly else 1)
    return start, end


@dataclass
class _Tone:
    mentions: int = 0
    negative: int = 0
    negativity: list[float] = field(default_factory=list)


async def gather(
    session: AsyncSession, *, day: date, weekly: bool, tz: ZoneInfo, top: int = 10
) -> ReportData:
    start, end = window(day, weekly=weekly, tz=tz)
    live = (Article.deleted_at.is_(None), Article.published_at >= start, Article.published_at < end)
    issues = (
        await session.scalars(
            select(Issue)
            .where(
                Issue.merged_into_id.is_(None),
                Issue.last_seen_at >= start,
                Issue.first_seen_at < end,
            )
            .order_by(Issue.severity.desc(), Issue.id)
            .limit(top)
        )
    ).all()
    articles = (
        await session.execute(
            select(Article.label, Article.targets, Article.negativity).where(*live)
        )
    ).all()
    tones: dict[str, _Tone] = {}
    for _label, targets, _neg in articles:
        for target in targets or ():
            tone = tones.setdefault(str(target.get("name")), _Tone())
            tone.mentions += 1
            tone.negative += target.get("label") == "negative"
            tone.negativity.append(float(target.get("negativity") or 0.0))
    negative = (
        await session.scalars(
            select(Article)
            .where(*live, Article.label == "negative")
            .order_by(Article.negativity.desc(), Article.id)
            .limit(top)
        )
    ).all()
    # per local day (weekly) or hour (daily): volume and negative share
    step = timedelta(days=1) if weekly else timedelta(hours=1)
    slots = int((end - start) / step)
    counts = [[0, 0] for _ in range(slots)]
    for published, label in (
        await session.execute(select(Article.published_at, Article.label).where(*live))
    ).all():
        index = int((published - start) / step)
        if 0 <= index < slots:
            counts[index][0] += 1
            counts[index][1] += label == "negative"
    series = [
        DayPoint(
            label=(start + i * step).astimezone(tz).strftime("%d/%m" if weekly else "%H"),
            total=c[0],
            negative=c[1],
        )
        for i, c in enumerate(counts)
    ]
    watchlists = (
        await session.execute(
            select(
                Watchlist.name,
                func.count(ArticleWatchlist.article_id),
                func.sum(case((Article.label == "negative", 1), else_=0)),
            )
            .join(ArticleWatchlist, ArticleWatchlist.watchlist_id == Watchlist.id)
            .join(Article, Article.id == ArticleWatchlist.article_id)
            .where(*live)
            .group_by(Watchlist.name)
            .order_by(func.count(ArticleWatchlist.article_id).desc())
        )
    ).all()
    responses = (
        await session.execute(
            select(IssueResponse, Issue.title)
            .join(Issue, Issue.id == IssueResponse.issue_id)
            .where(IssueResponse.responded_at >= start, IssueResponse.responded_at < end)
            .order_by(IssueResponse.responded_at)
        )
    ).all()
    failing = (
        await session.scalars(
            select(Source)
            .where(Source.last_error_at >= start, Source.last_error_at < end)
            .order_by(Source.error_count.desc(), Source.id)
            .limit(50)
        )
    ).all()
    stats = await response_service.period_stats(
        session, since=start - timedelta(days=28 - (7 if weekly else 1)), until=end, tz=tz
    )
    return ReportData(
        weekly=weekly,
        day=day,
        start=start,
        end=end,
        tz=tz.key,
        generated_at=utcnow(),
        article_count=len(articles),
        negative_count=sum(1 for a in articles if a[0] == "negative"),
        issues=[
            IssueLine(
                id=i.id,
                title=i.title,
                severity=i.severity,
                status=i.status,
                articles=i.article_count,
                negative_share=i.negative_share,
                assignee=i.assignee,
            )
            for i in issues
        ],
        tones=sorted(
            (
                EntityTone(
                    name=name,
                    mentions=t.mentions,
                    negative=t.negative,
                    mean_negativity=sum(t.negativity) / len(t.negativity) if t.negativity else 0,
                )
                for name, t in tones.items()
            ),
            key=lambda e: (-e.mentions, e.name),
        ),
        series=series,
        watchlists=[(name, int(n), int(neg or 0)) for name, n, neg in watchlists],
        most_negative=[
            ArticleLine(
                title=a.title,
                url=a.url,
                outlet=a.outlet or "",
                published_at=a.published_at,
                negativity=a.negativity or 0.0,
            )
            for a in negative
        ],
        responses=[
            ResponseLine(
                issue_title=title,
                kind=r.kind,
                url=r.url,
                outlet=r.outlet,
                actor=r.actor,
                responded_at=r.responded_at,
                published=r.published,
            )
            for r, title in responses
        ],
        failing_sources=[
            SourceLine(name=s.name, url=s.url, error=s.last_error or "", errors=s.error_count)
            for s in failing
        ],
        median_time_to_detect_seconds=stats.median_time_to_detect_seconds,
        median_time_to_respond_seconds=stats.median_time_to_respond_seconds,
    )
