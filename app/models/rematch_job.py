"""A background re-match of stored articles after a watchlist was created or edited.

The job walks articles in id order from ``after_id``: each batch commits its links and its
progress together, so a crash resumes where the last batch ended.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import Base, TimestampMixin


class JobState(StrEnum):
    PENDING = "pending"
    RUNNING = "running"
    DONE = "done"
    CANCELLED = "cancelled"  # superseded by a newer edit of the watchlist
    FAILED = "failed"


class RematchJob(Base, TimestampMixin):
    __tablename__ = "rematch_jobs"
    __table_args__ = (Index("ix_rematch_jobs_state_id", "state", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    watchlist_id: Mapped[int] = mapped_column(
        ForeignKey("watchlists.id", ondelete="CASCADE"), index=True
    )
    state: Mapped[str] = mapped_column(String(12), default=JobState.PENDING)
    total: Mapped[int] = mapped_column(Integer, default=0)
    done: Mapped[int] = mapped_column(Integer, default=0)
    matched: Mapped[int] = mapped_column(Integer, default=0)
    after_id: Mapped[int] = mapped_column(Integer, default=0)  # the resume point
    error: Mapped[str | None] = mapped_column(Text)
    finished_at: Mapped[datetime | None]
