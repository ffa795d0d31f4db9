"""The response loop: what the team answered an issue with, how fast, and what it changed.

Per issue: time to detect (first article published -> issue created), to the first alert
(first webhook delivery about the issue), to triage (first change or comment by a person),
to respond (first recorded response); the coverage's volume and negative share in equal
windows before and after the first response. Over a period: medians per week. An issue's
responses, triage and alerts include those of the issues merged into it (a merge moves the
articles; the team's work must follow them).
"""

from __future__ import annotations

import statistics
from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import case, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.errors import InvalidInput, NotFound
from app.models import (
    Article,
    Issue,
    IssueArticle,
    IssueEvent,
    IssueResponse,
    ResponseKind,
    WebhookDelivery,
    utcnow,
)
from app.services.triage import live_issue, merged_family

TRIAGE_ACTIONS = ("status", "assignee", "notes", "comment", "merged", "split")
EFFECT_WINDOW = timedelta(hours=72)


async def _issue(session: AsyncSession, issue_id: int) -> Issue:
    issue = await session.get(Issue, issue_id)
    if issue is None:
        raise NotFound(f"issue {issue_id} does not exist")
    return issue


async def record_response(
    session: AsyncSession, *, issue_id: int, actor: str, data: dict[str, Any]
) -> IssueResponse:
    """Store a response; `responded_at` defaults to now. A right of reply names its outlet.
    A merged issue takes none (409 naming its survivor, where the response belongs)."""
    await live_issue(session, issue_id)
    kind = ResponseKind(data["kind"])
    if kind == ResponseKind.HAK_JAWAB and not data.get("outlet"):
        raise InvalidInput("a right of reply (hak_jawab) names the outlet it was sent to")
    if data.get("published_at") is not None and data.get("published") is False:
        raise InvalidInput("published_at is set but published is false")
    row = IssueResponse(
        issue_id=issue_id,
        kind=kind.value,
        url=data.get("url"),
        outlet=data.get("outlet"),
        note=data.get("note"),
        responded_at=data.get("responded_at") or utcnow(),
        published=True if data.get("published_at") else data.get("published"),
        published_at=data.get("published_at"),
        actor=actor,
    )
    session.add(row)
    await session.flush()
    return row


async def update_response(
    session: AsyncSession, *, issue_id: int, response_id: int, data: dict[str, Any]
) -> IssueResponse:
    """Mark a right of reply published (or not), or correct the note or URL."""
    row = await session.get(IssueResponse, response_id)
    if row is None or row.issue_id not in await merged_family(session, issue_id=issue_id):
        raise NotFound(f"response {response_id} of issue {issue_id} does not exist")
    for name in ("url", "outlet", "note", "published", "published_at"):
        if name in data:
            setattr(row, name, data[name])
    if row.published_at is not None:
        row.published = True
    await session.flush()
    return row


async def list_responses(session: AsyncSession, *, issue_id: int) -> list[IssueResponse]:
    await _issue(session, issue_id)
    family = await merged_family(session, issue_id=issue_id)
    rows = await session.scalars(
        select(IssueResponse)
        .where(IssueResponse.issue_id.in_(family))
        .order_by(IssueResponse.responded_at, IssueResponse.id)
    )
    return list(rows.all())


@dataclass(frozen=True, slots=True)
class Coverage:
    articles: int
    articles_per_day: float
    negative_share: float


@dataclass(frozen=True, slots=True)
class IssueTimes:
    issue_id: int
    first_published_at: datetime | None
    detected_at: datetime
    first_alert_at: datetime | None
    first_triage_at: datetime | None
    first_response_at: datetime | None
    before: Coverage | None
    after: Coverage | None

    def seconds(self, end: datetime | None, start: datetime | None = None) -> float | None:
        start = start or self.first_published_at
        if end is None or start is None:
            return None
        return max(0.0, (end - start).total_seconds())


async def _coverage(
    session: AsyncSession, issue_id: int, lower: datetime, upper: datetime
) -> Coverage:
    negative = func.sum(case((Article.label == "negative", 1), else_=0))
    row = (
        await session.execute(
            select(func.count(), negative)
            .select_from(Article)
            .join(IssueArticle, IssueArticle.article_id == Article.id)
            .where(
                IssueArticle.issue_id == issue_id,
                Article.deleted_at.is_(None),
                Article.published_at >= lower,
                Article.published_at < upper,
            )
        )
    ).one()
    count, neg = int(row[0] or 0), int(row[1] or 0)
    days = max((upper - lower).total_seconds() / 86400, 1 / 24)
    return Coverage(count, round(count / days, 3), round(neg / count, 4) if count else 0.0)


async def issue_times(
    session: AsyncSession, *, issue_id: int, now: datetime | None = None
) -> IssueTimes:
    issue = await _issue(session, issue_id)
    now = now or utcnow()
    first_published = await session.scalar(
        select(func.min(Article.published_at))
        .join(IssueArticle, IssueArticle.article_id == Article.id)
        .where(IssueArticle.issue_id == issue_id)
    )
    family = await merged_family(session, issue_id=issue_id)
    first_alert = await session.scalar(
        select(func.min(WebhookDelivery.created_at)).where(
            WebhookDelivery.subject.in_([f"issue:{i}" for i in family])
        )
    )
    first_triage = await session.scalar(
        select(func.min(IssueEvent.at)).where(
            IssueEvent.issue_id.in_(family),
            IssueEvent.action.in_(TRIAGE_ACTIONS),
            IssueEvent.actor != "system",
        )
    )
    first_response = await session.scalar(
        select(func.min(IssueResponse.responded_at)).where(IssueResponse.issue_id.in_(family))
    )
    before = after = None
    if first_response is not None:
        span = min(EFFECT_WINDOW, max(now - first_response, timedelta(hours=1)))
        before = await _coverage(session, issue_id, first_response - span, first_response)
        after = await _coverage(session, issue_id, first_response, first_response + span)
    return IssueTimes(
        issue_id=issue_id,
        first_published_at=first_published,
        detected_at=issue.created_at,
        first_alert_at=first_alert,
        first_triage_at=first_triage,
        first_response_at=first_response,
        before=before,
        after=after,
    )


@dataclass(frozen=True, slots=True)
class WeekStats:
    week_start: datetime
    issues: int
    responses: int
    median_time_to_detect_seconds: float | None
    median_time_to_respond_seconds: float | None


@dataclass(frozen=True, slots=True)
class PeriodStats:
    since: datetime
    until: datetime
    issues: int
    responded: int
    median_time_to_detect_seconds: float | None
    median_time_to_respond_seconds: float | None
    weeks: list[WeekStats]


def _median(values: list[float]) -> float | None:
    return round(statistics.median(values), 1) if values else None


def week_start(moment: datetime, tz: ZoneInfo) -> datetime:
    """Monday 00:00 of the week holding `moment` in `tz`, as UTC."""
    local = moment.astimezone(tz)
    monday = (local - timedelta(days=local.weekday())).replace(
        hour=0, minute=0, second=0, microsecond=0
    )
    return monday.astimezone(UTC)


async def period_stats(
    session: AsyncSession, *, since: datetime, until: datetime, tz: ZoneInfo
) -> PeriodStats:
    """Issues created in [since, until): medians of time to detect and to respond, overall and
    per week (weeks start on Monday in `tz`). Three grouped queries whatever the issue count."""
    if until <= since:
        raise InvalidInput("until must be after since")
    created = dict(
        (
            await session.execute(
                select(Issue.id, Issue.created_at).where(
                    Issue.created_at >= since,
                    Issue.created_at < until,
                    Issue.merged_into_id.is_(None),
                )
            )
        ).all()
    )
    in_window = (Issue.created_at >= since) & (Issue.created_at < until)
    first_published = dict(
        (
            await session.execute(
                select(IssueArticle.issue_id, func.min(Article.published_at))
                .join(Article, Article.id == IssueArticle.article_id)
                .join(Issue, Issue.id == IssueArticle.issue_id)
                .where(in_window)
                .group_by(IssueArticle.issue_id)
            )
        ).all()
    )
    first_response = dict(
        (
            await session.execute(
                select(IssueResponse.issue_id, func.min(IssueResponse.responded_at))
                .join(Issue, Issue.id == IssueResponse.issue_id)
                .where(in_window)
                .group_by(IssueResponse.issue_id)
            )
        ).all()
    )
    detect: dict[datetime, list[float]] = defaultdict(list)
    respond: dict[datetime, list[float]] = defaultdict(list)
    counts: dict[datetime, int] = defaultdict(int)
    weeks_seen: dict[datetime, int] = defaultdict(int)
    all_detect: list[float] = []
    all_respond: list[float] = []
    for issue_id, created_at in created.items():
        week = week_start(created_at, tz)
        weeks_seen[week] += 1
        published = first_published.get(issue_id)
        if published is not None:
            value = max(0.0, (created_at - published).total_seconds())
            detect[week].append(value)
            all_detect.append(value)
        answered = first_response.get(issue_id)
        if answered is not None and published is not None:
            value = max(0.0, (answered - published).total_seconds())
            respond[week].append(value)
            all_respond.append(value)
            counts[week] += 1
    week = week_start(since, tz)
    weeks = []
    while week < until:
        weeks.append(
            WeekStats(
                week_start=week,
                issues=weeks_seen.get(week, 0),
                responses=counts.get(week, 0),
                median_time_to_detect_seconds=_median(detect.get(week, [])),
                median_time_to_respond_seconds=_median(respond.get(week, [])),
            )
        )
        week = week_start(week + timedelta(days=7, hours=12), tz)
    return PeriodStats(
        since=since,
        until=until,
        issues=len(created),
        responded=len(all_respond),
        median_time_to_detect_seconds=_median(all_detect),
        median_time_to_respond_seconds=_median(all_respond),
        weeks=weeks,
    )


async def issue_volume(
    session: AsyncSession, *, issue_ids: list[int], days: int, tz: ZoneInfo, now: datetime
) -> dict[int, list[int]]:
    """Articles per local day over the last `days` days (oldest first) for each issue."""
    today = now.astimezone(tz).replace(hour=0, minute=0, second=0, microsecond=0)
    start = (today - timedelta(days=days - 1)).astimezone(UTC)
    out = {i: [0] * days for i in issue_ids}
    if not issue_ids:
        return out
    rows = await session.execute(
        select(IssueArticle.issue_id, Article.published_at)
        .join(Article, Article.id == IssueArticle.article_id)
        .where(
            IssueArticle.issue_id.in_(issue_ids),
            Article.published_at >= start,
            Article.deleted_at.is_(None),
        )
    )
    for issue_id, published in rows:
        local = published.astimezone(tz).replace(hour=0, minute=0, second=0, microsecond=0)
        index = (local.date() - (today - timedelta(days=days - 1)).date()).days
        if 0 <= index < days:
            out[issue_id][index] += 1
    return out
