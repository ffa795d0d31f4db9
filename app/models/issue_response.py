"""What the team did about an issue: official statements, press releases, right of reply
(*hak jawab*) sent to an outlet and whether it was published, clarification posts."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import Boolean, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import Base, utcnow


class ResponseKind(StrEnum):
    STATEMENT = "statement"
    PRESS_RELEASE = "press_release"
    HAK_JAWAB = "hak_jawab"
    CLARIFICATION = "clarification"


class IssueResponse(Base):
    __tablename__ = "issue_responses"
    __table_args__ = (
        Index("ix_issue_responses_issue_id_responded_at", "issue_id", "responded_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    issue_id: Mapped[int] = mapped_column(ForeignKey("issues.id", ondelete="RESTRICT"))
    kind: Mapped[str] = mapped_column(String(20))
    url: Mapped[str | None] = mapped_column(Text)
    outlet: Mapped[str | None] = mapped_column(String(200))
    note: Mapped[str | None] = mapped_column(Text)
    responded_at: Mapped[datetime] = mapped_column(index=True)
    published: Mapped[bool | None] = mapped_column(Boolean)
    published_at: Mapped[datetime | None]
    actor: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
