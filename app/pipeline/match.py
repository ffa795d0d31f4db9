"""The match stage: scored articles against every active watchlist (services/watchlists.py).

The score stage matches its own batches from the texts it loaded; this stage takes the scored
rows still unmatched (`matched_at` NULL), such as articles scored elsewhere.
"""

from __future__ import annotations

from dataclasses import dataclass

from app.db import Database
from app.services import watchlists as watchlist_service


@dataclass(slots=True)
class MatchStage:
    database: Database
    batch_size: int = 200

    async def run_pending(self) -> int:
        """Match until no scored article is left unmatched; returns how many were matched."""
        matched = 0
        while True:
            async with self.database.writer.begin() as session:
                done = await watchlist_service.match_pending(session, limit=self.batch_size)
            matched += done
            if done < self.batch_size:
                return matched
