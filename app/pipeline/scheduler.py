"""The scheduler: crawl due sources and drain the pipeline, tick after tick.

`pantau serve` runs it as an asyncio task beside the API (SQLite default); `pantau worker` runs
it alone, and on PostgreSQL any number of workers share the queues through SKIP LOCKED claims
and leases. Each tick writes a heartbeat row (`/readyz` checks it), runs one crawl cycle
(cycle.py) and then the issue feed's jobs (services/feed_jobs.py). `build_crawler` turns
Settings into the crawler's parts.
"""

from __future__ import annotations

import asyncio
import gc
import logging
from contextlib import suppress
from dataclasses import replace
from datetime import timedelta
from functools import partial

from app.config import Settings
from app.crawlers.fetch import Fetcher, FetchOptions
from app.crawlers.pool import shared_pool
from app.crawlers.scheduling import PollPolicy
from app.db import Database, upsert
from app.feed.clustering import ClusterConfig
from app.models import Heartbeat, utcnow
from app.pipeline.cycle import Crawler
from app.report.schedule import schedule_from
from app.scoring import use_encoder_threads
from app.services.feed_config import FeedConfig
from app.services.feed_jobs import run_feed_jobs

logger = logging.getLogger(__name__)


def build_fetcher(settings: Settings) -> Fetcher:
    return Fetcher(
        FetchOptions(
            user_agent=settings.user_agent,
            connect_timeout=settings.fetch_connect_timeout,
            read_timeout=settings.fetch_read_timeout,
            total_timeout=settings.fetch_total_timeout,
            max_bytes=settings.fetch_max_bytes,
            max_redirects=settings.fetch_max_redirects,
            allow_private_networks=settings.allow_private_networks,
            global_concurrency=settings.fetch_concurrency,
            per_host_concurrency=settings.per_host_concurrency,
            per_host_min_interval_ms=settings.per_host_min_interval_ms,
            robots_ttl_seconds=settings.robots_ttl_seconds,
            max_crawl_delay=settings.max_crawl_delay_seconds,
        )
    )


def build_feed_config(settings: Settings) -> FeedConfig:
    return FeedConfig(
        cluster=replace(
            ClusterConfig(),
            threshold=settings.cluster_threshold,
            window=timedelta(hours=settings.cluster_window_hours),
        ),
        reopen_margin=settings.reopen_severity_margin,
        webhook_timeout=settings.webhook_timeout_seconds,
        allow_private_networks=settings.allow_private_networks,
        retention_days=settings.retention_days,
        public_url=settings.public_url.rstrip("/") if settings.public_url else None,
        report=schedule_from(settings),
    )


def tune_collector() -> None:
    """For a long-running ingest process (`worker`, `crawl --once`), once it has started.

    The coordinating process makes and drops many small objects per article (rows, ORM state,
    clusterer postings), and with the default thresholds the cyclic collector kept walking
    everything start-up had imported and cached: 2.9 of 13 CPU s in a 5,000-item drain, 2.1 s
    of it in full passes (`bench/drain_replay.py --gc-threshold`). What exists now is frozen
    out of its sight and young collections run ten times less often; reference counting still
    frees all acyclic garbage at once. Not for test processes, which build many crawlers
    (what is frozen is never collected).
    """
    gc.freeze()
    young, middle, old = gc.get_threshold()
    gc.set_threshold(max(young, 7000), middle, old)


def build_crawler(settings: Settings, database: Database) -> Crawler:
    # The encoder runs in this process and in the pool's: each takes its thread count.
    threads = settings.encoder_threads_for(one_process=False)
    use_encoder_threads(threads)
    return Crawler(
        database=database,
        fetcher=build_fetcher(settings),
        scorer=None,  # the shipped model, loaded where it scores (the pool's forkserver)
        pool=shared_pool(settings.cpu_workers, setup=partial(use_encoder_threads, threads)),
        policy=PollPolicy(
            min_seconds=settings.poll_min_seconds, max_seconds=settings.poll_max_seconds
        ),
        concurrency=settings.crawl_concurrency,
        batch_size=settings.crawl_batch_size,
        page_max_host_wait=settings.page_max_host_wait_seconds,
        max_items_per_feed=settings.max_items_per_feed,
        max_pending_pages=settings.max_pending_pages_per_source,
        parse_time_limit=settings.parse_timeout_seconds,
        feed=build_feed_config(settings),
    )


async def beat(database: Database, name: str = "scheduler") -> None:
    now = utcnow()
    statement = upsert(
        database.engine, Heartbeat, index_elements=["name"], set_={"beat_at": now}
    ).values(name=name, beat_at=now)
    async with database.writer.begin() as session:
        await session.execute(statement)


async def run_scheduler(crawler: Crawler, *, tick_seconds: float, stop: asyncio.Event) -> None:
    """Run until `stop` is set; a failing tick is logged and the next one still runs."""
    logger.info("scheduler started", extra={"tick_seconds": tick_seconds, "worker": crawler.worker})
    while not stop.is_set():
        try:
            await beat(crawler.database)
            summary = await crawler.run_once()
            feed = await run_feed_jobs(
                crawler.database,
                config=crawler.feed,
                clock=crawler.clock,
                scorer=crawler.scorer_source(),
            )
            if feed.queued or feed.delivered or feed.spikes:
                logger.info(
                    "feed jobs done",
                    extra={"spikes": feed.spikes, "queued": feed.queued, "sent": feed.delivered},
                )
            if summary.outcomes or summary.scored:
                logger.info(
                    "tick done",
                    extra={
                        "sources": len(summary.outcomes),
                        "new_items": summary.new_items,
                        "scored": summary.scored,
                        "grouped": summary.grouped,
                    },
                )
        except Exception:  # the loop's boundary: log and try again next tick
            logger.exception("scheduler tick failed")
        with suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), timeout=tick_seconds)
    logger.info("scheduler stopped")
