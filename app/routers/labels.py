"""Analyst labels on articles: the feedback that wins over the model."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, status

from app.db import SessionDep
from app.models import LabelOverride, Role
from app.routers.deps import ERROR_RESPONSES, KeyInfo, Viewer, require
from app.routers.params import PathId
from app.schemas.label import LabelCreate, LabelHistory, LabelRead
from app.services import labels as service

router = APIRouter(
    prefix="/v1/articles", tags=["labels"], dependencies=[Viewer], responses=ERROR_RESPONSES
)
AnalystKey = Annotated[KeyInfo, Depends(require(Role.ANALYST))]


def to_read(row: LabelOverride) -> LabelRead:
    return LabelRead.model_validate(row, from_attributes=True)


@router.post(
    "/{article_id}/label",
    status_code=status.HTTP_201_CREATED,
    summary="Label an article",
    responses={404: {"description": "No such article"}},
)
async def label_article(
    article_id: PathId, body: LabelCreate, session: SessionDep, key: AnalystKey
) -> LabelRead:
    """Store an analyst label (and optional per-entity labels); it becomes the article's
    effective label everywhere, and re-scoring never replaces it."""
    data = service.NewLabel(
        label=body.label, targets=[(t.name, t.label) for t in body.targets], note=body.note
    )
    return to_read(
        await service.add_label(
            session, article_id=article_id, data=data, actor_id=key.id, actor_name=key.name
        )
    )


@router.get(
    "/{article_id}/labels",
    summary="An article's label history",
    responses={404: {"description": "No such article"}},
)
async def list_labels(article_id: PathId, session: SessionDep) -> LabelHistory:
    """The effective label, the model's own, and every analyst label, newest first."""
    article, rows = await service.list_labels(session, article_id=article_id)
    return LabelHistory(
        article_id=article.id,
        label=article.label,
        negativity=article.negativity,
        label_source=article.label_source,
        model_label=article.model_label,
        model_negativity=article.model_negativity,
        model_version=article.model_version,
        items=[to_read(r) for r in rows],
    )
