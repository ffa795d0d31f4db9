"""A tombstone: an article an analyst deleted or dismissed; ingestion never brings it back."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import String, Text
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import Base, utcnow


class Tombstone(Base):
    __tablename__ = "tombstones"

    url_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    url: Mapped[str] = mapped_column(Text)
    article_id: Mapped[int | None]  # no foreign key: the tombstone outlives a purged article
    reason: Mapped[str] = mapped_column(String(20), default="deleted")
    created_by: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
