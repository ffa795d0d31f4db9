"""Prometheus metrics. Admin key required unless PANTAU_METRICS_PUBLIC=true."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from fastapi.security import HTTPAuthorizationCredentials
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from app.db import Database
from app.models import Role
from app.observability import Metrics
from app.routers.deps import ERROR_RESPONSES, bearer, current_key, require
from app.services import pipeline_stats

router = APIRouter(tags=["operations"])
_admin = require(Role.ADMIN)


async def metrics_access(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
) -> None:
    """Admin key, unless the operator made metrics public (e.g. behind a private network)."""
    if request.app.state.settings.metrics_public:
        return
    await _admin(await current_key(request, credentials))


@router.get(
    "/metrics",
    summary="Prometheus metrics",
    dependencies=[Depends(metrics_access)],
    responses={
        **ERROR_RESPONSES,
        200: {"content": {"text/plain": {}}, "description": "Prometheus text format"},
    },
)
async def metrics(request: Request) -> Response:
    """Request latency histograms by route, crawl outcomes per source status, queue depths and
    scoring throughput (database figures are read at scrape time)."""
    database: Database = request.app.state.database
    collected: Metrics = request.app.state.metrics
    async with database.sessionmaker() as session:
        figures = await pipeline_stats.snapshot(session, window=timedelta(hours=1))
    collected.sources.clear()
    for (status, enabled), count in figures.sources.items():
        collected.sources.labels(status, str(enabled).lower()).set(count)
    collected.fetches.clear()
    for status, count in figures.fetches.items():
        collected.fetches.labels(status).set(count)
    for stage, depth in figures.queues.items():
        collected.queue.labels(stage).set(depth)
    for window, count in figures.scored.items():
        collected.scored.labels(window).set(count)
    return Response(generate_latest(collected.registry), media_type=CONTENT_TYPE_LATEST)
