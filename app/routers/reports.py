"""The daily and weekly monitoring report, as HTML or PDF."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request
from starlette.responses import Response

from app.config import Settings
from app.db import SessionDep
from app.models import utcnow
from app.report import render_html, render_pdf
from app.report.schedule import schedule_from
from app.routers.deps import ERROR_RESPONSES
from app.schemas.report import ReportScheduleRead
from app.services import report_jobs
from app.services import reports as service
from app.services.timewindow import zone

router = APIRouter(prefix="/v1/reports", tags=["reports"], responses=ERROR_RESPONSES)

REPORT_CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; frame-ancestors 'none'"
Format = Literal["pdf", "html"]
DOC: dict[int | str, dict[str, Any]] = {
    200: {
        "description": "The report",
        "content": {"application/pdf": {}, "text/html": {"example": "<!doctype html>..."}},
    }
}


async def _report(
    request: Request, session: SessionDep, day: date | None, fmt: Format, lang: str, weekly: bool
) -> Response:
    settings: Settings = request.app.state.settings
    tz = zone(settings.report_tz)
    day = day or datetime.now(tz).date()
    data = await service.gather(session, day=day, weekly=weekly, tz=tz)
    name = f"pantau-{'weekly' if weekly else 'daily'}-{day.isoformat()}"
    if fmt == "html":
        return Response(
            render_html(data, lang=lang),
            media_type="text/html; charset=utf-8",
            headers={"Content-Security-Policy": REPORT_CSP},
        )
    return Response(
        render_pdf(data, lang=lang),
        media_type="application/pdf",
        headers={"Content-Disposition": f'attachment; filename="{name}.pdf"'},
    )


@router.get("/daily", summary="The daily monitoring report", responses=DOC)
async def daily(
    request: Request,
    session: SessionDep,
    date: Annotated[date | None, Query(description="Local day (WIB by default); today.")] = None,
    format: Annotated[Format, Query(description="pdf (download) or html.")] = "pdf",
    lang: Annotated[Literal["id", "en"], Query(description="Language.")] = "id",
) -> Response:
    """Top issues with severity and status, tone toward each watched entity, volume and
    negative-share charts, the most negative articles with links, responses made and the
    sources that failed, for one local day (`PANTAU_REPORT_TZ`, Asia/Jakarta by default)."""
    return await _report(request, session, date, format, lang, weekly=False)


@router.get("/weekly", summary="The weekly monitoring report", responses=DOC)
async def weekly(
    request: Request,
    session: SessionDep,
    date: Annotated[date | None, Query(description="Last local day of the week; today.")] = None,
    format: Annotated[Format, Query(description="pdf (download) or html.")] = "pdf",
    lang: Annotated[Literal["id", "en"], Query(description="Language.")] = "id",
) -> Response:
    """The daily report's sections over the seven local days ending with `date`."""
    return await _report(request, session, date, format, lang, weekly=True)


@router.get("/schedule", summary="When the reports are delivered, and how the last ones went")
async def schedule(request: Request, session: SessionDep) -> ReportScheduleRead:
    """The scheduled delivery (`PANTAU_REPORT_WEBHOOK_URL`: daily at `PANTAU_REPORT_HOUR`, weekly
    on `PANTAU_REPORT_WEEKDAY`), the next report of each kind and the latest deliveries with
    their attempts."""
    settings: Settings = request.app.state.settings
    view = await report_jobs.schedule_view(
        session, schedule=schedule_from(settings), tz=settings.report_tz, now=utcnow()
    )
    return ReportScheduleRead.model_validate(view)
