"""A watched entity: a name the crisis team follows, with the aliases the press uses for it.

Every active entity is scored in every article (``article.targets``). Watchlists will refer
to these rows by id; the table itself stays a plain list of names.
"""

from __future__ import annotations

from sqlalchemy import Boolean, String
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import Base, JSONType, TimestampMixin


class WatchedEntity(Base, TimestampMixin):
    __tablename__ = "watched_entities"
    # SQLite never reuses a deleted id (migration a18000000001): ids are held outside.
    __table_args__ = ({"sqlite_autoincrement": True},)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    # Other spellings matched like the name (case-insensitive, on word boundaries).
    aliases: Mapped[list[str]] = mapped_column(JSONType, default=list)
    active: Mapped[bool] = mapped_column(Boolean, default=True, index=True)
