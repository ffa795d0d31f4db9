"""A background re-scan of stored articles after a watched entity was created or edited.

Stored articles carry one scorer result per watched entity (``article.targets``); a new name or
alias must reach the coverage already stored, not only the articles scored from now on. The
job walks articles in id order from ``after_id``: each batch commits its results and its
progress together, so a crash resumes where the last batch ended.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import Base, TimestampMixin
from app.models.rematch_job import JobState


class EntityJob(Base, TimestampMixin):
    __tablename__ = "entity_jobs"
    __table_args__ = (Index("ix_entity_jobs_state_id", "state", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    entity_id: Mapped[int] = mapped_column(
        ForeignKey("watched_entities.id", ondelete="CASCADE"), index=True
    )
    state: Mapped[str] = mapped_column(String(12), default=JobState.PENDING)
    total: Mapped[int] = mapped_column(Integer, default=0)
    done: Mapped[int] = mapped_column(Integer, default=0)
    mentioned: Mapped[int] = mapped_column(Integer, default=0)  # articles naming the entity
    after_id: Mapped[int] = mapped_column(Integer, default=0)  # the resume point
    error: Mapped[str | None] = mapped_column(Text)
    finished_at: Mapped[datetime | None]
