"""A spike detected in a watchlist's or an issue's hourly or daily series (app/feed/spikes.py).

Unique per (subject, kind, granularity, bucket): detection re-running on the same bucket
finds the row already there.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Float, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import Base, utcnow


class SpikeEvent(Base):
    __tablename__ = "spike_events"
    __table_args__ = (
        UniqueConstraint(
            "subject_kind",
            "subject_id",
            "kind",
            "granularity",
            "bucket_start",
            name="uq_spike_events_subject_bucket",
        ),
        Index("ix_spike_events_detected_at", "detected_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    subject_kind: Mapped[str] = mapped_column(String(10))  # watchlist | issue
    subject_id: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(16))  # volume | negative_share
    granularity: Mapped[str] = mapped_column(String(4))  # hour | day
    bucket_start: Mapped[datetime]
    value: Mapped[float] = mapped_column(Float)
    baseline_mean: Mapped[float] = mapped_column(Float)
    baseline_std: Mapped[float] = mapped_column(Float)
    z: Mapped[float] = mapped_column(Float)
    reason: Mapped[str] = mapped_column(Text)
    detected_at: Mapped[datetime] = mapped_column(default=utcnow)
