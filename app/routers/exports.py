"""CSV exports of articles and issues with the list endpoints' filters, streamed."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import StreamingResponse

from app.db import Database
from app.models import IssueStatus
from app.routers.articles import ArticleQuery
from app.routers.deps import ERROR_RESPONSES, accepts
from app.routers.params import Since, Tz, Until, window
from app.services import exports as service
from app.services.issues import IssueFilters

router = APIRouter(
    prefix="/v1/exports",
    tags=["exports"],
    dependencies=[accepts("text/csv")],
    responses={
        **ERROR_RESPONSES,
        200: {"content": {"text/csv": {}}, "description": "UTF-8 CSV with a header row"},
    },
)


def _csv(request: Request, chunks: object, name: str) -> StreamingResponse:
    return StreamingResponse(
        chunks,  # type: ignore[arg-type]
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


@router.get("/articles.csv", summary="Export articles as CSV")
async def export_articles(
    request: Request, params: Annotated[ArticleQuery, Depends()]
) -> StreamingResponse:
    """Every article matching the filters (same as `GET /v1/articles`), newest id first,
    streamed in batches. Cells that a spreadsheet would run as a formula start with `'`."""
    database: Database = request.app.state.database
    return _csv(
        request, service.export_articles(database.sessionmaker, params.filters), "articles.csv"
    )


@router.get("/issues.csv", summary="Export issues as CSV")
async def export_issues(
    request: Request,
    status: Annotated[
        list[IssueStatus] | None, Query(description="Only issues in these triage statuses.")
    ] = None,
    min_severity: Annotated[float | None, Query(ge=0, le=100)] = None,
    max_severity: Annotated[float | None, Query(ge=0, le=100)] = None,
    since: Since = None,
    until: Until = None,
    tz: Tz = "Asia/Jakarta",
) -> StreamingResponse:
    """Every issue matching the filters (same as `GET /v1/issues`), streamed."""
    lower, upper = window(since, until, tz)
    filters = IssueFilters(
        statuses=tuple(s.value for s in status or ()),
        min_severity=min_severity,
        max_severity=max_severity,
        since=lower,
        until=upper,
    )
    database: Database = request.app.state.database
    return _csv(request, service.export_issues(database.sessionmaker, filters), "issues.csv")
