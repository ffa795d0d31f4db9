"""Liveness and readiness probes (unauthenticated)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from sqlalchemy import select, text

from app.db import Database
from app.migrate import current_revision, head_revision
from app.models import Heartbeat, utcnow

router = APIRouter(tags=["health"])


@router.get("/healthz", summary="Liveness: the process answers")
async def healthz() -> dict[str, str]:
    """Liveness: the process is up and serving."""
    return {"status": "ok"}


@router.get(
    "/readyz",
    summary="Readiness: database, migrations and scheduler",
    responses={503: {"description": "Not ready; `checks` says which check failed"}},
)
async def readyz(request: Request) -> JSONResponse:
    """Readiness: database reachable, schema at the newest migration, scheduler heartbeat fresh."""
    database: Database = request.app.state.database
    checks: dict[str, Any] = {}
    try:
        async with database.sessionmaker() as session:
            await session.execute(text("SELECT 1"))
            beat = await session.scalar(
                select(Heartbeat.beat_at).where(Heartbeat.name == "scheduler")
            )
        checks["database"] = "ok"
    except Exception as exc:  # any failure to reach the database means "not ready"
        checks["database"] = f"error: {type(exc).__name__}"
        return JSONResponse({"status": "unavailable", "checks": checks}, status_code=503)
    current = await current_revision(database.engine)
    checks["migrations"] = (
        "ok" if current == head_revision() else f"at {current}, head is {head_revision()}"
    )
    if request.app.state.settings.scheduler_enabled:
        stale_after = timedelta(
            seconds=max(120, 4 * request.app.state.settings.scheduler_tick_seconds)
        )
        fresh = beat is not None and utcnow() - beat < stale_after
        checks["scheduler"] = (
            "ok" if fresh else f"no heartbeat since {beat.isoformat() if beat else 'start'}"
        )
    else:
        checks["scheduler"] = "disabled"
    ready = all(v in ("ok", "disabled") for v in checks.values())
    return JSONResponse(
        {"status": "ok" if ready else "unavailable", "checks": checks},
        status_code=200 if ready else 503,
    )
