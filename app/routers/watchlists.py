"""Watchlists: named boolean queries matched against every article."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, Response, status

from app.db import SessionDep
from app.models import RematchJob, Watchlist
from app.routers.deps import ERROR_RESPONSES, Analyst, CurrentKey, Viewer
from app.routers.params import PathId
from app.schemas.common import Problem
from app.schemas.watchlist import (
    QueryTest,
    QueryTestHit,
    QueryTestResult,
    RematchRead,
    SearchSourceList,
    SearchSourceRead,
    SearchSourcesUpdate,
    TermHitRead,
    WatchlistCreate,
    WatchlistList,
    WatchlistRead,
    WatchlistUpdate,
    WatchlistWithJob,
)
from app.services import search_sources
from app.services import watchlists as service

router = APIRouter(
    prefix="/v1/watchlists", tags=["watchlists"], dependencies=[Viewer], responses=ERROR_RESPONSES
)

QUERY_ERROR: dict[int | str, dict[str, Any]] = {
    422: {
        "description": "The query does not parse: `position` (0-based character offset) and "
        "`expected` say where and what",
        "model": Problem,
        "content": {
            "application/problem+json": {
                "example": {
                    "type": "https://pantau.id/problems/invalid-query",
                    "title": "Invalid query",
                    "status": 422,
                    "detail": "unclosed parenthesis at position 17: expected ')'",
                    "position": 17,
                    "expected": "')'",
                    "query": "(banjir OR rob",
                }
            }
        },
    }
}


def _with_job(watchlist: Watchlist, job: RematchJob | None) -> WatchlistWithJob:
    read = WatchlistRead.model_validate(watchlist)
    return WatchlistWithJob(
        **read.model_dump(), rematch=RematchRead.model_validate(job) if job else None
    )


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    dependencies=[Analyst],
    summary="Create a watchlist",
    responses={**QUERY_ERROR, 409: {"description": "A watchlist with this name exists"}},
)
async def create_watchlist(
    body: WatchlistCreate, session: SessionDep, key: CurrentKey
) -> WatchlistWithJob:
    """Create a watchlist; new articles are matched on ingest, stored ones by a background
    re-match (progress at `GET /v1/watchlists/{id}/rematch`)."""
    data = service.WatchlistData(
        name=body.name,
        query=body.query,
        priority=body.priority,
        entity_ids=body.entity_ids,
        active=body.active,
    )
    watchlist, job = await service.create_watchlist(session, data=data, actor=key.name)
    return _with_job(watchlist, job)


@router.get("", summary="List watchlists")
async def list_watchlists(
    session: SessionDep,
    active: Annotated[bool | None, Query(description="Only active (true) or inactive.")] = None,
) -> WatchlistList:
    """Every watchlist in id order."""
    rows = await service.list_watchlists(session, active=active)
    return WatchlistList(items=[WatchlistRead.model_validate(w) for w in rows])


@router.post("/test", summary="Test a query against recent articles", responses=QUERY_ERROR)
async def test_query(body: QueryTest, session: SessionDep) -> QueryTestResult:
    """What the query would match among the newest stored articles, with every term and
    whether it occurred (nothing is stored)."""
    result = await service.scan_query(
        session, query=body.query, limit=body.limit, scan=body.scan, entity_ids=body.entity_ids
    )
    return QueryTestResult(
        query=result.query.source,
        terms=[t.label or t.text for t in result.query.terms()],
        scanned=result.scanned,
        matched=result.matched,
        items=[
            QueryTestHit(
                id=h.article.id,
                title=h.article.title,
                url=h.article.url,
                outlet=h.article.outlet,
                published_at=h.article.published_at,
                label=h.article.label,
                matched_terms=list(h.explanation.matched_terms),
                terms=[
                    TermHitRead(term=t.term, negated=t.negated, matched=t.matched)
                    for t in h.explanation.hits
                ],
            )
            for h in result.hits
        ],
    )


@router.get("/{watchlist_id}", summary="Get one watchlist")
async def get_watchlist(watchlist_id: PathId, session: SessionDep) -> WatchlistRead:
    """One watchlist."""
    return WatchlistRead.model_validate(
        await service.get_watchlist(session, watchlist_id=watchlist_id)
    )


@router.patch(
    "/{watchlist_id}",
    dependencies=[Analyst],
    summary="Change a watchlist",
    responses={**QUERY_ERROR, 409: {"description": "A watchlist with this name exists"}},
)
async def update_watchlist(
    watchlist_id: PathId, body: WatchlistUpdate, session: SessionDep
) -> WatchlistWithJob:
    """Change fields; a new query or entity list (or re-activation) starts a re-match and
    cancels one still running."""
    data = service.WatchlistData(
        name=body.name,
        query=body.query,
        priority=body.priority,
        entity_ids=body.entity_ids,
        active=body.active,
    )
    watchlist, job = await service.update_watchlist(session, watchlist_id=watchlist_id, data=data)
    return _with_job(watchlist, job)


@router.delete(
    "/{watchlist_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    dependencies=[Analyst],
    summary="Delete a watchlist",
)
async def delete_watchlist(watchlist_id: PathId, session: SessionDep) -> Response:
    """Delete the watchlist, its article links, re-match jobs and alert rules."""
    await service.delete_watchlist(session, watchlist_id=watchlist_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get("/{watchlist_id}/rematch", summary="Progress of the latest re-match")
async def get_rematch(watchlist_id: PathId, session: SessionDep) -> RematchRead:
    """The newest re-match job of the watchlist: state, total, done, matched."""
    return RematchRead.model_validate(await service.latest_job(session, watchlist_id=watchlist_id))


def _searches(rows: list[search_sources.SearchSource]) -> SearchSourceList:
    return SearchSourceList(
        items=[
            SearchSourceRead(
                source_id=r.source.id,
                platform=r.platform,
                terms=r.terms,
                kind=r.source.kind,
                url=r.source.url,
                name=r.source.name,
                enabled=r.source.enabled,
                last_status=r.source.last_status,
                last_error=r.source.last_error,
                failing_since=r.source.failing_since,
                last_success_at=r.source.last_success_at,
                next_check_at=r.source.next_check_at,
            )
            for r in rows
        ]
    )


@router.put(
    "/{watchlist_id}/search-sources",
    dependencies=[Analyst],
    summary="Set the search sources of a watchlist",
    responses={422: {"description": "No active entities to search for and no `terms`"}},
)
async def set_search_sources(
    watchlist_id: PathId, body: SearchSourcesUpdate, session: SessionDep, request: Request
) -> SearchSourceList:
    """Search beyond the registered outlets: one source per platform and watched entity
    (Google News search in Indonesian, Reddit search, Bluesky post search), crawled like any
    source (same schedule, politeness and address guard). News results are stored under the
    publisher's own URL, so an article its outlet's feed also brings is one article. Sources
    no longer wanted are disabled; calling it again after an entity change refreshes them."""
    settings = request.app.state.settings
    bases = search_sources.SearchBases(
        google_news=settings.search_google_news_url,
        reddit=settings.search_reddit_url,
        bluesky=settings.search_bluesky_url,
    )
    rows = await search_sources.set_search_sources(
        session,
        watchlist_id=watchlist_id,
        platforms=body.platforms,
        terms=body.terms,
        bases=bases,
    )
    return _searches(rows)


@router.get("/{watchlist_id}/search-sources", summary="The search sources of a watchlist")
async def list_search_sources(watchlist_id: PathId, session: SessionDep) -> SearchSourceList:
    """The watchlist's search sources with their health, by platform and query."""
    return _searches(await search_sources.list_search_sources(session, watchlist_id=watchlist_id))
