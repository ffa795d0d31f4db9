"""A fact-checked claim (from a fact-check publisher's feed), and the documents that repeat it.

A claim is keyed by the hash of its debunk URL, so ingestion is an upsert. `embedding` is the
claim text's e5 passage embedding (float32, 384 values), computed once by the claim-match stage
(services/claims.py). A `claim_matches` row says an article or post repeats the claim.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Float, ForeignKey, Index, LargeBinary, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import Base, TimestampMixin, utcnow


class Claim(Base, TimestampMixin):
    __tablename__ = "claims"
    __table_args__ = (
        Index("ix_claims_published_id", "published_at", "id"),
        Index(
            "ix_claims_pending_match",
            "id",
            sqlite_where=text("matched_at IS NULL"),
            postgresql_where=text("matched_at IS NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    source_id: Mapped[int | None] = mapped_column(
        ForeignKey("sources.id", ondelete="SET NULL"), index=True
    )
    url: Mapped[str] = mapped_column(Text)  # the debunk
    url_hash: Mapped[str] = mapped_column(String(64), unique=True)
    publisher: Mapped[str | None] = mapped_column(String(200))
    title: Mapped[str] = mapped_column(Text, default="")
    claim: Mapped[str] = mapped_column(Text)  # what was claimed, without the verdict tag
    verdict: Mapped[str] = mapped_column(String(16))  # normalised: hoax, false, misleading...
    verdict_label: Mapped[str] = mapped_column(String(40))  # as published: HOAKS, SALAH...
    published_at: Mapped[datetime] = mapped_column(default=utcnow)
    fetched_at: Mapped[datetime] = mapped_column(default=utcnow)
    embedding: Mapped[bytes | None] = mapped_column(LargeBinary)
    matched_at: Mapped[datetime | None]  # matched against the recent documents once


class ClaimMatch(Base):
    __tablename__ = "claim_matches"
    __table_args__ = (Index("ix_claim_matches_article", "article_id"),)

    claim_id: Mapped[int] = mapped_column(
        ForeignKey("claims.id", ondelete="CASCADE"), primary_key=True
    )
    article_id: Mapped[int] = mapped_column(
        ForeignKey("articles.id", ondelete="CASCADE"), primary_key=True
    )
    score: Mapped[float] = mapped_column(Float)  # the rerank's similarity, 0..1
    lexical: Mapped[float] = mapped_column(Float)  # the candidate retrieval's overlap
    matched_at: Mapped[datetime] = mapped_column(default=utcnow)
