"""Sources: register feeds and see their health."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request, Response, status

from app.db import SessionDep
from app.models import Source, utcnow
from app.routers.deps import ERROR_RESPONSES, Admin, Viewer
from app.routers.params import PathId
from app.schemas.common import PageInfo
from app.schemas.source import (
    FetchAttemptPage,
    FetchAttemptRead,
    SourceCreate,
    SourcePage,
    SourcePollRead,
    SourceRead,
    SourceUpdate,
)
from app.services import sources as service
from app.services.sources import SourcePolling

router = APIRouter(
    prefix="/v1/sources", tags=["sources"], dependencies=[Viewer], responses=ERROR_RESPONSES
)


def to_read(source: Source, items_last_24h: int = 0) -> SourceRead:
    read = SourceRead.model_validate(source, from_attributes=True)
    read.items_last_24h = items_last_24h
    return read


async def to_page(
    request: Request, session: SessionDep, rows: list[Source], next_cursor: str | None
) -> SourcePage:
    counts = await service.recent_item_counts(session, source_ids=[s.id for s in rows])
    next_url = str(request.url.include_query_params(cursor=next_cursor)) if next_cursor else None
    return SourcePage(
        items=[to_read(s, counts.get(s.id, 0)) for s in rows],
        page=PageInfo(next_cursor=next_cursor, next=next_url),
    )


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    dependencies=[Admin],
    summary="Register a source",
    responses={
        409: {"description": "The URL is already registered"},
        422: {
            "description": "Invalid input, or (kind omitted) the URL is not a feed, sitemap or "
            "listing page: `detail` says what was found and what to try (also as `found`, "
            "`hint`)",
            "content": {
                "application/problem+json": {
                    "example": {
                        "type": "https://pantau.id/problems/invalid-input",
                        "title": "Invalid input",
                        "status": 422,
                        "detail": "not a feed, sitemap or listing page: an HTML page titled "
                        "'Tentang Kami' with 0 article links. Try: register its advertised feed "
                        "https://example.id/rss; or kind=listing with a CSS selector for its "
                        "article links; or kind=article if the URL is a single article",
                        "found": "an HTML page titled 'Tentang Kami' with 0 article links",
                        "hint": "register its advertised feed https://example.id/rss; or ...",
                    }
                }
            },
        },
    },
)
async def create_source(request: Request, body: SourceCreate, session: SessionDep) -> SourceRead:
    """Register a feed, sitemap, listing page or article URL; it is crawled at the next tick.

    Without `kind`, the URL is fetched once (politely, public addresses only) and its kind
    detected; `format` and `detected` in the answer say what was found.
    """
    kind, detection = body.kind, None
    if kind is None:  # detect before any query: no transaction waits on the network
        detection = await service.detect_source(
            request.app.state.fetcher, url=str(body.url), now=utcnow()
        )
        kind = detection.kind
    data = service.NewSource(
        url=str(body.url),
        kind=kind,
        format=detection.format if detection else None,
        name=body.name,
        language=body.language,
        tier=body.tier,
        enabled=body.enabled,
        poll_interval_override=body.poll_interval_override,
        selector=body.selector,
    )
    read = to_read(await service.create_source(session, data=data))
    read.detected = detection.note if detection else None
    return read


@router.get("", summary="List sources with their health")
async def list_sources(
    request: Request,
    session: SessionDep,
    limit: Annotated[int, Query(ge=1, le=500, description="Page size.")] = 100,
    cursor: Annotated[
        str | None, Query(max_length=500, description="next_cursor of the previous page.")
    ] = None,
    unhealthy: Annotated[
        bool | None, Query(description="Only failing (true) or healthy (false) sources.")
    ] = None,
) -> SourcePage:
    """Sources in id order, each with its last status, error and next check."""
    rows, next_cursor = await service.list_sources(
        session, limit=limit, cursor=cursor, unhealthy=unhealthy
    )
    return await to_page(request, session, list(rows), next_cursor)


@router.get("/unhealthy", summary="List failing sources with their reason")
async def list_unhealthy_sources(
    request: Request,
    session: SessionDep,
    limit: Annotated[int, Query(ge=1, le=500, description="Page size.")] = 100,
    cursor: Annotated[
        str | None, Query(max_length=500, description="next_cursor of the previous page.")
    ] = None,
) -> SourcePage:
    """Sources whose latest fetches fail: `last_error` says why, `failing_since` since when.

    Same as `GET /v1/sources?unhealthy=true`. Failing sources are never dropped: they keep
    being retried with capped backoff (at most daily), so they stay listed here until fixed,
    disabled or deleted.
    """
    rows, next_cursor = await service.list_sources(
        session, limit=limit, cursor=cursor, unhealthy=True
    )
    return await to_page(request, session, list(rows), next_cursor)


@router.get("/{source_id:int}", summary="Get one source")
async def get_source(source_id: PathId, session: SessionDep) -> SourceRead:
    """One source with its health."""
    source = await service.get_source(session, source_id=source_id)
    counts = await service.recent_item_counts(session, source_ids=[source_id])
    return to_read(source, counts.get(source_id, 0))


@router.patch("/{source_id:int}", dependencies=[Admin], summary="Change a source")
async def update_source(source_id: PathId, body: SourceUpdate, session: SessionDep) -> SourceRead:
    """Enable or disable a source, rename it, change its kind, tier, interval override or
    selector. A new kind keeps the source's articles and fetch log; it is fetched at once."""
    changes = body.model_dump(exclude_unset=True)
    source = await service.update_source(session, source_id=source_id, changes=changes)
    counts = await service.recent_item_counts(session, source_ids=[source_id])
    return to_read(source, counts.get(source_id, 0))


@router.delete(
    "/{source_id:int}",
    dependencies=[Admin],
    status_code=status.HTTP_204_NO_CONTENT,
    summary="Delete a source",
)
async def delete_source(source_id: PathId, session: SessionDep) -> Response:
    """Delete a source and its fetch log; its articles are kept."""
    await service.delete_source(session, source_id=source_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get("/{source_id:int}/attempts", summary="Recent fetch attempts of a source")
async def list_attempts(
    source_id: PathId,
    request: Request,
    session: SessionDep,
    limit: Annotated[int, Query(ge=1, le=200, description="Page size.")] = 50,
    cursor: Annotated[
        str | None, Query(max_length=500, description="next_cursor of the previous page.")
    ] = None,
) -> FetchAttemptPage:
    """Fetch attempts newest first: status, HTTP status, time taken, items, error."""
    rows, next_cursor = await service.list_attempts(
        session, source_id=source_id, limit=limit, cursor=cursor
    )
    next_url = str(request.url.include_query_params(cursor=next_cursor)) if next_cursor else None
    return FetchAttemptPage(
        items=[FetchAttemptRead.model_validate(a, from_attributes=True) for a in rows],
        page=PageInfo(next_cursor=next_cursor, next=next_url),
    )


@router.post(
    "/{source_id:int}/poll",
    dependencies=[Admin],
    status_code=status.HTTP_202_ACCEPTED,
    summary="Fetch a source now",
    responses={
        409: {"description": "A worker is fetching this source right now"},
        429: {"description": "Fetched too recently; `Retry-After` says when to ask again"},
    },
)
async def poll_source(source_id: PathId, request: Request) -> SourcePollRead:
    """Fetch this source now, as the scheduler would (politeness, robots.txt for pages, public
    addresses only), and say what happened. 202: its new articles are stored; scoring,
    matching and grouping follow at the next tick. A failure is recorded as for a scheduled
    poll (see `/attempts`) and answered here with its reason in `error`."""
    poller: SourcePolling = request.app.state.source_poller
    report = await poller.poll(request.app.state.database, source_id)
    return SourcePollRead.model_validate(report, from_attributes=True)
