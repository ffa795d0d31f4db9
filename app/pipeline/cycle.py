"""The crawl pipeline: claim due sources, fetch, parse, store; then score and group.

Each stage claims its pending work from the database in batches and owns its transaction, so a
crash loses nothing (unfinished work stays pending) and a re-run duplicates nothing (upserts).
No transaction is held open across network I/O.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
import os
import socket
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TypeVar

from sqlalchemy import func, insert, literal, update

from app.crawlers.discover import PAGE_KINDS, gather_items
from app.crawlers.fetch import FailureKind, Fetcher, FetchError, FetchResult
from app.crawlers.neardup import signatures
from app.crawlers.parsers import ParseError, storable
from app.crawlers.pool import CpuPool, shared_pool
from app.crawlers.rows import article_rows
from app.crawlers.scheduling import (
    PollPolicy,
    error_delay,
    freshness_seconds,
    publishing_interval,
    success_interval,
)
from app.db import Database
from app.models import FetchAttempt, FetchStatus, Source, utcnow
from app.models.base import UTCDateTime
from app.pipeline.page import PageStage
from app.pipeline.score import JobRunner, ScoreStage, score_and_sign_shipped
from app.scoring import Scorer, load_scorer
from app.services import articles as article_service
from app.services import stories as story_service
from app.services import watchlists as watchlist_service
from app.services.clustering import cluster_pending
from app.services.feed_config import FeedConfig
from app.services.sources import ClaimedSource, claim_due_sources

logger = logging.getLogger(__name__)
T = TypeVar("T")
R = TypeVar("R")


def worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


@dataclass(slots=True)
class SourceOutcome:
    source_id: int
    status: FetchStatus
    new_items: int = 0
    error: str | None = None


@dataclass(frozen=True, slots=True)
class _Reschedule:
    """The writes that close a successful poll: the source row's new values and its attempt."""

    source: dict[str, object]
    attempt: dict[str, object]


@dataclass(slots=True)
class CrawlSummary:
    outcomes: list[SourceOutcome] = field(default_factory=list)
    scored: int = 0
    grouped: int = 0
    pages: int = 0
    stories: int = 0

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
    scorer: Scorer
    policy: PollPolicy = field(default_factory=PollPolicy)
    concurrency: int = 16
    batch_size: int = 50
    worker: str = field(default_factory=worker_name)
    clock: Callable[[], datetime] = utcnow  # one clock for claims and schedules (fake in tests)
    pool: CpuPool = field(default_factory=shared_pool)  # extraction on every core
    page_concurrency: int = 8  # article pages fetched at once by the page stage
    page_batch_size: int = 32
    page_max_host_wait: float = 5.0  # longer waits for a host's turn defer the page
    sitemap_max_children: int = 5
    feed: FeedConfig = field(default_factory=FeedConfig)  # matching, clustering, severity

    async def crawl_due(self, *, stored: asyncio.Event | None = None) -> list[SourceOutcome]:
        """Claim and crawl due sources batch by batch until none is due.

        Every source crawled is rescheduled at least a minute past the clock, so one call
        fetches each due source once. The database work overlaps the fetching: the next batch
        is claimed while this one is fetched, and a batch's reschedules are written while the
        next one is fetched (its sources stay leased until then, so nobody claims them twice).
        `stored` is set whenever a source has committed new articles.
        """
        outcomes: list[SourceOutcome] = []
        semaphore = asyncio.Semaphore(self.concurrency)
        claiming = asyncio.create_task(self._claim())
        writing: asyncio.Task[None] | None = None
        try:
            while True:
                claimed = await claiming
                if not claimed:
                    return outcomes
                claiming = asyncio.create_task(self._claim())
                unchanged: list[_Reschedule] = []

                async def run(
                    source: ClaimedSource, batch: list[_Reschedule] = unchanged
                ) -> SourceOutcome:
                    async with semaphore:
                        outcome = await self.crawl_source(source, unchanged=batch)
                    if stored is not None and outcome.new_items:
                        stored.set()
                    return outcome

                try:
                    outcomes.extend(await asyncio.gather(*(run(s) for s in claimed)))
                finally:
                    if writing is not None:
                        await writing
                    writing = asyncio.create_task(self._write_reschedules(unchanged))
        finally:
            if writing is not None:
                await writing
            if not claiming.done():
                claiming.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await claiming  # a claim made and not crawled stays leased until it expires

    async def _claim(self) -> list[ClaimedSource]:
        # Long enough for the worst case: this batch waits for the one in flight, then every
        # fetch of both takes its whole time budget. A shorter lease could expire mid-batch and
        # let another worker fetch the same source again in the same cycle.
        rounds = 2 * -(-self.batch_size // self.concurrency)
        lease = int(self.fetcher.options.total_timeout * rounds + 60)
        async with self.database.writer.begin() as session:
            return await claim_due_sources(
                session,
                worker=self.worker,
                now=self.clock(),
                limit=self.batch_size,
                lease_seconds=lease,
            )

    async def crawl_source(
        self, source: ClaimedSource, *, unchanged: list[_Reschedule] | None = None
    ) -> SourceOutcome:
        """Fetch and store one claimed source; every failure is recorded on its row.

        With `unchanged` given, the writes of a 304 or same-hash poll (the source row and its
        attempt) are appended there for the caller to write with its batch in one transaction;
        at a thousand polls a second, a transaction per unchanged poll is the bottleneck.
        """
        started = self.clock()
        try:
            get = self.fetcher.fetch_page if source.kind in PAGE_KINDS else self.fetcher.fetch
            result = await get(source.url, etag=source.etag, last_modified=source.last_modified)
            return await self._store(source, result, started, unchanged=unchanged)
        except (FetchError, ParseError) as exc:
            return await self._record_failure(source, exc, started)
        except Exception as exc:  # the job boundary: one bad source must not stop the batch
            logger.exception("crawl failed", extra={"source_id": source.id, "url": source.url})
            return await self._record_failure(source, exc, started)

    async def _store(
        self,
        source: ClaimedSource,
        result: FetchResult,
        started: datetime,
        *,
        unchanged: list[_Reschedule] | None = None,
    ) -> SourceOutcome:
        now = self.clock()
        body_hash = hashlib.sha256(result.body).hexdigest() if result.body else None
        if result.not_modified or (body_hash and body_hash == source.body_hash):
            status = FetchStatus.NOT_MODIFIED if result.not_modified else FetchStatus.UNCHANGED
            interval = success_interval(
                self.policy,
                current=source.poll_interval,
                new_items=0,
                override=source.poll_interval_override,
                max_age_seconds=freshness_seconds(result.headers, now=now),
            )
            write = self._finish_values(
                source, result, started, status=status, interval=interval, new_items=0, items_seen=0
            )
            if unchanged is None:
                await self._write_reschedules([write])
            else:
                unchanged.append(write)
            return SourceOutcome(source.id, status)
        feed = await gather_items(
            source.kind,
            result,
            fetcher=self.fetcher,
            pool=self.pool,
            selector=source.selector,
            max_children=self.sitemap_max_children,
            now=now,
            source_id=source.id,
        )
        rows = feed.rows
        if rows is None:
            rows = article_rows(feed.items, source_id=source.id, fetched_at=now)
        async with self.database.writer.begin() as session:
            new_ids = await article_service.insert_rows(session, source_id=source.id, rows=rows)
        elapsed = (now - source.last_fetched_at).total_seconds() if source.last_fetched_at else None
        interval = success_interval(
            self.policy,
            current=source.poll_interval,
            new_items=len(new_ids),
            override=source.poll_interval_override,
            ttl_seconds=feed.ttl_minutes * 60 if feed.ttl_minutes else None,
            max_age_seconds=freshness_seconds(result.headers, now=now),
            publish_interval=publishing_interval(
                (i.published for i in feed.items if i.published and i.published_trusted), now=now
            ),
            elapsed_seconds=elapsed,
        )
        await self._finish(
            source,
            result,
            started,
            status=FetchStatus.OK,
            interval=interval,
            new_items=len(new_ids),
            items_seen=len(feed.items),
            body_hash=body_hash,
        )
        return SourceOutcome(source.id, FetchStatus.OK, new_items=len(new_ids))

    async def _finish(
        self,
        source: ClaimedSource,
        result: FetchResult,
        started: datetime,
        *,
        status: FetchStatus,
        interval: int,
        new_items: int,
        items_seen: int,
        body_hash: str | None = None,
    ) -> None:
        write = self._finish_values(
            source,
            result,
            started,
            status=status,
            interval=interval,
            new_items=new_items,
            items_seen=items_seen,
            body_hash=body_hash,
        )
        await self._write_reschedules([write])

    def _finish_values(
        self,
        source: ClaimedSource,
        result: FetchResult,
        started: datetime,
        *,
        status: FetchStatus,
        interval: int,
        new_items: int,
        items_seen: int,
        body_hash: str | None = None,
    ) -> _Reschedule:
        now = self.clock()
        values: dict[str, object] = {
            "id": source.id,
            "last_status": status,
            "last_http_status": result.status,
            "error_count": 0,
            "failing_since": None,
            "last_success_at": now,
            "last_fetched_at": now,
            "poll_interval": interval,
            "next_check_at": now + timedelta(seconds=interval),
            "claimed_until": None,
            "claimed_by": None,
        }
        if status == FetchStatus.OK:
            values["etag"] = result.headers.get("etag")
            values["last_modified"] = result.headers.get("last-modified")
            values["body_hash"] = body_hash
        attempt: dict[str, object] = {
            "source_id": source.id,
            "started_at": started,
            "finished_at": now,
            "status": status,
            "http_status": result.status,
            "duration_ms": result.elapsed_ms,
            "bytes": len(result.body),
            "items_seen": items_seen,
            "new_items": new_items,
            "worker": self.worker,
        }
        return _Reschedule(source=values, attempt=attempt)

    async def _write_reschedules(self, writes: list[_Reschedule]) -> None:
        """Write finished polls' source rows and attempts, in one transaction for the lot."""
        if not writes:
            return
        groups: dict[frozenset[str], list[dict[str, object]]] = {}
        for write in writes:
            groups.setdefault(frozenset(write.source), []).append(write.source)
        async with self.database.writer.begin() as session:
            for rows in groups.values():  # executemany needs the same columns in every row
                await session.execute(update(Source), rows)
            await session.execute(insert(FetchAttempt), [w.attempt for w in writes])

    async def _record_failure(
        self, source: ClaimedSource, exc: Exception, started: datetime
    ) -> SourceOutcome:
        now = self.clock()
        if isinstance(exc, FetchError):
            reason, kind, status, retry_after = exc.reason, exc.kind, exc.status, exc.retry_after
        elif isinstance(exc, ParseError):
            reason, kind, status, retry_after = str(exc), FailureKind.HARD, 200, None
        else:
            reason, kind, status, retry_after = (
                f"internal error: {exc!r}"[:1000],
                FailureKind.SOFT,
                None,
                None,
            )
        reason = storable(reason) or ""  # server-controlled text goes into the row
        errors = source.error_count + 1
        delay = error_delay(
            self.policy,
            consecutive_errors=errors,
            kind=kind,
            retry_after=retry_after,
            status=status,
        )
        logger.warning(
            "source fetch failed",
            extra={"source_id": source.id, "url": source.url, "reason": reason, "errors": errors},
        )
        async with self.database.writer.begin() as session:
            await session.execute(
                update(Source)
                .where(Source.id == source.id)
                .values(
                    last_status=FetchStatus.ERROR,
                    last_http_status=status,
                    error_count=errors,
                    last_error=reason,
                    last_error_at=now,
                    last_error_kind=kind.value,
                    failing_since=func.coalesce(Source.failing_since, literal(now, UTCDateTime())),
                    last_fetched_at=now,
                    next_check_at=now + timedelta(seconds=delay),
                    claimed_until=None,
                    claimed_by=None,
                )
            )
            session.add(
                FetchAttempt(
                    source_id=source.id,
                    started_at=started,
                    finished_at=now,
                    status=FetchStatus.ERROR,
                    http_status=status,
                    duration_ms=int((now - started).total_seconds() * 1000),
                    error=reason,
                    worker=self.worker,
                )
            )
        return SourceOutcome(source.id, FetchStatus.ERROR, error=reason)

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
        )
        stats = await stage.run_pending()
        return stats.claimed - stats.deferred

    async def assign_stories(self, *, batch: int = 200, scored_only: bool = False) -> int:
        """The story stage: every settled article (with `scored_only`, every scored one)
        joins a story group."""
        assigned = 0
        while True:
            async with self.database.writer.begin() as session:
                done = await story_service.assign_pending_stories(
                    session, limit=batch, sign=self._split(signatures), scored_only=scored_only
                )
            assigned += done
            if done < batch:
                return assigned

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
        stories = await self.assign_stories(batch=batch, scored_only=True)
        progress = asyncio.Event()
        stage = ScoreStage(
            database=self.database,
            scorer=self.scorer,
            run=self._batch_scorer(),
            batch_size=batch,
            depth=self.pool.workers + 1,  # one batch more than the pool scores at once
            on_commit=progress.set,
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
        grouped = 0
        while True:
            finished = scoring.done()
            progress.clear()
            grouped += await self._match_and_cluster(batch)
            if finished:
                return grouped
            if not progress.is_set():
                waiter = asyncio.create_task(progress.wait())
                await asyncio.wait([waiter, scoring], return_when=asyncio.FIRST_COMPLETED)
                waiter.cancel()

    async def _match_and_cluster(self, batch: int) -> int:
        while True:
            async with self.database.writer.begin() as session:
                done = await watchlist_service.match_pending(session, limit=batch)
            if done < batch:
                break
        grouped = 0
        while True:
            async with self.database.writer.begin() as session:
                outcome = await cluster_pending(session, limit=batch, config=self.feed)
            grouped += outcome.clustered
            if outcome.clustered < batch:
                return grouped

    def _split(
        self, function: Callable[[list[T]], list[R]]
    ) -> Callable[[list[T]], Awaitable[list[R]]] | None:
        """`function` over a batch split into one chunk per CPU pool process (None without a
        pool: the caller then runs it in a thread)."""
        if self.pool.workers < 1:
            return None
        pool = self.pool

        async def run(batch: list[T]) -> list[R]:
            size = -(-len(batch) // pool.workers)
            chunks = [batch[i : i + size] for i in range(0, len(batch), size)]
            done = await asyncio.gather(*(pool.map_batch(function, c) for c in chunks))
            return [value for chunk in done for value in chunk]

        return run

    def _batch_scorer(self) -> JobRunner | None:
        """Split scoring batches over the CPU pool's processes when they can load the same
        model (the shipped one); otherwise score in a thread of this process."""
        if self.pool.workers < 2 or self.scorer is not load_scorer():
            return None
        return self._split(score_and_sign_shipped)

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
        return summary
