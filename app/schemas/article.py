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
    author: str | None = Field(description="The byline; for a post, the account.")
    kind: str = Field(
        default="article", description="`article` (news) or `post` (public social media)."
    )
    platform: str | None = Field(
        default=None, description="A post's platform: youtube, mastodon, bluesky, reddit, telegram."
    )
    engagement: dict[str, int] | None = Field(
        default=None,
        description="What the platform shows of a post's reach, when it does.",
        examples=[{"views": 12300}, {"likes": 40, "reposts": 18, "replies": 2}],
    )
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
    text_error: str | None = Field(
        default=None,
        description="Why the full text is not from the article's page (its summary is used).",
        examples=["page not fetched: the source's page queue is full (2000 pages waiting)"],
    )
    score_error: str | None = Field(
        default=None,
        description="Why the article could not be scored (it was set aside, label null).",
        examples=["scoring took longer than 30 s; its worker was stopped"],
    )


class ArticlePage(BaseModel):
    items: list[ArticleRead | Tombstone] = Field(
        description="Articles; in `changed_after` mode also tombstones for deleted ones."
    )
    page: PageInfo
