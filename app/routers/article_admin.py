"""Article administration: analysts remove articles for good (a tombstone stops re-import)."""

from __future__ import annotations

from fastapi import APIRouter, Response

from app.db import SessionDep
from app.routers.deps import ERROR_RESPONSES, Analyst, CurrentKey
from app.routers.params import PathId
from app.services import tombstones as service

router = APIRouter(
    prefix="/v1/articles", tags=["articles"], dependencies=[Analyst], responses=ERROR_RESPONSES
)


@router.delete(
    "/{article_id}",
    status_code=204,
    summary="Delete an article",
    responses={
        404: {"description": "No such article", "content": {"application/problem+json": {}}}
    },
)
async def delete_article(article_id: PathId, session: SessionDep, key: CurrentKey) -> Response:
    """Hide an article and make sure no crawl imports its URL again."""
    await service.delete_article(
        session, article_id=article_id, actor=f"api key {key.id} ({key.name})"
    )
    return Response(status_code=204)
