"""An article: keyed by the hash of its canonical URL, so ingestion is an upsert."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import Boolean, Float, ForeignKey, Index, Integer, LargeBinary, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import Base, JSONType, TimestampMixin, utcnow


class TextState(StrEnum):
    """Whether the article's full text still has to come from its page."""

    PENDING = "pending"  # only a summary (or nothing): the page stage will fetch and extract
    DONE = "done"  # extracted from the page
    FAILED = "failed"  # the page could not be fetched or read; text_error says why


class DocumentKind(StrEnum):
    """What a stored document is: a news article, or a public social post."""

    ARTICLE = "article"
    POST = "post"


class Article(Base, TimestampMixin):
    __tablename__ = "articles"
    __table_args__ = (
        Index("ix_articles_published_id", "published_at", "id"),
        Index("ix_articles_source_published", "source_id", "published_at"),
        Index("ix_articles_label_published", "label", "published_at"),
        # The pipeline's work queues: small partial indexes over rows still waiting for a stage.
        Index(
            "ix_articles_pending_score",
            "id",
            sqlite_where=text("scored_at IS NULL"),
            postgresql_where=text("scored_at IS NULL"),
        ),
        Index(
            "ix_articles_pending_group",
            "id",
            sqlite_where=text("grouped_at IS NULL AND scored_at IS NOT NULL"),
            postgresql_where=text("grouped_at IS NULL AND scored_at IS NOT NULL"),
        ),
        Index(
            "ix_articles_pending_match",
            "id",
            sqlite_where=text("matched_at IS NULL AND scored_at IS NOT NULL"),
            postgresql_where=text("matched_at IS NULL AND scored_at IS NOT NULL"),
        ),
        Index(
            "ix_articles_pending_text",
            "id",
            sqlite_where=text("text_state = 'pending'"),
            postgresql_where=text("text_state = 'pending'"),
        ),
        Index(
            "ix_articles_pending_story",
            "id",
            sqlite_where=text("story_group_id IS NULL AND deleted_at IS NULL"),
            postgresql_where=text("story_group_id IS NULL AND deleted_at IS NULL"),
        ),
        Index(
            "ix_articles_pending_claims",
            "id",
            sqlite_where=text("claims_checked_at IS NULL AND scored_at IS NOT NULL"),
            postgresql_where=text("claims_checked_at IS NULL AND scored_at IS NOT NULL"),
        ),
        Index("ix_articles_kind_published", "kind", "published_at"),
        # Per-source title dedup: same outlet, same normalised title within a window.
        Index("ix_articles_source_title", "source_id", "title_key"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    source_id: Mapped[int | None] = mapped_column(
        ForeignKey("sources.id", ondelete="SET NULL"), index=True
    )
    url: Mapped[str] = mapped_column(Text)
    url_hash: Mapped[str] = mapped_column(String(64), unique=True)
    guid: Mapped[str | None] = mapped_column(Text)
    outlet: Mapped[str | None] = mapped_column(String(200), index=True)
    title: Mapped[str] = mapped_column(Text, default="")
    summary: Mapped[str | None] = mapped_column(Text)
    body: Mapped[str | None] = mapped_column(Text)
    author: Mapped[str | None] = mapped_column(String(300))
    # `article` or `post` (DocumentKind); a post's author is its account, `platform` where it
    # was posted, `engagement` what the source shows ({"views": .., "likes": .., ...}).
    kind: Mapped[str] = mapped_column(
        String(8), default=DocumentKind.ARTICLE, server_default=DocumentKind.ARTICLE.value
    )
    platform: Mapped[str | None] = mapped_column(String(16))
    engagement: Mapped[dict[str, int] | None] = mapped_column(JSONType)
    published_at: Mapped[datetime] = mapped_column(default=utcnow)
    published_trusted: Mapped[bool] = mapped_column(Boolean, default=True)
    fetched_at: Mapped[datetime] = mapped_column(default=utcnow)
    language: Mapped[str | None] = mapped_column(String(8))
    content_hash: Mapped[str | None] = mapped_column(String(64), index=True)
    title_key: Mapped[str | None] = mapped_column(String(64))

    # The page stage's queue: text_state 'pending' rows are leased to one worker at a time.
    text_state: Mapped[str | None] = mapped_column(String(10))
    text_claimed_until: Mapped[datetime | None]
    text_attempts: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    text_error: Mapped[str | None] = mapped_column(Text)

    # Near-duplicate detection: a MinHash signature, and the story group it was assigned to.
    minhash: Mapped[bytes | None] = mapped_column(LargeBinary)
    story_group_id: Mapped[int | None] = mapped_column(
        ForeignKey("story_groups.id", ondelete="SET NULL"), index=True
    )
    # Set when the page's canonical URL turned out to be another stored article.
    duplicate_of_id: Mapped[int | None] = mapped_column(
        ForeignKey("articles.id", ondelete="SET NULL")
    )

    # The effective score (what the API, issues and severity use): the model's, or the
    # newest analyst label when there is one (label_source "analyst"; see services/labels.py).
    label: Mapped[str | None] = mapped_column(String(10))
    negativity: Mapped[float | None] = mapped_column(Float)
    confidence: Mapped[float | None] = mapped_column(Float)
    label_source: Mapped[str | None] = mapped_column(String(10))
    # The model's own output, kept even when an analyst overrides it.
    model_label: Mapped[str | None] = mapped_column(String(10))
    model_negativity: Mapped[float | None] = mapped_column(Float)
    model_version: Mapped[str | None] = mapped_column(String(64), index=True)
    explanation: Mapped[dict[str, Any] | None] = mapped_column(JSONType)
    targets: Mapped[list[dict[str, Any]] | None] = mapped_column(JSONType)
    scored_at: Mapped[datetime | None]
    # Set (with scored_at, and no label) when scoring this article failed or ran past its time
    # limit alone: it left the score queue unscored, and this says why (pipeline/score.py).
    score_error: Mapped[str | None] = mapped_column(Text)
    matched_at: Mapped[datetime | None]  # the watchlist match stage ran (services/watchlists)
    grouped_at: Mapped[datetime | None]
    claims_checked_at: Mapped[datetime | None]  # the claim-match stage ran (services/claims)

    deleted_at: Mapped[datetime | None]
