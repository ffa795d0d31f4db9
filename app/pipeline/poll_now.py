""" "Poll now": fetch one source at an analyst's request, as the scheduler would.

The source is leased like a scheduled claim (services/sources.claim_source), so a worker
polling it at the same moment is never doubled, and crawled by the crawl stage itself
(crawl.py): the same fetcher with its politeness and address guard, the same parsing, dedup,
reschedule and fetch-attempt row. Its new articles then go through the later stages at the
scheduler's next tick.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from app.crawlers.fetch import Fetcher
from app.crawlers.pool import CpuPool
from app.crawlers.scheduling import PollPolicy
from app.db import Database
from app.models import utcnow
from app.pipeline.crawl import CrawlStage, worker_name
from app.services import sources as source_service
from app.services.sources import PollReport


@dataclass(slots=True)
class SourcePoller:
    fetcher: Fetcher
    pool: CpuPool
    policy: PollPolicy
    min_gap_seconds: int = 60  # the least time between two fetches of one source
    worker: str = ""
    clock: Callable[[], datetime] = utcnow
    sitemap_max_children: int = 5

    async def poll(self, database: Database, source_id: int) -> PollReport:
        stage = CrawlStage(
            database=database,
            fetcher=self.fetcher,
            pool=self.pool,
            policy=self.policy,
            concurrency=1,
            batch_size=1,
            worker=self.worker or worker_name(),
            clock=self.clock,
            sitemap_max_children=self.sitemap_max_children,
        )
        async with database.writer.begin() as session:
            claimed = await source_service.claim_source(
                session,
                source_id=source_id,
                worker=stage.worker,
                now=self.clock(),
                lease_seconds=int(self.fetcher.options.total_timeout * 2 + 60),
                min_gap_seconds=self.min_gap_seconds,
            )
        outcome = await stage.crawl_source(claimed)
        async with database.sessionmaker() as session:
            source = await source_service.get_source(session, source_id=source_id)
            attempts, _ = await source_service.list_attempts(session, source_id=source_id, limit=1)
        return PollReport(
            source_id=source_id,
            status=str(outcome.status),
            http_status=source.last_http_status,
            items_seen=attempts[0].items_seen if attempts else 0,
            new_items=outcome.new_items,
            error=outcome.error,
            next_check_at=source.next_check_at,
        )
