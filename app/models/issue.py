"""Issues ("isu"): a story across articles and outlets that analysts triage."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import Float, ForeignKey, Index, Integer, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import Base, JSONType, TimestampMixin, utcnow


class IssueStatus(StrEnum):
    NEW = "new"
    MONITORING = "monitoring"
    ESCALATED = "escalated"
    RESOLVED = "resolved"
    DISMISSED = "dismissed"


class DismissReason(StrEnum):
    FALSE_POSITIVE = "false_positive"
    NOT_RELEVANT = "not_relevant"


_EMPTY_LIST = text("'[]'")


class Issue(Base, TimestampMixin):
    __tablename__ = "issues"
    __table_args__ = (Index("ix_issues_last_seen_id", "last_seen_at", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(20), default=IssueStatus.NEW)
    severity: Mapped[float] = mapped_column(Float, default=0.0)
    article_count: Mapped[int] = mapped_column(Integer, default=0)
    negative_count: Mapped[int] = mapped_column(Integer, default=0)
    first_seen_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(default=utcnow)

    # What clustering and severity found (services/clustering.py); columns added after the
    # table had triggers, so each has a server default and no table rebuild was needed.
    top_terms: Mapped[list[str]] = mapped_column(JSONType, default=list, server_default=_EMPTY_LIST)
    watchlist_ids: Mapped[list[int]] = mapped_column(
        JSONType, default=list, server_default=_EMPTY_LIST
    )
    outlets: Mapped[list[str]] = mapped_column(JSONType, default=list, server_default=_EMPTY_LIST)
    negative_share: Mapped[float] = mapped_column(Float, default=0.0, server_default="0")
    velocity: Mapped[float] = mapped_column(Float, default=0.0, server_default="0")  # per hour
    velocity_ratio: Mapped[float] = mapped_column(Float, default=0.0, server_default="0")
    reach: Mapped[float] = mapped_column(Float, default=0.0, server_default="0")
    severity_breakdown: Mapped[dict[str, Any] | None] = mapped_column(JSONType)
    # The clustering snapshot (centroid terms, story groups, entities...): see IssueState.
    cluster_state: Mapped[dict[str, Any] | None] = mapped_column(JSONType)
    # Triage.
    assignee: Mapped[str | None] = mapped_column(String(200))
    notes: Mapped[str | None] = mapped_column(Text)
    dismissed_reason: Mapped[str | None] = mapped_column(String(20))
    dismissed_severity: Mapped[float | None] = mapped_column(Float)
    merged_into_id: Mapped[int | None] = mapped_column(Integer, index=True)


class IssueArticle(Base):
    __tablename__ = "issue_articles"

    article_id: Mapped[int] = mapped_column(
        ForeignKey("articles.id", ondelete="CASCADE"), primary_key=True
    )
    issue_id: Mapped[int] = mapped_column(ForeignKey("issues.id", ondelete="CASCADE"), index=True)
    added_at: Mapped[datetime] = mapped_column(default=utcnow)
