"""The cluster stage: matched articles join an issue, or open one (services/clustering.py).

Each batch is one transaction: the article is placed by story group first, else by similarity
to the open issues (feed/clustering.py), and the touched issues' metrics and severity are
recomputed (services/issue_metrics.py).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from app.db import Database
from app.services.clustering import cluster_pending
from app.services.feed_config import FeedConfig


@dataclass(slots=True)
class ClusterStage:
    database: Database
    feed: FeedConfig = field(default_factory=FeedConfig)
    batch_size: int = 200

    async def run_pending(self) -> int:
        """Cluster until no matched article is left ungrouped; returns how many were placed."""
        grouped = 0
        while True:
            async with self.database.writer.begin() as session:
                outcome = await cluster_pending(session, limit=self.batch_size, config=self.feed)
            grouped += outcome.clustered
            if outcome.clustered < self.batch_size:
                return grouped
