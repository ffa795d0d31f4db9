"""Articles: response models."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from app.schemas.common import PageInfo, Tombstone


class ArticleRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    source_id: int | None
    url: str
    outlet: str | None
    title: str
    summary: str | None
    author: str | None
    published_at: datetime
    published_trusted: bool = Field(description="False when the publish time could not be trusted.")
    fetched_at: datetime
    language: str | None
    label: str | None = Field(description="negative, neutral or positive; null until scored.")
    negativity: float | None = Field(
        description="Probability in [0, 1] that the article is negative."
    )
    confidence: float | None
    model_version: str | None
    issue_id: int | None = None
    highlight: str | None = Field(
        default=None,
        description="With `q`: matching passages, matches in <mark>, the rest HTML-escaped.",
        examples=["… Polisi <mark>banjir</mark> di Jakarta …"],
    )


class ArticleDetail(ArticleRead):
    body: str | None
    explanation: dict[str, Any] | None
    targets: list[dict[str, Any]] | None


class ArticlePage(BaseModel):
    items: list[ArticleRead | Tombstone] = Field(
        description="Articles; in `changed_after` mode also tombstones for deleted ones."
    )
    page: PageInfo
