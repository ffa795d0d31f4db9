"""The story stage: settled articles join a story group (services/stories.py).

The score stage gives most articles their group with their score (one row write); this stage
takes the rest, such as articles scored elsewhere (`pantau score`) without a group. Their
MinHash signatures are computed in the CPU pool. An article whose assignment fails alone gets
a group of its own (pipeline/isolation.py).
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from app.crawlers.neardup import signatures
from app.crawlers.pool import CpuPool
from app.db import Database
from app.pipeline.isolation import IsolatedQueue
from app.services import stories as story_service


@dataclass(slots=True)
class StoryStage:
    database: Database
    pool: CpuPool
    batch_size: int = 200

    async def run_pending(self, *, scored_only: bool = False) -> int:
        """Every settled article (with `scored_only`, every scored one) joins a story group;
        returns how many did."""

        async def run(session: AsyncSession, limit: int) -> int:
            return await story_service.assign_pending_stories(
                session, limit=limit, sign=self.pool.spread(signatures), scored_only=scored_only
            )

        async def skip(session: AsyncSession) -> int | None:
            return await story_service.skip_unassignable(session, scored_only=scored_only)

        return await IsolatedQueue(self.database, "story", run, skip, self.batch_size).drain()
