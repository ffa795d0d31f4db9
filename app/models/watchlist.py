"""A watchlist: a named boolean query (app/feed/query.py) that articles are matched against."""

from __future__ import annotations

from sqlalchemy import Boolean, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import Base, JSONType, TimestampMixin


class Watchlist(Base, TimestampMixin):
    __tablename__ = "watchlists"
    # SQLite never reuses a deleted id (migration a18000000001): ids are held outside.
    __table_args__ = ({"sqlite_autoincrement": True},)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    query: Mapped[str] = mapped_column(Text)
    priority: Mapped[int] = mapped_column(Integer, default=3)  # 1 (low) .. 5 (critical)
    # Watched entities whose tone counts toward severity (their aliases are the query's
    # ``entity:`` names too).
    entity_ids: Mapped[list[int]] = mapped_column(JSONType, default=list)
    active: Mapped[bool] = mapped_column(Boolean, default=True, index=True)
    created_by: Mapped[str] = mapped_column(String(200), default="")
