"""The FastAPI application factory."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import fastapi_offline
from fastapi import Depends, FastAPI
from fastapi.middleware.cors import CORSMiddleware
from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html
from fastapi.staticfiles import StaticFiles
from starlette.requests import Request
from starlette.responses import HTMLResponse

from app.config import Settings, get_settings
from app.crawlers.pool import shared_pool
from app.crawlers.scheduling import PollPolicy
from app.db import Database
from app.errors import install_error_handlers
from app.middleware import ApiMiddleware
from app.observability import Metrics, install_request_id_logging
from app.pipeline.poll_now import SourcePoller
from app.pipeline.scheduler import build_crawler, build_fetcher, run_scheduler
from app.ratelimit import RateLimiter
from app.routers import (
    alerts,
    article_admin,
    articles,
    claims,
    entities,
    exports,
    health,
    issues,
    keys,
    labels,
    metrics,
    reports,
    responses,
    sources,
    stats,
    watchlists,
    web,
)
from app.routers.conventions import install_conditional_handlers
from app.routers.deps import JSON, KeyCache, UsageRecorder, Viewer
from app.routers.gate import ConditionalGate
from app.routers.params import QueryParamGuard
from app.services.changes import VersionCache

DESCRIPTION = """
Pantau monitors Indonesian and English news for PR issue and crisis teams: it crawls sources,
scores each article's negative tendency and groups articles into issues.

Authenticate with an API key: `Authorization: Bearer pnt_...`. Roles: **viewer** (read),
**analyst** (triage, labels, watchlists), **admin** (sources, keys, webhooks, settings).
Errors are `application/problem+json` with a stable `type`.

Lists share one set of conventions: filters, a whitelisted `sort`, keyset `cursor` pages with a
ready-made `next` link, `changed_after` incremental sync with tombstones, and conditional GET
(`If-None-Match` → 304 before any query runs) with `X-Poll-Interval`. Each key is rate-limited
(`RateLimit-*` headers; 429 with `Retry-After`). See docs/POLLING.md.
"""

# Every resource router sits behind a key: a route added to one of these routers cannot be
# public by accident (tests/routers/test_route_audit.py walks app.routes to prove it).
AUTHENTICATED = [Viewer]


_PROBLEM = {"$ref": "#/components/schemas/Problem"}


def document_common_responses(app: FastAPI) -> None:
    """Add the answers every operation of a kind can give to the OpenAPI document.

    A body that is not JSON gets 400 before validation runs; an id in the path that names
    nothing gets 404. Declaring them keeps clients (and schema fuzzers) from meeting
    undocumented statuses.
    """

    build = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is not None:
            return app.openapi_schema
        schema = build()
        for path, operations in schema.get("paths", {}).items():
            for operation in operations.values():
                responses = operation.setdefault("responses", {})
                problem = {"content": {"application/problem+json": {"schema": _PROBLEM}}}
                if "requestBody" in operation and "400" not in responses:
                    responses["400"] = {"description": "The body is not valid JSON", **problem}
                if "{" in path and "404" not in responses:
                    responses["404"] = {"description": "No such resource", **problem}
        app.openapi_schema = schema
        return schema

    app.openapi = openapi  # type: ignore[method-assign]


# Swagger UI and ReDoc as the fastapi-offline wheel ships them: /docs works without internet
# (FastAPI's own pages load them from a CDN, blank on an office network without one).
DOCS_ASSETS = Path(fastapi_offline.__file__).resolve().parent / "static"
ASSETS_URL = "/docs/assets"


def install_docs(app: FastAPI) -> None:
    """/docs (Swagger UI) and /redoc, with their scripts served from the installed package."""
    app.mount(ASSETS_URL, StaticFiles(directory=DOCS_ASSETS), name="docs-assets")

    async def swagger(_request: Request) -> HTMLResponse:
        return get_swagger_ui_html(
            openapi_url="/openapi.json",
            title=f"{app.title} - Swagger UI",
            swagger_js_url=f"{ASSETS_URL}/swagger-ui-bundle.js",
            swagger_css_url=f"{ASSETS_URL}/swagger-ui.css",
            swagger_favicon_url=f"{ASSETS_URL}/favicon.png",
        )

    async def redoc(_request: Request) -> HTMLResponse:
        return get_redoc_html(
            openapi_url="/openapi.json",
            title=f"{app.title} - ReDoc",
            redoc_js_url=f"{ASSETS_URL}/redoc.standalone.js",
            redoc_favicon_url=f"{ASSETS_URL}/favicon.png",
            with_google_fonts=False,
        )

    app.add_route("/docs", swagger, include_in_schema=False)
    app.add_route("/redoc", redoc, include_in_schema=False)


def create_app(settings: Settings | None = None, *, database: Database | None = None) -> FastAPI:
    settings = settings or get_settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        owned = database is None
        db = database or Database(settings.database)
        app.state.database = db
        stop = asyncio.Event()
        task: asyncio.Task[None] | None = None
        crawler = None
        if settings.scheduler_enabled:
            crawler = build_crawler(settings, db)
            task = asyncio.create_task(
                run_scheduler(crawler, tick_seconds=settings.scheduler_tick_seconds, stop=stop)
            )
        try:
            yield
        finally:
            stop.set()
            if task is not None:
                await task
            if crawler is not None:
                await crawler.aclose()
            await app.state.fetcher.aclose()
            await app.state.key_usage.flush()
            if owned:
                await db.dispose()

    app = FastAPI(
        title="Pantau API",
        version="1",
        description=DESCRIPTION,
        lifespan=lifespan,
        docs_url=None,  # install_docs: the same pages with local assets
        redoc_url=None,
        openapi_url="/openapi.json",
        dependencies=[Depends(QueryParamGuard())],
    )
    install_docs(app)
    app.state.settings = settings
    install_request_id_logging()
    app.state.versions = VersionCache(settings.etag_cache_seconds)
    app.state.key_cache = KeyCache(settings.api_key_cache_seconds)
    app.state.key_usage = UsageRecorder()
    app.state.rate_limiter = RateLimiter(
        per_minute=settings.rate_limit_per_minute, burst=settings.rate_limit_burst
    )
    app.state.invalid_keys = RateLimiter(
        per_minute=settings.invalid_key_per_minute, burst=settings.invalid_key_burst
    )
    app.state.metrics = Metrics()
    # The API's own fetches: kind detection when a source is registered, and "poll now".
    app.state.fetcher = build_fetcher(settings)
    app.state.source_poller = SourcePoller(
        fetcher=app.state.fetcher,
        pool=shared_pool(settings.cpu_workers),
        policy=PollPolicy(
            min_seconds=settings.poll_min_seconds, max_seconds=settings.poll_max_seconds
        ),
        min_gap_seconds=settings.poll_now_min_seconds,
    )
    install_error_handlers(app)
    install_conditional_handlers(app)
    app.include_router(health.router)
    app.include_router(metrics.router)
    for module in (
        sources,
        articles,
        article_admin,
        labels,
        entities,
        watchlists,
        issues,
        stats,
        keys,
        responses,
        claims,
    ):
        app.include_router(module.router, dependencies=[*AUTHENTICATED, JSON])
    for router in (alerts.rules, alerts.hooks, alerts.feed):
        app.include_router(router, dependencies=[*AUTHENTICATED, JSON])
    app.include_router(exports.router, dependencies=AUTHENTICATED)
    app.include_router(reports.router, dependencies=AUTHENTICATED)
    app.mount(web.ASSETS_URL, web.assets, name="web-assets")
    app.include_router(web.router)
    document_common_responses(app)
    app.add_middleware(
        ApiMiddleware,
        max_body_bytes=settings.max_request_bytes,
        metrics=app.state.metrics,
        gate=ConditionalGate(app, cache_bytes=settings.response_cache_bytes),
    )
    if settings.cors_origins:  # closed unless configured
        app.add_middleware(
            CORSMiddleware,
            allow_origins=settings.cors_origins,
            allow_methods=["GET", "POST", "PATCH", "PUT", "DELETE"],
            allow_headers=["Authorization", "Content-Type", "If-None-Match", "X-Request-ID"],
            expose_headers=[
                "ETag",
                "Last-Modified",
                "X-Poll-Interval",
                "X-Request-ID",
                "Retry-After",
                "RateLimit-Limit",
                "RateLimit-Remaining",
                "RateLimit-Reset",
                "RateLimit-Policy",
            ],
            max_age=600,
        )
    return app
