"""One crawl cycle over the stages: crawl -> page -> score -> match -> story -> cluster.

Each stage claims its pending work from the database in batches and owns its transaction, so a
crash loses nothing (unfinished work stays pending) and a re-run duplicates nothing (upserts).
No transaction is held open across network I/O. `Crawler` holds the configuration the stages
share and runs them in order, overlapping where the queues allow (see `run_once`).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from functools import partial
from typing import TYPE_CHECKING

from app.config import default
from app.crawlers.fetch import Fetcher
from app.crawlers.pool import CpuPool, shared_pool
from app.crawlers.scheduling import PollPolicy
from app.db import Database
from app.models import FetchStatus, utcnow
from app.pipeline.claims import ClaimStage
from app.pipeline.cluster import ClusterStage
from app.pipeline.crawl import CrawlStage, SourceOutcome, worker_name
from app.pipeline.match import MatchStage
from app.pipeline.page import PageStage
from app.pipeline.score import (
    SCORE_SECONDS_PER_ARTICLE,
    JobRunner,
    ScoreStage,
    score_and_sign_shipped,
)
from app.pipeline.story import StoryStage
from app.scoring import load_scorer
from app.services.feed_config import FeedConfig

if TYPE_CHECKING:
    from app.scoring import Scorer

__all__ = ["CrawlSummary", "Crawler", "SourceOutcome"]


@dataclass(slots=True)
class CrawlSummary:
    outcomes: list[SourceOutcome] = field(default_factory=list)
    scored: int = 0
    grouped: int = 0
    pages: int = 0
    stories: int = 0
    claim_matches: int = 0  # documents newly found repeating a fact-checked claim

    def add(self, stories: int, scored: int, grouped: int) -> None:
        """Count one drain of the story, score and cluster stages."""
        self.stories += stories
        self.scored += scored
        self.grouped += grouped

    def count(self, status: FetchStatus) -> int:
        return sum(1 for o in self.outcomes if o.status == status)

    @property
    def new_items(self) -> int:
        return sum(o.new_items for o in self.outcomes)


@dataclass(slots=True)
class Crawler:
    database: Database
    fetcher: Fetcher
    # None: the shipped model, loaded in this process only when it scores here (with two or
    # more pool processes they score, and load it themselves).
    scorer: Scorer | None = None
    policy: PollPolicy = field(default_factory=PollPolicy)
    # Defaults are Settings' (one place); the scheduler passes the configured values.
    concurrency: int = default("crawl_concurrency")
    batch_size: int = default("crawl_batch_size")
    worker: str = field(default_factory=worker_name)
    clock: Callable[[], datetime] = utcnow  # one clock for claims and schedules (fake in tests)
    pool: CpuPool = field(default_factory=shared_pool)  # extraction on every core
    page_concurrency: int = 8  # article pages fetched at once by the page stage
    page_batch_size: int = 32
    # Longer waits for a host's turn defer the page.
    page_max_host_wait: float = default("page_max_host_wait_seconds")
    sitemap_max_children: int = 5
    max_items_per_feed: int = default("max_items_per_feed")
    max_pending_pages: int = default("max_pending_pages_per_source")  # per source
    parse_time_limit: float = default("parse_timeout_seconds")
    feed: FeedConfig = field(default_factory=FeedConfig)  # matching, clustering, severity

    def _crawl(self) -> CrawlStage:
        return CrawlStage(
            database=self.database,
            fetcher=self.fetcher,
            pool=self.pool,
            policy=self.policy,
            concurrency=self.concurrency,
            batch_size=self.batch_size,
            worker=self.worker,
            clock=self.clock,
            sitemap_max_children=self.sitemap_max_children,
            max_items=self.max_items_per_feed,
            max_pending_pages=self.max_pending_pages,
            parse_time_limit=self.parse_time_limit,
        )

    async def crawl_due(self, *, stored: asyncio.Event | None = None) -> list[SourceOutcome]:
        """The crawl stage: every due source fetched once (`CrawlStage.run_pending`)."""
        return await self._crawl().run_pending(stored=stored)

    async def fetch_pages(self) -> int:
        """The page stage: full text for articles stored without it; returns the pages tried
        (pages deferred until their host is free are not counted)."""
        stage = PageStage(
            database=self.database,
            fetcher=self.fetcher,
            pool=self.pool,
            concurrency=self.page_concurrency,
            batch_size=self.page_batch_size,
            max_host_wait=self.page_max_host_wait,
            clock=self.clock,
            parse_time_limit=self.parse_time_limit,
        )
        stats = await stage.run_pending()
        return stats.claimed - stats.deferred

    async def process_pending(self, *, batch: int = 200) -> tuple[int, int]:
        """Run the story, score, match and cluster stages until their queues are empty;
        returns (scored, grouped)."""
        _stories, scored, grouped = await self._drain(batch=batch)
        return scored, grouped

    async def _drain(self, *, batch: int = 200) -> tuple[int, int, int]:
        """The story, score, match and cluster stages; returns (stories, scored, grouped).

        Scoring runs in the CPU pool while this process matches and clusters each batch as
        soon as scoring has committed it, so both cores work; the batches are the same as
        when the stages ran one after another. The score stage gives each article its story
        group with the score (one row write), so clustering, which reads story groups, can
        follow it batch by batch; articles scored elsewhere without a group (`pantau score`)
        get theirs first.
        """
        story = StoryStage(database=self.database, pool=self.pool, batch_size=batch)
        stories = await story.run_pending(scored_only=True)
        progress = asyncio.Event()
        stage = ScoreStage(
            database=self.database,
            scorer=self.scorer,
            run=self._batch_scorer(),
            batch_size=batch,
            depth=self.pool.workers + 1,  # one batch more than the pool scores at once
            on_commit=progress.set,
            cluster=self.feed.cluster,
        )
        scoring = asyncio.create_task(stage.run_pending())
        try:
            grouped = await self._group_while(scoring, progress, batch=batch)
        finally:
            if not scoring.done():
                scoring.cancel()  # grouping failed: do not leave scoring running alone
                with contextlib.suppress(asyncio.CancelledError):
                    await scoring
        scored = await scoring
        return stories + stage.stories, scored, grouped

    async def _group_while(
        self, scoring: asyncio.Task[int], progress: asyncio.Event, *, batch: int
    ) -> int:
        """Match and cluster what scoring has committed until scoring is done and drained."""
        match = MatchStage(database=self.database, batch_size=batch)
        cluster = ClusterStage(
            database=self.database, feed=self.feed, batch_size=batch, pool=self.pool
        )
        grouped = 0
        while True:
            finished = scoring.done()
            progress.clear()
            await match.run_pending()
            grouped += await cluster.run_pending()
            if finished:
                return grouped
            if not progress.is_set():
                waiter = asyncio.create_task(progress.wait())
                await asyncio.wait([waiter, scoring], return_when=asyncio.FIRST_COMPLETED)
                waiter.cancel()

    def _batch_scorer(self) -> JobRunner | None:
        """Split scoring batches over the CPU pool's processes when they can load the same
        model (the shipped one); otherwise score in a thread of this process."""
        if self.pool.workers < 2 or (self.scorer is not None and self.scorer is not load_scorer()):
            return None
        base = self.parse_time_limit  # a worker's first batch loads the model within it
        return self.pool.spread(
            partial(score_and_sign_shipped, cluster=self.feed.cluster),
            time_limit=lambda n: base + SCORE_SECONDS_PER_ARTICLE * n,
        )

    def scorer_source(self) -> Scorer | Callable[[], Scorer]:
        """This crawler's scorer, or the function that loads the shipped one when first needed
        (for the feed jobs' entity re-scans)."""
        return self.scorer if self.scorer is not None else load_scorer

    async def aclose(self) -> None:
        """Release the HTTP client and stop the CPU pool's worker processes.

        A command that exits without this leaves the pool's processes behind (orphaned, holding
        the command's stdout open), one set per cron run.
        """
        await self.fetcher.aclose()
        await asyncio.to_thread(self.pool.shutdown)

    async def run_once(self) -> CrawlSummary:
        """One cycle: crawl the due sources, fetch pages, then score, match and cluster.

        Scoring does not wait for the whole crawl: while sources are still being fetched, what
        the finished ones stored is scored (in the CPU pool, while this process fetches and
        parses) and grouped, so an article of the first source of a long crawl reaches the
        issue feed without waiting for the last source. The stages' queues are in the
        database, so the result is the same set of scored and grouped articles either way.

        A drain that fails (the scorer raising, say) does not stop the crawl: the cycle crawls
        and fetches pages to the end, as if it had not drained before, then raises; what was
        stored waits for the next cycle, and no claimed source is left leased and unfetched.
        """
        summary = CrawlSummary()
        stored = asyncio.Event()
        crawling = asyncio.create_task(self.crawl_due(stored=stored))
        failure: Exception | None = None
        try:
            while not crawling.done():
                waiter = asyncio.create_task(stored.wait())
                await asyncio.wait([waiter, crawling], return_when=asyncio.FIRST_COMPLETED)
                waiter.cancel()
                if stored.is_set():
                    stored.clear()
                    try:
                        summary.add(*await self._drain())
                    except Exception as exc:
                        failure = exc
                        await asyncio.wait([crawling])
        finally:
            if not crawling.done():
                crawling.cancel()  # this cycle was cancelled: stop the crawl with it
                with contextlib.suppress(asyncio.CancelledError):
                    await crawling
        summary.outcomes = await crawling
        summary.pages = await self.fetch_pages()
        if failure is not None:
            raise failure
        summary.add(*await self._drain())
        claims = ClaimStage(database=self.database, clock=self.clock)
        summary.claim_matches = await claims.run_pending()
        return summary
