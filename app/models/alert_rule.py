"""An alert rule: when to alert (severity above N, spike on a watchlist, new issue on a
watchlist, a debunked claim spreading again) and which webhook receives it."""

from __future__ import annotations

from sqlalchemy import Boolean, Float, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import Base, JSONType, TimestampMixin


class AlertRule(Base, TimestampMixin):
    __tablename__ = "alert_rules"
    # SQLite never reuses a deleted id (migration a18000000001): ids are held outside.
    __table_args__ = ({"sqlite_autoincrement": True},)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(16))  # severity_above spike new_issue hoax_spread
    threshold: Mapped[float | None] = mapped_column(Float)
    watchlist_id: Mapped[int | None] = mapped_column(
        ForeignKey("watchlists.id", ondelete="CASCADE"), index=True
    )
    spike_kinds: Mapped[list[str]] = mapped_column(JSONType, default=list)
    webhook_id: Mapped[int] = mapped_column(
        ForeignKey("webhooks.id", ondelete="CASCADE"), index=True
    )
    cooldown_minutes: Mapped[int] = mapped_column(Integer, default=24 * 60)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_by: Mapped[str] = mapped_column(String(200), default="")
