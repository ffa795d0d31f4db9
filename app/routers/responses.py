"""The response loop: responses recorded on an issue, its response times, period stats; and
the issue board's per-issue volume series."""

from __future__ import annotations

from dataclasses import asdict
from datetime import UTC, datetime, timedelta
from typing import Annotated

from fastapi import APIRouter, Query, status

from app.db import SessionDep
from app.models import utcnow
from app.routers.deps import ERROR_RESPONSES, Analyst, CurrentKey
from app.routers.params import PathId, Tz
from app.schemas.common import DbId
from app.schemas.response import (
    CoverageRead,
    IssueVolume,
    IssueVolumeList,
    ResponseCreate,
    ResponseList,
    ResponseMetrics,
    ResponseRead,
    ResponseStats,
    ResponseUpdate,
    WeekRead,
)
from app.services import responses as service
from app.services.timewindow import zone

router = APIRouter(prefix="/v1", tags=["responses"], responses=ERROR_RESPONSES)


@router.post(
    "/issues/{issue_id}/responses",
    dependencies=[Analyst],
    status_code=status.HTTP_201_CREATED,
    summary="Record a response to an issue",
)
async def create_response(
    issue_id: PathId, body: ResponseCreate, session: SessionDep, key: CurrentKey
) -> ResponseRead:
    """An official statement, press release (with its URL), right of reply (*hak jawab*) sent
    to an outlet and whether it was published, or a clarification post; stored with the key's
    name and the time (default now)."""
    row = await service.record_response(
        session, issue_id=issue_id, actor=key.name, data=body.model_dump()
    )
    return ResponseRead.model_validate(row)


@router.get("/issues/{issue_id}/responses", summary="Responses recorded on an issue")
async def list_responses(issue_id: PathId, session: SessionDep) -> ResponseList:
    """Oldest first."""
    rows = await service.list_responses(session, issue_id=issue_id)
    return ResponseList(items=[ResponseRead.model_validate(r) for r in rows])


@router.patch(
    "/issues/{issue_id}/responses/{response_id}",
    dependencies=[Analyst],
    summary="Update a response (e.g. the right of reply was published)",
)
async def update_response(
    issue_id: PathId, response_id: PathId, body: ResponseUpdate, session: SessionDep
) -> ResponseRead:
    """Change the listed fields; setting `published_at` marks it published."""
    row = await service.update_response(
        session,
        issue_id=issue_id,
        response_id=response_id,
        data=body.model_dump(exclude_unset=True),
    )
    return ResponseRead.model_validate(row)


@router.get("/issues/{issue_id}/response-metrics", summary="How fast the team responded")
async def response_metrics(issue_id: PathId, session: SessionDep) -> ResponseMetrics:
    """Times from the first article to the issue's opening, first alert, first triage and
    first response; coverage before and after the first response."""
    t = await service.issue_times(session, issue_id=issue_id)
    return ResponseMetrics(
        issue_id=t.issue_id,
        first_published_at=t.first_published_at,
        detected_at=t.detected_at,
        first_alert_at=t.first_alert_at,
        first_triage_at=t.first_triage_at,
        first_response_at=t.first_response_at,
        time_to_detect_seconds=t.seconds(t.detected_at),
        time_to_alert_seconds=t.seconds(t.first_alert_at),
        time_to_triage_seconds=t.seconds(t.first_triage_at),
        time_to_respond_seconds=t.seconds(t.first_response_at),
        before=CoverageRead(**asdict(t.before)) if t.before else None,
        after=CoverageRead(**asdict(t.after)) if t.after else None,
    )


@router.get("/response-stats", summary="Median time to detect and respond, per week")
async def response_stats(
    session: SessionDep,
    weeks: Annotated[int, Query(ge=1, le=104, description="Weeks back from now.")] = 8,
    tz: Tz = "Asia/Jakarta",
) -> ResponseStats:
    """Issues opened in the last `weeks` weeks (weeks start on Monday in `tz`): how many, how
    many got a response, and the medians overall and per week."""
    zone_ = zone(tz)
    until = utcnow()
    since = service.week_start(until - timedelta(weeks=weeks - 1), zone_)
    stats = await service.period_stats(session, since=since, until=until, tz=zone_)
    return ResponseStats(
        since=stats.since,
        until=stats.until,
        tz=tz,
        issues=stats.issues,
        responded=stats.responded,
        median_time_to_detect_seconds=stats.median_time_to_detect_seconds,
        median_time_to_respond_seconds=stats.median_time_to_respond_seconds,
        weeks=[WeekRead(**asdict(w)) for w in stats.weeks],
    )


@router.get("/issue-volume", summary="Articles per day of several issues (sparklines)")
async def issue_volume(
    session: SessionDep,
    issue: Annotated[list[DbId], Query(max_length=200, description="Issue ids (repeat).")],
    days: Annotated[int, Query(ge=1, le=90, description="Local days, today last.")] = 7,
    tz: Tz = "Asia/Jakarta",
) -> IssueVolumeList:
    """One grouped query for a board's worth of issues."""
    series = await service.issue_volume(
        session, issue_ids=list(dict.fromkeys(issue)), days=days, tz=zone(tz), now=datetime.now(UTC)
    )
    return IssueVolumeList(
        days=days, tz=tz, items=[IssueVolume(issue_id=i, counts=c) for i, c in series.items()]
    )
