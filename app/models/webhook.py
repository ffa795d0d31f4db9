"""A webhook alerts are delivered to. The secret is kept (it must sign every delivery) but
only ever returned once, when the webhook is created."""

from __future__ import annotations

from sqlalchemy import Boolean, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import Base, TimestampMixin


class Webhook(Base, TimestampMixin):
    __tablename__ = "webhooks"
    # SQLite never reuses a deleted id (migration a18000000001): ids are held outside.
    __table_args__ = ({"sqlite_autoincrement": True},)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    url: Mapped[str] = mapped_column(Text)
    secret: Mapped[str] = mapped_column(String(200))
    format: Mapped[str] = mapped_column(String(10), default="generic")  # generic | slack
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_by: Mapped[str] = mapped_column(String(200), default="")
