"""A story group: syndicated copies of one story across outlets, found by near-duplicate text."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import Base, TimestampMixin, utcnow


class StoryGroup(Base, TimestampMixin):
    __tablename__ = "story_groups"
    __table_args__ = (Index("ix_story_groups_first_published", "first_published_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(Text, default="")
    # The earliest publication known so far: who had the story first.
    first_article_id: Mapped[int | None]  # no foreign key: articles already point here
    first_outlet: Mapped[str | None] = mapped_column(String(200))
    first_published_at: Mapped[datetime] = mapped_column(default=utcnow)
    copy_count: Mapped[int] = mapped_column(Integer, default=1)
    outlet_count: Mapped[int] = mapped_column(Integer, default=1)


class StoryBand(Base):
    """One LSH band of an article's MinHash: articles sharing a band are candidate copies."""

    __tablename__ = "story_bands"
    __table_args__ = (Index("ix_story_bands_article_id", "article_id"),)

    band: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    article_id: Mapped[int] = mapped_column(
        ForeignKey("articles.id", ondelete="CASCADE"), primary_key=True
    )
    published_at: Mapped[datetime] = mapped_column(default=utcnow)
