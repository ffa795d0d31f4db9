"""A search source a watchlist spawned: which source searches which terms on which platform.

Many watchlists may share one search source (the same entity watched twice); the source is
disabled when no watchlist links it any more (services/search_sources.py).
"""

from __future__ import annotations

from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import Base, TimestampMixin


class WatchlistSearchSource(Base, TimestampMixin):
    __tablename__ = "watchlist_search_sources"

    watchlist_id: Mapped[int] = mapped_column(
        ForeignKey("watchlists.id", ondelete="CASCADE"), primary_key=True
    )
    source_id: Mapped[int] = mapped_column(
        ForeignKey("sources.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    platform: Mapped[str] = mapped_column(String(16))  # google_news | reddit | bluesky
    terms: Mapped[str] = mapped_column(Text)  # the search query sent
