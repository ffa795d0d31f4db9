"""CSV exports of articles and issues with the list endpoints' filters, streamed."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import StreamingResponse

from app.db import Database
from app.routers.articles import ArticleQuery
from app.routers.deps import ERROR_RESPONSES, accepts
from app.routers.issues import IssueQuery
from app.services import exports as service
from app.services.timewindow import zone

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
    streamed in batches: `outlet` is the source's name (`host` the site), `story_copies` the
    copies of its story, times in `tz` (Asia/Jakarta by default). Cells that a spreadsheet
    would run as a formula start with `'`."""
    database: Database = request.app.state.database
    chunks = service.export_articles(database.sessionmaker, params.filters, tz=zone(params.tz))
    return _csv(request, chunks, "articles.csv")


@router.get("/issues.csv", summary="Export issues as CSV")
async def export_issues(
    request: Request, params: Annotated[IssueQuery, Depends()]
) -> StreamingResponse:
    """Every issue matching the filters (same as `GET /v1/issues`: the team's feed unless
    `scope=all`), streamed: with assignee, watchlists (names, `; `-separated), its stories
    (count; the largest one's copies, outlets, first outlet and time), a link (under
    `PANTAU_PUBLIC_URL` when set), and times in `tz` (Asia/Jakarta by default)."""
    database: Database = request.app.state.database
    public = request.app.state.settings.public_url
    base = (public or str(request.base_url)).rstrip("/")
    chunks = service.export_issues(
        database.sessionmaker, params.filters, tz=zone(params.tz), link_base=base
    )
    return _csv(request, chunks, "issues.csv")
