"""Fact-checked claims (from fact-check sources) and the articles and posts repeating them."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from app.db import SessionDep
from app.routers.deps import ERROR_RESPONSES, Viewer
from app.routers.params import PathId
from app.schemas.claim import ClaimDetail, ClaimMatchRead, ClaimPage, ClaimRead
from app.services import claims as service

router = APIRouter(
    prefix="/v1/claims", tags=["claims"], dependencies=[Viewer], responses=ERROR_RESPONSES
)


@router.get("", response_model=ClaimPage)
async def list_claims(
    session: SessionDep,
    verdict: Annotated[
        str | None, Query(max_length=16, description="Only this verdict.", examples=["hoax"])
    ] = None,
    matched: Annotated[
        bool | None, Query(description="Only claims some document repeats (true) or none (false).")
    ] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    before_id: Annotated[int | None, Query(ge=1, description="Keyset: ids below this.")] = None,
) -> ClaimPage:
    """Claims newest first, with how many articles and posts repeat each."""
    rows = await service.list_claims(
        session, verdict=verdict, matched=matched, limit=limit, before_id=before_id
    )
    items = [ClaimRead.model_validate(c).model_copy(update={"matches": n}) for c, n in rows]
    return ClaimPage(items=items, next_before_id=items[-1].id if len(items) == limit else None)


@router.get("/{claim_id}", response_model=ClaimDetail)
async def get_claim(session: SessionDep, claim_id: PathId) -> ClaimDetail:
    """A claim and the documents repeating it, best match first."""
    claim = await service.get_claim(session, claim_id=claim_id)
    matches = await service.claim_matches(session, claim_id=claim_id)
    documents = [
        ClaimMatchRead(
            article_id=a.id,
            kind=a.kind,
            platform=a.platform,
            url=a.url,
            title=a.title,
            outlet=name or a.outlet,
            author=a.author,
            published_at=a.published_at,
            score=m.score,
        )
        for m, a, name in matches
    ]
    base = ClaimRead.model_validate(claim).model_dump()
    return ClaimDetail(**{**base, "matches": len(documents)}, documents=documents)
