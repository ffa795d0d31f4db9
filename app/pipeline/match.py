"""The match stage: scored articles against every active watchlist (services/watchlists.py).

The score stage matches its own batches from the texts it loaded; this stage takes the scored
rows still unmatched (`matched_at` NULL), such as articles scored elsewhere. An article whose
matching fails alone is set aside (pipeline/isolation.py).
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from app.db import Database
from app.pipeline.isolation import IsolatedQueue
from app.services import watchlists as watchlist_service


@dataclass(slots=True)
class MatchStage:
    database: Database
    batch_size: int = 200

    async def run_pending(self) -> int:
        """Match until no scored article is left unmatched; returns how many were matched."""

        async def run(session: AsyncSession, limit: int) -> int:
            return await watchlist_service.match_pending(session, limit=limit)

        queue = IsolatedQueue(
            self.database, "match", run, watchlist_service.skip_unmatchable, self.batch_size
        )
        return await queue.drain()
