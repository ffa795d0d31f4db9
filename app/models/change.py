"""The change log behind `changed_after` sync and cheap ETags.

Rows are written by database triggers on the tables the API syncs (articles, issues, sources,
issue_articles), so no code path can forget them, and by `services.changes.record_change` for
what a trigger cannot infer (a merge). `txid` is the writing transaction's id on PostgreSQL
(0 on SQLite, where writers are serialised); the sync position is (txid, seq).
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import BigInteger, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import Base, utcnow


class ChangeKind(StrEnum):
    UPSERT = "upsert"
    DELETE = "delete"
    MERGE = "merge"


class Change(Base):
    __tablename__ = "changes"
    __table_args__ = (
        Index("ix_changes_entity_position", "entity", "txid", "seq"),
        Index("ix_changes_entity_seq", "entity", "seq"),
        Index("ix_changes_entity_id_position", "entity", "entity_id", "txid", "seq"),  # retention
        # SQLite must never reuse a sequence number, even after the newest row is deleted.
        {"sqlite_autoincrement": True},
    )

    seq: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    entity: Mapped[str] = mapped_column(String(32))
    entity_id: Mapped[int] = mapped_column(BigInteger)
    kind: Mapped[str] = mapped_column(String(10))
    merged_into: Mapped[int | None] = mapped_column(BigInteger)
    txid: Mapped[int] = mapped_column(BigInteger, default=0)
    changed_at: Mapped[datetime] = mapped_column(default=utcnow)
