"""The cluster stage: matched articles join an issue, or open one (services/clustering.py).

Each batch is one transaction: the article is placed by story group first, else by similarity
to the open issues (feed/clustering.py), and the touched issues' metrics and severity are
recomputed (services/issue_metrics.py). An article whose placing fails alone is set aside
(pipeline/isolation.py).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import partial

from sqlalchemy.ext.asyncio import AsyncSession

from app.crawlers.pool import CpuPool
from app.db import Database
from app.feed.clustering import count_terms_batch
from app.pipeline.isolation import IsolatedQueue
from app.services.clustering import cluster_pending, skip_unclusterable
from app.services.feed_config import FeedConfig


@dataclass(slots=True)
class ClusterStage:
    database: Database
    feed: FeedConfig = field(default_factory=FeedConfig)
    batch_size: int = 200
    pool: CpuPool | None = None  # counts the terms of articles not counted with their score

    async def run_pending(self) -> int:
        """Cluster until no matched article is left ungrouped; returns how many were placed."""
        counter = None
        if self.pool is not None:
            counter = self.pool.spread(partial(count_terms_batch, config=self.feed.cluster))

        async def run(session: AsyncSession, limit: int) -> int:
            outcome = await cluster_pending(session, limit=limit, config=self.feed, counter=counter)
            return outcome.clustered

        queue = IsolatedQueue(self.database, "cluster", run, skip_unclusterable, self.batch_size)
        return await queue.drain()
