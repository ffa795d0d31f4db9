"""Retention: rows the database stops keeping once they are old and nothing needs them.

- Fetch attempts older than the retention (source health, failing-source reports and the
  fetch log look back hours to days). At 10,000 sources polled every few minutes they are the
  fastest-growing table.
- Change-log rows older than the retention that a later row for the same entity supersedes. A
  `changed_after` sync hands out each changed entity's *current* state once, so only its newest
  row matters; that row is always kept (deletes and merges included), so a client resuming
  from any old cursor still learns about every deletion.

Each call removes at most ``limit`` rows per table, so a scheduler tick stays short and a big
backlog drains over a few ticks.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, exists, select, tuple_
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from app.models import Change, FetchAttempt


@dataclass(frozen=True, slots=True)
class Pruned:
    fetch_attempts: int
    changes: int


async def prune(session: AsyncSession, *, now: datetime, days: int, limit: int = 5000) -> Pruned:
    """Delete fetch attempts and superseded change-log rows older than ``days``."""
    cutoff = now - timedelta(days=days)
    attempts = (
        select(FetchAttempt.id)
        .where(FetchAttempt.started_at < cutoff)
        .order_by(FetchAttempt.started_at)
        .limit(limit)
    )
    pruned_attempts = await session.execute(
        delete(FetchAttempt)
        .where(FetchAttempt.id.in_(attempts))
        .execution_options(synchronize_session=False)
    )
    old, newer = aliased(Change), aliased(Change)
    superseded = (
        select(old.seq)
        .where(
            old.changed_at < cutoff,
            exists().where(
                newer.entity == old.entity,
                newer.entity_id == old.entity_id,
                tuple_(newer.txid, newer.seq) > tuple_(old.txid, old.seq),
            ),
        )
        .limit(limit)
    )
    pruned_changes = await session.execute(
        delete(Change)
        .where(Change.seq.in_(superseded))
        .execution_options(synchronize_session=False)
    )
    return Pruned(
        fetch_attempts=pruned_attempts.rowcount or 0,  # type: ignore[attr-defined]
        changes=pruned_changes.rowcount or 0,  # type: ignore[attr-defined]
    )
