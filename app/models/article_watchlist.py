"""Which watchlists an article matched: written by the match stage and by re-match jobs."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import Base, utcnow


class ArticleWatchlist(Base):
    __tablename__ = "article_watchlists"
    __table_args__ = (
        Index("ix_article_watchlists_watchlist_article", "watchlist_id", "article_id"),
    )

    article_id: Mapped[int] = mapped_column(
        ForeignKey("articles.id", ondelete="CASCADE"), primary_key=True
    )
    watchlist_id: Mapped[int] = mapped_column(
        ForeignKey("watchlists.id", ondelete="CASCADE"), primary_key=True
    )
    matched_at: Mapped[datetime] = mapped_column(default=utcnow)
