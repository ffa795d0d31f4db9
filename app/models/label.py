"""An analyst's label for an article: kept as history; the newest one wins over the model."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import Base, JSONType, utcnow


class LabelOverride(Base):
    __tablename__ = "label_overrides"
    __table_args__ = (Index("ix_label_overrides_article_id_id", "article_id", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    article_id: Mapped[int] = mapped_column(ForeignKey("articles.id", ondelete="CASCADE"))
    label: Mapped[str] = mapped_column(String(10))
    # [{"name": entity name, "label": ...}], or null when only the article was labelled.
    targets: Mapped[list[dict[str, Any]] | None] = mapped_column(JSONType)
    note: Mapped[str | None] = mapped_column(Text)
    # Who: the API key; its name is copied so the history survives the key's deletion.
    api_key_id: Mapped[int | None] = mapped_column(
        ForeignKey("api_keys.id", ondelete="SET NULL"), index=True
    )
    api_key_name: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
